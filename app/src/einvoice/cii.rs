//! UN/CEFACT Cross Industry Invoice (D16B), EN 16931 profile: the XML a
//! Factur-X PDF carries (`factur-x.xml`).

use super::xml::{Node, Writer};
use super::{
    amount_text, parse_amount, parse_quantity, parse_rate, quantity_text, rate_text, DocKind, EBreakdown, EInvoice,
    ELine, EParty, EReference, EN16931,
};
use crate::domain::document::VatCategory;
use crate::domain::Currency;
use chrono::NaiveDate;

const RSM: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
const RAM: &str = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100";
const UDT: &str = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100";
const QDT: &str = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100";

fn date(w: &mut Writer, outer: &'static str, d: NaiveDate) {
    w.open(outer, &[]).leaf("udt:DateTimeString", &[("format", "102")], &d.format("%Y%m%d").to_string()).close();
}

fn party(w: &mut Writer, tag: &'static str, p: &EParty) {
    w.open(tag, &[]).leaf("ram:Name", &[], &p.name);
    if let Some(siren) = &p.siren {
        w.open("ram:SpecifiedLegalOrganization", &[]).leaf("ram:ID", &[("schemeID", "0002")], siren).close();
    }
    w.open("ram:PostalTradeAddress", &[])
        .leaf("ram:PostcodeCode", &[], &p.postal_code)
        .leaf("ram:LineOne", &[], &p.address)
        .leaf("ram:CityName", &[], &p.city)
        .leaf("ram:CountryID", &[], if p.country.is_empty() { "FR" } else { &p.country })
        .close();
    if !p.email.is_empty() {
        w.open("ram:URIUniversalCommunication", &[]).leaf("ram:URIID", &[("schemeID", "EM")], &p.email).close();
    }
    if let Some(vat) = &p.vat_number {
        w.open("ram:SpecifiedTaxRegistration", &[]).leaf("ram:ID", &[("schemeID", "VA")], vat).close();
    }
    w.close();
}

/// The document as CII XML.
pub fn write(doc: &EInvoice) -> String {
    let c = doc.currency;
    let mut w = Writer::new();
    w.open(
        "rsm:CrossIndustryInvoice",
        &[("xmlns:rsm", RSM), ("xmlns:ram", RAM), ("xmlns:udt", UDT), ("xmlns:qdt", QDT)],
    );
    w.open("rsm:ExchangedDocumentContext", &[])
        .open("ram:GuidelineSpecifiedDocumentContextParameter", &[])
        .leaf("ram:ID", &[], EN16931)
        .close()
        .close();
    w.open("rsm:ExchangedDocument", &[]).leaf("ram:ID", &[], &doc.number).leaf("ram:TypeCode", &[], doc.kind.code());
    date(&mut w, "ram:IssueDateTime", doc.issue_date);
    for note in &doc.notes {
        w.open("ram:IncludedNote", &[]).leaf("ram:Content", &[], note).close();
    }
    w.close();
    w.open("rsm:SupplyChainTradeTransaction", &[]);
    for line in &doc.lines {
        w.open("ram:IncludedSupplyChainTradeLineItem", &[]);
        w.open("ram:AssociatedDocumentLineDocument", &[]).leaf("ram:LineID", &[], &line.id).close();
        w.open("ram:SpecifiedTradeProduct", &[]).leaf("ram:Name", &[], &line.description).close();
        w.open("ram:SpecifiedLineTradeAgreement", &[])
            .open("ram:NetPriceProductTradePrice", &[])
            .leaf("ram:ChargeAmount", &[], &amount_text(line.unit_price_minor, c))
            .close()
            .close();
        w.open("ram:SpecifiedLineTradeDelivery", &[])
            .leaf("ram:BilledQuantity", &[("unitCode", "C62")], &quantity_text(line.quantity_milli))
            .close();
        w.open("ram:SpecifiedLineTradeSettlement", &[])
            .open("ram:ApplicableTradeTax", &[])
            .leaf("ram:TypeCode", &[], "VAT")
            .leaf("ram:CategoryCode", &[], line.vat.code())
            .leaf("ram:RateApplicablePercent", &[], &rate_text(line.vat.rate_bp()))
            .close()
            .open("ram:SpecifiedTradeSettlementLineMonetarySummation", &[])
            .leaf("ram:LineTotalAmount", &[], &amount_text(line.net_minor, c))
            .close()
            .close();
        w.close();
    }
    w.open("ram:ApplicableHeaderTradeAgreement", &[]);
    party(&mut w, "ram:SellerTradeParty", &doc.seller);
    party(&mut w, "ram:BuyerTradeParty", &doc.buyer);
    w.close();
    w.open("ram:ApplicableHeaderTradeDelivery", &[]).close();
    w.open("ram:ApplicableHeaderTradeSettlement", &[]).leaf("ram:InvoiceCurrencyCode", &[], c.code());
    for g in &doc.vat {
        w.open("ram:ApplicableTradeTax", &[])
            .leaf("ram:CalculatedAmount", &[], &amount_text(g.tax_minor, c))
            .leaf("ram:TypeCode", &[], "VAT")
            .leaf("ram:ExemptionReason", &[], g.vat.mention(crate::domain::Locale::Fr).unwrap_or(""))
            .leaf("ram:BasisAmount", &[], &amount_text(g.base_minor, c))
            .leaf("ram:CategoryCode", &[], g.vat.code())
            .leaf("ram:ExemptionReasonCode", &[], g.vat.vatex().unwrap_or(""))
            .leaf("ram:RateApplicablePercent", &[], &rate_text(g.vat.rate_bp()))
            .close();
    }
    if doc.due_date.is_some() || !doc.payment_terms.is_empty() {
        w.open("ram:SpecifiedTradePaymentTerms", &[]).leaf("ram:Description", &[], &doc.payment_terms);
        if let Some(due) = doc.due_date {
            date(&mut w, "ram:DueDateDateTime", due);
        }
        w.close();
    }
    w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation", &[])
        .leaf("ram:LineTotalAmount", &[], &amount_text(doc.line_total_minor, c))
        .leaf("ram:TaxBasisTotalAmount", &[], &amount_text(doc.tax_exclusive_minor, c))
        .leaf("ram:TaxTotalAmount", &[("currencyID", c.code())], &amount_text(doc.tax_minor, c))
        .leaf("ram:GrandTotalAmount", &[], &amount_text(doc.tax_inclusive_minor, c))
        .leaf("ram:TotalPrepaidAmount", &[], &amount_text(doc.prepaid_minor, c))
        .leaf("ram:DuePayableAmount", &[], &amount_text(doc.payable_minor, c))
        .close();
    if let Some(r) = &doc.preceding {
        w.open("ram:InvoiceReferencedDocument", &[]).leaf("ram:IssuerAssignedID", &[], &r.number);
        if let Some(d) = r.issue_date {
            w.open("ram:FormattedIssueDateTime", &[])
                .leaf("qdt:DateTimeString", &[("format", "102")], &d.format("%Y%m%d").to_string())
                .close();
        }
        w.close();
    }
    w.finish()
}

/// Why a file could not be read as an invoice, by the business term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Not this syntax's root element.
    NotThisSyntax,
    /// A required term is missing or unreadable (its EN 16931 id).
    Term(&'static str),
    /// A VAT category and rate Relance does not offer.
    Vat(String),
}

/// A required amount at `path`, in minor units.
pub(crate) fn amount_at(n: &Node, path: &[&str], currency: Currency, term: &'static str) -> Result<i64, ReadError> {
    parse_amount(n.text_at(path), currency).ok_or(ReadError::Term(term))
}

/// An optional amount at `path` (absent: zero).
pub(crate) fn optional_at(n: &Node, path: &[&str], currency: Currency, term: &'static str) -> Result<i64, ReadError> {
    match n.text_at(path) {
        "" => Ok(0),
        t => parse_amount(t, currency).ok_or(ReadError::Term(term)),
    }
}

pub(crate) fn date_102(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y%m%d").ok()
}

fn read_party(node: Option<&Node>, term: &'static str) -> Result<EParty, ReadError> {
    let p = node.ok_or(ReadError::Term(term))?;
    let name = p.text_at(&["Name"]).to_string();
    if name.is_empty() {
        return Err(ReadError::Term(term));
    }
    let some = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
    let vat =
        p.all("SpecifiedTaxRegistration").find_map(|r| r.child("ID").filter(|i| i.attr("schemeID") == Some("VA")));
    Ok(EParty {
        name,
        siren: some(p.text_at(&["SpecifiedLegalOrganization", "ID"])),
        vat_number: vat.and_then(|v| some(v.text.trim())),
        address: p.text_at(&["PostalTradeAddress", "LineOne"]).to_string(),
        postal_code: p.text_at(&["PostalTradeAddress", "PostcodeCode"]).to_string(),
        city: p.text_at(&["PostalTradeAddress", "CityName"]).to_string(),
        country: p.text_at(&["PostalTradeAddress", "CountryID"]).to_string(),
        email: p.text_at(&["URIUniversalCommunication", "URIID"]).to_string(),
    })
}

/// The category of a code and rate; an exempt line takes its reason from
/// the breakdown group of its code.
pub(crate) fn category(code: &str, rate: &str, groups: &[(String, Option<String>)]) -> Result<VatCategory, ReadError> {
    let bp = if rate.trim().is_empty() { Some(0) } else { parse_rate(rate) };
    let vatex = groups.iter().find(|(c, _)| c == code.trim()).and_then(|(_, v)| v.as_deref());
    bp.and_then(|bp| VatCategory::from_code_rate_vatex(code, bp, vatex))
        .ok_or_else(|| ReadError::Vat(format!("{} {}", code.trim(), rate.trim())))
}

/// Reads a CII document.
pub fn read(root: &Node) -> Result<EInvoice, ReadError> {
    if root.name != "CrossIndustryInvoice" {
        return Err(ReadError::NotThisSyntax);
    }
    let doc = root.child("ExchangedDocument").ok_or(ReadError::Term("BT-1"))?;
    let number = doc.text_at(&["ID"]).to_string();
    if number.is_empty() {
        return Err(ReadError::Term("BT-1"));
    }
    let kind = DocKind::from_code(doc.text_at(&["TypeCode"]));
    let issue_date = date_102(doc.text_at(&["IssueDateTime", "DateTimeString"])).ok_or(ReadError::Term("BT-2"))?;
    let notes =
        doc.all("IncludedNote").map(|n| n.text_at(&["Content"]).to_string()).filter(|n| !n.is_empty()).collect();
    let tx = root.child("SupplyChainTradeTransaction").ok_or(ReadError::Term("BG-25"))?;
    let settlement = tx.child("ApplicableHeaderTradeSettlement").ok_or(ReadError::Term("BG-22"))?;
    let currency =
        Currency::parse(settlement.text_at(&["InvoiceCurrencyCode"])).map_err(|_| ReadError::Term("BT-5"))?;
    let amount = |n: &Node, path: &[&str], term: &'static str| amount_at(n, path, currency, term);
    let optional = |n: &Node, path: &[&str], term: &'static str| optional_at(n, path, currency, term);
    let taxes: Vec<&Node> = settlement.all("ApplicableTradeTax").collect();
    let groups: Vec<(String, Option<String>)> = taxes
        .iter()
        .map(|t| {
            let vatex = Some(t.text_at(&["ExemptionReasonCode"]).to_string()).filter(|s| !s.is_empty());
            (t.text_at(&["CategoryCode"]).to_string(), vatex)
        })
        .collect();
    let mut vat = Vec::new();
    for t in &taxes {
        vat.push(EBreakdown {
            vat: category(t.text_at(&["CategoryCode"]), t.text_at(&["RateApplicablePercent"]), &groups)?,
            base_minor: amount(t, &["BasisAmount"], "BT-116")?,
            tax_minor: amount(t, &["CalculatedAmount"], "BT-117")?,
        });
    }
    let mut lines = Vec::new();
    for item in tx.all("IncludedSupplyChainTradeLineItem") {
        let settle = item.child("SpecifiedLineTradeSettlement").ok_or(ReadError::Term("BG-30"))?;
        lines.push(ELine {
            id: item.text_at(&["AssociatedDocumentLineDocument", "LineID"]).to_string(),
            description: item.text_at(&["SpecifiedTradeProduct", "Name"]).to_string(),
            quantity_milli: parse_quantity(item.text_at(&["SpecifiedLineTradeDelivery", "BilledQuantity"]))
                .ok_or(ReadError::Term("BT-129"))?,
            unit_price_minor: parse_amount(
                item.text_at(&["SpecifiedLineTradeAgreement", "NetPriceProductTradePrice", "ChargeAmount"]),
                currency,
            )
            .ok_or(ReadError::Term("BT-146"))?,
            net_minor: amount(settle, &["SpecifiedTradeSettlementLineMonetarySummation", "LineTotalAmount"], "BT-131")?,
            vat: category(
                settle.text_at(&["ApplicableTradeTax", "CategoryCode"]),
                settle.text_at(&["ApplicableTradeTax", "RateApplicablePercent"]),
                &groups,
            )?,
        });
    }
    let agreement = tx.child("ApplicableHeaderTradeAgreement").ok_or(ReadError::Term("BG-4"))?;
    let sum = settlement.child("SpecifiedTradeSettlementHeaderMonetarySummation").ok_or(ReadError::Term("BG-22"))?;
    let due_date = date_102(settlement.text_at(&["SpecifiedTradePaymentTerms", "DueDateDateTime", "DateTimeString"]));
    let preceding = settlement
        .child("InvoiceReferencedDocument")
        .map(|r| EReference {
            number: r.text_at(&["IssuerAssignedID"]).to_string(),
            issue_date: date_102(r.text_at(&["FormattedIssueDateTime", "DateTimeString"])),
        })
        .filter(|r| !r.number.is_empty());
    Ok(EInvoice {
        kind,
        number,
        issue_date,
        due_date,
        currency,
        seller: read_party(agreement.child("SellerTradeParty"), "BT-27")?,
        buyer: read_party(agreement.child("BuyerTradeParty"), "BT-44")?,
        notes,
        payment_terms: settlement.text_at(&["SpecifiedTradePaymentTerms", "Description"]).to_string(),
        preceding,
        lines,
        vat,
        line_total_minor: amount(sum, &["LineTotalAmount"], "BT-106")?,
        tax_exclusive_minor: amount(sum, &["TaxBasisTotalAmount"], "BT-109")?,
        tax_minor: optional(sum, &["TaxTotalAmount"], "BT-110")?,
        tax_inclusive_minor: amount(sum, &["GrandTotalAmount"], "BT-112")?,
        prepaid_minor: optional(sum, &["TotalPrepaidAmount"], "BT-113")?,
        payable_minor: amount(sum, &["DuePayableAmount"], "BT-115")?,
    })
}
