-- Staff attachments (issue 15): a file is internal when it was sent with an internal note or
-- is one of the desk's own documents (the written incident notice); internal files never reach
-- a requester (tracking page, e-mail, Telegram, the requester's API).
ALTER TABLE attachments ADD COLUMN internal BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE attachments SET internal = TRUE
 WHERE message_id IN (SELECT id FROM messages WHERE internal)
    OR (message_id IS NULL AND filename LIKE 'laporan-insiden-%' AND content_type IN ('application/pdf', 'text/markdown'));
