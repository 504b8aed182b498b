-- The desk core. Portable types only: UUIDs as TEXT, UTC timestamps, BIGINT, BOOLEAN.
CREATE TABLE units (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    tier2 BOOLEAN NOT NULL DEFAULT 0,
    email TEXT,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE services (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX services_unit ON services(unit_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    active BOOLEAN NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX users_unit ON users(unit_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE requesters (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    telegram_id TEXT,
    user_id TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX requesters_email ON requesters(email);
CREATE INDEX requesters_telegram ON requesters(telegram_id);
CREATE INDEX requesters_user ON requesters(user_id);

CREATE TABLE ticket_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    last_seq BIGINT NOT NULL
);

CREATE TABLE tickets (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    unit_id TEXT NOT NULL REFERENCES units(id),
    service_id TEXT REFERENCES services(id),
    tier INTEGER NOT NULL,
    status TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    priority TEXT NOT NULL,
    classification TEXT NOT NULL,
    security_incident BOOLEAN NOT NULL,
    channel TEXT NOT NULL,
    requester_id TEXT NOT NULL REFERENCES requesters(id),
    tracking_token_hash TEXT,
    assignee_id TEXT REFERENCES users(id),
    tier1_assignee_id TEXT REFERENCES users(id),
    escalated BOOLEAN NOT NULL,
    created_by TEXT REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    first_response_at TIMESTAMP,
    first_response_due TIMESTAMP NOT NULL,
    resolution_due TIMESTAMP NOT NULL,
    pending_since TIMESTAMP,
    paused_seconds BIGINT NOT NULL,
    resolved_at TIMESTAMP,
    closed_at TIMESTAMP
);
-- Queues are read newest first; UUIDv7 ids sort by creation time.
CREATE INDEX tickets_unit_queue ON tickets(unit_id, active, id);
CREATE INDEX tickets_unit_status ON tickets(unit_id, status, id);
CREATE INDEX tickets_escalated_queue ON tickets(escalated, active, id);
CREATE INDEX tickets_tier_queue ON tickets(tier, active, id);
CREATE INDEX tickets_assignee_queue ON tickets(assignee_id, active, id);
CREATE INDEX tickets_requester ON tickets(requester_id, id);
CREATE INDEX tickets_status ON tickets(status, id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    author_id TEXT REFERENCES users(id),
    author_name TEXT NOT NULL,
    internal BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    channel TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_ticket ON messages(ticket_id, created_at);

-- The audit log: append-only, hash-chained. hash = SHA-256(prev_hash || canonical JSON).
CREATE TABLE events (
    seq BIGINT PRIMARY KEY NOT NULL,
    id TEXT NOT NULL UNIQUE,
    ticket_id TEXT REFERENCES tickets(id),
    actor_id TEXT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX events_ticket ON events(ticket_id, seq);

-- The head of the audit chain: every writer locks this row first, which serialises the chain
-- across processes and lets `audit verify` notice a deleted last event.
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Side effects (mail, Telegram, webhooks) are written here in the same transaction as the change
-- and delivered after commit.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    ticket_id TEXT REFERENCES tickets(id),
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_pending ON outbox(delivered_at, next_attempt_at);
