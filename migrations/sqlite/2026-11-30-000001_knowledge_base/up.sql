-- The knowledge base (SPEC 7, "informasi, solusi, dan edukasi"): Markdown articles, public or
-- internal, linked to a service, searchable (FTS5 over title and body, kept in step by triggers).
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
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX kb_articles_service ON kb_articles(service_id);

-- The index keeps the article id itself (a table with a TEXT key has no stable rowid: VACUUM
-- may renumber it).
CREATE VIRTUAL TABLE kb_search USING fts5(article_id UNINDEXED, title, body, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_search(article_id, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
    DELETE FROM kb_search WHERE article_id = old.id;
END;
CREATE TRIGGER kb_articles_au AFTER UPDATE OF title, body ON kb_articles BEGIN
    DELETE FROM kb_search WHERE article_id = old.id;
    INSERT INTO kb_search(article_id, title, body) VALUES (new.id, new.title, new.body);
END;
