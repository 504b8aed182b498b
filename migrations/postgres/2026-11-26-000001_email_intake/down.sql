DROP INDEX outbox_recipient;
DROP TABLE mail_quarantine;
DROP TABLE attachments;
DROP TABLE blobs;
DROP TABLE ticket_links;
DROP TABLE mail_messages;
DROP TABLE mailboxes;
