-- An e-mail that carries an invoice: the mailer attaches the invoice's PDF
-- (rendered when it is sent, in the account's language).
ALTER TABLE outbox ADD COLUMN invoice_id BIGINT REFERENCES invoices (id);
-- The seller's identifiers, printed on every invoice (and in its e-invoice).
ALTER TABLE merchant ADD COLUMN siren TEXT NOT NULL DEFAULT '';
ALTER TABLE merchant ADD COLUMN vat_number TEXT NOT NULL DEFAULT '';
