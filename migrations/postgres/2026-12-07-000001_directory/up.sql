-- People who sign in through the Pemda's directory (LDAP/Active Directory) or single sign-on
-- (OpenID Connect): where an account's password is checked. Directory passwords are never kept
-- here; such accounts have an unusable local hash.
ALTER TABLE users ADD COLUMN auth_source TEXT NOT NULL DEFAULT 'local';

-- Directory groups (LDAP group DN or cn, or an OIDC `groups` claim) to a role and a unit, in
-- order: the first mapping that matches one of a person's groups decides.
CREATE TABLE directory_group_mappings (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    group_name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT REFERENCES units(id),
    created_at TIMESTAMP NOT NULL
);

-- A single sign-on in progress: what the callback must find again (state, nonce, PKCE
-- verifier), kept only by the SHA-256 of the state, single use, ten minutes.
CREATE TABLE oidc_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT,
    created_at TIMESTAMP NOT NULL
);
