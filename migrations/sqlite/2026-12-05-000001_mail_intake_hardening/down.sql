ALTER TABLE mail_quarantine DROP COLUMN settlement;
ALTER TABLE mail_quarantine DROP COLUMN settled_by;
ALTER TABLE mail_quarantine DROP COLUMN settled_at;
ALTER TABLE mail_quarantine DROP COLUMN reason;
ALTER TABLE mail_messages DROP COLUMN fingerprint;
