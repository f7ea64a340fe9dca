-- A reminder step may send the account's statement with its e-mail (issue
-- 15): the mailer builds it when the message leaves. Keep in step with the
-- other backend.
ALTER TABLE reminder_steps ADD COLUMN attach_statement BOOLEAN NOT NULL DEFAULT FALSE;
