DROP INDEX mail_messages_sender;
ALTER TABLE requesters DROP COLUMN anonymised_at;
