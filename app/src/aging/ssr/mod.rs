//! The aging report's queries. Each is scoped in SQL by the caller
//! (`Scope`, the first three parameters) and filtered on the account.
//!
//! - Buckets: today, each account's stored buckets (`aged_b0`..`aged_b5`,
//!   kept by the ledger's writer with its other figures and rolled as days
//!   pass), one row per account, added up per segment, collector or
//!   currency. A past day: one `GROUP BY` over the invoices, each bucket a
//!   sum `FILTER`ed on the due date against five bound days (both backends
//!   compare dates without date arithmetic), each invoice's balance being
//!   its entries dated up to that day, read as its stored balance less the
//!   entries dated after it (balances are their entries' sum, checked by
//!   `verify-ledger`), so only invoices open now or moved since are read.
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

mod page;
use page::account_page;

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

/// The row key's columns (`k_id`, `k_code`: ids and codes, never names,
/// which `name_rows` reads once for the rows shown) and its `GROUP BY`
/// terms; `account` is the expression holding the account's id. Only the
/// segment and collector groupings read the account's own row.
fn key_sql(group: GroupBy, account: &str) -> (String, String) {
    match group {
        GroupBy::Account => (format!("{account} AS k_id, CAST('' AS TEXT) AS k_code"), format!("{account}, ")),
        GroupBy::Segment => ("CAST(0 AS BIGINT) AS k_id, a.segment AS k_code".into(), "a.segment, ".into()),
        GroupBy::Collector => (
            "COALESCE(a.collector_id, CAST(0 AS BIGINT)) AS k_id, CAST('' AS TEXT) AS k_code".into(),
            "a.collector_id, ".into(),
        ),
        GroupBy::Currency => ("CAST(0 AS BIGINT) AS k_id, CAST('' AS TEXT) AS k_code".into(), String::new()),
    }
}

#[derive(sqlx::FromRow)]
struct KeyCols {
    k_id: i64,
    k_code: String,
}

/// A row's key while the report is added up: no names, nothing allocated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    Account(i64),
    Segment(Segment),
    /// 0: accounts with no collector.
    Collector(i64),
    Currency,
}

fn key_of(group: GroupBy, k: &KeyCols) -> AppResult<Key> {
    Ok(match group {
        GroupBy::Account => Key::Account(k.k_id),
        GroupBy::Segment => Key::Segment(
            Segment::parse(&k.k_code)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown segment {:?}", k.k_code)))?,
        ),
        GroupBy::Collector => Key::Collector(k.k_id),
        GroupBy::Currency => Key::Currency,
    })
}

/// The row key as the page shows it, names left blank (`name_rows`).
fn row_key(key: Key) -> RowKey {
    match key {
        Key::Account(id) => RowKey::Account { id, code: String::new(), name: String::new() },
        Key::Segment(s) => RowKey::Segment(s),
        Key::Collector(0) => RowKey::Collector(None),
        Key::Collector(id) => RowKey::Collector(Some((id, String::new()))),
        Key::Currency => RowKey::Currency,
    }
}

/// The six buckets' sums, `b0`..`b5`, each an aggregate `FILTER`ed on
/// the due date: a row is added to its own bucket alone, one addition per
/// invoice (a `SUM(CASE …)` per bucket adds every row six times, which
/// cost half again the bare query's time on both backends).
fn bucket_sums(day: NaiveDate, balance: &str, args: &mut Args) -> String {
    let bounds: Vec<String> =
        Bucket::ENDS.into_iter().map(|days| args.push(Arg::Date(day - Days::new(days as u64)))).collect();
    (0..=bounds.len())
        .map(|k| {
            let due = match (k.checked_sub(1).map(|p| &bounds[p]), bounds.get(k)) {
                (None, Some(from)) => format!("i.due_date >= {from}"),
                (Some(before), Some(from)) => format!("i.due_date < {before} AND i.due_date >= {from}"),
                (Some(before), None) => format!("i.due_date < {before}"),
                (None, None) => unreachable!("five bounds"),
            };
            format!("CAST(COALESCE(SUM({balance}) FILTER (WHERE {due}), 0) AS BIGINT) AS b{k}")
        })
        .collect::<Vec<_>>()
        .join(", ")
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

/// A row's buckets, in `Bucket::ALL`'s order (their sum is the row's
/// amount).
#[derive(sqlx::FromRow)]
struct BucketRow {
    #[sqlx(flatten)]
    key: KeyCols,
    currency: String,
    b0: i64,
    b1: i64,
    b2: i64,
    b3: i64,
    b4: i64,
    b5: i64,
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

/// Whether the report's queries must read each invoice's account: to
/// group by its segment or collector, or to keep only some accounts.
fn reads_accounts(scope: Scope, f: &AgingFilter) -> bool {
    matches!(f.group, GroupBy::Segment | GroupBy::Collector)
        || !matches!(scope, Scope::All)
        || f.segment.is_some()
        || f.collector_id.is_some()
        || f.currency.is_some()
}

/// The whole report, every row named (the exports').
pub async fn build(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<AgingReport> {
    let mut report = added_up(state, principal, f).await?;
    name_accounts(state, &mut report.rows).await?;
    Ok(report)
}

/// The page's report: one page of rows (those alone named), the totals
/// over all of them. By account, the page is cut in SQL (`account_page`):
/// tens of thousands of rows stay in the database.
pub async fn report(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<AgingReport> {
    if f.group == GroupBy::Account {
        return account_page(state, principal, f).await;
    }
    let mut report = added_up(state, principal, f).await?;
    let pages = report.rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = usize::try_from(f.page.max(1)).unwrap_or(1).min(pages);
    report.rows = report.rows.into_iter().skip((page - 1) * ROWS_PER_PAGE).take(ROWS_PER_PAGE).collect();
    name_accounts(state, &mut report.rows).await?;
    report.page = page as i64;
    report.page_count = pages as i64;
    Ok(report)
}

/// Today's buckets: each account's stored ones (`crate::ledger::balances`,
/// kept by every posting and rolled as days pass: `fresh`), one row per
/// account, or added up per segment, collector or currency.
fn stored_buckets_sql(group: GroupBy, conditions: &[String]) -> String {
    let (key_cols, group_by) = key_sql(group, "a.id");
    let mut conditions = conditions.to_vec();
    conditions.push("a.open_invoices > 0".into());
    let columns = crate::ledger::balances::AGED_COLUMNS.into_iter().chain(["open_invoices"]);
    let names = ["b0", "b1", "b2", "b3", "b4", "b5", "invoices"];
    let (sums, group_by) = if group == GroupBy::Account {
        (columns.zip(names).map(|(c, n)| format!("a.{c} AS {n}")).collect::<Vec<_>>(), String::new())
    } else {
        (
            columns.zip(names).map(|(c, n)| format!("CAST(SUM(a.{c}) AS BIGINT) AS {n}")).collect(),
            format!(" GROUP BY {group_by}a.currency"),
        )
    };
    format!(
        "SELECT {key_cols}, a.currency AS currency, {} FROM accounts a WHERE {}{group_by}",
        sums.join(", "),
        conditions.join(" AND ")
    )
}

/// Makes today's stored figures current (those an invoice's due date or
/// bucket change made stale since they were computed) before a report
/// reads them; a past day's report reads the entries instead.
async fn fresh(state: &AppState, day: Day) -> AppResult<()> {
    if day.today {
        crate::ledger::balances::roll(&state.db, day.on).await?;
    }
    Ok(())
}

/// A report's day and what its queries join and keep: the account
/// conditions come first in every query's arguments (`account_conditions`).
struct Plan {
    day: Day,
    scope: Scope,
    sqlite: bool,
    /// The join to the invoice's account, when the report needs it.
    join: &'static str,
}

impl Plan {
    fn new(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<Plan> {
        principal.require_staff()?;
        let (on, today) = report_day(state, f)?;
        let scope = principal.scope();
        let join = if reads_accounts(scope, f) { " JOIN accounts a ON a.id = i.account_id" } else { "" };
        Ok(Plan { day: Day { on, today }, scope, sqlite: state.db.backend() == "sqlite", join })
    }

    /// The buckets: one row per key and currency (`BucketRow`).
    fn buckets_sql(&self, group: GroupBy, conditions: &[String], args: &mut Args) -> String {
        let (on, today) = (self.day.on, self.day.today);
        if today {
            return stored_buckets_sql(group, conditions);
        }
        let (key_cols, mut group_by) = key_sql(group, "i.account_id");
        // An invoice is in its account's currency (a foreign key on both):
        // by account, the currency is not a key (hashing it cost a tenth
        // of the query). SQLite takes a bare column from any row of the
        // group; PostgreSQL needs an aggregate.
        let mut currency = "i.currency";
        if group == GroupBy::Account {
            group_by.truncate(group_by.trim_end_matches(", ").len());
            if !self.sqlite {
                currency = "MIN(i.currency)";
            }
        } else {
            group_by.push_str("i.currency");
        }
        let mut conditions = conditions.to_vec();
        let balance = "(i.balance_minor - b.later)";
        let sums = bucket_sums(on, balance, args);
        let from = {
            // What an invoice owed at the end of the day: the sum of its
            // entries dated up to then, read as its stored balance (the sum
            // of all its entries, checked by `relance verify-ledger`) less
            // those dated after. Only invoices open now or moved since can
            // have owed anything: far fewer rows than the whole ledger.
            let until = args.push(Arg::Date(on));
            conditions.push(format!("i.status = 'issued' AND {balance} > 0 AND i.issue_date <= {until}"));
            format!(
                "FROM (SELECT m.invoice_id, CAST(SUM(m.amount_minor) AS BIGINT) AS later
                       FROM (SELECT e.invoice_id, e.amount_minor FROM ledger_entries e
                             WHERE e.occurred_on > {until} AND e.invoice_id IS NOT NULL
                             UNION ALL
                             SELECT o.id, CAST(0 AS BIGINT) FROM invoices o WHERE o.status = 'issued' AND o.balance_minor > 0) m
                       GROUP BY m.invoice_id) b
                 JOIN invoices i ON i.id = b.invoice_id{}",
                self.join
            )
        };
        format!(
            "SELECT {key_cols}, {currency} AS currency, {sums}, CAST(COUNT(*) AS BIGINT) AS invoices
             {from} WHERE {} GROUP BY {group_by}",
            conditions.join(" AND ")
        )
    }

    /// Promised and disputed: the invoices under a hold, from the holds'
    /// side (`HoldRow`, one per invoice).
    fn holds_sql(&self, group: GroupBy, conditions: &[String], args: &mut Args) -> String {
        let (key_cols, _) = key_sql(group, "i.account_id");
        let mut conditions = conditions.to_vec();
        let balance = balance_sql(self.day, args);
        let promised = promised_sql(self.day, args);
        let disputed = disputed_sql(self.day, args);
        let held = if self.day.today {
            "i.id IN (SELECT pi.invoice_id FROM promise_invoices pi JOIN promises pr ON pr.id = pi.promise_id
                      WHERE pr.status = 'active'
                      UNION SELECT d.invoice_id FROM disputes d WHERE d.status IN ('open', 'under_review'))
             AND i.balance_minor > 0"
        } else {
            "i.id IN (SELECT pi.invoice_id FROM promise_invoices pi UNION SELECT d.invoice_id FROM disputes d)"
        };
        conditions.push("i.status = 'issued'".into());
        conditions.push(held.into());
        format!(
            "SELECT {key_cols}, i.currency, {balance} AS balance,
                    CAST(CASE WHEN {promised} THEN 1 ELSE 0 END AS BIGINT) AS promised,
                    CAST({disputed} AS BIGINT) AS disputed
             FROM invoices i{} WHERE {}",
            self.join,
            conditions.join(" AND ")
        )
    }

    /// Credit not yet applied, per account (`CreditRow`).
    fn credit_sql(&self, group: GroupBy, conditions: &[String], args: &mut Args) -> String {
        let (key_cols, _) = key_sql(group, "a.id");
        if self.day.today {
            return format!(
                "SELECT {key_cols}, a.currency, a.unapplied_minor AS credit FROM accounts a
                 WHERE {} AND a.unapplied_minor <> 0",
                conditions.join(" AND ")
            );
        }
        // As for the invoices: the stored unapplied credit less the entries
        // without an invoice dated after the day.
        let until = args.push(Arg::Date(self.day.on));
        format!(
            "SELECT {key_cols}, a.currency, CAST(a.unapplied_minor - COALESCE(x.later, 0) AS BIGINT) AS credit
             FROM accounts a LEFT JOIN (SELECT e.account_id, CAST(SUM(e.amount_minor) AS BIGINT) AS later
                   FROM ledger_entries e WHERE e.invoice_id IS NULL AND e.occurred_on > {until}
                   GROUP BY e.account_id) x ON x.account_id = a.id
             WHERE {} AND (a.unapplied_minor <> 0 OR x.later IS NOT NULL)
               AND a.unapplied_minor - COALESCE(x.later, 0) <> 0",
            conditions.join(" AND ")
        )
    }

    async fn collectors(&self, state: &AppState) -> AppResult<Vec<(i64, String)>> {
        Ok(if matches!(self.scope, Scope::All) { crate::collection::collectors(&state.db).await? } else { Vec::new() })
    }
}

/// Every row added up and in order, accounts not yet named: the largest
/// total first within each currency, equal ones by account (the order
/// they were created in), segment or collector name.
#[tracing::instrument(skip(state, principal))]
async fn added_up(state: &AppState, principal: &Principal, f: &AgingFilter) -> AppResult<AgingReport> {
    let plan = Plan::new(state, principal, f)?;
    fresh(state, plan.day).await?;
    let queries = [(); 3].map(|_| {
        let mut args = Args::default();
        let conditions = account_conditions(plan.scope, f, &mut args);
        (args, conditions)
    });
    let [(mut args, conditions), (mut hold_args, hold_conditions), (mut credit_args, credit_conditions)] = queries;
    let buckets_sql = plan.buckets_sql(f.group, &conditions, &mut args);
    let holds_sql = plan.holds_sql(f.group, &hold_conditions, &mut hold_args);
    let credit_sql = plan.credit_sql(f.group, &credit_conditions, &mut credit_args);

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
        rows.row(f.group, &b.key, &b.currency)?.add_buckets(&b);
    }
    for h in holds {
        rows.row(f.group, &h.key, &h.currency)?.add_hold(&h);
    }
    for c in credits {
        rows.row(f.group, &c.key, &c.currency)?.credit.minor += c.credit;
    }
    let mut rows = rows.0.into_values().collect::<Vec<_>>();
    if f.group == GroupBy::Collector {
        name_rows(state, &mut rows).await?;
    }
    rows.sort_by(|x, y| {
        x.currency.code().cmp(y.currency.code()).then(y.total.minor.cmp(&x.total.minor)).then_with(|| order(x, y))
    });
    let totals = totals(&rows);
    let collectors = plan.collectors(state).await?;
    let (on, today) = (plan.day.on, plan.day.today);
    Ok(AgingReport { as_of: on, today, filter: f.clone(), rows, totals, collectors, page: 1, page_count: 1 })
}

/// The order of two rows of equal totals.
fn order(x: &AgingRow, y: &AgingRow) -> std::cmp::Ordering {
    match (&x.key, &y.key) {
        (RowKey::Account { id: a, .. }, RowKey::Account { id: b, .. }) => a.cmp(b),
        (RowKey::Segment(a), RowKey::Segment(b)) => a.as_str().cmp(b.as_str()),
        (RowKey::Collector(a), RowKey::Collector(b)) => {
            let name = |c: &Option<(i64, String)>| c.as_ref().map(|(_, n)| n.clone()).unwrap_or_default();
            name(a).cmp(&name(b))
        }
        _ => std::cmp::Ordering::Equal,
    }
}

/// Names account rows (collector rows are named before they are ordered,
/// in `added_up`).
async fn name_accounts(state: &AppState, rows: &mut [AgingRow]) -> AppResult<()> {
    if rows.iter().any(|r| matches!(r.key, RowKey::Account { .. })) {
        name_rows(state, rows).await?;
    }
    Ok(())
}

/// Fills in the accounts' codes and names, and the collectors' names, of
/// these rows: by id for a page's few, from every account for more.
async fn name_rows(state: &AppState, rows: &mut [AgingRow]) -> AppResult<()> {
    let accounts: Vec<i64> =
        rows.iter().filter_map(|r| if let RowKey::Account { id, .. } = r.key { Some(id) } else { None }).collect();
    let collectors: Vec<i64> = rows
        .iter()
        .filter_map(|r| if let RowKey::Collector(Some((id, _))) = r.key { Some(id) } else { None })
        .collect();
    if accounts.is_empty() && collectors.is_empty() {
        return Ok(());
    }
    let list = |ids: &[i64]| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>().join(", ");
    let accounts_sql = if accounts.len() <= 2 * ROWS_PER_PAGE {
        format!("SELECT id, code, legal_name FROM accounts WHERE id IN ({})", list(&accounts))
    } else {
        "SELECT id, code, legal_name FROM accounts".to_string()
    };
    let users_sql = format!("SELECT id, name FROM users WHERE id IN ({})", list(&collectors));
    type Names = (Vec<(i64, String, String)>, Vec<(i64, String)>);
    let (account_names, user_names): Names = with_db!(&state.db, |pool| {
        async {
            let a =
                if accounts.is_empty() { Vec::new() } else { sqlx::query_as(&accounts_sql).fetch_all(pool).await? };
            let u = if collectors.is_empty() { Vec::new() } else { sqlx::query_as(&users_sql).fetch_all(pool).await? };
            Ok::<_, sqlx::Error>((a, u))
        }
        .await
    })?;
    let account_names: HashMap<i64, (String, String)> =
        account_names.into_iter().map(|(id, code, name)| (id, (code, name))).collect();
    let user_names: HashMap<i64, String> = user_names.into_iter().collect();
    for row in rows.iter_mut() {
        match &mut row.key {
            RowKey::Account { id, code, name } => {
                if let Some((c, n)) = account_names.get(id) {
                    code.clone_from(c);
                    name.clone_from(n);
                }
            }
            RowKey::Collector(Some((id, name))) => {
                if let Some(n) = user_names.get(id) {
                    name.clone_from(n);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The report's rows as they are added up, by key and currency.
#[derive(Default)]
struct Rows(HashMap<(Key, Currency), AgingRow>);

impl Rows {
    fn row(&mut self, group: GroupBy, key: &KeyCols, currency: &str) -> AppResult<&mut AgingRow> {
        let currency = crate::ledger::parse_currency(currency)?;
        let key = key_of(group, key)?;
        Ok(self.0.entry((key, currency)).or_insert_with(|| empty_row(row_key(key), currency)))
    }
}

impl AgingRow {
    /// Adds a row of bucket sums.
    fn add_buckets(&mut self, b: &BucketRow) {
        for (bucket, sum) in self.buckets.iter_mut().zip([b.b0, b.b1, b.b2, b.b3, b.b4, b.b5]) {
            bucket.minor += sum;
            self.total.minor += sum;
        }
        self.invoices += b.invoices;
    }

    /// Adds an invoice under a hold (none, if it owed nothing).
    fn add_hold(&mut self, h: &HoldRow) {
        if h.balance <= 0 {
            return;
        }
        if h.promised != 0 {
            self.promised.minor += h.balance;
        }
        self.disputed.minor += h.disputed.min(h.balance);
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
