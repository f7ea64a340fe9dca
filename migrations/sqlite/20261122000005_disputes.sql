-- Disputes on invoices: the whole invoice, some lines or an amount; a
-- message thread with attachments; owners decide. An approved amount is
-- credited by a credit note (a ledger entry of kind credit_note with its
-- own number and PDF).

CREATE TABLE disputes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    reason TEXT NOT NULL CHECK (reason IN ('not_received', 'damaged', 'wrong_amount', 'already_paid', 'not_ordered', 'other')),
    -- What is disputed: the whole invoice, some of its lines, or an amount.
    scope TEXT NOT NULL CHECK (scope IN ('invoice', 'lines', 'amount')),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    status TEXT NOT NULL CHECK (status IN ('open', 'under_review', 'approved', 'partially_approved', 'rejected', 'closed')),
    approved_minor BIGINT NOT NULL DEFAULT 0 CHECK (approved_minor >= 0),
    decision_note TEXT NOT NULL DEFAULT '',
    -- The collector's proposal, for the owner to decide on.
    proposed_minor BIGINT,
    created_by BIGINT REFERENCES users (id),
    decided_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    decided_at TEXT,
    closed_at TEXT
);
CREATE INDEX disputes_status_idx ON disputes (status, created_at);
CREATE INDEX disputes_invoice_idx ON disputes (invoice_id);
-- One dispute in progress per invoice.
CREATE UNIQUE INDEX disputes_one_open_per_invoice ON disputes (invoice_id) WHERE status IN ('open', 'under_review');

CREATE TABLE dispute_lines (
    dispute_id BIGINT NOT NULL REFERENCES disputes (id),
    line_no INTEGER NOT NULL,
    PRIMARY KEY (dispute_id, line_no)
);

CREATE TABLE dispute_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dispute_id BIGINT NOT NULL REFERENCES disputes (id),
    author_id BIGINT REFERENCES users (id),
    -- message | info_request | proposal | decision | status
    kind TEXT NOT NULL CHECK (kind IN ('message', 'info_request', 'proposal', 'decision', 'status')),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dispute_messages_dispute_idx ON dispute_messages (dispute_id, id);

CREATE TABLE dispute_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dispute_id BIGINT NOT NULL REFERENCES disputes (id),
    message_id BIGINT NOT NULL REFERENCES dispute_messages (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX dispute_attachments_dispute_idx ON dispute_attachments (dispute_id);

-- Credit notes: numbered documents behind a credit_note ledger entry.
CREATE TABLE credit_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    number TEXT NOT NULL UNIQUE,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    dispute_id BIGINT REFERENCES disputes (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    issued_on DATE NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL
);
-- Two owners approving at once still issue one credit note.
CREATE UNIQUE INDEX credit_notes_one_per_dispute ON credit_notes (dispute_id) WHERE dispute_id IS NOT NULL;
