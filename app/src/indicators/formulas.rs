//! The indicators' formulas, pure: the queries (`ssr.rs`) read a month's
//! inputs, these turn them into figures. Each is stated in the page's
//! tooltip (`Indicator::formula`), and each has its worked example below.
//!
//! Amounts are integer minor units; ratios are `Decimal`, rounded to one
//! decimal place only at the end.

use super::Indicator;
use rust_decimal::prelude::*;

/// What one month contributes to the indicators.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Month {
    /// Days counted: the month's, or those elapsed for the current one.
    pub days: i64,
    /// Invoices issued in the month (their totals).
    pub sales: i64,
    /// What open invoices owed at the month's end (the aging's total then).
    pub receivable: i64,
    /// Of that, not yet due at the month's end.
    pub current: i64,
    /// Invoices whose due date fell in the month (and has passed), and
    /// those of them settled by their due date.
    pub due: i64,
    pub on_time: i64,
    /// Promises whose date fell in the month and that are settled, and
    /// those kept.
    pub promises_settled: i64,
    pub promises_kept: i64,
    /// Invoices issued in the month, and those of them disputed since.
    pub issued: i64,
    pub disputed: i64,
    /// Disputes decided or closed in the month, and the seconds from their
    /// opening to that, summed.
    pub resolved: i64,
    pub resolution_seconds: i64,
}

fn dec(v: i64) -> Decimal {
    Decimal::from(v)
}

/// One decimal, always written (`31.0`, not `31`).
fn round(v: Decimal) -> Decimal {
    let mut v = v.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(1);
    v
}

/// `numerator / denominator × factor`, `None` when the denominator is not
/// positive (nothing to divide by: the figure does not exist that month).
fn ratio(numerator: i64, denominator: i64, factor: i64) -> Option<Decimal> {
    (denominator > 0).then(|| dec(numerator) * dec(factor) / dec(denominator))
}

/// DSO by the count-back method: the days of sales, counted back from the
/// month's end, that the receivable at that end amounts to. Whole months
/// while the receivable is larger than their sales, then the share of the
/// month that covers what is left. `history` is the month first, then the
/// months before it; `None` when even all of it does not cover the
/// receivable.
pub fn dso_count_back(receivable: i64, history: &[Month]) -> Option<Decimal> {
    let mut left = receivable.max(0);
    let mut days = Decimal::ZERO;
    for m in history {
        if left == 0 {
            return Some(days);
        }
        if m.sales >= left {
            return Some(days + dec(m.days) * dec(left) / dec(m.sales));
        }
        left -= m.sales.max(0);
        days += dec(m.days);
    }
    (left == 0).then_some(days)
}

/// Every indicator of `history[0]`, the month, in `Indicator::ALL`'s order;
/// `previous_receivable` is what was owed at the end of the month before.
pub fn figures(history: &[Month], previous_receivable: i64) -> Vec<Option<Decimal>> {
    let Some(m) = history.first().copied() else { return vec![None; Indicator::ALL.len()] };
    Indicator::ALL
        .into_iter()
        .map(|indicator| {
            let value = match indicator {
                Indicator::DsoCountBack => dso_count_back(m.receivable, history),
                Indicator::DsoSimple => ratio(m.receivable, m.sales, m.days),
                Indicator::BestPossibleDso => ratio(m.current, m.sales, m.days),
                Indicator::AverageDaysDelinquent => ratio(m.receivable - m.current, m.sales, m.days),
                Indicator::Cei => {
                    let start = previous_receivable + m.sales;
                    ratio(start - m.receivable, start - m.current, 100)
                }
                Indicator::PaidOnTime => ratio(m.on_time, m.due, 100),
                Indicator::PromisesKept => ratio(m.promises_kept, m.promises_settled, 100),
                Indicator::DisputeRate => ratio(m.disputed, m.issued, 100),
                Indicator::ResolutionDays => ratio(m.resolution_seconds, m.resolved * 86_400, 1),
            };
            value.map(round)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<Decimal> {
        Some(Decimal::from_str(s).unwrap())
    }

    /// The worked example of the API test (`server/tests/api/indicators.rs`),
    /// in major units: August sales 600, September 2,100, October 1,200;
    /// owed at the end of August 600 (all current), of September 2,700
    /// (2,100 current), of October 1,800 (1,200 current).
    fn months() -> (Month, Month, Month) {
        let aug = Month { days: 31, sales: 600, receivable: 600, current: 600, ..Default::default() };
        let sep = Month { days: 30, sales: 2_100, receivable: 2_700, current: 2_100, ..Default::default() };
        let oct = Month { days: 31, sales: 1_200, receivable: 1_800, current: 1_200, ..Default::default() };
        (aug, sep, oct)
    }

    #[test]
    fn count_back_takes_whole_months_then_the_share_of_the_last() {
        let (aug, sep, oct) = months();
        // October: 1,800 − 1,200 = 600 left after 31 days; September's
        // 2,100 covers it: 30 × 600 / 2,100 = 8.571… → 39.571…
        assert_eq!(dso_count_back(1_800, &[oct, sep, aug]).map(round), d("39.6"));
        // September: 2,700 − 2,100 = 600 after 30 days; August's 600 covers
        // it exactly: + 31 → 61.
        assert_eq!(dso_count_back(2_700, &[sep, aug]).map(round), d("61.0"));
        // Nothing owed: zero days. More owed than the history sold: none.
        assert_eq!(dso_count_back(0, &[oct]), Some(Decimal::ZERO));
        assert_eq!(dso_count_back(5_000, &[oct, sep, aug]), None);
        // A month without sales counts whole.
        let quiet = Month { days: 20, ..Default::default() };
        assert_eq!(dso_count_back(1_800, &[quiet, oct, sep, aug]).map(round), d("59.6"));
    }

    #[test]
    fn october_of_the_worked_example() {
        let (aug, sep, oct) = months();
        let f = figures(&[oct, sep, aug], sep.receivable);
        let at = |i: Indicator| f[Indicator::ALL.iter().position(|x| *x == i).unwrap()];
        assert_eq!(at(Indicator::DsoCountBack), d("39.6"));
        // 1,800 / 1,200 × 31
        assert_eq!(at(Indicator::DsoSimple), d("46.5"));
        // 1,200 / 1,200 × 31
        assert_eq!(at(Indicator::BestPossibleDso), d("31.0"));
        // 46.5 − 31
        assert_eq!(at(Indicator::AverageDaysDelinquent), d("15.5"));
        // (2,700 + 1,200 − 1,800) / (2,700 + 1,200 − 1,200) = 2,100 / 2,700
        assert_eq!(at(Indicator::Cei), d("77.8"));
        // Nothing counted for the rates: no figure rather than zero.
        assert_eq!(at(Indicator::PaidOnTime), None);
        assert_eq!(at(Indicator::ResolutionDays), None);
    }

    #[test]
    fn rates_and_resolution_time() {
        let m = Month {
            days: 31,
            due: 2,
            on_time: 1,
            promises_settled: 3,
            promises_kept: 2,
            issued: 2,
            disputed: 1,
            resolved: 2,
            resolution_seconds: 10 * 86_400 + 5 * 86_400 + 43_200,
            ..Default::default()
        };
        let f = figures(&[m], 0);
        let at = |i: Indicator| f[Indicator::ALL.iter().position(|x| *x == i).unwrap()];
        assert_eq!(at(Indicator::PaidOnTime), d("50.0"));
        assert_eq!(at(Indicator::PromisesKept), d("66.7"));
        assert_eq!(at(Indicator::DisputeRate), d("50.0"));
        // (10 + 5.5) / 2
        assert_eq!(at(Indicator::ResolutionDays), d("7.8"));
        // No sales: no simple DSO, no CEI when nothing was owed or sold.
        assert_eq!(at(Indicator::DsoSimple), None);
        assert_eq!(at(Indicator::Cei), None);
    }
}
