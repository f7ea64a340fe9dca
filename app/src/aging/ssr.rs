//! The aging report's queries. Each is scoped in SQL by the caller
//! (`Scope`, the first three parameters) and filtered on the account.
//!
//! - Buckets: one `GROUP BY` over the open invoices (today: the stored
//!   `balance_minor`, served by the open-invoices indexes; a past day: each
//!   invoice's entries dated up to that day, summed first), the bucket read
//!   from the due date against five bound days, so both backends compare
//!   dates without date arithmetic.
//! - Holds and credit: read from their own side (promises, disputes,
//!   entries without an invoice), far fewer rows, and added up here.

use super::*;
use crate::auth::ssr::{Principal, Scope};
use crate::collection::{DISPUTED_SQL, PROMISED_SQL};
use crate::db::{Arg, Args};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{bind_args, with_db};
use chrono::{DateTime, Days, Utc};
use std::collections::HashMap;

/// Rows of the report shown per page (the exports carry them all).
pub const ROWS_PER_PAGE: usize = 50;
/// Invoices per page of a drill-down.
pub const CELL_PAGE_SIZE: i64 = 50;

/// The day a report is for: today's, or a past day's (never a future one:
/// nothing is known of it yet).
fn report_day(state: &AppState, f: &AgingFilter) -> AppResult<(NaiveDate, bool)> {
    let today = state.clock.today();
    match f.as_of {
        None => Ok((today, true)),
        Some(d) if d > today => Err(AppError::field("as_of", Msg::AgingFutureDate)),
        Some(d) => Ok((d, d == today)),
    }
}

/// A report's day, and what its SQL reads an invoice's balance from.
#[derive(Clone, Copy)]
struct Day {
    on: NaiveDate,
    today: bool,
}

impl Day {
    /// The first instant after the day (UTC), for rows stamped with a time
    /// (promises, disputes).
    fn end(self) -> DateTime<Utc> {
        (self.on + Days::new(1)).and_hms_opt(0, 0, 0).expect("midnight").and_utc()
    }
}

/// The account conditions: the scope ($1..$3), then the filters asked for.
fn account_conditions(scope: Scope, f: &AgingFilter, args: &mut Args) -> Vec<String> {
    let mut conditions = crate::collection::account_conditions(scope, f.segment, f.collector_id, args);
    if let Some(currency) = f.currency {
        conditions.push(format!("a.currency = {}", args.push(Arg::Text(currency.code().into()))));
    }
    conditions
}

/// The row key's columns (`k_id`, `k_code`, `k_name`) and its `GROUP BY`
/// terms, for accounts aliased `a` and their collector `u`.
fn key_sql(group: GroupBy) -> (&'static str, &'static str) {
    match group {
        GroupBy::Account => ("a.id AS k_id, a.code AS k_code, a.legal_name AS k_name", "a.id, a.code, a.legal_name, "),
        GroupBy::Segment => {
            ("CAST(0 AS BIGINT) AS k_id, a.segment AS k_code, CAST('' AS TEXT) AS k_name", "a.segment, ")
        }
        GroupBy::Collector => (
            "COALESCE(a.collector_id, CAST(0 AS BIGINT)) AS k_id, CAST('' AS TEXT) AS k_code, u.name AS k_name",
            "a.collector_id, u.name, ",
        ),
        GroupBy::Currency => ("CAST(0 AS BIGINT) AS k_id, CAST('' AS TEXT) AS k_code, CAST('' AS TEXT) AS k_name", ""),
    }
}

#[derive(sqlx::FromRow)]
struct KeyCols {
    k_id: i64,
    k_code: String,
    k_name: Option<String>,
}

fn row_key(group: GroupBy, k: KeyCols) -> AppResult<RowKey> {
    Ok(match group {
        GroupBy::Account => RowKey::Account { id: k.k_id, code: k.k_code, name: k.k_name.unwrap_or_default() },
        GroupBy::Segment => RowKey::Segment(
            Segment::parse(&k.k_code)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown segment {:?}", k.k_code)))?,
        ),
        GroupBy::Collector => RowKey::Collector((k.k_id != 0).then(|| (k.k_id, k.k_name.unwrap_or_default()))),
        GroupBy::Currency => RowKey::Currency,
    })
}

/// The bucket of an invoice aliased `i` as of the day: its due date
/// against the day and 30, 60, 90 and 120 days before it.
fn bucket_case(day: NaiveDate, args: &mut Args) -> String {
    let mut case = format!("CASE WHEN i.due_date >= {} THEN 0", args.push(Arg::Date(day)));
    for (index, days) in [30u64, 60, 90, 120].into_iter().enumerate() {
        let bound = day - Days::new(days);
        case.push_str(&format!(" WHEN i.due_date >= {} THEN {}", args.push(Arg::Date(bound)), index + 1));
    }
    case.push_str(" ELSE 5 END");
    format!("CAST({case} AS BIGINT)")
}

/// The due dates of a bucket as conditions on `i.due_date`.
fn bucket_range(bucket: Bucket, day: NaiveDate, args: &mut Args) -> Vec<String> {
    let (first, last) = bucket.days();
    let mut conditions = Vec::new();
    // Past due by `first` days at least: due on or before day − first.
    if first > i64::MIN {
        let latest = day - Days::new(first as u64);
        conditions.push(format!("i.due_date <= {}", args.push(Arg::Date(latest))));
    }
    if let Some(last) = last {
        let earliest = if last == 0 { day } else { day - Days::new(last as u64) };
        conditions.push(format!("i.due_date >= {}", args.push(Arg::Date(earliest))));
    }
    conditions
}

/// What an invoice aliased `i` owed at the end of the day.
fn balance_sql(day: Day, args: &mut Args) -> String {
    if day.today {
        "i.balance_minor".into()
    } else {
        format!(
            "COALESCE((SELECT CAST(SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e
              WHERE e.invoice_id = i.id AND e.occurred_on <= {}), 0)",
            args.push(Arg::Date(day.on))
        )
    }
}

/// Whether an invoice aliased `i` was under an active promise at the end
/// of the day: today, `PROMISED_SQL`; before, a promise made by then
/// (approved, if it needed approval) and not yet kept, broken or cancelled.
fn promised_sql(day: Day, args: &mut Args) -> String {
    if day.today {
        return PROMISED_SQL.into();
    }
    let end = args.push(Arg::Time(day.end()));
    format!(
        "EXISTS (SELECT 1 FROM promise_invoices pi JOIN promises pr ON pr.id = pi.promise_id
          WHERE pi.invoice_id = i.id AND pr.status NOT IN ('pending_approval', 'rejected')
            AND pr.created_at < {end}
            AND (pr.status = 'active' OR COALESCE(pr.settled_at, pr.updated_at) >= {end}))"
    )
}

/// The amount of an invoice aliased `i` under disputes in progress at the
/// end of the day (not capped).
fn disputed_sql(day: Day, args: &mut Args) -> String {
    if day.today {
        return DISPUTED_SQL.into();
    }
    let end = args.push(Arg::Time(day.end()));
    format!(
        "COALESCE((SELECT CAST(SUM(d.amount_minor) AS BIGINT) FROM disputes d
          WHERE d.invoice_id = i.id AND d.created_at < {end}
            AND (d.status IN ('open', 'under_review') OR COALESCE(d.decided_at, d.closed_at, d.updated_at) >= {end})), 0)"
    )
}

#[derive(sqlx::FromRow)]
struct BucketRow {
    #[sqlx(flatten)]
    key: KeyCols,
    currency: String,
    bucket: i64,
    amount: i64,
    invoices: i64,
}

#[derive(sqlx::FromRow)]
struct HoldRow {
    #[sqlx(flatten)]
    key: KeyCols,
    currency: String,
    balance: i64,
    promised: i64,
    disputed: i64,
}

#[derive(sqlx::FromRow)]
struct CreditRow {
    #[sqlx(flatten)]
    key: KeyCols,
    currency: String,
    credit: i64,
}

/// The whole report, every row (the page shows `ROWS_PER_PAGE` of them).
#[tracing::instrument(skip(state, principal))]
pub async fn build(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<AgingReport> {
    principal.require_staff()?;
    let (on, today) = report_day(state, f)?;
    let day = Day { on, today };
    let scope = principal.scope();
    let (key_cols, group_by) = key_sql(f.group);

    // The buckets.
    let mut args = Args::default();
    let mut conditions = account_conditions(scope, f, &mut args);
    let bucket = bucket_case(on, &mut args);
    let from = if today {
        conditions.push("i.status = 'issued' AND i.balance_minor > 0".into());
        "FROM invoices i JOIN accounts a ON a.id = i.account_id".to_string()
    } else {
        let until = args.push(Arg::Date(on));
        conditions.push(format!("i.status = 'issued' AND b.balance_minor > 0 AND i.issue_date <= {until}"));
        format!(
            "FROM (SELECT e.invoice_id, CAST(SUM(e.amount_minor) AS BIGINT) AS balance_minor FROM ledger_entries e
                   WHERE e.invoice_id IS NOT NULL AND e.occurred_on <= {until} GROUP BY e.invoice_id) b
             JOIN invoices i ON i.id = b.invoice_id JOIN accounts a ON a.id = i.account_id"
        )
    };
    let balance = if today { "i.balance_minor" } else { "b.balance_minor" };
    let user_join = if f.group == GroupBy::Collector { " LEFT JOIN users u ON u.id = a.collector_id" } else { "" };
    let buckets_sql = format!(
        "SELECT {key_cols}, a.currency, {bucket} AS bucket, CAST(SUM({balance}) AS BIGINT) AS amount,
                CAST(COUNT(*) AS BIGINT) AS invoices
         {from}{user_join} WHERE {} GROUP BY {group_by}a.currency, bucket",
        conditions.join(" AND ")
    );

    // Promised and disputed: the invoices under a hold, from the holds' side.
    let mut hold_args = Args::default();
    let mut hold_conditions = account_conditions(scope, f, &mut hold_args);
    let hold_balance = balance_sql(day, &mut hold_args);
    let promised = promised_sql(day, &mut hold_args);
    let disputed = disputed_sql(day, &mut hold_args);
    let held = if today {
        "i.id IN (SELECT pi.invoice_id FROM promise_invoices pi JOIN promises pr ON pr.id = pi.promise_id
                  WHERE pr.status = 'active'
                  UNION SELECT d.invoice_id FROM disputes d WHERE d.status IN ('open', 'under_review'))"
    } else {
        "i.id IN (SELECT pi.invoice_id FROM promise_invoices pi UNION SELECT d.invoice_id FROM disputes d)"
    };
    hold_conditions.push("i.status = 'issued'".into());
    hold_conditions.push(held.into());
    let holds_sql = format!(
        "SELECT {key_cols}, a.currency, {hold_balance} AS balance,
                CAST(CASE WHEN {promised} THEN 1 ELSE 0 END AS BIGINT) AS promised,
                CAST({disputed} AS BIGINT) AS disputed
         FROM invoices i JOIN accounts a ON a.id = i.account_id{user_join} WHERE {}",
        hold_conditions.join(" AND ")
    );

    // Credit not yet applied, per account.
    let mut credit_args = Args::default();
    let credit_conditions = account_conditions(scope, f, &mut credit_args);
    let credit_sql = if today {
        format!(
            "SELECT {key_cols}, a.currency, a.unapplied_minor AS credit FROM accounts a{user_join}
             WHERE {} AND a.unapplied_minor <> 0",
            credit_conditions.join(" AND ")
        )
    } else {
        let until = credit_args.push(Arg::Date(on));
        format!(
            "SELECT {key_cols}, a.currency, x.credit
             FROM (SELECT e.account_id, CAST(SUM(e.amount_minor) AS BIGINT) AS credit FROM ledger_entries e
                   WHERE e.invoice_id IS NULL AND e.occurred_on <= {until} GROUP BY e.account_id) x
             JOIN accounts a ON a.id = x.account_id{user_join}
             WHERE {} AND x.credit <> 0",
            credit_conditions.join(" AND ")
        )
    };

    let (buckets, holds, credits): (Vec<BucketRow>, Vec<HoldRow>, Vec<CreditRow>) = with_db!(&state.db, |pool| {
        async {
            let buckets = bind_args!(sqlx::query_as(&buckets_sql), args).fetch_all(pool).await?;
            let holds = bind_args!(sqlx::query_as(&holds_sql), hold_args).fetch_all(pool).await?;
            let credits = bind_args!(sqlx::query_as(&credit_sql), credit_args).fetch_all(pool).await?;
            Ok::<_, sqlx::Error>((buckets, holds, credits))
        }
        .await
    })?;

    let mut rows = Rows::default();
    for b in buckets {
        let row = rows.row(f.group, b.key, &b.currency)?;
        let index = usize::try_from(b.bucket)
            .ok()
            .filter(|i| *i < Bucket::ALL.len())
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("bucket {} out of range", b.bucket)))?;
        row.buckets[index].minor += b.amount;
        row.total.minor += b.amount;
        row.invoices += b.invoices;
    }
    for h in holds.into_iter().filter(|h| h.balance > 0) {
        let balance = h.balance;
        let row = rows.row(f.group, h.key, &h.currency)?;
        if h.promised != 0 {
            row.promised.minor += balance;
        }
        row.disputed.minor += h.disputed.min(balance);
    }
    for c in credits {
        let credit = c.credit;
        rows.row(f.group, c.key, &c.currency)?.credit.minor += credit;
    }
    let mut rows = rows.0.into_values().collect::<Vec<_>>();
    rows.sort_by(|x, y| {
        x.currency.code().cmp(y.currency.code()).then(y.total.minor.cmp(&x.total.minor)).then(label(x).cmp(&label(y)))
    });
    let totals = totals(&rows);
    let collectors =
        if matches!(scope, Scope::All) { crate::collection::collectors(&state.db).await? } else { Vec::new() };
    Ok(AgingReport { as_of: on, today, filter: f.clone(), rows, totals, collectors, page: 1, page_count: 1 })
}

/// The page's report: one page of rows, the totals over all of them.
pub async fn report(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<AgingReport> {
    let mut report = build(state, principal, f).await?;
    let pages = report.rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = usize::try_from(f.page.max(1)).unwrap_or(1).min(pages);
    report.rows = report.rows.into_iter().skip((page - 1) * ROWS_PER_PAGE).take(ROWS_PER_PAGE).collect();
    report.page = page as i64;
    report.page_count = pages as i64;
    Ok(report)
}

/// A row's name, to order rows of equal totals.
fn label(row: &AgingRow) -> String {
    match &row.key {
        RowKey::Account { code, .. } => code.clone(),
        RowKey::Segment(s) => s.as_str().to_string(),
        RowKey::Collector(c) => c.as_ref().map(|(_, n)| n.clone()).unwrap_or_default(),
        RowKey::Currency => String::new(),
    }
}

/// The report's rows as they are added up, by key and currency.
#[derive(Default)]
struct Rows(HashMap<(String, Currency), AgingRow>);

impl Rows {
    fn row(&mut self, group: GroupBy, key: KeyCols, currency: &str) -> AppResult<&mut AgingRow> {
        let currency = crate::ledger::parse_currency(currency)?;
        let key = row_key(group, key)?;
        Ok(self.0.entry((key.param(), currency)).or_insert_with(|| empty_row(key, currency)))
    }
}

fn empty_row(key: RowKey, currency: Currency) -> AgingRow {
    let zero = Money::zero(currency);
    AgingRow {
        key,
        currency,
        buckets: vec![zero; Bucket::ALL.len()],
        total: zero,
        promised: zero,
        disputed: zero,
        credit: zero,
        invoices: 0,
    }
}

/// One total per currency.
fn totals(rows: &[AgingRow]) -> Vec<AgingRow> {
    let mut totals: Vec<AgingRow> = Vec::new();
    for row in rows {
        let total = match totals.iter_mut().find(|t| t.currency == row.currency) {
            Some(t) => t,
            None => {
                totals.push(empty_row(RowKey::Currency, row.currency));
                totals.last_mut().expect("just pushed")
            }
        };
        for (sum, amount) in total.buckets.iter_mut().zip(&row.buckets) {
            sum.minor += amount.minor;
        }
        total.total.minor += row.total.minor;
        total.promised.minor += row.promised.minor;
        total.disputed.minor += row.disputed.minor;
        total.credit.minor += row.credit.minor;
        total.invoices += row.invoices;
    }
    totals
}

#[derive(sqlx::FromRow)]
struct CellRow {
    id: i64,
    number: String,
    account_id: i64,
    legal_name: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    balance: i64,
    promised: i64,
    disputed: i64,
}

/// The invoices behind one cell, oldest due first.
#[tracing::instrument(skip(state, principal))]
pub async fn cell(state: &AppState, principal: &Principal, c: &AgingCell) -> AppResult<AgingInvoices> {
    principal.require_staff()?;
    let (on, today) = report_day(state, &c.filter)?;
    let day = Day { on, today };
    let mut args = Args::default();
    let mut conditions = account_conditions(principal.scope(), &c.filter, &mut args);
    conditions.push(format!("a.currency = {}", args.push(Arg::Text(c.currency.code().into()))));
    if let Some(key) = c.key.as_deref().filter(|k| !k.is_empty()) {
        let bad = || AppError::field("key", Msg::InvalidInput);
        match c.filter.group {
            GroupBy::Account => {
                let id: i64 = key.parse().map_err(|_| bad())?;
                conditions.push(format!("a.id = {}", args.push(Arg::Int(id))));
            }
            GroupBy::Segment => {
                let segment = Segment::parse(key).ok_or_else(bad)?;
                conditions.push(format!("a.segment = {}", args.push(Arg::Text(segment.as_str().into()))));
            }
            GroupBy::Collector => match key.parse::<i64>().map_err(|_| bad())? {
                0 => conditions.push("a.collector_id IS NULL".into()),
                id => conditions.push(format!("a.collector_id = {}", args.push(Arg::Int(id)))),
            },
            GroupBy::Currency => {}
        }
    }
    if let Some(bucket) = c.bucket {
        conditions.extend(bucket_range(bucket, on, &mut args));
    }
    conditions.push("i.status = 'issued'".into());
    let balance = balance_sql(day, &mut args);
    if today {
        conditions.push("i.balance_minor > 0".into());
    } else {
        conditions.push(format!("i.issue_date <= {}", args.push(Arg::Date(on))));
        conditions.push(format!("{balance} > 0"));
    }
    let from_where =
        format!("FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE {}", conditions.join(" AND "));
    let totals_sql =
        format!("SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM({balance}), 0) AS BIGINT) {from_where}");
    let page = c.page.clamp(1, crate::invoices::MAX_PAGE);
    let mut list_args = args.clone();
    let promised = promised_sql(day, &mut list_args);
    let disputed = disputed_sql(day, &mut list_args);
    let list_sql = format!(
        "SELECT i.id, i.number, a.id AS account_id, a.legal_name, i.issue_date, i.due_date, {balance} AS balance,
                CAST(CASE WHEN {promised} THEN 1 ELSE 0 END AS BIGINT) AS promised,
                CAST({disputed} AS BIGINT) AS disputed
         {from_where} ORDER BY i.due_date, i.number LIMIT {CELL_PAGE_SIZE} OFFSET {}",
        (page - 1) * CELL_PAGE_SIZE
    );
    let ((count, total), rows): ((i64, i64), Vec<CellRow>) = with_db!(&state.db, |pool| {
        async {
            let totals = bind_args!(sqlx::query_as(&totals_sql), args).fetch_one(pool).await?;
            let rows = bind_args!(sqlx::query_as(&list_sql), list_args).fetch_all(pool).await?;
            Ok::<_, sqlx::Error>((totals, rows))
        }
        .await
    })?;
    let items = rows
        .into_iter()
        .map(|r| AgingInvoice {
            id: r.id,
            number: r.number,
            account_id: r.account_id,
            account_name: r.legal_name,
            issue_date: r.issue_date,
            due_date: r.due_date,
            days_past_due: (on - r.due_date).num_days(),
            balance: Money::new(r.balance, c.currency),
            promised: r.promised != 0,
            disputed: Money::new(r.disputed.min(r.balance), c.currency),
        })
        .collect();
    let page_count = ((count + CELL_PAGE_SIZE - 1) / CELL_PAGE_SIZE).max(1);
    Ok(AgingInvoices { as_of: on, items, count, total: Money::new(total, c.currency), page, page_count })
}
