//! Late-payment charges and prescription by the law of each account: French
//! penalties (L441-10) and EUR 40 indemnity, UK statutory interest and fixed
//! sums (1998 Act), and when a debt is time-barred. Rates are data (`rates`).

use super::company::CustomerKind;
use super::money::{round_minor, Currency, Money};
use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use std::fmt;

mod rates;
pub use rates::{shipped_rates, RateKind, RateRow, RateTable};

/// Whose law governs an account's late charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Jurisdiction {
    France,
    UnitedKingdom,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 2] = [Jurisdiction::France, Jurisdiction::UnitedKingdom];

    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::France => "fr",
            Jurisdiction::UnitedKingdom => "gb",
        }
    }

    pub fn parse(s: &str) -> Option<Jurisdiction> {
        let s = s.trim();
        Jurisdiction::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

/// Why late charges could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LateChargeError {
    /// No rate of `kind` is known for `on`: the first day of the half-year
    /// needing it (France) or the Act's reference date (UK). Never read as 0.
    MissingRate { kind: RateKind, on: NaiveDate },
    /// A contract rate under 3 x the French legal rate (professional).
    ContractRateTooLow { contract: Decimal, floor: Decimal },
    /// The fixed sum is defined in another currency than the debt's.
    CurrencyMismatch { expected: Currency, found: Currency },
    /// An amount beyond what the arithmetic can carry.
    Overflow,
}

impl fmt::Display for LateChargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LateChargeError::MissingRate { kind, on } => {
                write!(f, "no {} is recorded for {on}; add it to the rate table", kind.label())
            }
            LateChargeError::ContractRateTooLow { contract, floor } => write!(
                f,
                "the contract rate of {contract} % is below the legal floor of {floor} % (3 x the legal interest rate)"
            ),
            LateChargeError::CurrencyMismatch { expected, found } => {
                write!(f, "this fixed sum is defined in {expected}, the debt is in {found}")
            }
            LateChargeError::Overflow => f.write_str("amount out of range"),
        }
    }
}

impl std::error::Error for LateChargeError {}

/// Points over the ECB rate for the French statutory penalty (L441-10).
fn french_margin() -> Decimal {
    Decimal::from(10)
}

/// Points over Bank Rate for UK statutory interest (SI 1998/2765).
fn uk_margin() -> Decimal {
    Decimal::from(8)
}

/// 1 January or 1 July of the half-year containing `date`.
fn half_year_start(date: NaiveDate) -> NaiveDate {
    let month = if date.month() <= 6 { 1 } else { 7 };
    NaiveDate::from_ymd_opt(date.year(), month, 1).unwrap_or(date)
}

fn next_half_year_start(date: NaiveDate) -> Option<NaiveDate> {
    if date.month() <= 6 {
        NaiveDate::from_ymd_opt(date.year(), 7, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    }
}

/// The French statutory penalty rate for the half-year containing `date`:
/// the ECB rate in force on 1 January (first half) or 1 July (second half),
/// plus 10 points. This is also the rate B2B invoices must print.
pub fn french_statutory_percent(table: &RateTable, date: NaiveDate) -> Result<Decimal, LateChargeError> {
    let reference = half_year_start(date);
    let row = table
        .in_force(RateKind::EcbMainRefinancing, reference)
        .ok_or(LateChargeError::MissingRate { kind: RateKind::EcbMainRefinancing, on: reference })?;
    Ok(row.percent + french_margin())
}

/// The French legal interest rate (professional) of the half-year containing
/// `date`. An arrêté fixes it for each half-year, so an older row is not
/// carried over: it would only mean the new arrêté has not been entered.
pub fn french_legal_percent(table: &RateTable, date: NaiveDate) -> Result<Decimal, LateChargeError> {
    let start = half_year_start(date);
    match table.in_force(RateKind::FrenchLegalProfessional, date) {
        Some(row) if row.valid_from >= start => Ok(row.percent),
        _ => Err(LateChargeError::MissingRate { kind: RateKind::FrenchLegalProfessional, on: start }),
    }
}

/// Refuses a contract penalty rate below 3 x the French legal rate
/// (professional) of the half-year containing `on` (L441-10).
pub fn check_contract_rate(table: &RateTable, contract_percent: Decimal, on: NaiveDate) -> Result<(), LateChargeError> {
    let floor = french_legal_percent(table, on)? * Decimal::from(3);
    if contract_percent < floor {
        return Err(LateChargeError::ContractRateTooLow { contract: contract_percent, floor });
    }
    Ok(())
}

/// A late debt over time. From each change's date (inclusive) the unpaid
/// amount incl. VAT is that many minor units, until the next change; before
/// the first change nothing is unpaid. The first change is normally on the
/// day after `due_date` with the invoice's unpaid amount; a part payment is a
/// later, lower change, and 0 means paid. Order does not matter; of two
/// changes on one day the one listed last wins; a negative amount (a credit)
/// counts as 0.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exposure {
    pub due_date: NaiveDate,
    pub changes: Vec<(NaiveDate, i64)>,
}

impl Exposure {
    /// A debt of `unpaid_minor` left wholly unpaid after `due_date`.
    pub fn unpaid(due_date: NaiveDate, unpaid_minor: i64) -> Exposure {
        Exposure { due_date, changes: vec![(due_date.succ_opt().unwrap_or(due_date), unpaid_minor)] }
    }
}

/// Days `from..=to` charged at one unpaid amount and one rate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PenaltyPeriod {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub days: i64,
    pub unpaid_minor: i64,
    pub percent: Decimal,
    pub amount_minor: i64,
}

/// Late charges and their breakdown, in the debt's minor units.
///
/// Each period's amount is `unpaid x percent / 100 x days / 365`, rounded
/// half away from zero to a minor unit; the total is the sum of the rounded
/// periods, so the printed breakdown (and an injonction de payer petition
/// built on it) adds up to the cent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Penalty {
    pub total_minor: i64,
    pub periods: Vec<PenaltyPeriod>,
}

/// Days `from..=to` over which the unpaid amount (and, when asked, the
/// half-year) stays the same.
struct Stretch {
    from: NaiveDate,
    to: NaiveDate,
    unpaid: i64,
}

/// The charged stretches from the day after the due date to `as_of`
/// inclusive, cut at each change of the unpaid amount (and at 1 January and
/// 1 July when `split_half_years`); stretches with nothing unpaid are left out.
fn stretches(exposure: &Exposure, as_of: NaiveDate, split_half_years: bool) -> Vec<Stretch> {
    let Some(first_late) = exposure.due_date.succ_opt() else { return Vec::new() };
    if as_of < first_late {
        return Vec::new();
    }
    let mut changes = exposure.changes.clone();
    changes.sort_by_key(|(date, _)| *date);
    let unpaid_on = |day: NaiveDate| {
        changes.iter().take_while(|(date, _)| *date <= day).last().map_or(0, |(_, minor)| (*minor).max(0))
    };

    let mut starts: Vec<NaiveDate> =
        changes.iter().map(|(date, _)| *date).filter(|date| *date > first_late && *date <= as_of).collect();
    if split_half_years {
        let mut next = next_half_year_start(first_late);
        while let Some(boundary) = next.filter(|b| *b <= as_of) {
            starts.push(boundary);
            next = next_half_year_start(boundary);
        }
    }
    starts.push(first_late);
    starts.sort();
    starts.dedup();

    let mut out: Vec<Stretch> = Vec::with_capacity(starts.len());
    for (i, from) in starts.iter().copied().enumerate() {
        let to = match starts.get(i + 1) {
            Some(next) => next.pred_opt().unwrap_or(*next),
            None => as_of,
        };
        let unpaid = unpaid_on(from);
        // A change to the same amount is no change: one period, one rounding.
        let extends = out.last().is_some_and(|last| {
            last.unpaid == unpaid && (!split_half_years || half_year_start(last.from) == half_year_start(from))
        });
        if !extends {
            out.push(Stretch { from, to, unpaid });
        } else if let Some(last) = out.last_mut() {
            last.to = to;
        }
    }
    out.retain(|stretch| stretch.unpaid > 0);
    out
}

/// `unpaid x percent / 100 x days / 365`, multiplied out first and divided
/// once so no digit is lost before the single rounding.
fn period_amount(unpaid: i64, percent: Decimal, days: i64) -> Result<i64, LateChargeError> {
    let numerator = Decimal::from(unpaid)
        .checked_mul(percent)
        .and_then(|x| x.checked_mul(Decimal::from(days)))
        .ok_or(LateChargeError::Overflow)?;
    let value = numerator.checked_div(Decimal::from(36_500)).ok_or(LateChargeError::Overflow)?;
    round_minor(value).map_err(|_| LateChargeError::Overflow)
}

fn charge(
    list: Vec<Stretch>,
    mut percent_for: impl FnMut(&Stretch) -> Result<Decimal, LateChargeError>,
) -> Result<Penalty, LateChargeError> {
    let mut penalty = Penalty { total_minor: 0, periods: Vec::with_capacity(list.len()) };
    for stretch in list {
        let percent = percent_for(&stretch)?;
        let days = stretch.to.signed_duration_since(stretch.from).num_days() + 1;
        let amount_minor = period_amount(stretch.unpaid, percent, days)?;
        penalty.total_minor = penalty.total_minor.checked_add(amount_minor).ok_or(LateChargeError::Overflow)?;
        penalty.periods.push(PenaltyPeriod {
            from: stretch.from,
            to: stretch.to,
            days,
            unpaid_minor: stretch.unpaid,
            percent,
            amount_minor,
        });
    }
    Ok(penalty)
}

/// French B2B late-payment penalties (L441-10) from the day after the due
/// date up to and including `as_of`, split at each half-year and each change
/// of the unpaid amount. Without a contract rate, each half-year takes the
/// statutory rate ([`french_statutory_percent`]); a contract rate is checked
/// against the floor of every half-year it is applied in.
pub fn french_penalties(
    table: &RateTable,
    exposure: &Exposure,
    as_of: NaiveDate,
    contract_percent: Option<Decimal>,
) -> Result<Penalty, LateChargeError> {
    charge(stretches(exposure, as_of, true), |stretch| match contract_percent {
        Some(contract) => check_contract_rate(table, contract, stretch.from).map(|()| contract),
        None => french_statutory_percent(table, stretch.from),
    })
}

/// The 1998 Act's reference date for a debt whose interest starts on
/// `first_late_day`: 31 December before a start in January-June, 30 June
/// before a start in July-December.
pub fn uk_reference_date(first_late_day: NaiveDate) -> NaiveDate {
    let year = first_late_day.year();
    let reference = if first_late_day.month() <= 6 {
        NaiveDate::from_ymd_opt(year - 1, 12, 31)
    } else {
        NaiveDate::from_ymd_opt(year, 6, 30)
    };
    reference.unwrap_or(NaiveDate::MIN)
}

/// UK statutory interest rate of a debt first late on `first_late_day`:
/// Bank Rate on the reference date plus 8 points, fixed for the debt's life.
pub fn uk_statutory_percent(table: &RateTable, first_late_day: NaiveDate) -> Result<Decimal, LateChargeError> {
    let reference = uk_reference_date(first_late_day);
    let row = table
        .in_force(RateKind::BoeBase, reference)
        .ok_or(LateChargeError::MissingRate { kind: RateKind::BoeBase, on: reference })?;
    Ok(row.percent + uk_margin())
}

/// UK statutory interest (simple, per day over 365) from the day after the
/// due date up to and including `as_of`. Unlike France the rate never moves,
/// so periods are cut only where the unpaid amount changes.
pub fn uk_interest(table: &RateTable, exposure: &Exposure, as_of: NaiveDate) -> Result<Penalty, LateChargeError> {
    let list = stretches(exposure, as_of, false);
    let Some(first_late) = exposure.due_date.succ_opt() else { return Ok(Penalty::default()) };
    if list.is_empty() {
        return Ok(Penalty::default());
    }
    let percent = uk_statutory_percent(table, first_late)?;
    charge(list, |_| Ok(percent))
}

/// The fixed sum owed for a late debt: France (D441-5) EUR 40 per invoice;
/// UK (1998 Act s.5A) GBP 40 under GBP 1,000, GBP 70 under GBP 10,000, GBP
/// 100 from GBP 10,000. `debt_minor` is the debt itself (the invoice incl.
/// VAT), not what remains: the sum is owed once payment is late, even after a
/// part or full late payment. Consumers owe none (`None`), nor does a
/// non-positive debt.
///
/// The French sum is in euros whatever the invoice's currency; the UK bands
/// are in sterling, so a UK debt in another currency is refused rather than
/// banded on a number of the wrong unit.
pub fn recovery_indemnity(
    jurisdiction: Jurisdiction,
    customer: CustomerKind,
    debt_minor: i64,
    currency: Currency,
) -> Result<Option<Money>, LateChargeError> {
    match customer {
        CustomerKind::Consumer => return Ok(None),
        CustomerKind::Business => {}
    }
    if debt_minor <= 0 {
        return Ok(None);
    }
    match jurisdiction {
        Jurisdiction::France => Ok(Some(Money::new(4_000, Currency::Eur))),
        Jurisdiction::UnitedKingdom => {
            if currency != Currency::Gbp {
                return Err(LateChargeError::CurrencyMismatch { expected: Currency::Gbp, found: currency });
            }
            let sum = match debt_minor {
                m if m < 100_000 => 4_000,
                m if m < 1_000_000 => 7_000,
                _ => 10_000,
            };
            Ok(Some(Money::new(sum, Currency::Gbp)))
        }
    }
}

/// The last day a court claim or the debtor's acknowledgement still stops
/// prescription; the debt is time-barred from the next day. 5 years for a
/// business debtor (Code de commerce L110-4), 2 for a consumer (Code de la
/// consommation L218-2), from the due date or the latest interruption after
/// it (Code civil 2231: a new period of the same length). A reminder or a
/// formal demand is not an interruption and must not be passed here.
///
/// The period ends on the same day of the month, or the month's last day
/// when there is none (29 February -> 28 February). It is not pushed to the
/// next working day: the earlier date is the safe one to act by. Not
/// modelled: a court claim's interruption lasting until the proceedings end
/// (Code civil 2242), and case law starting a consumer's period at the
/// invoice or at completion of the works rather than the due date.
pub fn prescription_date(due_date: NaiveDate, customer: CustomerKind, interruptions: &[NaiveDate]) -> NaiveDate {
    let years: u32 = match customer {
        CustomerKind::Business => 5,
        CustomerKind::Consumer => 2,
    };
    let start = interruptions.iter().copied().filter(|date| *date > due_date).max().unwrap_or(due_date);
    start.checked_add_months(Months::new(12 * years)).unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests;
