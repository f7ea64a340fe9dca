-- Payments received outside the portal (transfer, cheque, cash, card
-- terminal), recorded by staff, and their reversal (a bounced cheque, a
-- recalled transfer). Keep in step with ../postgres/.
--
-- SQLite cannot relax a CHECK in place, and sqlx runs this file inside a
-- transaction (no `PRAGMA foreign_keys = OFF`): the payments family is
-- copied aside, dropped children first, recreated parents first with the
-- new rules, and copied back, with its indexes and triggers.

CREATE TABLE _payments AS SELECT * FROM payments;
CREATE TABLE _payment_allocations AS SELECT * FROM payment_allocations;
CREATE TABLE _refunds AS SELECT * FROM refunds;
CREATE TABLE _payment_events AS SELECT * FROM payment_events;
CREATE TABLE _ledger_postings AS SELECT * FROM ledger_postings;
CREATE TABLE _ledger_entries AS SELECT * FROM ledger_entries;

DROP TABLE ledger_entries;
DROP TABLE payment_allocations;
DROP TABLE payment_events;
DROP TABLE refunds;
DROP TABLE ledger_postings;
DROP TABLE payments;

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
    -- `reversed`: received, then taken back (a bounced cheque).
    status TEXT NOT NULL CHECK (status IN ('pending', 'requires_action', 'processing', 'succeeded', 'failed', 'reversed')),
    failure_code TEXT NOT NULL DEFAULT '',
    action_url TEXT NOT NULL DEFAULT '',
    -- `staff`: money received outside the portal, recorded in the back-office.
    source TEXT NOT NULL CHECK (source IN ('portal', 'link', 'autopay', 'staff')),
    disputed BOOLEAN NOT NULL DEFAULT FALSE,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    succeeded_at TEXT,
    checked_at TEXT,
    -- Staff payments: how it came, when, and the bank's or cheque's reference.
    channel TEXT CHECK (channel IN ('transfer', 'cheque', 'cash', 'card_terminal')),
    received_on DATE,
    reference TEXT NOT NULL DEFAULT '',
    reversed_at TEXT,
    reversal_reason TEXT NOT NULL DEFAULT '',
    CONSTRAINT payments_idempotency_key UNIQUE (account_id, idempotency_key),
    CONSTRAINT payments_gateway_ref_key UNIQUE (gateway, gateway_ref),
    CONSTRAINT payments_staff_channel CHECK ((source = 'staff') = (channel IS NOT NULL))
);
INSERT INTO payments (id, account_id, idempotency_key, gateway, gateway_ref, method_id, method_label, one_off_method_ref,
    amount_minor, currency, status, failure_code, action_url, source, disputed, created_by, created_at, updated_at,
    succeeded_at, checked_at)
SELECT id, account_id, idempotency_key, gateway, gateway_ref, method_id, method_label, one_off_method_ref,
    amount_minor, currency, status, failure_code, action_url, source, disputed, created_by, created_at, updated_at,
    succeeded_at, checked_at FROM _payments;
CREATE INDEX payments_account_idx ON payments (account_id, created_at);
CREATE INDEX payments_status_idx ON payments (status, updated_at);
CREATE UNIQUE INDEX payments_id_currency_key ON payments (id, currency);
CREATE INDEX payments_in_flight_idx ON payments (gateway, updated_at)
    WHERE status IN ('pending', 'requires_action', 'processing');
CREATE TRIGGER payments_account_currency_ins BEFORE INSERT ON payments
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'payments_account_currency_fk'); END;
CREATE TRIGGER payments_account_currency_upd BEFORE UPDATE OF account_id, currency ON payments
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'payments_account_currency_fk'); END;

CREATE TABLE payment_allocations (
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    PRIMARY KEY (payment_id, invoice_id)
);
INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor)
SELECT payment_id, invoice_id, amount_minor FROM _payment_allocations;
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
    checked_at TEXT,
    updated_at TEXT,
    CONSTRAINT refunds_gateway_ref_key UNIQUE (gateway_ref)
);
INSERT INTO refunds (id, payment_id, amount_minor, currency, gateway_ref, status, reason, failure_code, created_by,
    created_at, checked_at, updated_at)
SELECT id, payment_id, amount_minor, currency, gateway_ref, status, reason, failure_code, created_by,
    created_at, checked_at, updated_at FROM _refunds;
CREATE INDEX refunds_payment_idx ON refunds (payment_id);
CREATE INDEX refunds_status_idx ON refunds (status, created_at);
CREATE TRIGGER refunds_payment_currency_ins BEFORE INSERT ON refunds
WHEN NEW.currency IS NOT (SELECT currency FROM payments WHERE id = NEW.payment_id)
BEGIN SELECT RAISE(ABORT, 'refunds_payment_currency_fk'); END;
CREATE TRIGGER refunds_payment_currency_upd BEFORE UPDATE OF payment_id, currency ON refunds
WHEN NEW.currency IS NOT (SELECT currency FROM payments WHERE id = NEW.payment_id)
BEGIN SELECT RAISE(ABORT, 'refunds_payment_currency_fk'); END;

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
INSERT INTO payment_events (id, gateway, event_id, event_type, object_ref, payment_id, created_unix, received_at, outcome)
SELECT id, gateway, event_id, event_type, object_ref, payment_id, created_unix, received_at, outcome FROM _payment_events;
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id);

CREATE TABLE ledger_postings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'write_off', 'fee', 'refund',
        'refund_reversal', 'credit_application', 'payment_reversal')),
    -- What was posted (`payment:12`, `refund:3`, `credit_note:7`…): at most once.
    source_key TEXT,
    occurred_on DATE NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    CONSTRAINT ledger_postings_source_key UNIQUE (source_key),
    CONSTRAINT ledger_postings_account_currency_fk FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency)
);
INSERT INTO ledger_postings (id, account_id, currency, kind, source_key, occurred_on, created_by, created_at)
SELECT id, account_id, currency, kind, source_key, occurred_on, created_by, created_at FROM _ledger_postings;
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, id);
CREATE INDEX ledger_postings_created_idx ON ledger_postings (created_at);

CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invoice_id BIGINT REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'fee', 'write_off', 'refund',
        'refund_reversal', 'credit_applied', 'payment_reversal')),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    occurred_on DATE NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    memo TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    payment_id BIGINT REFERENCES payments (id),
    posting_id BIGINT REFERENCES ledger_postings (id),
    refund_id BIGINT REFERENCES refunds (id),
    credit_note_id BIGINT REFERENCES credit_notes (id),
    CONSTRAINT ledger_entries_account_currency_fk FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency),
    CONSTRAINT ledger_entries_invoice_fk FOREIGN KEY (invoice_id, account_id, currency)
        REFERENCES invoices (id, account_id, currency),
    CONSTRAINT ledger_sign CHECK (
        (kind IN ('invoice', 'fee', 'refund', 'payment_reversal') AND amount_minor > 0)
        OR (kind IN ('payment', 'credit_note', 'write_off', 'refund_reversal') AND amount_minor < 0)
        OR (kind = 'credit_applied' AND amount_minor <> 0)
    )
);
INSERT INTO ledger_entries (id, account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, memo,
    created_by, created_at, payment_id, posting_id, refund_id, credit_note_id)
SELECT id, account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, memo,
    created_by, created_at, payment_id, posting_id, refund_id, credit_note_id FROM _ledger_entries;
CREATE INDEX ledger_account_idx ON ledger_entries (account_id, occurred_on, id);
CREATE INDEX ledger_invoice_idx ON ledger_entries (invoice_id);
CREATE INDEX ledger_payment_idx ON ledger_entries (payment_id);
CREATE INDEX ledger_posting_idx ON ledger_entries (posting_id);
CREATE INDEX ledger_refund_idx ON ledger_entries (refund_id);
CREATE INDEX ledger_credit_note_idx ON ledger_entries (credit_note_id);
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable'); END;

DROP TABLE _ledger_entries;
DROP TABLE _ledger_postings;
DROP TABLE _payment_events;
DROP TABLE _refunds;
DROP TABLE _payment_allocations;
DROP TABLE _payments;
