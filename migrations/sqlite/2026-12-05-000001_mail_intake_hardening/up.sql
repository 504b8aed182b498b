-- Two different messages may share a Message-ID (broken mailers, test tools): the fingerprint
-- (sender and Date, or the raw bytes) tells a redelivery from another message.
ALTER TABLE mail_messages ADD COLUMN fingerprint TEXT;

-- The quarantine is worked by people: why each message is there, and what became of it
-- (`ticket` or `discarded`, by whom and when).
ALTER TABLE mail_quarantine ADD COLUMN reason TEXT NOT NULL DEFAULT '';
ALTER TABLE mail_quarantine ADD COLUMN settled_at TIMESTAMP;
ALTER TABLE mail_quarantine ADD COLUMN settled_by TEXT;  -- a user id (no REFERENCES: SQLite cannot drop such a column again)
ALTER TABLE mail_quarantine ADD COLUMN settlement TEXT;
UPDATE mail_quarantine SET reason = CASE
    WHEN (SELECT outcome FROM mail_messages WHERE mail_messages.id = mail_quarantine.mail_id) = 'quarantined'
        THEN 'larger than the size limit'
    ELSE 'refused by the intake'
END;
