//! Writing the scale book: rows batched per table and inserted in
//! multi-row statements, in the foreign keys' order, on either backend.

use super::{Account, BATCH};
use anyhow::Context;
use app::db::Tx;
use chrono::{DateTime, NaiveDate, Utc};

pub(super) struct Invoice {
    pub id: i64,
    pub account: i64,
    pub number: String,
    pub issue: NaiveDate,
    pub due: NaiveDate,
    pub currency: &'static str,
    pub total: i64,
    pub balance: i64,
}

pub(super) struct Entry {
    pub account: i64,
    pub invoice: Option<i64>,
    pub kind: &'static str,
    pub amount: i64,
    pub currency: &'static str,
    pub on: NaiveDate,
    pub reference: String,
    pub payment: Option<i64>,
    pub credit_note: Option<i64>,
}

impl Entry {
    /// An entry of the account, in its currency, tied to no payment or
    /// credit note.
    pub fn new(
        a: &Account,
        invoice: Option<i64>,
        kind: &'static str,
        amount: i64,
        on: NaiveDate,
        reference: String,
    ) -> Self {
        Entry {
            account: a.id,
            invoice,
            kind,
            amount,
            currency: a.currency,
            on,
            reference,
            payment: None,
            credit_note: None,
        }
    }
}

/// A user: id, e-mail, name, role, client account, language.
pub(super) type UserRow = (i64, String, String, &'static str, Option<i64>, &'static str);

/// Rows waiting to be written, a batch per table.
#[derive(Default)]
pub(super) struct Batches {
    pub invoices: Vec<Invoice>,
    /// An invoice's single line: invoice id, total.
    pub lines: Vec<(i64, i64)>,
    pub entries: Vec<Entry>,
    pub payments: Vec<(i64, i64, i64, &'static str, NaiveDate)>,
    pub allocations: Vec<(i64, i64, i64)>,
    pub credit_notes: Vec<(i64, String, i64, i64, i64, &'static str, NaiveDate)>,
    pub promises: Vec<(i64, i64, NaiveDate, i64, &'static str, i64, &'static str)>,
    pub promise_invoices: Vec<(i64, i64, i64)>,
    pub disputes: Vec<(i64, i64, i64, i64, &'static str, &'static str)>,
    pub messages: Vec<(i64, i64)>,
}

/// Inserts rows in multi-row statements, on the transaction of either
/// backend, then empties the batch.
macro_rules! flush {
    ($tx:expr, $head:expr, $rows:expr, |$b:ident, $r:ident| $push:block) => {
        if !$rows.is_empty() {
            match $tx {
                Tx::Sqlite(t) => {
                    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new($head);
                    qb.push_values($rows.iter(), |mut $b, $r| $push);
                    qb.build().execute(&mut **t).await?;
                }
                Tx::Postgres(t) => {
                    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new($head);
                    qb.push_values($rows.iter(), |mut $b, $r| $push);
                    qb.build().execute(&mut **t).await?;
                }
            }
            $rows.clear();
        }
    };
}

/// Inserts users (staff or contacts), a batch per statement.
pub(super) async fn insert_users(
    tx: &mut Tx,
    users: &[UserRow],
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    for chunk in users.chunks(BATCH) {
        let mut chunk = chunk.to_vec();
        flush!(
            &mut *tx,
            "INSERT INTO users (id, email, name, password_hash, role, account_id, locale, active, created_at) ",
            chunk,
            |q, u| {
                q.push_bind(u.0)
                    .push_bind(u.1.clone())
                    .push_bind(u.2.clone())
                    .push_bind(password_hash)
                    .push_bind(u.3)
                    .push_bind(u.4)
                    .push_bind(u.5)
                    .push_bind(true)
                    .push_bind(now);
            }
        );
    }
    Ok(())
}

/// Inserts the accounts, their balances left to `rebuild_accounts`.
pub(super) async fn insert_accounts(tx: &mut Tx, accounts: &[Account], now: DateTime<Utc>) -> anyhow::Result<()> {
    for chunk in accounts.chunks(BATCH) {
        let mut chunk = chunk.iter().collect::<Vec<_>>();
        flush!(
            &mut *tx,
            "INSERT INTO accounts (id, code, legal_name, billing_email, language, segment, collector_id, \
                    payment_terms_days, credit_limit_minor, currency, search_text, created_at) ",
            chunk,
            |q, a| {
                q.push_bind(a.id)
                    .push_bind(a.code.clone())
                    .push_bind(a.name.clone())
                    .push_bind(a.email.clone())
                    .push_bind(a.language.code())
                    .push_bind(a.segment.as_str())
                    .push_bind(a.collector)
                    .push_bind(a.terms as i32)
                    .push_bind(5_000_000_i64)
                    .push_bind(a.currency)
                    .push_bind(app::domain::search_key(&a.code, &a.name, &a.email))
                    .push_bind(now);
            }
        );
    }
    Ok(())
}

/// Writes every waiting row, parents before children.
pub(super) async fn flush_all(tx: &mut Tx, b: &mut Batches, now: DateTime<Utc>) -> anyhow::Result<()> {
    let invoices = &mut b.invoices;
    flush!(
        &mut *tx,
        "INSERT INTO invoices (id, account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor, \
                total_minor, status, created_at, balance_minor) ",
        invoices,
        |q, r| {
            let net = r.total * 100 / 120;
            q.push_bind(r.id)
                .push_bind(r.account)
                .push_bind(r.number.clone())
                .push_bind(r.issue)
                .push_bind(r.due)
                .push_bind(r.currency)
                .push_bind(net)
                .push_bind(r.total - net)
                .push_bind(r.total)
                .push_bind("issued")
                .push_bind(now)
                .push_bind(r.balance);
        }
    );
    let lines = &mut b.lines;
    flush!(
        &mut *tx,
        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price_minor, \
                tax_rate_bp, net_minor, tax_minor) ",
        lines,
        |q, r| {
            let net = r.1 * 100 / 120;
            q.push_bind(r.0)
                .push_bind(1_i32)
                .push_bind("Prestations du mois")
                .push_bind(1000_i64)
                .push_bind(net)
                .push_bind(2000_i32)
                .push_bind(net)
                .push_bind(r.1 - net);
        }
    );
    let pays = &mut b.payments;
    flush!(
        &mut *tx,
        "INSERT INTO payments (id, account_id, idempotency_key, gateway, gateway_ref, method_label, amount_minor, \
                currency, status, source, created_at, updated_at, succeeded_at) ",
        pays,
        |q, r| {
            let at = r.4.and_hms_opt(10, 0, 0).expect("valid time").and_utc();
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(format!("scale-{}", r.0))
                .push_bind("sandbox")
                .push_bind(format!("pi_scale_{}", r.0))
                .push_bind("Visa •••• 4242")
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind("succeeded")
                .push_bind("portal")
                .push_bind(at)
                .push_bind(at)
                .push_bind(at);
        }
    );
    let allocs = &mut b.allocations;
    flush!(&mut *tx, "INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor) ", allocs, |q, r| {
        q.push_bind(r.0).push_bind(r.1).push_bind(r.2);
    });
    let notes = &mut b.credit_notes;
    flush!(
        &mut *tx,
        "INSERT INTO credit_notes (id, number, account_id, invoice_id, amount_minor, currency, issued_on, \
                created_at) ",
        notes,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1.clone())
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(r.6)
                .push_bind(now);
        }
    );
    let entries = &mut b.entries;
    flush!(
        &mut *tx,
        "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, \
                reference, payment_id, credit_note_id, created_at) ",
        entries,
        |q, r| {
            q.push_bind(r.account)
                .push_bind(r.invoice)
                .push_bind(r.kind)
                .push_bind(r.amount)
                .push_bind(r.currency)
                .push_bind(r.on)
                .push_bind(r.reference.clone())
                .push_bind(r.payment)
                .push_bind(r.credit_note)
                .push_bind(now);
        }
    );
    let promises = &mut b.promises;
    flush!(
        &mut *tx,
        "INSERT INTO promises (id, account_id, promised_date, amount_minor, currency, balance_at_promise_minor, \
                status, source, created_at, updated_at) ",
        promises,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(r.6)
                .push_bind("portal")
                .push_bind(now)
                .push_bind(now);
        }
    );
    let pis = &mut b.promise_invoices;
    flush!(&mut *tx, "INSERT INTO promise_invoices (promise_id, invoice_id, balance_minor) ", pis, |q, r| {
        q.push_bind(r.0).push_bind(r.1).push_bind(r.2);
    });
    let disputes = &mut b.disputes;
    flush!(
        &mut *tx,
        "INSERT INTO disputes (id, account_id, invoice_id, reason, scope, amount_minor, currency, status, \
                created_at, updated_at) ",
        disputes,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind("damaged")
                .push_bind("amount")
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(now)
                .push_bind(now);
        }
    );
    let messages = &mut b.messages;
    flush!(
        &mut *tx,
        "INSERT INTO dispute_messages (dispute_id, author_id, kind, body, created_at) ",
        messages,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind("message")
                .push_bind("Marchandise abîmée à la réception.")
                .push_bind(now);
        }
    );
    Ok(())
}

/// What follows the rows: each promise's ledger mark, PostgreSQL's
/// sequences moved past the explicit ids.
pub(super) async fn finish(tx: &mut Tx) -> anyhow::Result<()> {
    // A promise is kept by money received after it was made: its mark is
    // the last entry of its account when it was made (here, all of them).
    app::with_tx!(&mut *tx, |c| {
        sqlx::query(
            // One grouped pass over the entries: a correlated MAX per
            // promise made PostgreSQL walk the entries' primary key for
            // each (25 minutes at a million invoices).
            "UPDATE promises SET ledger_mark = m.mark
             FROM (SELECT e.account_id, MAX(e.id) AS mark FROM ledger_entries e GROUP BY e.account_id) m
             WHERE m.account_id = promises.account_id",
        )
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if let Tx::Postgres(t) = tx {
        for table in ["users", "accounts", "invoices", "payments", "credit_notes", "promises", "disputes"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            ))
            .execute(&mut **t)
            .await
            .with_context(|| format!("moving the sequence of {table}"))?;
        }
    }
    Ok(())
}
