-- CSAT (SPEC 2): one rating per ticket, asked when it is resolved. The token in the mail's
-- link is stored hashed, like tracking tokens.
CREATE TABLE csat (
    ticket_id TEXT PRIMARY KEY NOT NULL REFERENCES tickets(id),
    token_hash TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    rating INTEGER,
    comment TEXT,
    rated_at TIMESTAMP
);

-- The language the requester writes in ('id' or 'en'), for the words of the desk's mails.
ALTER TABLE requesters ADD COLUMN language TEXT;
