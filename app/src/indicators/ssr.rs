//! The indicators' queries: five reads, each scoped in SQL by the caller
//! and the filter (`collection::account_conditions`), each grouping by
//! month with a `CASE` on bound first days (the same text on SQLite and
//! PostgreSQL). What is owed at each month's end is rebuilt from the
//! ledger as the aging of a past day is: an issued invoice's entries dated
//! up to that day, counted when positive.

use super::formulas::{self, Month};
use super::*;
use crate::auth::ssr::{Principal, Scope};
use crate::db::{Arg, Args};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{bind_args, with_db};
use chrono::{DateTime, Datelike, Days, Months, Utc};

/// Months of sales read: the twelve shown and the two years before the
/// first of them, for the count-back DSO to count back through.
const HISTORY: usize = MONTHS + 24;

/// The first day of `day`'s month.
fn first_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The months read, oldest first: (first day, day its figures are as of).
fn months(today: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let this = first_of(today);
    (0..HISTORY)
        .map(|k| {
            let start = this - Months::new((HISTORY - 1 - k) as u32);
            let end = (start + Months::new(1) - Days::new(1)).min(today);
            (start, end)
        })
        .collect()
}

/// The index (0 = `starts[0]`'s month) of a date expression among months
/// starting at `starts`: a `CASE` on bound days.
fn month_case(expr: &str, starts: &[NaiveDate], args: &mut Args) -> String {
    let mut case = String::from("CAST(CASE");
    for (k, start) in starts.iter().enumerate().skip(1) {
        case.push_str(&format!(" WHEN {expr} < {} THEN {}", args.push(Arg::Date(*start)), k - 1));
    }
    case.push_str(&format!(" ELSE {} END AS BIGINT)", starts.len().saturating_sub(1)));
    case
}

/// The conditions every read shares: scope, segment, collector, currency.
fn conditions(scope: Scope, filter: &IndicatorsFilter, currency: Currency, args: &mut Args) -> String {
    let mut conditions = crate::collection::account_conditions(scope, filter.segment, filter.collector_id, args);
    conditions.push(format!("a.currency = {}", args.push(Arg::Text(currency.code().into()))));
    conditions.join(" AND ")
}

#[derive(sqlx::FromRow)]
struct SalesRow {
    month: i64,
    sales: i64,
    issued: i64,
    disputed: i64,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    month: i64,
    counted: i64,
    hits: i64,
}

#[derive(sqlx::FromRow)]
struct ResolvedRow {
    created_at: DateTime<Utc>,
    resolved_at: DateTime<Utc>,
}

/// What the reads return.
struct Read {
    sales: Vec<SalesRow>,
    /// Owed at each of the ends asked for, then the current part of each.
    owed: Vec<i64>,
    due: Vec<CountRow>,
    promises: Vec<CountRow>,
    resolved: Vec<ResolvedRow>,
}

/// The currencies of the accounts in scope, and the one to show.
async fn currencies(
    state: &AppState,
    scope: Scope,
    filter: &IndicatorsFilter,
) -> AppResult<(Vec<Currency>, Option<Currency>)> {
    let mut args = Args::default();
    let conditions =
        crate::collection::account_conditions(scope, filter.segment, filter.collector_id, &mut args).join(" AND ");
    let sql = format!("SELECT DISTINCT a.currency FROM accounts a WHERE {conditions} ORDER BY a.currency");
    let (codes, merchant): (Vec<String>, Option<String>) = with_db!(&state.db, |pool| {
        async {
            let codes = bind_args!(sqlx::query_scalar(&sql), args).fetch_all(pool).await?;
            let merchant = sqlx::query_scalar("SELECT default_currency FROM merchant").fetch_optional(pool).await?;
            Ok::<_, sqlx::Error>((codes, merchant))
        }
        .await
    })?;
    let used = codes.iter().map(|c| crate::ledger::parse_currency(c)).collect::<AppResult<Vec<_>>>()?;
    let merchant = merchant.and_then(|c| Currency::parse(&c).ok());
    let chosen = filter
        .currency
        .or_else(|| merchant.filter(|m| used.contains(m)))
        .or_else(|| used.first().copied())
        .or(merchant);
    Ok((used, chosen))
}

#[tracing::instrument(skip(state, principal))]
pub async fn indicators(state: &AppState, principal: &Principal, filter: &IndicatorsFilter) -> AppResult<Indicators> {
    principal.require_staff()?;
    let today = state.clock.today();
    let scope = principal.scope();
    let (used, chosen) = currencies(state, scope, filter).await?;
    let currency = chosen.unwrap_or(Currency::Eur);
    let span = months(today);
    let starts: Vec<NaiveDate> = span.iter().map(|(s, _)| *s).collect();
    let window = &span[HISTORY - MONTHS..];
    let window_starts = &starts[HISTORY - MONTHS..];
    let first = window[0].0;
    // The ends at which what is owed is read: the month before the window's
    // (the CEI's opening), then each of the window's.
    let ends: Vec<NaiveDate> =
        std::iter::once(first - Days::new(1)).chain(window.iter().map(|(_, end)| *end)).collect();

    // Sales, invoices issued and those disputed since, per month.
    let mut sales_args = Args::default();
    let sales_where = conditions(scope, filter, currency, &mut sales_args);
    let sales_month = month_case("i.issue_date", &starts, &mut sales_args);
    let from = sales_args.push(Arg::Date(starts[0]));
    let until = sales_args.push(Arg::Date(today));
    let sales_sql = format!(
        "SELECT {sales_month} AS month, CAST(SUM(i.total_minor) AS BIGINT) AS sales, CAST(COUNT(*) AS BIGINT) AS issued,
                CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM disputes d WHERE d.invoice_id = i.id) THEN 1 ELSE 0 END) AS BIGINT)
                    AS disputed
         FROM invoices i JOIN accounts a ON a.id = i.account_id
         WHERE {sales_where} AND i.status = 'issued' AND i.issue_date >= {from} AND i.issue_date <= {until}
         GROUP BY month"
    );

    // Owed at each end, and the part not yet due then: each issued
    // invoice's balance at each end, from its entries.
    let mut owed_args = Args::default();
    let owed_where = conditions(scope, filter, currency, &mut owed_args);
    let end_params: Vec<String> = ends.iter().map(|e| owed_args.push(Arg::Date(*e))).collect();
    let last_end = owed_args.push(Arg::Date(today));
    let balances = end_params
        .iter()
        .enumerate()
        .map(|(k, e)| format!("SUM(CASE WHEN e.occurred_on <= {e} THEN e.amount_minor ELSE 0 END) AS b{k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let open = |k: usize, e: &str| format!("x.b{k} > 0 AND x.issue_date <= {e}");
    let owed_cols = end_params
        .iter()
        .enumerate()
        .map(|(k, e)| format!("CAST(COALESCE(SUM(CASE WHEN {} THEN x.b{k} ELSE 0 END), 0) AS BIGINT)", open(k, e)))
        .chain(end_params.iter().enumerate().map(|(k, e)| {
            format!(
                "CAST(COALESCE(SUM(CASE WHEN {} AND x.due_date >= {e} THEN x.b{k} ELSE 0 END), 0) AS BIGINT)",
                open(k, e)
            )
        }))
        .collect::<Vec<_>>()
        .join(", ");
    let owed_sql = format!(
        "SELECT {owed_cols} FROM (
             SELECT i.issue_date, i.due_date, {balances}
             FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN ledger_entries e ON e.invoice_id = i.id
             WHERE {owed_where} AND i.status = 'issued' AND i.issue_date <= {last_end}
             GROUP BY i.id, i.issue_date, i.due_date) x"
    );

    // Invoices due in each month (their due date passed), and those
    // settled by it: their entries dated up to the due date sum to nothing.
    let mut due_args = Args::default();
    let due_where = conditions(scope, filter, currency, &mut due_args);
    let due_month = month_case("x.due_date", window_starts, &mut due_args);
    let due_from = due_args.push(Arg::Date(first));
    let due_before = due_args.push(Arg::Date(today));
    let due_sql = format!(
        "SELECT {due_month} AS month, CAST(COUNT(*) AS BIGINT) AS counted,
                CAST(SUM(CASE WHEN x.left_at_due <= 0 THEN 1 ELSE 0 END) AS BIGINT) AS hits
         FROM (SELECT i.due_date,
                      SUM(CASE WHEN e.occurred_on <= i.due_date THEN e.amount_minor ELSE 0 END) AS left_at_due
               FROM invoices i JOIN accounts a ON a.id = i.account_id JOIN ledger_entries e ON e.invoice_id = i.id
               WHERE {due_where} AND i.status = 'issued' AND i.total_minor > 0
                 AND i.due_date >= {due_from} AND i.due_date < {due_before}
               GROUP BY i.id, i.due_date) x
         GROUP BY month"
    );

    // Promises whose date fell in each month and that are settled.
    let mut promise_args = Args::default();
    let promise_where = conditions(scope, filter, currency, &mut promise_args);
    let promise_month = month_case("pr.promised_date", window_starts, &mut promise_args);
    let promise_from = promise_args.push(Arg::Date(first));
    let promise_until = promise_args.push(Arg::Date(today));
    let promise_sql = format!(
        "SELECT {promise_month} AS month, CAST(COUNT(*) AS BIGINT) AS counted,
                CAST(SUM(CASE WHEN pr.status = 'kept' THEN 1 ELSE 0 END) AS BIGINT) AS hits
         FROM promises pr JOIN accounts a ON a.id = pr.account_id
         WHERE {promise_where} AND pr.status IN ('kept', 'broken')
           AND pr.promised_date >= {promise_from} AND pr.promised_date <= {promise_until}
         GROUP BY month"
    );

    // Disputes decided or closed in the window: when opened, when resolved.
    let mut resolved_args = Args::default();
    let resolved_where = conditions(scope, filter, currency, &mut resolved_args);
    let since = resolved_args.push(Arg::Time(first.and_time(chrono::NaiveTime::MIN).and_utc()));
    let resolved_sql = format!(
        "SELECT d.created_at, COALESCE(d.decided_at, d.closed_at) AS resolved_at
         FROM disputes d JOIN accounts a ON a.id = d.account_id
         WHERE {resolved_where} AND d.status NOT IN ('open', 'under_review')
           AND COALESCE(d.decided_at, d.closed_at) >= {since}"
    );

    let columns = ends.len() * 2;
    let read = with_db!(&state.db, |pool| {
        async {
            use sqlx::Row;
            let row = bind_args!(sqlx::query(&owed_sql), owed_args).fetch_one(pool).await?;
            let owed = (0..columns).map(|k| row.try_get::<i64, _>(k)).collect::<Result<Vec<_>, _>>()?;
            Ok::<_, sqlx::Error>(Read {
                sales: bind_args!(sqlx::query_as(&sales_sql), sales_args).fetch_all(pool).await?,
                owed,
                due: bind_args!(sqlx::query_as(&due_sql), due_args).fetch_all(pool).await?,
                promises: bind_args!(sqlx::query_as(&promise_sql), promise_args).fetch_all(pool).await?,
                resolved: bind_args!(sqlx::query_as(&resolved_sql), resolved_args).fetch_all(pool).await?,
            })
        }
        .await
    })?;

    let (months, opening) = assemble(&span, ends.len(), read);
    let figures = (0..MONTHS)
        .map(|k| {
            let at = HISTORY - MONTHS + k;
            // The month, then the ones before it, latest first.
            let history: Vec<Month> = months[..=at].iter().rev().copied().collect();
            let previous = if k == 0 { opening } else { months[at - 1].receivable };
            let m = months[at];
            MonthFigures {
                month: span[at].0,
                end: span[at].1,
                sales: Money::new(m.sales, currency),
                receivable: Money::new(m.receivable, currency),
                current: Money::new(m.current, currency),
                values: formulas::figures(&history, previous),
            }
        })
        .collect();
    let collectors =
        if matches!(scope, Scope::All) { crate::collection::collectors(&state.db).await? } else { Vec::new() };
    Ok(Indicators { today, filter: filter.clone(), currency, currencies: used, months: figures, collectors })
}

/// The reads, as one `Month` per month of `span`, and what was owed at the
/// end of the month before the window (`ends` columns of what was owed,
/// that one first, then as many of the current part).
fn assemble(span: &[(NaiveDate, NaiveDate)], ends: usize, read: Read) -> (Vec<Month>, i64) {
    let offset = HISTORY - MONTHS;
    let mut months: Vec<Month> =
        span.iter().map(|(start, end)| Month { days: (*end - *start).num_days() + 1, ..Default::default() }).collect();
    let slot = |m: i64| usize::try_from(m).ok().filter(|m| *m < HISTORY);
    for s in read.sales {
        if let Some(m) = slot(s.month) {
            months[m].sales += s.sales;
            months[m].issued += s.issued;
            months[m].disputed += s.disputed;
        }
    }
    for k in 0..MONTHS {
        months[offset + k].receivable = read.owed[k + 1];
        months[offset + k].current = read.owed[ends + k + 1];
    }
    let window = |m: i64| usize::try_from(m).ok().filter(|m| *m < MONTHS).map(|m| offset + m);
    for d in read.due {
        if let Some(m) = window(d.month) {
            months[m].due += d.counted;
            months[m].on_time += d.hits;
        }
    }
    for p in read.promises {
        if let Some(m) = window(p.month) {
            months[m].promises_settled += p.counted;
            months[m].promises_kept += p.hits;
        }
    }
    for r in read.resolved {
        let day = r.resolved_at.date_naive();
        if let Some(m) = span[offset..].iter().position(|(start, end)| day >= *start && day <= *end) {
            let month = &mut months[offset + m];
            month.resolved += 1;
            month.resolution_seconds += (r.resolved_at - r.created_at).num_seconds().max(0);
        }
    }
    (months, read.owed[0])
}
