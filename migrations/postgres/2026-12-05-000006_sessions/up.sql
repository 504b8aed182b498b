-- A person sees their sessions: where each began, in which browser, when it was last used
-- (written at most every five minutes, not on every request).
ALTER TABLE api_tokens ADD COLUMN address TEXT;
ALTER TABLE api_tokens ADD COLUMN user_agent TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
