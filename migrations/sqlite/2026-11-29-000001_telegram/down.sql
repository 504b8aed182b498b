DROP TABLE telegram_updates;
DROP TABLE telegram_messages;
DROP TABLE telegram_link_codes;
DROP TABLE telegram_chats;
