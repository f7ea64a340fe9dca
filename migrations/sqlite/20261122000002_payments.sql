-- Online payments (SQLite). Keep in step with ../postgres/.

-- The gateway's customer for each account (Stripe `cus_…`, sandbox token).
CREATE TABLE gateway_customers (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    gateway TEXT NOT NULL,
    customer_ref TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (account_id, gateway)
);

-- Saved methods: only what identifies them to their owner (brand, last four).
CREATE TABLE payment_methods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    gateway TEXT NOT NULL,
    gateway_ref TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('card', 'sepa_debit')),
    brand TEXT NOT NULL,
    last4 TEXT NOT NULL,
    exp_month INTEGER,
    exp_year INTEGER,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    autopay BOOLEAN NOT NULL DEFAULT FALSE,
    -- Autopay charges invoices falling due on or after this day.
    autopay_since DATE,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    removed_at TEXT,
    CONSTRAINT payment_methods_ref_key UNIQUE (gateway, gateway_ref)
);
CREATE INDEX payment_methods_account_idx ON payment_methods (account_id);
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (account_id) WHERE is_default AND removed_at IS NULL;
CREATE UNIQUE INDEX payment_methods_one_autopay ON payment_methods (account_id) WHERE autopay AND removed_at IS NULL;

-- One row per payment attempt. The amount is computed by the server; the
-- idempotency key (a form nonce, or `autopay:<invoice>`) makes a retried
-- request return the same payment.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT NOT NULL,
    gateway TEXT NOT NULL,
    gateway_ref TEXT,
    method_id BIGINT REFERENCES payment_methods (id),
    method_label TEXT NOT NULL DEFAULT '',
    -- A method used once and not saved (pay-by-link, unsaved new card).
    one_off_method_ref TEXT,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    status TEXT NOT NULL CHECK (status IN ('pending', 'requires_action', 'processing', 'succeeded', 'failed')),
    failure_code TEXT NOT NULL DEFAULT '',
    action_url TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL CHECK (source IN ('portal', 'link', 'autopay')),
    disputed BOOLEAN NOT NULL DEFAULT FALSE,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    succeeded_at TEXT,
    CONSTRAINT payments_idempotency_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT payments_gateway_ref_key UNIQUE (gateway, gateway_ref)
);
CREATE INDEX payments_account_idx ON payments (account_id, created_at);
CREATE INDEX payments_status_idx ON payments (status, updated_at);

-- What a payment is meant to settle, fixed when it is created.
CREATE TABLE payment_allocations (
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (payment_id, invoice_id)
);
CREATE INDEX payment_allocations_invoice_idx ON payment_allocations (invoice_id);

CREATE TABLE refunds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    gateway_ref TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    reason TEXT NOT NULL DEFAULT '',
    failure_code TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    CONSTRAINT refunds_gateway_ref_key UNIQUE (gateway_ref)
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id);

-- Every gateway event seen, once: the unique key makes processing
-- exactly-once however often (and in whatever order) events arrive.
CREATE TABLE payment_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    gateway TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    object_ref TEXT NOT NULL DEFAULT '',
    payment_id BIGINT REFERENCES payments (id),
    created_unix BIGINT NOT NULL,
    received_at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    CONSTRAINT payment_events_key UNIQUE (gateway, event_id)
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id);

-- The offline sandbox's own state (what Stripe would hold on its side).
CREATE TABLE sandbox_objects (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    idempotency_key TEXT,
    data TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT sandbox_objects_idem_key UNIQUE (kind, idempotency_key)
);
CREATE TABLE sandbox_events (
    id TEXT PRIMARY KEY,
    payload TEXT NOT NULL,
    deliver_after TEXT NOT NULL,
    delivered_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX sandbox_events_due_idx ON sandbox_events (delivered_at, deliver_after);

-- The ledger gains refunds (money given back: the debt grows again),
-- transfers of unapplied credit onto invoices, and a link to the payment
-- each entry comes from. SQLite cannot alter a CHECK: rebuild the table.
CREATE TABLE ledger_entries_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invoice_id BIGINT REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'fee', 'write_off', 'refund', 'credit_applied')),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    occurred_on DATE NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    memo TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    payment_id BIGINT REFERENCES payments (id),
    CONSTRAINT ledger_sign CHECK (
        (kind IN ('invoice', 'fee', 'refund') AND amount_minor > 0)
        OR (kind IN ('payment', 'credit_note', 'write_off') AND amount_minor < 0)
        OR (kind = 'credit_applied' AND amount_minor <> 0)
    )
);
INSERT INTO ledger_entries_new (id, account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, memo, created_by, created_at)
SELECT id, account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, memo, created_by, created_at FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
CREATE INDEX ledger_account_idx ON ledger_entries (account_id, occurred_on);
CREATE INDEX ledger_invoice_idx ON ledger_entries (invoice_id);
CREATE INDEX ledger_payment_idx ON ledger_entries (payment_id);
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
