-- The queue's text search (issue 17): one FTS5 document per ticket over its number, title,
-- description, public messages and internal notes (a column of its own, searched for staff
-- only), kept in step by triggers in the statement that changes the ticket or adds a message.
--
-- FTS5 keys its rows by integer: `ticket_search_rows` gives each ticket one that VACUUM (and so
-- a backup) cannot renumber, as the hidden rowid of `tickets` could be.
CREATE TABLE ticket_search_rows (
    id INTEGER PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id)
);
CREATE VIRTUAL TABLE ticket_search USING fts5(
    number, title, description, public_text, internal_text,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
);
-- A personal-data redaction switches on 'secure-delete' for its own statements
-- (`db::personal_data`), so the words it removes leave the index at once.

INSERT INTO ticket_search_rows (ticket_id) SELECT id FROM tickets ORDER BY id;
INSERT INTO ticket_search (rowid, number, title, description, public_text, internal_text)
SELECT r.id, t.number, t.title, t.description,
    COALESCE((SELECT group_concat(m.body, char(10)) FROM messages m WHERE m.ticket_id = t.id AND m.internal = 0), ''),
    COALESCE((SELECT group_concat(m.body, char(10)) FROM messages m WHERE m.ticket_id = t.id AND m.internal = 1), '')
FROM tickets t JOIN ticket_search_rows r ON r.ticket_id = t.id;

CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search_rows (ticket_id) VALUES (new.id);
    INSERT INTO ticket_search (rowid, number, title, description, public_text, internal_text)
    VALUES ((SELECT id FROM ticket_search_rows WHERE ticket_id = new.id), new.number, new.title, new.description, '', '');
END;
CREATE TRIGGER tickets_search_au AFTER UPDATE OF number, title, description ON tickets
WHEN old.number IS NOT new.number OR old.title IS NOT new.title OR old.description IS NOT new.description BEGIN
    UPDATE ticket_search SET number = new.number, title = new.title, description = new.description
    WHERE rowid = (SELECT id FROM ticket_search_rows WHERE ticket_id = new.id);
END;
CREATE TRIGGER messages_search_ai AFTER INSERT ON messages BEGIN
    UPDATE ticket_search SET
        public_text = CASE WHEN new.internal THEN public_text ELSE public_text || char(10) || new.body END,
        internal_text = CASE WHEN new.internal THEN internal_text || char(10) || new.body ELSE internal_text END
    WHERE rowid = (SELECT id FROM ticket_search_rows WHERE ticket_id = new.ticket_id);
END;
-- A message redacted (personal data erasure) or removed: its ticket's text again from the messages.
CREATE TRIGGER messages_search_au AFTER UPDATE OF body, internal ON messages BEGIN
    UPDATE ticket_search SET
        public_text = COALESCE((SELECT group_concat(m.body, char(10)) FROM messages m
            WHERE m.ticket_id = new.ticket_id AND m.internal = 0), ''),
        internal_text = COALESCE((SELECT group_concat(m.body, char(10)) FROM messages m
            WHERE m.ticket_id = new.ticket_id AND m.internal = 1), '')
    WHERE rowid = (SELECT id FROM ticket_search_rows WHERE ticket_id = new.ticket_id);
END;
CREATE TRIGGER messages_search_ad AFTER DELETE ON messages BEGIN
    UPDATE ticket_search SET
        public_text = COALESCE((SELECT group_concat(m.body, char(10)) FROM messages m
            WHERE m.ticket_id = old.ticket_id AND m.internal = 0), ''),
        internal_text = COALESCE((SELECT group_concat(m.body, char(10)) FROM messages m
            WHERE m.ticket_id = old.ticket_id AND m.internal = 1), '')
    WHERE rowid = (SELECT id FROM ticket_search_rows WHERE ticket_id = old.ticket_id);
END;
