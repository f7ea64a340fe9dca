-- A letter or formal demand keeps the text it was recorded with (its
-- template filled in the account's language), printed in its PDF, and the
-- day staff posted it (a formal demand by registered mail): from then on
-- the client sees it in their history.
ALTER TABLE reminders ADD COLUMN letter_subject TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN letter_body TEXT NOT NULL DEFAULT '';
ALTER TABLE reminders ADD COLUMN posted_on DATE;
