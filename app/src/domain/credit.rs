//! A credit note's VAT: which part of an invoice's VAT breakdown a credited
//! amount (tax included) takes back, so the credit note prints and travels
//! (EN 16931, type 381) with its own taxable amounts and VAT per rate.

use super::document::{apportion, VatBreakdown};
use super::ledger::tax_rate;
use super::money::{round_minor, MoneyError};
use rust_decimal::Decimal;

/// What each VAT group of an invoice may still be credited: its base and
/// VAT less what earlier credit notes took back.
pub fn remaining(invoice: &[VatBreakdown], credited: &[VatBreakdown]) -> Vec<VatBreakdown> {
    invoice
        .iter()
        .map(|g| {
            let taken = credited.iter().filter(|c| c.category == g.category && c.rate_bp == g.rate_bp);
            let (base, tax) = taken.fold((0, 0), |(b, t), c| (b + c.base_minor, t + c.tax_minor));
            VatBreakdown { base_minor: (g.base_minor - base).max(0), tax_minor: (g.tax_minor - tax).max(0), ..*g }
        })
        .collect()
}

/// The VAT groups of a credit note of `amount_minor` (tax included) on an
/// invoice whose groups may still be credited `remaining`.
///
/// All that remains is credited group for group, exactly. A part is shared
/// across the groups in proportion to what each may still be credited (tax
/// included, largest remainder), and each share is split into base =
/// share / (1 + rate), rounded half away from zero, and VAT = share − base.
/// The VAT is then within one minor unit of base × rate (some amounts, such
/// as 0.03 at 20 %, have no exact split); EN 16931's BR-S-09 allows that.
/// No group gives back more base or VAT than it has left. Groups left with
/// nothing are omitted. An amount beyond what remains, or not positive, is
/// `MoneyError::Invalid`.
pub fn split(remaining: &[VatBreakdown], amount_minor: i64) -> Result<Vec<VatBreakdown>, MoneyError> {
    let gross: Vec<i64> = remaining.iter().map(|g| g.base_minor + g.tax_minor).collect();
    let left: i64 = gross.iter().sum();
    if amount_minor <= 0 || amount_minor > left {
        return Err(MoneyError::Invalid);
    }
    if amount_minor == left {
        return Ok(remaining.iter().filter(|g| g.base_minor + g.tax_minor > 0).copied().collect());
    }
    let mut out = Vec::new();
    for (g, share) in remaining.iter().zip(apportion(amount_minor, &gross)) {
        if share == 0 {
            continue;
        }
        let divisor = Decimal::ONE + tax_rate(g.rate_bp);
        let mut base = round_minor(Decimal::from(share).checked_div(divisor).ok_or(MoneyError::Overflow)?)?;
        if base > g.base_minor {
            base = g.base_minor;
        }
        if share - base > g.tax_minor {
            base = share - g.tax_minor;
        }
        out.push(VatBreakdown { base_minor: base, tax_minor: share - base, ..*g });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::document::VatCategory;
    use proptest::prelude::*;

    fn group(category: VatCategory, base: i64, tax: i64) -> VatBreakdown {
        VatBreakdown { category, rate_bp: category.rate_bp(), base_minor: base, tax_minor: tax }
    }

    #[test]
    fn the_whole_remainder_is_credited_group_for_group() {
        let invoice = [group(VatCategory::Standard20, 10000, 2000), group(VatCategory::Reduced5_5, 5000, 275)];
        assert_eq!(split(&invoice, 17275).unwrap(), invoice.to_vec());
        // After a first credit of 60.00 on the 20 % group only.
        let earlier = [group(VatCategory::Standard20, 5000, 1000)];
        let left = remaining(&invoice, &earlier);
        assert_eq!(left, vec![group(VatCategory::Standard20, 5000, 1000), group(VatCategory::Reduced5_5, 5000, 275)]);
        assert_eq!(split(&left, 11275).unwrap(), left);
    }

    #[test]
    fn a_part_is_shared_by_rate_and_split_into_base_and_vat() {
        // 120.00 at 20 % and 105.50 at 5.5 %: crediting 112.75 takes half of each.
        let invoice = [group(VatCategory::Standard20, 10000, 2000), group(VatCategory::Reduced5_5, 10000, 550)];
        let got = split(&invoice, 11275).unwrap();
        assert_eq!(got, vec![group(VatCategory::Standard20, 5000, 1000), group(VatCategory::Reduced5_5, 5000, 275)]);
        // 60.00 at 20 % alone: 50.00 + 10.00.
        assert_eq!(split(&invoice[..1], 6000).unwrap(), vec![group(VatCategory::Standard20, 5000, 1000)]);
        // 0.03 at 20 %: base 0.03 (0.025 rounded up), VAT 0.00 — one cent off
        // 0.03 × 20 % = 0.006 → 0.01, within BR-S-09's tolerance.
        assert_eq!(split(&invoice[..1], 3).unwrap(), vec![group(VatCategory::Standard20, 3, 0)]);
        // Exempt: all base.
        let exempt = [group(VatCategory::ExemptFranchise, 8000, 0)];
        assert_eq!(split(&exempt, 3000).unwrap(), vec![group(VatCategory::ExemptFranchise, 3000, 0)]);
    }

    #[test]
    fn nothing_or_too_much_is_refused() {
        let invoice = [group(VatCategory::Standard20, 10000, 2000)];
        assert_eq!(split(&invoice, 0), Err(MoneyError::Invalid));
        assert_eq!(split(&invoice, -5), Err(MoneyError::Invalid));
        assert_eq!(split(&invoice, 12001), Err(MoneyError::Invalid));
        assert_eq!(split(&[], 1), Err(MoneyError::Invalid));
    }

    fn arb_groups() -> impl Strategy<Value = Vec<VatBreakdown>> {
        let category = (0..VatCategory::ALL.len()).prop_map(|i| VatCategory::ALL[i]);
        proptest::collection::vec((category, 0i64..10_000_000), 1..5).prop_map(|gs| {
            let mut out: Vec<VatBreakdown> = Vec::new();
            for (c, base) in gs {
                if out.iter().all(|g| g.category != c) {
                    let tax = round_minor(Decimal::from(base) * tax_rate(c.rate_bp())).unwrap();
                    out.push(group(c, base, tax));
                }
            }
            out
        })
    }

    proptest! {
        /// Any amount up to what remains: the groups add up to it exactly,
        /// none gives back more than it has, none is negative, and each
        /// group's VAT is within one minor unit of its base × rate.
        #[test]
        fn a_split_adds_up_and_stays_within_the_invoice(
            groups in arb_groups(),
            pick in 0i64..=1000,
            earlier_pick in 0i64..=1000,
        ) {
            let total: i64 = groups.iter().map(|g| g.base_minor + g.tax_minor).sum();
            prop_assume!(total > 1);
            // An earlier partial credit, then a second one on what is left.
            let first = (total * earlier_pick / 1000).clamp(1, total - 1);
            let earlier = split(&groups, first).unwrap();
            let left = remaining(&groups, &earlier);
            let left_total: i64 = left.iter().map(|g| g.base_minor + g.tax_minor).sum();
            prop_assert_eq!(left_total, total - first);
            let amount = (left_total * pick / 1000).clamp(1, left_total);
            for (credit, limit, asked) in [(&earlier, &groups, first), (&split(&left, amount).unwrap(), &left, amount)] {
                prop_assert_eq!(credit.iter().map(|g| g.base_minor + g.tax_minor).sum::<i64>(), asked);
                for g in credit.iter() {
                    let l = limit.iter().find(|l| l.category == g.category).unwrap();
                    prop_assert!(g.base_minor >= 0 && g.tax_minor >= 0);
                    prop_assert!(g.base_minor <= l.base_minor && g.tax_minor <= l.tax_minor);
                    let exact = round_minor(Decimal::from(g.base_minor) * tax_rate(g.rate_bp)).unwrap();
                    prop_assert!((g.tax_minor - exact).abs() <= 1, "{:?}", g);
                }
            }
        }
    }
}
