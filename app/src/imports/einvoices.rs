//! E-invoice files (UBL 2.1 or CII XML, Factur-X / ZUGFeRD PDFs) as an
//! invoice table: each file read with the XML parser and checked against
//! EN 16931's calculation rules, then written as one CSV row per line in
//! the columns of an invoice import, so preview, matching, re-import and
//! the one-transaction run are the invoice import's own. A credit note
//! (381) becomes one row per VAT group it takes back, naming the invoice
//! it corrects (BT-25), and is recorded on that invoice. A file that
//! cannot be read, or breaks a rule, becomes a row naming its problem,
//! which the preview reports and which stops the run.

use crate::einvoice::{self, facturx, DocKind, EInvoice, EParty};
use crate::imports::ProposedAccount;

/// The table's columns; the first nine are invoice-import fields (their
/// headers are among those fields' synonyms, so the mapping guesses them).
/// On a credit note's row, `description` holds its reason, `unit price`
/// the VAT group's taxable amount and `credited vat` its VAT.
pub const HEADERS: [&str; 18] = [
    "number",
    "account",
    "issue date",
    "due date",
    "total",
    "description",
    "quantity",
    "unit price",
    "vat rate",
    "currency",
    "file",
    "problem",
    "buyer",
    "buyer siren",
    "buyer vat",
    "kind",
    "credits",
    "credited vat",
];

/// Column positions of the non-field columns.
pub const CURRENCY: usize = 9;
pub const FILE: usize = 10;
pub const PROBLEM: usize = 11;
pub const BUYER: usize = 12;
pub const BUYER_SIREN: usize = 13;
pub const BUYER_VAT: usize = 14;
/// The document type (BT-3): `380`, or `381` for a credit note.
pub const KIND: usize = 15;
/// A credit note's preceding invoice number (BT-25).
pub const CREDITS: usize = 16;
pub const VAT_AMOUNT: usize = 17;

/// Whether a stored table is an e-invoice table (tables stored before
/// credit notes were read have the first fifteen columns only).
pub fn is_einvoice_table(headers: &[String]) -> bool {
    (headers.len() == HEADERS.len() || headers.len() == 15) && headers.iter().zip(HEADERS).all(|(h, e)| h == e)
}

/// Whether an e-invoice table's row is a credit note's.
pub fn is_credit_row(cells: &[String]) -> bool {
    cells.get(KIND).is_some_and(|k| k.trim() == DocKind::CreditNote.code())
}

/// The file's invoice, or why it is refused (in EN 16931's terms).
pub fn read_file(bytes: &[u8]) -> Result<EInvoice, String> {
    let text = if facturx::is_pdf(bytes) {
        facturx::embedded_xml(bytes).map_err(|e| e.to_string())?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8 XML".to_string())?;
        text.trim_start_matches('\u{feff}').to_string()
    };
    let doc = einvoice::read_any(&text)?;
    if doc.kind == DocKind::CreditNote && doc.preceding.is_none() {
        return Err("credit note without the invoice it corrects (BT-25)".to_string());
    }
    Ok(doc)
}

/// The buyer's reference to match an account: SIREN, else the VAT number.
fn reference(buyer: &EParty) -> String {
    buyer.siren.clone().filter(|s| !s.is_empty()).or_else(|| buyer.vat_number.clone()).unwrap_or_default()
}

/// The files as one CSV table (UTF-8, comma-separated).
pub fn to_csv(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = out.write_record(HEADERS);
    for (name, bytes) in files {
        let mut row = |cells: [String; 18]| {
            let _ = out.write_record(&cells);
        };
        match read_file(bytes) {
            Err(problem) => {
                let mut cells: [String; 18] = Default::default();
                cells[FILE] = name.clone();
                cells[PROBLEM] = problem;
                row(cells);
            }
            Ok(doc) if doc.kind == DocKind::CreditNote => {
                let credits = doc.preceding.as_ref().map(|p| p.number.clone()).unwrap_or_default();
                // The reason: the notes other than the VAT mentions.
                let mentions: Vec<&str> =
                    doc.vat.iter().filter_map(|g| g.vat.mention(crate::domain::Locale::Fr)).collect();
                let reason: Vec<&str> =
                    doc.notes.iter().map(String::as_str).filter(|n| !mentions.contains(n)).collect();
                for g in &doc.vat {
                    row([
                        doc.number.clone(),
                        reference(&doc.buyer),
                        doc.issue_date.to_string(),
                        String::new(),
                        einvoice::amount_text(doc.tax_inclusive_minor, doc.currency),
                        reason.join(" "),
                        "1".to_string(),
                        einvoice::amount_text(g.base_minor, doc.currency),
                        g.vat.as_str().to_string(),
                        doc.currency.code().to_string(),
                        name.clone(),
                        String::new(),
                        doc.buyer.name.clone(),
                        doc.buyer.siren.clone().unwrap_or_default(),
                        doc.buyer.vat_number.clone().unwrap_or_default(),
                        DocKind::CreditNote.code().to_string(),
                        credits.clone(),
                        einvoice::amount_text(g.tax_minor, doc.currency),
                    ]);
                }
            }
            Ok(doc) => {
                for line in &doc.lines {
                    row([
                        doc.number.clone(),
                        reference(&doc.buyer),
                        doc.issue_date.to_string(),
                        doc.due_date.map(|d| d.to_string()).unwrap_or_default(),
                        einvoice::amount_text(doc.tax_inclusive_minor, doc.currency),
                        line.description.clone(),
                        einvoice::quantity_text(line.quantity_milli),
                        einvoice::amount_text(line.unit_price_minor, doc.currency),
                        line.vat.as_str().to_string(),
                        doc.currency.code().to_string(),
                        name.clone(),
                        String::new(),
                        doc.buyer.name.clone(),
                        doc.buyer.siren.clone().unwrap_or_default(),
                        doc.buyer.vat_number.clone().unwrap_or_default(),
                        doc.kind.code().to_string(),
                        String::new(),
                        String::new(),
                    ]);
                }
            }
        }
    }
    out.into_inner().unwrap_or_default()
}

/// The new-account form filled with a buyer's name and identifiers.
pub fn proposal(name: &str, siren: &str, vat_number: &str) -> ProposedAccount {
    use crate::components::urlencode;
    let mut href = format!("/back/accounts/new?legal_name={}", urlencode(name));
    if !siren.is_empty() {
        href.push_str(&format!("&siren={}", urlencode(siren)));
    }
    if !vat_number.is_empty() {
        href.push_str(&format!("&vat_number={}", urlencode(vat_number)));
    }
    ProposedAccount { name: name.to_string(), siren: siren.to_string(), vat_number: vat_number.to_string(), href }
}
