-- Dispute attachments' content, kept in the database (outside any web
-- root, in every backup, shared by every server instance) under its
-- SHA-256: the same file attached twice is stored once.
CREATE TABLE dispute_files (
    sha256 TEXT PRIMARY KEY,
    size_bytes BIGINT NOT NULL CHECK (size_bytes > 0),
    content BLOB NOT NULL,
    created_at TEXT NOT NULL
);
