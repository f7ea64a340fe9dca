//! OASIS UBL 2.1 invoices and credit notes (EN 16931 syntax binding).

use super::cii::{amount_at, category, optional_at, ReadError};
use super::xml::{Node, Writer};
use super::{
    amount_text, parse_quantity, quantity_text, rate_text, DocKind, EBreakdown, EInvoice, ELine, EParty, EReference,
    EN16931,
};
use crate::domain::Currency;
use chrono::NaiveDate;

const INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

fn party(w: &mut Writer, tag: &'static str, p: &EParty) {
    w.open(tag, &[]).open("cac:Party", &[]);
    if !p.email.is_empty() {
        w.leaf("cbc:EndpointID", &[("schemeID", "EM")], &p.email);
    }
    w.open("cac:PostalAddress", &[])
        .leaf("cbc:StreetName", &[], &p.address)
        .leaf("cbc:CityName", &[], &p.city)
        .leaf("cbc:PostalZone", &[], &p.postal_code)
        .open("cac:Country", &[])
        .leaf("cbc:IdentificationCode", &[], if p.country.is_empty() { "FR" } else { &p.country })
        .close()
        .close();
    if let Some(vat) = &p.vat_number {
        w.open("cac:PartyTaxScheme", &[])
            .leaf("cbc:CompanyID", &[], vat)
            .open("cac:TaxScheme", &[])
            .leaf("cbc:ID", &[], "VAT")
            .close()
            .close();
    }
    w.open("cac:PartyLegalEntity", &[]).leaf("cbc:RegistrationName", &[], &p.name);
    if let Some(siren) = &p.siren {
        w.leaf("cbc:CompanyID", &[("schemeID", "0002")], siren);
    }
    w.close();
    if !p.email.is_empty() {
        w.open("cac:Contact", &[]).leaf("cbc:ElectronicMail", &[], &p.email).close();
    }
    w.close().close();
}

fn category_tag(w: &mut Writer, tag: &'static str, vat: crate::domain::document::VatCategory, reason: bool) {
    w.open(tag, &[]).leaf("cbc:ID", &[], vat.code()).leaf("cbc:Percent", &[], &rate_text(vat.rate_bp()));
    if reason {
        w.leaf("cbc:TaxExemptionReasonCode", &[], vat.vatex().unwrap_or(""));
        w.leaf("cbc:TaxExemptionReason", &[], vat.mention(crate::domain::Locale::Fr).unwrap_or(""));
    }
    w.open("cac:TaxScheme", &[]).leaf("cbc:ID", &[], "VAT").close().close();
}

/// The document as UBL 2.1 XML: an `Invoice`, or a `CreditNote`.
pub fn write(doc: &EInvoice) -> String {
    let c = doc.currency;
    let cur = [("currencyID", c.code())];
    let credit = doc.kind == DocKind::CreditNote;
    let mut w = Writer::new();
    let (root, ns) = if credit { ("CreditNote", CREDIT_NOTE_NS) } else { ("Invoice", INVOICE_NS) };
    w.open(root, &[("xmlns", ns), ("xmlns:cac", CAC), ("xmlns:cbc", CBC)])
        .leaf("cbc:CustomizationID", &[], EN16931)
        .leaf("cbc:ID", &[], &doc.number)
        .leaf("cbc:IssueDate", &[], &doc.issue_date.to_string());
    if !credit {
        if let Some(due) = doc.due_date {
            w.leaf("cbc:DueDate", &[], &due.to_string());
        }
    }
    w.leaf(if credit { "cbc:CreditNoteTypeCode" } else { "cbc:InvoiceTypeCode" }, &[], doc.kind.code());
    for note in &doc.notes {
        w.leaf("cbc:Note", &[], note);
    }
    w.leaf("cbc:DocumentCurrencyCode", &[], c.code());
    if let Some(r) = &doc.preceding {
        w.open("cac:BillingReference", &[]).open("cac:InvoiceDocumentReference", &[]).leaf("cbc:ID", &[], &r.number);
        if let Some(d) = r.issue_date {
            w.leaf("cbc:IssueDate", &[], &d.to_string());
        }
        w.close().close();
    }
    party(&mut w, "cac:AccountingSupplierParty", &doc.seller);
    party(&mut w, "cac:AccountingCustomerParty", &doc.buyer);
    if credit {
        if let Some(due) = doc.due_date {
            w.open("cac:PaymentMeans", &[])
                .leaf("cbc:PaymentMeansCode", &[], "30")
                .leaf("cbc:PaymentDueDate", &[], &due.to_string())
                .close();
        }
    }
    if !doc.payment_terms.is_empty() {
        w.open("cac:PaymentTerms", &[]).leaf("cbc:Note", &[], &doc.payment_terms).close();
    }
    w.open("cac:TaxTotal", &[]).leaf("cbc:TaxAmount", &cur, &amount_text(doc.tax_minor, c));
    for g in &doc.vat {
        w.open("cac:TaxSubtotal", &[]).leaf("cbc:TaxableAmount", &cur, &amount_text(g.base_minor, c)).leaf(
            "cbc:TaxAmount",
            &cur,
            &amount_text(g.tax_minor, c),
        );
        category_tag(&mut w, "cac:TaxCategory", g.vat, true);
        w.close();
    }
    w.close();
    w.open("cac:LegalMonetaryTotal", &[])
        .leaf("cbc:LineExtensionAmount", &cur, &amount_text(doc.line_total_minor, c))
        .leaf("cbc:TaxExclusiveAmount", &cur, &amount_text(doc.tax_exclusive_minor, c))
        .leaf("cbc:TaxInclusiveAmount", &cur, &amount_text(doc.tax_inclusive_minor, c))
        .leaf("cbc:PrepaidAmount", &cur, &amount_text(doc.prepaid_minor, c))
        .leaf("cbc:PayableAmount", &cur, &amount_text(doc.payable_minor, c))
        .close();
    for line in &doc.lines {
        w.open(if credit { "cac:CreditNoteLine" } else { "cac:InvoiceLine" }, &[])
            .leaf("cbc:ID", &[], &line.id)
            .leaf(
                if credit { "cbc:CreditedQuantity" } else { "cbc:InvoicedQuantity" },
                &[("unitCode", "C62")],
                &quantity_text(line.quantity_milli),
            )
            .leaf("cbc:LineExtensionAmount", &cur, &amount_text(line.net_minor, c))
            .open("cac:Item", &[])
            .leaf("cbc:Name", &[], &line.description);
        category_tag(&mut w, "cac:ClassifiedTaxCategory", line.vat, false);
        w.close()
            .open("cac:Price", &[])
            .leaf("cbc:PriceAmount", &cur, &amount_text(line.unit_price_minor, c))
            .close()
            .close();
    }
    w.finish()
}

fn read_party(node: Option<&Node>, term: &'static str) -> Result<EParty, ReadError> {
    let p = node.and_then(|n| n.child("Party")).ok_or(ReadError::Term(term))?;
    let name = match p.text_at(&["PartyLegalEntity", "RegistrationName"]) {
        "" => p.text_at(&["PartyName", "Name"]),
        n => n,
    };
    if name.is_empty() {
        return Err(ReadError::Term(term));
    }
    let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let email = match p.text_at(&["Contact", "ElectronicMail"]) {
        "" => p.child("EndpointID").filter(|e| e.attr("schemeID") == Some("EM")).map(|e| e.text.trim()).unwrap_or(""),
        e => e,
    };
    Ok(EParty {
        name: name.to_string(),
        siren: some(p.text_at(&["PartyLegalEntity", "CompanyID"])),
        vat_number: p
            .all("PartyTaxScheme")
            .find(|s| s.text_at(&["TaxScheme", "ID"]) == "VAT")
            .and_then(|s| some(s.text_at(&["CompanyID"]))),
        address: p.text_at(&["PostalAddress", "StreetName"]).to_string(),
        postal_code: p.text_at(&["PostalAddress", "PostalZone"]).to_string(),
        city: p.text_at(&["PostalAddress", "CityName"]).to_string(),
        country: p.text_at(&["PostalAddress", "Country", "IdentificationCode"]).to_string(),
        email: email.to_string(),
    })
}

/// Reads a UBL `Invoice` or `CreditNote`.
pub fn read(root: &Node) -> Result<EInvoice, ReadError> {
    let credit = match root.name.as_str() {
        "Invoice" => false,
        "CreditNote" => true,
        _ => return Err(ReadError::NotThisSyntax),
    };
    let number = root.text_at(&["ID"]).to_string();
    if number.is_empty() {
        return Err(ReadError::Term("BT-1"));
    }
    let type_code = root.text_at(&[if credit { "CreditNoteTypeCode" } else { "InvoiceTypeCode" }]);
    let kind = if credit && type_code.is_empty() { DocKind::CreditNote } else { DocKind::from_code(type_code) };
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let issue_date = day(root.text_at(&["IssueDate"])).ok_or(ReadError::Term("BT-2"))?;
    let due_date = day(root.text_at(&["DueDate"])).or_else(|| day(root.text_at(&["PaymentMeans", "PaymentDueDate"])));
    let currency = Currency::parse(root.text_at(&["DocumentCurrencyCode"])).map_err(|_| ReadError::Term("BT-5"))?;
    let amount = |n: &Node, path: &[&str], term: &'static str| amount_at(n, path, currency, term);
    let optional = |n: &Node, path: &[&str], term: &'static str| optional_at(n, path, currency, term);
    // The VAT total in the document's currency (a second one may be in the
    // accounting currency).
    let tax_total = root
        .all("TaxTotal")
        .find(|t| t.child("TaxAmount").and_then(|a| a.attr("currencyID")).is_none_or(|c| c == currency.code()));
    let subtotals: Vec<&Node> = tax_total.map(|t| t.all("TaxSubtotal").collect()).unwrap_or_default();
    let groups: Vec<(String, Option<String>)> = subtotals
        .iter()
        .map(|s| {
            let vatex =
                Some(s.text_at(&["TaxCategory", "TaxExemptionReasonCode"]).to_string()).filter(|v| !v.is_empty());
            (s.text_at(&["TaxCategory", "ID"]).to_string(), vatex)
        })
        .collect();
    let mut vat = Vec::new();
    for s in &subtotals {
        vat.push(EBreakdown {
            vat: category(s.text_at(&["TaxCategory", "ID"]), s.text_at(&["TaxCategory", "Percent"]), &groups)?,
            base_minor: amount(s, &["TaxableAmount"], "BT-116")?,
            tax_minor: amount(s, &["TaxAmount"], "BT-117")?,
        });
    }
    let mut lines = Vec::new();
    let (line_tag, qty_tag) =
        if credit { ("CreditNoteLine", "CreditedQuantity") } else { ("InvoiceLine", "InvoicedQuantity") };
    for l in root.all(line_tag) {
        lines.push(ELine {
            id: l.text_at(&["ID"]).to_string(),
            description: l.text_at(&["Item", "Name"]).to_string(),
            quantity_milli: parse_quantity(l.text_at(&[qty_tag])).ok_or(ReadError::Term("BT-129"))?,
            unit_price_minor: amount(l, &["Price", "PriceAmount"], "BT-146")?,
            net_minor: amount(l, &["LineExtensionAmount"], "BT-131")?,
            vat: category(
                l.text_at(&["Item", "ClassifiedTaxCategory", "ID"]),
                l.text_at(&["Item", "ClassifiedTaxCategory", "Percent"]),
                &groups,
            )?,
        });
    }
    let sum = root.child("LegalMonetaryTotal").ok_or(ReadError::Term("BG-22"))?;
    Ok(EInvoice {
        kind,
        number,
        issue_date,
        due_date,
        currency,
        seller: read_party(root.child("AccountingSupplierParty"), "BT-27")?,
        buyer: read_party(root.child("AccountingCustomerParty"), "BT-44")?,
        notes: root.all("Note").map(|n| n.text.trim().to_string()).filter(|n| !n.is_empty()).collect(),
        payment_terms: root.text_at(&["PaymentTerms", "Note"]).to_string(),
        preceding: root
            .child("BillingReference")
            .map(|r| EReference {
                number: r.text_at(&["InvoiceDocumentReference", "ID"]).to_string(),
                issue_date: day(r.text_at(&["InvoiceDocumentReference", "IssueDate"])),
            })
            .filter(|r| !r.number.is_empty()),
        lines,
        vat,
        line_total_minor: amount(sum, &["LineExtensionAmount"], "BT-106")?,
        tax_exclusive_minor: amount(sum, &["TaxExclusiveAmount"], "BT-109")?,
        tax_minor: match tax_total {
            Some(t) => amount(t, &["TaxAmount"], "BT-110")?,
            None => 0,
        },
        tax_inclusive_minor: amount(sum, &["TaxInclusiveAmount"], "BT-112")?,
        prepaid_minor: optional(sum, &["PrepaidAmount"], "BT-113")?,
        payable_minor: amount(sum, &["PayableAmount"], "BT-115")?,
    })
}
