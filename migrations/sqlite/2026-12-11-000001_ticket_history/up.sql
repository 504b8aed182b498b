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

CREATE TRIGGER tickets_history_ai AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_history (ticket_id, valid_from, created_at, channel, unit_id, service_id, kind, tier, status, active, priority,
        classification, security_incident, assignee_id, escalated, first_response_at, first_response_due,
        resolution_due, pending_since, paused_seconds, resolved_at, closed_at)
    VALUES (new.id, new.created_at, new.created_at, new.channel, new.unit_id, new.service_id, new.kind, new.tier, new.status, new.active,
        new.priority, new.classification, new.security_incident, new.assignee_id, new.escalated,
        new.first_response_at, new.first_response_due, new.resolution_due, new.pending_since, new.paused_seconds,
        new.resolved_at, new.closed_at);
END;

-- The current span is closed where the new one starts; a span that would start at or before the
-- current one's start (two changes at one instant, or a writer whose clock reading is older than
-- another's that committed first) replaces it instead, starting where it started, so spans never
-- overlap.
CREATE TRIGGER tickets_history_au AFTER UPDATE ON tickets WHEN
    old.unit_id IS NOT new.unit_id OR old.service_id IS NOT new.service_id OR old.kind IS NOT new.kind
    OR old.tier IS NOT new.tier OR old.status IS NOT new.status OR old.active IS NOT new.active
    OR old.priority IS NOT new.priority OR old.classification IS NOT new.classification
    OR old.security_incident IS NOT new.security_incident OR old.assignee_id IS NOT new.assignee_id
    OR old.escalated IS NOT new.escalated OR old.first_response_at IS NOT new.first_response_at
    OR old.first_response_due IS NOT new.first_response_due OR old.resolution_due IS NOT new.resolution_due
    OR old.pending_since IS NOT new.pending_since OR old.paused_seconds IS NOT new.paused_seconds
    OR old.resolved_at IS NOT new.resolved_at OR old.closed_at IS NOT new.closed_at
BEGIN
    UPDATE ticket_history SET valid_to = new.updated_at
    WHERE ticket_id = new.id AND valid_to IS NULL AND valid_from < new.updated_at;
    DELETE FROM ticket_history WHERE ticket_id = new.id AND valid_to IS NULL;
    INSERT INTO ticket_history (ticket_id, valid_from, created_at, channel, unit_id, service_id, kind, tier, status, active, priority,
        classification, security_incident, assignee_id, escalated, first_response_at, first_response_due,
        resolution_due, pending_since, paused_seconds, resolved_at, closed_at)
    VALUES (new.id, MAX(new.updated_at, COALESCE((SELECT MAX(valid_to) FROM ticket_history WHERE ticket_id = new.id), new.updated_at)),
        new.created_at, new.channel, new.unit_id, new.service_id, new.kind, new.tier, new.status, new.active,
        new.priority, new.classification, new.security_incident, new.assignee_id, new.escalated,
        new.first_response_at, new.first_response_due, new.resolution_due, new.pending_since, new.paused_seconds,
        new.resolved_at, new.closed_at);
END;
