-- Two-factor sign-in (TOTP, RFC 6238). The secret is what the person's app holds too: it must
-- be readable to check a code, so it is kept as is (like the database password, protect the
-- database and its backups). `totp_pending` holds a secret shown for enrolment and not yet
-- confirmed; `totp_last_step` the time step of the last code accepted, so no code works twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Ten single-use recovery codes per enrolment, kept as SHA-256.
CREATE TABLE totp_recovery_codes (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes(user_id);

-- The console's sign-in between the password and the second step (a code, or enrolment):
-- a short-lived single-use token kept as SHA-256, so that no password rides in a form.
CREATE TABLE sign_in_challenges (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
