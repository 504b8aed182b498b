-- The Telegram channel (SPEC 5): each chat's dialogue state (kept across restarts), the
-- messages the bot sent about tickets (a reply to one lands on its ticket), and the updates
-- already handled (Telegram redelivers until acknowledged: each is handled once).
CREATE TABLE telegram_chats (
    chat_id BIGINT PRIMARY KEY NOT NULL,
    requester_id TEXT REFERENCES requesters(id),
    dialogue TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE telegram_messages (
    chat_id BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    ticket_id TEXT NOT NULL REFERENCES tickets(id),
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);

CREATE TABLE telegram_updates (
    update_id BIGINT PRIMARY KEY NOT NULL,
    handled_at TIMESTAMP NOT NULL
);
