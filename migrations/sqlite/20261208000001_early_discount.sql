-- Early-payment discount taken in the portal (issue 13, point 4): what a
-- payment's line leaves to a credit note when it succeeds, so that the
-- invoice is settled in full. A payment in flight holds its invoices for
-- `amount_minor + discount_minor`. Keep in step with the other backend.
ALTER TABLE payment_allocations ADD COLUMN discount_minor BIGINT NOT NULL DEFAULT 0 CHECK (discount_minor >= 0);
