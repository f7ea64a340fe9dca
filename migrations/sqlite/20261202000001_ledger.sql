-- Ledger integrity (SQLite). Keep in step with ../postgres/.
--
-- 1. One currency per account, tied in the schema: an invoice, a ledger
--    entry, a payment, a refund, a promise, a dispute or a credit note is in
--    its account's currency, and an entry's invoice is the entry's account's.
--    SQLite cannot add a foreign key to an existing table: the ledger, which
--    is rebuilt below, gets real composite keys; the other tables get
--    triggers raising the PostgreSQL constraint's name.
-- 2. Postings: every write of the ledger is one posting (one call of
--    `app::ledger::writer::post`), unique per source (payment, refund,
--    credit note…), so the same money cannot be posted twice.
-- 3. Stored balances, kept by that writer in the posting's transaction:
--    each invoice's remaining balance, each account's balance, unapplied
--    credit, overdue and disputed figures. `relance verify-ledger`
--    recomputes them from the entries.

CREATE UNIQUE INDEX accounts_id_currency_key ON accounts (id, currency);
CREATE UNIQUE INDEX invoices_id_account_currency_key ON invoices (id, account_id, currency);
CREATE UNIQUE INDEX payments_id_currency_key ON payments (id, currency);

CREATE TRIGGER invoices_account_currency_ins BEFORE INSERT ON invoices
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'invoices_account_currency_fk'); END;
CREATE TRIGGER invoices_account_currency_upd BEFORE UPDATE OF account_id, currency ON invoices
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'invoices_account_currency_fk'); END;

CREATE TRIGGER payments_account_currency_ins BEFORE INSERT ON payments
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'payments_account_currency_fk'); END;
CREATE TRIGGER payments_account_currency_upd BEFORE UPDATE OF account_id, currency ON payments
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'payments_account_currency_fk'); END;

CREATE TRIGGER refunds_payment_currency_ins BEFORE INSERT ON refunds
WHEN NEW.currency IS NOT (SELECT currency FROM payments WHERE id = NEW.payment_id)
BEGIN SELECT RAISE(ABORT, 'refunds_payment_currency_fk'); END;
CREATE TRIGGER refunds_payment_currency_upd BEFORE UPDATE OF payment_id, currency ON refunds
WHEN NEW.currency IS NOT (SELECT currency FROM payments WHERE id = NEW.payment_id)
BEGIN SELECT RAISE(ABORT, 'refunds_payment_currency_fk'); END;

CREATE TRIGGER promises_account_currency_ins BEFORE INSERT ON promises
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'promises_account_currency_fk'); END;
CREATE TRIGGER promises_account_currency_upd BEFORE UPDATE OF account_id, currency ON promises
WHEN NEW.currency IS NOT (SELECT currency FROM accounts WHERE id = NEW.account_id)
BEGIN SELECT RAISE(ABORT, 'promises_account_currency_fk'); END;

CREATE TRIGGER disputes_invoice_ins BEFORE INSERT ON disputes
WHEN NOT EXISTS (SELECT 1 FROM invoices WHERE id = NEW.invoice_id AND account_id = NEW.account_id AND currency = NEW.currency)
BEGIN SELECT RAISE(ABORT, 'disputes_invoice_fk'); END;
CREATE TRIGGER disputes_invoice_upd BEFORE UPDATE OF invoice_id, account_id, currency ON disputes
WHEN NOT EXISTS (SELECT 1 FROM invoices WHERE id = NEW.invoice_id AND account_id = NEW.account_id AND currency = NEW.currency)
BEGIN SELECT RAISE(ABORT, 'disputes_invoice_fk'); END;

CREATE TRIGGER credit_notes_invoice_ins BEFORE INSERT ON credit_notes
WHEN NOT EXISTS (SELECT 1 FROM invoices WHERE id = NEW.invoice_id AND account_id = NEW.account_id AND currency = NEW.currency)
BEGIN SELECT RAISE(ABORT, 'credit_notes_invoice_fk'); END;
CREATE TRIGGER credit_notes_invoice_upd BEFORE UPDATE OF invoice_id, account_id, currency ON credit_notes
WHEN NOT EXISTS (SELECT 1 FROM invoices WHERE id = NEW.invoice_id AND account_id = NEW.account_id AND currency = NEW.currency)
BEGIN SELECT RAISE(ABORT, 'credit_notes_invoice_fk'); END;

-- An account's currency is fixed once anything is recorded in it.
CREATE TRIGGER accounts_currency_upd BEFORE UPDATE OF currency ON accounts
WHEN OLD.currency <> NEW.currency AND (
    EXISTS (SELECT 1 FROM invoices WHERE account_id = OLD.id)
    OR EXISTS (SELECT 1 FROM payments WHERE account_id = OLD.id)
    OR EXISTS (SELECT 1 FROM promises WHERE account_id = OLD.id))
BEGIN SELECT RAISE(ABORT, 'invoices_account_currency_fk'); END;

CREATE TABLE ledger_postings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL,
    currency TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'write_off', 'fee', 'refund',
        'refund_reversal', 'credit_application')),
    -- What was posted (`payment:12`, `refund:3`, `credit_note:7`…): at most once.
    source_key TEXT,
    occurred_on DATE NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    CONSTRAINT ledger_postings_source_key UNIQUE (source_key),
    CONSTRAINT ledger_postings_account_currency_fk FOREIGN KEY (account_id, currency) REFERENCES accounts (id, currency)
);
CREATE INDEX ledger_postings_account_idx ON ledger_postings (account_id, id);

-- SQLite cannot alter a CHECK or add a foreign key: rebuild the ledger.
CREATE TABLE ledger_entries_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invoice_id BIGINT REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'fee', 'write_off', 'refund',
        'refund_reversal', 'credit_applied')),
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
        (kind IN ('invoice', 'fee', 'refund') AND amount_minor > 0)
        OR (kind IN ('payment', 'credit_note', 'write_off', 'refund_reversal') AND amount_minor < 0)
        OR (kind = 'credit_applied' AND amount_minor <> 0)
    )
);
INSERT INTO ledger_entries_new (id, account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, memo,
    created_by, created_at, payment_id)
SELECT id, account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, memo, created_by, created_at,
    payment_id FROM ledger_entries;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_new RENAME TO ledger_entries;
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
ALTER TABLE refunds ADD COLUMN checked_at TEXT;
ALTER TABLE refunds ADD COLUMN updated_at TEXT;
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
