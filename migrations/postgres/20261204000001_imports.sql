-- Imports: a file kept as uploaded, its column mapping, where it stands and
-- what it did; mappings remembered per kind and header row. Imported
-- invoices and payments name their import. Keep in step with ../sqlite/.
CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('accounts', 'invoices', 'payments')),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    -- JSON: the header row, and the mapping (field -> column index).
    headers TEXT NOT NULL,
    row_count BIGINT NOT NULL CHECK (row_count >= 0),
    mapping TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL CHECK (status IN ('uploaded', 'running', 'done', 'failed')),
    -- JSON: counts and the rows' problems, once run.
    outcome TEXT NOT NULL DEFAULT '',
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX imports_running_idx ON imports (status) WHERE status = 'running';

CREATE TABLE import_mappings (
    kind TEXT NOT NULL,
    -- The header row, folded (see imports::rules::signature).
    signature TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, signature)
);

ALTER TABLE invoices ADD COLUMN import_id BIGINT REFERENCES imports (id);
ALTER TABLE payments ADD COLUMN import_id BIGINT REFERENCES imports (id);
