//! The client's history (`/portal/history`): what the merchant sent them
//! (invoices, credit notes, reminders with their PDF) and what happened to
//! their account (payments, promises, disputes), newest first. The money
//! comes from the ledger (so imported invoices and payments are there too),
//! the rest from the audit log, keeping only what a client may see: no
//! staff notes, no collector's proposal, no task, no write-off, and a
//! reminder only once it went out (an e-mail sent, a letter posted).

use crate::audit::AuditAction;
use crate::components::{Amount, Day, Loaded, Page};
use crate::domain::{EntryKind, Money, Role};
use crate::error::AppError;
use crate::i18n::{t, use_locale, Msg};
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The audit actions a client's history shows (money moves are read from
/// the ledger instead).
pub const CLIENT_ACTIONS: &[AuditAction] = &[
    AuditAction::InvoiceSent,
    AuditAction::ReminderRecorded,
    AuditAction::PaymentFailed,
    AuditAction::PromiseCreated,
    AuditAction::PromiseCancelled,
    AuditAction::PromiseApproved,
    AuditAction::PromiseRejected,
    AuditAction::PromiseKept,
    AuditAction::PromiseBroken,
    AuditAction::DisputeOpened,
    AuditAction::DisputeMessage,
    AuditAction::DisputeInfoRequested,
    AuditAction::DisputeUnderReview,
    AuditAction::DisputeApproved,
    AuditAction::DisputePartiallyApproved,
    AuditAction::DisputeRejected,
    AuditAction::DisputeWithdrawn,
    AuditAction::DisputeClosed,
];

/// At most this many events on the page (the latest).
pub const HISTORY_LIMIT: i64 = 200;

/// The ledger entries a client's history shows.
pub const CLIENT_ENTRIES: &[EntryKind] = &[
    EntryKind::Invoice,
    EntryKind::Payment,
    EntryKind::CreditNote,
    EntryKind::Fee,
    EntryKind::Refund,
    EntryKind::RefundReversal,
    EntryKind::PaymentReversal,
];

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryKind {
    Action(AuditAction),
    Entry(EntryKind),
}

impl HistoryKind {
    pub fn label(self) -> Msg {
        match self {
            HistoryKind::Action(a) => a.label(),
            HistoryKind::Entry(k) => crate::components::kind_msg(k),
        }
    }

    /// For the page's tests: `invoice`, `payment`, `promise.created`…
    pub fn name(self) -> &'static str {
        match self {
            HistoryKind::Action(a) => a.as_str(),
            HistoryKind::Entry(k) => k.as_str(),
        }
    }
}

/// One event of the client's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub day: NaiveDate,
    /// When it was recorded (orders the events of one day).
    pub at: DateTime<Utc>,
    pub kind: HistoryKind,
    /// An invoice's or a credit note's number, a payment's reference.
    pub reference: String,
    pub amount: Option<Money>,
    pub date: Option<NaiveDate>,
    pub invoices: Vec<String>,
    /// A reminder's channel (`email`, `letter`…).
    pub channel: Option<String>,
    /// Where to see it: the invoice, payment, promise or dispute page, or
    /// the reminder's PDF.
    pub link: Option<String>,
}

crate::reads!(HistoryItem);

impl HistoryItem {
    /// The page that shows an audited event's subject, for the client.
    pub fn link_for(action: AuditAction, entity_id: Option<i64>) -> Option<String> {
        let id = entity_id?;
        Some(match action.as_str().split('.').next()? {
            "invoice" => format!("/portal/invoices/{id}"),
            "reminder" => format!("/reminders/{id}/pdf"),
            "payment" => format!("/portal/payments/{id}"),
            "promise" => "/portal/promises".to_string(),
            "dispute" => format!("/portal/disputes/{id}"),
            _ => return None,
        })
    }

    /// Whether the link is a file to download rather than a page.
    pub fn is_document(&self) -> bool {
        self.link.as_deref().is_some_and(|l| l.ends_with("/pdf"))
    }
}

/// The client's history, newest first.
#[server(endpoint = "portal/history")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_history() -> Result<Vec<HistoryItem>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account = principal.require_client()?;
        ssr::history(&state, account).await
    })
    .await
}

#[cfg(feature = "ssr")]
pub mod ssr {
    use super::*;
    use crate::with_db;

    #[derive(sqlx::FromRow)]
    struct ActionRow {
        occurred_at: DateTime<Utc>,
        action: String,
        entity_id: Option<i64>,
        details: String,
    }

    /// One payment (or credit note…) over several invoices is one event.
    #[derive(sqlx::FromRow)]
    struct EntryRow {
        occurred_on: NaiveDate,
        created_at: DateTime<Utc>,
        kind: String,
        reference: String,
        amount_minor: i64,
        currency: String,
        invoice_id: Option<i64>,
        number: Option<String>,
    }

    fn quoted<'a>(names: impl Iterator<Item = &'a str>) -> String {
        names.map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
    }

    /// The history of `account_id` (the caller's own account): the latest
    /// `HISTORY_LIMIT` events.
    pub async fn history(state: &crate::state::AppState, account_id: i64) -> crate::error::AppResult<Vec<HistoryItem>> {
        // The names are this crate's constants, not input.
        let actions = quoted(CLIENT_ACTIONS.iter().map(|a| a.as_str()));
        let sql = format!(
            "SELECT l.occurred_at, l.action, l.entity_id, l.details FROM audit_log l
             WHERE l.account_id = $1 AND l.action IN ({actions})
               AND (l.action <> 'reminder.recorded' OR EXISTS (SELECT 1 FROM reminders r
                    WHERE r.id = l.entity_id AND r.account_id = $1 AND {went_out}))
             ORDER BY l.occurred_at DESC, l.id DESC LIMIT {HISTORY_LIMIT}",
            went_out = crate::reminders::ssr::letter::WENT_OUT_SQL
        );
        let actions: Vec<ActionRow> =
            with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await)?;
        let kinds = quoted(CLIENT_ENTRIES.iter().map(|k| k.as_str()));
        let sql = format!(
            "SELECT e.occurred_on, e.created_at, e.kind, e.reference, e.amount_minor, e.currency, e.invoice_id, i.number
             FROM ledger_entries e LEFT JOIN invoices i ON i.id = e.invoice_id
             WHERE e.account_id = $1 AND e.kind IN ({kinds})
             ORDER BY e.occurred_on DESC, e.id DESC LIMIT {}",
            HISTORY_LIMIT * 4
        );
        let entries: Vec<EntryRow> =
            with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await)?;

        let mut items: Vec<HistoryItem> = Vec::new();
        for r in entries {
            let Some(kind) = EntryKind::parse(&r.kind) else { continue };
            let currency = crate::ledger::parse_currency(&r.currency)?;
            let number = r.number.unwrap_or_default();
            let reference =
                if kind == EntryKind::Invoice || r.reference.is_empty() { number.clone() } else { r.reference };
            // The entries of one payment on several invoices, side by side.
            if let Some(last) = items.last_mut().filter(|l| {
                kind != EntryKind::Invoice
                    && l.kind == HistoryKind::Entry(kind)
                    && l.day == r.occurred_on
                    && l.reference == reference
                    && l.amount.is_some_and(|m| m.currency == currency)
            }) {
                if let Some(m) = last.amount.as_mut() {
                    m.minor += r.amount_minor.abs();
                }
                if !number.is_empty() && !last.invoices.contains(&number) {
                    last.invoices.push(number);
                }
                continue;
            }
            items.push(HistoryItem {
                day: r.occurred_on,
                at: r.created_at,
                kind: HistoryKind::Entry(kind),
                reference,
                amount: Some(Money::new(r.amount_minor.abs(), currency)),
                date: None,
                invoices: if kind == EntryKind::Invoice || number.is_empty() { Vec::new() } else { vec![number] },
                channel: None,
                link: r.invoice_id.map(|id| format!("/portal/invoices/{id}")),
            });
        }
        for r in actions {
            let Some(action) = AuditAction::parse(&r.action) else { continue };
            let details = crate::audit::AuditDetails::from_stored(&r.details);
            let channel = (action == AuditAction::ReminderRecorded).then(|| details.code.clone()).flatten();
            items.push(HistoryItem {
                day: r.occurred_at.date_naive(),
                at: r.occurred_at,
                kind: HistoryKind::Action(action),
                reference: details.reference.unwrap_or_default(),
                amount: details.amount,
                date: details.date,
                invoices: details.invoices,
                channel,
                link: HistoryItem::link_for(action, r.entity_id),
            });
        }
        items.sort_by_key(|i| std::cmp::Reverse((i.day, i.at)));
        items.truncate(HISTORY_LIMIT as usize);
        Ok(items)
    }
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    view! {
        <Page roles=&[Role::Client] title=Msg::History>
            <HistoryBody/>
        </Page>
    }
}

#[component]
fn HistoryBody() -> impl IntoView {
    let items = Resource::new(|| (), |_| get_history());
    let locale = use_locale();
    view! {
        <h1>{t(Msg::History)}</h1>
        <p class="muted">{t(Msg::HistoryIntro)}</p>
        <crate::statements::StatementForm base="/portal/statement".to_string()/>
        <Loaded resource=items view=move |list| {
            if list.is_empty() {
                return view! { <p class="muted" data-testid="history-empty">{t(Msg::NoEvents)}</p> }.into_any();
            }
            view! {
                <ol class="timeline" data-testid="history">
                    {list.into_iter().map(|e| {
                        let channel = e.channel.as_deref().and_then(crate::reminders::rules::Channel::parse);
                        let kind = e.kind;
                        let label = move || {
                            let locale = locale.get();
                            match channel {
                                Some(c) => format!("{} ({})", Msg::TlReminder.text(locale), c.msg().text(locale)),
                                None => kind.label().text(locale).to_string(),
                            }
                        };
                        let document = e.is_document();
                        view! {
                            <li data-testid="history-event" data-kind=kind.name()>
                                <Day date=e.day/> " — "
                                {match e.link.clone() {
                                    Some(href) if document => view! {
                                        <a href=href rel="external" download data-testid="history-pdf">{label} " (PDF)"</a>
                                    }.into_any(),
                                    Some(href) => view! { <a href=href>{label}</a> }.into_any(),
                                    None => view! { <span>{label}</span> }.into_any(),
                                }}
                                {(!e.reference.is_empty()).then(|| view! { " " {e.reference.clone()} })}
                                {e.amount.map(|m| view! { " " <Amount money=m/> })}
                                {e.date.map(|d| view! { " · " <Day date=d/> })}
                                {(!e.invoices.is_empty()).then(|| view! { " " <span class="muted small">{e.invoices.join(", ")}</span> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any()
        }/>
    }
}
