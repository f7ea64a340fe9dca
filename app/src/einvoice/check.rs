//! EN 16931's calculation rules, checked on a document read from a file:
//! the first rule it breaks, by its name in the standard.

use super::EInvoice;
use crate::domain::document::VatCategory;
use rust_decimal::{Decimal, RoundingStrategy};

/// A rule of EN 16931 a document breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// BR-16: an invoice has at least one line.
    Br16,
    /// BR-CO-10: the sum of the line nets is the lines' total.
    BrCo10,
    /// BR-CO-13: the total without VAT is the lines' total (no document
    /// allowances or charges are read).
    BrCo13,
    /// BR-CO-14: the VAT total is the sum of the breakdown groups' VAT.
    BrCo14,
    /// BR-CO-15: the total with VAT is the total without VAT plus the VAT.
    BrCo15,
    /// BR-CO-16: the amount due is the total with VAT less what was prepaid.
    BrCo16,
    /// BR-S-08 and kin: each group's taxable amount is the sum of its lines'
    /// nets.
    BrS08,
    /// BR-S-09 and kin: each group's VAT is its taxable amount times its
    /// rate, rounded, give or take less than one unit of the currency, as
    /// the standard's validation artefacts allow (zero for the exempt
    /// categories).
    BrS09,
    /// BR-CO-18: a line's category has its breakdown group.
    BrCo18,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Br16 => "BR-16",
            Rule::BrCo10 => "BR-CO-10",
            Rule::BrCo13 => "BR-CO-13",
            Rule::BrCo14 => "BR-CO-14",
            Rule::BrCo15 => "BR-CO-15",
            Rule::BrCo16 => "BR-CO-16",
            Rule::BrS08 => "BR-S-08",
            Rule::BrS09 => "BR-S-09",
            Rule::BrCo18 => "BR-CO-18",
        }
    }
}

/// The first calculation rule the document breaks, if any.
pub fn check(doc: &EInvoice) -> Result<(), Rule> {
    if doc.lines.is_empty() {
        return Err(Rule::Br16);
    }
    let lines: i64 = doc.lines.iter().map(|l| l.net_minor).sum();
    if lines != doc.line_total_minor {
        return Err(Rule::BrCo10);
    }
    if doc.tax_exclusive_minor != doc.line_total_minor {
        return Err(Rule::BrCo13);
    }
    if doc.vat.iter().map(|g| g.tax_minor).sum::<i64>() != doc.tax_minor {
        return Err(Rule::BrCo14);
    }
    if doc.tax_exclusive_minor + doc.tax_minor != doc.tax_inclusive_minor {
        return Err(Rule::BrCo15);
    }
    if doc.tax_inclusive_minor - doc.prepaid_minor != doc.payable_minor {
        return Err(Rule::BrCo16);
    }
    for line in &doc.lines {
        if !doc.vat.iter().any(|g| g.vat == line.vat) {
            return Err(Rule::BrCo18);
        }
    }
    for group in &doc.vat {
        let base: i64 = doc.lines.iter().filter(|l| l.vat == group.vat).map(|l| l.net_minor).sum();
        if base != group.base_minor {
            return Err(Rule::BrS08);
        }
        let off = (group.tax_minor - group_tax(group.vat, group.base_minor)).abs();
        if off >= 10_i64.pow(doc.currency.exponent()) || (group.vat.rate_bp() == 0 && group.tax_minor != 0) {
            return Err(Rule::BrS09);
        }
    }
    Ok(())
}

/// A group's VAT: its base times its rate, rounded half away from zero.
pub fn group_tax(vat: VatCategory, base_minor: i64) -> i64 {
    let tax = Decimal::from(base_minor) * Decimal::new(vat.rate_bp().into(), 4);
    tax.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).try_into().unwrap_or(i64::MAX)
}
