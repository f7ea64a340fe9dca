//! The dashboard's queries, each scoped in SQL by the caller (`Scope`, the
//! first three parameters). Today's aging comes from the aging report
//! itself (`crate::aging::totals_today`), so both always agree.

use super::*;
use crate::auth::ssr::{Principal, Scope};
use crate::collection::{DISPUTED_SQL, PROMISED_SQL};
use crate::db::{Arg, Args};
use crate::error::AppResult;
use crate::state::AppState;
use crate::{bind_args, with_db};
use chrono::{Datelike, Days, Duration, Months};
use std::collections::BTreeMap;

/// The scope as the first three arguments, and its condition.
fn scoped(scope: Scope) -> (Args, String) {
    let mut args = Args::default();
    let (all, collector, account) = scope.binds();
    args.push(Arg::Bool(all));
    args.push(Arg::OptInt(collector));
    args.push(Arg::OptInt(account));
    (args, scope.sql().to_string())
}

#[derive(sqlx::FromRow)]
struct CurrencyAmount {
    currency: String,
    amount: i64,
}

#[derive(sqlx::FromRow)]
struct WeekAmount {
    currency: String,
    week: i64,
    amount: i64,
}

#[derive(sqlx::FromRow)]
struct TopRow {
    id: i64,
    legal_name: String,
    currency: String,
    overdue_minor: i64,
}

#[derive(sqlx::FromRow)]
struct BrokenRow {
    account_id: i64,
    legal_name: String,
    promised_date: NaiveDate,
    amount_minor: i64,
    currency: String,
}

/// What the dashboard's queries read.
struct Read {
    due: Vec<WeekAmount>,
    promised: Vec<WeekAmount>,
    /// (currency, this month, last month)
    collected: Vec<(String, i64, i64)>,
    top: Vec<TopRow>,
    broken: Vec<BrokenRow>,
    broken_count: i64,
    disputes: i64,
    reminders: i64,
    paid_after: Vec<CurrencyAmount>,
    steps: Vec<StepRow>,
}

#[derive(sqlx::FromRow)]
struct StepRow {
    position: i32,
    channel: String,
    sent: i64,
    paid_after: i64,
}

/// The week (0 to 3) a date expression falls in, from today: a `CASE` on
/// four bound days, as the aging's buckets are.
fn week_case(expr: &str, today: NaiveDate, args: &mut Args) -> (String, String) {
    let mut case = String::from("CAST(CASE");
    for w in 1..4u64 {
        let start = args.push(Arg::Date(today + Days::new(7 * w)));
        case.push_str(&format!(" WHEN {expr} < {start} THEN {}", w - 1));
    }
    case.push_str(" ELSE 3 END AS BIGINT)");
    let first = args.push(Arg::Date(today));
    let end = args.push(Arg::Date(today + Days::new(28)));
    (case, format!("{expr} >= {first} AND {expr} < {end}"))
}

pub async fn dashboard(state: &AppState, principal: &Principal) -> AppResult<Dashboard> {
    let today = state.clock.today();
    crate::ledger::balances::roll(&state.db, today).await?;
    let scope = principal.scope();
    let aging = crate::aging::totals_today(state, principal).await?;

    // Expected over four weeks: open invoices due then (not promised, less
    // what disputes hold), and active promises due then.
    let (mut due_args, due_scope) = scoped(scope);
    let (due_week, due_in) = week_case("i.due_date", today, &mut due_args);
    let due_sql = format!(
        "SELECT a.currency, {due_week} AS week,
                CAST(SUM(i.balance_minor - CASE WHEN {DISPUTED_SQL} > i.balance_minor THEN i.balance_minor
                                                ELSE {DISPUTED_SQL} END) AS BIGINT) AS amount
         FROM invoices i JOIN accounts a ON a.id = i.account_id
         WHERE {due_scope} AND i.status = 'issued' AND i.balance_minor > 0 AND {due_in} AND NOT {PROMISED_SQL}
         GROUP BY a.currency, week"
    );
    let (mut promise_args, promise_scope) = scoped(scope);
    let (promise_week, promise_in) = week_case("pr.promised_date", today, &mut promise_args);
    let promise_sql = format!(
        "SELECT pr.currency, {promise_week} AS week, CAST(SUM(pr.amount_minor) AS BIGINT) AS amount
         FROM promises pr JOIN accounts a ON a.id = pr.account_id
         WHERE {promise_scope} AND pr.status = 'active' AND {promise_in}
         GROUP BY pr.currency, week"
    );

    // Collected: payments posted this month and last month.
    let month_start = today.with_day(1).unwrap_or(today);
    let last_start = month_start - Months::new(1);
    let (mut collected_args, collected_scope) = scoped(scope);
    let this_month = collected_args.push(Arg::Date(month_start));
    let last_month = collected_args.push(Arg::Date(last_start));
    let until = collected_args.push(Arg::Date(today));
    let collected_sql = format!(
        "SELECT e.currency,
                CAST(SUM(CASE WHEN e.occurred_on >= {this_month} THEN -e.amount_minor ELSE 0 END) AS BIGINT) AS this_month,
                CAST(SUM(CASE WHEN e.occurred_on < {this_month} THEN -e.amount_minor ELSE 0 END) AS BIGINT) AS last_month
         FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
         WHERE {collected_scope} AND e.kind = 'payment' AND e.occurred_on >= {last_month} AND e.occurred_on <= {until}
         GROUP BY e.currency"
    );

    let (top_args, top_scope) = scoped(scope);
    let top_sql = format!(
        "SELECT a.id, a.legal_name, a.currency, a.overdue_minor FROM accounts a
         WHERE {top_scope} AND a.overdue_minor > 0 ORDER BY a.overdue_minor DESC, a.legal_name LIMIT 5"
    );
    let (mut broken_args, broken_scope) = scoped(scope);
    let since = broken_args.push(Arg::Date(today - Days::new(30)));
    let broken_from = format!(
        "FROM promises pr JOIN accounts a ON a.id = pr.account_id
         WHERE {broken_scope} AND pr.status = 'broken' AND pr.promised_date >= {since}"
    );
    let broken_sql = format!(
        "SELECT a.id AS account_id, a.legal_name, pr.promised_date, pr.amount_minor, pr.currency {broken_from}
         ORDER BY pr.promised_date DESC, pr.id DESC LIMIT 5"
    );
    let broken_count_sql = format!("SELECT CAST(COUNT(*) AS BIGINT) {broken_from}");
    let (disputes_args, disputes_scope) = scoped(scope);
    let disputes_sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM disputes d JOIN accounts a ON a.id = d.account_id
         WHERE {disputes_scope} AND d.status IN ('open', 'under_review')"
    );
    // Reminders sent in the last 30 days, and what their accounts paid
    // after one of them went out.
    let (mut reminder_args, reminder_scope) = scoped(scope);
    let since_at = reminder_args.push(Arg::Time(state.clock.now() - Duration::days(30)));
    let reminders_sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM reminders r JOIN accounts a ON a.id = r.account_id
         WHERE {reminder_scope} AND r.status = 'sent' AND r.created_at >= {since_at}"
    );
    let paid_after_sql = format!(
        "SELECT e.currency, CAST(SUM(-e.amount_minor) AS BIGINT) AS amount
         FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
         WHERE {reminder_scope} AND e.kind = 'payment' AND e.created_at >= {since_at}
           AND EXISTS (SELECT 1 FROM reminders r WHERE r.account_id = e.account_id AND r.status = 'sent'
                       AND r.created_at >= {since_at} AND r.created_at <= e.created_at)
         GROUP BY e.currency ORDER BY e.currency"
    );

    // Step by step: each reminder sent, and whether its account paid after it.
    let steps_sql = format!(
        "SELECT s.position, r.channel, CAST(COUNT(*) AS BIGINT) AS sent,
                CAST(SUM(CASE WHEN EXISTS (SELECT 1 FROM ledger_entries e WHERE e.account_id = r.account_id
                                           AND e.kind = 'payment' AND e.created_at >= r.created_at)
                         THEN 1 ELSE 0 END) AS BIGINT) AS paid_after
         FROM reminders r JOIN reminder_steps s ON s.id = r.step_id JOIN accounts a ON a.id = r.account_id
         WHERE {reminder_scope} AND r.status = 'sent' AND r.created_at >= {since_at}
         GROUP BY s.position, r.channel ORDER BY s.position, r.channel"
    );
    let Read { due, promised, collected, top, broken, broken_count, disputes, reminders, paid_after, steps } =
        with_db!(&state.db, |pool| {
            async {
                Ok::<_, sqlx::Error>(Read {
                    due: bind_args!(sqlx::query_as(&due_sql), due_args).fetch_all(pool).await?,
                    promised: bind_args!(sqlx::query_as(&promise_sql), promise_args).fetch_all(pool).await?,
                    collected: bind_args!(sqlx::query_as(&collected_sql), collected_args).fetch_all(pool).await?,
                    top: bind_args!(sqlx::query_as(&top_sql), top_args).fetch_all(pool).await?,
                    broken: bind_args!(sqlx::query_as(&broken_sql), broken_args).fetch_all(pool).await?,
                    broken_count: bind_args!(sqlx::query_scalar(&broken_count_sql), broken_args)
                        .fetch_one(pool)
                        .await?,
                    disputes: bind_args!(sqlx::query_scalar(&disputes_sql), disputes_args).fetch_one(pool).await?,
                    reminders: bind_args!(sqlx::query_scalar(&reminders_sql), reminder_args).fetch_one(pool).await?,
                    paid_after: bind_args!(sqlx::query_as(&paid_after_sql), reminder_args).fetch_all(pool).await?,
                    steps: bind_args!(sqlx::query_as(&steps_sql), reminder_args).fetch_all(pool).await?,
                })
            }
            .await
        })?;

    let parse = crate::ledger::parse_currency;
    let mut weeks: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for w in due.into_iter().chain(promised) {
        let slot = usize::try_from(w.week).unwrap_or(0).min(3);
        weeks.entry(w.currency).or_default()[slot] += w.amount;
    }
    let collected: BTreeMap<String, (i64, i64)> = collected.into_iter().map(|(c, t, l)| (c, (t, l))).collect();
    let currencies = aging
        .into_iter()
        .map(|row| {
            let code = row.currency.code().to_string();
            let w = weeks.get(&code).copied().unwrap_or_default();
            let (this, last) = collected.get(&code).copied().unwrap_or_default();
            let currency = row.currency;
            CurrencyFigures {
                expected: (0..4u64).map(|i| (today + Days::new(7 * i), Money::new(w[i as usize], currency))).collect(),
                collected_this_month: Money::new(this, currency),
                collected_last_month: Money::new(last, currency),
                aging: row,
            }
        })
        .collect();
    Ok(Dashboard {
        today,
        currencies,
        top_overdue: top
            .into_iter()
            .map(|r| {
                Ok(TopAccount {
                    id: r.id,
                    name: r.legal_name,
                    overdue: Money::new(r.overdue_minor, parse(&r.currency)?),
                })
            })
            .collect::<AppResult<_>>()?,
        broken_promises: broken
            .into_iter()
            .map(|r| {
                Ok(BrokenPromise {
                    account_id: r.account_id,
                    account_name: r.legal_name,
                    promised_date: r.promised_date,
                    amount: Money::new(r.amount_minor, parse(&r.currency)?),
                })
            })
            .collect::<AppResult<_>>()?,
        broken_count,
        disputes_waiting: disputes,
        reminders_sent: reminders,
        paid_after_reminders: paid_after
            .into_iter()
            .map(|r| Ok(Money::new(r.amount, parse(&r.currency)?)))
            .collect::<AppResult<_>>()?,
        reminder_steps: steps
            .into_iter()
            .map(|r| {
                Ok(StepFigures {
                    position: r.position,
                    channel: Channel::parse(&r.channel)
                        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown channel {:?}", r.channel)))?,
                    sent: r.sent,
                    paid_after: r.paid_after,
                })
            })
            .collect::<AppResult<_>>()?,
        version: version(state).await?,
    })
}

/// The figures' version: the last posting, payment, promise and dispute
/// change, read from their keys (one cheap query; the same for every
/// caller, as any change may move someone's figures).
pub async fn version(state: &AppState) -> AppResult<String> {
    let (postings, payments, promises, disputes): (i64, i64, i64, i64) = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT (SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM ledger_postings),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM payments WHERE status = 'succeeded'),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM promises WHERE status = 'active'),
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM disputes WHERE status IN ('open', 'under_review'))",
        )
        .fetch_one(pool)
        .await
    })?;
    Ok(format!("{postings}.{payments}.{promises}.{disputes}"))
}
