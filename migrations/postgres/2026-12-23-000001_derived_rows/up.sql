-- A new ticket's derived rows without foreign-key checks (issue 17, the PostgreSQL write rate).
--
-- `ticket_history` and `ticket_search` are written only by the triggers on `tickets` (and the
-- history back-fill, from tickets it has just read), always for the row being saved, and tickets
-- are never deleted: their ticket exists by construction. Each key check still cost every new
-- ticket a query and a row lock on the ticket just inserted, about a twentieth of its time
-- under the write load. The keys stay on every table an application statement writes.
ALTER TABLE ticket_history DROP CONSTRAINT ticket_history_ticket_id_fkey;
ALTER TABLE ticket_search DROP CONSTRAINT ticket_search_ticket_id_fkey;
