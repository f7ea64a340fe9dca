//! `relance time-reminders`: the reminder job over the book as it stands,
//! timed, for the planning-throughput benchmark (target: 20,000 invoices/s
//! on SQLite and PostgreSQL). Run `relance time-import` first for 1,000
//! accounts and 100,000 invoices. It gives every segment a one-step plan
//! (an e-mail the day after the due date), so every overdue invoice is
//! covered by one reminder per account, runs the job on the next business
//! day at 10:00 UTC, then runs it again: the second pass records nothing.
//! Not for CI, and not on a database anyone reads reminders from.

use anyhow::Context;
use app::db::Clock;
use app::domain::Segment;
use app::reminders::ssr::engine;
use app::state::AppState;
use app::with_db;
use chrono::{Datelike, Duration, NaiveTime, Weekday};
use std::time::Instant;

pub async fn run(state: &AppState) -> anyhow::Result<()> {
    let now = state.clock.now();
    let plan: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO reminder_plans (name, customer_kind, min_amount_minor, created_at, updated_at)
             VALUES ('Mesure', 'business', 0, $1, $1) RETURNING id",
        )
        .bind(now)
        .fetch_one(pool)
        .await
    })?;
    with_db!(&state.db, |pool| {
        sqlx::query(
            "INSERT INTO reminder_steps (plan_id, position, anchor, offset_days, channel) VALUES ($1, 1, 'due_date', 1, 'email')",
        )
        .bind(plan)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    for segment in Segment::ALL {
        with_db!(&state.db, |pool| {
            sqlx::query("DELETE FROM segment_reminder_plans WHERE segment = $1")
                .bind(segment.as_str())
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        with_db!(&state.db, |pool| {
            sqlx::query("INSERT INTO segment_reminder_plans (segment, plan_id) VALUES ($1, $2)")
                .bind(segment.as_str())
                .bind(plan)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    // The next weekday at 10:00 UTC: inside the default window (9:00 to
    // 18:00 in Paris), a few holidays aside.
    let mut day = state.clock.today() + Duration::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Duration::days(1);
    }
    let at = day.and_time(NaiveTime::from_hms_opt(10, 0, 0).context("a time")?).and_utc();
    let overdue: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM invoices i JOIN accounts a ON a.id = i.account_id
             WHERE i.status = 'issued' AND i.balance_minor > 0 AND i.due_date < $1 AND a.archived_at IS NULL
               AND NOT a.reminders_excluded",
        )
        .bind(day)
        .fetch_one(pool)
        .await
    })?;
    let covered_before: i64 =
        with_db!(&state.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM reminder_invoices").fetch_one(pool).await)?;

    // The job's own pace for the backend, or RELANCE_REMINDER_BATCH
    // (accounts per transaction) and RELANCE_REMINDER_PARALLEL
    // (transactions at once) to compare.
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    let mut pace = engine::pace(&state.db);
    pace.batch = env("RELANCE_REMINDER_BATCH").unwrap_or(pace.batch);
    pace.parallel = env("RELANCE_REMINDER_PARALLEL").unwrap_or(pace.parallel);
    let mut job = state.clone();
    job.clock = Clock::Fixed(at);
    let started = Instant::now();
    let recorded = engine::run_paced(&job, pace).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let first = started.elapsed();
    let covered: i64 =
        with_db!(&state.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM reminder_invoices").fetch_one(pool).await)?;
    let covered = covered - covered_before;
    println!(
        "reminder job ({} accounts per transaction, {} at once), first pass on {day}: {recorded} reminders covering {covered} of {overdue} overdue invoices in {:.2} s ({:.0} invoices/s)",
        pace.batch,
        pace.parallel,
        first.as_secs_f64(),
        covered as f64 / first.as_secs_f64()
    );
    let started = Instant::now();
    let again = engine::run_paced(&job, pace).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let second = started.elapsed();
    println!(
        "reminder job, second pass: {again} reminders (nothing is sent twice) in {:.2} s ({:.0} invoices checked/s)",
        second.as_secs_f64(),
        overdue as f64 / second.as_secs_f64()
    );
    if again != 0 {
        anyhow::bail!("the second pass recorded {again} reminders");
    }
    Ok(())
}
