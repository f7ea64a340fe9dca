-- Relance foundation schema (PostgreSQL). Keep in step with ../postgres/.
-- Money: BIGINT minor units + ISO-4217 currency. Timestamps: UTC, written by the app clock.

CREATE TABLE merchant (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    company_name TEXT NOT NULL,
    legal_id TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    default_currency TEXT NOT NULL CHECK (char_length(default_currency) = 3),
    default_locale TEXT NOT NULL CHECK (default_locale IN ('fr', 'en')),
    payment_terms_days INTEGER NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('owner', 'collector', 'accountant', 'client')),
    account_id BIGINT,
    locale TEXT CHECK (locale IN ('fr', 'en')),
    phone TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_client_has_account CHECK ((role = 'client') = (account_id IS NOT NULL))
);

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL,
    legal_name TEXT NOT NULL,
    billing_email TEXT NOT NULL,
    billing_phone TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    segment TEXT NOT NULL CHECK (segment IN ('key', 'standard', 'small')),
    collector_id BIGINT REFERENCES users (id),
    payment_terms_days INTEGER NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
    credit_limit_minor BIGINT NOT NULL DEFAULT 0 CHECK (credit_limit_minor >= 0),
    currency TEXT NOT NULL CHECK (char_length(currency) = 3),
    -- Lower-cased code, name and e-mail, folded by the application
    -- (domain::search_key) so search behaves the same on both backends.
    search_text TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT accounts_code_key UNIQUE (code)
);
ALTER TABLE users ADD CONSTRAINT users_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id);
CREATE INDEX accounts_collector_idx ON accounts (collector_id);

CREATE TABLE invoices (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    number TEXT NOT NULL,
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL,
    currency TEXT NOT NULL CHECK (char_length(currency) = 3),
    subtotal_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    status TEXT NOT NULL CHECK (status IN ('issued', 'void')),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT invoices_number_key UNIQUE (number),
    CONSTRAINT invoices_due_after_issue CHECK (due_date >= issue_date)
);
CREATE INDEX invoices_account_idx ON invoices (account_id, due_date);

CREATE TABLE invoice_lines (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    position INTEGER NOT NULL,
    description TEXT NOT NULL,
    quantity_milli BIGINT NOT NULL CHECK (quantity_milli > 0),
    unit_price_minor BIGINT NOT NULL,
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    net_minor BIGINT NOT NULL,
    tax_minor BIGINT NOT NULL,
    CONSTRAINT invoice_lines_position_key UNIQUE (invoice_id, position)
);

-- Immutable accounts-receivable ledger. Positive amounts increase what the
-- client owes (invoice, fee); negative ones decrease it (payment, credit note,
-- write-off). Every balance is a SUM over these rows.
CREATE TABLE ledger_entries (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    invoice_id BIGINT REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('invoice', 'payment', 'credit_note', 'fee', 'write_off')),
    amount_minor BIGINT NOT NULL,
    currency TEXT NOT NULL CHECK (char_length(currency) = 3),
    occurred_on DATE NOT NULL,
    reference TEXT NOT NULL DEFAULT '',
    memo TEXT NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT ledger_sign CHECK (
        (kind IN ('invoice', 'fee') AND amount_minor > 0)
        OR (kind IN ('payment', 'credit_note', 'write_off') AND amount_minor < 0)
    )
);
CREATE INDEX ledger_account_idx ON ledger_entries (account_id, occurred_on);
CREATE INDEX ledger_invoice_idx ON ledger_entries (invoice_id);

CREATE FUNCTION ledger_entries_immutable() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'ledger entries are immutable'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION ledger_entries_immutable();

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE auth_attempts (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX auth_attempts_scope_idx ON auth_attempts (scope, occurred_at);

-- Single-use links (invitation, password reset); only a hash of the token is kept.
CREATE TABLE user_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT user_tokens_hash_key UNIQUE (token_hash)
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    actor_user_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id BIGINT,
    account_id BIGINT REFERENCES accounts (id),
    details TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT '',
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_account_idx ON audit_log (account_id, occurred_at);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    account_id BIGINT REFERENCES accounts (id),
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_pending_idx ON outbox (status, next_attempt_at);
