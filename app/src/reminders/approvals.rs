//! Steps that need approval (`/back/reminders/approvals`): the e-mail as
//! it was filled when the step came due, for the owner or the account's
//! collector to send or set aside. Sending re-checks its invoices under
//! the account's lock: those paid, promised or disputed since are left out,
//! and with none left the reminder is set aside.

use crate::answer::Done;
use crate::components::{follow_target as follow, Amount, Day, ErrorMessage, Loaded, Page};
use crate::domain::{Money, Role};
use crate::error::AppError;
use crate::i18n::{t, Msg};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A reminder waiting for approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalItem {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub at: DateTime<Utc>,
    pub position: i32,
    pub amount: Money,
    pub invoices: Vec<String>,
    pub subject: String,
    pub body: String,
}

crate::reads!(ApprovalItem);

/// The reminders waiting for approval in the caller's scope (the owner,
/// collectors), oldest first.
#[server(endpoint = "reminders/approvals")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_approvals() -> Result<Vec<ApprovalItem>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::approvals::list(&state, &principal).await
    })
    .await
}

/// Sends (`decision` = `approve`) or sets aside (`reject`) a reminder;
/// answers `sent` or `cancelled` (approved with nothing left to chase).
#[server(endpoint = "reminders/decide")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(reminder = id)))]
pub async fn decide_reminder(id: i64, decision: String) -> Result<Done<String>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let status = super::ssr::approvals::decide(&state, &principal, id, &decision).await?;
        Ok(Done::new(status.to_string(), "/back/reminders/approvals"))
    })
    .await
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    view! {
        <Page roles=&[Role::Owner, Role::Collector] title=Msg::Approvals>
            <ApprovalsBody/>
        </Page>
    }
}

#[component]
fn ApprovalsBody() -> impl IntoView {
    let decide = ServerAction::<DecideReminder>::new();
    follow!(decide);
    let items = Resource::new(move || decide.version().get(), |_| get_approvals());
    view! {
        <h1>{t(Msg::Approvals)}</h1>
        <p class="muted">{t(Msg::ApprovalsIntro)}</p>
        {move || decide.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
        <Loaded resource=items view=move |list| {
            if list.is_empty() {
                return view! { <p class="muted" data-testid="approvals-empty">{t(Msg::NoApprovals)}</p> }.into_any();
            }
            view! {
                <ol class="cards" data-testid="approvals">
                    {list.into_iter().map(|a| view! {
                        <li class="card" data-testid="approval">
                            <h2><a href=format!("/back/accounts/{}", a.account_id)>{a.account_name.clone()}</a></h2>
                            <p class="muted small"><Day date=a.at.date_naive()/> " · " {t(Msg::ReminderStep)} " " {a.position}
                                " · " {a.invoices.join(", ")} " · " <Amount money=a.amount/></p>
                            <h3>{a.subject.clone()}</h3>
                            <pre class="message">{a.body.clone()}</pre>
                            <div class="actions">
                                <ActionForm action=decide attr:class="inline">
                                    <input type="hidden" name="id" value=a.id.to_string()/>
                                    <input type="hidden" name="decision" value="approve"/>
                                    <button type="submit" class="primary" data-testid="approve">{t(Msg::ApproveAndSend)}</button>
                                </ActionForm>
                                <ActionForm action=decide attr:class="inline">
                                    <input type="hidden" name="id" value=a.id.to_string()/>
                                    <input type="hidden" name="decision" value="reject"/>
                                    <button type="submit" data-testid="reject">{t(Msg::RejectReminder)}</button>
                                </ActionForm>
                            </div>
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }/>
    }
}
