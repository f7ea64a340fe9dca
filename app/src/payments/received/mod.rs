//! Money received outside the portal: a bank transfer, a cheque, cash or
//! a card-terminal payment, recorded by the bookkeeper (owner or
//! accountant) against the oldest invoices or chosen ones, the surplus
//! kept as credit; and its reversal when the bank takes it back (a bounced
//! cheque, a recalled transfer), with its reason.
//!
//! - `rules`: the form parsed once; what may be reversed (pure, tested);
//! - `ssr`: recording and reversing, under the account's lock, through the
//!   ledger's one writer, with the audit entry and the client's e-mail in
//!   the same transaction;
//! - `pages`: the form on the account page, the reversal on the payment's.
//!
//! A recorded payment is a `payments` row like an online one (source
//! `staff`, gateway `manual`), so the client sees it in their history with
//! its receipt, and every report reads one table.

pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use rules::Channel;

use super::PaymentStatus;
use crate::answer::{Created, Done};
use crate::domain::Money;
use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The record form as posted (`form[field]`; `form[parts][i][…]` for the
/// amounts typed against invoices).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReceivedForm {
    pub account_id: i64,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub received_on: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub parts: Vec<PartForm>,
    /// Given with the form: posting it twice records one payment.
    #[serde(default)]
    pub idempotency_key: String,
}

/// An amount typed against one invoice (blank: not this one).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PartForm {
    pub invoice_id: i64,
    #[serde(default)]
    pub amount: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpenLine {
    pub id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    pub balance: Money,
}

/// What the record form needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReceiveSheet {
    pub account_id: i64,
    /// Whether the caller may record (owner, accountant): collectors see
    /// the account page without the form.
    pub allowed: bool,
    /// The open invoices, oldest due first (at most `MAX_OPEN_LINES`).
    pub open: Vec<OpenLine>,
    pub more_open: bool,
    pub today: NaiveDate,
    pub idempotency_key: String,
}

/// At most this many open invoices offered for amounts on the form; the
/// rest are reached by oldest-first allocation.
pub const MAX_OPEN_LINES: usize = 100;

crate::reads!(ReceiveSheet);

/// The record form's content for an account (staff in scope; a client is
/// refused).
#[server(endpoint = "payments/receive_sheet")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn get_receive_sheet(account_id: i64) -> Result<ReceiveSheet, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::sheet(&state, &principal, account_id).await
    })
    .await
}

/// Owner or accountant: records money received outside the portal.
/// Posting the same form twice (same key) records it once.
#[server(endpoint = "payments/record")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = form.account_id)))]
pub async fn record_payment(form: ReceivedForm) -> Result<Done<Created<PaymentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let created = ssr::record(&state, &principal, form).await?;
        Ok(Done::new(created, format!("/back/payments/{}", created.id)))
    })
    .await
}

/// Owner or accountant: a recorded payment the bank took back, with the
/// reason (required). What it paid is owed again.
#[server(endpoint = "payments/reverse")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(payment = payment_id)))]
pub async fn reverse_payment(payment_id: i64, reason: String) -> Result<Done<Created<PaymentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let done = ssr::reverse(&state, &principal, payment_id, &reason).await?;
        Ok(Done::new(done, format!("/back/payments/{payment_id}")))
    })
    .await
}
