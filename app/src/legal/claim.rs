//! An overdue account's claim, broken down as an *injonction de payer*
//! petition asks it: per overdue invoice the principal still owed, the
//! late-payment penalties to date and the fixed recovery indemnity, with
//! the periods and rates behind each penalty. Shown on the account's page
//! and exported as CSV (`/back/accounts/{id}/claim.csv`).
//!
//! The law applied is the account's: the United Kingdom's 1998 Act for an
//! account in GB, the French Code de commerce (L441-10: ECB rate + 10
//! points per half-year, 40 € per invoice) otherwise; a consumer owes no
//! statutory penalty nor indemnity.

use crate::answer::Done;
use crate::domain::Money;
use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Which rules computed the charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimRule {
    /// L441-10 penalties and the 40 € indemnity.
    FranceBusiness,
    /// Late Payment of Commercial Debts (Interest) Act 1998.
    UkBusiness,
    /// No statutory late charge.
    Consumer,
}

/// Days charged at one unpaid amount and one rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimPeriod {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub days: i64,
    pub unpaid: Money,
    /// The yearly rate, in percent, as printed (`12.15`).
    pub percent: String,
    pub amount: Money,
}

/// One overdue invoice of the claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimLine {
    pub invoice_id: i64,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub total: Money,
    /// What is still owed on it, late charges posted on it apart.
    pub principal: Money,
    /// Late charges already posted on it (part of its balance).
    pub charged: Money,
    pub days_late: i64,
    /// `None` when no reference rate is on file for part of the period.
    pub penalties: Option<Money>,
    pub periods: Vec<ClaimPeriod>,
    pub indemnity: Option<Money>,
}

/// An account's claim as of a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub account_id: i64,
    pub account_name: String,
    pub siren: String,
    pub as_of: NaiveDate,
    pub rule: ClaimRule,
    pub lines: Vec<ClaimLine>,
    pub principal: Money,
    pub penalties: Money,
    /// Summed in their own currency (euros in France, sterling in the UK).
    pub indemnities: Option<Money>,
}

crate::reads!(Claim);

/// The account's claim today (staff whose scope holds the account).
#[server(endpoint = "legal/claim")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn get_claim(account_id: i64) -> Result<Claim, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::claim::claim(&state, &principal, account_id).await
    })
    .await
}

/// Posts the late charges accrued on the account's overdue invoices to
/// the ledger (the owner): penalties to date less those posted before, and
/// each invoice's fixed indemnity once.
#[server(endpoint = "legal/apply_charges")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn apply_late_charges(account_id: i64) -> Result<Done<i64>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let applied = super::ssr::charges::apply_now(&state, &principal, account_id).await?;
        Ok(Done::new(applied.total_minor, format!("/back/accounts/{account_id}?charged=1")))
    })
    .await
}

/// The late charges the law adds to one overdue invoice today, shown on its
/// page to its client and to staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceCharges {
    pub as_of: NaiveDate,
    pub rule: ClaimRule,
    pub days_late: i64,
    pub penalties: Option<Money>,
    pub indemnity: Option<Money>,
    /// Already posted on the invoice (part of what it owes).
    pub charged: Money,
    /// The yearly rate of the latest period, as printed.
    pub percent: Option<String>,
}

/// An invoice's late charges (its client, or staff in scope): nothing
/// when it is not late or the account owes none (a consumer).
#[server(endpoint = "legal/invoice_charges")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoice = invoice_id)))]
pub async fn get_invoice_charges(invoice_id: i64) -> Result<Vec<InvoiceCharges>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::charges::of_invoice(&state, &principal, invoice_id).await
    })
    .await
}
