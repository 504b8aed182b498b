DROP TRIGGER tickets_history_au;
DROP TRIGGER tickets_history_ai;
DROP TABLE ticket_history_start;
DROP TABLE ticket_history;
