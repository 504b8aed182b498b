DROP TRIGGER messages_search_moved;
DROP TABLE ticket_followers;
DROP TABLE ticket_merges;
