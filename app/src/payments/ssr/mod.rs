//! Payments on the server: saved methods (`methods`), the pay flow — plan →
//! payment row → gateway charge → outcome — (`flow`), refunds (`refunds`)
//! and reads (`reads`). Money reaches the ledger only through
//! `crate::ledger::post`, under the account's lock.
//!
//! Exactly-once: a payment row exists (status `pending`) before the gateway
//! is called, the gateway gets `relance-payment-{id}` as idempotency key,
//! every status change is a compare-and-set on the status rank taken under
//! the account's lock, and the ledger posts each payment once
//! (`ledger_postings.source_key`), so the synchronous answer, a webhook
//! event and the reconciliation job can all report the same success and
//! the ledger is written once.

mod flow;
mod methods;
mod reads;
mod refunds;

pub use flow::*;
pub use methods::*;
pub use reads::*;
pub use refunds::*;

use super::decline_msg;
use super::gateway::*;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_db;

pub use crate::collection::{account, AccountRow, ACTION_HOLD_MINUTES};

pub use super::MAX_AMOUNT_MINOR;

/// The gateway's customer for the account, created on first use.
pub async fn customer_ref(state: &AppState, account_id: i64) -> AppResult<String> {
    let gw = state.gateway.name();
    let existing: Option<String> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT customer_ref FROM gateway_customers WHERE account_id = $1 AND gateway = $2")
            .bind(account_id)
            .bind(gw)
            .fetch_optional(pool)
            .await
    })?;
    if let Some(c) = existing {
        return Ok(c);
    }
    let acc = account((&state.db).into(), account_id).await?;
    let req = CustomerRequest { account_id, name: acc.legal_name, email: acc.billing_email };
    let created = state.gateway.create_customer(&req).await.map_err(gateway_error)?;
    let now = state.clock.now();
    with_db!(&state.db, |pool| {
        sqlx::query(
            "INSERT INTO gateway_customers (account_id, gateway, customer_ref, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(gw)
        .bind(&created)
        .bind(now)
        .execute(pool)
        .await?;
        // Two first uses at once: both created one, the first stored wins.
        sqlx::query_scalar("SELECT customer_ref FROM gateway_customers WHERE account_id = $1 AND gateway = $2")
            .bind(account_id)
            .bind(gw)
            .fetch_one(pool)
            .await
    })
    .map_err(AppError::from)
}

pub fn gateway_error(e: GatewayError) -> AppError {
    match e {
        GatewayError::Refused { code } => AppError::Refused(decline_msg(&code)),
        GatewayError::Unavailable(cause) => {
            tracing::warn!(%cause, "payment gateway unavailable");
            AppError::Refused(Msg::GatewayUnavailable)
        }
        GatewayError::Other(e) => AppError::internal(e),
    }
}
