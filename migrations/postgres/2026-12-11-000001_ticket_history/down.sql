DROP TRIGGER tickets_history_au ON tickets;
DROP TRIGGER tickets_history_ai ON tickets;
DROP FUNCTION ticket_history_write();
DROP TABLE ticket_history_start;
DROP TABLE ticket_history;
