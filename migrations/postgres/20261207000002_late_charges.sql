-- Late charges (issue 13, point 4). `reference_rates`: rates the owner
-- adds to the shipped table (a change published since, or a correction),
-- each with its source; read after the shipped rows, so on the same date
-- the owner's value wins. `late_charges`: what was posted to the ledger (a
-- `fee` entry on the invoice, key `late:{invoice}:{kind}:{period_end}`),
-- once per invoice, kind and period: penalties charged up to `period_end`,
-- the fixed indemnity once (its period ends on the due date).
-- Keep in step with ../postgres/.
CREATE TABLE reference_rates (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('ecb_mro', 'fr_legal_professional', 'boe_base')),
    valid_from DATE NOT NULL,
    -- A decimal percentage, exact (`2.15`).
    percent TEXT NOT NULL,
    source TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE late_charges (
    id BIGSERIAL PRIMARY KEY,
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    kind TEXT NOT NULL CHECK (kind IN ('penalty', 'indemnity')),
    period_end DATE NOT NULL,
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    -- The reminder step that applied it, or the owner who did.
    reminder_id BIGINT REFERENCES reminders (id),
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (invoice_id, kind, period_end)
);
