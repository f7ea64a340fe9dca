//! The account statement (*relevé de compte*) for a period: the balance
//! brought forward, every invoice, payment, credit note, fee, write-off
//! and refund dated in the period with the running balance, the closing
//! balance and what it holds by age at the period's end. As PDF or CSV,
//! for the client (its own account, `/portal/statement.{pdf,csv}`) and for
//! staff within their scope (`/back/accounts/{id}/statement.{pdf,csv}`).
//!
//! Credit applied to an invoice moves money within the account (its two
//! entries add up to nothing): the statement leaves it out, the balances
//! are the same.

use crate::aging::Bucket;
use crate::domain::{Currency, Money};
use crate::i18n::{t, Msg};
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

/// One line: an entry of the period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    pub date: NaiveDate,
    /// `crate::domain::ledger::EntryKind`'s name.
    pub kind: String,
    /// The invoice's or credit note's number, or the payment's reference.
    pub document: String,
    /// What it adds to what the client owes (an invoice, a fee, a refund).
    pub debit: Option<Money>,
    /// What it takes off (a payment, a credit note, a write-off).
    pub credit: Option<Money>,
    /// The balance after it.
    pub balance: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub account_id: i64,
    pub account_code: String,
    pub account_name: String,
    pub address: String,
    pub currency: Currency,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The balance at the end of the day before `from`.
    pub opening: Money,
    pub lines: Vec<StatementLine>,
    /// The balance at the end of `to`.
    pub closing: Money,
    /// What the open invoices owed at the end of `to`, by bucket
    /// (`Bucket::ALL`'s order); credit not applied is `closing` less their sum.
    pub aging: Vec<Money>,
}

impl Statement {
    /// Credit the client had at the end of the period, not yet applied.
    pub fn unapplied(&self) -> Money {
        let owed: i64 = self.aging.iter().map(|m| m.minor).sum();
        Money::new(self.closing.minor - owed, self.currency)
    }
}

/// The form that downloads a statement: a period, then PDF or CSV. `base`
/// is the statement's path without its extension.
#[component]
pub fn StatementForm(base: String) -> impl IntoView {
    let pdf = format!("{base}.pdf");
    let csv = format!("{base}.csv");
    view! {
        <section data-testid="statement">
            <h2>{t(Msg::StatementTitle)}</h2>
            <p class="muted small">{t(Msg::StatementHint)}</p>
            <form method="get" action=pdf class="controls" data-testid="statement-form">
                <label>{t(Msg::PeriodFrom)}
                    <input type="date" name="from" data-testid="statement-from"/>
                </label>
                <label>{t(Msg::PeriodTo)}
                    <input type="date" name="to" data-testid="statement-to"/>
                </label>
                <button type="submit" data-testid="statement-pdf">"PDF"</button>
                <button type="submit" formaction=csv data-testid="statement-csv">"CSV"</button>
            </form>
        </section>
    }
}

/// The bucket headings of a statement's aging.
pub fn aging_headings() -> [Msg; 6] {
    Bucket::ALL.map(|b| b.msg())
}
