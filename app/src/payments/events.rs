//! Gateway events (Stripe webhooks, and the sandbox's events, which take the
//! same path): signature check, then exactly-once processing. The event id
//! is inserted in the same transaction as the event's effects, so an event
//! delivered ten times, concurrently or out of order, changes things once;
//! payment statuses only move forward, so a late `processing` after
//! `succeeded` is recorded and ignored.

use super::gateway::RefundInfo;
use super::ssr;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::{with_db, with_tx};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Stripe's default tolerance for the signed timestamp.
pub const TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing or malformed Stripe-Signature header")]
    Malformed,
    #[error("timestamp outside the tolerance")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

fn mac(secret: &[u8], timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `Stripe-Signature` header for a payload (the sandbox signs its events).
pub fn signature_header(secret: &[u8], payload: &[u8], timestamp: i64) -> String {
    let sig = hex::encode(mac(secret, timestamp, payload).finalize().into_bytes());
    format!("t={timestamp},v1={sig}")
}

/// Checks `t=…,v1=…` as Stripe documents it: HMAC-SHA256 of `"{t}.{payload}"`
/// with the endpoint secret, compared in constant time; any `v1` may match
/// (secret rotation); the timestamp must be within the tolerance.
pub fn verify_signature(secret: &[u8], payload: &[u8], header: &str, now_unix: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.push(hex::decode(v).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // Wide arithmetic: the timestamp is the sender's, any i64 at all.
    if (i128::from(now_unix) - i128::from(timestamp)).unsigned_abs() > TOLERANCE_SECONDS.unsigned_abs().into() {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, timestamp, payload);
    if signatures.iter().any(|sig| expected.clone().verify_slice(sig).is_ok()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum EventOutcome {
    Applied,
    /// Seen before: nothing done.
    Duplicate,
    /// Recorded, but changed nothing (late, unknown object, other type).
    Ignored,
}

/// The webhook entry point for both gateways: verify, parse, process once.
#[tracing::instrument(skip_all)]
pub async fn handle_webhook(state: &AppState, payload: &[u8], signature: &str) -> Result<EventOutcome, WebhookError> {
    verify_signature(state.gateway.webhook_secret(), payload, signature, state.clock.now().timestamp())
        .map_err(WebhookError::Signature)?;
    let event: Value = serde_json::from_slice(payload).map_err(|_| WebhookError::Payload)?;
    process_event(state, &event).await.map_err(WebhookError::App)
}

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("bad signature: {0}")]
    Signature(SignatureError),
    #[error("malformed event")]
    Payload,
    #[error("processing failed")]
    App(AppError),
}

fn metadata_id(object: &Value, key: &str) -> Option<i64> {
    object["metadata"][key].as_str().and_then(|s| s.parse().ok())
}

/// Applies one event exactly once.
#[tracing::instrument(skip_all, fields(event = event["type"].as_str().unwrap_or("")))]
pub async fn process_event(state: &AppState, event: &Value) -> AppResult<EventOutcome> {
    let event_id = event["id"].as_str().filter(|s| !s.is_empty()).ok_or(AppError::Request("event id".into()))?;
    let event_type = event["type"].as_str().unwrap_or("");
    let created = event["created"].as_i64().unwrap_or(0);
    let object = &event["data"]["object"];
    let object_ref = object["id"].as_str().unwrap_or("").to_string();
    let gw = state.gateway.name();
    let now = state.clock.now();

    // Gateway calls happen before the transaction (no network inside it).
    let setup_method = if event_type == "setup_intent.succeeded" {
        match object["payment_method"].as_str() {
            Some(pm) => Some(state.gateway.method_details(pm).await.map_err(ssr::gateway_error)?),
            None => None,
        }
    } else {
        None
    };

    // Refunds: the Refund an event carries, or, for `charge.refunded`
    // (whose charge no longer lists its refunds), the gateway's list.
    let refunds: Vec<RefundInfo> = match (event_type, object["payment_intent"].as_str()) {
        ("charge.refunded", Some(pi)) => state.gateway.list_refunds(pi).await.map_err(ssr::gateway_error)?,
        _ => RefundInfo::from_json(object).into_iter().collect(),
    };

    let payment_id = find_payment(state, object, event_type).await?;
    let mut tx = state.db.begin().await?;
    let inserted = with_tx!(&mut tx, |conn| {
        sqlx::query(
            "INSERT INTO payment_events (gateway, event_id, event_type, object_ref, payment_id, created_unix, received_at, outcome)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'received') ON CONFLICT (gateway, event_id) DO NOTHING",
        )
        .bind(gw)
        .bind(event_id)
        .bind(event_type)
        .bind(&object_ref)
        .bind(payment_id)
        .bind(created)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if inserted == 0 {
        return Ok(EventOutcome::Duplicate);
    }
    let changed = match (event_type, payment_id) {
        ("payment_intent.succeeded", Some(p)) => {
            ssr::transition_tx(&mut tx, state, p, "succeeded", Some(&object_ref), "", "").await?
        }
        ("payment_intent.processing", Some(p)) => {
            ssr::transition_tx(&mut tx, state, p, "processing", Some(&object_ref), "", "").await?
        }
        ("payment_intent.requires_action", Some(p)) => {
            let url = object["next_action"]["redirect_to_url"]["url"].as_str().unwrap_or("");
            ssr::transition_tx(&mut tx, state, p, "requires_action", Some(&object_ref), "", url).await?
        }
        ("payment_intent.payment_failed", Some(p)) => {
            let err = &object["last_payment_error"];
            let code = err["decline_code"].as_str().or(err["code"].as_str()).unwrap_or("card_declined");
            ssr::transition_tx(&mut tx, state, p, "failed", Some(&object_ref), code, "").await?
        }
        ("payment_intent.canceled", Some(p)) => {
            ssr::transition_tx(&mut tx, state, p, "failed", Some(&object_ref), "canceled", "").await?
        }
        (
            "charge.refunded" | "refund.created" | "refund.updated" | "refund.failed" | "charge.refund.updated",
            Some(p),
        ) => apply_refunds(&mut tx, state, p, &refunds).await?,
        ("charge.dispute.created", Some(p)) => {
            let n = with_tx!(&mut tx, |conn| {
                sqlx::query("UPDATE payments SET disputed = TRUE, updated_at = $2 WHERE id = $1 AND NOT disputed")
                    .bind(p)
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map(|r| r.rows_affected())
            })?;
            if n == 1 {
                let reason = object["reason"].as_str().unwrap_or("");
                let account: Option<i64> = with_tx!(&mut tx, |conn| {
                    sqlx::query_scalar("SELECT account_id FROM payments WHERE id = $1")
                        .bind(p)
                        .fetch_optional(&mut *conn)
                        .await
                })?;
                crate::auth::ssr::audit(
                    crate::db::Conn::Tx(&mut tx),
                    now,
                    crate::auth::ssr::Audit::new(
                        None,
                        crate::audit::AuditAction::PaymentDisputed,
                        ("payment", Some(p)),
                    )
                    .account(account)
                    .details(crate::audit::AuditDetails::default().code(reason)),
                )
                .await?;
            }
            n == 1
        }
        ("setup_intent.succeeded", _) => match (&setup_method, object["customer"].as_str()) {
            (Some(details), Some(customer)) => {
                let account: Option<i64> = with_tx!(&mut tx, |conn| {
                    sqlx::query_scalar(
                        "SELECT account_id FROM gateway_customers WHERE gateway = $1 AND customer_ref = $2",
                    )
                    .bind(gw)
                    .bind(customer)
                    .fetch_optional(&mut *conn)
                    .await
                })?;
                match account {
                    Some(account_id) => {
                        ssr::save_method_tx(&mut tx, gw, account_id, details, None, now).await?;
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        },
        _ => false,
    };
    let outcome = if changed { "applied" } else { "ignored" };
    with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE payment_events SET outcome = $3 WHERE gateway = $1 AND event_id = $2")
            .bind(gw)
            .bind(event_id)
            .bind(outcome)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    tx.commit().await?;
    Ok(if changed { EventOutcome::Applied } else { EventOutcome::Ignored })
}

/// Our payment for an event's object: by the metadata we set, else by the
/// gateway's id.
async fn find_payment(state: &AppState, object: &Value, event_type: &str) -> AppResult<Option<i64>> {
    let gw = state.gateway.name();
    let (by_meta, gateway_ref) = if event_type.starts_with("payment_intent.") {
        (metadata_id(object, "relance_payment_id"), object["id"].as_str())
    } else if event_type.starts_with("charge.") || event_type.starts_with("refund.") {
        (None, object["payment_intent"].as_str())
    } else {
        (None, None)
    };
    if let Some(id) = by_meta {
        let found: Option<i64> = with_db!(&state.db, |pool| {
            sqlx::query_scalar(
                "SELECT id FROM payments WHERE id = $1 AND gateway = $2 AND (gateway_ref IS NULL OR gateway_ref = $3)",
            )
            .bind(id)
            .bind(gw)
            .bind(gateway_ref.unwrap_or(""))
            .fetch_optional(pool)
            .await
        })?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let Some(r) = gateway_ref else { return Ok(None) };
    let found: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT id FROM payments WHERE gateway = $1 AND gateway_ref = $2")
            .bind(gw)
            .bind(r)
            .fetch_optional(pool)
            .await
    })?;
    Ok(found)
}

/// Where the gateway's refunds of a payment stand, applied once each: ours
/// (by the metadata we set, or their gateway id) settle; one made at the
/// gateway directly (its dashboard) is recorded as a refund of its own.
async fn apply_refunds(
    tx: &mut crate::db::Tx,
    state: &AppState,
    payment_id: i64,
    refunds: &[RefundInfo],
) -> AppResult<bool> {
    let mut changed = false;
    for r in refunds {
        let ours: Option<i64> = with_tx!(tx, |conn| {
            sqlx::query_scalar(
                "SELECT id FROM refunds WHERE payment_id = $1 AND (id = $2 OR gateway_ref = $3) ORDER BY id LIMIT 1",
            )
            .bind(payment_id)
            .bind(r.refund_id.unwrap_or(0))
            .bind(&r.gateway_ref)
            .fetch_optional(&mut *conn)
            .await
        })?;
        changed |= match ours {
            Some(id) => ssr::settle_tx(tx, state, id, &r.status, Some(&r.gateway_ref)).await?,
            None => ssr::record_gateway_refund_tx(tx, state, payment_id, r).await?,
        };
    }
    Ok(changed)
}

/// Delivers the sandbox's due events through the webhook path.
pub async fn deliver_sandbox_events(state: &AppState) -> anyhow::Result<usize> {
    let Some(sandbox) = state.gateway.as_sandbox() else { return Ok(0) };
    let mut delivered = 0;
    for (id, payload, header) in sandbox.due_events(state.clock.now(), 100).await? {
        match handle_webhook(state, payload.as_bytes(), &header).await {
            Ok(_) => {
                sandbox.mark_delivered(&id).await?;
                delivered += 1;
            }
            Err(e) => tracing::warn!(event = %id, error = %e, "sandbox event not processed; will retry"),
        }
    }
    Ok(delivered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_like_stripe() {
        let secret = b"whsec_test";
        let payload = br#"{"id":"evt_1"}"#;
        let header = signature_header(secret, payload, 1_700_000_000);
        assert_eq!(verify_signature(secret, payload, &header, 1_700_000_100), Ok(()));
        assert_eq!(verify_signature(secret, payload, &header, 1_700_000_000 + 301), Err(SignatureError::Stale));
        assert_eq!(verify_signature(b"other", payload, &header, 1_700_000_000), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_signature(secret, br#"{"id":"evt_2"}"#, &header, 1_700_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_signature(secret, payload, "v1=00", 1_700_000_000), Err(SignatureError::Malformed));
        // A crafted timestamp is stale, not a crash.
        let crafted = format!("t={},v1={}", i64::MIN, "00".repeat(32));
        assert_eq!(verify_signature(secret, payload, &crafted, 1_700_000_000), Err(SignatureError::Stale));
        let crafted = format!("t={},v1={}", i64::MAX, "00".repeat(32));
        assert_eq!(verify_signature(secret, payload, &crafted, i64::MIN), Err(SignatureError::Stale));
        // Several signatures (secret rotation): any may match.
        let two = format!("{header},v1={}", "ab".repeat(32));
        assert_eq!(verify_signature(secret, payload, &two, 1_700_000_000), Ok(()));
    }
}
