-- Merge (issue 15): a ticket merged into another is closed and its conversation moves; which
-- ticket now carries the case is kept here (one row per merged ticket).
CREATE TABLE ticket_merges (
    source_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets(id),
    target_id TEXT NOT NULL REFERENCES tickets(id),
    merged_by TEXT REFERENCES users(id),
    merged_at TIMESTAMP NOT NULL
);
CREATE INDEX ticket_merges_by_target ON ticket_merges (target_id);

-- Followers (CC, issue 15): an address, a staff user, or a requester (a merged ticket's) who
-- hears of a ticket's public replies and status changes. Exactly one of the three is set.
CREATE TABLE ticket_followers (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    email TEXT,
    user_id TEXT REFERENCES users(id),
    requester_id TEXT REFERENCES requesters(id),
    added_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    CHECK (num_nonnulls(email, user_id, requester_id) = 1)
);
CREATE UNIQUE INDEX ticket_followers_email ON ticket_followers (ticket_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX ticket_followers_user ON ticket_followers (ticket_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX ticket_followers_requester ON ticket_followers (ticket_id, requester_id) WHERE requester_id IS NOT NULL;

-- A message moved to another ticket (a merge): both tickets' search text again.
CREATE FUNCTION messages_search_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_search_refresh(OLD.ticket_id);
    PERFORM ticket_search_refresh(NEW.ticket_id);
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_search_moved AFTER UPDATE OF ticket_id ON messages FOR EACH ROW
    WHEN (OLD.ticket_id IS DISTINCT FROM NEW.ticket_id) EXECUTE FUNCTION messages_search_moved();
