//! Refunds: the owner's refund of a succeeded payment, and every status a
//! refund reaches at the gateway (its answer, its events, reconciliation)
//! applied through `settle_tx`, under the account's lock: a refund is
//! posted once when it succeeds, and reversed once if it fails after that.

use super::super::gateway::*;
use super::super::*;
use super::gateway_error;
use crate::auth::ssr::{audit, Audit};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ledger::{self, Posting};
use crate::state::AppState;
use crate::{with_db, with_tx};

/// Owner refunds part or all of a succeeded payment.
#[tracing::instrument(skip(state, reason))]
pub async fn refund(state: &AppState, actor: i64, payment_id: i64, amount_minor: i64, reason: &str) -> AppResult<i64> {
    let now = state.clock.now();
    let info: Option<(i64, String, String, Option<String>, i64)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT account_id, status, currency, gateway_ref, amount_minor FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(pool)
            .await
    })?;
    let (account_id, status, currency, gateway_ref, _) = info.ok_or(AppError::NotFound)?;
    if status != "succeeded" {
        return Err(AppError::Conflict(Msg::RefundNotPossible));
    }
    let gateway_ref = gateway_ref.ok_or(AppError::Conflict(Msg::RefundNotPossible))?;
    let mut tx = state.db.begin().await?;
    ledger::lock(&mut tx, account_id).await?;
    let refundable: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "SELECT p.amount_minor - CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id
                 AND r.status IN ('pending', 'succeeded')), 0) AS BIGINT) FROM payments p WHERE p.id = $1",
        )
        .bind(payment_id)
        .fetch_one(&mut *conn)
        .await
    })?;
    if amount_minor <= 0 || amount_minor > refundable {
        return Err(AppError::field("amount", Msg::RefundTooLarge));
    }
    let refund_id: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO refunds (payment_id, amount_minor, currency, status, reason, created_by, created_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
        )
        .bind(payment_id)
        .bind(amount_minor)
        .bind(&currency)
        .bind(reason)
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
    })?;
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), crate::audit::AuditAction::RefundCreated, ("payment", Some(payment_id)))
            .account(Some(account_id))
            .details(
                crate::audit::AuditDetails::default()
                    .amount(Money::new(amount_minor, crate::ledger::parse_currency(&currency)?)),
            ),
    )
    .await?;
    tx.commit().await?;
    let req = RefundRequest {
        payment_ref: gateway_ref,
        amount_minor,
        idempotency_key: format!("relance-refund-{refund_id}"),
        refund_id,
    };
    match state.gateway.refund(&req).await {
        Ok(out) => {
            let failed = matches!(out.status, RefundStatus::Failed { .. });
            settle(state, refund_id, &out.status, Some(&out.gateway_ref)).await?;
            if failed {
                return Err(AppError::Refused(Msg::RefundFailed));
            }
        }
        Err(GatewayError::Refused { code }) => {
            settle(state, refund_id, &RefundStatus::Failed { code }, None).await?;
            return Err(AppError::Refused(Msg::RefundFailed));
        }
        // Left pending: the payments job asks again with the same key.
        Err(e) => return Err(gateway_error(e)),
    }
    Ok(refund_id)
}

/// `settle_tx` in its own transaction.
pub async fn settle(
    state: &AppState,
    refund_id: i64,
    status: &RefundStatus,
    gateway_ref: Option<&str>,
) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    let changed = settle_tx(&mut tx, state, refund_id, status, gateway_ref).await?;
    tx.commit().await?;
    Ok(changed)
}

/// Applies where a refund stands at the gateway, under the account's lock:
/// pending → succeeded posts it (first out of unapplied credit, then
/// reopening what the payment settled); pending → failed changes no money;
/// succeeded → failed (a refund the bank returned) reverses its posting.
/// Anything else (a repeat, a late report) changes nothing. Returns whether
/// the refund moved.
pub async fn settle_tx(
    tx: &mut Tx,
    state: &AppState,
    refund_id: i64,
    status: &RefundStatus,
    gateway_ref: Option<&str>,
) -> AppResult<bool> {
    let row: Option<(i64, i64)> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT r.payment_id, p.account_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.id = $1",
        )
        .bind(refund_id)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let Some((payment_id, account_id)) = row else { return Ok(false) };
    let lock = ledger::lock(tx, account_id).await?;
    let now = state.clock.now();
    let (to, code, from): (&str, &str, &[&str]) = match status {
        RefundStatus::Pending => {
            // Only learn its gateway id.
            with_tx!(tx, |conn| {
                sqlx::query("UPDATE refunds SET gateway_ref = COALESCE(gateway_ref, $2) WHERE id = $1")
                    .bind(refund_id)
                    .bind(gateway_ref)
                    .execute(&mut *conn)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            return Ok(false);
        }
        RefundStatus::Succeeded => ("succeeded", "", &["pending"]),
        RefundStatus::Failed { code } => ("failed", code.as_str(), &["pending", "succeeded"]),
    };
    // Where it stood, read under the lock: only a refund that had succeeded
    // was posted, and only such a one is reversed when it fails.
    let before: String = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT status FROM refunds WHERE id = $1").bind(refund_id).fetch_one(&mut *conn).await
    })?;
    let moved: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "UPDATE refunds SET status = $2, failure_code = $3, gateway_ref = COALESCE(gateway_ref, $4), updated_at = $5
             WHERE id = $1 AND status IN ($6, $7) RETURNING amount_minor",
        )
        .bind(refund_id)
        .bind(to)
        .bind(code)
        .bind(gateway_ref)
        .bind(now)
        .bind(from[0])
        .bind(from.get(1).copied().unwrap_or(from[0]))
        .fetch_optional(&mut *conn)
        .await
    })?;
    let Some(amount) = moved else { return Ok(false) };
    let reference = payment_reference(payment_id);
    let ctx = ledger::Ctx::new(state, None);
    let (posting, action) = match status {
        RefundStatus::Succeeded => (
            Posting::Refund { refund_id, payment_id, amount, reference: &reference },
            crate::audit::AuditAction::RefundSucceeded,
        ),
        // A refund posted before the ledger had postings (its entries name
        // no refund) is reversed by its amount, as credit.
        _ => {
            let legacy = (!was_posted(tx, refund_id).await?).then_some(amount);
            (
                Posting::RefundReversal { refund_id, legacy_amount: legacy, reference: &reference },
                crate::audit::AuditAction::RefundFailed,
            )
        }
    };
    // A refund that failed before it succeeded was never posted: nothing
    // to reverse.
    if matches!(status, RefundStatus::Succeeded) || before == "succeeded" {
        ledger::post(tx, &lock, posting, &ctx).await?;
    }
    audit(
        crate::db::Conn::Tx(tx),
        now,
        Audit::new(None, action, ("payment", Some(payment_id)))
            .account(Some(account_id))
            .details(crate::audit::AuditDetails::default().amount(Money::new(amount, lock.currency()))),
    )
    .await?;
    Ok(true)
}

async fn was_posted(tx: &mut Tx, refund_id: i64) -> AppResult<bool> {
    let n: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT COUNT(*) FROM ledger_postings WHERE source_key = $1")
            .bind(format!("refund:{refund_id}"))
            .fetch_one(&mut *conn)
            .await
    })?;
    Ok(n > 0)
}

/// A refund made at the gateway directly (from its dashboard): recorded as
/// a refund of its own, by its gateway id (unique: its events apply once),
/// then settled as the gateway reports it.
pub async fn record_gateway_refund_tx(
    tx: &mut Tx,
    state: &AppState,
    payment_id: i64,
    refund: &RefundInfo,
) -> AppResult<bool> {
    let now = state.clock.now();
    let id: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO refunds (payment_id, amount_minor, currency, gateway_ref, status, reason, created_at, updated_at)
             SELECT id, $2, currency, $3, 'pending', 'gateway', $4, $4 FROM payments WHERE id = $1 AND status = 'succeeded'
             ON CONFLICT (gateway_ref) DO NOTHING RETURNING id",
        )
        .bind(payment_id)
        .bind(refund.amount_minor)
        .bind(&refund.gateway_ref)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    match id {
        Some(id) => {
            settle_tx(tx, state, id, &refund.status, None).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Pending refunds: asked about at most every `RECHECK_MINUTES` (a SEPA
/// refund takes days); one whose creation never reached the gateway (a
/// crash, an outage) is sent again with its idempotency key. Run by the
/// payments job.
#[tracing::instrument(skip_all)]
pub async fn reconcile_refunds(state: &AppState) -> AppResult<usize> {
    use chrono::Duration;
    let now = state.clock.now();
    let recheck = now - Duration::minutes(super::super::jobs::RECHECK_MINUTES);
    let stale = now - Duration::minutes(super::super::jobs::STALE_PENDING_MINUTES);
    #[derive(sqlx::FromRow)]
    struct Row {
        id: i64,
        gateway_ref: Option<String>,
        amount_minor: i64,
        payment_ref: Option<String>,
    }
    let rows: Vec<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT r.id, r.gateway_ref, r.amount_minor, p.gateway_ref AS payment_ref
             FROM refunds r JOIN payments p ON p.id = r.payment_id
             WHERE r.status = 'pending' AND p.gateway = $1
               AND ((r.gateway_ref IS NOT NULL AND (r.checked_at IS NULL OR r.checked_at < $2))
                    OR (r.gateway_ref IS NULL AND r.created_at < $3))
             ORDER BY r.id LIMIT 100",
        )
        .bind(state.gateway.name())
        .bind(recheck)
        .bind(stale)
        .fetch_all(pool)
        .await
    })?;
    let mut moved = 0;
    for r in rows {
        with_db!(&state.db, |pool| {
            sqlx::query("UPDATE refunds SET checked_at = $2 WHERE id = $1")
                .bind(r.id)
                .bind(now)
                .execute(pool)
                .await
                .map(|x| x.rows_affected())
        })?;
        let answer = match (&r.gateway_ref, &r.payment_ref) {
            (Some(gref), _) => state.gateway.retrieve_refund(gref).await.map(|i| (i.status, i.gateway_ref)),
            (None, Some(pref)) => {
                let req = RefundRequest {
                    payment_ref: pref.clone(),
                    amount_minor: r.amount_minor,
                    idempotency_key: format!("relance-refund-{}", r.id),
                    refund_id: r.id,
                };
                state.gateway.refund(&req).await.map(|o| (o.status, o.gateway_ref))
            }
            (None, None) => continue,
        };
        match answer {
            Ok((status, gref)) => {
                if settle(state, r.id, &status, Some(&gref)).await? {
                    moved += 1;
                }
            }
            Err(GatewayError::Refused { code }) if r.gateway_ref.is_none() => {
                settle(state, r.id, &RefundStatus::Failed { code }, None).await?;
                moved += 1;
            }
            Err(e) => tracing::warn!(refund_id = r.id, error = %e, "refund not reconciled; next pass retries"),
        }
    }
    Ok(moved)
}
