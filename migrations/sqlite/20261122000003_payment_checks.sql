-- When the reconciliation job last asked the gateway about a payment in
-- flight: a SEPA debit stays `processing` for days and must not be asked
-- about on every pass.
ALTER TABLE payments ADD COLUMN checked_at TEXT;
