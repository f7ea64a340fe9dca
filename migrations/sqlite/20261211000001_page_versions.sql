-- Page versions: what the client's documents (app::pages::is_document)
-- were rendered from. server::page_cache keeps a rendered document while
-- the account's `page_version` and the merchant-wide `page_epoch` are the
-- ones read with the session; these triggers move them on every write that
-- changes what a document shows. server::page_cache::PAGE_SOURCES lists the
-- tables watched and why the others are not; a test holds both to the schema.

ALTER TABLE accounts ADD COLUMN page_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE page_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO page_epoch (id, version) VALUES (1, 0);

CREATE TRIGGER accounts_page_version AFTER UPDATE OF legal_name, code, kind, currency, balance_minor, unapplied_minor, search_text, time_zone, country, siren, billing_email, language, segment, collector_id, archived_at ON accounts
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.id; END;

CREATE TRIGGER audit_log_page_version_ins AFTER INSERT ON audit_log
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER audit_log_page_version_upd AFTER UPDATE ON audit_log
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER audit_log_page_version_del AFTER DELETE ON audit_log
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER disputes_page_version_ins AFTER INSERT ON disputes
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER disputes_page_version_upd AFTER UPDATE ON disputes
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER disputes_page_version_del AFTER DELETE ON disputes
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER invoices_page_version_ins AFTER INSERT ON invoices
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER invoices_page_version_upd AFTER UPDATE ON invoices
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER invoices_page_version_del AFTER DELETE ON invoices
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER ledger_entries_page_version_ins AFTER INSERT ON ledger_entries
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER ledger_entries_page_version_upd AFTER UPDATE ON ledger_entries
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER ledger_entries_page_version_del AFTER DELETE ON ledger_entries
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER payments_page_version_ins AFTER INSERT ON payments
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER payments_page_version_upd AFTER UPDATE OF status ON payments
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER payments_page_version_del AFTER DELETE ON payments
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER promises_page_version_ins AFTER INSERT ON promises
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER promises_page_version_upd AFTER UPDATE ON promises
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER promises_page_version_del AFTER DELETE ON promises
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER reminders_page_version_ins AFTER INSERT ON reminders
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = NEW.account_id; END;
CREATE TRIGGER reminders_page_version_upd AFTER UPDATE ON reminders
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN (OLD.account_id, NEW.account_id); END;
CREATE TRIGGER reminders_page_version_del AFTER DELETE ON reminders
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = OLD.account_id; END;

CREATE TRIGGER invoice_lines_page_version_ins AFTER INSERT ON invoice_lines
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = (SELECT account_id FROM invoices WHERE id = NEW.invoice_id); END;
CREATE TRIGGER invoice_lines_page_version_upd AFTER UPDATE ON invoice_lines
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN ((SELECT account_id FROM invoices WHERE id = OLD.invoice_id), (SELECT account_id FROM invoices WHERE id = NEW.invoice_id)); END;
CREATE TRIGGER invoice_lines_page_version_del AFTER DELETE ON invoice_lines
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = (SELECT account_id FROM invoices WHERE id = OLD.invoice_id); END;

CREATE TRIGGER payment_allocations_page_version_ins AFTER INSERT ON payment_allocations
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = (SELECT account_id FROM payments WHERE id = NEW.payment_id); END;
CREATE TRIGGER payment_allocations_page_version_upd AFTER UPDATE ON payment_allocations
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN ((SELECT account_id FROM payments WHERE id = OLD.payment_id), (SELECT account_id FROM payments WHERE id = NEW.payment_id)); END;
CREATE TRIGGER payment_allocations_page_version_del AFTER DELETE ON payment_allocations
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = (SELECT account_id FROM payments WHERE id = OLD.payment_id); END;

CREATE TRIGGER promise_invoices_page_version_ins AFTER INSERT ON promise_invoices
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = (SELECT account_id FROM promises WHERE id = NEW.promise_id); END;
CREATE TRIGGER promise_invoices_page_version_upd AFTER UPDATE ON promise_invoices
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id IN ((SELECT account_id FROM promises WHERE id = OLD.promise_id), (SELECT account_id FROM promises WHERE id = NEW.promise_id)); END;
CREATE TRIGGER promise_invoices_page_version_del AFTER DELETE ON promise_invoices
BEGIN UPDATE accounts SET page_version = page_version + 1 WHERE id = (SELECT account_id FROM promises WHERE id = OLD.promise_id); END;

-- The late-charge rates apply to every account.
CREATE TRIGGER reference_rates_page_epoch_ins AFTER INSERT ON reference_rates
BEGIN UPDATE page_epoch SET version = version + 1; END;
CREATE TRIGGER reference_rates_page_epoch_upd AFTER UPDATE ON reference_rates
BEGIN UPDATE page_epoch SET version = version + 1; END;
CREATE TRIGGER reference_rates_page_epoch_del AFTER DELETE ON reference_rates
BEGIN UPDATE page_epoch SET version = version + 1; END;
