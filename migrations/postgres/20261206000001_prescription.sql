-- What interrupts an invoice's prescription (Code civil 2240 and 2241):
-- the debtor's acknowledgement of the debt, or a court claim. Each starts
-- a new period of the same length from its date (Code civil 2231). A
-- reminder or a formal demand does not interrupt it and is not recorded
-- here.
CREATE TABLE prescription_interruptions (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'court_claim')),
    occurred_on DATE NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX prescription_interruptions_invoice_idx ON prescription_interruptions (invoice_id);
