-- Portfolio totals (balance and overdue per collector and currency) kept by
-- a trigger on accounts, so the accounts list shows them without summing
-- every account on each request. Unassigned accounts count under key 0.
CREATE TABLE balance_totals (
    collector_key BIGINT NOT NULL,
    currency TEXT NOT NULL,
    balance_minor BIGINT NOT NULL DEFAULT 0,
    overdue_minor BIGINT NOT NULL DEFAULT 0,
    accounts BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (collector_key, currency)
);

CREATE FUNCTION balance_totals_add(key BIGINT, cur TEXT, balance BIGINT, overdue BIGINT, n BIGINT) RETURNS void AS $$
    INSERT INTO balance_totals (collector_key, currency, balance_minor, overdue_minor, accounts)
    VALUES (key, cur, balance, overdue, n)
    ON CONFLICT (collector_key, currency) DO UPDATE SET
        balance_minor = balance_totals.balance_minor + EXCLUDED.balance_minor,
        overdue_minor = balance_totals.overdue_minor + EXCLUDED.overdue_minor,
        accounts = balance_totals.accounts + EXCLUDED.accounts;
$$ LANGUAGE sql;

CREATE FUNCTION accounts_balance_totals() RETURNS trigger AS $$
DECLARE
    old_key BIGINT;
    new_key BIGINT;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM balance_totals_add(COALESCE(NEW.collector_id, 0), NEW.currency, NEW.balance_minor, NEW.overdue_minor, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM balance_totals_add(COALESCE(OLD.collector_id, 0), OLD.currency, -OLD.balance_minor, -OLD.overdue_minor, -1);
    ELSE
        old_key := COALESCE(OLD.collector_id, 0);
        new_key := COALESCE(NEW.collector_id, 0);
        IF old_key = new_key AND OLD.currency = NEW.currency THEN
            PERFORM balance_totals_add(new_key, NEW.currency, NEW.balance_minor - OLD.balance_minor,
                NEW.overdue_minor - OLD.overdue_minor, 0);
        ELSIF old_key <= new_key THEN
            -- Two totals rows: always in key order, so two reassignments in
            -- opposite directions cannot deadlock.
            PERFORM balance_totals_add(old_key, OLD.currency, -OLD.balance_minor, -OLD.overdue_minor, -1);
            PERFORM balance_totals_add(new_key, NEW.currency, NEW.balance_minor, NEW.overdue_minor, 1);
        ELSE
            PERFORM balance_totals_add(new_key, NEW.currency, NEW.balance_minor, NEW.overdue_minor, 1);
            PERFORM balance_totals_add(old_key, OLD.currency, -OLD.balance_minor, -OLD.overdue_minor, -1);
        END IF;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_balance_totals_ins AFTER INSERT OR DELETE ON accounts
FOR EACH ROW EXECUTE FUNCTION accounts_balance_totals();
CREATE TRIGGER accounts_balance_totals_upd AFTER UPDATE OF balance_minor, overdue_minor, collector_id, currency ON accounts
FOR EACH ROW
WHEN (OLD.balance_minor IS DISTINCT FROM NEW.balance_minor OR OLD.overdue_minor IS DISTINCT FROM NEW.overdue_minor
      OR OLD.collector_id IS DISTINCT FROM NEW.collector_id OR OLD.currency IS DISTINCT FROM NEW.currency)
EXECUTE FUNCTION accounts_balance_totals();

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
    started_at TIMESTAMPTZ NOT NULL
);
