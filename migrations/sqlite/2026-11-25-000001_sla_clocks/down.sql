DROP INDEX tickets_sla_next;
ALTER TABLE tickets DROP COLUMN sla_next_at;
DROP TABLE sla_alerts;
DROP TABLE sla_policies;
DROP TABLE holidays;
DROP TABLE calendars;
