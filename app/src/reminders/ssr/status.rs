//! Why an account's next reminder will or will not go: the plan that
//! applies, a hold on the whole account, and for each open invoice the step
//! it reached, the next one and its day, or what holds it; then what the
//! engine recorded. Read within the caller's scope.

use super::engine::{self, AccountFacts, ACCOUNT_SQL};
use crate::auth::ssr::Principal;
use crate::domain::{Money, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::reminders::rules::{self, Channel};
use crate::reminders::{Hold, InvoiceReminder, NextStep, RecordedReminder, ReminderStatus};
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, NaiveDate, Utc};

/// The account's reminder status, for staff whose scope holds it (anyone
/// else: not found; a client: forbidden).
pub async fn status(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<ReminderStatus> {
    principal.require_staff()?;
    in_scope(state, principal, account_id).await?;
    let now = state.clock.now();
    // Read in a transaction of its own, so that the figures agree.
    let mut tx = state.db.begin().await?;
    let account: AccountFacts =
        with_tx!(&mut tx, |c| sqlx::query_as(ACCOUNT_SQL).bind(account_id).fetch_one(&mut *c).await)?;
    let zone: String = with_tx!(&mut tx, |c| {
        sqlx::query_scalar("SELECT time_zone FROM accounts WHERE id = $1").bind(account_id).fetch_one(&mut *c).await
    })?;
    let today = now.with_timezone(&engine::time_zone(&zone)).date_naive();
    let currency = crate::ledger::parse_currency(&account.currency)?;
    let (plan, steps) = match account.plan_id {
        Some(id) => {
            let name: Option<String> = with_tx!(&mut tx, |c| {
                sqlx::query_scalar("SELECT name FROM reminder_plans WHERE id = $1 AND archived_at IS NULL")
                    .bind(id)
                    .fetch_optional(&mut *c)
                    .await
            })?;
            (name, engine::steps(&mut tx, id).await?)
        }
        None => (None, Vec::new()),
    };
    let hold = account.hold(today).or_else(|| plan.is_none().then_some(Hold::NoPlan));
    let autopay = engine::autopay_since(&mut tx, account_id).await?;
    let invoices = engine::open_invoices(&mut tx, account_id).await?;
    let plans: Vec<(i64, String)> = with_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT id, name FROM reminder_plans WHERE archived_at IS NULL ORDER BY name, id")
            .fetch_all(&mut *c)
            .await
    })?;
    let (reasons, own_plan_id): (String, Option<i64>) = with_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT reminders_paused_reason, reminder_plan_id FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(&mut *c)
            .await
    })?;
    tx.commit().await?;
    let invoices = invoices
        .iter()
        .map(|i| {
            let progress = i.progress();
            let next = match rules::due_step(&steps, i.due_date, &progress, today) {
                Some(s) => Some(NextStep { position: s.position, channel: s.channel, day: today, due_now: true }),
                None => rules::next_day(&steps, i.due_date, &progress, today).map(|(s, day)| NextStep {
                    position: s.position,
                    channel: s.channel,
                    day,
                    due_now: false,
                }),
            };
            InvoiceReminder {
                invoice_id: i.id,
                number: i.number.clone(),
                due_date: i.due_date,
                balance: Money::new(i.balance_minor, currency),
                last_step: progress.last.map(|(p, _)| p),
                next,
                hold: i.hold(autopay, today),
            }
        })
        .collect();
    Ok(ReminderStatus {
        plan,
        hold,
        own_plan_id,
        excluded: account.reminders_excluded,
        plans,
        paused_until: account.reminders_paused_until.filter(|d| *d >= today),
        paused_reason: reasons,
        invoices,
        recorded: recorded(state, account_id).await?,
    })
}

#[derive(sqlx::FromRow)]
struct RecordedRow {
    id: i64,
    created_at: DateTime<Utc>,
    position: i32,
    channel: String,
    status: String,
    reason: String,
    amount_minor: i64,
    currency: String,
}

/// The account's reminders, newest first (the last 50).
async fn recorded(state: &AppState, account_id: i64) -> AppResult<Vec<RecordedReminder>> {
    let rows: Vec<RecordedRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT r.id, r.created_at, s.position, r.channel, r.status, r.reason, r.amount_minor, r.currency
             FROM reminders r JOIN reminder_steps s ON s.id = r.step_id
             WHERE r.account_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 50",
        )
        .bind(account_id)
        .fetch_all(pool)
        .await
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let numbers: Vec<String> = with_db!(&state.db, |pool| {
            sqlx::query_scalar(
                "SELECT i.number FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id
                 WHERE ri.reminder_id = $1 ORDER BY i.number",
            )
            .bind(r.id)
            .fetch_all(pool)
            .await
        })?;
        out.push(RecordedReminder {
            id: r.id,
            at: r.created_at,
            position: r.position,
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Task),
            status: r.status,
            reason: Hold::parse(&r.reason),
            amount: Money::new(r.amount_minor, crate::ledger::parse_currency(&r.currency)?),
            invoices: numbers,
        });
    }
    Ok(out)
}

/// Not found unless the account is in the caller's scope.
pub(crate) async fn in_scope(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<()> {
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!("SELECT a.id FROM accounts a WHERE {} AND a.id = $4", scope.sql());
    let found: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(pool).await
    })?;
    found.map(|_| ()).ok_or(AppError::NotFound)
}

/// Pauses the account's reminders until a date (not in the past, at most a
/// year ahead) with a reason, or resumes them (`until` empty). The owner,
/// or the collector assigned to the account.
pub async fn pause(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    until: &str,
    reason: &str,
) -> AppResult<Option<NaiveDate>> {
    if !matches!(principal.role, Role::Owner | Role::Collector) {
        return Err(AppError::Forbidden);
    }
    in_scope(state, principal, account_id).await?;
    let today = state.clock.today();
    let until = match until.trim() {
        "" => None,
        text => {
            let day =
                NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| AppError::field("until", Msg::InvalidDate))?;
            if day < today || day > today + chrono::Duration::days(366) {
                return Err(AppError::field("until", Msg::PauseDateOutOfRange));
            }
            Some(day)
        }
    };
    let reason = crate::domain::Note::parse_max("reason", reason, 300)?;
    if until.is_some() && reason.is_empty() {
        return Err(AppError::field("reason", Msg::RequiredField));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    with_tx!(&mut tx, |c| {
        sqlx::query("UPDATE accounts SET reminders_paused_until = $2, reminders_paused_reason = $3 WHERE id = $1")
            .bind(account_id)
            .bind(until)
            .bind(if until.is_some() { reason.as_ref() } else { "" })
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    let (action, details) = match until {
        Some(day) => (
            crate::audit::AuditAction::RemindersPaused,
            crate::audit::AuditDetails::default().note(format!("{day}: {}", reason.as_ref())),
        ),
        None => (crate::audit::AuditAction::RemindersResumed, crate::audit::AuditDetails::default()),
    };
    let entry = crate::auth::ssr::Audit::new(Some(principal.user_id), action, ("account", Some(account_id)));
    crate::auth::ssr::audit((&mut tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(until)
}
