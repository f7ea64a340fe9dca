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
/// A payment left waiting for the payer's authentication this long is
/// abandoned: no longer asked about (a late event still applies).
pub const ABANDONED_ACTION_HOURS: i64 = 24;

#[derive(sqlx::FromRow)]
struct DueRow {
    invoice_id: i64,
    account_id: i64,
    method_id: i64,
}

/// Autopay: charges each enrolled account's invoices that are due, once.
/// The payment's idempotency key is `autopay:{invoice}`, unique per account,
/// so a second run (or a second instance) finds the first one's payment
/// instead of making another.
pub async fn run_autopay(state: &AppState) -> AppResult<usize> {
    let today = state.clock.today();
    let due: Vec<DueRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT i.id AS invoice_id, i.account_id, m.id AS method_id
             FROM invoices i JOIN payment_methods m ON m.account_id = i.account_id AND m.autopay AND m.removed_at IS NULL
             WHERE i.status = 'issued' AND i.due_date <= $1 AND i.due_date >= m.autopay_since
               AND m.gateway = $2
               AND NOT EXISTS (SELECT 1 FROM payment_allocations pa JOIN payments p ON p.id = pa.payment_id
                               WHERE pa.invoice_id = i.id AND p.source = 'autopay')
               AND CAST(COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = i.id), 0) AS BIGINT) > 0
             ORDER BY i.due_date, i.id",
        )
        .bind(today)
        .bind(state.gateway.name())
        .fetch_all(pool)
        .await
    })?;
    let mut charged = 0;
    for d in due {
        let key = format!("autopay:{}", d.invoice_id);
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

/// Recovers payments left behind by a crash or an outage: pending ones are
/// charged again with their idempotency key (the gateway answers with the
/// first charge), long-running ones are asked for their status.
pub async fn reconcile(state: &AppState) -> AppResult<usize> {
    let now = state.clock.now();
    let stale = now - Duration::minutes(STALE_PENDING_MINUTES);
    let recheck = now - Duration::minutes(RECHECK_MINUTES);
    let abandoned = now - Duration::hours(ABANDONED_ACTION_HOURS);
    let rows: Vec<(i64, String, Option<String>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT id, status, gateway_ref FROM payments WHERE gateway = $1 AND updated_at < $2
               AND (status = 'pending'
                    OR (status IN ('processing', 'requires_action') AND (checked_at IS NULL OR checked_at < $3)
                        AND (status = 'processing' OR updated_at > $4)))
             ORDER BY COALESCE(checked_at, updated_at), id LIMIT 100",
        )
        .bind(state.gateway.name())
        .bind(stale)
        .bind(recheck)
        .bind(abandoned)
        .fetch_all(pool)
        .await
    })?;
    let mut fixed = 0;
    for (id, status, gateway_ref) in rows {
        let result = match (status.as_str(), gateway_ref) {
            ("pending", _) => {
                let url = format!("{}/portal/payments/{id}", state.auth.public_url);
                ssr::charge(state, id, None, &url).await.map(|s| s != PaymentStatus::Pending)
            }
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
/// waiting credit, then promises to pay that are kept or broken.
pub async fn run_once(state: &AppState) {
    if let Err(e) = events::deliver_sandbox_events(state).await {
        tracing::error!(error = ?e, "delivering sandbox events");
    }
    if let Err(e) = reconcile(state).await {
        tracing::error!(error = ?e, "payment reconciliation");
    }
    if let Err(e) = run_autopay(state).await {
        tracing::error!(error = ?e, "autopay");
    }
    if let Err(e) = ssr::apply_all_credit(state).await {
        tracing::error!(error = ?e, "applying account credit");
    }
    // After payments and credit: a promise paid by them is kept, not broken.
    if let Err(e) = crate::promises::ssr::settle_due(state).await {
        tracing::error!(error = ?e, "settling promises to pay");
    }
}
