//! Scheduled payment work. Each function is one pass, safe to run twice at
//! once or on several instances: claims go through unique keys and
//! compare-and-set updates, never through "check then act".

use super::ssr;
use super::*;
use crate::error::AppResult;
use crate::state::AppState;
use crate::with_db;
use chrono::Duration;

/// A pending payment older than this was interrupted (crash, gateway
/// outage): ask the gateway again with the same idempotency key.
pub const STALE_PENDING_MINUTES: i64 = 2;
/// A payment in flight is asked about at most this often (its events
/// normally arrive first; a SEPA debit is `processing` for days).
pub const RECHECK_MINUTES: i64 = 10;

/// Autopay retries a declined charge after these many days (counted from
/// the previous attempt), then gives up until the client acts.
pub const AUTOPAY_RETRY_DAYS: [i64; 3] = [1, 3, 7];

#[derive(sqlx::FromRow)]
struct DueRow {
    invoice_id: i64,
    account_id: i64,
    method_id: i64,
    /// Autopay attempts on this invoice so far, and those not failed.
    attempts: i64,
    live: i64,
    last_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl DueRow {
    /// Whether another attempt is due now: none yet, or the last one failed
    /// and its retry delay has passed.
    fn due(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        if self.live > 0 {
            return false;
        }
        match usize::try_from(self.attempts).ok().and_then(|n| n.checked_sub(1)) {
            None => true,
            Some(i) => match (AUTOPAY_RETRY_DAYS.get(i), self.last_at) {
                (Some(days), Some(last)) => last + Duration::days(*days) <= now,
                _ => false,
            },
        }
    }

    /// The first attempt keeps the historical key; retries are numbered.
    fn key(&self) -> String {
        match self.attempts {
            0 => format!("autopay:{}", self.invoice_id),
            n => format!("autopay:{}:{}", self.invoice_id, n + 1),
        }
    }
}

/// Autopay: charges each enrolled account's invoices that are due, once per
/// attempt, never a disputed amount; a declined charge is retried on the
/// `AUTOPAY_RETRY_DAYS` schedule. Each attempt's idempotency key is unique
/// per account, so a second run (or a second instance) finds the first
/// one's payment instead of making another. Driven by the enrolled methods
/// and the stored balances of their accounts' open invoices: no ledger scan.
#[tracing::instrument(skip_all)]
pub async fn run_autopay(state: &AppState) -> AppResult<usize> {
    let today = state.clock.today();
    let now = state.clock.now();
    let attempts = "FROM payment_allocations pa JOIN payments p ON p.id = pa.payment_id
                    WHERE pa.invoice_id = i.id AND p.source = 'autopay'";
    let disputed = crate::collection::DISPUTED_SQL;
    let sql = format!(
        "SELECT i.id AS invoice_id, i.account_id, m.id AS method_id,
                (SELECT COUNT(*) {attempts}) AS attempts,
                (SELECT COUNT(*) {attempts} AND p.status <> 'failed') AS live,
                (SELECT MAX(p.updated_at) {attempts}) AS last_at
         FROM payment_methods m
         JOIN invoices i ON i.account_id = m.account_id AND i.status = 'issued' AND i.balance_minor > 0
         WHERE m.autopay AND m.removed_at IS NULL AND m.gateway = $2
           AND i.due_date <= $1 AND i.due_date >= m.autopay_since
           AND i.balance_minor > {disputed}
         ORDER BY i.due_date, i.id"
    );
    let rows: Vec<DueRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(today).bind(state.gateway.name()).fetch_all(pool).await
    })?;
    let due: Vec<DueRow> = rows.into_iter().filter(|r| r.due(now)).collect();
    let mut charged = 0;
    for d in due {
        let key = d.key();
        let new = ssr::NewPayment {
            account_id: d.account_id,
            selection: Selection::Invoices(vec![d.invoice_id]),
            expected_total: None,
            idempotency_key: &key,
            method_id: Some(d.method_id),
            one_off: None,
            source: "autopay",
            actor: None,
        };
        match ssr::create_payment(state, &new).await {
            Ok((payment_id, _)) => {
                let url = format!("{}/portal/payments/{payment_id}", state.auth.public_url);
                match ssr::charge(state, payment_id, None, &url).await {
                    Ok(_) => charged += 1,
                    Err(e) => {
                        tracing::warn!(payment_id, error = ?e, "autopay charge not completed; reconciliation retries")
                    }
                }
            }
            // Nothing left to pay (paid meanwhile, or a payment in flight).
            Err(e) => tracing::info!(invoice = d.invoice_id, error = ?e, "autopay skipped"),
        }
    }
    Ok(charged)
}

/// Recovers payments left behind by a crash or an outage, and ends those
/// left waiting: pending ones are charged again with their idempotency key
/// (the gateway answers with the first charge); one waiting for the payer
/// longer than `ACTION_HOLD_MINUTES` is cancelled at the gateway (so that
/// finishing its old 3-D Secure step later cannot charge the payer a second
/// time) and fails, freeing its invoices; others in flight are asked for
/// their status at most every `RECHECK_MINUTES`.
#[tracing::instrument(skip_all)]
pub async fn reconcile(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let stale = now - Duration::minutes(STALE_PENDING_MINUTES);
    let recheck = now - Duration::minutes(RECHECK_MINUTES);
    let expired = now - Duration::minutes(ssr::ACTION_HOLD_MINUTES);
    let rows: Vec<(i64, String, Option<String>, chrono::DateTime<chrono::Utc>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, status, gateway_ref, updated_at FROM payments
             WHERE status IN ('pending', 'requires_action', 'processing') AND gateway = $1 AND updated_at < $2
               AND (status = 'pending'
                    OR (status = 'requires_action' AND updated_at < $4)
                    OR checked_at IS NULL OR checked_at < $3)
             ORDER BY COALESCE(checked_at, updated_at), id LIMIT 100",
        )
        .bind(state.gateway.name())
        .bind(stale)
        .bind(recheck)
        .bind(expired)
        .fetch_all(pool)
        .await
    })?;
    let mut fixed = 0;
    for (id, status, gateway_ref, updated_at) in rows {
        let result = match (status.as_str(), gateway_ref) {
            ("pending", _) => {
                let url = format!("{}/portal/payments/{id}", state.auth.public_url);
                ssr::charge(state, id, None, &url).await.map(|s| s != PaymentStatus::Pending)
            }
            ("requires_action", Some(r)) if updated_at < expired => ssr::expire(state, id, &r).await,
            (_, Some(_)) => ssr::refresh(state, id).await.map(|(changed, _)| changed),
            _ => continue,
        };
        match result {
            Ok(true) => fixed += 1,
            Ok(false) => {}
            Err(e) => tracing::warn!(payment_id = id, error = ?e, "reconciliation failed; next pass retries"),
        }
    }
    Ok(fixed)
}

/// One pass of everything: sandbox events due, reconciliation, autopay,
/// waiting credit, promises to pay that are kept or broken, then the
/// reminders due.
pub async fn run_once(state: &AppState) {
    run_once_timed(state).await;
}

/// One step of a pass: its name, how long it took and whether it failed
/// (the error is logged where it happened).
#[derive(Clone, Copy, Debug)]
pub struct StepRun {
    pub name: &'static str,
    pub took: std::time::Duration,
    pub failed: bool,
}

/// `run_once`, returning each step's run (`relance time-jobs`, and the
/// server's job metrics).
pub async fn run_once_timed(state: &AppState) -> Vec<StepRun> {
    let mut times = Vec::new();
    macro_rules! step {
        ($name:literal, $what:expr) => {{
            let started = std::time::Instant::now();
            let failed = match $what.await {
                Ok(_) => false,
                Err(e) => {
                    tracing::error!(error = ?e, concat!("payments job: ", $name));
                    true
                }
            };
            times.push(StepRun { name: $name, took: started.elapsed(), failed });
        }};
    }
    step!("sandbox events", events::deliver_sandbox_events(state));
    step!("payment reconciliation", reconcile(state));
    step!("refund reconciliation", ssr::reconcile_refunds(state));
    step!("autopay", run_autopay(state));
    step!("credit", ssr::apply_all_credit(state));
    // Recurring invoices due today (or missed while the server was down).
    step!("recurring invoices", crate::invoicing::ssr::recurring::run(state));
    // Days pass: figures of accounts whose invoices fell due are recomputed.
    step!("figures", crate::ledger::balances::roll(&state.db, state.clock.today()));
    // After payments and credit: a promise paid by them is kept, not broken.
    step!("promises", crate::promises::ssr::settle_due(state));
    // Last: what payments, credit and promises changed today is seen.
    step!("reminders", crate::reminders::ssr::engine::run(state));
    times
}
