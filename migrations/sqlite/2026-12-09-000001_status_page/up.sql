-- Status gangguan (Perwal Semarang 27/2021 Pasal 39(3)d: "memantau dan menginformasikan status
-- gangguan"): disruptions of catalogue services shown on the public status page, their public
-- updates, the tickets that follow them, and the alerts monitoring sends.

-- Whether a firing alert for the service also declares it disrupted on the status page (and
-- its resolution ends that disruption); without it an alert only opens a problem ticket.
ALTER TABLE services ADD COLUMN alert_declares BOOLEAN NOT NULL DEFAULT 0;

-- One disruption of one service: an outage (partial or major) or a maintenance window.
-- planned_end_at is the expected recovery, or a maintenance window's planned end.
CREATE TABLE disruptions (
    id TEXT PRIMARY KEY NOT NULL,
    service_id TEXT NOT NULL REFERENCES services(id),
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    problem_ticket_id TEXT REFERENCES tickets(id),
    source TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    planned_end_at TIMESTAMP,
    ended_at TIMESTAMP,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX disruptions_by_service ON disruptions (service_id, starts_at);
CREATE INDEX disruptions_by_end ON disruptions (ended_at);
CREATE INDEX disruptions_by_problem ON disruptions (problem_ticket_id);

-- Public updates, timestamped; state is set when the update changed it.
CREATE TABLE disruption_updates (
    id TEXT PRIMARY KEY NOT NULL,
    disruption_id TEXT NOT NULL REFERENCES disruptions(id),
    state TEXT,
    body TEXT NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX disruption_updates_by_disruption ON disruption_updates (disruption_id, created_at);
CREATE INDEX disruption_updates_by_time ON disruption_updates (created_at);

-- Tickets whose requesters asked to hear each public update, on the ticket's own channel.
CREATE TABLE disruption_followers (
    disruption_id TEXT NOT NULL REFERENCES disruptions(id),
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (disruption_id, ticket_id)
);

-- One row per alert fingerprint (Alertmanager resends an alert on every repeat interval).
-- An alert for an unknown service is kept with no service, for an admin to see.
CREATE TABLE alerts (
    fingerprint TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    service_label TEXT NOT NULL,
    service_id TEXT REFERENCES services(id),
    status TEXT NOT NULL,
    summary TEXT NOT NULL,
    labels TEXT NOT NULL,
    ticket_id TEXT REFERENCES tickets(id),
    received BIGINT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    last_received_at TIMESTAMP NOT NULL
);
CREATE INDEX alerts_by_service ON alerts (service_id, status);

-- The problem ticket monitoring keeps open for a service; the primary key makes a storm of
-- alerts for one service open one ticket, even from parallel requests.
CREATE TABLE service_alert_tickets (
    service_id TEXT PRIMARY KEY NOT NULL REFERENCES services(id),
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    disruption_id TEXT REFERENCES disruptions(id),
    last_alert_at TIMESTAMP NOT NULL
);
