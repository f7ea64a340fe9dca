-- Pay-by-link tokens are recorded so that staff can see and revoke them: a
-- token names its row (claim `jti`), and a link whose row is revoked,
-- expired or missing opens nothing.
CREATE TABLE pay_links (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    revoked_by BIGINT REFERENCES users (id)
);
CREATE INDEX pay_links_invoice_idx ON pay_links (invoice_id, id);
