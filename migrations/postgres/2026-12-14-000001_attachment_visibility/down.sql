ALTER TABLE attachments DROP COLUMN internal;
