-- Ledger integrity (PostgreSQL). Keep in step with ../sqlite/.
--
-- 1. One currency per account, tied in the schema: an invoice, a ledger
--    entry, a payment, a refund, a promise, a dispute or a credit note is in
--    its account's currency, and an entry's invoice is the entry's account's.
-- 2. Postings: every write of the ledger is one posting (one call of
--    `app::ledger::writer::post`), unique per source (payment, refund,
--    credit note…), so the same money cannot be posted twice.
-- 3. Stored balances, kept by that writer in the posting's transaction:
--    each invoice's remaining balance, each account's balance, unapplied
--    credit, overdue and disputed figures. `relance verify-ledger`
--    recomputes them from the entries.

ALTER TABLE accounts ADD CONSTRAINT accounts_id_currency_key UNIQUE (id, currency);
ALTER TABLE invoices ADD CONSTRAINT invoices_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency);
ALTER TABLE invoices ADD CONSTRAINT invoices_id_account_currency_key UNIQUE (id, account_id, currency);
ALTER TABLE payments ADD CONSTRAINT payments_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency);
ALTER TABLE payments ADD CONSTRAINT payments_id_currency_key UNIQUE (id, currency);
ALTER TABLE refunds ADD CONSTRAINT refunds_payment_currency_fk
    FOREIGN KEY (payment_id, currency) REFERENCES payments (id, currency);
ALTER TABLE promises ADD CONSTRAINT promises_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency);
ALTER TABLE disputes ADD CONSTRAINT disputes_invoice_fk
    FOREIGN KEY (invoice_id, account_id, currency) REFERENCES invoices (id, account_id, currency);
ALTER TABLE credit_notes ADD CONSTRAINT credit_notes_invoice_fk
    FOREIGN KEY (invoice_id, account_id, currency) REFERENCES invoices (id, account_id, currency);

CREATE TABLE ledger_postings (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'write_off', 'fee', 'refund',
        'refund_reversal', 'credit_application')),
    -- What was posted (`payment:12`, `refund:3`, `credit_note:7`…): at most once.
    source_key TEXT,
    occurred_on DATE NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT ledger_postings_source_key UNIQUE (source_key),
    CONSTRAINT ledger_postings_account_currency_fk FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency)
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, id);

ALTER TABLE ledger_entries ADD COLUMN posting_id BIGINT REFERENCES ledger_postings (id);
ALTER TABLE ledger_entries ADD COLUMN refund_id BIGINT REFERENCES refunds (id);
ALTER TABLE ledger_entries ADD COLUMN credit_note_id BIGINT REFERENCES credit_notes (id);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_invoice_fk
    FOREIGN KEY (invoice_id, account_id, currency) REFERENCES invoices (id, account_id, currency);
-- A refund that failed after it was reported as succeeded gives the money
-- back to the merchant: its reversal reduces the debt again.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('invoice', 'payment', 'credit_note',
    'fee', 'write_off', 'refund', 'refund_reversal', 'credit_applied'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_sign;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_sign CHECK (
    (kind IN ('invoice', 'fee', 'refund') AND amount_minor > 0)
    OR (kind IN ('payment', 'credit_note', 'write_off', 'refund_reversal') AND amount_minor < 0)
    OR (kind = 'credit_applied' AND amount_minor <> 0)
);
CREATE INDEX ledger_posting_idx ON ledger_entries (posting_id);
CREATE INDEX ledger_refund_idx ON ledger_entries (refund_id);
CREATE INDEX ledger_credit_note_idx ON ledger_entries (credit_note_id);
DROP INDEX ledger_account_idx;
CREATE INDEX ledger_account_idx ON ledger_entries (account_id, occurred_on, id);

-- Stored balances. Invoice: the sum of its entries.
ALTER TABLE invoices ADD COLUMN balance_minor BIGINT NOT NULL DEFAULT 0;
UPDATE invoices SET balance_minor = COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = invoices.id), 0);
-- Account: the sum of its entries, of those without an invoice (negative:
-- credit), and the collection figures of its open invoices as of
-- `figures_on`, valid until `figures_until` (the day after the next due
-- date: then an invoice turns overdue and they are recomputed).
ALTER TABLE accounts ADD COLUMN balance_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN unapplied_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN overdue_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN disputed_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN open_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN figures_on DATE NOT NULL DEFAULT '1970-01-01';
ALTER TABLE accounts ADD COLUMN figures_until DATE NOT NULL DEFAULT '1970-01-01';
UPDATE accounts SET
    balance_minor = COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.account_id = accounts.id), 0),
    unapplied_minor = COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e
        WHERE e.account_id = accounts.id AND e.invoice_id IS NULL), 0);
-- Overdue, disputed and open figures are computed by the application on its
-- first start (every account is stale: figures_until is in the past).

-- Lists read the stored balances through these.
CREATE INDEX invoices_open_due_idx ON invoices (due_date, number) WHERE balance_minor > 0 AND status = 'issued';
CREATE INDEX invoices_open_account_idx ON invoices (account_id, due_date) WHERE balance_minor > 0 AND status = 'issued';
CREATE INDEX invoices_due_idx ON invoices (due_date, number);
CREATE INDEX invoices_total_idx ON invoices (total_minor DESC, number);
CREATE INDEX accounts_overdue_idx ON accounts (overdue_minor DESC, legal_name, id);
CREATE INDEX accounts_collector_overdue_idx ON accounts (collector_id, overdue_minor DESC, legal_name, id);
CREATE INDEX accounts_figures_until_idx ON accounts (figures_until);
CREATE INDEX accounts_credit_idx ON accounts (id) WHERE unapplied_minor < 0;

-- Refunds are tracked at the gateway until they settle: when we last asked
-- about a pending one, and when it last changed.
ALTER TABLE refunds ADD COLUMN checked_at TIMESTAMPTZ;
ALTER TABLE refunds ADD COLUMN updated_at TIMESTAMPTZ;
CREATE INDEX refunds_status_idx ON refunds (status, created_at);

-- One default and one autopay method per account *and gateway*: moving from
-- the sandbox to Stripe keeps the sandbox's rows.
DROP INDEX payment_methods_one_default;
DROP INDEX payment_methods_one_autopay;
CREATE UNIQUE INDEX payment_methods_one_default ON payment_methods (account_id, gateway) WHERE is_default AND removed_at IS NULL;
CREATE UNIQUE INDEX payment_methods_one_autopay ON payment_methods (account_id, gateway) WHERE autopay AND removed_at IS NULL;
CREATE INDEX payment_methods_autopay_idx ON payment_methods (gateway) WHERE autopay AND removed_at IS NULL;

-- A promise is kept by money received after it was made: the last ledger
-- entry of its account when it was made.
ALTER TABLE promises ADD COLUMN ledger_mark BIGINT NOT NULL DEFAULT 0;
UPDATE promises SET ledger_mark = COALESCE((SELECT MAX(e.id) FROM ledger_entries e
    WHERE e.account_id = promises.account_id AND e.created_at <= promises.created_at), 0);
