-- Personal data of requesters (SPEC 6, UU 27/2022): when a requester's identity was erased, on
-- request or by the retention job. Their tickets stay for the statistics.
ALTER TABLE requesters ADD COLUMN anonymised_at TIMESTAMP;
-- Finding everything a requester sent by mail, including mail that became no ticket.
CREATE INDEX mail_messages_sender ON mail_messages(sender);
