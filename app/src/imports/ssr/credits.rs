//! Credit notes read from e-invoice files (type 381), planned: each goes on
//! the invoice it corrects (BT-25), which must be its buyer's — already in
//! the books or new in the same import — for at most what that invoice may
//! still be credited. Re-importing one changes nothing.

use super::plan::{einvoice_account, in_chunks, Index, NewInvoice};
use crate::domain::document::{VatBreakdown, VatCategory};
use crate::domain::Currency;
use crate::einvoice::parse_amount;
use crate::error::AppResult;
use crate::i18n::Msg;
use crate::imports::einvoices::{CREDITS, FILE, VAT_AMOUNT};
use crate::imports::rules::Cells;
use crate::imports::{ProposedAccount, RowProblem};
use crate::state::AppState;
use chrono::NaiveDate;
use std::collections::HashMap;

pub(crate) struct NewCredit {
    pub row: usize,
    pub account_id: i64,
    pub currency: Currency,
    pub number: String,
    pub issue_date: NaiveDate,
    /// The invoice it corrects.
    pub invoice_number: String,
    /// Tax included, minor units.
    pub total: i64,
    pub reason: String,
    pub vat: Vec<VatBreakdown>,
}

/// Cells as `einvoices::to_csv` wrote them (column order fixed).
struct Raw<'a>(&'a Cells<'a>);

impl Raw<'_> {
    fn at(&self, i: usize) -> &str {
        self.0.cells.get(i).map(|s| s.trim()).unwrap_or("")
    }
}

/// One credit-note row as a document's facts and one of its VAT groups.
fn parse(c: &Cells, currency: Currency) -> Option<(String, NaiveDate, i64, String, String, VatBreakdown)> {
    let raw = Raw(c);
    let issue_date = NaiveDate::parse_from_str(raw.at(2), "%Y-%m-%d").ok()?;
    let total = parse_amount(raw.at(4), currency)?;
    let category = VatCategory::parse(raw.at(8))?;
    let base_minor = parse_amount(raw.at(7), currency)?;
    let tax_minor = parse_amount(raw.at(VAT_AMOUNT), currency)?;
    let group = VatBreakdown { category, rate_bp: category.rate_bp(), base_minor, tax_minor };
    Some((raw.at(0).to_string(), issue_date, total, raw.at(5).to_string(), raw.at(CREDITS).to_string(), group))
}

#[derive(sqlx::FromRow)]
struct ExistingCredit {
    number: String,
    account_id: i64,
    invoice_number: String,
    amount_minor: i64,
}

#[derive(sqlx::FromRow)]
struct Credited {
    number: String,
    account_id: i64,
    status: String,
    total_minor: i64,
    credited_minor: i64,
}

/// The credit notes to record, and how many are already recorded as the
/// file states them.
pub(super) async fn plan(
    state: &AppState,
    index: &Index,
    rows: &[Cells<'_>],
    new_invoices: &[NewInvoice],
    problems: &mut Vec<RowProblem>,
    proposals: &mut Vec<ProposedAccount>,
) -> AppResult<(Vec<NewCredit>, usize)> {
    let mut notes: Vec<NewCredit> = Vec::new();
    let mut by_number: HashMap<String, usize> = HashMap::new();
    for c in rows {
        let Some(account) = einvoice_account(index, c, problems, proposals) else { continue };
        let known = &index.accounts[account];
        let Some((number, issue_date, total, reason, invoice_number, group)) = parse(c, known.currency) else {
            let detail = format!("{}: credit note row", Raw(c).at(FILE));
            problems.push(RowProblem { row: c.row, field: "file".into(), msg: Msg::EInvoiceRefused, detail });
            continue;
        };
        match by_number.get(&number) {
            Some(&n) => notes[n].vat.push(group),
            None => {
                by_number.insert(number.clone(), notes.len());
                notes.push(NewCredit {
                    row: c.row,
                    account_id: known.id,
                    currency: known.currency,
                    number,
                    issue_date,
                    invoice_number,
                    total,
                    reason,
                    vat: vec![group],
                });
            }
        }
    }
    let numbers: Vec<String> = notes.iter().map(|n| n.number.clone()).collect();
    let existing: Vec<ExistingCredit> = in_chunks(
        state,
        "SELECT c.number, c.account_id, i.number AS invoice_number, c.amount_minor
         FROM credit_notes c JOIN invoices i ON i.id = c.invoice_id WHERE c.number IN ({})",
        &numbers,
    )
    .await?;
    let existing: HashMap<String, ExistingCredit> = existing.into_iter().map(|e| (e.number.clone(), e)).collect();
    let mut invoice_numbers: Vec<String> = notes.iter().map(|n| n.invoice_number.clone()).collect();
    invoice_numbers.sort();
    invoice_numbers.dedup();
    let invoices: Vec<Credited> = in_chunks(
        state,
        "SELECT i.number, i.account_id, i.status, i.total_minor,
                CAST(COALESCE((SELECT SUM(c.amount_minor) FROM credit_notes c WHERE c.invoice_id = i.id), 0) AS BIGINT)
                    AS credited_minor
         FROM invoices i WHERE i.number IN ({})",
        &invoice_numbers,
    )
    .await?;
    let invoices: HashMap<String, Credited> = invoices.into_iter().map(|i| (i.number.clone(), i)).collect();
    // What this import already credits on each invoice.
    let mut planned: HashMap<String, i64> = HashMap::new();
    let (mut out, mut unchanged) = (Vec::new(), 0);
    for note in notes {
        let problem =
            |field: &str, msg| RowProblem { row: note.row, field: field.to_string(), msg, detail: note.number.clone() };
        if let Some(e) = existing.get(&note.number) {
            if e.account_id == note.account_id
                && e.invoice_number == note.invoice_number
                && e.amount_minor == note.total
            {
                unchanged += 1;
            } else {
                problems.push(problem("number", Msg::CreditNoteDiffers));
            }
            continue;
        }
        if crate::invoicing::rules::is_own_number(&note.number) {
            problems.push(problem("number", Msg::NumberInOwnSeries));
            continue;
        }
        let creditable = match invoices.get(&note.invoice_number) {
            Some(i) if i.account_id == note.account_id && i.status == "issued" => i.total_minor - i.credited_minor,
            Some(_) => -1,
            None => new_invoices
                .iter()
                .find(|i| i.number == note.invoice_number && i.account_id == note.account_id)
                .map_or(-1, |i| i.total),
        };
        if creditable < 0 {
            problems.push(RowProblem {
                detail: format!("{} → {}", note.number, note.invoice_number),
                ..problem("credits", Msg::CreditedInvoiceUnknown)
            });
            continue;
        }
        let already = planned.entry(note.invoice_number.clone()).or_insert(0);
        if note.total > creditable - *already {
            problems.push(problem("total", Msg::CreditTooLarge));
            continue;
        }
        *already += note.total;
        out.push(note);
    }
    // Checked once more under the accounts' locks when written.
    Ok((out, unchanged))
}
