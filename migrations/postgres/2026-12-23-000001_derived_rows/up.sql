-- A new ticket's derived rows cost less to write (issue 17, the PostgreSQL write rate).
--
-- `ticket_history` and `ticket_search` are written only by the triggers on `tickets` (and the
-- history back-fill, from tickets it has just read), always for the row being saved, and tickets
-- are never deleted: their ticket exists by construction. Each key check still cost every new
-- ticket a query and a row lock on the ticket just inserted. The keys stay on every table an
-- application statement writes.
ALTER TABLE ticket_history DROP CONSTRAINT ticket_history_ticket_id_fkey;
ALTER TABLE ticket_search DROP CONSTRAINT ticket_search_ticket_id_fkey;

-- Without those keys the derived rows no longer have to wait for the ticket's row: one BEFORE
-- INSERT trigger draws the number and writes the first history span and the search row, where
-- three triggers did (two of them AFTER triggers, each queued, fetched and run apart). Should
-- the ticket's insert fail after it, the statement's rollback takes the derived rows too.
-- The same function keeps writing the history on updates (AFTER UPDATE, as before), so the
-- history's columns are listed in one place.
DROP TRIGGER tickets_number_bi ON tickets;
DROP TRIGGER tickets_history_ai ON tickets;
DROP TRIGGER tickets_search_ai ON tickets;
DROP FUNCTION ticket_number_draw();
ALTER FUNCTION ticket_history_write() RENAME TO tickets_write_derived;

CREATE OR REPLACE FUNCTION tickets_write_derived() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    span_start TIMESTAMP := CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END;
    seq BIGINT;
    own tsvector;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- The writer sends "PREFIX-YEAR-"; the year's next value is appended, padded to six
        -- digits as `domain::number::format_number` does (never cut past 999,999).
        IF right(NEW.number, 1) = '-' THEN
            seq := nextval(format('ticket_number_%s', split_part(NEW.number, '-', 2)));
            NEW.number := NEW.number || CASE WHEN seq < 1000000 THEN lpad(seq::text, 6, '0') ELSE seq::text END;
        END IF;
    ELSE
        -- The current span is closed where the new one starts; a span that would start at or
        -- before the current one's start (two changes at one instant, or a writer whose clock
        -- reading is older than another's that committed first) replaces it instead, starting
        -- where it started, so spans never overlap.
        UPDATE ticket_history SET valid_to = span_start
        WHERE ticket_id = NEW.id AND valid_to IS NULL AND valid_from < span_start;
        DELETE FROM ticket_history WHERE ticket_id = NEW.id AND valid_to IS NULL;
        span_start := GREATEST(span_start, (SELECT MAX(valid_to) FROM ticket_history WHERE ticket_id = NEW.id));
    END IF;
    INSERT INTO ticket_history (ticket_id, valid_from, created_at, channel, unit_id, service_id, kind, tier, status, active, priority,
        classification, security_incident, assignee_id, escalated, first_response_at, first_response_due,
        resolution_due, pending_since, paused_seconds, resolved_at, closed_at)
    VALUES (NEW.id, span_start, NEW.created_at, NEW.channel, NEW.unit_id, NEW.service_id, NEW.kind, NEW.tier, NEW.status, NEW.active,
        NEW.priority, NEW.classification, NEW.security_incident, NEW.assignee_id, NEW.escalated,
        NEW.first_response_at, NEW.first_response_due, NEW.resolution_due, NEW.pending_since, NEW.paused_seconds,
        NEW.resolved_at, NEW.closed_at);
    IF TG_OP = 'INSERT' THEN
        own := meja_search_vector(NEW.number || ' ' || NEW.title, 'A') || meja_search_vector(NEW.description, 'B');
        INSERT INTO ticket_search (ticket_id, public_doc, all_doc) VALUES (NEW.id, own, own);
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER tickets_derived_bi BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION tickets_write_derived();

-- Only changes of a ticket's text come here now.
CREATE OR REPLACE FUNCTION tickets_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ticket_search_refresh(NEW.id);
    RETURN NULL;
END
$$;
