-- Free text of audit events lives here, not in the events (issue 20): an event names its text
-- and commits to it by `sha256` = SHA-256(salt || 0x00 || text), so the text can be erased
-- (anonymisation, UU 27/2022 Pasal 43 and 44) while the event and the hash chain stay as they
-- were. The salt goes with the text: a short text such as a telephone number could otherwise be
-- found again by hashing guesses against the commitment.
CREATE TABLE audit_texts (
    id TEXT PRIMARY KEY NOT NULL,
    -- The ticket of the event, so that erasing a requester finds the texts of their tickets.
    ticket_id TEXT REFERENCES tickets(id),
    sha256 TEXT NOT NULL,
    salt TEXT,
    body TEXT,
    created_at TIMESTAMP NOT NULL,
    erased_at TIMESTAMP
);
CREATE INDEX audit_texts_ticket ON audit_texts(ticket_id);

-- One-time changes to the audit log itself, each also recorded as an event of the chain. The
-- first is moving the free text of events written before `audit_texts` existed into it: that
-- changes those events' data and so the hash of every event from the first of them on (see
-- docs/operations.md, "The audit log"). The hashes before and after are kept here.
CREATE TABLE audit_upgrades (
    name TEXT PRIMARY KEY NOT NULL,
    done_at TIMESTAMP NOT NULL,
    from_seq BIGINT,
    to_seq BIGINT,
    old_head_hash TEXT,
    new_head_hash TEXT,
    texts_moved BIGINT NOT NULL
);

-- "Did this help?": one vote per visitor (a random cookie, stored hashed) and article.
CREATE TABLE kb_votes (
    article_id TEXT NOT NULL REFERENCES kb_articles(id),
    voter TEXT NOT NULL,
    helpful BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, voter)
);
