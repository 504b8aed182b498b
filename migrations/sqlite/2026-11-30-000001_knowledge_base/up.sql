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

CREATE VIRTUAL TABLE kb_search USING fts5(title, body, content='kb_articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_search(rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
    INSERT INTO kb_search(kb_search, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
END;
CREATE TRIGGER kb_articles_au AFTER UPDATE OF title, body ON kb_articles BEGIN
    INSERT INTO kb_search(kb_search, rowid, title, body) VALUES ('delete', old.rowid, old.title, old.body);
    INSERT INTO kb_search(rowid, title, body) VALUES (new.rowid, new.title, new.body);
END;
