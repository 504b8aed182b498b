-- The queue's text search (issue 17): per ticket a tsvector over its number and title (weight
-- A), description (B) and public messages (C), and one that adds internal notes (D), searched for
-- staff only; kept in step by triggers in the statement that changes the ticket or adds a message.
--
-- Each text is indexed twice: with the 'simple' configuration (every word as written, matched
-- as a prefix, so "simpu" finds SIMPUS and a ticket number's digits find it) and with
-- 'indonesian' (Snowball's stemmer: "bayar" finds "pembayaran", "kunci" finds "terkunci").
-- Together they find what either finds alone (docs/operations.md, "Pencarian tiket").
--
-- Words are what lies between characters that are neither letters nor digits, as in SQLite's
-- tokenizer and the search box (PostgreSQL's parser would read "SD-2026-000042" as the word "sd"
-- and the numbers -2026 and -000042, which "000042" would not find).
CREATE FUNCTION meja_search_words(body TEXT) RETURNS TEXT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT regexp_replace(COALESCE(body, ''), '[^[:alnum:]]+', ' ', 'g')
$$;
CREATE FUNCTION meja_search_vector(body TEXT, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, meja_search_words(body))
        || to_tsvector('indonesian'::regconfig, meja_search_words(body)), weight)
$$;

CREATE TABLE ticket_search (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets(id),
    public_doc tsvector NOT NULL,
    all_doc tsvector NOT NULL
);
-- Staff search every ticket in their scope through the index; a requester searches only their
-- own tickets, which are found first, so `public_doc` needs no index of its own (one GIN index
-- to keep up per new ticket, not two).
CREATE INDEX ticket_search_all ON ticket_search USING GIN (all_doc);

-- A ticket's documents from its columns and messages, as they are now.
CREATE FUNCTION ticket_search_refresh(ticket TEXT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    own tsvector;
    public_text tsvector;
    internal_text tsvector;
BEGIN
    SELECT meja_search_vector(t.number || ' ' || t.title, 'A') || meja_search_vector(t.description, 'B')
        INTO own FROM tickets t WHERE t.id = ticket;
    SELECT COALESCE(meja_search_vector(string_agg(m.body, E'\n' ORDER BY m.created_at) FILTER (WHERE NOT m.internal), 'C'), ''),
           COALESCE(meja_search_vector(string_agg(m.body, E'\n' ORDER BY m.created_at) FILTER (WHERE m.internal), 'D'), '')
        INTO public_text, internal_text FROM messages m WHERE m.ticket_id = ticket;
    INSERT INTO ticket_search (ticket_id, public_doc, all_doc)
    VALUES (ticket, own || public_text, own || public_text || internal_text)
    ON CONFLICT (ticket_id) DO UPDATE SET public_doc = EXCLUDED.public_doc, all_doc = EXCLUDED.all_doc;
END
$$;

INSERT INTO ticket_search (ticket_id, public_doc, all_doc)
SELECT t.id, d.own || d.public_text, d.own || d.public_text || d.internal_text
FROM tickets t CROSS JOIN LATERAL (
    SELECT meja_search_vector(t.number || ' ' || t.title, 'A') || meja_search_vector(t.description, 'B') AS own,
        COALESCE((SELECT meja_search_vector(string_agg(m.body, E'\n' ORDER BY m.created_at), 'C') FROM messages m
            WHERE m.ticket_id = t.id AND NOT m.internal), '') AS public_text,
        COALESCE((SELECT meja_search_vector(string_agg(m.body, E'\n' ORDER BY m.created_at), 'D') FROM messages m
            WHERE m.ticket_id = t.id AND m.internal), '') AS internal_text
) d;

CREATE FUNCTION tickets_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    own tsvector;
BEGIN
    IF TG_OP = 'INSERT' THEN
        own := meja_search_vector(NEW.number || ' ' || NEW.title, 'A') || meja_search_vector(NEW.description, 'B');
        INSERT INTO ticket_search (ticket_id, public_doc, all_doc) VALUES (NEW.id, own, own);
    ELSE
        PERFORM ticket_search_refresh(NEW.id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION tickets_search_write();
CREATE TRIGGER tickets_search_au AFTER UPDATE OF number, title, description ON tickets FOR EACH ROW
    WHEN ((OLD.number, OLD.title, OLD.description) IS DISTINCT FROM (NEW.number, NEW.title, NEW.description))
    EXECUTE FUNCTION tickets_search_write();

CREATE FUNCTION messages_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    said tsvector;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Appending keeps a new message cheap; weights say where a word came from.
        IF NEW.internal THEN
            UPDATE ticket_search SET all_doc = all_doc || meja_search_vector(NEW.body, 'D') WHERE ticket_id = NEW.ticket_id;
        ELSE
            said := meja_search_vector(NEW.body, 'C');
            UPDATE ticket_search SET public_doc = public_doc || said, all_doc = all_doc || said
            WHERE ticket_id = NEW.ticket_id;
        END IF;
    ELSIF TG_OP = 'UPDATE' THEN
        -- A message redacted (personal data erasure): the ticket's text again.
        PERFORM ticket_search_refresh(NEW.ticket_id);
    ELSE
        PERFORM ticket_search_refresh(OLD.ticket_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER messages_search_ai AFTER INSERT ON messages FOR EACH ROW EXECUTE FUNCTION messages_search_write();
CREATE TRIGGER messages_search_au AFTER UPDATE OF body, internal ON messages FOR EACH ROW
    EXECUTE FUNCTION messages_search_write();
CREATE TRIGGER messages_search_ad AFTER DELETE ON messages FOR EACH ROW EXECUTE FUNCTION messages_search_write();
