//! `relance verify-ledger`: recomputes every stored figure from the ledger
//! entries and checks that every source was posted exactly as recorded.
//! Read-only; each difference names its row. The test suite runs it after
//! every test.

use super::balances::{figure_exprs, ACCOUNT_BALANCE, ACCOUNT_UNAPPLIED, INVOICE_BALANCE};
use crate::db::Db;
use crate::error::AppResult;
use crate::with_db;
use chrono::NaiveDate;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Differences: each one is a defect.
    pub problems: Vec<String>,
    /// Accounts whose collection figures are out of date (an invoice fell
    /// due since): recomputed by the next pass of the job, not a defect.
    pub stale_accounts: i64,
    pub invoices: i64,
    pub accounts: i64,
    pub entries: i64,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(sqlx::FromRow)]
struct Diff {
    label: String,
    stored: i64,
    computed: i64,
}

const INVOICE_LABEL: &str = "'invoice ' || CAST(invoices.id AS TEXT) || ' (' || invoices.number || ')'";
const ACCOUNT_LABEL: &str = "'account ' || CAST(accounts.id AS TEXT) || ' (' || accounts.code || ')'";

/// A check of a stored value against the one recomputed: the rows of `from`
/// (with `filter`, if any) where the two differ.
fn differs(label: &str, stored: &str, computed: &str, from: &str, filter: &str) -> String {
    let filter = if filter.is_empty() { String::new() } else { format!("{filter} AND ") };
    format!(
        "SELECT {label} AS label, {stored} AS stored, CAST({computed} AS BIGINT) AS computed
         FROM {from} WHERE {filter}{stored} <> {computed}"
    )
}

/// The name of a stored figure's check.
fn figure_label(column: &str) -> &'static str {
    match column {
        "overdue_minor" => "account overdue",
        "disputed_minor" => "account disputed",
        "open_minor" => "account open",
        "aged_b0" => "account aging, not yet due",
        "aged_b1" => "account aging, 1-30 days",
        "aged_b2" => "account aging, 31-60 days",
        "aged_b3" => "account aging, 61-90 days",
        "aged_b4" => "account aging, 91-120 days",
        "aged_b5" => "account aging, over 120 days",
        "open_invoices" => "account open invoices",
        _ => "account figure",
    }
}

/// Each check is a query returning the rows whose stored value differs from
/// the one recomputed (label, stored, computed).
fn checks(sqlite: bool) -> Vec<(&'static str, String)> {
    let account = |stored: &str, computed: &str| differs(ACCOUNT_LABEL, stored, computed, "accounts", "");
    // Every stored collection figure but its validity date, as of the day
    // it was computed for.
    let figures = figure_exprs("accounts.figures_on", sqlite)
        .into_iter()
        .filter(|(column, _)| *column != "figures_until")
        .map(|(column, computed)| (figure_label(column), account(&format!("accounts.{column}"), &computed)));
    let entries = |cond: &str| format!("COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE {cond}), 0)");
    let mut checks = vec![
        ("invoice balance", differs(INVOICE_LABEL, "invoices.balance_minor", INVOICE_BALANCE, "invoices", "")),
        (
            "invoice below zero (a surplus not turned into credit)",
            format!(
                "SELECT {INVOICE_LABEL} AS label, invoices.balance_minor AS stored, CAST(0 AS BIGINT) AS computed
                 FROM invoices WHERE invoices.balance_minor < 0"
            ),
        ),
        ("account balance", account("accounts.balance_minor", ACCOUNT_BALANCE)),
        ("account unapplied credit", account("accounts.unapplied_minor", ACCOUNT_UNAPPLIED)),
        (
            "succeeded payment posted (entries should equal minus the amount)",
            differs(
                "'payment ' || CAST(p.id AS TEXT)",
                "-p.amount_minor",
                &entries("e.payment_id = p.id AND e.kind = 'payment'"),
                "payments p",
                "p.status IN ('succeeded', 'reversed')",
            ),
        ),
        (
            "payment reversal (a reversed payment: its amount; otherwise nothing)",
            differs(
                "'payment ' || CAST(p.id AS TEXT) || ' (' || p.status || ')'",
                "CASE WHEN p.status = 'reversed' THEN p.amount_minor ELSE 0 END",
                &entries("e.payment_id = p.id AND e.kind = 'payment_reversal'"),
                "payments p",
                "",
            ),
        ),
        (
            "payment posted without succeeding",
            "SELECT 'payment ' || CAST(p.id AS TEXT) || ' (' || p.status || ')' AS label, CAST(0 AS BIGINT) AS stored,
                    CAST((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.payment_id = p.id AND e.kind = 'payment') AS BIGINT) AS computed
             FROM payments p WHERE p.status NOT IN ('succeeded', 'reversed')
               AND EXISTS (SELECT 1 FROM ledger_entries e WHERE e.payment_id = p.id AND e.kind = 'payment')"
                .to_string(),
        ),
        (
            "refund posted (succeeded: its amount; otherwise nothing, or reversed)",
            differs(
                "'refund ' || CAST(r.id AS TEXT) || ' (' || r.status || ')'",
                "CASE WHEN r.status = 'succeeded' THEN r.amount_minor ELSE 0 END",
                &entries("e.refund_id = r.id"),
                "refunds r",
                "EXISTS (SELECT 1 FROM ledger_postings lp WHERE lp.source_key = 'refund:' || CAST(r.id AS TEXT))",
            ),
        ),
        (
            "succeeded refund never posted",
            "SELECT 'refund ' || CAST(r.id AS TEXT) AS label, r.amount_minor AS stored, CAST(0 AS BIGINT) AS computed
             FROM refunds r WHERE r.status = 'succeeded'
               AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.refund_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.payment_id = r.payment_id AND e.kind = 'refund' AND e.refund_id IS NULL)"
                .to_string(),
        ),
        (
            "credit note posted (entries should equal minus its amount)",
            differs(
                "'credit note ' || c.number",
                "-c.amount_minor",
                &entries("e.credit_note_id = c.id"),
                "credit_notes c",
                "EXISTS (SELECT 1 FROM ledger_postings lp WHERE lp.source_key = 'credit_note:' || CAST(c.id AS TEXT))",
            ),
        ),
        (
            "credit application not balanced",
            differs(
                "'posting ' || CAST(lp.id AS TEXT)",
                "CAST(0 AS BIGINT)",
                &entries("e.posting_id = lp.id"),
                "ledger_postings lp",
                "lp.kind = 'credit_application'",
            ),
        ),
        (
            "portfolio totals (per collector and currency)",
            "SELECT 'totals of collector ' || CAST(agg.k AS TEXT) || ' in ' || agg.c AS label,
                    COALESCE(t.balance_minor, 0) + COALESCE(t.overdue_minor, 0) + COALESCE(t.accounts, 0) AS stored,
                    agg.b + agg.o + agg.n AS computed
             FROM (SELECT COALESCE(collector_id, 0) AS k, currency AS c, CAST(SUM(balance_minor) AS BIGINT) AS b,
                          CAST(SUM(overdue_minor) AS BIGINT) AS o, CAST(COUNT(*) AS BIGINT) AS n
                   FROM accounts GROUP BY COALESCE(collector_id, 0), currency) agg
             LEFT JOIN balance_totals t ON t.collector_key = agg.k AND t.currency = agg.c
             WHERE COALESCE(t.balance_minor, 0) <> agg.b OR COALESCE(t.overdue_minor, 0) <> agg.o
                OR COALESCE(t.accounts, 0) <> agg.n"
                .to_string(),
        ),
        (
            "portfolio totals without accounts",
            "SELECT 'totals of collector ' || CAST(t.collector_key AS TEXT) || ' in ' || t.currency AS label,
                    t.balance_minor AS stored, CAST(0 AS BIGINT) AS computed
             FROM balance_totals t
             WHERE (t.accounts <> 0 OR t.balance_minor <> 0 OR t.overdue_minor <> 0)
               AND NOT EXISTS (SELECT 1 FROM accounts a WHERE COALESCE(a.collector_id, 0) = t.collector_key
                                                         AND a.currency = t.currency)"
                .to_string(),
        ),
        (
            "entry of another account's posting",
            "SELECT 'entry ' || CAST(e.id AS TEXT) AS label, e.account_id AS stored, lp.account_id AS computed
             FROM ledger_entries e JOIN ledger_postings lp ON lp.id = e.posting_id WHERE lp.account_id <> e.account_id"
                .to_string(),
        ),
    ];
    checks.extend(figures);
    checks
}

/// Runs every check. `today` only decides which figures count as stale.
#[tracing::instrument(skip_all)]
pub async fn run(db: &Db, today: NaiveDate) -> AppResult<Report> {
    let mut report = Report::default();
    for (what, sql) in checks(db.backend() == "sqlite") {
        let rows: Vec<Diff> = with_db!(db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        for d in rows {
            report.problems.push(format!("{what}: {}: stored {}, from the entries {}", d.label, d.stored, d.computed));
        }
    }
    let (stale, invoices, accounts, entries): (i64, i64, i64, i64) = with_db!(db, |pool| {
        sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM accounts WHERE figures_until < $1), (SELECT COUNT(*) FROM invoices),
                    (SELECT COUNT(*) FROM accounts), (SELECT COUNT(*) FROM ledger_entries)",
        )
        .bind(today)
        .fetch_one(pool)
        .await
    })?;
    report.stale_accounts = stale;
    report.invoices = invoices;
    report.accounts = accounts;
    report.entries = entries;
    Ok(report)
}
