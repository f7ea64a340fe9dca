//! The arithmetic of an invoice or credit note being drafted: its lines, their
//! VAT categories, the totals and the legal mentions they call for. Pure (no
//! I/O), shared by the server and the browser. Amounts are integer minor
//! units, rates basis points, and every intermediate figure a `Decimal`.

use super::ledger::{tax_rate, tax_rate_percent};
use super::money::{round_minor, MoneyError};
use super::Locale;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The VAT treatment of a line, as a French business chooses it. Each maps to
/// an EN 16931 VAT category code (UNCL5305) and a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatCategory {
    /// Standard rate, 20 % (S).
    #[serde(rename = "standard_20")]
    Standard20,
    /// Intermediate rate, 10 % (S).
    #[serde(rename = "intermediate_10")]
    Intermediate10,
    /// Reduced rate, 5.5 % (S).
    #[serde(rename = "reduced_5_5")]
    Reduced5_5,
    /// Super-reduced rate, 2.1 % (S).
    #[serde(rename = "reduced_2_1")]
    Reduced2_1,
    /// Zero-rated goods (Z).
    Zero,
    /// Small-business VAT franchise, art. 293 B of the CGI (E).
    ExemptFranchise,
    /// Any other exemption (E).
    ExemptOther,
    /// The customer accounts for the VAT (AE).
    ReverseCharge,
    /// Intra-EU supply to a VAT-registered customer (K).
    IntraEu,
    /// Export outside the EU (G).
    Export,
}

impl VatCategory {
    /// Every category, in the order VAT breakdown groups are listed.
    pub const ALL: [VatCategory; 10] = [
        VatCategory::Standard20,
        VatCategory::Intermediate10,
        VatCategory::Reduced5_5,
        VatCategory::Reduced2_1,
        VatCategory::Zero,
        VatCategory::ExemptFranchise,
        VatCategory::ExemptOther,
        VatCategory::ReverseCharge,
        VatCategory::IntraEu,
        VatCategory::Export,
    ];

    /// (stable name, UNCL5305 code, rate in basis points, VATEX code) of the category.
    fn facts(self) -> (&'static str, &'static str, i32, Option<&'static str>) {
        match self {
            VatCategory::Standard20 => ("standard_20", "S", 2000, None),
            VatCategory::Intermediate10 => ("intermediate_10", "S", 1000, None),
            VatCategory::Reduced5_5 => ("reduced_5_5", "S", 550, None),
            VatCategory::Reduced2_1 => ("reduced_2_1", "S", 210, None),
            VatCategory::Zero => ("zero", "Z", 0, None),
            VatCategory::ExemptFranchise => ("exempt_franchise", "E", 0, Some("VATEX-FR-FRANCHISE")),
            VatCategory::ExemptOther => ("exempt_other", "E", 0, None),
            VatCategory::ReverseCharge => ("reverse_charge", "AE", 0, Some("VATEX-EU-AE")),
            VatCategory::IntraEu => ("intra_eu", "K", 0, Some("VATEX-EU-IC")),
            VatCategory::Export => ("export", "G", 0, Some("VATEX-EU-G")),
        }
    }

    /// The stable name used in storage and by serde ("standard_20", "intra_eu", ...).
    pub fn as_str(self) -> &'static str {
        self.facts().0
    }

    /// Reads back a name produced by [`VatCategory::as_str`].
    pub fn parse(s: &str) -> Option<VatCategory> {
        let s = s.trim();
        VatCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The EN 16931 VAT category code (UNCL5305): S, Z, E, AE, K or G.
    pub fn code(self) -> &'static str {
        self.facts().1
    }

    /// The VAT rate in basis points (2000 = 20 %); 0 for every category but S.
    pub fn rate_bp(self) -> i32 {
        self.facts().2
    }

    /// The VAT rate as a percentage: 20, 5.5, 0.
    pub fn rate_percent(self) -> Decimal {
        tax_rate_percent(self.rate_bp())
    }

    /// The VATEX exemption reason code for an e-invoice, when there is a precise one
    /// (none for [`VatCategory::ExemptOther`]: the reason is free text there).
    pub fn vatex(self) -> Option<&'static str> {
        self.facts().3
    }

    /// The legal mention the document must carry for this category (the
    /// exemption reason); `None` for taxed and zero-rated lines.
    pub fn mention(self, locale: Locale) -> Option<&'static str> {
        let (fr, en) = match self {
            VatCategory::ExemptFranchise => {
                ("TVA non applicable, art. 293 B du CGI", "VAT not applicable, art. 293 B of the French tax code")
            }
            VatCategory::ExemptOther => ("Exonération de TVA", "VAT exempt"),
            VatCategory::ReverseCharge => {
                ("Autoliquidation, art. 283-2 du CGI", "Reverse charge, art. 283-2 of the French tax code")
            }
            VatCategory::IntraEu => (
                "Exonération de TVA, art. 262 ter I du CGI",
                "VAT exempt intra-EU supply, art. 262 ter I of the French tax code",
            ),
            VatCategory::Export => {
                ("Exonération de TVA, art. 262 I du CGI", "VAT exempt export, art. 262 I of the French tax code")
            }
            VatCategory::Standard20
            | VatCategory::Intermediate10
            | VatCategory::Reduced5_5
            | VatCategory::Reduced2_1
            | VatCategory::Zero => return None,
        };
        Some(match locale {
            Locale::Fr => fr,
            Locale::En => en,
        })
    }

    /// Reads a category back from an e-invoice's code and rate (basis points),
    /// without exemption reason: an E line is [`VatCategory::ExemptOther`].
    pub fn from_code_rate(code: &str, rate_bp: i32) -> Option<VatCategory> {
        VatCategory::from_code_rate_vatex(code, rate_bp, None)
    }

    /// Reads a category back from an e-invoice's code, rate (basis points) and
    /// VATEX code: E with "VATEX-FR-FRANCHISE" is the franchise, any other E is
    /// [`VatCategory::ExemptOther`]. `None` for a code or rate Relance does not offer.
    pub fn from_code_rate_vatex(code: &str, rate_bp: i32, vatex: Option<&str>) -> Option<VatCategory> {
        let franchise = vatex.is_some_and(|v| v.trim().eq_ignore_ascii_case("VATEX-FR-FRANCHISE"));
        let category = match (code.trim().to_ascii_uppercase().as_str(), rate_bp) {
            ("S", 2000) => VatCategory::Standard20,
            ("S", 1000) => VatCategory::Intermediate10,
            ("S", 550) => VatCategory::Reduced5_5,
            ("S", 210) => VatCategory::Reduced2_1,
            ("Z", 0) => VatCategory::Zero,
            ("E", 0) if franchise => VatCategory::ExemptFranchise,
            ("E", 0) => VatCategory::ExemptOther,
            ("AE", 0) => VatCategory::ReverseCharge,
            ("K", 0) => VatCategory::IntraEu,
            ("G", 0) => VatCategory::Export,
            _ => return None,
        };
        Some(category)
    }
}

/// A percentage given in basis points, for display: 2000 -> "20", 550 ->
/// "5,5" in French and "5.5" in English. No sign is added.
pub fn format_percent(bp: i32, locale: Locale) -> String {
    let text = tax_rate_percent(bp).to_string();
    match locale {
        Locale::Fr => text.replace('.', ","),
        Locale::En => text,
    }
}

/// One line of a document being drafted. Prices exclude tax.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftLine {
    /// What is sold; must not be blank.
    pub description: String,
    /// Quantity in thousandths (1500 = 1.5); must be > 0.
    pub quantity_milli: i64,
    /// Free unit ("h", "pcs", "jour"), possibly empty.
    pub unit: String,
    /// Unit price excluding tax, in minor units; must be >= 0.
    pub unit_price_minor: i64,
    /// Line discount in basis points (1500 = 15 %), 0..=10000.
    pub discount_bp: i32,
    /// The line's VAT treatment.
    pub vat: VatCategory,
}

/// What is wrong with a draft line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineProblem {
    /// The description is empty or blank.
    EmptyDescription,
    /// The quantity is zero or negative.
    QuantityNotPositive,
    /// The unit price is negative.
    NegativePrice,
    /// The discount is outside 0..=100 %.
    DiscountOutOfRange,
}

impl LineProblem {
    /// The name of the line's field at fault: "description", "quantity", "unit_price" or "discount".
    pub fn field(self) -> &'static str {
        match self {
            LineProblem::EmptyDescription => "description",
            LineProblem::QuantityNotPositive => "quantity",
            LineProblem::NegativePrice => "unit_price",
            LineProblem::DiscountOutOfRange => "discount",
        }
    }
}

impl DraftLine {
    /// Everything wrong with the line, in field order; empty when it is valid.
    pub fn problems(&self) -> Vec<LineProblem> {
        let mut problems = Vec::new();
        if self.description.trim().is_empty() {
            problems.push(LineProblem::EmptyDescription);
        }
        if self.quantity_milli <= 0 {
            problems.push(LineProblem::QuantityNotPositive);
        }
        if self.unit_price_minor < 0 {
            problems.push(LineProblem::NegativePrice);
        }
        if !(0..=10_000).contains(&self.discount_bp) {
            problems.push(LineProblem::DiscountOutOfRange);
        }
        problems
    }

    /// The line's net amount (see [`line_net`]).
    pub fn net_minor(&self) -> Result<i64, MoneyError> {
        line_net(self.quantity_milli, self.unit_price_minor, self.discount_bp)
    }

    /// Whether [`compute`] accepts the line (the description is not its concern).
    fn computable(&self) -> bool {
        self.quantity_milli > 0 && self.unit_price_minor >= 0 && (0..=10_000).contains(&self.discount_bp)
    }
}

/// The problems of every line: (line index, field name, problem), in order.
pub fn check_lines(lines: &[DraftLine]) -> Vec<(usize, &'static str, LineProblem)> {
    lines.iter().enumerate().flat_map(|(i, l)| l.problems().into_iter().map(move |p| (i, p.field(), p))).collect()
}

/// A line's net amount in minor units: quantity × unit price × (1 − discount),
/// rounded once, half away from zero. A discount outside 0..=10000 bp is
/// `MoneyError::Invalid`; an amount beyond `i64` is `MoneyError::Overflow`.
pub fn line_net(quantity_milli: i64, unit_price_minor: i64, discount_bp: i32) -> Result<i64, MoneyError> {
    if !(0..=10_000).contains(&discount_bp) {
        return Err(MoneyError::Invalid);
    }
    let gross =
        Decimal::new(quantity_milli, 3).checked_mul(Decimal::from(unit_price_minor)).ok_or(MoneyError::Overflow)?;
    let kept = Decimal::new(i64::from(10_000 - discount_bp), 4);
    round_minor(gross.checked_mul(kept).ok_or(MoneyError::Overflow)?)
}

/// The amounts of one line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineTotals {
    /// Net amount excluding tax, minor units.
    pub net_minor: i64,
    /// The line's share of its group's VAT (for display), minor units.
    pub tax_minor: i64,
}

/// One VAT breakdown group: the lines of one category and rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatBreakdown {
    /// The group's category.
    pub category: VatCategory,
    /// The group's rate in basis points.
    pub rate_bp: i32,
    /// Sum of the group's line nets (taxable amount), minor units.
    pub base_minor: i64,
    /// The group's VAT: base × rate, rounded once, minor units.
    pub tax_minor: i64,
}

/// The totals of a document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// One entry per line, in the lines' order.
    pub lines: Vec<LineTotals>,
    /// The VAT breakdown groups present, in [`VatCategory::ALL`] order.
    pub vat: Vec<VatBreakdown>,
    /// Sum of the line nets (total excluding tax).
    pub subtotal_minor: i64,
    /// Sum of the groups' VAT.
    pub tax_minor: i64,
    /// Subtotal plus VAT (total including tax).
    pub total_minor: i64,
}

impl Totals {
    /// The legal mentions the document's VAT categories call for, in group order.
    pub fn mentions(&self, locale: Locale) -> Vec<&'static str> {
        self.vat.iter().filter_map(|g| g.category.mention(locale)).collect()
    }
}

/// Computes a document's totals with the EN 16931 rounding rule (BR-CO-17,
/// BR-S-09 and kin):
/// - each line net is rounded to the minor unit (see [`line_net`]);
/// - VAT is computed per breakdown group (same category and rate) on the sum
///   of that group's line nets, rounded once, half away from zero;
/// - the document's VAT is the sum of the groups' VAT, and
///   total = subtotal + VAT.
///
/// For display, each group's VAT is apportioned to its lines in proportion to
/// their nets by the largest-remainder method (ties to the earlier line), so
/// the lines' tax adds up exactly to the group's. Groups come in
/// [`VatCategory::ALL`] order. No lines give zero totals (requiring at least
/// one is the caller's business). A line with a non-positive quantity, a
/// negative price or a discount out of range is `MoneyError::Invalid`; the
/// description is not checked here (see [`DraftLine::problems`]).
pub fn compute(lines: &[DraftLine]) -> Result<Totals, MoneyError> {
    let mut nets = Vec::with_capacity(lines.len());
    for line in lines {
        if !line.computable() {
            return Err(MoneyError::Invalid);
        }
        nets.push(line.net_minor()?);
    }
    let mut line_taxes = vec![0_i64; lines.len()];
    let mut vat = Vec::new();
    for category in VatCategory::ALL {
        let members: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].vat == category).collect();
        if members.is_empty() {
            continue;
        }
        let member_nets: Vec<i64> = members.iter().map(|&i| nets[i]).collect();
        let base = checked_sum(member_nets.iter().copied())?;
        let rate_bp = category.rate_bp();
        let tax = round_minor(Decimal::from(base).checked_mul(tax_rate(rate_bp)).ok_or(MoneyError::Overflow)?)?;
        for (&i, share) in members.iter().zip(apportion(tax, &member_nets)) {
            line_taxes[i] = share;
        }
        vat.push(VatBreakdown { category, rate_bp, base_minor: base, tax_minor: tax });
    }
    let subtotal_minor = checked_sum(nets.iter().copied())?;
    let tax_minor = checked_sum(vat.iter().map(|g| g.tax_minor))?;
    let total_minor = subtotal_minor.checked_add(tax_minor).ok_or(MoneyError::Overflow)?;
    let lines = nets.into_iter().zip(line_taxes).map(|(net_minor, tax_minor)| LineTotals { net_minor, tax_minor });
    Ok(Totals { lines: lines.collect(), vat, subtotal_minor, tax_minor, total_minor })
}

fn checked_sum(values: impl IntoIterator<Item = i64>) -> Result<i64, MoneyError> {
    values.into_iter().try_fold(0_i64, |acc, v| acc.checked_add(v).ok_or(MoneyError::Overflow))
}

/// Shares `amount` (>= 0) out in proportion to `weights` (each >= 0) by the
/// largest-remainder method: floors first, then one unit each to the largest
/// remainders, ties to the earlier index. The shares sum exactly to `amount`.
/// With all weights zero the whole amount goes to the first share.
pub(crate) fn apportion(amount: i64, weights: &[i64]) -> Vec<i64> {
    let total_weight: i128 = weights.iter().map(|w| i128::from(*w)).sum();
    if total_weight <= 0 {
        let mut shares = vec![0; weights.len()];
        if let Some(first) = shares.first_mut() {
            *first = amount;
        }
        return shares;
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let product = i128::from(amount) * i128::from(*w);
        // 0 <= share <= amount since 0 <= w <= total_weight: it fits in i64.
        shares.push((product / total_weight) as i64);
        remainders.push((product % total_weight, i));
    }
    let leftover = amount - shares.iter().sum::<i64>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(usize::try_from(leftover).unwrap_or(0)) {
        shares[i] += 1;
    }
    shares
}

/// A discount offered for early payment (escompte), shown on the document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EarlyPaymentDiscount {
    /// The discount in basis points, 1..=10000 (200 = 2 %).
    pub percent_bp: i32,
    /// Paying within this many days of issue earns it, 1..=365.
    pub days: i32,
}

impl EarlyPaymentDiscount {
    /// The discount, when both figures are in range.
    pub fn new(percent_bp: i32, days: i32) -> Option<EarlyPaymentDiscount> {
        let discount = EarlyPaymentDiscount { percent_bp, days };
        discount.is_valid().then_some(discount)
    }

    /// Whether the percentage is in 1..=10000 bp and the days in 1..=365.
    pub fn is_valid(&self) -> bool {
        (1..=10_000).contains(&self.percent_bp) && (1..=365).contains(&self.days)
    }

    /// The mention for the document: "Escompte de 2 % pour paiement sous 10 jours."
    /// (no-break space before % in French) / "2% discount for payment within 10 days."
    pub fn mention(&self, locale: Locale) -> String {
        let pct = format_percent(self.percent_bp, locale);
        let days = self.days;
        let plural = if days > 1 { "s" } else { "" };
        match locale {
            Locale::Fr => format!("Escompte de {pct}\u{a0}% pour paiement sous {days} jour{plural}."),
            Locale::En => format!("{pct}% discount for payment within {days} day{plural}."),
        }
    }

    /// The last day that earns it: `days` after the issue date.
    pub fn deadline(&self, issue_date: chrono::NaiveDate) -> chrono::NaiveDate {
        issue_date + chrono::Duration::days(i64::from(self.days))
    }

    /// The discount on an amount in minor units, rounded half away from zero.
    pub fn discount_on(&self, amount_minor: i64) -> Result<i64, MoneyError> {
        round_minor(Decimal::from(amount_minor).checked_mul(tax_rate(self.percent_bp)).ok_or(MoneyError::Overflow)?)
    }
}

/// The mention for a document offering no early-payment discount.
pub fn no_discount_mention(locale: Locale) -> &'static str {
    match locale {
        Locale::Fr => "Pas d'escompte pour paiement anticipé.",
        Locale::En => "No discount for early payment.",
    }
}

/// Reads a user-typed non-negative number ("1 234,5", "0.125", ",5"): its
/// value and how many decimals were typed. Spaces group thousands; a comma
/// or a dot is the decimal separator.
fn parse_decimal(input: &str) -> Option<(Decimal, usize)> {
    let cleaned: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    if cleaned.len() > 30 || !cleaned.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let (int_part, frac_part) = cleaned.split_once('.').unwrap_or((cleaned.as_str(), ""));
    if frac_part.contains('.') || (int_part.is_empty() && frac_part.is_empty()) {
        return None;
    }
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let text = if frac_part.is_empty() { int_part.to_string() } else { format!("{int_part}.{frac_part}") };
    let value: Decimal = text.parse().ok()?;
    Some((value, frac_part.len()))
}

/// Parses a quantity into thousandths: "1" -> 1000, "2,5" / "2.5" -> 2500,
/// "0.125" -> 125, "1 000" -> 1000000. `None` for more than 3 decimals,
/// zero, a negative or anything that is not a number.
pub fn parse_quantity(input: &str) -> Option<i64> {
    let (value, decimals) = parse_decimal(input)?;
    if decimals > 3 {
        return None;
    }
    let milli: i64 = value.checked_mul(Decimal::from(1000_i64))?.trunc().try_into().ok()?;
    (milli > 0).then_some(milli)
}

/// Parses a percentage between 0 and 100 into basis points: "20" -> 2000,
/// "5,5" -> 550, "2.1" -> 210, "15 %" -> 1500, blank -> 0. `None` for more
/// than 2 decimals, more than 100 %, a negative or anything else.
pub fn parse_percent_bp(input: &str) -> Option<i32> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Some(0);
    }
    let (value, decimals) = parse_decimal(trimmed.strip_suffix('%').unwrap_or(trimmed))?;
    if decimals > 2 {
        return None;
    }
    let bp: i64 = value.checked_mul(Decimal::from(100_i64))?.trunc().try_into().ok()?;
    if !(0..=10_000).contains(&bp) {
        return None;
    }
    i32::try_from(bp).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::line_amounts;
    use proptest::prelude::*;

    const S20: VatCategory = VatCategory::Standard20;
    const R55: VatCategory = VatCategory::Reduced5_5;

    fn line(quantity_milli: i64, unit_price_minor: i64, discount_bp: i32, vat: VatCategory) -> DraftLine {
        let (description, unit) = ("Prestation".to_string(), "h".to_string());
        DraftLine { description, quantity_milli, unit, unit_price_minor, discount_bp, vat }
    }

    #[test]
    fn single_line_at_20_percent() {
        // 3 × 33.33 € = 99.99 € net; 99.99 × 20 % = 19.998 -> 20.00 €; 119.99 € in all.
        let t = compute(&[line(3000, 3333, 0, S20)]).unwrap();
        assert_eq!((t.subtotal_minor, t.tax_minor, t.total_minor), (9999, 2000, 11_999));
        assert_eq!(t.lines, vec![LineTotals { net_minor: 9999, tax_minor: 2000 }]);
        assert_eq!(t.vat, vec![VatBreakdown { category: S20, rate_bp: 2000, base_minor: 9999, tax_minor: 2000 }]);
    }

    #[test]
    fn vat_is_rounded_per_group_not_per_line() {
        // Two lines of 1 × 1.00 € at 5.5 %: line by line, 0.055 -> 0.06 each, 0.12 in all;
        // the group rule gives 2.00 × 5.5 % = 0.11 €, and it is the one applied.
        let lines = [line(1000, 100, 0, R55), line(1000, 100, 0, R55)];
        let per_line: i64 =
            lines.iter().map(|l| line_amounts(l.quantity_milli, l.unit_price_minor, 550).unwrap().1).sum();
        assert_eq!(per_line, 12);
        let t = compute(&lines).unwrap();
        assert_eq!((t.subtotal_minor, t.tax_minor, t.total_minor), (200, 11, 211));
        assert_eq!(t.vat.len(), 1);
        // 0.11 shared out: 5.5 cents each, a tie, so the first line takes the extra cent.
        assert_eq!(t.lines.iter().map(|l| l.tax_minor).collect::<Vec<_>>(), vec![6, 5]);
    }

    #[test]
    fn line_discount_is_applied_before_a_single_rounding() {
        // 1.5 × 12.99 € = 19.485 €, less 15 % = 16.56225 € -> 16.56 €
        // (rounding 19.485 to 19.49 first would give 16.5665 -> 16.57 €).
        assert_eq!(line_net(1500, 1299, 1500), Ok(1656));
        // 16.56 × 20 % = 3.312 -> 3.31 €.
        let t = compute(&[line(1500, 1299, 1500, S20)]).unwrap();
        assert_eq!((t.subtotal_minor, t.tax_minor, t.total_minor), (1656, 331, 1987));
        assert_eq!(line_net(1000, 1, 5000), Ok(1), "half a cent rounds away from zero");
        assert_eq!(line_net(2000, 4990, 10_000), Ok(0));
        assert_eq!(line_net(1000, 100, 10_001), Err(MoneyError::Invalid));
        assert_eq!(line_net(1000, 100, -1), Err(MoneyError::Invalid));
        assert_eq!(line_net(i64::MAX, i64::MAX, 0), Err(MoneyError::Overflow));
    }

    #[test]
    fn exempt_lines_carry_no_vat_but_a_mention() {
        let lines = [line(10_000, 5000, 0, VatCategory::ExemptFranchise), line(1000, 3333, 0, S20)];
        let t = compute(&lines).unwrap();
        assert_eq!(t.lines[0], LineTotals { net_minor: 50_000, tax_minor: 0 });
        // 33.33 × 20 % = 6.666 -> 6.67 €.
        assert_eq!(t.lines[1], LineTotals { net_minor: 3333, tax_minor: 667 });
        let order: Vec<VatCategory> = t.vat.iter().map(|g| g.category).collect();
        assert_eq!(order, vec![S20, VatCategory::ExemptFranchise], "groups follow VatCategory::ALL");
        assert_eq!((t.subtotal_minor, t.tax_minor, t.total_minor), (53_333, 667, 54_000));
        assert_eq!(t.mentions(Locale::Fr), vec!["TVA non applicable, art. 293 B du CGI"]);
        assert_eq!(t.mentions(Locale::En), vec!["VAT not applicable, art. 293 B of the French tax code"]);
        for c in VatCategory::ALL {
            let exempt = c.code() != "S" && c != VatCategory::Zero;
            assert_eq!(c.mention(Locale::Fr).is_some(), exempt, "{c:?}");
            assert_eq!(c.mention(Locale::En).is_some(), exempt, "{c:?}");
            assert!(c.code() == "S" || c.rate_bp() == 0);
        }
    }

    #[test]
    fn group_vat_is_apportioned_by_largest_remainder() {
        // Nets 1.00, 2.00 and 3.00 € at 5.5 %: 6.00 × 5.5 % = 0.33 €. Exact shares
        // 5.5, 11 and 16.5 cents; floors 5 + 11 + 16 = 32; the last cent goes to
        // the first of the two equal remainders.
        let t = compute(&[line(1000, 100, 0, R55), line(2000, 100, 0, R55), line(1000, 300, 0, R55)]).unwrap();
        assert_eq!(t.tax_minor, 33);
        assert_eq!(t.lines.iter().map(|l| l.tax_minor).collect::<Vec<_>>(), vec![6, 11, 16]);
        assert_eq!(apportion(1, &[1, 1, 1]), vec![1, 0, 0]);
        assert_eq!(apportion(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(apportion(10, &[1, 2, 7]), vec![1, 2, 7]);
        assert_eq!(apportion(7, &[0, 0]), vec![7, 0]);
        assert_eq!(apportion(0, &[]), Vec::<i64>::new());
    }

    #[test]
    fn no_lines_give_zero_totals_and_bad_lines_are_refused() {
        assert_eq!(compute(&[]), Ok(Totals::default()));
        assert_eq!(compute(&[line(0, 100, 0, S20)]), Err(MoneyError::Invalid));
        assert_eq!(compute(&[line(1000, -1, 0, S20)]), Err(MoneyError::Invalid));
        assert_eq!(compute(&[line(1000, 1, 10_001, S20)]), Err(MoneyError::Invalid));
        let mut bad = line(0, -5, 10_001, S20);
        bad.description = "  ".to_string();
        use LineProblem::{DiscountOutOfRange, EmptyDescription, NegativePrice, QuantityNotPositive};
        assert_eq!(bad.problems(), vec![EmptyDescription, QuantityNotPositive, NegativePrice, DiscountOutOfRange]);
        assert!(line(1000, 0, 0, S20).problems().is_empty(), "a free line is fine");
        let found = check_lines(&[line(1000, 1, 0, S20), bad]);
        assert_eq!(found.len(), 4);
        assert_eq!(found[0], (1, "description", EmptyDescription));
        assert_eq!(found[3], (1, "discount", DiscountOutOfRange));
    }

    #[test]
    fn categories_round_trip_and_read_back_from_e_invoices() {
        for c in VatCategory::ALL {
            assert_eq!(VatCategory::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{}\"", c.as_str()));
            assert_eq!(VatCategory::from_code_rate_vatex(c.code(), c.rate_bp(), c.vatex()), Some(c));
        }
        assert_eq!(VatCategory::parse("standard"), None);
        assert_eq!(VatCategory::from_code_rate("S", 2000), Some(S20));
        assert_eq!(VatCategory::from_code_rate(" s ", 550), Some(R55));
        assert_eq!(VatCategory::from_code_rate("S", 1900), None);
        assert_eq!(VatCategory::from_code_rate("E", 0), Some(VatCategory::ExemptOther));
        assert_eq!(VatCategory::from_code_rate("E", 2000), None);
        assert_eq!(VatCategory::from_code_rate("AE", 0), Some(VatCategory::ReverseCharge));
        assert_eq!(VatCategory::from_code_rate("O", 0), None);
        let franchise = VatCategory::from_code_rate_vatex("E", 0, Some("vatex-fr-franchise"));
        assert_eq!(franchise, Some(VatCategory::ExemptFranchise));
        assert_eq!(R55.rate_percent().to_string(), "5.5");
        assert_eq!(S20.rate_percent().to_string(), "20");
    }

    #[test]
    fn early_payment_mentions() {
        let two = EarlyPaymentDiscount::new(200, 10).unwrap();
        assert_eq!(two.mention(Locale::Fr), "Escompte de 2\u{a0}% pour paiement sous 10 jours.");
        assert_eq!(two.mention(Locale::En), "2% discount for payment within 10 days.");
        let one_and_a_half = EarlyPaymentDiscount { percent_bp: 150, days: 1 };
        assert_eq!(one_and_a_half.mention(Locale::Fr), "Escompte de 1,5\u{a0}% pour paiement sous 1 jour.");
        assert_eq!(one_and_a_half.mention(Locale::En), "1.5% discount for payment within 1 day.");
        // 2 % of 119.99 € = 2.3998 -> 2.40 €.
        assert_eq!(two.discount_on(11_999), Ok(240));
        let issued = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(two.deadline(issued), chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
        assert_eq!(EarlyPaymentDiscount::new(0, 10), None);
        assert_eq!(EarlyPaymentDiscount::new(200, 366), None);
        assert_eq!(no_discount_mention(Locale::Fr), "Pas d'escompte pour paiement anticipé.");
        assert_eq!(no_discount_mention(Locale::En), "No discount for early payment.");
    }

    #[test]
    fn parses_quantities_and_percentages() {
        assert_eq!(parse_quantity("1"), Some(1000));
        assert_eq!(parse_quantity("2.5"), Some(2500));
        assert_eq!(parse_quantity(" 2,5 "), Some(2500));
        assert_eq!(parse_quantity("0.125"), Some(125));
        assert_eq!(parse_quantity("1 000"), Some(1_000_000));
        assert_eq!(parse_quantity("1\u{202f}000,5"), Some(1_000_500));
        assert_eq!(parse_quantity(",5"), Some(500));
        for bad in ["0", "0,000", "-1", "1.0005", "", "abc", "1.2.3", "1e3", ".", "+1"] {
            assert_eq!(parse_quantity(bad), None, "{bad:?}");
        }
        assert_eq!(parse_percent_bp("20"), Some(2000));
        assert_eq!(parse_percent_bp("5,5"), Some(550));
        assert_eq!(parse_percent_bp("2.1"), Some(210));
        assert_eq!(parse_percent_bp("15 %"), Some(1500));
        assert_eq!(parse_percent_bp("100"), Some(10_000));
        assert_eq!(parse_percent_bp(""), Some(0));
        assert_eq!(parse_percent_bp("  "), Some(0));
        for bad in ["2.125", "100.01", "-5", "x", "%"] {
            assert_eq!(parse_percent_bp(bad), None, "{bad:?}");
        }
        assert_eq!(format_percent(550, Locale::Fr), "5,5");
        assert_eq!(format_percent(2000, Locale::En), "20");
    }

    fn arb_line() -> impl Strategy<Value = DraftLine> {
        let category = (0..VatCategory::ALL.len()).prop_map(|i| VatCategory::ALL[i]);
        (1i64..100_000, 0i64..10_000_000, 0i32..=10_000, category).prop_map(|(q, p, d, vat)| line(q, p, d, vat))
    }

    proptest! {
        /// Subtotal, VAT and total agree with the lines and groups, each group's
        /// VAT is within half a minor unit of the exact figure, each line's share
        /// within one unit of its exact share, and nothing is negative.
        #[test]
        fn totals_are_consistent(lines in proptest::collection::vec(arb_line(), 0..30)) {
            let t = compute(&lines).unwrap();
            prop_assert_eq!(t.lines.len(), lines.len());
            for (l, lt) in lines.iter().zip(&t.lines) {
                prop_assert_eq!(lt.net_minor, line_net(l.quantity_milli, l.unit_price_minor, l.discount_bp).unwrap());
                prop_assert!(lt.net_minor >= 0 && lt.tax_minor >= 0);
            }
            prop_assert_eq!(t.subtotal_minor, t.lines.iter().map(|l| l.net_minor).sum::<i64>());
            prop_assert_eq!(t.tax_minor, t.vat.iter().map(|g| g.tax_minor).sum::<i64>());
            prop_assert_eq!(t.tax_minor, t.lines.iter().map(|l| l.tax_minor).sum::<i64>());
            prop_assert_eq!(t.total_minor, t.subtotal_minor + t.tax_minor);
            prop_assert!(t.subtotal_minor >= 0 && t.tax_minor >= 0 && t.total_minor >= 0);
            let positions: Vec<usize> =
                t.vat.iter().map(|g| VatCategory::ALL.iter().position(|c| *c == g.category).unwrap()).collect();
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "groups in ALL order, each once");
            for g in &t.vat {
                let members: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].vat == g.category).collect();
                prop_assert!(!members.is_empty());
                prop_assert_eq!(g.rate_bp, g.category.rate_bp());
                prop_assert_eq!(g.base_minor, members.iter().map(|&i| t.lines[i].net_minor).sum::<i64>());
                prop_assert_eq!(g.tax_minor, members.iter().map(|&i| t.lines[i].tax_minor).sum::<i64>());
                prop_assert!(g.base_minor >= 0 && g.tax_minor >= 0);
                let exact = Decimal::from(g.base_minor) * tax_rate(g.rate_bp);
                prop_assert!((Decimal::from(g.tax_minor) - exact).abs() <= Decimal::new(5, 1));
                if g.base_minor > 0 {
                    for &i in &members {
                        let share = Decimal::from(g.tax_minor) * Decimal::from(t.lines[i].net_minor)
                            / Decimal::from(g.base_minor);
                        prop_assert!((Decimal::from(t.lines[i].tax_minor) - share).abs() < Decimal::ONE);
                    }
                }
            }
        }

        /// A 100 % discount leaves nothing to pay, whatever the quantity and price.
        #[test]
        fn full_discount_gives_zero_net(q in 1i64..100_000, p in 0i64..10_000_000, vat in 0usize..10) {
            prop_assert_eq!(line_net(q, p, 10_000), Ok(0));
            let t = compute(&[line(q, p, 10_000, VatCategory::ALL[vat])]).unwrap();
            prop_assert_eq!((t.subtotal_minor, t.tax_minor, t.total_minor), (0, 0, 0));
        }

        /// A quantity written with a comma or a dot and three decimals reads back exactly.
        #[test]
        fn quantity_round_trips(milli in 1i64..1_000_000_000_000, comma in any::<bool>()) {
            let sep = if comma { ',' } else { '.' };
            let text = format!("{}{sep}{:03}", milli / 1000, milli % 1000);
            prop_assert_eq!(parse_quantity(&text), Some(milli));
        }
    }
}
