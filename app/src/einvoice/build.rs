//! An issued invoice or credit note of Relance as an EN 16931 document:
//! its parties as frozen at issue, its lines, its VAT breakdown and totals.

use super::{DocKind, EBreakdown, EInvoice, ELine, EParty, EReference};
use crate::domain::document::VatCategory;
use crate::domain::Locale;
use crate::invoices::InvoiceDetail;
use crate::invoicing::{CreditNoteDoc, Party};
use rust_decimal::Decimal;

fn party(p: &Party) -> EParty {
    EParty {
        name: p.name.clone(),
        siren: p.siren.clone().map(|s| s.replace(' ', "")),
        vat_number: p.vat_number.clone().map(|s| s.replace(' ', "")),
        address: p.address.clone(),
        postal_code: p.postal_code.clone(),
        city: p.city.clone(),
        country: p.country.clone(),
        email: p.email.clone(),
    }
}

/// The invoice as an e-invoice; `None` for one without lines or without
/// its parties (an older invoice, or one imported from totals only).
pub fn from_invoice(detail: &InvoiceDetail) -> Option<EInvoice> {
    let facts = detail.document.as_ref()?;
    if detail.lines.is_empty() {
        return None;
    }
    let currency = detail.summary.total.currency;
    let mut lines = Vec::with_capacity(detail.lines.len());
    for (i, l) in detail.lines.iter().enumerate() {
        let bp: i32 = (l.tax_rate_percent * Decimal::from(100)).round().try_into().ok()?;
        let vat = l.vat.or_else(|| VatCategory::from_code_rate(if bp == 0 { "Z" } else { "S" }, bp))?;
        let quantity_milli: i64 = (l.quantity * Decimal::from(1000)).round().try_into().ok()?;
        lines.push(ELine {
            id: (i + 1).to_string(),
            description: l.description.clone(),
            quantity_milli,
            unit_price_minor: l.unit_price.minor,
            net_minor: l.net.minor,
            vat,
        });
    }
    let mut vat: Vec<EBreakdown> = Vec::new();
    for (line, l) in lines.iter().zip(&detail.lines) {
        match vat.iter_mut().find(|g| g.vat == line.vat) {
            Some(g) => {
                g.base_minor += line.net_minor;
                g.tax_minor += l.tax.minor;
            }
            None => vat.push(EBreakdown { vat: line.vat, base_minor: line.net_minor, tax_minor: l.tax.minor }),
        }
    }
    vat.sort_by_key(|g| VatCategory::ALL.iter().position(|c| *c == g.vat));
    let mut notes: Vec<String> = vat.iter().filter_map(|g| g.vat.mention(Locale::Fr)).map(str::to_string).collect();
    if !facts.note.trim().is_empty() {
        notes.push(facts.note.trim().to_string());
    }
    let line_total: i64 = lines.iter().map(|l| l.net_minor).sum();
    Some(EInvoice {
        kind: DocKind::Invoice,
        number: detail.summary.number.clone(),
        issue_date: detail.summary.issue_date,
        due_date: Some(detail.summary.due_date),
        currency,
        seller: party(&facts.parties.seller),
        buyer: party(&facts.parties.buyer),
        notes,
        payment_terms: String::new(),
        preceding: None,
        lines,
        vat,
        line_total_minor: line_total,
        tax_exclusive_minor: detail.subtotal.minor,
        tax_minor: detail.tax.minor,
        tax_inclusive_minor: detail.summary.total.minor,
        prepaid_minor: 0,
        payable_minor: detail.summary.total.minor,
    })
}

/// A credit note as an e-invoice of type 381 naming the invoice it corrects
/// (BT-25): one line per VAT group it takes back, the parties of that
/// invoice. `None` without VAT groups or parties (on an invoice imported
/// from totals only).
pub fn from_credit_note(c: &CreditNoteDoc) -> Option<EInvoice> {
    let parties = c.parties.as_ref()?;
    if c.vat.is_empty() {
        return None;
    }
    let lines: Vec<ELine> = c
        .vat
        .iter()
        .enumerate()
        .map(|(i, g)| ELine {
            id: (i + 1).to_string(),
            description: format!("Avoir sur facture {}", c.invoice_number),
            quantity_milli: 1000,
            unit_price_minor: g.base_minor,
            net_minor: g.base_minor,
            vat: g.category,
        })
        .collect();
    let vat: Vec<EBreakdown> = c
        .vat
        .iter()
        .map(|g| EBreakdown { vat: g.category, base_minor: g.base_minor, tax_minor: g.tax_minor })
        .collect();
    let base: i64 = vat.iter().map(|g| g.base_minor).sum();
    let tax: i64 = vat.iter().map(|g| g.tax_minor).sum();
    if base + tax != c.amount.minor {
        return None;
    }
    let mut notes: Vec<String> = vat.iter().filter_map(|g| g.vat.mention(Locale::Fr)).map(str::to_string).collect();
    let reason = match (c.note.trim(), c.dispute_reason) {
        ("", Some(r)) => r.msg().text(Locale::Fr).to_string(),
        (note, _) => note.to_string(),
    };
    if !reason.is_empty() {
        notes.push(reason);
    }
    Some(EInvoice {
        kind: DocKind::CreditNote,
        number: c.number.clone(),
        issue_date: c.issued_on,
        due_date: None,
        currency: c.amount.currency,
        seller: party(&parties.seller),
        buyer: party(&parties.buyer),
        notes,
        payment_terms: "Avoir déduit du solde du compte client.".to_string(),
        preceding: Some(EReference { number: c.invoice_number.clone(), issue_date: Some(c.invoice_issue_date) }),
        lines,
        vat,
        line_total_minor: base,
        tax_exclusive_minor: base,
        tax_minor: tax,
        tax_inclusive_minor: c.amount.minor,
        prepaid_minor: 0,
        payable_minor: c.amount.minor,
    })
}
