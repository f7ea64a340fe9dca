//! E-invoice files (UBL 2.1 or CII XML, Factur-X / ZUGFeRD PDFs) as an
//! invoice table: each file read with the XML parser and checked against
//! EN 16931's calculation rules, then written as one CSV row per line in
//! the columns of an invoice import, so preview, matching, re-import and
//! the one-transaction run are the invoice import's own. A file that
//! cannot be read, or breaks a rule, becomes a row naming its problem,
//! which the preview reports and which stops the run.

use crate::einvoice::{self, facturx, DocKind, EInvoice, EParty};
use crate::imports::ProposedAccount;

/// The table's columns; the first nine are invoice-import fields (their
/// headers are among those fields' synonyms, so the mapping guesses them).
pub const HEADERS: [&str; 15] = [
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
];

/// Column positions of the non-field columns.
pub const CURRENCY: usize = 9;
pub const FILE: usize = 10;
pub const PROBLEM: usize = 11;
pub const BUYER: usize = 12;
pub const BUYER_SIREN: usize = 13;
pub const BUYER_VAT: usize = 14;

/// Whether a stored table is an e-invoice table.
pub fn is_einvoice_table(headers: &[String]) -> bool {
    headers.len() == HEADERS.len() && headers.iter().zip(HEADERS).all(|(h, e)| h == e)
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
    if doc.kind == DocKind::CreditNote {
        return Err("credit note (381): record it on its invoice".to_string());
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
        let mut row = |cells: [String; 15]| {
            let _ = out.write_record(&cells);
        };
        match read_file(bytes) {
            Err(problem) => {
                let mut cells: [String; 15] = Default::default();
                cells[FILE] = name.clone();
                cells[PROBLEM] = problem;
                row(cells);
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
