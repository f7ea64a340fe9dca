//! Housekeeping that keeps the auth tables small: expired or revoked
//! sessions, spent links and old login failures. Safe to run on several
//! instances at once (plain deletes of rows nobody can use any more).

use crate::ops::jobs::{step, Jobs};
use app::state::AppState;
use app::with_db;
use chrono::Duration;

/// Deletes what can no longer matter; returns the number of rows removed.
pub async fn purge(state: &AppState) -> anyhow::Result<u64> {
    let now = state.clock.now();
    // Kept a while for the audit trail of recent activity.
    let old = now - Duration::days(30);
    let throttle_window = now - Duration::minutes(app::auth::ssr::THROTTLE_WINDOW_MINUTES);
    let removed = with_db!(&state.db, |pool| {
        let mut tx = pool.begin().await?;
        let mut n = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM auth_attempts WHERE occurred_at < $1")
            .bind(throttle_window)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        n += sqlx::query("DELETE FROM user_tokens WHERE expires_at < $1")
            .bind(old)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(n)
    })?;
    Ok(removed)
}

/// Without a mail server nothing in the outbox will ever be delivered: a
/// single-use link still stored there (written before the upgrade that
/// stopped storing them, or before SMTP was turned off) is redacted.
pub async fn redact_undeliverable_links(state: &AppState) -> anyhow::Result<u64> {
    if state.mail_delivery {
        return Ok(0);
    }
    let rows: Vec<(i64, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, body_text FROM outbox WHERE status = 'pending'
               AND (body_text LIKE '%/reset/%' OR body_text LIKE '%/invite/%')",
        )
        .fetch_all(pool)
        .await
    })?;
    let mut redacted = 0;
    for (id, body) in rows {
        let safe = app::mail::redact_links(&body);
        if safe != body {
            with_db!(&state.db, |pool| {
                sqlx::query("UPDATE outbox SET body_text = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&safe)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            redacted += 1;
        }
    }
    Ok(redacted)
}

/// Housekeeping, hourly.
pub fn spawn(jobs: &Jobs, state: AppState) {
    jobs.every(std::time::Duration::from_secs(3600), move || {
        let state = state.clone();
        async move {
            let mut runs = step("housekeeping", async {
                let n = purge(&state).await?;
                if n > 0 {
                    tracing::info!(removed = n, "auth tables purged");
                }
                anyhow::Ok(())
            })
            .await;
            runs.extend(
                step("link redaction", async {
                    let n = redact_undeliverable_links(&state).await?;
                    if n > 0 {
                        tracing::info!(redacted = n, "links redacted in undeliverable mail");
                    }
                    anyhow::Ok(())
                })
                .await,
            );
            runs
        }
    });
}

/// The payments job: sandbox events due, reconciliation of interrupted
/// payments, autopay, waiting credit, promises, reminders. Every pass is
/// safe to run on several instances at once (see `app::payments::jobs`).
pub fn spawn_payments(jobs: &Jobs, state: AppState, every_seconds: u64) {
    jobs.every(std::time::Duration::from_secs(every_seconds), move || {
        let state = state.clone();
        async move { app::payments::jobs::run_once_timed(&state).await }
    });
}
