-- The aging of a past day and the exports of a period read the entries
-- by their date; the aging reads the accounts with credit not yet
-- applied. Keep in step with the other backend.
CREATE INDEX ledger_occurred_idx ON ledger_entries (occurred_on);
CREATE INDEX accounts_unapplied_idx ON accounts (id) WHERE unapplied_minor <> 0;
