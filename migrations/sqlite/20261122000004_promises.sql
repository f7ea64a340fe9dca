-- Promises to pay. A promise covers one or several invoices of one account
-- and pauses their collection until its date; the settling job then marks
-- it kept (the promised amount was paid) or broken.

-- The owner's policy: how far ahead a promise may go, and how many promises
-- an invoice may receive before staff must approve the next one.
ALTER TABLE merchant ADD COLUMN promise_max_days INTEGER NOT NULL DEFAULT 30
    CHECK (promise_max_days BETWEEN 1 AND 365);
ALTER TABLE merchant ADD COLUMN promise_max_per_invoice INTEGER NOT NULL DEFAULT 2
    CHECK (promise_max_per_invoice BETWEEN 1 AND 20);

CREATE TABLE promises (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    promised_date DATE NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    -- Open balance of the invoices when promised: kept means the balance
    -- went down by at least the promised amount.
    balance_at_promise_minor BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending_approval', 'active', 'kept', 'broken', 'cancelled', 'rejected')),
    source TEXT NOT NULL CHECK (source IN ('portal', 'staff')),
    note TEXT NOT NULL DEFAULT '',
    decision_note TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    decided_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    settled_at TEXT
);
CREATE INDEX promises_status_date_idx ON promises (status, promised_date);
CREATE INDEX promises_account_idx ON promises (account_id, created_at);

CREATE TABLE promise_invoices (
    promise_id BIGINT NOT NULL REFERENCES promises (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (promise_id, invoice_id)
);
CREATE INDEX promise_invoices_invoice_idx ON promise_invoices (invoice_id);
