-- Every sign-in, success or failure: who, when, from where, how, what became of it. Kept
-- `signin_log_days` (365 by default); admins read it.
CREATE TABLE signins (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    username TEXT NOT NULL,
    user_id TEXT,
    address TEXT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX signins_at ON signins(at);
CREATE INDEX signins_username ON signins(username, at);
