//! Recurring invoices: templates, and the job that issues each occurrence
//! once. The job claims an occurrence by moving the template's count with
//! a compare-and-set, in the transaction that writes the invoice (under
//! the account's lock), and the invoice carries a unique
//! `recurring:{template}:{n}` key: two instances never issue the same
//! occurrence, and after downtime every missed one is issued, in order.

use super::issue::{last_issued_on, write_invoice, Document};
use super::require_invoicer;
use crate::answer::Created;
use crate::auth::ssr::Principal;
use crate::domain::document::compute;
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoicing::rules::{Draft, Frequency};
use crate::invoicing::{DraftForm, RecurringStatus, RecurringSummary};
use crate::ledger;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, NaiveDate, Utc};

fn parse_day(field: &str, input: &str) -> AppResult<Option<NaiveDate>> {
    match input.trim() {
        "" => Ok(None),
        s => NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Some).map_err(|_| AppError::field(field, Msg::InvalidDate)),
    }
}

/// A new template for the account, starting on `start` (today or later).
pub async fn create(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    form: DraftForm,
    frequency: &str,
    start: &str,
    end: &str,
) -> AppResult<Created<RecurringStatus>> {
    let account = require_invoicer((&state.db).into(), principal, account_id).await?;
    let frequency = Frequency::parse(frequency).ok_or_else(|| AppError::field("frequency", Msg::InvalidInput))?;
    let today = state.clock.today();
    let start = parse_day("start_date", start)?.unwrap_or(today);
    if start < today {
        return Err(AppError::field("start_date", Msg::StartInPast));
    }
    let end = parse_day("end_date", end)?;
    if end.is_some_and(|e| e < start) {
        return Err(AppError::field("end_date", Msg::EndBeforeStart));
    }
    // Issue and due dates come from each occurrence and the terms.
    let draft =
        Draft::try_from((DraftForm { issue_date: String::new(), due_date: String::new(), ..form }, account.currency))?;
    let lines = serde_json::to_string(&draft.lines).map_err(AppError::internal)?;
    let (bp, days) = draft.discount.map(|d| (Some(d.percent_bp), Some(d.days))).unwrap_or((None, None));
    let now = state.clock.now();
    let id: i64 = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO recurring_invoices (account_id, frequency, start_date, next_date, end_date, early_discount_bp,
                 early_discount_days, note, lines, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(account_id)
        .bind(frequency.as_str())
        .bind(start)
        .bind(end)
        .bind(bp)
        .bind(days)
        .bind(draft.note.as_ref())
        .bind(&lines)
        .bind(principal.user_id)
        .bind(now)
        .fetch_one(pool)
        .await
    })?;
    Ok(Created { id, status: RecurringStatus::Active })
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    id: i64,
    account_id: i64,
    frequency: String,
    start_date: NaiveDate,
    issued_count: i32,
    next_date: NaiveDate,
    end_date: Option<NaiveDate>,
    early_discount_bp: Option<i32>,
    early_discount_days: Option<i32>,
    note: String,
    lines: String,
    active: bool,
}

const TEMPLATE: &str =
    "SELECT id, account_id, frequency, start_date, issued_count, next_date, end_date, early_discount_bp,
    early_discount_days, note, lines, active FROM recurring_invoices";

impl TemplateRow {
    fn frequency(&self) -> AppResult<Frequency> {
        Frequency::parse(&self.frequency)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown frequency {}", self.frequency)))
    }
}

/// An account's templates, newest first.
pub async fn list(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<Vec<RecurringSummary>> {
    let account = match require_invoicer((&state.db).into(), principal, account_id).await {
        Err(AppError::Conflict(_)) => return Ok(Vec::new()),
        other => other?,
    };
    let sql = format!("{TEMPLATE} WHERE account_id = $1 ORDER BY id DESC LIMIT 100");
    let rows: Vec<TemplateRow> =
        with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|r| {
            let lines: Vec<crate::domain::document::DraftLine> =
                serde_json::from_str(&r.lines).map_err(AppError::internal)?;
            let total = compute(&lines).map_err(AppError::internal)?.total_minor;
            Ok(RecurringSummary {
                id: r.id,
                frequency: r.frequency()?,
                next_date: r.next_date,
                end_date: r.end_date,
                issued: i64::from(r.issued_count),
                total: Money::new(total, account.currency),
                status: if r.active { RecurringStatus::Active } else { RecurringStatus::Stopped },
            })
        })
        .collect()
}

/// Stops a template: nothing more is issued from it.
pub async fn stop(state: &AppState, principal: &Principal, id: i64) -> AppResult<(i64, Created<RecurringStatus>)> {
    let account_id: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT account_id FROM recurring_invoices WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    let account_id = account_id.ok_or(AppError::NotFound)?;
    require_invoicer((&state.db).into(), principal, account_id).await?;
    deactivate(state, id).await?;
    Ok((account_id, Created { id, status: RecurringStatus::Stopped }))
}

async fn deactivate(state: &AppState, id: i64) -> AppResult<()> {
    let now = state.clock.now();
    with_db!(&state.db, |pool| {
        sqlx::query("UPDATE recurring_invoices SET active = FALSE, updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The job's pass: every template with an occurrence due is brought up to
/// date, one occurrence (one invoice) at a time. Answers how many invoices
/// it issued.
pub async fn run(state: &AppState) -> AppResult<usize> {
    let today = state.clock.today();
    let due: Vec<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM recurring_invoices WHERE active AND next_date <= $1 ORDER BY next_date, id LIMIT 1000",
        )
        .bind(today)
        .fetch_all(pool)
        .await
    })?;
    if due.is_empty() {
        return Ok(0);
    }
    let merchant = crate::settings::ssr::load(state).await?;
    let mut issued = 0;
    for id in due {
        issued += catch_up_with(state, &merchant, id).await;
    }
    Ok(issued)
}

/// Brings one template up to date (a template saved with a start of
/// today issues its first invoice at once). Answers how many it issued.
pub async fn catch_up(state: &AppState, id: i64) -> AppResult<usize> {
    let merchant = crate::settings::ssr::load(state).await?;
    Ok(catch_up_with(state, &merchant, id).await)
}

/// One occurrence (one invoice) at a time, at most a few years of monthly
/// ones in a pass; a failure is logged and leaves the rest to the next.
async fn catch_up_with(state: &AppState, merchant: &crate::settings::MerchantSettings, id: i64) -> usize {
    let mut issued = 0;
    for _ in 0..240 {
        match issue_next(state, merchant, id).await {
            Ok(true) => issued += 1,
            Ok(false) => break,
            Err(e) => {
                tracing::warn!(template = id, error = ?e, "recurring invoice not issued");
                break;
            }
        }
    }
    issued
}

/// Issues the template's next occurrence if it is due; `false` when there
/// is nothing to do (not due, ended, stopped, or another instance took it).
async fn issue_next(state: &AppState, merchant: &crate::settings::MerchantSettings, id: i64) -> AppResult<bool> {
    let today = state.clock.today();
    let sql = format!("{TEMPLATE} WHERE id = $1");
    let t: Option<TemplateRow> = with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    let Some(t) = t else { return Ok(false) };
    if !t.active || t.next_date > today {
        return Ok(false);
    }
    let now: DateTime<Utc> = state.clock.now();
    if t.end_date.is_some_and(|end| t.next_date > end) {
        deactivate(state, id).await?;
        return Ok(false);
    }
    let frequency = t.frequency()?;
    let n = u32::try_from(t.issued_count).map_err(AppError::internal)?;
    let after = frequency
        .occurrence(t.start_date, n + 1)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("template {id}: no date after occurrence {n}")))?;

    let mut tx = state.db.begin().await?;
    let locked = ledger::lock(&mut tx, t.account_id).await?;
    let Some(account) = super::account_for_job(&mut tx, t.account_id).await? else {
        return Ok(false);
    };
    // The claim: whoever moves the count first issues this occurrence.
    let claimed = with_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE recurring_invoices SET issued_count = issued_count + 1, next_date = $3, updated_at = $4
             WHERE id = $1 AND issued_count = $2 AND active",
        )
        .bind(id)
        .bind(t.issued_count)
        .bind(after)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if claimed != 1 {
        return Ok(false);
    }
    // On its date, unless an invoice of the series was issued after it
    // meanwhile (numbers follow dates): then on that later date.
    let scheduled = t.next_date;
    let last = last_issued_on(&mut tx, chrono::Datelike::year(&scheduled)).await?;
    let issued_on = last.map_or(scheduled, |last| last.max(scheduled)).min(today);
    let doc = Document {
        issued_on,
        actor: None,
        lines: serde_json::from_str(&t.lines).map_err(AppError::internal)?,
        due_date: None,
        early_discount_bp: t.early_discount_bp,
        early_discount_days: t.early_discount_days,
        note: t.note.clone(),
        recurring_key: Some(format!("recurring:{id}:{n}")),
    };
    write_invoice(&mut tx, state, &locked, &account, merchant, &doc).await?;
    tx.commit().await?;
    Ok(true)
}
