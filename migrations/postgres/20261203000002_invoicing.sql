-- Invoices written in Relance: drafts, gap-free numbering, frozen documents.
-- Keep in step with ../sqlite/.

-- A draft is a working copy: no number, nothing owed, edited freely.
-- Its lines are the form's, as JSON (domain::document::DraftLine).
CREATE TABLE invoice_drafts (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    -- NULL: the day it is issued; the due date then follows the terms.
    issue_date DATE,
    due_date DATE,
    early_discount_bp INTEGER CHECK (early_discount_bp BETWEEN 1 AND 10000),
    early_discount_days INTEGER CHECK (early_discount_days BETWEEN 1 AND 365),
    note TEXT NOT NULL DEFAULT '',
    lines TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX invoice_drafts_account_idx ON invoice_drafts (account_id, id);

-- The last number given in each series (invoice, credit note) and year:
-- taken and incremented in the issuing transaction, so numbers follow
-- each other without a gap (French rule: a continuous chronological series).
CREATE TABLE number_series (
    series TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_number BIGINT NOT NULL CHECK (last_number >= 0),
    PRIMARY KEY (series, year)
);

ALTER TABLE invoices ADD COLUMN early_discount_bp INTEGER;
ALTER TABLE invoices ADD COLUMN early_discount_days INTEGER;
ALTER TABLE invoices ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- Seller and buyer as printed when issued (JSON): the document never changes.
ALTER TABLE invoices ADD COLUMN parties TEXT NOT NULL DEFAULT '';
ALTER TABLE invoices ADD COLUMN created_by BIGINT REFERENCES users (id);
ALTER TABLE invoice_lines ADD COLUMN unit TEXT NOT NULL DEFAULT '';
ALTER TABLE invoice_lines ADD COLUMN discount_bp INTEGER NOT NULL DEFAULT 0 CHECK (discount_bp BETWEEN 0 AND 10000);
-- domain::document::VatCategory; NULL on lines written before it (standard or zero by rate).
ALTER TABLE invoice_lines ADD COLUMN vat_category TEXT;
ALTER TABLE credit_notes ADD COLUMN reason TEXT NOT NULL DEFAULT '';

-- An issued invoice is never edited: it is corrected by a credit note.
-- Only what the ledger keeps (balance) and voiding may change.
CREATE FUNCTION invoices_frozen() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'invoices_frozen' USING ERRCODE = 'check_violation'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoices_frozen BEFORE UPDATE OF account_id, number, issue_date, due_date, currency, subtotal_minor,
    tax_minor, total_minor, early_discount_bp, early_discount_days, note, parties ON invoices
FOR EACH ROW EXECUTE FUNCTION invoices_frozen();
CREATE TRIGGER invoice_lines_frozen BEFORE UPDATE OR DELETE ON invoice_lines
FOR EACH ROW EXECUTE FUNCTION invoices_frozen();
