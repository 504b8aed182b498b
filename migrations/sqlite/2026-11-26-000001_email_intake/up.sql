-- E-mail intake: desk addresses, every message seen (deduplication and threading), links
-- between tickets, attachments stored once by SHA-256, and quarantined oversized mail.

CREATE TABLE mailboxes (
    name TEXT PRIMARY KEY NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    address TEXT NOT NULL UNIQUE,
    -- imaps://user:password@host:port/INBOX: a secret, never shown back.
    imap_url TEXT,
    created_at TIMESTAMP NOT NULL
);

-- One row per message in or out. `message_key` is the Message-ID, or sha256:<hex> of the raw
-- message when it has none; its uniqueness is what makes a redelivery a no-op.
CREATE TABLE mail_messages (
    id TEXT PRIMARY KEY NOT NULL,
    message_key TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    mailbox TEXT,
    ticket_id TEXT REFERENCES tickets(id),
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    outcome TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX mail_messages_ticket ON mail_messages(ticket_id);

CREATE TABLE ticket_links (
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    linked_ticket_id TEXT NOT NULL REFERENCES tickets(id),
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (ticket_id, linked_ticket_id)
);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BLOB NOT NULL
);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    message_id TEXT REFERENCES messages(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    inline_part BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_ticket ON attachments(ticket_id);

-- Mail too large to take in: kept whole for an operator, answered politely, never dropped.
CREATE TABLE mail_quarantine (
    mail_id TEXT PRIMARY KEY NOT NULL REFERENCES mail_messages(id),
    raw BLOB NOT NULL
);

-- The daily limit of automatic mails per address counts by recipient.
CREATE INDEX outbox_recipient ON outbox(recipient, delivered_at);
