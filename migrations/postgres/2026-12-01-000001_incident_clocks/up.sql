-- Security incidents and personal-data breaches (SPEC 6): the flags' notice clocks, kept beside
-- the ticket (24 hours for the written incident notice, BSSN 1/2024; 72 hours for notifying data
-- subjects and the authority, UU 27/2022 Pasal 46). Wall-clock, not business time.
CREATE TABLE ticket_incidents (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets(id),
    security_flagged_at TIMESTAMP,
    breach_flagged_at TIMESTAMP,
    notice_produced_at TIMESTAMP,
    breach_notified_at TIMESTAMP,
    breach_notified_note TEXT,
    next_at TIMESTAMP
);
CREATE INDEX ticket_incidents_next ON ticket_incidents(next_at) WHERE next_at IS NOT NULL;
-- Tickets flagged before this table existed start their clock at creation.
INSERT INTO ticket_incidents (ticket_id, security_flagged_at, next_at)
    SELECT id, created_at, created_at FROM tickets WHERE security_incident = TRUE;
