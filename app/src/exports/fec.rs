//! The *fichier des écritures comptables* (FEC, article A47 A-1 of the
//! Livre des procédures fiscales) for the receivables of a period: the 18
//! columns, tab-separated, ISO 8859-15, dates as `AAAAMMJJ`, amounts with a
//! decimal comma in separate debit and credit columns.
//!
//! Relance keeps one side of the books, the customers' (411); each posting
//! of the ledger becomes one balanced entry: its lines on 411, with the
//! customer's code as auxiliary account, and the other side by what was
//! posted. The accounts are those of the French chart (plan comptable
//! général) a small business uses by default:
//!
//! | posted | other side |
//! |---|---|
//! | invoice | 706000 sales (net) and 445710 VAT collected |
//! | credit note | 709000 rebates granted (net) and 445710 VAT |
//! | payment, refund reversal | 512000 bank |
//! | refund, payment reversal | 512000 bank |
//! | fee (late-payment penalties, recovery indemnity) | 763800 |
//! | write-off | 654000 irrecoverable debts |
//! | credit applied | none: both lines on 411 |
//!
//! Journals: VE (sales: invoices, credit notes, fees), BQ (bank: payments
//! and refunds), OD (write-offs, credit applied). Only entries in euros are
//! written: the FEC is kept in the books' currency, and an amount in
//! another currency needs its conversion rate, which Relance does not
//! record.

use super::stream::{lines, Cell, FileStream, Format, Sheet};
use super::Period;
use crate::auth::ssr::Principal;
use crate::db::{Arg, Args};
use crate::domain::{Currency, Locale, Money};
use crate::error::AppResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

pub const HEADINGS: [&str; 18] = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
];

const CUSTOMERS: (&str, &str) = ("411000", "Clients");
const SALES: (&str, &str) = ("706000", "Prestations de services");
const REBATES: (&str, &str) = ("709000", "Rabais, remises et ristournes accordés");
const VAT: (&str, &str) = ("445710", "TVA collectée");
const BANK: (&str, &str) = ("512000", "Banque");
const PENALTIES: (&str, &str) = ("763800", "Pénalités de retard et indemnités");
const LOSSES: (&str, &str) = ("654000", "Pertes sur créances irrécouvrables");

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    posting_id: Option<i64>,
    kind: String,
    amount_minor: i64,
    occurred_on: NaiveDate,
    created_at: DateTime<Utc>,
    reference: String,
    code: String,
    legal_name: String,
    invoice_number: Option<String>,
    subtotal_minor: Option<i64>,
    invoice_tax_minor: Option<i64>,
    credit_note_number: Option<String>,
    credit_note_minor: Option<i64>,
    credit_note_tax_minor: Option<i64>,
}

/// The file's name: the SIREN, `FEC`, the period's last day.
pub fn file_name(siren: &str, period: Period) -> String {
    format!("{}FEC{}.txt", siren.trim(), period.to.format("%Y%m%d"))
}

/// The period's FEC (the owner and the accountant only).
pub fn export(state: &AppState, principal: &Principal, period: Period) -> AppResult<FileStream> {
    principal.require_bookkeeper()?;
    let mut args = Args::default();
    args.push(Arg::Date(period.from));
    args.push(Arg::Date(period.to));
    let sql = "SELECT e.id, e.posting_id, e.kind, e.amount_minor, e.occurred_on, e.created_at, e.reference,
                      a.code, a.legal_name, i.number AS invoice_number, i.subtotal_minor,
                      i.tax_minor AS invoice_tax_minor, cn.number AS credit_note_number,
                      cn.amount_minor AS credit_note_minor, v.tax_minor AS credit_note_tax_minor
               FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
               LEFT JOIN invoices i ON i.id = e.invoice_id
               LEFT JOIN credit_notes cn ON cn.id = e.credit_note_id
               LEFT JOIN (SELECT credit_note_id, CAST(SUM(tax_minor) AS BIGINT) AS tax_minor
                          FROM credit_note_vat GROUP BY credit_note_id) v ON v.credit_note_id = cn.id
               WHERE e.occurred_on >= $1 AND e.occurred_on <= $2 AND e.currency = 'EUR'
               ORDER BY e.occurred_on, e.posting_id, e.id"
        .to_string();
    let sheet = Sheet {
        name: "FEC".into(),
        headings: HEADINGS.iter().map(|h| h.to_string()).collect(),
        format: Format::Fec,
        locale: Locale::Fr,
    };
    let mut writer = Writer::default();
    Ok(lines(state.db.clone(), sql, args, sheet, move |row: Option<Row>| Ok(writer.push(row))))
}

/// Gathers a posting's entries and writes them as one entry of the FEC.
#[derive(Default)]
struct Writer {
    /// The entries read of the posting in hand.
    pending: Vec<Row>,
    /// The last number given in each journal.
    numbers: HashMap<&'static str, u64>,
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::Eur)
}

impl Writer {
    fn push(&mut self, row: Option<Row>) -> Vec<Vec<Cell>> {
        let same = |a: &Row, b: &Row| a.posting_id.is_some() && a.posting_id == b.posting_id;
        let mut out = Vec::new();
        match row {
            Some(row) => {
                if self.pending.first().is_some_and(|first| !same(first, &row)) {
                    out = self.flush();
                }
                self.pending.push(row);
            }
            None => out = self.flush(),
        }
        out
    }

    fn flush(&mut self) -> Vec<Vec<Cell>> {
        let entries = std::mem::take(&mut self.pending);
        let Some(first) = entries.first() else { return Vec::new() };
        let main = entries.iter().map(|e| e.kind.as_str()).find(|k| *k != "credit_applied").unwrap_or("credit_applied");
        let (journal, journal_name) = match main {
            "invoice" | "credit_note" | "fee" => ("VE", "Ventes"),
            "payment" | "payment_reversal" | "refund" | "refund_reversal" => ("BQ", "Banque"),
            _ => ("OD", "Opérations diverses"),
        };
        let number = self.numbers.entry(journal).or_default();
        *number += 1;
        let number = format!("{journal}{number:06}");
        let date = first.occurred_on;
        let valid = entries.iter().map(|e| e.created_at).max().unwrap_or(first.created_at).date_naive();
        let piece = first
            .credit_note_number
            .clone()
            .filter(|_| main == "credit_note")
            .or_else(|| first.invoice_number.clone().filter(|_| main == "invoice"))
            .or_else(|| (!first.reference.is_empty()).then(|| first.reference.clone()))
            .unwrap_or_else(|| format!("L{}", first.posting_id.unwrap_or(first.id)));
        let label = format!("{} {}", kind_label(main), first.legal_name);
        let line = |account: (&str, &str), aux: Option<(&str, &str)>, debit: i64, credit: i64| {
            vec![
                Cell::Text(journal.into()),
                Cell::Text(journal_name.into()),
                Cell::Text(number.clone()),
                Cell::Date(date),
                Cell::Text(account.0.into()),
                Cell::Text(account.1.into()),
                Cell::Text(aux.map(|a| a.0.to_string()).unwrap_or_default()),
                Cell::Text(aux.map(|a| a.1.to_string()).unwrap_or_default()),
                Cell::Text(piece.clone()),
                Cell::Date(date),
                Cell::Text(label.clone()),
                Cell::Money(eur(debit)),
                Cell::Money(eur(credit)),
                Cell::Empty,
                Cell::Empty,
                Cell::Date(valid),
                Cell::Empty,
                Cell::Empty,
            ]
        };
        let mut out = Vec::new();
        // The customer's side: one line per entry.
        for e in &entries {
            let aux = Some((e.code.as_str(), e.legal_name.as_str()));
            let (debit, credit) = if e.amount_minor >= 0 { (e.amount_minor, 0) } else { (0, -e.amount_minor) };
            out.push(line(CUSTOMERS, aux, debit, credit));
        }
        // The other side, by what was posted.
        let mut kinds: Vec<&str> = Vec::new();
        for e in &entries {
            if !kinds.contains(&e.kind.as_str()) {
                kinds.push(&e.kind);
            }
        }
        for kind in kinds {
            let total: i64 = entries.iter().filter(|e| e.kind == kind).map(|e| e.amount_minor).sum();
            if total == 0 {
                continue;
            }
            let sample = entries.iter().find(|e| e.kind == kind).expect("a kind of these entries");
            match kind {
                "invoice" => {
                    // Net and VAT as invoiced, when the entry is the invoice's total.
                    let tax = sample
                        .invoice_tax_minor
                        .filter(|t| sample.subtotal_minor.is_some_and(|net| net + t == total) && *t > 0);
                    match tax {
                        Some(tax) => {
                            out.push(line(SALES, None, 0, total - tax));
                            out.push(line(VAT, None, 0, tax));
                        }
                        None => out.push(line(SALES, None, 0, total)),
                    }
                }
                "credit_note" => {
                    let amount = -total;
                    let tax =
                        sample.credit_note_tax_minor.filter(|t| *t > 0 && sample.credit_note_minor == Some(amount));
                    match tax {
                        Some(tax) => {
                            out.push(line(REBATES, None, amount - tax, 0));
                            out.push(line(VAT, None, tax, 0));
                        }
                        None => out.push(line(REBATES, None, amount, 0)),
                    }
                }
                "fee" => out.push(side(&line, PENALTIES, total)),
                "write_off" => out.push(side(&line, LOSSES, total)),
                "credit_applied" => {}
                // Payments, refunds and their reversals: the bank.
                _ => out.push(side(&line, BANK, total)),
            }
        }
        out
    }
}

/// The other side of `total` on the customer's account: a credit when the
/// customer was debited, a debit when credited.
fn side(
    line: &impl Fn((&str, &str), Option<(&str, &str)>, i64, i64) -> Vec<Cell>,
    account: (&str, &str),
    total: i64,
) -> Vec<Cell> {
    if total > 0 {
        line(account, None, 0, total)
    } else {
        line(account, None, -total, 0)
    }
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "invoice" => "Facture",
        "payment" => "Règlement",
        "credit_note" => "Avoir",
        "fee" => "Pénalités",
        "write_off" => "Créance irrécouvrable",
        "refund" => "Remboursement",
        "refund_reversal" => "Remboursement annulé",
        "payment_reversal" => "Règlement rejeté",
        _ => "Imputation d'avoir",
    }
}
