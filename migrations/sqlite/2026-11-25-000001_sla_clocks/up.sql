-- SLA clocks: calendars and holidays in the database, editable policies, the scheduler's
-- next-deadline column and the record of fired alerts.

-- `week` is JSON: {"mon": ["07:30-12:00", "13:00-16:00"], ..., "sun": []}.
CREATE TABLE calendars (
    name TEXT PRIMARY KEY NOT NULL,
    zone TEXT NOT NULL,
    week TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO calendars (name, zone, week, created_at, updated_at) VALUES
 ('jam-kerja', 'Asia/Jakarta',
  '{"mon":["07:30-12:00","13:00-16:00"],"tue":["07:30-12:00","13:00-16:00"],"wed":["07:30-12:00","13:00-16:00"],"thu":["07:30-12:00","13:00-16:00"],"fri":["07:30-11:30","13:00-16:30"],"sat":[],"sun":[]}',
  CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
 ('24x7', 'Asia/Jakarta',
  '{"mon":["00:00-24:00"],"tue":["00:00-24:00"],"wed":["00:00-24:00"],"thu":["00:00-24:00"],"fri":["00:00-24:00"],"sat":["00:00-24:00"],"sun":["00:00-24:00"]}',
  CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

CREATE TABLE holidays (
    calendar TEXT NOT NULL REFERENCES calendars(name),
    day DATE NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (calendar, day)
);

-- One row per priority. `warn_percents` is a comma list, e.g. "75,90".
CREATE TABLE sla_policies (
    priority TEXT PRIMARY KEY NOT NULL,
    first_response_minutes BIGINT NOT NULL,
    resolution_minutes BIGINT NOT NULL,
    calendar TEXT NOT NULL REFERENCES calendars(name),
    warn_percents TEXT NOT NULL,
    notify_unit_head BOOLEAN NOT NULL,
    escalate_to_tier2 BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO sla_policies VALUES
 ('P1', 30, 240, '24x7', '75,90', 1, 1, CURRENT_TIMESTAMP),
 ('P2', 60, 900, 'jam-kerja', '75,90', 1, 1, CURRENT_TIMESTAMP),
 ('P3', 240, 1350, 'jam-kerja', '75,90', 1, 0, CURRENT_TIMESTAMP),
 ('P4', 450, 2250, 'jam-kerja', '75,90', 1, 0, CURRENT_TIMESTAMP);

-- Each warning (percent < 100) and breach (percent = 100) fires once per ticket and target:
-- the primary key is the guarantee, whatever the processes do.
CREATE TABLE sla_alerts (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    target TEXT NOT NULL,
    percent INTEGER NOT NULL,
    due_at TIMESTAMP NOT NULL,
    fired_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, target, percent)
);

-- The earliest instant at which one of the ticket's clocks crosses a threshold not yet fired;
-- NULL when both clocks are stopped or everything has fired. The scheduler reads this index
-- only, so a pass that finds nothing due costs one index probe.
ALTER TABLE tickets ADD COLUMN sla_next_at TIMESTAMP;
UPDATE tickets SET sla_next_at = created_at WHERE active;
CREATE INDEX tickets_sla_next ON tickets(sla_next_at) WHERE sla_next_at IS NOT NULL;
