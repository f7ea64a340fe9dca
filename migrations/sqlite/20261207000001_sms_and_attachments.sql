-- Reminders by text message and with their invoices attached.
-- `sms_outbox`: texts the reminder engine (or an approval) queues in the
-- same transaction as the reminder; the server's SMS provider delivers
-- them with a lease and retries, as the mail outbox. `sms_opt_outs`: the
-- numbers (E.164) that replied STOP, or that the provider reports as
-- unsubscribed; nothing is texted to them until they reply START.
-- `outbox_invoices`: the invoices whose PDFs go with a message.
-- Keep in step with ../postgres/.
CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    reminder_id BIGINT REFERENCES reminders (id),
    to_phone TEXT NOT NULL,
    body TEXT NOT NULL,
    -- blocked: the number opted out before the text left.
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    -- The provider's id for the message (Twilio's `SM…` sid).
    provider_ref TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX sms_outbox_pending_idx ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_account_idx ON sms_outbox (account_id);

CREATE TABLE sms_opt_outs (
    phone TEXT PRIMARY KEY,
    -- 'reply' (the client texted STOP) or 'provider' (it refused the number).
    source TEXT NOT NULL CHECK (source IN ('reply', 'provider')),
    opted_out_at TEXT NOT NULL
);

CREATE TABLE outbox_invoices (
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    PRIMARY KEY (outbox_id, invoice_id)
);
