//! Legal deadlines: each invoice's prescription date (5 years for a
//! business debtor, 2 for a consumer, from the due date or the latest
//! interruption), what staff record as interrupting it (the debtor's
//! acknowledgement, a court claim), and the queue of claims within six
//! months of prescription. The rule itself is
//! `domain::late_charges::prescription_date`.

use crate::answer::Done;
use crate::domain::{CustomerKind, Money};
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod claim;
pub mod pages;
pub mod rates;
#[cfg(feature = "ssr")]
pub mod ssr;

/// How many months before prescription a claim enters the queue.
pub const WARNING_MONTHS: u32 = 6;

/// What interrupts prescription.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InterruptionKind {
    /// The debtor acknowledged the debt in writing (a signed schedule, a
    /// part payment acknowledged as such): Code civil 2240.
    Acknowledgement,
    /// A court claim, an *injonction de payer* included: Code civil 2241.
    CourtClaim,
}

impl InterruptionKind {
    pub const ALL: [InterruptionKind; 2] = [InterruptionKind::Acknowledgement, InterruptionKind::CourtClaim];

    pub fn as_str(self) -> &'static str {
        match self {
            InterruptionKind::Acknowledgement => "acknowledgement",
            InterruptionKind::CourtClaim => "court_claim",
        }
    }

    pub fn parse(s: &str) -> Option<InterruptionKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            InterruptionKind::Acknowledgement => Msg::InterruptionAcknowledgement,
            InterruptionKind::CourtClaim => Msg::InterruptionCourtClaim,
        }
    }
}

/// One recorded interruption.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterruptionView {
    pub kind: InterruptionKind,
    pub occurred_on: NaiveDate,
    pub note: String,
    pub recorded_by: String,
}

/// An invoice's prescription, for staff.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prescription {
    pub invoice_id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    pub customer: CustomerKind,
    /// The last day a court claim or an acknowledgement still stops it.
    pub date: NaiveDate,
    /// Oldest first.
    pub interruptions: Vec<InterruptionView>,
}

crate::reads!(Prescription);

/// A claim close to prescription (or past it), in the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimAtRisk {
    pub invoice_id: i64,
    pub number: String,
    pub account_id: i64,
    pub account_name: String,
    pub due_date: NaiveDate,
    pub balance: Money,
    pub prescription: NaiveDate,
    /// Negative once prescribed.
    pub days_left: i64,
}

crate::reads!(ClaimAtRisk);

/// An invoice's prescription date and what interrupted it (staff whose
/// scope holds the invoice).
#[server(endpoint = "legal/prescription")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoice = invoice_id)))]
pub async fn get_prescription(invoice_id: i64) -> Result<Prescription, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::prescription(&state, &principal, invoice_id).await
    })
    .await
}

/// Records what interrupted an invoice's prescription (staff whose scope
/// holds it): the period starts again from that day.
#[server(endpoint = "legal/interrupt")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoice = invoice_id)))]
pub async fn record_interruption(
    invoice_id: i64,
    #[server(default)] kind: String,
    #[server(default)] occurred_on: String,
    #[server(default)] note: String,
) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::interrupt(&state, &principal, invoice_id, &kind, &occurred_on, &note).await?;
        Ok(Done::new((), format!("/back/invoices/{invoice_id}")))
    })
    .await
}

/// Open claims within `WARNING_MONTHS` of prescription, or past it, the
/// nearest first (staff, within their scope).
#[server(endpoint = "legal/at_risk")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_claims_at_risk() -> Result<Vec<ClaimAtRisk>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::at_risk(&state, &principal).await
    })
    .await
}
