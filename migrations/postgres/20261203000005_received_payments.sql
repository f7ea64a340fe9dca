-- Payments received outside the portal (transfer, cheque, cash, card
-- terminal), recorded by staff, and their reversal (a bounced cheque, a
-- recalled transfer). Keep in step with ../sqlite/ (which rebuilds the
-- tables: SQLite cannot relax a CHECK in place).
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
-- `reversed`: received, then taken back (a bounced cheque).
ALTER TABLE payments ADD CONSTRAINT payments_status_check
    CHECK (status IN ('pending', 'requires_action', 'processing', 'succeeded', 'failed', 'reversed'));
ALTER TABLE payments DROP CONSTRAINT payments_source_check;
-- `staff`: money received outside the portal, recorded in the back-office.
ALTER TABLE payments ADD CONSTRAINT payments_source_check CHECK (source IN ('portal', 'link', 'autopay', 'staff'));
-- Staff payments: how it came, when, and the bank's or cheque's reference.
ALTER TABLE payments ADD COLUMN channel TEXT CHECK (channel IN ('transfer', 'cheque', 'cash', 'card_terminal'));
ALTER TABLE payments ADD COLUMN received_on DATE;
ALTER TABLE payments ADD COLUMN reference TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD COLUMN reversed_at TIMESTAMPTZ;
ALTER TABLE payments ADD COLUMN reversal_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE payments ADD CONSTRAINT payments_staff_channel CHECK ((source = 'staff') = (channel IS NOT NULL));

ALTER TABLE ledger_postings DROP CONSTRAINT ledger_postings_kind_check;
ALTER TABLE ledger_postings ADD CONSTRAINT ledger_postings_kind_check CHECK (kind IN ('invoice', 'payment',
    'credit_note', 'write_off', 'fee', 'refund', 'refund_reversal', 'credit_application', 'payment_reversal'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('invoice', 'payment', 'credit_note',
    'fee', 'write_off', 'refund', 'refund_reversal', 'credit_applied', 'payment_reversal'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_sign;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_sign CHECK (
    (kind IN ('invoice', 'fee', 'refund', 'payment_reversal') AND amount_minor > 0)
    OR (kind IN ('payment', 'credit_note', 'write_off', 'refund_reversal') AND amount_minor < 0)
    OR (kind = 'credit_applied' AND amount_minor <> 0)
);
