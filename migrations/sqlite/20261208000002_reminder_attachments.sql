-- The reminder job's writes (issue 13, its throughput): a reminder e-mail's
-- attachments are the invoices the reminder covers (`reminder_invoices`,
-- through `reminders.outbox_id`), so `outbox_invoices` repeated a row per
-- invoice for nothing and goes; the mailer reads them through the reminder.
-- Answered broken promises (`cycle > 0`, few rows) get their own index: the
-- job asks for them per account. Keep in step with the other backend.
DROP TABLE outbox_invoices;
CREATE INDEX reminders_outbox_idx ON reminders (outbox_id) WHERE outbox_id IS NOT NULL;
CREATE INDEX reminder_invoices_cycles_idx ON reminder_invoices (invoice_id, step_id, cycle) WHERE cycle > 0;
