//! A draft invoice's form, parsed once, and the rules of issuing that need
//! no database: which lines count, which dates are allowed, what an
//! invoice or credit note is numbered.

use super::{DraftForm, LineForm};
use crate::domain::document::{parse_percent_bp, parse_quantity, DraftLine, EarlyPaymentDiscount, VatCategory};
use crate::domain::{Currency, Money, Note};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// At most this many lines on one invoice.
pub const MAX_LINES: usize = 200;

/// A draft as the form describes it, every field checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// `None`: the day it is issued.
    pub issue_date: Option<NaiveDate>,
    /// `None`: from the account's payment terms.
    pub due_date: Option<NaiveDate>,
    pub discount: Option<EarlyPaymentDiscount>,
    pub note: Note,
    pub lines: Vec<DraftLine>,
}

impl LineForm {
    /// A row left blank (the form offers a few spare ones).
    fn is_blank(&self) -> bool {
        [&self.description, &self.quantity, &self.unit, &self.unit_price, &self.discount]
            .iter()
            .all(|s| s.trim().is_empty())
    }

    /// The form row of a stored line.
    pub fn of(line: &DraftLine, currency: Currency) -> LineForm {
        LineForm {
            description: line.description.clone(),
            quantity: Decimal::new(line.quantity_milli, 3).normalize().to_string(),
            unit: line.unit.clone(),
            unit_price: Money::new(line.unit_price_minor, currency).to_decimal().to_string(),
            discount: if line.discount_bp == 0 {
                String::new()
            } else {
                Decimal::new(i64::from(line.discount_bp), 2).normalize().to_string()
            },
            vat: line.vat.as_str().to_string(),
        }
    }
}

fn parse_date(field: &str, input: &str, problems: &mut Vec<(String, Msg)>) -> Option<NaiveDate> {
    let input = input.trim();
    if input.is_empty() {
        return None;
    }
    match NaiveDate::parse_from_str(input, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            problems.push((field.to_string(), Msg::InvalidDate));
            None
        }
    }
}

impl TryFrom<(DraftForm, Currency)> for Draft {
    type Error = AppError;

    fn try_from((f, currency): (DraftForm, Currency)) -> AppResult<Draft> {
        let mut problems: Vec<(String, Msg)> = Vec::new();
        let issue_date = parse_date("issue_date", &f.issue_date, &mut problems);
        let due_date = parse_date("due_date", &f.due_date, &mut problems);
        if let (Some(issued), Some(due)) = (issue_date, due_date) {
            if due < issued {
                problems.push(("due_date".into(), Msg::DueBeforeIssue));
            }
        }
        let discount = match (f.discount_percent.trim(), f.discount_days.trim()) {
            ("", "") => None,
            (percent, days) => {
                let found = parse_percent_bp(percent)
                    .zip(days.parse::<i32>().ok())
                    .and_then(|(bp, days)| EarlyPaymentDiscount::new(bp, days));
                if found.is_none() {
                    problems.push(("discount".into(), Msg::EarlyDiscountInvalid));
                }
                found
            }
        };
        let note = match Note::parse_max("note", &f.note, 2000) {
            Ok(n) => n,
            Err(_) => {
                problems.push(("note".into(), Msg::TooLong));
                Note::default()
            }
        };
        let mut lines = Vec::new();
        for (i, row) in f.lines.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
            let field = |name: &str| format!("lines.{i}.{name}");
            let description = row.description.trim();
            if description.is_empty() {
                problems.push((field("description"), Msg::RequiredField));
            } else if description.chars().count() > 500 {
                problems.push((field("description"), Msg::TooLong));
            }
            let quantity = parse_quantity(&row.quantity);
            if quantity.is_none() {
                problems.push((field("quantity"), Msg::QuantityInvalid));
            }
            let price = Money::parse_major(&row.unit_price, currency).ok().filter(|m| m.minor >= 0);
            if price.is_none() {
                problems.push((field("unit_price"), Msg::AmountInvalid));
            }
            let discount = parse_percent_bp(&row.discount);
            if discount.is_none() {
                problems.push((field("discount"), Msg::PercentInvalid));
            }
            let vat = VatCategory::parse(row.vat.trim());
            if vat.is_none() {
                problems.push((field("vat"), Msg::InvalidInput));
            }
            if let (Some(q), Some(p), Some(d), Some(v)) = (quantity, price, discount, vat) {
                lines.push(DraftLine {
                    description: description.to_string(),
                    quantity_milli: q,
                    unit: row.unit.trim().chars().take(20).collect(),
                    unit_price_minor: p.minor,
                    discount_bp: d,
                    vat: v,
                });
            }
        }
        if f.lines.iter().all(LineForm::is_blank) {
            problems.push(("lines".into(), Msg::NoLines));
        } else if lines.len() > MAX_LINES {
            problems.push(("lines".into(), Msg::TooManyLines));
        }
        // The totals must fit: checked now, not at issue.
        if problems.is_empty() && crate::domain::document::compute(&lines).is_err() {
            problems.push(("lines".into(), Msg::AmountInvalid));
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        Ok(Draft { issue_date, due_date, discount, note, lines })
    }
}

/// A numbered series of documents: each year starts again at 1 and never
/// skips a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    Invoice,
    CreditNote,
}

impl Series {
    pub fn as_str(self) -> &'static str {
        match self {
            Series::Invoice => "invoice",
            Series::CreditNote => "credit_note",
        }
    }

    /// `F-2026-` or `AV-2026-` (avoir).
    pub fn prefix(self, year: i32) -> String {
        match self {
            Series::Invoice => format!("F-{year}-"),
            Series::CreditNote => format!("AV-{year}-"),
        }
    }

    /// `F-2026-00042`.
    pub fn number(self, year: i32, n: i64) -> String {
        format!("{}{n:05}", self.prefix(year))
    }

    /// The sequence of a number of this series and year, if it is one.
    pub fn sequence_of(self, year: i32, number: &str) -> Option<i64> {
        let rest = number.strip_prefix(&self.prefix(year))?;
        (!rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())).then(|| rest.parse().ok()).flatten()
    }
}

/// Whether a number has the shape of Relance's own series (`F-2026-00042`,
/// `AV-2026-00001`): an imported invoice may not take one, or the series
/// would meet it later.
pub fn is_own_number(number: &str) -> bool {
    let rest = number.strip_prefix("F-").or_else(|| number.strip_prefix("AV-"));
    rest.and_then(|r| r.split_once('-')).is_some_and(|(year, n)| {
        year.len() == 4
            && year.bytes().all(|b| b.is_ascii_digit())
            && !n.is_empty()
            && n.bytes().all(|b| b.is_ascii_digit())
    })
}

/// How often a recurring invoice comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Monthly,
    Quarterly,
    Yearly,
}

impl Frequency {
    pub const ALL: [Frequency; 3] = [Frequency::Monthly, Frequency::Quarterly, Frequency::Yearly];

    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Monthly => "monthly",
            Frequency::Quarterly => "quarterly",
            Frequency::Yearly => "yearly",
        }
    }

    pub fn parse(s: &str) -> Option<Frequency> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    fn months(self) -> u32 {
        match self {
            Frequency::Monthly => 1,
            Frequency::Quarterly => 3,
            Frequency::Yearly => 12,
        }
    }

    /// The date of occurrence `n` (0: the start): counted from the start,
    /// so a schedule starting on the 31st falls on each month's last day
    /// and comes back to the 31st, never drifting.
    pub fn occurrence(self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        start.checked_add_months(chrono::Months::new(self.months().checked_mul(n)?))
    }
}

/// The date an invoice is issued under: the draft's, or today. Never in
/// the future; never before the last one of its series (numbers follow
/// dates).
pub fn issue_date(asked: Option<NaiveDate>, today: NaiveDate, last: Option<NaiveDate>) -> AppResult<NaiveDate> {
    let date = asked.unwrap_or(today);
    if date > today {
        return Err(AppError::field("issue_date", Msg::IssueDateInFuture));
    }
    if last.is_some_and(|last| date < last) {
        return Err(AppError::field("issue_date", Msg::IssueDateBeforeLast));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(description: &str, quantity: &str, price: &str, vat: &str) -> LineForm {
        LineForm {
            description: description.into(),
            quantity: quantity.into(),
            unit: "h".into(),
            unit_price: price.into(),
            discount: String::new(),
            vat: vat.into(),
        }
    }

    fn form(lines: Vec<LineForm>) -> DraftForm {
        DraftForm {
            issue_date: "2026-12-01".into(),
            due_date: String::new(),
            discount_percent: String::new(),
            discount_days: String::new(),
            note: "Merci".into(),
            lines,
        }
    }

    #[test]
    fn parses_lines_and_skips_blank_rows() {
        let d = Draft::try_from((
            form(vec![
                line("Conseil", "2,5", "120", "standard_20"),
                LineForm::default(),
                line("Livre", "1", "19.90", "reduced_5_5"),
            ]),
            Currency::Eur,
        ))
        .unwrap();
        assert_eq!(d.issue_date, NaiveDate::from_ymd_opt(2026, 12, 1));
        assert_eq!(d.lines.len(), 2);
        assert_eq!(d.lines[0].quantity_milli, 2500);
        assert_eq!(d.lines[0].unit_price_minor, 12_000);
        assert_eq!(d.lines[1].vat, VatCategory::Reduced5_5);
        // And back to the form as typed.
        let row = LineForm::of(&d.lines[0], Currency::Eur);
        assert_eq!((row.quantity.as_str(), row.unit_price.as_str()), ("2.5", "120.00"));
    }

    #[test]
    fn every_bad_field_is_named_by_its_row() {
        let bad = DraftForm {
            due_date: "2026-11-01".into(),
            discount_percent: "2".into(),
            discount_days: "".into(),
            lines: vec![LineForm::default(), line("", "0", "-5", "standard_19"), line("Ok", "1", "abc", "zero")],
            ..form(vec![])
        };
        let Err(AppError::Validation(fields)) = Draft::try_from((bad, Currency::Eur)) else { panic!("accepted") };
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "due_date",
                "discount",
                "lines.1.description",
                "lines.1.quantity",
                "lines.1.unit_price",
                "lines.1.vat",
                "lines.2.unit_price"
            ]
        );
        let Err(AppError::Validation(fields)) = Draft::try_from((form(vec![LineForm::default()]), Currency::Eur))
        else {
            panic!("accepted")
        };
        assert_eq!(fields, [("lines".to_string(), Msg::NoLines)]);
    }

    #[test]
    fn yen_have_no_cents() {
        let err = Draft::try_from((form(vec![line("Item", "1", "10.5", "zero")]), Currency::Jpy)).unwrap_err();
        assert_eq!(err, AppError::field("lines.0.unit_price", Msg::AmountInvalid));
    }

    #[test]
    fn occurrences_count_from_the_start() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let start = d(2026, 1, 31);
        let monthly: Vec<_> = (0..4).map(|n| Frequency::Monthly.occurrence(start, n).unwrap()).collect();
        assert_eq!(monthly, [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 30)]);
        assert_eq!(Frequency::Quarterly.occurrence(start, 1), Some(d(2026, 4, 30)));
        assert_eq!(Frequency::Yearly.occurrence(d(2024, 2, 29), 1), Some(d(2025, 2, 28)));
        assert_eq!(Frequency::parse("weekly"), None);
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(Series::Invoice.number(2026, 42), "F-2026-00042");
        assert_eq!(Series::CreditNote.number(2027, 1), "AV-2027-00001");
        assert_eq!(Series::Invoice.sequence_of(2026, "F-2026-00042"), Some(42));
        assert_eq!(Series::Invoice.sequence_of(2026, "F-2026-123456"), Some(123_456));
        assert_eq!(Series::Invoice.sequence_of(2026, "F-2025-00042"), None);
        assert_eq!(Series::Invoice.sequence_of(2026, "F-2026-A1"), None);
        let d = |day| NaiveDate::from_ymd_opt(2026, 12, day).unwrap();
        assert_eq!(issue_date(None, d(2), Some(d(1))).unwrap(), d(2));
        assert_eq!(issue_date(Some(d(1)), d(2), Some(d(1))).unwrap(), d(1));
        assert_eq!(
            issue_date(Some(d(3)), d(2), None).unwrap_err(),
            AppError::field("issue_date", Msg::IssueDateInFuture)
        );
        assert_eq!(
            issue_date(Some(d(1)), d(3), Some(d(2))).unwrap_err(),
            AppError::field("issue_date", Msg::IssueDateBeforeLast)
        );
    }
}
