-- Webhooks (SPEC 5): subscriptions to ticket events. Each event of a subscribed kind becomes
-- an outbox row (channel `webhook`, recipient the webhook's id, payload the exact JSON body),
-- written in the transaction that recorded the event, and is POSTed signed with the secret.
-- The secret is kept (it signs every delivery) but never shown after creation.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- Comma-separated event names, or `*` for all of them.
    events TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    -- Why it was switched off (by an admin, or by the receiver answering 410 Gone).
    disabled_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT REFERENCES users(id)
);

-- The delivery log: one row per attempt to deliver one event to one webhook.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks(id),
    outbox_id TEXT NOT NULL,
    event TEXT NOT NULL,
    ticket_number TEXT,
    attempt INTEGER NOT NULL,
    -- `delivered`, `retrying` or `given_up`.
    outcome TEXT NOT NULL,
    status_code INTEGER,
    -- The first 500 characters of the receiver's answer.
    response_excerpt TEXT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, attempted_at);
