-- The console's queue over all statuses of one unit, newest first ("semua" with filters):
-- without it, a unit with years of closed tickets is sorted whole for every page.
CREATE INDEX tickets_unit_recent ON tickets(unit_id, id);
