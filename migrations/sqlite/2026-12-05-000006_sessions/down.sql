ALTER TABLE api_tokens DROP COLUMN last_used_at;
ALTER TABLE api_tokens DROP COLUMN user_agent;
ALTER TABLE api_tokens DROP COLUMN address;
