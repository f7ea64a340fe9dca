//! Debtor accounts entered by staff: create, edit, archive. The owner and
//! the accountant (the bookkeeper) write them; collectors read theirs on
//! the account page. The form is parsed once (`rules`), duplicates are
//! refused by the database's unique keys (`ssr`).

use crate::answer::{Created, Done};
use crate::backoffice::StaffRef;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod pages;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;

/// Whether an account is in use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// Out of the lists, the invitation form and new invoices; its history
    /// stays. Only an account that owes nothing and holds no credit.
    Archived,
}

/// The account form as typed (every field a string); fields are named
/// `form[legal_name]` and so on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountForm {
    pub code: String,
    pub legal_name: String,
    /// `business` or `consumer`.
    pub kind: String,
    pub siren: String,
    pub siret: String,
    pub vat_number: String,
    /// One or more addresses, separated by commas; the first receives.
    pub billing_emails: String,
    pub phone: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166 alpha-2; empty means France.
    pub country: String,
    pub language: String,
    pub currency: String,
    pub segment: String,
    pub terms_days: String,
    /// `net` (days after the invoice) or `end_of_month`.
    pub terms_basis: String,
    /// In major units (`5 000,00`); empty means none.
    pub credit_limit: String,
    /// A collector's user id; empty means unassigned.
    pub collector_id: String,
    pub external_id: String,
    pub notes: String,
}

/// What the account page shows beyond its figures: who the debtor is in
/// law, where it is, and its terms.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountIdentity {
    pub kind: crate::domain::CustomerKind,
    pub siren: Option<String>,
    pub siret: Option<String>,
    pub vat_number: Option<String>,
    /// Copied on invoices and reminders.
    pub billing_cc: String,
    pub postal_code: String,
    pub city: String,
    pub country: String,
    pub terms_end_of_month: bool,
    pub external_id: Option<String>,
    pub notes: String,
    pub archived: bool,
}

/// What the account form starts from: the account's values, or the
/// merchant's defaults for a new one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountEditor {
    /// `None` for a new account.
    pub id: Option<i64>,
    pub form: AccountForm,
    pub status: AccountStatus,
    /// Once an invoice exists, the currency cannot change.
    pub currency_locked: bool,
    /// Active collectors to choose from.
    pub collectors: Vec<StaffRef>,
}

crate::reads!(AccountEditor);

/// Owner or accountant: the form of an account (`id`), or of a new one.
#[server(endpoint = "accounts/editor")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = ?id)))]
pub async fn get_account_form(id: Option<i64>) -> Result<AccountEditor, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        ssr::editor(&state, id).await
    })
    .await
}

/// Owner or accountant: creates an account (`id` empty) or saves it.
#[server(endpoint = "accounts/save")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = ?id)))]
pub async fn save_account(
    #[server(default)] id: Option<i64>,
    form: AccountForm,
) -> Result<Done<Created<AccountStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        let data = rules::AccountData::try_from(form)?;
        let saved = match id {
            None => ssr::create(&state, &principal, &data).await?,
            Some(id) => ssr::update(&state, &principal, id, &data).await?,
        };
        Ok(Done::new(saved, format!("/back/accounts/{}", saved.id)))
    })
    .await
}

/// Owner or accountant: archives an account that owes nothing (or brings
/// an archived one back).
#[server(endpoint = "accounts/archive")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = id, archive)))]
pub async fn archive_account(id: i64, archive: bool) -> Result<Done<Created<AccountStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        let status = if archive { AccountStatus::Archived } else { AccountStatus::Active };
        let done = ssr::set_status(&state, &principal, id, status).await?;
        Ok(Done::new(done, format!("/back/accounts/{id}")))
    })
    .await
}
