//! The text messages reminders queued, newest first, on the owner's outbox
//! page beside the e-mails: what left, what waits (all of them when no SMS
//! provider is configured), what failed and what a STOP blocked.

use crate::components::{Day, Loaded};
use crate::error::AppError;
use crate::i18n::{t, Msg};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// How many texts the page shows.
pub const SHOWN: i64 = 100;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TextMessage {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub to_phone: String,
    pub body: String,
    /// `pending`, `sent`, `failed` or `blocked`.
    pub status: String,
    pub attempts: i32,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

/// The latest texts (the owner).
#[server(endpoint = "reminders/texts")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_texts() -> Result<Vec<TextMessage>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let rows: Vec<TextMessage> = crate::with_db!(&state.db, |pool| {
                sqlx::query_as(
                    "SELECT s.id, s.account_id, a.legal_name AS account_name, s.to_phone, s.body, s.status, s.attempts, s.last_error,
                        s.created_at
                     FROM sms_outbox s JOIN accounts a ON a.id = s.account_id ORDER BY s.id DESC LIMIT $1",
                )
                .bind(SHOWN)
                .fetch_all(pool)
                .await
            })?;
        Ok(rows)
    })
    .await
}

/// The texts, under the outbox's e-mails (nothing when none was queued).
#[component]
pub fn TextsOutbox() -> impl IntoView {
    let texts = Resource::new(|| (), |_| get_texts());
    view! {
        <Loaded resource=texts view=move |list| {
            if list.is_empty() {
                return ().into_any();
            }
            view! {
                <section data-testid="texts">
                    <h2>{t(Msg::TextMessages)}</h2>
                    {list.into_iter().map(|m| {
                        let status = match m.status.as_str() {
                            "sent" => Msg::MailSent,
                            "failed" => Msg::MailFailed,
                            "blocked" => Msg::SmsBlocked,
                            _ => Msg::MailPending,
                        };
                        view! {
                            <details class="mail" data-testid="text" data-status=m.status.clone()>
                                <summary>
                                    <span class="badge">{t(status)}</span> " "
                                    <a href=format!("/back/accounts/{}", m.account_id)>{m.account_name.clone()}</a>
                                    " → " {m.to_phone.clone()} " · " <Day date=m.created_at.date_naive()/>
                                </summary>
                                <pre>{m.body.clone()}</pre>
                                {(!m.last_error.is_empty()).then(|| view! { <p class="muted">{t(Msg::Attempts)} ": " {m.attempts} " — " {m.last_error.clone()}</p> })}
                            </details>
                        }
                    }).collect_view()}
                </section>
            }.into_any()
        }/>
    }
}
