//! A reminder that went out, as a document: what the client received
//! (the message's subject and text), for its PDF in the client's history
//! and on the account's page.

use crate::auth::ssr::Scope;
use crate::error::{AppError, AppResult};
use crate::reminders::rules::Channel;
use crate::state::AppState;
use crate::with_db;
use chrono::{DateTime, Utc};

/// A sent reminder's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReminderLetter {
    pub id: i64,
    pub sent_at: DateTime<Utc>,
    pub channel: Channel,
    pub account_name: String,
    pub subject: String,
    pub body: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    channel: String,
    legal_name: String,
    subject: String,
    body_text: String,
}

/// The reminder `id` if it went out and its account is in `scope` (its
/// client, or staff who may see the account); anything else is not found.
pub async fn letter(state: &AppState, scope: Scope, id: i64) -> AppResult<ReminderLetter> {
    let (all, collector, account) = scope.binds();
    let sql = format!(
        "SELECT r.id, r.created_at, r.channel, a.legal_name, o.subject, o.body_text
         FROM reminders r JOIN accounts a ON a.id = r.account_id JOIN outbox o ON o.id = r.outbox_id
         WHERE {} AND r.id = $4 AND r.status = 'sent'",
        scope.sql()
    );
    let row: Option<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(id).fetch_optional(pool).await
    })?;
    let r = row.ok_or(AppError::NotFound)?;
    Ok(ReminderLetter {
        id: r.id,
        sent_at: r.created_at,
        channel: Channel::parse(&r.channel).unwrap_or(Channel::Email),
        account_name: r.legal_name,
        subject: r.subject,
        body: r.body_text,
    })
}
