//! Promises to pay: a client (or staff, for a promise made by phone)
//! promises a date and an amount for one or several open invoices. While a
//! promise is active its invoices are *promised*: out of the overdue
//! figures and queues, and skipped by whatever sends reminders
//! (`crate::collection::PROMISED_SQL`). The settling job then marks it kept (the amount
//! was paid) or broken (not, or only partly, by its date), which returns the
//! invoices to collection and alerts the collector.

#[cfg(feature = "ssr")]
use crate::answer::serve;
use crate::answer::{Created, Done};
use crate::domain::Money;
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use rules::{Decision, NewPromise, Note, Policy, PromiseForm, PromiseQueue, PromiseSource, Promisor};

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
    pub source: PromiseSource,
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
    pub queue: Option<PromiseQueue>,
    pub account_id: Option<i64>,
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PromiseListing {
    pub items: Vec<PromiseView>,
    pub page: i64,
    pub page_count: i64,
    /// More pages than counted (see `db::CappedCount`).
    pub more: bool,
}

pub const PROMISES_PAGE_SIZE: i64 = 50;

crate::reads!(PromiseQuote, PromiseListing);

/// What a promise write answers: the promise and the status it now has.
pub type PromiseDone = Done<Created<PromiseStatus>>;

/// Client: what promising these invoices would cover.
#[server(endpoint = "promises/quote")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoices = %invoices)))]
pub async fn get_promise_quote(invoices: String) -> Result<PromiseQuote, AppError> {
    serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let ids = crate::invoices::parse_invoice_ids(&invoices)?;
        ssr::quote(&state, account_id, &ids).await
    })
    .await
}

/// Client: promises a date (and an amount, by default the open balance).
#[server(endpoint = "promises/create")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn create_promise(
    invoices: String,
    promised_date: String,
    #[server(default)] amount: String,
    #[server(default)] note: String,
) -> Result<PromiseDone, AppError> {
    serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let account = crate::collection::account((&state.db).into(), account_id).await?;
        let who = Promisor {
            account_id,
            currency: account.currency()?,
            source: PromiseSource::Portal,
            actor: principal.user_id,
        };
        let new = NewPromise::try_from((PromiseForm { invoices, promised_date, amount, note }, who))?;
        let created = ssr::create(&state, &new).await?;
        Ok(Done::new(created, "/portal/promises"))
    })
    .await
}

/// The caller's promises: a client its own, staff those of accounts in scope.
#[server(endpoint = "promises/list", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(query = ?query)))]
pub async fn list_promises(query: PromiseQuery) -> Result<PromiseListing, AppError> {
    serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::list(&state, principal.scope(), &query).await
    })
    .await
}

/// Withdraws a pending or active promise: the client its own; the owner or
/// the account's collector one of their accounts' (recorded by mistake, or
/// withdrawn by the client on the phone). Accountants only read.
#[server(endpoint = "promises/cancel")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(promise = id)))]
pub async fn cancel_promise(id: i64) -> Result<PromiseDone, AppError> {
    serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let (account_id, next) = if principal.role.is_staff() {
            let account_id = ssr::account_of(&state, principal.scope(), id).await?;
            crate::collection::require_collector((&state.db).into(), &principal, account_id).await?;
            (account_id, format!("/back/accounts/{account_id}"))
        } else {
            (principal.require_client()?, "/portal/promises".to_string())
        };
        let created = ssr::cancel(&state, account_id, id, principal.user_id).await?;
        Ok(Done::new(created, next))
    })
    .await
}

/// Owner or the account's collector: a promise made by phone.
#[server(endpoint = "promises/record")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn record_promise(
    account_id: i64,
    invoices: String,
    promised_date: String,
    #[server(default)] amount: String,
    #[server(default)] note: String,
) -> Result<PromiseDone, AppError> {
    serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account = crate::collection::require_collector((&state.db).into(), &principal, account_id).await?;
        let who = Promisor {
            account_id,
            currency: account.currency()?,
            source: PromiseSource::Staff,
            actor: principal.user_id,
        };
        let new = NewPromise::try_from((PromiseForm { invoices, promised_date, amount, note }, who))?;
        let created = ssr::create(&state, &new).await?;
        Ok(Done::new(created, format!("/back/accounts/{account_id}")))
    })
    .await
}

/// Owner or the account's collector: approves or rejects a promise beyond
/// the policy's count.
#[server(endpoint = "promises/decide")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(promise = id, approve)))]
pub async fn decide_promise(
    id: i64,
    approve: bool,
    #[server(default)] reason: String,
) -> Result<PromiseDone, AppError> {
    serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        let account_id = ssr::account_of(&state, principal.scope(), id).await?;
        crate::collection::require_collector((&state.db).into(), &principal, account_id).await?;
        let decision = Decision::parse(approve, &reason)?;
        let created = ssr::decide(&state, account_id, id, &decision, principal.user_id).await?;
        Ok(Done::new(created, "/back/promises?queue=pending"))
    })
    .await
}
