-- Page versions: what the client's documents (app::pages::is_document)
-- were rendered from. server::page_cache keeps a rendered document while
-- the account's `page_version` and the merchant-wide `page_epoch` are the
-- ones read with the session; these triggers move them on every write that
-- changes what a document shows. server::page_cache::PAGE_SOURCES lists the
-- tables watched and why the others are not; a test holds both to the schema.
--
-- A version is a number drawn once per writing transaction
-- (`page_version_tx`): readers only compare it for equality, and a
-- transaction writing a thousand rows of one account (an import) sets it
-- once, instead of leaving a thousand dead versions of the account's row.
-- It comes from a sequence, not from the transaction id: pg_dump carries a
-- sequence over, while a restored cluster would count transaction ids
-- again from low numbers, and could meet a stored version.

ALTER TABLE accounts ADD COLUMN page_version BIGINT NOT NULL DEFAULT 0;
CREATE TABLE page_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO page_epoch (id, version) VALUES (1, 0);
CREATE SEQUENCE page_version_seq;

-- This transaction's version: drawn on its first call, then kept in a
-- setting local to the transaction.
CREATE FUNCTION page_version_tx() RETURNS BIGINT AS $$
DECLARE
    v TEXT := current_setting('relance.page_version', true);
BEGIN
    IF v IS NULL OR v = '' THEN
        v := nextval('page_version_seq')::TEXT;
        PERFORM set_config('relance.page_version', v, true);
    END IF;
    RETURN v::BIGINT;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION accounts_page_version() RETURNS trigger AS $$
BEGIN NEW.page_version := page_version_tx(); RETURN NEW; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_page_version BEFORE UPDATE OF legal_name, code, kind, currency, balance_minor, unapplied_minor, search_text, time_zone, country, siren, billing_email, language, segment, collector_id, archived_at ON accounts
FOR EACH ROW EXECUTE FUNCTION accounts_page_version();

-- A row with its own account_id: its old and new accounts.
CREATE FUNCTION page_version_bump() RETURNS trigger AS $$
DECLARE
    tx BIGINT := page_version_tx();
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE accounts SET page_version = tx WHERE id = OLD.account_id AND page_version <> tx;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE accounts SET page_version = tx WHERE id = NEW.account_id AND page_version <> tx;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_page_version AFTER INSERT OR UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
CREATE TRIGGER disputes_page_version AFTER INSERT OR UPDATE OR DELETE ON disputes
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
CREATE TRIGGER invoices_page_version AFTER INSERT OR UPDATE OR DELETE ON invoices
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
CREATE TRIGGER ledger_entries_page_version AFTER INSERT OR UPDATE OR DELETE ON ledger_entries
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
CREATE TRIGGER payments_page_version AFTER INSERT OR UPDATE OF status OR DELETE ON payments
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
CREATE TRIGGER promises_page_version AFTER INSERT OR UPDATE OR DELETE ON promises
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
CREATE TRIGGER reminders_page_version AFTER INSERT OR UPDATE OR DELETE ON reminders
FOR EACH ROW EXECUTE FUNCTION page_version_bump();
-- (A payment's other columns, its checks above all, change nothing a
-- document shows.)

-- invoice_lines reaches its account through invoices.
CREATE FUNCTION invoice_lines_page_version() RETURNS trigger AS $$
DECLARE
    tx BIGINT := page_version_tx();
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE accounts SET page_version = tx
        WHERE id = (SELECT account_id FROM invoices WHERE id = OLD.invoice_id) AND page_version <> tx;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE accounts SET page_version = tx
        WHERE id = (SELECT account_id FROM invoices WHERE id = NEW.invoice_id) AND page_version <> tx;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER invoice_lines_page_version AFTER INSERT OR UPDATE OR DELETE ON invoice_lines
FOR EACH ROW EXECUTE FUNCTION invoice_lines_page_version();

-- payment_allocations reaches its account through payments.
CREATE FUNCTION payment_allocations_page_version() RETURNS trigger AS $$
DECLARE
    tx BIGINT := page_version_tx();
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE accounts SET page_version = tx
        WHERE id = (SELECT account_id FROM payments WHERE id = OLD.payment_id) AND page_version <> tx;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE accounts SET page_version = tx
        WHERE id = (SELECT account_id FROM payments WHERE id = NEW.payment_id) AND page_version <> tx;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payment_allocations_page_version AFTER INSERT OR UPDATE OR DELETE ON payment_allocations
FOR EACH ROW EXECUTE FUNCTION payment_allocations_page_version();

-- promise_invoices reaches its account through promises.
CREATE FUNCTION promise_invoices_page_version() RETURNS trigger AS $$
DECLARE
    tx BIGINT := page_version_tx();
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE accounts SET page_version = tx
        WHERE id = (SELECT account_id FROM promises WHERE id = OLD.promise_id) AND page_version <> tx;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE accounts SET page_version = tx
        WHERE id = (SELECT account_id FROM promises WHERE id = NEW.promise_id) AND page_version <> tx;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER promise_invoices_page_version AFTER INSERT OR UPDATE OR DELETE ON promise_invoices
FOR EACH ROW EXECUTE FUNCTION promise_invoices_page_version();

-- The late-charge rates apply to every account.
CREATE FUNCTION page_epoch_bump() RETURNS trigger AS $$
BEGIN UPDATE page_epoch SET version = page_version_tx() WHERE version <> page_version_tx(); RETURN NULL; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER reference_rates_page_epoch AFTER INSERT OR UPDATE OR DELETE ON reference_rates
FOR EACH STATEMENT EXECUTE FUNCTION page_epoch_bump();
