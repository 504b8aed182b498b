-- The knowledge base (SPEC 7, "informasi, solusi, dan edukasi"): Markdown articles, public or
-- internal, linked to a service, searchable (a generated tsvector over title and body; the
-- 'simple' configuration, as PostgreSQL has no Indonesian stemmer).
CREATE TABLE kb_articles (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'internal')),
    service_id TEXT REFERENCES services(id),
    source_ticket_id TEXT REFERENCES tickets(id),
    author_id TEXT REFERENCES users(id),
    views BIGINT NOT NULL DEFAULT 0,
    helpful BIGINT NOT NULL DEFAULT 0,
    not_helpful BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    search tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')
    ) STORED
);
CREATE INDEX kb_articles_service ON kb_articles(service_id);
CREATE INDEX kb_articles_search ON kb_articles USING GIN (search);
