//! Exports for the bookkeeper: `/back/exports` offers, for a period, the
//! ledger's entries, the invoices issued, the payments received and the
//! credit notes, as CSV or XLSX, and the French *fichier des écritures
//! comptables* (FEC). The lists' own exports (invoices, aging) carry the
//! filters of the screen they come from. Every file is streamed
//! (`stream`): a million rows never sit in memory.

use crate::components::Page;
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, Msg};
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[cfg(feature = "ssr")]
pub mod books;
#[cfg(feature = "ssr")]
pub mod fec;
#[cfg(feature = "ssr")]
pub mod stream;

/// Who keeps the books: the owner and the accountant.
pub const BOOKKEEPERS: &[Role] = &[Role::Owner, Role::Accountant];

/// The days a file covers, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// From a query (`from`, `to`, `YYYY-MM-DD`); by default from the first
    /// of January to today.
    pub fn from_query(get: impl Fn(&str) -> Option<String>, today: NaiveDate) -> Result<Period, AppError> {
        let day = |field: &'static str| -> Result<Option<NaiveDate>, AppError> {
            match get(field).filter(|s| !s.trim().is_empty()) {
                None => Ok(None),
                Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::field(field, Msg::InvalidDate)),
            }
        };
        let from = day("from")?.unwrap_or_else(|| NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
        let to = day("to")?.unwrap_or(today);
        if to < from {
            return Err(AppError::field("to", Msg::PeriodEndsBeforeStart));
        }
        Ok(Period { from, to })
    }

    pub fn query(&self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }
}

/// The files of `/back/exports/{file}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Book {
    Ledger,
    Invoices,
    Payments,
    CreditNotes,
}

impl Book {
    pub const ALL: [Book; 4] = [Book::Ledger, Book::Invoices, Book::Payments, Book::CreditNotes];

    pub fn as_str(self) -> &'static str {
        match self {
            Book::Ledger => "ledger",
            Book::Invoices => "invoices",
            Book::Payments => "payments",
            Book::CreditNotes => "credit-notes",
        }
    }

    pub fn parse(s: &str) -> Option<Book> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            Book::Ledger => Msg::ExportLedger,
            Book::Invoices => Msg::ExportInvoicesIssued,
            Book::Payments => Msg::ExportPaymentsReceived,
            Book::CreditNotes => Msg::ExportCreditNotes,
        }
    }

    /// The file's name, before its extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            Book::Ledger => "ecritures",
            Book::Invoices => "factures",
            Book::Payments => "paiements",
            Book::CreditNotes => "avoirs",
        }
    }
}

/// `/back/exports`: the period, then a link per file.
#[component]
pub fn ExportsPage() -> impl IntoView {
    view! {
        <Page roles=BOOKKEEPERS title=Msg::ExportsTitle>
            <ExportsBody/>
        </Page>
    }
}

#[component]
fn ExportsBody() -> impl IntoView {
    let query = use_query_map();
    // The period as typed (the server fills in the defaults and checks it).
    let from = move || query.read().get("from").unwrap_or_default();
    let to = move || query.read().get("to").unwrap_or_default();
    let link = move |file: String| format!("/back/exports/{file}?from={}&to={}", from(), to());
    view! {
        <h1>{t(Msg::ExportsTitle)}</h1>
        <p class="muted">{t(Msg::ExportsIntro)}</p>
        <form method="get" action="/back/exports" class="controls" data-testid="export-period">
            <label>{t(Msg::PeriodFrom)}
                <input type="date" name="from" value=from data-testid="export-from"/>
            </label>
            <label>{t(Msg::PeriodTo)}
                <input type="date" name="to" value=to data-testid="export-to"/>
            </label>
            <button type="submit">{t(Msg::Apply)}</button>
        </form>
        <table class="data" data-testid="export-files">
            <thead><tr>
                <th scope="col">{t(Msg::ExportFile)}</th>
                <th scope="col">{t(Msg::ExportFormats)}</th>
            </tr></thead>
            <tbody>
                {Book::ALL.into_iter().map(|b| view! {
                    <tr data-testid="export-file" data-file=b.as_str()>
                        <th scope="row">{t(b.msg())}</th>
                        <td data-label=t(Msg::ExportFormats)>
                            <a href=move || link(format!("{}.csv", b.as_str())) rel="external" download>"CSV"</a>
                            " · "
                            <a href=move || link(format!("{}.xlsx", b.as_str())) rel="external" download>"Excel"</a>
                        </td>
                    </tr>
                }).collect_view()}
                <tr data-testid="export-file" data-file="fec">
                    <th scope="row">{t(Msg::ExportFec)} <br/><span class="muted small">{t(Msg::ExportFecHint)}</span></th>
                    <td data-label=t(Msg::ExportFormats)>
                        <a href=move || link("fec.txt".into()) rel="external" download>"FEC"</a>
                    </td>
                </tr>
                <tr>
                    <th scope="row">{t(Msg::AgingTitle)}</th>
                    <td data-label=t(Msg::ExportFormats)><a href="/back/aging">{t(Msg::AgingTitle)}</a></td>
                </tr>
            </tbody>
        </table>
    }
}
