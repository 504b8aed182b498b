-- Files kept with a canned reply (issue 15): attached to every message sent with it. The bytes
-- are in blobs (by SHA-256), like every other file.
CREATE TABLE canned_reply_files (
    id TEXT PRIMARY KEY NOT NULL,
    canned_reply_id TEXT NOT NULL REFERENCES canned_replies(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX canned_reply_files_by_reply ON canned_reply_files (canned_reply_id);
