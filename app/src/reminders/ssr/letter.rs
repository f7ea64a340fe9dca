//! A reminder as a document: an e-mail that went out (the outbox's subject
//! and text as the client received it), or a letter or formal demand (the
//! text recorded with it, and for a formal demand the sum claimed broken
//! down), for its PDF: to print and post (staff in scope), and in the
//! client's history once it went out.

use crate::auth::ssr::Principal;
use crate::error::{AppError, AppResult};
use crate::legal::claim::Claim;
use crate::reminders::rules::Channel;
use crate::state::AppState;
use crate::with_db;
use chrono::{DateTime, NaiveDate, Utc};

/// A reminder's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderLetter {
    pub id: i64,
    pub account_id: i64,
    pub sent_at: DateTime<Utc>,
    pub channel: Channel,
    pub account_name: String,
    pub subject: String,
    pub body: String,
    /// When a letter or formal demand was posted.
    pub posted_on: Option<NaiveDate>,
    /// A formal demand's breakdown (principal, penalties, indemnity).
    pub demand: Option<Claim>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    account_id: i64,
    created_at: DateTime<Utc>,
    channel: String,
    posted_on: Option<NaiveDate>,
    legal_name: String,
    subject: String,
    body: String,
}

/// What counts as gone out: an e-mail sent, a letter or formal demand
/// posted.
pub const WENT_OUT_SQL: &str = "(r.status = 'sent' OR r.posted_on IS NOT NULL)";

/// The reminder `id` for `principal`: staff whose scope holds its account
/// see e-mails sent and every letter and formal demand (to print them);
/// its client only what went out. Anything else is not found.
pub async fn letter(state: &AppState, principal: &Principal, id: i64) -> AppResult<ReminderLetter> {
    let scope = principal.scope();
    let (all, collector, account) = scope.binds();
    let staff = principal.role.is_staff();
    let sql = format!(
        "SELECT r.id, r.account_id, r.created_at, r.channel, r.posted_on, a.legal_name,
                COALESCE(o.subject, r.letter_subject) AS subject, COALESCE(o.body_text, r.letter_body) AS body
         FROM reminders r JOIN accounts a ON a.id = r.account_id LEFT JOIN outbox o ON o.id = r.outbox_id
         WHERE {} AND r.id = $4
           AND ({WENT_OUT_SQL} OR ($5 AND r.status = 'task' AND r.channel IN ('letter', 'formal_demand')))",
        scope.sql()
    );
    let row: Option<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(id).bind(staff).fetch_optional(pool).await
    })?;
    let r = row.ok_or(AppError::NotFound)?;
    let channel = Channel::parse(&r.channel).unwrap_or(Channel::Email);
    let demand = match channel {
        Channel::FormalDemand => {
            Some(crate::legal::ssr::claim::for_reminder(state, r.account_id, r.id, r.created_at.date_naive()).await?)
        }
        _ => None,
    };
    Ok(ReminderLetter {
        id: r.id,
        account_id: r.account_id,
        sent_at: r.created_at,
        channel,
        account_name: r.legal_name,
        subject: r.subject,
        body: r.body,
        posted_on: r.posted_on,
        demand,
    })
}

/// The letters and formal demands waiting to be posted (their task open,
/// due today or before) in the caller's scope (staff), oldest first.
pub async fn to_post(state: &AppState, principal: &Principal) -> AppResult<Vec<ReminderLetter>> {
    principal.require_staff()?;
    let scope = principal.scope();
    let (all, collector, account) = scope.binds();
    let sql = format!(
        "SELECT t.reminder_id FROM collection_tasks t JOIN accounts a ON a.id = t.account_id
         JOIN reminders r ON r.id = t.reminder_id
         WHERE {} AND t.kind = 'letter' AND t.status = 'open' AND t.due_on <= $4
           AND r.channel IN ('letter', 'formal_demand')
         ORDER BY t.due_on, t.id LIMIT 200",
        scope.sql()
    );
    let ids: Vec<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(account).bind(state.clock.today()).fetch_all(pool).await
    })?;
    let mut letters = Vec::with_capacity(ids.len());
    for id in ids {
        letters.push(letter(state, principal, id).await?);
    }
    Ok(letters)
}
