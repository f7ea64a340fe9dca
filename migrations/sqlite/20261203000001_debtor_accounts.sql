-- Debtor accounts entered by staff: legal identifiers, structured address,
-- kind of customer, terms, notes, archiving. Keep in step with ../postgres/.
ALTER TABLE accounts ADD COLUMN kind TEXT NOT NULL DEFAULT 'business' CHECK (kind IN ('business', 'consumer'));
-- 9 digits (Luhn-checked by the application).
ALTER TABLE accounts ADD COLUMN siren TEXT CHECK (length(siren) = 9);
-- 14 digits, starting with the SIREN when both are known.
ALTER TABLE accounts ADD COLUMN siret TEXT CHECK (length(siret) = 14);
ALTER TABLE accounts ADD COLUMN vat_number TEXT;
-- The account's id in the merchant's other system (imports match on it).
ALTER TABLE accounts ADD COLUMN external_id TEXT;
-- More billing addresses, comma-separated, copied on invoices and reminders.
ALTER TABLE accounts ADD COLUMN billing_cc TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN postal_code TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN country TEXT NOT NULL DEFAULT 'FR' CHECK (length(country) = 2);
-- Terms: payment_terms_days after the issue date, or after the end of its month.
ALTER TABLE accounts ADD COLUMN terms_end_of_month BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN archived_at TEXT;
ALTER TABLE accounts ADD COLUMN updated_at TEXT;
CREATE UNIQUE INDEX accounts_siren_key ON accounts (siren);
CREATE UNIQUE INDEX accounts_external_id_key ON accounts (external_id);
