//! Saved payment methods: list, save (from the gateway's confirmation),
//! remove, default, autopay enrolment. Each change locks the account first.

use super::super::gateway::MethodDetails;
use super::super::*;
use crate::auth::ssr::{audit, Audit};
use crate::db::Tx;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ledger;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(sqlx::FromRow)]
pub(super) struct MethodRow {
    pub(super) id: i64,
    pub(super) gateway_ref: String,
    pub(super) kind: String,
    pub(super) brand: String,
    pub(super) last4: String,
    pub(super) exp_month: Option<i32>,
    pub(super) exp_year: Option<i32>,
    pub(super) is_default: bool,
    pub(super) autopay: bool,
}

/// Whether a card expiring at the end of `month`/`year` has expired by
/// `today` (wide arithmetic: the values come from outside).
pub fn expired(month: Option<i32>, year: Option<i32>, today: NaiveDate) -> bool {
    use chrono::Datelike;
    match (month, year) {
        (Some(m), Some(y)) => {
            i64::from(y) * 12 + i64::from(m) < i64::from(today.year()) * 12 + i64::from(today.month())
        }
        _ => false,
    }
}

impl MethodRow {
    pub(super) fn view(self, today: NaiveDate) -> MethodView {
        let expired = expired(self.exp_month, self.exp_year, today);
        MethodView {
            id: self.id,
            kind: self.kind,
            brand: self.brand,
            last4: self.last4,
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            is_default: self.is_default,
            autopay: self.autopay,
            expired,
        }
    }
}

pub(super) const METHOD_COLS: &str = "id, gateway_ref, kind, brand, last4, exp_month, exp_year, is_default, autopay";

pub async fn methods(state: &AppState, account_id: i64) -> AppResult<Vec<MethodView>> {
    let gw = state.gateway.name();
    let sql = format!(
        "SELECT {METHOD_COLS} FROM payment_methods WHERE account_id = $1 AND gateway = $2 AND removed_at IS NULL
         ORDER BY is_default DESC, id"
    );
    let rows: Vec<MethodRow> =
        with_db!(&state.db, |pool| { sqlx::query_as(&sql).bind(account_id).bind(gw).fetch_all(pool).await })?;
    let today = state.clock.today();
    Ok(rows.into_iter().map(|r| r.view(today)).collect())
}

async fn method_row(state: &AppState, account_id: i64, method_id: i64) -> AppResult<MethodRow> {
    let sql = format!(
        "SELECT {METHOD_COLS} FROM payment_methods WHERE id = $1 AND account_id = $2 AND gateway = $3 AND removed_at IS NULL"
    );
    let row: Option<MethodRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(method_id).bind(account_id).bind(state.gateway.name()).fetch_optional(pool).await
    })?;
    row.ok_or(AppError::NotFound)
}

/// Records a method the gateway confirmed as saved. The first one becomes
/// the default. Saving the same gateway method twice is a no-op.
pub async fn save_method_tx(
    tx: &mut Tx,
    gateway: &str,
    account_id: i64,
    details: &MethodDetails,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    ledger::lock(tx, account_id).await?;
    let id: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO payment_methods (account_id, gateway, gateway_ref, kind, brand, last4, exp_month, exp_year,
                 is_default, created_by, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8,
                 NOT EXISTS (SELECT 1 FROM payment_methods WHERE account_id = $1 AND gateway = $2 AND is_default AND removed_at IS NULL),
                 $9, $10
             ON CONFLICT (gateway, gateway_ref) DO NOTHING RETURNING id",
        )
        .bind(account_id)
        .bind(gateway)
        .bind(&details.gateway_ref)
        .bind(details.kind.as_str())
        .bind(&details.brand)
        .bind(&details.last4)
        .bind(details.exp_month)
        .bind(details.exp_year)
        .bind(actor)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    match id {
        Some(id) => {
            let label = method_label(details.kind.as_str(), &details.brand, &details.last4);
            audit(
                crate::db::Conn::Tx(tx),
                now,
                Audit::new(actor, crate::audit::AuditAction::MethodAdded, ("payment_method", Some(id)))
                    .account(Some(account_id))
                    .details(crate::audit::AuditDetails::default().reference(label.clone())),
            )
            .await?;
            Ok(id)
        }
        None => {
            let id: i64 = with_tx!(tx, |conn| {
                sqlx::query_scalar("SELECT id FROM payment_methods WHERE gateway = $1 AND gateway_ref = $2")
                    .bind(gateway)
                    .bind(&details.gateway_ref)
                    .fetch_one(&mut *conn)
                    .await
            })?;
            Ok(id)
        }
    }
}

pub async fn save_method(
    state: &AppState,
    account_id: i64,
    details: &MethodDetails,
    actor: Option<i64>,
) -> AppResult<i64> {
    let mut tx = state.db.begin().await?;
    let id = save_method_tx(&mut tx, state.gateway.name(), account_id, details, actor, state.clock.now()).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn remove_method(state: &AppState, account_id: i64, method_id: i64, actor: i64) -> AppResult<()> {
    let row = method_row(state, account_id, method_id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    ledger::lock(&mut tx, account_id).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE payment_methods SET removed_at = $3, is_default = FALSE, autopay = FALSE, autopay_since = NULL
             WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
        )
        .bind(method_id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if row.is_default {
            // The most recent remaining method becomes the default.
            sqlx::query(
                "UPDATE payment_methods SET is_default = TRUE WHERE id = (
                    SELECT id FROM payment_methods WHERE account_id = $1 AND gateway = $2 AND removed_at IS NULL
                    ORDER BY id DESC LIMIT 1)",
            )
            .bind(account_id)
            .bind(state.gateway.name())
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    let label = method_label(&row.kind, &row.brand, &row.last4);
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), crate::audit::AuditAction::MethodRemoved, ("payment_method", Some(method_id)))
            .account(Some(account_id))
            .details(crate::audit::AuditDetails::default().reference(label.clone())),
    )
    .await?;
    tx.commit().await?;
    // The gateway forgets it too; if that fails the method is still unusable
    // here (removed), so log and carry on.
    if let Err(e) = state.gateway.detach_method(&row.gateway_ref).await {
        tracing::warn!(error = %e, method_id, "detaching a removed method failed");
    }
    Ok(())
}

pub async fn set_default(state: &AppState, account_id: i64, method_id: i64, actor: i64) -> AppResult<()> {
    method_row(state, account_id, method_id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    ledger::lock(&mut tx, account_id).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE payment_methods SET is_default = FALSE WHERE account_id = $1 AND gateway = $2 AND is_default",
        )
        .bind(account_id)
        .bind(state.gateway.name())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "UPDATE payment_methods SET is_default = TRUE WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
        )
        .bind(method_id)
        .bind(account_id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), crate::audit::AuditAction::MethodDefault, ("payment_method", Some(method_id)))
            .account(Some(account_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enrols a method in autopay (`Some`) or stops autopay (`None`).
pub async fn set_autopay(state: &AppState, account_id: i64, method_id: Option<i64>, actor: i64) -> AppResult<()> {
    if let Some(id) = method_id {
        let row = method_row(state, account_id, id).await?;
        if row.view(state.clock.today()).expired {
            return Err(AppError::Refused(Msg::MethodExpired));
        }
    }
    let now = state.clock.now();
    let today = state.clock.today();
    let mut tx = state.db.begin().await?;
    ledger::lock(&mut tx, account_id).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE payment_methods SET autopay = FALSE, autopay_since = NULL WHERE account_id = $1 AND gateway = $2 AND autopay",
        )
        .bind(account_id)
        .bind(state.gateway.name())
        .execute(&mut *conn)
        .await?;
        if let Some(id) = method_id {
            sqlx::query(
                "UPDATE payment_methods SET autopay = TRUE, autopay_since = $3 WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
            )
            .bind(id)
            .bind(account_id)
            .bind(today)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    let action = if method_id.is_some() {
        crate::audit::AuditAction::AutopayEnrolled
    } else {
        crate::audit::AuditAction::AutopayStopped
    };
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), action, ("payment_method", method_id)).account(Some(account_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
