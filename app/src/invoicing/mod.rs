//! Invoices written in Relance: drafts with lines, issued under the next
//! number of a gap-free yearly series, posted to the ledger and frozen;
//! staff credit notes through the same path. The owner and the
//! accountant write for every account, a collector for the accounts
//! assigned to them.
//!
//! (`crate::invoices` is the read model of issued invoices.)

use crate::answer::{Created, Done};
use crate::domain::document::Totals;
use crate::domain::Money;
use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What a credit note's PDF and e-invoice print.
#[derive(Clone, Debug)]
pub struct CreditNoteDoc {
    pub id: i64,
    pub number: String,
    pub issued_on: NaiveDate,
    /// Tax included.
    pub amount: Money,
    pub account_name: String,
    pub account_address: String,
    pub invoice_number: String,
    pub invoice_issue_date: NaiveDate,
    pub invoice_total: Money,
    /// The dispute's reason, when the owner's decision on one issued it.
    pub dispute_reason: Option<crate::disputes::DisputeReason>,
    /// The decision's note, or the reason staff gave.
    pub note: String,
    /// The VAT it takes back per rate; empty when the invoice has no lines.
    pub vat: Vec<crate::domain::VatBreakdown>,
    /// The parties as the credited invoice printed them, if it has them.
    pub parties: Option<Parties>,
}

pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;

/// One line of the draft form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LineForm {
    pub description: String,
    /// Up to 3 decimals (`2,5`).
    pub quantity: String,
    /// Free: `h`, `pcs`, `day`…
    pub unit: String,
    /// Excluding tax, in major units.
    pub unit_price: String,
    /// Line discount, in percent; empty means none.
    pub discount: String,
    /// A `VatCategory` name (`standard_20`, `exempt_franchise`…).
    pub vat: String,
}

/// The draft form as typed; fields are named `form[issue_date]`,
/// `form[lines][0][description]` and so on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    /// Empty: the day it is issued.
    pub issue_date: String,
    /// Empty: from the account's payment terms.
    pub due_date: String,
    /// Early-payment discount: percent and days; both empty means none.
    pub discount_percent: String,
    pub discount_days: String,
    /// Printed on the invoice.
    pub note: String,
    pub lines: Vec<LineForm>,
}

/// The account a draft bills.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BilledAccount {
    pub id: i64,
    pub code: String,
    pub legal_name: String,
    pub currency: crate::domain::Currency,
    pub terms: crate::domain::PaymentTerms,
    pub kind: crate::domain::CustomerKind,
}

/// What the draft page shows: the form, and the totals of what was saved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftEditor {
    /// `None` for a new draft.
    pub id: Option<i64>,
    pub account: BilledAccount,
    pub form: DraftForm,
    pub totals: Option<Totals>,
    /// The due date the terms give if the draft were issued today.
    pub due_by_terms: NaiveDate,
}

/// Who sold and who bought, as printed on an issued document (stored
/// with it: a later change of address does not rewrite an invoice).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Party {
    pub name: String,
    #[serde(default)]
    pub siren: Option<String>,
    #[serde(default)]
    pub siret: Option<String>,
    #[serde(default)]
    pub vat_number: Option<String>,
    /// A free identifier line (the merchant's settings: RCS, SIRET…).
    #[serde(default)]
    pub legal_id: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Parties {
    pub seller: Party,
    pub buyer: Party,
    /// The buyer is a business (late-payment penalties and the €40
    /// indemnity are printed) or a consumer.
    pub buyer_kind: crate::domain::CustomerKind,
}

/// Whether a recurring template still issues invoices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurringStatus {
    Active,
    Stopped,
}

/// A recurring template in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecurringSummary {
    pub id: i64,
    pub frequency: rules::Frequency,
    pub next_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// Invoices issued from it so far.
    pub issued: i64,
    pub total: Money,
    pub status: RecurringStatus,
}

/// A draft in a list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftSummary {
    pub id: i64,
    pub lines: usize,
    pub total: Money,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

crate::reads!(DraftEditor);

/// A draft's state: only drafts exist here; issuing turns one into an
/// invoice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Draft,
    Issued,
}

/// The draft form: a saved draft (`id`), or a new one for `account_id`.
#[server(endpoint = "invoicing/draft")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(draft = ?id, account = ?account_id)))]
pub async fn get_draft(
    #[server(default)] id: Option<i64>,
    #[server(default)] account_id: Option<i64>,
) -> Result<DraftEditor, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::drafts::editor(&state, &principal, id, account_id).await
    })
    .await
}

/// Saves a draft (creating it when `id` is empty).
#[server(endpoint = "invoicing/save_draft")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(draft = ?id, account = account_id)))]
pub async fn save_draft(
    #[server(default)] id: Option<i64>,
    account_id: i64,
    form: DraftForm,
) -> Result<Done<Created<DocumentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let saved = ssr::drafts::save(&state, &principal, id, account_id, form).await?;
        Ok(Done::new(saved, format!("/back/drafts/{}", saved.id)))
    })
    .await
}

/// Deletes a draft (an issued invoice is never deleted).
#[server(endpoint = "invoicing/delete_draft")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(draft = id)))]
pub async fn delete_draft(id: i64) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account = ssr::drafts::delete(&state, &principal, id).await?;
        Ok(Done::new((), format!("/back/accounts/{account}")))
    })
    .await
}

/// Issues a draft: next number, posted to the ledger, frozen. Answers the
/// invoice.
#[server(endpoint = "invoicing/issue")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(draft = id)))]
pub async fn issue_draft(id: i64) -> Result<Done<Created<DocumentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let issued = ssr::issue::issue(&state, &principal, id).await?;
        Ok(Done::new(issued, format!("/back/invoices/{}", issued.id)))
    })
    .await
}

/// The drafts of an account, newest first.
#[server(endpoint = "invoicing/drafts")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn list_drafts(account_id: i64) -> Result<Vec<DraftSummary>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::drafts::list(&state, &principal, account_id).await
    })
    .await
}

/// Owner or accountant: a credit note on an issued invoice, for all it
/// still may be credited (`amount` empty) or part of it, with a reason.
#[server(endpoint = "invoicing/credit")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoice = invoice_id)))]
pub async fn credit_invoice(
    invoice_id: i64,
    #[server(default)] amount: String,
    reason: String,
) -> Result<Done<Created<DocumentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        let credited = ssr::adjust::credit(&state, &principal, invoice_id, &amount, &reason).await?;
        Ok(Done::new(credited, format!("/back/invoices/{invoice_id}")))
    })
    .await
}

/// Owner only: writes off a bad debt, all an issued invoice still owes
/// (`amount` empty) or part of it, with a reason.
#[server(endpoint = "invoicing/write_off")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoice = invoice_id)))]
pub async fn write_off(
    invoice_id: i64,
    #[server(default)] amount: String,
    reason: String,
) -> Result<Done<Created<DocumentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let done = ssr::adjust::write_off(&state, &principal, invoice_id, &amount, &reason).await?;
        Ok(Done::new(done, format!("/back/invoices/{invoice_id}")))
    })
    .await
}

/// Staff who may invoice the account: e-mails an issued invoice to its
/// billing addresses, the PDF attached, with a pay link while it owes.
#[server(endpoint = "invoicing/send")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(invoice = invoice_id)))]
pub async fn send_invoice(invoice_id: i64) -> Result<Done<Created<DocumentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let done = ssr::send::send(&state, &principal, invoice_id).await?;
        Ok(Done::new(done, format!("/back/invoices/{invoice_id}?sent=1")))
    })
    .await
}

/// A recurring invoice for the account: the draft form's lines, a
/// frequency (`monthly`, `quarterly`, `yearly`), a start (today or later)
/// and an optional end.
#[server(endpoint = "invoicing/save_recurring")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn save_recurring(
    account_id: i64,
    form: DraftForm,
    frequency: String,
    #[server(default)] start_date: String,
    #[server(default)] end_date: String,
) -> Result<Done<Created<RecurringStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let done =
            ssr::recurring::create(&state, &principal, account_id, form, &frequency, &start_date, &end_date).await?;
        // Due today: issued now rather than at the job's next pass.
        ssr::recurring::catch_up(&state, done.id).await?;
        Ok(Done::new(done, format!("/back/accounts/{account_id}")))
    })
    .await
}

/// An account's recurring invoices.
#[server(endpoint = "invoicing/recurring")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn list_recurring(account_id: i64) -> Result<Vec<RecurringSummary>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::recurring::list(&state, &principal, account_id).await
    })
    .await
}

/// Stops a recurring invoice.
#[server(endpoint = "invoicing/stop_recurring")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(recurring = id)))]
pub async fn stop_recurring(id: i64) -> Result<Done<Created<RecurringStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let (account, done) = ssr::recurring::stop(&state, &principal, id).await?;
        Ok(Done::new(done, format!("/back/accounts/{account}")))
    })
    .await
}
