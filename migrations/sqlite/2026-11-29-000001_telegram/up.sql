-- The Telegram channel (SPEC 5): each chat's dialogue state (kept across restarts), the
-- messages the bot sent about tickets (a reply to one lands on its ticket), and the updates
-- already handled (Telegram redelivers until acknowledged: each is handled once).
-- A chat linked to a staff account (its agent commands act as that user) or to a unit (a
-- group chat that receives the unit's queue notices).
CREATE TABLE telegram_chats (
    chat_id BIGINT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id),
    unit_id TEXT REFERENCES units(id),
    dialogue TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX telegram_chats_user ON telegram_chats(user_id);
CREATE INDEX telegram_chats_unit ON telegram_chats(unit_id);

-- One-time codes that link a chat: issued in the console/API, typed as /hubungkan <code>.
CREATE TABLE telegram_link_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    unit_id TEXT REFERENCES units(id),
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
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
