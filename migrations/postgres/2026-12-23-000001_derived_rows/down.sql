DROP TRIGGER tickets_derived_bi ON tickets;
ALTER FUNCTION tickets_write_derived() RENAME TO ticket_history_write;
CREATE OR REPLACE FUNCTION ticket_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    span_start TIMESTAMP := CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END;
BEGIN
    IF TG_OP = 'UPDATE' THEN
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
    RETURN NULL;
END
$$;

CREATE FUNCTION ticket_number_draw() RETURNS trigger AS $$
DECLARE
    seq BIGINT;
BEGIN
    IF right(NEW.number, 1) = '-' THEN
        seq := nextval(format('ticket_number_%s', split_part(NEW.number, '-', 2)));
        NEW.number := NEW.number || CASE WHEN seq < 1000000 THEN lpad(seq::text, 6, '0') ELSE seq::text END;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_number_bi BEFORE INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_number_draw();

CREATE OR REPLACE FUNCTION tickets_search_write() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER tickets_history_ai AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_history_write();
CREATE TRIGGER tickets_search_ai AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION tickets_search_write();

ALTER TABLE ticket_search ADD CONSTRAINT ticket_search_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets(id);
ALTER TABLE ticket_history ADD CONSTRAINT ticket_history_ticket_id_fkey FOREIGN KEY (ticket_id) REFERENCES tickets(id);
