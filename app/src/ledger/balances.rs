//! Stored balances: what the writer keeps so that pages and jobs never sum
//! the ledger per row.
//!
//! - `invoices.balance_minor`: the sum of the invoice's entries.
//! - `accounts.balance_minor` / `unapplied_minor`: the sum of the account's
//!   entries, and of those without an invoice (negative: credit).
//! - `accounts.overdue_minor`, `disputed_minor`, `open_minor`, the aging's
//!   buckets `aged_b0`..`aged_b5` and `open_invoices`: collection figures
//!   of the open invoices (holds from `crate::collection`) as of
//!   `figures_on`, valid through `figures_until` (the last day before an
//!   invoice falls due or moves to the next bucket). `refresh` recomputes
//!   them after every posting and hold change; `roll` recomputes the stale
//!   ones as days pass (the payments job, and the pages that read them:
//!   lists, dashboard, today's aging).
//!
//! One account uses one currency (enforced by the schema), so each figure
//! is in the account's currency and totals group by it.

use super::Locked;
use crate::aging::Bucket;
use crate::collection::{DISPUTED_SQL, IN_FLIGHT_SQL, PROMISED_SQL};
use crate::db::{Conn, Db, Tx};
use crate::error::AppResult;
use crate::{with_conn, with_db, with_tx};
use chrono::NaiveDate;
use std::sync::OnceLock;

/// What the stored balances are, recomputed from the entries: of the row
/// of `invoices`, or of `accounts`, in scope (`rebuild`, `verify`).
pub(super) const INVOICE_BALANCE: &str =
    "COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = invoices.id), 0)";
pub(super) const ACCOUNT_BALANCE: &str =
    "COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.account_id = accounts.id), 0)";
pub(super) const ACCOUNT_UNAPPLIED: &str = "COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e
     WHERE e.account_id = accounts.id AND e.invoice_id IS NULL), 0)";

/// Open invoices: issued, with something still owed.
const OPEN: &str = "i.account_id = accounts.id AND i.status = 'issued' AND i.balance_minor > 0";

/// `date` (an SQL date expression) moved by `days`, in the backend's SQL.
fn date_plus(sqlite: bool, date: &str, days: i64) -> String {
    if sqlite {
        format!("date({date}, '{days:+} days')")
    } else {
        format!("({date} + {days})")
    }
}

/// The `accounts` columns holding each aging bucket's amount, from not yet
/// due (`Bucket::ENDS`) to the oldest; the aging report reads them.
pub const AGED_COLUMNS: [&str; 6] = ["aged_b0", "aged_b1", "aged_b2", "aged_b3", "aged_b4", "aged_b5"];

/// The stored collection figures of an account row aliased `accounts`,
/// column by column, each an aggregate over its open invoices (aliased
/// `i`) as of the date expression `on` (a bind like `$1`, or a column):
/// overdue, disputed and open amounts; the aging's buckets (`aged_b0`, not
/// yet due, to `aged_b5`, over 120 days past due, as `crate::aging` cuts
/// them) and the open invoices' count; and `figures_until`, the last day
/// they all hold: the day before an invoice falls due or moves to the next
/// bucket.
pub fn figure_aggregates(on: &str, sqlite: bool) -> Vec<(&'static str, String)> {
    let capped = format!("CASE WHEN {DISPUTED_SQL} > i.balance_minor THEN i.balance_minor ELSE {DISPUTED_SQL} END");
    let sum = |what: &str, cond: Option<&str>| {
        let filter = cond.map(|c| format!(" FILTER (WHERE {c})")).unwrap_or_default();
        format!("CAST(COALESCE(SUM({what}){filter}, 0) AS BIGINT)")
    };
    // The first due date of each bucket but the last (due on `on` − days or later).
    let ends = Bucket::ENDS;
    let from: Vec<String> = ends.iter().map(|&days| date_plus(sqlite, on, -days)).collect();
    let mut figures = vec![
        (
            "overdue_minor",
            sum(&format!("i.balance_minor - {capped}"), Some(&format!("i.due_date < {on} AND NOT {PROMISED_SQL}"))),
        ),
        ("disputed_minor", sum(&capped, None)),
        ("open_minor", sum("i.balance_minor", None)),
    ];
    for (k, column) in AGED_COLUMNS.into_iter().enumerate() {
        let due = match (k.checked_sub(1).map(|p| &from[p]), from.get(k)) {
            (None, Some(first)) => format!("i.due_date >= {first}"),
            (Some(before), Some(first)) => format!("i.due_date < {before} AND i.due_date >= {first}"),
            (Some(before), None) => format!("i.due_date < {before}"),
            (None, None) => unreachable!("five ends"),
        };
        figures.push((column, sum("i.balance_minor", Some(&due))));
    }
    figures.push(("open_invoices", "CAST(COUNT(*) AS BIGINT)".into()));
    // An invoice due in the bucket starting at `from[k]` moves on after
    // its due date + ends[k] days; past the last end, never.
    let moves = ends
        .iter()
        .zip(&from)
        .map(|(&days, first)| format!("WHEN i.due_date >= {first} THEN {}", date_plus(sqlite, "i.due_date", days)))
        .collect::<Vec<_>>()
        .join(" ");
    figures.push(("figures_until", format!("COALESCE(MIN(CASE {moves} END), '9999-12-31')")));
    figures
}

/// The figures of `figure_aggregates`, each as a subquery of its own
/// (`verify`, `figures`).
pub fn figure_exprs(on: &str, sqlite: bool) -> Vec<(&'static str, String)> {
    figure_aggregates(on, sqlite)
        .into_iter()
        .map(|(column, aggregate)| (column, format!("(SELECT {aggregate} FROM invoices i WHERE {OPEN})")))
        .collect()
}

/// `UPDATE accounts SET <figures as of $1> WHERE <cond>`: every figure
/// from one pass over the account's open invoices.
fn refresh_sql(cond: &str, sqlite: bool) -> String {
    let figures = figure_aggregates("$1", sqlite);
    let columns = figures.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
    let aggregates = figures.iter().map(|(_, a)| a.as_str()).collect::<Vec<_>>().join(", ");
    format!(
        "UPDATE accounts SET figures_on = $1, ({columns}) = (SELECT {aggregates} FROM invoices i WHERE {OPEN})
         WHERE {cond}"
    )
}

/// The backend's statement, built once.
fn cached(cells: &'static [OnceLock<String>; 2], sqlite: bool, build: impl FnOnce(bool) -> String) -> &'static str {
    cells[usize::from(sqlite)].get_or_init(|| build(sqlite))
}

fn refresh_one_sql(sqlite: bool) -> &'static str {
    static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    cached(&SQL, sqlite, |sqlite| refresh_sql("id = $2", sqlite))
}

/// Recomputes an account's collection figures as of `on`, under its lock:
/// after every posting and every change of a hold (promise, dispute).
#[tracing::instrument(skip_all, fields(account = lock.account_id()))]
pub async fn refresh(tx: &mut Tx, lock: &Locked, on: NaiveDate) -> AppResult<()> {
    let sql = refresh_one_sql(tx.backend() == "sqlite");
    with_tx!(tx, |conn| {
        sqlx::query(sql).bind(on).bind(lock.account_id()).execute(&mut *conn).await.map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Recomputes the figures that time has made stale (an invoice fell due
/// since they were computed), a batch of accounts per transaction, each
/// batch locked first in id order. Returns how many accounts moved. Cheap
/// when nothing is stale: one probe of an index.
#[tracing::instrument(skip_all)]
pub async fn roll(db: &Db, today: NaiveDate) -> AppResult<usize> {
    const BATCH: i64 = 500;
    let update = {
        static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
        cached(&SQL, db.backend() == "sqlite", |sqlite| refresh_sql("figures_until < $1 AND id <= $2", sqlite))
    };
    let mut moved = 0;
    loop {
        // The earliest validity date: one step into its index, whatever
        // the planner thinks of `< $1` (a generic plan would scan).
        let earliest: Option<NaiveDate> = with_db!(db, |pool| {
            sqlx::query_scalar("SELECT MIN(figures_until) FROM accounts").fetch_one(pool).await
        })?;
        if earliest.is_none_or(|d| d >= today) {
            return Ok(moved);
        }
        let mut tx = db.begin().await?;
        // Lock the batch (PostgreSQL: in id order, as writers lock one
        // account at a time, no deadlock), then recompute it in one
        // statement that sees every posting committed before the locks.
        let ids: Vec<i64> = match &mut tx {
            Tx::Sqlite(t) => {
                sqlx::query_scalar("SELECT id FROM accounts WHERE figures_until < $1 ORDER BY id LIMIT $2")
                    .bind(today)
                    .bind(BATCH)
                    .fetch_all(&mut **t)
                    .await?
            }
            Tx::Postgres(t) => {
                sqlx::query_scalar("SELECT id FROM accounts WHERE figures_until < $1 ORDER BY id LIMIT $2 FOR UPDATE")
                    .bind(today)
                    .bind(BATCH)
                    .fetch_all(&mut **t)
                    .await?
            }
        };
        let Some(last) = ids.last().copied() else { return Ok(moved) };
        // PostgreSQL: the update below moves the portfolio totals of the
        // batch's collectors (a trigger); take those rows first, in key
        // order, as a reassignment does, so the two cannot deadlock.
        if let Tx::Postgres(t) = &mut tx {
            sqlx::query(
                "SELECT collector_key FROM balance_totals WHERE collector_key IN
                     (SELECT COALESCE(collector_id, 0) FROM accounts WHERE figures_until < $1 AND id <= $2)
                 ORDER BY collector_key, currency FOR UPDATE",
            )
            .bind(today)
            .bind(last)
            .execute(&mut **t)
            .await?;
        }
        let n = with_tx!(&mut tx, |conn| {
            sqlx::query(update).bind(today).bind(last).execute(&mut *conn).await.map(|r| r.rows_affected())
        })?;
        tx.commit().await?;
        moved += usize::try_from(n).unwrap_or(0);
    }
}

/// What `roll` would do on `day`, undone: the accounts whose figures it
/// recomputes, in one statement rolled back (the aging benchmark's cost of
/// the stored buckets; no lock beyond the statement's).
pub async fn roll_undone(db: &Db, day: NaiveDate) -> AppResult<u64> {
    let update = refresh_sql("figures_until < $1", db.backend() == "sqlite");
    let mut tx = db.begin().await?;
    let n = with_tx!(&mut tx, |conn| {
        sqlx::query(&update).bind(day).execute(&mut *conn).await.map(|r| r.rows_affected())
    })?;
    tx.rollback().await?;
    Ok(n)
}

/// Recomputes every stored balance from the entries, in one transaction:
/// after a bulk load (demo seeding, test fixtures) that wrote entries
/// directly.
#[tracing::instrument(skip_all)]
pub async fn rebuild(db: &Db, today: NaiveDate) -> AppResult<()> {
    rebuild_from_entries(db, today, true).await
}

/// `rebuild` for the accounts only: after a bulk load that wrote each
/// invoice's balance with it (the scale seeder), so a million invoice rows
/// are not written twice.
#[tracing::instrument(skip_all)]
pub async fn rebuild_accounts(db: &Db, today: NaiveDate) -> AppResult<()> {
    rebuild_from_entries(db, today, false).await
}

async fn rebuild_from_entries(db: &Db, today: NaiveDate, invoices: bool) -> AppResult<()> {
    let figures = refresh_sql("1 = 1", db.backend() == "sqlite");
    let invoice_balances = format!("UPDATE invoices SET balance_minor = {INVOICE_BALANCE}");
    let account_balances =
        format!("UPDATE accounts SET balance_minor = {ACCOUNT_BALANCE}, unapplied_minor = {ACCOUNT_UNAPPLIED}");
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, |conn| {
        if invoices {
            sqlx::query(&invoice_balances).execute(&mut *conn).await?;
        }
        sqlx::query(&account_balances).execute(&mut *conn).await?;
        sqlx::query(&figures).bind(today).execute(&mut *conn).await?;
        Ok::<_, sqlx::Error>(())
    })?;
    tx.commit().await?;
    Ok(())
}

/// The account's unapplied balance (negative: credit the client can use).
pub async fn unapplied(tx: &mut Tx, lock: &Locked) -> AppResult<i64> {
    let v: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT unapplied_minor FROM accounts WHERE id = $1")
            .bind(lock.account_id())
            .fetch_one(&mut *conn)
            .await
    })?;
    Ok(v)
}

/// An open invoice of an account, with what holds keep out of collection.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OpenInvoice {
    pub id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    /// What it still owes.
    pub balance: i64,
    /// What payments in flight will settle.
    pub in_flight: i64,
    /// What disputes in progress cover (not capped).
    pub disputed: i64,
}

impl OpenInvoice {
    /// What can still be paid: the balance less payments in flight.
    pub fn payable(&self) -> i64 {
        (self.balance - self.in_flight).max(0)
    }

    /// What can be charged without the payer choosing it (autopay) or
    /// covered by credit: the payable part, less disputed amounts.
    pub fn creditable(&self) -> i64 {
        (self.payable() - self.disputed.max(0)).max(0)
    }
}

/// The account's open invoices, oldest due first.
#[tracing::instrument(skip(conn))]
pub async fn open_invoices(conn: Conn<'_>, account_id: i64) -> AppResult<Vec<OpenInvoice>> {
    static SQL: OnceLock<String> = OnceLock::new();
    let sql = SQL.get_or_init(|| {
        format!(
            "SELECT i.id, i.number, i.due_date, i.balance_minor AS balance,
                    CAST({IN_FLIGHT_SQL} AS BIGINT) AS in_flight, CAST({DISPUTED_SQL} AS BIGINT) AS disputed
             FROM invoices i WHERE i.account_id = $1 AND i.status = 'issued' AND i.balance_minor > 0
             ORDER BY i.due_date, i.number"
        )
    });
    let rows: Vec<OpenInvoice> = with_conn!(conn, |c| sqlx::query_as(sql).bind(account_id).fetch_all(&mut *c).await)?;
    Ok(rows)
}

/// An account's stored figures, with its overdue and disputed amounts
/// computed as of `today` from its invoices' stored balances (exact even
/// when the stored ones are stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Figures {
    pub balance: i64,
    pub unapplied: i64,
    pub overdue: i64,
    pub disputed: i64,
    pub open: i64,
}

#[tracing::instrument(skip(conn))]
pub async fn figures(conn: Conn<'_>, account_id: i64, today: NaiveDate) -> AppResult<Option<Figures>> {
    static SQL: [OnceLock<String>; 2] = [OnceLock::new(), OnceLock::new()];
    let sqlite = match &conn {
        Conn::Pool(db) => db.backend() == "sqlite",
        Conn::Tx(tx) => tx.backend() == "sqlite",
    };
    let sql = cached(&SQL, sqlite, |sqlite| {
        let exprs = figure_exprs("$1", sqlite);
        let expr = |column: &str| exprs.iter().find(|(c, _)| *c == column).map(|(_, e)| e.clone()).expect("a figure");
        let (overdue, disputed, open) = (expr("overdue_minor"), expr("disputed_minor"), expr("open_minor"));
        format!(
            "SELECT accounts.balance_minor AS balance, accounts.unapplied_minor AS unapplied, {overdue} AS overdue,
                    {disputed} AS disputed, {open} AS open
             FROM accounts WHERE accounts.id = $2"
        )
    });
    let row: Option<Figures> =
        with_conn!(conn, |c| sqlx::query_as(sql).bind(today).bind(account_id).fetch_optional(&mut *c).await)?;
    Ok(row)
}
