-- Time spent (issue 15): minutes an agent records with a reply, a note or an action. The
-- ticket's view sums them; the reports' per-agent table sums them per agent and period.
CREATE TABLE time_entries (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    minutes INTEGER NOT NULL CHECK (minutes > 0),
    message_id TEXT,
    action TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX time_entries_by_ticket ON time_entries (ticket_id);
CREATE INDEX time_entries_by_time ON time_entries (created_at);
