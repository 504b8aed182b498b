-- Saved views (issue 15): a person's named queue filters, shown as tabs with their counts.
-- query is the console's query string (tampilan, status, priority, kind, service, breached, q).
CREATE TABLE saved_views (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    query TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX saved_views_by_user ON saved_views (user_id, name);
