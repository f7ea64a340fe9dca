//! The bookkeeper's files for a period: the ledger's entries, the invoices
//! issued, the payments received and the credit notes. Each is one query,
//! streamed (`super::stream`); amounts are in their own currency, with the
//! currency in a column of its own.

use super::stream::{money, rows, Cell, FileStream, Format, Sheet};
use super::{Book, Period};
use crate::auth::ssr::Principal;
use crate::db::{Arg, Args};
use crate::domain::{Locale, Money};
use crate::error::AppResult;
use crate::i18n::Msg;
use crate::state::AppState;
use chrono::NaiveDate;

fn period_args(period: Period) -> Args {
    let mut args = Args::default();
    args.push(Arg::Date(period.from));
    args.push(Arg::Date(period.to));
    args
}

fn headings(locale: Locale, msgs: &[Msg]) -> Vec<String> {
    msgs.iter().map(|m| m.text(locale).to_string()).collect()
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    occurred_on: NaiveDate,
    code: String,
    legal_name: String,
    number: Option<String>,
    kind: String,
    amount_minor: i64,
    currency: String,
    reference: String,
    memo: String,
}

#[derive(sqlx::FromRow)]
struct InvoiceRow {
    number: String,
    code: String,
    legal_name: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    currency: String,
    subtotal_minor: i64,
    tax_minor: i64,
    total_minor: i64,
    balance_minor: i64,
}

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: i64,
    received_on: NaiveDate,
    code: String,
    legal_name: String,
    source: String,
    channel: Option<String>,
    method_label: String,
    reference: String,
    amount_minor: i64,
    currency: String,
    status: String,
}

#[derive(sqlx::FromRow)]
struct CreditNoteRow {
    number: String,
    issued_on: NaiveDate,
    code: String,
    legal_name: String,
    invoice_number: String,
    base_minor: Option<i64>,
    tax_minor: Option<i64>,
    amount_minor: i64,
    currency: String,
}

/// Debit and credit cells of a signed amount (what the client owes more,
/// what it owes less).
fn debit_credit(m: Money) -> [Cell; 2] {
    if m.minor >= 0 {
        [Cell::Money(m), Cell::Empty]
    } else {
        [Cell::Empty, Cell::Money(Money::new(-m.minor, m.currency))]
    }
}

/// One of the period's files (the owner and the accountant only).
pub fn export(
    state: &AppState,
    principal: &Principal,
    book: Book,
    period: Period,
    format: Format,
    locale: Locale,
) -> AppResult<FileStream> {
    principal.require_bookkeeper()?;
    let db = state.db.clone();
    let args = period_args(period);
    let sheet = |msgs: &[Msg]| Sheet {
        name: book.msg().text(locale).to_string(),
        headings: headings(locale, msgs),
        format,
        locale,
    };
    Ok(match book {
        Book::Ledger => rows(
            db,
            "SELECT e.id, e.occurred_on, a.code, a.legal_name, i.number, e.kind, e.amount_minor, e.currency,
                    e.reference, e.memo
             FROM ledger_entries e JOIN accounts a ON a.id = e.account_id LEFT JOIN invoices i ON i.id = e.invoice_id
             WHERE e.occurred_on >= $1 AND e.occurred_on <= $2 ORDER BY e.occurred_on, e.id"
                .into(),
            args,
            sheet(&[
                Msg::EntryNumber,
                Msg::Date,
                Msg::Code,
                Msg::Account,
                Msg::Invoice,
                Msg::EntryKind,
                Msg::Debit,
                Msg::Credit,
                Msg::Currency,
                Msg::Reference,
                Msg::Note,
            ]),
            move |r: EntryRow| {
                let [debit, credit] = debit_credit(money(r.amount_minor, &r.currency)?);
                Ok(vec![
                    Cell::Int(r.id),
                    Cell::Date(r.occurred_on),
                    Cell::Text(r.code),
                    Cell::Text(r.legal_name),
                    Cell::opt_text(r.number),
                    Cell::Text(crate::components::kind_text(&r.kind, locale)),
                    debit,
                    credit,
                    Cell::Text(r.currency),
                    Cell::Text(r.reference),
                    Cell::Text(r.memo),
                ])
            },
        ),
        Book::Invoices => rows(
            db,
            "SELECT i.number, a.code, a.legal_name, i.issue_date, i.due_date, i.currency, i.subtotal_minor,
                    i.tax_minor, i.total_minor, i.balance_minor
             FROM invoices i JOIN accounts a ON a.id = i.account_id
             WHERE i.status = 'issued' AND i.issue_date >= $1 AND i.issue_date <= $2 ORDER BY i.issue_date, i.number"
                .into(),
            args,
            sheet(&[
                Msg::Invoice,
                Msg::Code,
                Msg::Account,
                Msg::IssueDate,
                Msg::DueDate,
                Msg::Currency,
                Msg::Subtotal,
                Msg::TaxTotal,
                Msg::Total,
                Msg::AmountDue,
            ]),
            |r: InvoiceRow| {
                Ok(vec![
                    Cell::Text(r.number),
                    Cell::Text(r.code),
                    Cell::Text(r.legal_name),
                    Cell::Date(r.issue_date),
                    Cell::Date(r.due_date),
                    Cell::Text(r.currency.clone()),
                    Cell::Money(money(r.subtotal_minor, &r.currency)?),
                    Cell::Money(money(r.tax_minor, &r.currency)?),
                    Cell::Money(money(r.total_minor, &r.currency)?),
                    Cell::Money(money(r.balance_minor, &r.currency)?),
                ])
            },
        ),
        // A payment is received on the day the ledger records it.
        Book::Payments => rows(
            db,
            "SELECT p.id, MIN(e.occurred_on) AS received_on, a.code, a.legal_name, p.source, p.channel,
                    p.method_label, p.reference, p.amount_minor, p.currency, p.status
             FROM payments p JOIN accounts a ON a.id = p.account_id
             JOIN ledger_entries e ON e.payment_id = p.id AND e.kind = 'payment'
             WHERE e.occurred_on >= $1 AND e.occurred_on <= $2
             GROUP BY p.id, a.code, a.legal_name, p.source, p.channel, p.method_label, p.reference, p.amount_minor,
                      p.currency, p.status
             ORDER BY received_on, p.id"
                .into(),
            args,
            sheet(&[
                Msg::PaymentNumber,
                Msg::Date,
                Msg::Code,
                Msg::Account,
                Msg::PaymentMethod,
                Msg::Reference,
                Msg::Amount,
                Msg::Currency,
                Msg::Status,
            ]),
            move |r: PaymentRow| {
                let how = match (r.channel.as_deref(), r.method_label.is_empty()) {
                    (Some(channel), _) => channel.to_string(),
                    (None, false) => r.method_label,
                    (None, true) => r.source,
                };
                let status = if r.status == "reversed" { Msg::PaymentReversed } else { Msg::PaymentSucceeded };
                Ok(vec![
                    Cell::Int(r.id),
                    Cell::Date(r.received_on),
                    Cell::Text(r.code),
                    Cell::Text(r.legal_name),
                    Cell::Text(how),
                    Cell::Text(r.reference),
                    Cell::Money(money(r.amount_minor, &r.currency)?),
                    Cell::Text(r.currency),
                    Cell::Text(status.text(locale).into()),
                ])
            },
        ),
        Book::CreditNotes => rows(
            db,
            "SELECT cn.number, cn.issued_on, a.code, a.legal_name, i.number AS invoice_number,
                    v.base_minor, v.tax_minor, cn.amount_minor, cn.currency
             FROM credit_notes cn JOIN accounts a ON a.id = cn.account_id JOIN invoices i ON i.id = cn.invoice_id
             LEFT JOIN (SELECT credit_note_id, CAST(SUM(base_minor) AS BIGINT) AS base_minor,
                               CAST(SUM(tax_minor) AS BIGINT) AS tax_minor
                        FROM credit_note_vat GROUP BY credit_note_id) v ON v.credit_note_id = cn.id
             WHERE cn.issued_on >= $1 AND cn.issued_on <= $2 ORDER BY cn.issued_on, cn.number"
                .into(),
            args,
            sheet(&[
                Msg::CreditNote,
                Msg::Date,
                Msg::Code,
                Msg::Account,
                Msg::Invoice,
                Msg::Subtotal,
                Msg::TaxTotal,
                Msg::Total,
                Msg::Currency,
            ]),
            |r: CreditNoteRow| {
                let amount = |m: Option<i64>| -> AppResult<Cell> {
                    Ok(match m {
                        Some(m) => Cell::Money(money(m, &r.currency)?),
                        None => Cell::Empty,
                    })
                };
                Ok(vec![
                    Cell::Text(r.number.clone()),
                    Cell::Date(r.issued_on),
                    Cell::Text(r.code.clone()),
                    Cell::Text(r.legal_name.clone()),
                    Cell::Text(r.invoice_number.clone()),
                    amount(r.base_minor)?,
                    amount(r.tax_minor)?,
                    Cell::Money(money(r.amount_minor, &r.currency)?),
                    Cell::Text(r.currency.clone()),
                ])
            },
        ),
    })
}
