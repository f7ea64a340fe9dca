//! `relance time-aging`: the aging report over the book as it stands (after
//! `relance seed-scale`: 50,000 accounts, 1,000,000 invoices), timed beside
//! the bare `GROUP BY` over the same rows, for the benchmark in
//! `scripts/bench-aging.sh` (target: the report within 1.5× the bare query,
//! on SQLite and PostgreSQL). Read-only; not for CI.
//!
//! The report is timed as the page reads it (every row added up and
//! ordered, the page's 50 named) and, by account, as the export does
//! (every row named).
//!
//! - Today's report (every open invoice, by account and by currency) against
//!   `SELECT account_id, SUM(balance_minor) … GROUP BY account_id` over the
//!   open invoices: the least any aging must read.
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
    };
    let open: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT COUNT(*) FROM invoices WHERE status = 'issued' AND balance_minor > 0")
            .fetch_one(pool)
            .await
    })?;
    let past = state.clock.today() - Days::new(90);
    println!("aging benchmark: {open} open invoices, {runs} runs each, p50");

    let bare_today = time(runs, || async {
        let rows: Vec<(i64, i64)> = with_db!(&state.db, |pool| {
            sqlx::query_as(
                "SELECT i.account_id, CAST(SUM(i.balance_minor) AS BIGINT) FROM invoices i
                 WHERE i.status = 'issued' AND i.balance_minor > 0 GROUP BY i.account_id",
            )
            .fetch_all(pool)
            .await
        })?;
        Ok(rows.len())
    })
    .await?;
    let bare_past = time(runs, || async {
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
    })
    .await?;
    println!("  bare GROUP BY, open invoices by account:   {:>8.1} ms ({} rows)", bare_today.0, bare_today.1);
    for (label, as_of, group, bare) in [
        ("aging today, by account:                 ", None, GroupBy::Account, bare_today.0),
        ("aging today, by currency:                ", None, GroupBy::Currency, bare_today.0),
    ] {
        report(state, &principal, runs, label, as_of, group, bare).await?;
    }
    println!("  bare GROUP BY, entries to {past} by invoice: {:>6.1} ms ({} rows)", bare_past.0, bare_past.1);
    report(
        state,
        &principal,
        runs,
        "aging 90 days ago, by account:           ",
        Some(past),
        GroupBy::Account,
        bare_past.0,
    )
    .await?;
    Ok(())
}

async fn report(
    state: &AppState,
    principal: &Principal,
    runs: usize,
    label: &str,
    as_of: Option<chrono::NaiveDate>,
    group: GroupBy,
    bare: f64,
) -> anyhow::Result<()> {
    let filter = AgingFilter { as_of, group, page: 1, ..Default::default() };
    // The page: every row added up and ordered, the first page named.
    let (ms, rows) = time(runs, || async {
        let r = app::aging::ssr::report(state, principal, &filter).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(r.page_count as usize)
    })
    .await?;
    println!("  {label}{ms:>8.1} ms ({rows} pages), {:.2}× the bare query", ms / bare);
    // The export's rows: every one named as well.
    if group == GroupBy::Account {
        let (ms, rows) = time(runs, || async {
            let r = app::aging::ssr::build(state, principal, &filter).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            Ok(r.rows.len())
        })
        .await?;
        println!("    the same, every row named (the export's):{ms:>8.1} ms ({rows} rows), {:.2}×", ms / bare);
    }
    Ok(())
}

/// The p50 of `runs` calls (after one to warm the caches), and the rows
/// the last returned.
async fn time<F, Fut>(runs: usize, f: F) -> anyhow::Result<(f64, usize)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<usize>>,
{
    let mut rows = f().await?;
    let mut took = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        rows = f().await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((p50(&mut took), rows))
}
