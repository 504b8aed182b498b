-- People as a city runs them: edited, moved, switched off; units and services renamed and
-- retired (kept in history and reports, gone from intake forms).
ALTER TABLE users ADD COLUMN phone TEXT;
-- NIP: the 18-digit ASN number.
ALTER TABLE users ADD COLUMN nip TEXT;
-- `id` or `en`: the language of the console and of the desk's mails to this person.
ALTER TABLE users ADD COLUMN language TEXT;
-- Set when an admin gave a temporary password: only a password change is allowed until then.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE units ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;
ALTER TABLE services ADD COLUMN active BOOLEAN NOT NULL DEFAULT 1;
