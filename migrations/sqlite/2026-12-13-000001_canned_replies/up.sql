-- Canned replies (balasan siap pakai, issue 15): texts an agent picks on a ticket, filled in
-- with the ticket's facts. unit_id NULL: city-wide (managed by tier 2 and supervisors);
-- otherwise the unit's own (managed by its agents and head). action: pend or resolve, applied
-- with the reply. uses counts the replies sent with it.
CREATE TABLE canned_replies (
    id TEXT PRIMARY KEY NOT NULL,
    unit_id TEXT REFERENCES units(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    action TEXT,
    uses BIGINT NOT NULL DEFAULT 0,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX canned_replies_by_unit ON canned_replies (unit_id, title);
