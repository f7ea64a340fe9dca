-- Recurring invoices: a template with lines and a schedule; each
-- occurrence becomes one invoice, once, even with several instances
-- running or after downtime (the job catches up, one occurrence at a time).
CREATE TABLE recurring_invoices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    frequency TEXT NOT NULL CHECK (frequency IN ('monthly', 'quarterly', 'yearly')),
    start_date DATE NOT NULL,
    -- Occurrences issued so far; the next one falls on start_date plus
    -- that many periods (kept in next_date for the job's index). Both move
    -- together, compare-and-set on issued_count.
    issued_count INTEGER NOT NULL DEFAULT 0 CHECK (issued_count >= 0),
    next_date DATE NOT NULL,
    -- The last date an occurrence may fall on (none: until stopped).
    end_date DATE,
    early_discount_bp INTEGER CHECK (early_discount_bp BETWEEN 1 AND 10000),
    early_discount_days INTEGER CHECK (early_discount_days BETWEEN 1 AND 365),
    note TEXT NOT NULL DEFAULT '',
    lines TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX recurring_invoices_due_idx ON recurring_invoices (active, next_date);
CREATE INDEX recurring_invoices_account_idx ON recurring_invoices (account_id);

-- recurring:{template}:{occurrence}: at most one invoice per occurrence.
ALTER TABLE invoices ADD COLUMN recurring_key TEXT;
CREATE UNIQUE INDEX invoices_recurring_key ON invoices (recurring_key);
