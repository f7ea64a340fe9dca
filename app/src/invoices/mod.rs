//! Invoices and balances: the read model shared by the client portal and the
//! back-office. Every query is scoped in SQL by the caller's `Scope`.

use crate::domain::{EntryKind, InvoiceState, Money};
use crate::error::AppError;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvoiceFilter {
    #[default]
    Open,
    Overdue,
    Paid,
    All,
}

impl InvoiceFilter {
    pub const ALL: [InvoiceFilter; 4] =
        [InvoiceFilter::Open, InvoiceFilter::Overdue, InvoiceFilter::Paid, InvoiceFilter::All];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceFilter::Open => "open",
            InvoiceFilter::Overdue => "overdue",
            InvoiceFilter::Paid => "paid",
            InvoiceFilter::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceSort {
    #[default]
    DueAsc,
    DueDesc,
    AmountDesc,
    Number,
}

impl InvoiceSort {
    pub const ALL: [InvoiceSort; 4] =
        [InvoiceSort::DueAsc, InvoiceSort::DueDesc, InvoiceSort::AmountDesc, InvoiceSort::Number];

    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceSort::DueAsc => "due_asc",
            InvoiceSort::DueDesc => "due_desc",
            InvoiceSort::AmountDesc => "amount_desc",
            InvoiceSort::Number => "number",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

pub const PAGE_SIZE: i64 = 25;
/// Page numbers beyond this are clamped (no overflow in OFFSET arithmetic).
pub const MAX_PAGE: i64 = 100_000;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InvoiceQuery {
    pub filter: InvoiceFilter,
    pub sort: InvoiceSort,
    pub page: i64,
    /// Back-office only: restrict to one account (still within scope).
    pub account_id: Option<i64>,
    /// Back-office only: number or account name contains.
    pub search: Option<String>,
}

impl InvoiceQuery {
    /// The URL of this query under `path`, with another filter; page 1.
    pub fn href(&self, path: &str, filter: InvoiceFilter) -> String {
        let mut url = format!("{path}?filter={}&sort={}", filter.as_str(), self.sort.as_str());
        if let Some(account) = self.account_id {
            url.push_str(&format!("&account={account}"));
        }
        if let Some(search) = self.search.as_deref() {
            url.push_str(&format!("&q={}", crate::components::urlencode(search)));
        }
        url
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub total: Money,
    pub balance: Money,
    /// Under disputes in progress (at most the balance): out of the overdue
    /// figures, shown apart.
    pub disputed: Money,
    pub state: InvoiceState,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoicePage {
    pub items: Vec<InvoiceSummary>,
    pub page: i64,
    /// Pages counted so far (at most `db::PAGES_AHEAD` after this one).
    pub page_count: i64,
    /// More pages than counted.
    pub more: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub description: String,
    pub quantity: rust_decimal::Decimal,
    pub unit_price: Money,
    pub tax_rate_percent: rust_decimal::Decimal,
    pub net: Money,
    pub tax: Money,
    /// `None` on lines written before VAT categories (standard or zero by
    /// rate).
    #[serde(default)]
    pub vat: Option<crate::domain::document::VatCategory>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LedgerLine {
    pub id: i64,
    pub kind: EntryKind,
    pub amount: Money,
    pub occurred_on: NaiveDate,
    pub reference: String,
    pub invoice_number: Option<String>,
    pub memo: String,
    /// The credit note a `credit_note` entry posted (its PDF and e-invoice).
    #[serde(default)]
    pub credit_note_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum HistoryEvent {
    Issued(NaiveDate),
    Due(NaiveDate),
    OverdueSince(NaiveDate),
    Entry(LedgerLine),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceDetail {
    pub summary: InvoiceSummary,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: Money,
    pub tax: Money,
    pub applied: Vec<LedgerLine>,
    pub history: Vec<HistoryEvent>,
    /// What an invoice written in Relance prints beyond its lines (`None`
    /// for seeded or older invoices).
    #[serde(default)]
    pub document: Option<DocumentFacts>,
    /// Its early-payment discount, while paying it in full today earns it.
    #[serde(default)]
    pub early_offer: Option<EarlyOffer>,
}

/// What paying an invoice in full costs today, with the early-payment
/// discount that earns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyOffer {
    pub pay: Money,
    pub discount: crate::payments::LineDiscount,
}

/// The legal facts of an issued invoice, as frozen when it was issued.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocumentFacts {
    pub parties: crate::invoicing::Parties,
    pub early_discount: Option<crate::domain::document::EarlyPaymentDiscount>,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountOverview {
    pub account_id: i64,
    pub legal_name: String,
    pub balance: Money,
    pub overdue: Money,
    pub disputed: Money,
    pub credit: Money,
    pub next_due: Option<NaiveDate>,
    pub open_invoices: Vec<InvoiceSummary>,
}

/// Comma-separated invoice ids, as forms and links carry them: at least
/// one, at most 200, duplicates dropped.
pub fn parse_invoice_ids(invoices: &str) -> Result<Vec<i64>, AppError> {
    let mut ids = Vec::new();
    for part in invoices.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let id: i64 = part.parse().map_err(|_| AppError::field("invoices", crate::i18n::Msg::SelectInvoices))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() || ids.len() > 200 {
        return Err(AppError::field("invoices", crate::i18n::Msg::SelectInvoices));
    }
    Ok(ids)
}

crate::reads!(InvoicePage, InvoiceDetail, AccountOverview);

/// Invoices visible to the caller, filtered, sorted and paginated.
#[server(endpoint = "invoices/list", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_invoices(query: InvoiceQuery) -> Result<InvoicePage, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::list(&state, principal.scope(), &query).await
    })
    .await
}

/// One invoice, if the caller may see its account.
#[server(endpoint = "invoices/detail")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_invoice(id: i64) -> Result<InvoiceDetail, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::detail(&state, principal.scope(), id).await
    })
    .await
}

/// The signed-in client's own account at a glance.
#[server(endpoint = "portal/overview")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_overview() -> Result<AccountOverview, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        ssr::overview(&state, principal.scope(), account_id).await
    })
    .await
}
