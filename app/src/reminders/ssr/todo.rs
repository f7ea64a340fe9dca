//! The to-do in the database: the open tasks in the caller's scope, and an
//! outcome recorded once (a compare-and-set on the task's status), audited
//! on the account's timeline.

use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::collection::{DISPUTED_SQL, PROMISED_SQL};
use crate::domain::{Money, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::promises::{NewPromise, PromiseSource};
use crate::reminders::todo::{Outcome, TaskKind, TodoItem};
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::NaiveDate;

/// At most this many tasks on the page.
const LIMIT: i64 = 200;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    kind: String,
    reminder_id: Option<i64>,
    due_on: NaiveDate,
    note: String,
    account_id: i64,
    legal_name: String,
    billing_phone: String,
    overdue_minor: i64,
    currency: String,
    time_zone: String,
    oldest_due: Option<NaiveDate>,
}

pub(crate) fn require_collecting(principal: &Principal) -> AppResult<()> {
    match principal.role {
        Role::Owner | Role::Collector => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn list(state: &AppState, principal: &Principal) -> AppResult<Vec<TodoItem>> {
    require_collecting(principal)?;
    // A task is due on a day of its account's time zone, the day the
    // reminder job planned it on (`engine::run_paced`): the database keeps
    // up to a day past the server's date, each row is then held to its own
    // account's date. (Held to the server's UTC date, a call planned for
    // Paris's today vanished from the list every evening after 23:00 UTC.)
    let now = state.clock.now();
    let latest = now.date_naive() + chrono::Duration::days(1);
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT t.id, t.kind, t.due_on, t.note, t.reminder_id, a.id AS account_id, a.legal_name, a.billing_phone, a.overdue_minor,
                a.currency, a.time_zone,
                (SELECT MIN(i.due_date) FROM invoices i
                 WHERE i.account_id = a.id AND i.status = 'issued' AND i.balance_minor > 0) AS oldest_due
         FROM collection_tasks t JOIN accounts a ON a.id = t.account_id
         WHERE {} AND t.status = 'open' AND t.due_on <= $4
         ORDER BY t.due_on, t.id LIMIT {LIMIT}",
        scope.sql()
    );
    let rows: Vec<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(latest).fetch_all(pool).await
    })?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let today = now.with_timezone(&super::engine::time_zone(&r.time_zone)).date_naive();
        if r.due_on > today {
            continue;
        }
        let days_late = r.oldest_due.map(|d| (today - d).num_days().max(0)).unwrap_or(0);
        items.push(TodoItem {
            id: r.id,
            kind: TaskKind::parse(&r.kind).unwrap_or(TaskKind::Task),
            reminder_id: r.reminder_id,
            due_on: r.due_on,
            note: r.note,
            account_id: r.account_id,
            account_name: r.legal_name,
            phone: r.billing_phone,
            overdue: Money::new(r.overdue_minor, crate::ledger::parse_currency(&r.currency)?),
            days_late,
        });
    }
    // Amount overdue × days late, largest first (in i128: no overflow).
    items.sort_by_key(|i| std::cmp::Reverse(i128::from(i.overdue.minor) * i128::from(i.days_late.max(1))));
    Ok(items)
}

/// What the to-do's outcome form sends.
pub struct OutcomeForm {
    pub outcome: String,
    pub note: String,
    pub call_back_on: String,
    pub promised_on: String,
}

/// Records a task's outcome: a call back opens a new task on its day, a
/// promise given on the phone is recorded as staff's promise on the
/// account's overdue invoices (neither promised nor disputed).
pub async fn complete(state: &AppState, principal: &Principal, id: i64, form: OutcomeForm) -> AppResult<()> {
    require_collecting(principal)?;
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT t.account_id, t.kind, t.reminder_id FROM collection_tasks t JOIN accounts a ON a.id = t.account_id
         WHERE {} AND t.id = $4",
        scope.sql()
    );
    let task: Option<(i64, String, Option<i64>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    let (account_id, kind, reminder) = task.ok_or(AppError::NotFound)?;
    let outcome = Outcome::parse(form.outcome.trim()).ok_or_else(|| AppError::field("outcome", Msg::RequiredField))?;
    let note = crate::domain::Note::parse_max("note", &form.note, 1000)?;
    let today = state.clock.today();
    let again = match (outcome, form.call_back_on.trim()) {
        (Outcome::CallBack, text) => {
            let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().filter(|d| *d > today);
            Some(day.ok_or_else(|| AppError::field("call_back_on", Msg::CallBackDate))?)
        }
        _ => None,
    };
    match (outcome, form.promised_on.trim()) {
        (Outcome::Reached, text) if !text.is_empty() => {
            let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| AppError::field("promised_on", Msg::InvalidDate))?;
            promise(state, principal, account_id, date, &note).await?;
        }
        _ => {}
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let moved = with_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE collection_tasks SET status = 'done', outcome = $2, note = CASE WHEN $3 = '' THEN note ELSE $3 END,
                 done_by = $4, done_at = $5
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(outcome.as_str())
        .bind(note.as_ref())
        .bind(principal.user_id)
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if moved == 0 {
        return Err(AppError::Conflict(Msg::TaskAlreadyDone));
    }
    // A letter or formal demand marked done was posted today: the client
    // sees it from now on.
    if let (Some(reminder), "letter", Outcome::Done) = (reminder, kind.as_str(), outcome) {
        with_tx!(&mut tx, |c| {
            sqlx::query("UPDATE reminders SET posted_on = $2 WHERE id = $1 AND posted_on IS NULL")
                .bind(reminder)
                .bind(today)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    if let Some(day) = again {
        with_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO collection_tasks (account_id, kind, due_on, status, note, created_at)
                 VALUES ($1, $2, $3, 'open', $4, $5)",
            )
            .bind(account_id)
            .bind(&kind)
            .bind(day)
            .bind(note.as_ref())
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    let details = AuditDetails::default().code(format!("{kind}: {}", outcome.as_str())).note(note.into_string());
    let entry = Audit::new(Some(principal.user_id), AuditAction::TaskDone, ("collection_task", Some(id)));
    audit((&mut tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(())
}

/// Staff's promise for the account's overdue invoices that are neither
/// promised nor disputed (the promise's own rules check the date).
async fn promise(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    date: NaiveDate,
    note: &crate::domain::Note,
) -> AppResult<()> {
    let sql = format!(
        "SELECT i.id FROM invoices i WHERE i.account_id = $1 AND i.status = 'issued' AND i.balance_minor > 0
             AND i.due_date < $2 AND NOT {PROMISED_SQL} AND {DISPUTED_SQL} = 0 ORDER BY i.due_date, i.id"
    );
    let ids: Vec<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(account_id).bind(state.clock.today()).fetch_all(pool).await
    })?;
    if ids.is_empty() {
        return Err(AppError::field("promised_on", Msg::NothingToPromise));
    }
    let policy = crate::promises::ssr::policy((&state.db).into()).await?;
    policy
        .check_date(date, state.clock.today())
        .map_err(|_| AppError::field("promised_on", Msg::PromiseDateOutOfRange))?;
    let promise = NewPromise {
        account_id,
        invoice_ids: ids,
        date,
        amount: None,
        note: note.clone(),
        source: PromiseSource::Staff,
        actor: principal.user_id,
    };
    crate::promises::ssr::create(state, &promise).await?;
    Ok(())
}
