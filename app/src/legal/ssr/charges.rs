//! Late charges posted to the ledger. Shown on the claim as they accrue,
//! they become `fee` entries on their invoice only when the owner applies
//! them or a reminder step set to apply them reaches the invoice: the
//! penalties accrued up to that day (less those posted before) and the
//! fixed indemnity, each once per invoice, kind and period (`late_charges`
//! unique, and the ledger posting's key). Consumers owe none by law.

use super::claim::overdue;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::db::Tx;
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ledger::{self, Ctx, Locked, Posting};
use crate::state::AppState;
use crate::with_tx;
use chrono::NaiveDate;

/// What one application posted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Invoice numbers charged.
    pub invoices: Vec<String>,
    pub total_minor: i64,
}

/// Who applies them.
#[derive(Clone, Copy)]
pub enum By {
    Owner(i64),
    Reminder(i64),
}

/// Posts the charges due on the account's overdue invoices (all, or those
/// of `only`) as of `ctx.on`, inside the caller's transaction and lock.
pub async fn apply(tx: &mut Tx, lock: &Locked, only: Option<&[i64]>, by: By, ctx: &Ctx) -> AppResult<Applied> {
    let account_id = lock.account_id();
    let claim = overdue(tx.into(), account_id, ctx.on).await?;
    let mut applied = Applied::default();
    for line in claim.lines.iter().filter(|l| only.is_none_or(|ids| ids.contains(&l.invoice_id))) {
        // Penalties accrued so far, less what was posted before.
        let posted: i64 = with_tx!(tx, |c| {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM late_charges
                 WHERE invoice_id = $1 AND kind = 'penalty'",
            )
            .bind(line.invoice_id)
            .fetch_one(&mut *c)
            .await
        })?;
        let penalty = line.penalties.map(|p| p.minor - posted).unwrap_or(0);
        let mut charged = 0;
        let target = (line.invoice_id, line.number.as_str());
        if penalty > 0 && post(tx, lock, target, "penalty", ctx.on, penalty, by, ctx).await? {
            charged += penalty;
        }
        if let Some(indemnity) = line.indemnity.filter(|m| m.minor > 0 && m.currency == lock.currency()) {
            if post(tx, lock, target, "indemnity", line.due_date, indemnity.minor, by, ctx).await? {
                charged += indemnity.minor;
            }
        }
        if charged > 0 {
            applied.invoices.push(line.number.clone());
            applied.total_minor += charged;
        }
    }
    Ok(applied)
}

/// One charge, once: `false` when this invoice, kind and period was
/// charged already.
#[allow(clippy::too_many_arguments)]
async fn post(
    tx: &mut Tx,
    lock: &Locked,
    (invoice_id, number): (i64, &str),
    kind: &str,
    period_end: NaiveDate,
    amount: i64,
    by: By,
    ctx: &Ctx,
) -> AppResult<bool> {
    let (reminder, user) = match by {
        By::Owner(user) => (None, Some(user)),
        By::Reminder(reminder) => (Some(reminder), None),
    };
    let inserted = with_tx!(tx, |c| {
        sqlx::query(
            "INSERT INTO late_charges (invoice_id, kind, period_end, amount_minor, currency, reminder_id, created_by,
                 created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (invoice_id, kind, period_end) DO NOTHING",
        )
        .bind(invoice_id)
        .bind(kind)
        .bind(period_end)
        .bind(amount)
        .bind(lock.currency().code())
        .bind(reminder)
        .bind(user)
        .bind(ctx.now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if inserted == 0 {
        return Ok(false);
    }
    let key = format!("late:{invoice_id}:{kind}:{period_end}");
    // The entry's kind says "fee"; its reference names the invoice, the
    // charge and its period, in no language.
    let reference = format!("{number} {kind} {period_end}");
    let posting = Posting::Fee { key: &key, invoice_id: Some(invoice_id), amount, reference: &reference };
    ledger::post(tx, lock, posting, ctx).await?;
    Ok(true)
}

/// The owner applies the charges accrued on an account's overdue invoices.
pub async fn apply_now(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<Applied> {
    principal.require_owner()?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let ctx = Ctx::new(state, Some(principal.user_id));
    let applied = apply(&mut tx, &lock, None, By::Owner(principal.user_id), &ctx).await?;
    if applied.total_minor == 0 {
        return Err(AppError::Conflict(Msg::NoLateChargesToApply));
    }
    let details = AuditDetails::default()
        .amount(Money::new(applied.total_minor, lock.currency()))
        .invoices(applied.invoices.iter().cloned());
    let entry = Audit::new(Some(principal.user_id), AuditAction::LateChargesApplied, ("account", Some(account_id)));
    audit((&mut tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(applied)
}

/// One invoice's charges today for its client or staff in scope (empty
/// when it is not late or owes none).
pub async fn of_invoice(
    state: &AppState,
    principal: &Principal,
    invoice_id: i64,
) -> AppResult<Vec<crate::legal::claim::InvoiceCharges>> {
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT a.id FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE {} AND i.id = $4 AND i.status = 'issued'",
        scope.sql()
    );
    let account: Option<i64> = crate::with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(invoice_id).fetch_optional(pool).await
    })?;
    let account_id = account.ok_or(AppError::NotFound)?;
    let claim = overdue((&state.db).into(), account_id, state.clock.today()).await?;
    if claim.rule == crate::legal::claim::ClaimRule::Consumer {
        return Ok(Vec::new());
    }
    Ok(claim
        .lines
        .into_iter()
        .filter(|l| l.invoice_id == invoice_id)
        .map(|l| crate::legal::claim::InvoiceCharges {
            as_of: claim.as_of,
            rule: claim.rule,
            days_late: l.days_late,
            percent: l.periods.last().map(|p| p.percent.clone()),
            penalties: l.penalties,
            indemnity: l.indemnity,
            charged: l.charged,
        })
        .collect())
}
