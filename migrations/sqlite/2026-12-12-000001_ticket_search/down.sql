DROP TRIGGER messages_search_ad;
DROP TRIGGER messages_search_au;
DROP TRIGGER messages_search_ai;
DROP TRIGGER tickets_search_au;
DROP TRIGGER tickets_search_ai;
DROP TABLE ticket_search;
DROP TABLE ticket_search_rows;
