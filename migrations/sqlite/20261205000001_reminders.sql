-- Reminders (relances): plans of ordered steps, assigned by segment and
-- overridable per account; what the engine did, one row per account, step
-- and day (unique: planning is idempotent), the invoices each reminder
-- covered (unique per invoice, step and cycle: an invoice gets each step
-- once), and the tasks it leaves for the collector. Keep in step with
-- ../postgres/.
CREATE TABLE reminder_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    -- The legal regime it is written for (late charges, formal demands).
    customer_kind TEXT NOT NULL CHECK (customer_kind IN ('business', 'consumer')),
    -- Below this much due (the account's currency, minor units) nothing is sent.
    min_amount_minor BIGINT NOT NULL DEFAULT 0 CHECK (min_amount_minor >= 0),
    archived_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX reminder_plans_name_idx ON reminder_plans (name) WHERE archived_at IS NULL;

CREATE TABLE reminder_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id BIGINT NOT NULL REFERENCES reminder_plans (id),
    position INTEGER NOT NULL CHECK (position >= 1),
    -- Days counted from the invoice's due date (negative: before it), from
    -- the previous step, or from a broken promise.
    anchor TEXT NOT NULL CHECK (anchor IN ('due_date', 'previous_step', 'broken_promise')),
    offset_days INTEGER NOT NULL CHECK (offset_days BETWEEN -365 AND 3650),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'letter', 'formal_demand', 'call', 'task')),
    needs_approval BOOLEAN NOT NULL DEFAULT FALSE,
    late_charges BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (plan_id, position)
);

-- A step's message per language; placeholders in braces (reminders::template).
CREATE TABLE reminder_templates (
    step_id BIGINT NOT NULL REFERENCES reminder_steps (id),
    language TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (step_id, language)
);

CREATE TABLE segment_reminder_plans (
    segment TEXT PRIMARY KEY CHECK (segment IN ('key', 'standard', 'small')),
    plan_id BIGINT NOT NULL REFERENCES reminder_plans (id)
);

ALTER TABLE accounts ADD COLUMN reminder_plan_id BIGINT REFERENCES reminder_plans (id);
ALTER TABLE accounts ADD COLUMN reminders_excluded BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN reminders_paused_until DATE;
ALTER TABLE accounts ADD COLUMN reminders_paused_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN insolvent_since DATE;
-- IANA zone: reminders leave inside the send window in the account's time.
ALTER TABLE accounts ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Europe/Paris';

-- The merchant's send window (one row; defaults when absent).
CREATE TABLE reminder_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- Monday..Sunday as 7 characters, 'Y' or 'N'.
    days TEXT NOT NULL CHECK (length(days) = 7),
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    calendar TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE reminders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    step_id BIGINT NOT NULL REFERENCES reminder_steps (id),
    -- `{account}:{step}:{day in the account's zone}`: two instances planning
    -- the same reminder write one row.
    key TEXT NOT NULL UNIQUE,
    -- What went out: the step's channel, or the task that replaced it.
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'letter', 'formal_demand', 'call', 'task')),
    status TEXT NOT NULL CHECK (status IN ('sent', 'task', 'awaiting_approval', 'cancelled')),
    -- Why its channel changed (reminders::Hold), if it did.
    reason TEXT NOT NULL DEFAULT '',
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    outbox_id BIGINT REFERENCES outbox (id),
    created_at TEXT NOT NULL
);
CREATE INDEX reminders_account_idx ON reminders (account_id, created_at);

CREATE TABLE reminder_invoices (
    reminder_id BIGINT NOT NULL REFERENCES reminders (id),
    invoice_id BIGINT NOT NULL REFERENCES invoices (id),
    step_id BIGINT NOT NULL REFERENCES reminder_steps (id),
    -- 0, or the broken promise a `broken_promise` step answers.
    cycle BIGINT NOT NULL DEFAULT 0,
    -- The step's position (0 for a broken-promise step): where the invoice
    -- stands in its plan.
    position INTEGER NOT NULL,
    -- The day (the account's) the invoice reached the step.
    reached_on DATE NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (reminder_id, invoice_id),
    UNIQUE (invoice_id, step_id, cycle)
);
CREATE INDEX reminder_invoices_invoice_idx ON reminder_invoices (invoice_id, position);

-- The collector's to-do: calls and manual tasks a step asks for.
CREATE TABLE collection_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    reminder_id BIGINT REFERENCES reminders (id),
    kind TEXT NOT NULL CHECK (kind IN ('call', 'task', 'letter')),
    due_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'done')),
    note TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    done_by BIGINT REFERENCES users (id),
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX collection_tasks_open_idx ON collection_tasks (status, due_on);
