-- A credit note's VAT breakdown: the taxable amount and VAT it takes back
-- per category and rate (domain::credit), so it prints HT / TVA / TTC and
-- travels as an EN 16931 credit note (381). None for a credit note on an
-- invoice without lines (imported from totals only). Imported credit notes
-- name their import. Keep in step with the other backend's file.
CREATE TABLE credit_note_vat (
    credit_note_id BIGINT NOT NULL REFERENCES credit_notes (id),
    vat_category TEXT NOT NULL,
    rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    base_minor BIGINT NOT NULL CHECK (base_minor >= 0),
    tax_minor BIGINT NOT NULL CHECK (tax_minor >= 0),
    PRIMARY KEY (credit_note_id, vat_category)
);
ALTER TABLE credit_notes ADD COLUMN import_id BIGINT REFERENCES imports (id);
