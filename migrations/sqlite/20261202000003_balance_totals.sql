-- Portfolio totals (balance and overdue per collector and currency) kept by
-- triggers on accounts, so the accounts list shows them without summing
-- every account on each request. Unassigned accounts count under key 0.
CREATE TABLE balance_totals (
    collector_key BIGINT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor BIGINT NOT NULL DEFAULT 0,
    overdue_minor BIGINT NOT NULL DEFAULT 0,
    accounts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (collector_key, currency)
);

CREATE TRIGGER accounts_balance_totals_ins AFTER INSERT ON accounts
BEGIN
    INSERT INTO balance_totals (collector_key, currency, balance_minor, overdue_minor, accounts)
    VALUES (COALESCE(NEW.collector_id, 0), NEW.currency, NEW.balance_minor, NEW.overdue_minor, 1)
    ON CONFLICT (collector_key, currency) DO UPDATE SET
        balance_minor = balance_minor + excluded.balance_minor,
        overdue_minor = overdue_minor + excluded.overdue_minor,
        accounts = accounts + excluded.accounts;
END;

CREATE TRIGGER accounts_balance_totals_del AFTER DELETE ON accounts
BEGIN
    UPDATE balance_totals SET balance_minor = balance_minor - OLD.balance_minor,
        overdue_minor = overdue_minor - OLD.overdue_minor, accounts = accounts - 1
    WHERE collector_key = COALESCE(OLD.collector_id, 0) AND currency = OLD.currency;
END;

CREATE TRIGGER accounts_balance_totals_upd AFTER UPDATE OF balance_minor, overdue_minor, collector_id, currency ON accounts
WHEN OLD.balance_minor IS NOT NEW.balance_minor OR OLD.overdue_minor IS NOT NEW.overdue_minor
     OR OLD.collector_id IS NOT NEW.collector_id OR OLD.currency IS NOT NEW.currency
BEGIN
    UPDATE balance_totals SET balance_minor = balance_minor - OLD.balance_minor,
        overdue_minor = overdue_minor - OLD.overdue_minor, accounts = accounts - 1
    WHERE collector_key = COALESCE(OLD.collector_id, 0) AND currency = OLD.currency;
    INSERT INTO balance_totals (collector_key, currency, balance_minor, overdue_minor, accounts)
    VALUES (COALESCE(NEW.collector_id, 0), NEW.currency, NEW.balance_minor, NEW.overdue_minor, 1)
    ON CONFLICT (collector_key, currency) DO UPDATE SET
        balance_minor = balance_minor + excluded.balance_minor,
        overdue_minor = overdue_minor + excluded.overdue_minor,
        accounts = accounts + excluded.accounts;
END;

INSERT INTO balance_totals (collector_key, currency, balance_minor, overdue_minor, accounts)
SELECT COALESCE(collector_id, 0), currency, SUM(balance_minor), SUM(overdue_minor), COUNT(*)
FROM accounts GROUP BY COALESCE(collector_id, 0), currency;

-- The jobs read only what changed: payments in flight, accounts with credit
-- to apply, promises of accounts with new postings since the last pass.
DROP INDEX accounts_credit_idx;
CREATE INDEX accounts_credit_idx ON accounts (id) WHERE unapplied_minor < 0 AND open_minor > 0;
CREATE INDEX payments_in_flight_idx ON payments (gateway, updated_at)
    WHERE status IN ('pending', 'requires_action', 'processing');
CREATE INDEX ledger_postings_created_idx ON ledger_postings (created_at);
CREATE TABLE job_runs (
    job TEXT PRIMARY KEY,
    started_at TEXT NOT NULL
);
