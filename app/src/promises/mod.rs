//! Promises to pay: a client (or staff, for a promise made by phone)
//! promises a date and an amount for one or several open invoices. While a
//! promise is active its invoices are *promised*: out of the overdue
//! figures and queues, and skipped by whatever sends reminders
//! (`crate::collection::PROMISED_SQL`). The settling job then marks it kept (the amount
//! was paid) or broken (not, or only partly, by its date), which returns the
//! invoices to collection and alerts the collector.

use crate::domain::Money;
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseStatus {
    /// Beyond the policy's count for an invoice: staff must approve it.
    PendingApproval,
    Active,
    Kept,
    Broken,
    Cancelled,
    Rejected,
}

impl PromiseStatus {
    pub const ALL: [PromiseStatus; 6] = [
        PromiseStatus::PendingApproval,
        PromiseStatus::Active,
        PromiseStatus::Kept,
        PromiseStatus::Broken,
        PromiseStatus::Cancelled,
        PromiseStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromiseStatus::PendingApproval => "pending_approval",
            PromiseStatus::Active => "active",
            PromiseStatus::Kept => "kept",
            PromiseStatus::Broken => "broken",
            PromiseStatus::Cancelled => "cancelled",
            PromiseStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            PromiseStatus::PendingApproval => Msg::PromisePending,
            PromiseStatus::Active => Msg::PromiseActive,
            PromiseStatus::Kept => Msg::PromiseKept,
            PromiseStatus::Broken => Msg::PromiseBroken,
            PromiseStatus::Cancelled => Msg::PromiseCancelled,
            PromiseStatus::Rejected => Msg::PromiseRejected,
        }
    }

    /// The payer may still withdraw it.
    pub fn cancellable(self) -> bool {
        matches!(self, PromiseStatus::PendingApproval | PromiseStatus::Active)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromiseInvoice {
    pub id: i64,
    pub number: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromiseView {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub promised_date: NaiveDate,
    pub amount: Money,
    pub status: PromiseStatus,
    /// `portal` (the client) or `staff` (recorded from a phone call).
    pub source: String,
    pub note: String,
    pub decision_note: String,
    pub invoices: Vec<PromiseInvoice>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromiseLine {
    pub id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    pub balance: Money,
}

/// What promising these invoices covers, and the dates the policy allows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromiseQuote {
    pub invoices: Vec<PromiseLine>,
    pub total: Money,
    pub today: NaiveDate,
    pub latest_date: NaiveDate,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PromiseQuery {
    pub status: Option<PromiseStatus>,
    /// Back-office queues: `due_today`, `broken`, `pending`.
    pub queue: Option<String>,
    pub account_id: Option<i64>,
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromiseListing {
    pub items: Vec<PromiseView>,
}

pub const PROMISES_PAGE_SIZE: i64 = 50;

pub use crate::invoices::parse_invoice_ids;

/// Client: what promising these invoices would cover.
#[server(endpoint = "promises/quote")]
pub async fn get_promise_quote(invoices: String) -> Result<PromiseQuote, AppError> {
    use crate::error::respond;
    let (state, principal) = crate::auth::ssr_context().await?;
    let account_id = principal.require_client().map_err(respond)?;
    let ids = parse_invoice_ids(&invoices).map_err(respond)?;
    ssr::quote(&state, account_id, &ids).await.map_err(respond)
}

/// Client: promises a date (and an amount, by default the open balance).
#[server(endpoint = "promises/create")]
pub async fn create_promise(
    invoices: String,
    promised_date: String,
    #[server(default)] amount: String,
    #[server(default)] note: String,
) -> Result<String, AppError> {
    use crate::error::respond;
    let (state, principal) = crate::auth::ssr_context().await?;
    let account_id = principal.require_client().map_err(respond)?;
    let new =
        ssr::NewPromise::parse(account_id, &invoices, &promised_date, &amount, &note, "portal", principal.user_id)
            .map_err(respond)?;
    ssr::create(&state, &new).await.map_err(respond)?;
    let target = "/portal/promises".to_string();
    if crate::error::wants_html() {
        leptos_actix::redirect(&target);
    }
    Ok(target)
}

/// The caller's promises: a client its own, staff those of accounts in scope.
#[server(endpoint = "promises/list", input = server_fn::codec::Json)]
pub async fn list_promises(query: PromiseQuery) -> Result<PromiseListing, AppError> {
    let (state, principal) = crate::auth::ssr_context().await?;
    ssr::list(&state, principal.scope(), &query).await.map_err(crate::error::respond)
}

/// Withdraws a pending or active promise: the client its own, the owner
/// or the account's collector one of their accounts' (recorded by mistake,
/// or withdrawn by the client on the phone).
#[server(endpoint = "promises/cancel")]
pub async fn cancel_promise(id: i64) -> Result<String, AppError> {
    use crate::error::respond;
    let (state, principal) = crate::auth::ssr_context().await?;
    let (account_id, target) = if principal.role.is_staff() {
        let account_id = ssr::account_of(&state, principal.scope(), id).await.map_err(respond)?;
        ssr::require_collecting_staff(&state, &principal, account_id).await.map_err(respond)?;
        (account_id, format!("/back/accounts/{account_id}"))
    } else {
        (principal.require_client().map_err(respond)?, "/portal/promises".to_string())
    };
    ssr::cancel(&state, account_id, id, principal.user_id).await.map_err(respond)?;
    if crate::error::wants_html() {
        leptos_actix::redirect(&target);
    }
    Ok(target)
}

/// Owner or the account's collector: a promise made by phone.
#[server(endpoint = "promises/record")]
pub async fn record_promise(
    account_id: i64,
    invoices: String,
    promised_date: String,
    #[server(default)] amount: String,
    #[server(default)] note: String,
) -> Result<String, AppError> {
    use crate::error::respond;
    let (state, principal) = crate::auth::ssr_context().await?;
    ssr::require_collecting_staff(&state, &principal, account_id).await.map_err(respond)?;
    let new = ssr::NewPromise::parse(account_id, &invoices, &promised_date, &amount, &note, "staff", principal.user_id)
        .map_err(respond)?;
    ssr::create(&state, &new).await.map_err(respond)?;
    let target = format!("/back/accounts/{account_id}");
    if crate::error::wants_html() {
        leptos_actix::redirect(&target);
    }
    Ok(target)
}

/// Owner or the account's collector: approves or rejects a promise beyond
/// the policy's count.
#[server(endpoint = "promises/decide")]
pub async fn decide_promise(id: i64, approve: bool, #[server(default)] reason: String) -> Result<String, AppError> {
    use crate::error::respond;
    let (state, principal) = crate::auth::ssr_context().await?;
    principal.require_staff().map_err(respond)?;
    let account_id = ssr::account_of(&state, principal.scope(), id).await.map_err(respond)?;
    ssr::require_collecting_staff(&state, &principal, account_id).await.map_err(respond)?;
    ssr::decide(&state, id, approve, &reason, principal.user_id).await.map_err(respond)?;
    let target = "/back/promises?queue=pending".to_string();
    if crate::error::wants_html() {
        leptos_actix::redirect(&target);
    }
    Ok(target)
}
