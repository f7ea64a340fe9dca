//! `relance time-aging`: the aging report over the book as it stands (after
//! `relance seed-scale`: 50,000 accounts, 1,000,000 invoices), timed beside
//! the bare `GROUP BY` over the same rows, for the benchmark in
//! `scripts/bench-aging.sh` (target: the report within 1.5× the bare query,
//! on SQLite and PostgreSQL). Changes nothing; not for CI.
//!
//! The report is timed as the page reads it (by account, the rows added
//! up and the page cut in SQL, its 50 rows named) and, by account, as the
//! export does (every row added up and named). Each is timed in turn with
//! its bare query, so that both meet the machine in the same state.
//!
//! - Today's report (every open invoice, by account and by currency) against
//!   `SELECT account_id, SUM(balance_minor) … GROUP BY account_id` over the
//!   open invoices: the least any aging must read.
//!   Today's report reads each account's stored buckets (kept by the
//!   ledger's writer, rolled as days pass), so the cost moved to the days'
//!   roll: how many accounts tomorrow's moves, and the time to recompute
//!   their figures (in a transaction rolled back), are printed too.
//! - A past day's (90 days ago, rebuilt from the entries) against the bare
//!   `SUM(amount_minor) … GROUP BY invoice_id` over the entries dated up to
//!   that day, which it must add up first.

use app::aging::{AgingFilter, GroupBy};
use app::auth::ssr::Principal;
use app::domain::Role;
use app::state::AppState;
use app::with_db;
use chrono::Days;
use std::time::Instant;

fn p50(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub async fn run(state: &AppState, runs: usize) -> anyhow::Result<()> {
    let owner: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'owner' ORDER BY id LIMIT 1").fetch_one(pool).await
    })?;
    let principal = Principal {
        user_id: owner,
        session_id: String::new(),
        role: Role::Owner,
        account_id: None,
        name: String::new(),
        email: String::new(),
        locale: None,
        page_version: Default::default(),
    };
    let open: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE status = 'issued' AND balance_minor > 0")
            .fetch_one(pool)
            .await
    })?;
    let past = state.clock.today() - Days::new(90);
    println!(
        "aging benchmark: {open} open invoices, {runs} runs each, p50; each report timed in turn with its bare query"
    );

    let bare_today = || async {
        let rows: Vec<(i64, i64)> = with_db!(&state.db, |pool| {
            sqlx::query_as(
                "SELECT i.account_id, CAST(SUM(i.balance_minor) AS BIGINT) FROM invoices i
                 WHERE i.status = 'issued' AND i.balance_minor > 0 GROUP BY i.account_id",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.len())
    };
    let bare_past = || async {
        let rows: Vec<(i64, i64)> = with_db!(&state.db, |pool| {
            sqlx::query_as(
                "SELECT e.invoice_id, CAST(SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e
                 WHERE e.invoice_id IS NOT NULL AND e.occurred_on <= $1 GROUP BY e.invoice_id",
            )
            .bind(past)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.len())
    };
    let cases = [
        ("today, by account (the page)", None, GroupBy::Account, false),
        ("today, by account, every row named (the export)", None, GroupBy::Account, true),
        ("today, by currency", None, GroupBy::Currency, false),
        ("90 days ago, by account (the page)", Some(past), GroupBy::Account, false),
    ];
    for (label, as_of, group, whole) in cases {
        let filter = AgingFilter { as_of, group, page: 1, ..Default::default() };
        let report = || async {
            let r = if whole {
                app::aging::ssr::build(state, &principal, &filter).await
            } else {
                app::aging::ssr::report(state, &principal, &filter).await
            };
            let r = r.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(if whole { r.rows.len() } else { r.page_count as usize })
        };
        let ((bare_ms, bare_rows), (ms, rows)) = if as_of.is_some() {
            time_pair(runs, bare_past, report).await?
        } else {
            time_pair(runs, bare_today, report).await?
        };
        let unit = if whole { "rows" } else { "pages" };
        println!(
            "  aging {label}: {ms:.1} ms ({rows} {unit}); bare GROUP BY {bare_ms:.1} ms ({bare_rows} rows): {:.2}×",
            ms / bare_ms
        );
    }
    // What the stored buckets cost instead: tomorrow's roll.
    let tomorrow = state.clock.today() + Days::new(1);
    let mut took = Vec::with_capacity(runs);
    let mut moving = 0;
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        moving = app::ledger::balances::roll_undone(&state.db, tomorrow).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "  tomorrow's roll: {moving} accounts' stored figures move; recomputing them {:.1} ms (rolled back)",
        p50(&mut took)
    );
    Ok(())
}

/// The p50 of `runs` calls of each (after one of each to warm the caches),
/// the two called in turn so that both meet the machine in the same state,
/// and the rows each last returned.
async fn time_pair<B, BF, R, RF>(runs: usize, bare: B, report: R) -> anyhow::Result<((f64, usize), (f64, usize))>
where
    B: Fn() -> BF,
    BF: std::future::Future<Output = anyhow::Result<usize>>,
    R: Fn() -> RF,
    RF: std::future::Future<Output = anyhow::Result<usize>>,
{
    let (mut bare_rows, mut rows) = (bare().await?, report().await?);
    let (mut bare_took, mut took) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        bare_rows = bare().await?;
        bare_took.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        rows = report().await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(((p50(&mut bare_took), bare_rows), (p50(&mut took), rows)))
}
