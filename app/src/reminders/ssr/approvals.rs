//! Reminders waiting for approval: listed in the caller's scope, and sent
//! or set aside once (a compare-and-set on the reminder's status, under the
//! account's ledger lock, so a payment or promise meanwhile is seen).

use super::todo::require_collecting;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::collection::{DISPUTED_SQL, IN_FLIGHT_SQL, PROMISED_SQL};
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::reminders::approvals::ApprovalItem;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    account_id: i64,
    legal_name: String,
    created_at: DateTime<Utc>,
    position: i32,
    amount_minor: i64,
    currency: String,
    letter_subject: String,
    letter_body: String,
}

pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<ApprovalItem>> {
    require_collecting(principal)?;
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT r.id, r.account_id, a.legal_name, r.created_at, s.position, r.amount_minor, r.currency,
                r.letter_subject, r.letter_body
         FROM reminders r JOIN accounts a ON a.id = r.account_id JOIN reminder_steps s ON s.id = r.step_id
         WHERE {} AND r.status = 'awaiting_approval' ORDER BY r.created_at, r.id LIMIT 200",
        scope.sql()
    );
    let rows: Vec<Row> =
        with_db!(&state.db, |pool| { sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).fetch_all(pool).await })?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let invoices: Vec<String> = with_db!(&state.db, |pool| {
            sqlx::query_scalar(
                "SELECT i.number FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id
                 WHERE ri.reminder_id = $1 ORDER BY i.due_date, i.number",
            )
            .bind(r.id)
            .fetch_all(pool)
            .await
        })?;
        items.push(ApprovalItem {
            id: r.id,
            account_id: r.account_id,
            account_name: r.legal_name,
            at: r.created_at,
            position: r.position,
            amount: Money::new(r.amount_minor, crate::ledger::parse_currency(&r.currency)?),
            invoices,
            subject: r.letter_subject,
            body: r.letter_body,
        });
    }
    Ok(items)
}

/// Answers what became of it: `sent`, or `cancelled` (rejected, or
/// approved with nothing left to chase or nowhere to send it).
pub async fn decide(state: &AppState, principal: &Principal, id: i64, decision: &str) -> AppResult<&'static str> {
    require_collecting(principal)?;
    let approve = match decision.trim() {
        "approve" => true,
        "reject" => false,
        _ => return Err(AppError::field("decision", Msg::RequiredField)),
    };
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT r.account_id, r.channel, r.letter_subject, r.letter_body FROM reminders r
         JOIN accounts a ON a.id = r.account_id WHERE {} AND r.id = $4",
        scope.sql()
    );
    let found: Option<(i64, String, String, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    let (account_id, channel, subject, body) = found.ok_or(AppError::NotFound)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    crate::ledger::lock(&mut tx, account_id).await?;
    // Still chased: open, neither promised nor disputed, no payment in flight.
    let open_sql = format!(
        "SELECT COUNT(*) FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id
         WHERE ri.reminder_id = $1 AND i.status = 'issued' AND i.balance_minor > 0
           AND NOT {PROMISED_SQL} AND {DISPUTED_SQL} = 0 AND {IN_FLIGHT_SQL} = 0"
    );
    let open: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(&open_sql).bind(id).fetch_one(&mut *c).await)?;
    // Where it goes, as the account stands now (a number may have opted out).
    let reach = super::dispatch::reach(&mut tx, account_id).await?;
    let to = match channel.as_str() {
        "sms" => reach.mobile.ok(),
        _ => Some(reach.email).filter(|e| !e.trim().is_empty()),
    };
    let sends = approve && open > 0 && to.is_some();
    let status = if sends { "sent" } else { "cancelled" };
    let moved = with_tx!(&mut tx, |c| {
        sqlx::query("UPDATE reminders SET status = $2 WHERE id = $1 AND status = 'awaiting_approval'")
            .bind(id)
            .bind(status)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    if moved == 0 {
        return Err(AppError::Conflict(Msg::ReminderDecided));
    }
    match to.filter(|_| sends) {
        Some(number) if channel == "sms" => {
            super::dispatch::sms(&mut tx, now, id, account_id, &number, &body).await?;
        }
        Some(address) => {
            super::dispatch::email(&mut tx, now, id, account_id, &address, (&subject, &body)).await?;
        }
        None => {}
    }
    let action = if sends { AuditAction::ReminderApproved } else { AuditAction::ReminderRejected };
    let code = if approve && !sends { "nothing_left" } else { decision.trim() };
    let entry = Audit::new(Some(principal.user_id), action, ("reminder", Some(id))).account(Some(account_id));
    audit((&mut tx).into(), now, entry.details(AuditDetails::default().code(code))).await?;
    tx.commit().await?;
    Ok(status)
}
