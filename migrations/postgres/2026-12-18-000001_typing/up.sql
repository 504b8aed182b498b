-- The live console (issue 15): who is writing a reply on a ticket now. Kept in the database so
-- that every process behind a load balancer tells its viewers; rows are overwritten, not kept.
CREATE TABLE ticket_typing (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, user_id)
);
CREATE INDEX ticket_typing_by_time ON ticket_typing (at);
