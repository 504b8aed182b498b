-- Abuse limits shared by every meja process on one PostgreSQL (sign-in throttle, second-factor
-- attempts, public reports, knowledge-base reads and votes, Telegram floods): one counter per
-- limit and key. Keys are kept as SHA-256 (they are addresses and usernames). SQLite runs one
-- process and keeps its counters in memory; the table exists there too, unused.
CREATE TABLE rate_counters (
    bucket TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL,
    PRIMARY KEY (bucket, key_hash)
);
CREATE INDEX rate_counters_by_last ON rate_counters (last_at);
