DROP INDEX tickets_unit_recent;
