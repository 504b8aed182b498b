-- Each ticket's facts over time (issue 17, SPEC 8 "the same period and data always give the same
-- numbers"): unit, tier, priority, status, assignee and the clock columns a report reads, one row
-- per span during which they held. A report of a past period reads the row valid at its end, so a
-- transfer, escalation or re-prioritisation afterwards changes nothing in it.
--
-- Written by triggers, in the same statement (and so the same transaction) as the change, so no
-- path that saves a ticket can forget it. A span starts at the ticket's `updated_at`, which every
-- change of these columns sets to the desk's clock. Tickets from before this table are back-filled
-- from the audit events at start-up (`desk::ticket_history`), `backfilled` marking those rows.
CREATE TABLE ticket_history (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    valid_from TIMESTAMP NOT NULL,
    valid_to TIMESTAMP,
    -- The ticket's own, never changing: a report finds its period's tickets here alone.
    created_at TIMESTAMP NOT NULL,
    channel TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    service_id TEXT,
    kind TEXT NOT NULL,
    tier INTEGER NOT NULL,
    status TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    priority TEXT NOT NULL,
    classification TEXT NOT NULL,
    security_incident BOOLEAN NOT NULL,
    assignee_id TEXT,
    escalated BOOLEAN NOT NULL,
    first_response_at TIMESTAMP,
    first_response_due TIMESTAMP NOT NULL,
    resolution_due TIMESTAMP NOT NULL,
    pending_since TIMESTAMP,
    paused_seconds BIGINT NOT NULL,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP,
    backfilled BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (ticket_id, valid_from)
);
-- The backlog at a past instant: spans still current (by status) and spans that ended after it.
CREATE INDEX ticket_history_opened ON ticket_history(created_at);
CREATE INDEX ticket_history_current ON ticket_history(status) WHERE valid_to IS NULL;
CREATE INDEX ticket_history_ended ON ticket_history(valid_to) WHERE valid_to IS NOT NULL;

-- When the history became exact: the start-up that back-filled older tickets records it.
CREATE TABLE ticket_history_start (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    exact_from TIMESTAMP NOT NULL,
    backfilled_tickets BIGINT NOT NULL
);

CREATE FUNCTION ticket_history_write() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER tickets_history_ai AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_history_write();
CREATE TRIGGER tickets_history_au AFTER UPDATE ON tickets FOR EACH ROW WHEN (
    (OLD.unit_id, OLD.service_id, OLD.kind, OLD.tier, OLD.status, OLD.active, OLD.priority, OLD.classification,
     OLD.security_incident, OLD.assignee_id, OLD.escalated, OLD.first_response_at, OLD.first_response_due,
     OLD.resolution_due, OLD.pending_since, OLD.paused_seconds, OLD.resolved_at, OLD.closed_at)
    IS DISTINCT FROM
    (NEW.unit_id, NEW.service_id, NEW.kind, NEW.tier, NEW.status, NEW.active, NEW.priority, NEW.classification,
     NEW.security_incident, NEW.assignee_id, NEW.escalated, NEW.first_response_at, NEW.first_response_due,
     NEW.resolution_due, NEW.pending_since, NEW.paused_seconds, NEW.resolved_at, NEW.closed_at)
) EXECUTE FUNCTION ticket_history_write();
