ALTER TABLE outbox DROP COLUMN remote_status_at;
ALTER TABLE outbox DROP COLUMN remote_status;
ALTER TABLE outbox DROP COLUMN remote_id;
DROP TABLE whatsapp_messages;
DROP TABLE whatsapp_contacts;
