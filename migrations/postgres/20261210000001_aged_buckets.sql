-- The aging's buckets of each account's open invoices, kept with its other
-- collection figures (`crate::ledger::balances`): what each owes not yet
-- due, 1-30, 31-60, 61-90, 91-120 and over 120 days past due, and how many
-- invoices are open. Today's aging reads these rows, not every open
-- invoice. Each is computed here as of the account's `figures_on`, as the
-- other figures are (`relance verify-ledger` checks them all), and every
-- account is made stale: `figures_until` now also ends the day before an
-- invoice moves to the next bucket, so the first start recomputes them.
ALTER TABLE accounts
    ADD COLUMN aged_b0 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN aged_b1 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN aged_b2 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN aged_b3 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN aged_b4 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN aged_b5 BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN open_invoices BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET (aged_b0, aged_b1, aged_b2, aged_b3, aged_b4, aged_b5, open_invoices) = (
    SELECT CAST(COALESCE(SUM(i.balance_minor) FILTER (WHERE i.due_date >= accounts.figures_on), 0) AS BIGINT),
           CAST(COALESCE(SUM(i.balance_minor) FILTER (WHERE i.due_date < accounts.figures_on AND i.due_date >= (accounts.figures_on - 30)), 0) AS BIGINT),
           CAST(COALESCE(SUM(i.balance_minor) FILTER (WHERE i.due_date < (accounts.figures_on - 30) AND i.due_date >= (accounts.figures_on - 60)), 0) AS BIGINT),
           CAST(COALESCE(SUM(i.balance_minor) FILTER (WHERE i.due_date < (accounts.figures_on - 60) AND i.due_date >= (accounts.figures_on - 90)), 0) AS BIGINT),
           CAST(COALESCE(SUM(i.balance_minor) FILTER (WHERE i.due_date < (accounts.figures_on - 90) AND i.due_date >= (accounts.figures_on - 120)), 0) AS BIGINT),
           CAST(COALESCE(SUM(i.balance_minor) FILTER (WHERE i.due_date < (accounts.figures_on - 120)), 0) AS BIGINT),
           CAST(COUNT(*) AS BIGINT)
    FROM invoices i WHERE i.account_id = accounts.id AND i.status = 'issued' AND i.balance_minor > 0),
    figures_until = '1970-01-01';
