//! Hand-worked examples (the arithmetic in comments) and properties of the
//! late-charge computations.

use super::*;
use proptest::prelude::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn pct(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn period(from: &str, to: &str, days: i64, unpaid: i64, percent: &str, amount: i64) -> PenaltyPeriod {
    PenaltyPeriod { from: d(from), to: d(to), days, unpaid_minor: unpaid, percent: pct(percent), amount_minor: amount }
}

#[test]
fn statutory_and_legal_rates_from_the_shipped_table() {
    let t = RateTable::shipped();
    assert_eq!(french_statutory_percent(&t, d("2025-03-10")), Ok(pct("13.15")));
    assert_eq!(french_statutory_percent(&t, d("2025-10-10")), Ok(pct("12.15")));
    assert_eq!(french_statutory_percent(&t, d("2026-02-01")), Ok(pct("12.15")));
    assert_eq!(french_legal_percent(&t, d("2024-03-01")), Ok(pct("5.07")));
    assert_eq!(french_legal_percent(&t, d("2024-09-01")), Ok(pct("4.92")));
    assert_eq!(french_legal_percent(&t, d("2025-03-01")), Ok(pct("3.71")));
    assert_eq!(french_legal_percent(&t, d("2025-09-01")), Ok(pct("2.76")));
    assert_eq!(french_legal_percent(&t, d("2026-03-01")), Ok(pct("2.62")));
}

#[test]
fn jurisdictions_round_trip() {
    for j in Jurisdiction::ALL {
        assert_eq!(Jurisdiction::parse(j.as_str()), Some(j));
    }
    assert_eq!(Jurisdiction::parse("uk"), None);
}

#[test]
fn french_penalties_per_half_year() {
    // EUR 10,000.00 incl. VAT due 31 May 2025, unpaid on 15 August 2025.
    // H1 2025: ECB 3.15 on 1 Jan -> 13.15 %; 1-30 June = 30 days:
    //   1,000,000 x 13.15 x 30 / 36,500 = 10,808.219 -> 10,808
    // H2 2025: ECB 2.15 on 1 Jul -> 12.15 %; 1 July-15 August = 46 days:
    //   1,000,000 x 12.15 x 46 / 36,500 = 15,312.329 -> 15,312
    // Total 26,120 = EUR 261.20.
    let t = RateTable::shipped();
    let exposure = Exposure::unpaid(d("2025-05-31"), 1_000_000);
    let p = french_penalties(&t, &exposure, d("2025-08-15"), None).unwrap();
    assert_eq!(
        p.periods,
        vec![
            period("2025-06-01", "2025-06-30", 30, 1_000_000, "13.15", 10_808),
            period("2025-07-01", "2025-08-15", 46, 1_000_000, "12.15", 15_312),
        ]
    );
    assert_eq!(p.total_minor, 26_120);
}

#[test]
fn a_part_payment_starts_a_new_period() {
    // Same invoice; EUR 4,000 paid on 16 July 2025 leaves 600,000.
    //   June: 30 days at 13.15 % on 1,000,000 = 10,808
    //   1-15 July: 1,000,000 x 12.15 x 15 / 36,500 = 4,993.151 -> 4,993
    //   16 July-15 August (31 days): 600,000 x 12.15 x 31 / 36,500 = 6,191.507 -> 6,192
    // Total 21,993.
    let t = RateTable::shipped();
    let exposure =
        Exposure { due_date: d("2025-05-31"), changes: vec![(d("2025-06-01"), 1_000_000), (d("2025-07-16"), 600_000)] };
    let p = french_penalties(&t, &exposure, d("2025-08-15"), None).unwrap();
    assert_eq!(
        p.periods,
        vec![
            period("2025-06-01", "2025-06-30", 30, 1_000_000, "13.15", 10_808),
            period("2025-07-01", "2025-07-15", 15, 1_000_000, "12.15", 4_993),
            period("2025-07-16", "2025-08-15", 31, 600_000, "12.15", 6_192),
        ]
    );
    assert_eq!(p.total_minor, 21_993);
    // Paid in full on 16 July: nothing runs after, whatever as_of.
    let paid = Exposure { changes: vec![(d("2025-07-16"), 0), (d("2025-06-01"), 1_000_000)], ..exposure };
    let p = french_penalties(&t, &paid, d("2025-12-31"), None).unwrap();
    assert_eq!(p.total_minor, 10_808 + 4_993);
    assert_eq!(p.periods.last().unwrap().to, d("2025-07-15"));
}

#[test]
fn the_new_year_splits_even_at_an_unchanged_rate() {
    // 1,000,000 due 15 Dec 2025: 16 days at 12.15 % = 5,326.03 -> 5,326;
    // 1-10 Jan 2026 at 12.15 % (ECB 2.15 on 1 Jan 2026) = 3,328.77 -> 3,329.
    let t = RateTable::shipped();
    let p = french_penalties(&t, &Exposure::unpaid(d("2025-12-15"), 1_000_000), d("2026-01-10"), None).unwrap();
    assert_eq!(
        p.periods,
        vec![
            period("2025-12-16", "2025-12-31", 16, 1_000_000, "12.15", 5_326),
            period("2026-01-01", "2026-01-10", 10, 1_000_000, "12.15", 3_329),
        ]
    );
}

#[test]
fn nothing_is_due_on_or_before_the_due_date() {
    let t = RateTable::shipped();
    let exposure = Exposure::unpaid(d("2025-05-31"), 1_000_000);
    assert_eq!(french_penalties(&t, &exposure, d("2025-05-31"), None), Ok(Penalty::default()));
    assert_eq!(uk_interest(&t, &exposure, d("2025-01-01")), Ok(Penalty::default()));
    // The first late day alone: 1,000,000 x 13.15 / 36,500 = 360.27 -> 360.
    assert_eq!(french_penalties(&t, &exposure, d("2025-06-01"), None).unwrap().total_minor, 360);
}

#[test]
fn a_contract_rate_is_checked_against_three_times_the_legal_rate() {
    let t = RateTable::shipped();
    // H1 2026: 3 x 2.62 = 7.86.
    assert_eq!(check_contract_rate(&t, pct("7.86"), d("2026-03-01")), Ok(()));
    assert_eq!(
        check_contract_rate(&t, pct("7.85"), d("2026-03-01")),
        Err(LateChargeError::ContractRateTooLow { contract: pct("7.85"), floor: pct("7.86") })
    );
    // H2 2026 is not published yet: refused, never read as 0.
    assert_eq!(
        check_contract_rate(&t, pct("20"), d("2026-09-01")),
        Err(LateChargeError::MissingRate { kind: RateKind::FrenchLegalProfessional, on: d("2026-07-01") })
    );
    // 12 % clears H1 2025 (floor 11.13) and H2 2025 (8.28):
    //   1,000,000 x 12 x 30 / 36,500 = 9,863.01 -> 9,863
    //   1,000,000 x 12 x 46 / 36,500 = 15,123.29 -> 15,123
    let exposure = Exposure::unpaid(d("2025-05-31"), 1_000_000);
    let p = french_penalties(&t, &exposure, d("2025-08-15"), Some(pct("12"))).unwrap();
    assert_eq!(p.total_minor, 9_863 + 15_123);
    assert!(p.periods.iter().all(|p| p.percent == pct("12")));
    // 10 % is under the H1 2025 floor.
    assert_eq!(
        french_penalties(&t, &exposure, d("2025-08-15"), Some(pct("10"))),
        Err(LateChargeError::ContractRateTooLow { contract: pct("10"), floor: pct("11.13") })
    );
}

#[test]
fn a_missing_half_year_rate_is_an_error_naming_it() {
    let t = RateTable::new(vec![RateRow {
        kind: RateKind::EcbMainRefinancing,
        valid_from: d("2025-06-11"),
        percent: pct("2.15"),
        source: "test".into(),
    }]);
    let err = french_penalties(&t, &Exposure::unpaid(d("2025-05-31"), 1_000_000), d("2025-08-15"), None).unwrap_err();
    assert_eq!(err, LateChargeError::MissingRate { kind: RateKind::EcbMainRefinancing, on: d("2025-01-01") });
    assert!(err.to_string().contains("2025-01-01"), "{err}");
    // A debt first late in H2 2025 needs only the 1 July value.
    assert!(french_penalties(&t, &Exposure::unpaid(d("2025-07-31"), 1_000_000), d("2025-08-15"), None).is_ok());
}

#[test]
fn uk_interest_keeps_its_rate_across_july() {
    // GBP 5,000 due 28 Feb 2025, late from 1 March: Bank Rate on
    // 31 Dec 2024 was 4.75 -> 12.75 % for the debt's whole life.
    // 1 March-31 August = 184 days: 500,000 x 12.75 x 184 / 36,500
    //   = 32,136.99 -> 32,137 (GBP 321.37), one period across 1 July.
    let t = RateTable::shipped();
    let exposure = Exposure::unpaid(d("2025-02-28"), 500_000);
    let p = uk_interest(&t, &exposure, d("2025-08-31")).unwrap();
    assert_eq!(p.periods, vec![period("2025-03-01", "2025-08-31", 184, 500_000, "12.75", 32_137)]);
    assert_eq!(p.total_minor, 32_137);
    // A part payment of GBP 2,000 on 1 May cuts the period, not the rate:
    //   61 days x 500,000 x 12.75 / 36,500 = 10,654.11 -> 10,654
    //   123 days x 300,000 x 12.75 / 36,500 = 12,889.73 -> 12,890
    let part = Exposure { changes: vec![(d("2025-03-01"), 500_000), (d("2025-05-01"), 300_000)], ..exposure };
    let p = uk_interest(&t, &part, d("2025-08-31")).unwrap();
    assert_eq!(
        p.periods,
        vec![
            period("2025-03-01", "2025-04-30", 61, 500_000, "12.75", 10_654),
            period("2025-05-01", "2025-08-31", 123, 300_000, "12.75", 12_890),
        ]
    );
    assert_eq!(p.total_minor, 23_544);
}

#[test]
fn uk_reference_dates() {
    let t = RateTable::shipped();
    assert_eq!(uk_reference_date(d("2025-03-01")), d("2024-12-31"));
    assert_eq!(uk_reference_date(d("2025-07-01")), d("2025-06-30"));
    assert_eq!(uk_reference_date(d("2025-06-30")), d("2024-12-31"));
    assert_eq!(uk_statutory_percent(&t, d("2025-07-15")), Ok(pct("12.25")));
    assert_eq!(uk_statutory_percent(&t, d("2026-01-05")), Ok(pct("11.75")));
    assert_eq!(
        uk_statutory_percent(&RateTable::default(), d("2026-01-05")),
        Err(LateChargeError::MissingRate { kind: RateKind::BoeBase, on: d("2025-12-31") })
    );
}

#[test]
fn recovery_indemnities() {
    use CustomerKind::{Business, Consumer};
    use Jurisdiction::{France, UnitedKingdom};
    let gbp = |minor: i64| -> Result<Option<Money>, LateChargeError> { Ok(Some(Money::new(minor, Currency::Gbp))) };
    assert_eq!(recovery_indemnity(France, Business, 12_000, Currency::Eur), Ok(Some(Money::new(4_000, Currency::Eur))));
    assert_eq!(recovery_indemnity(France, Business, 12_000, Currency::Usd), Ok(Some(Money::new(4_000, Currency::Eur))));
    assert_eq!(recovery_indemnity(UnitedKingdom, Business, 99_999, Currency::Gbp), gbp(4_000));
    assert_eq!(recovery_indemnity(UnitedKingdom, Business, 100_000, Currency::Gbp), gbp(7_000));
    assert_eq!(recovery_indemnity(UnitedKingdom, Business, 999_999, Currency::Gbp), gbp(7_000));
    assert_eq!(recovery_indemnity(UnitedKingdom, Business, 1_000_000, Currency::Gbp), gbp(10_000));
    assert_eq!(recovery_indemnity(France, Consumer, 12_000, Currency::Eur), Ok(None));
    assert_eq!(recovery_indemnity(UnitedKingdom, Consumer, 1_000_000, Currency::Gbp), Ok(None));
    assert_eq!(recovery_indemnity(France, Business, 0, Currency::Eur), Ok(None));
    assert_eq!(
        recovery_indemnity(UnitedKingdom, Business, 100_000, Currency::Eur),
        Err(LateChargeError::CurrencyMismatch { expected: Currency::Gbp, found: Currency::Eur })
    );
}

#[test]
fn prescription_dates() {
    use CustomerKind::{Business, Consumer};
    assert_eq!(prescription_date(d("2025-03-15"), Business, &[]), d("2030-03-15"));
    assert_eq!(prescription_date(d("2025-03-15"), Consumer, &[]), d("2027-03-15"));
    // 29 February has no twin five or two years on: 28 February.
    assert_eq!(prescription_date(d("2024-02-29"), Business, &[]), d("2029-02-28"));
    assert_eq!(prescription_date(d("2024-02-29"), Consumer, &[]), d("2026-02-28"));
    // Restarted from the latest interruption, in any order; one before the due date is ignored.
    let interruptions = [d("2027-01-10"), d("2025-01-01"), d("2026-06-01")];
    assert_eq!(prescription_date(d("2025-03-15"), Business, &interruptions), d("2032-01-10"));
    assert_eq!(prescription_date(d("2025-03-15"), Business, &[d("2025-01-01")]), d("2030-03-15"));
    assert_eq!(prescription_date(d("2025-03-15"), Business, &[d("2028-02-29")]), d("2033-02-28"));
    assert_eq!(prescription_date(d("2025-03-15"), Consumer, &[d("2026-02-01")]), d("2028-02-01"));
}

fn arb_exposure() -> impl Strategy<Value = (Exposure, NaiveDate)> {
    (0u64..1_400, 1i64..1_000_000_000, proptest::option::of((0u64..400, 0i64..1_000_000_000)), 1u64..800).prop_map(
        |(due, amount, payment, late)| {
            let due_date = d("2023-01-01").checked_add_days(chrono::Days::new(due)).unwrap();
            let first = due_date.succ_opt().unwrap();
            let mut changes = vec![(first, amount)];
            if let Some((after, left)) = payment {
                changes.push((first.checked_add_days(chrono::Days::new(after)).unwrap(), left.min(amount)));
            }
            (Exposure { due_date, changes }, due_date.checked_add_days(chrono::Days::new(late)).unwrap())
        },
    )
}

proptest! {
    #[test]
    fn french_periods_tile_the_unpaid_days((exposure, as_of) in arb_exposure()) {
        let p = french_penalties(&RateTable::shipped(), &exposure, as_of, None).unwrap();
        prop_assert_eq!(p.total_minor, p.periods.iter().map(|p| p.amount_minor).sum::<i64>());
        let mut previous_to: Option<NaiveDate> = None;
        for period in &p.periods {
            prop_assert!(period.from > exposure.due_date && period.to <= as_of && period.from <= period.to);
            prop_assert_eq!(half_year_start(period.from), half_year_start(period.to));
            prop_assert_eq!(period.days, (period.to - period.from).num_days() + 1);
            prop_assert!(period.unpaid_minor > 0 && period.amount_minor >= 0);
            if let Some(to) = previous_to {
                prop_assert!(period.from > to);
            }
            previous_to = Some(period.to);
        }
        // Every charged day is a day with something unpaid, and back.
        let charged: i64 = p.periods.iter().map(|p| p.days).sum();
        let mut unpaid_days = 0;
        let mut day = exposure.due_date.succ_opt().unwrap();
        while day <= as_of {
            let unpaid = exposure.changes.iter().filter(|(date, _)| *date <= day).max_by_key(|(date, _)| *date).map_or(0, |(_, m)| *m);
            if unpaid > 0 {
                unpaid_days += 1;
            }
            day = day.succ_opt().unwrap();
        }
        prop_assert_eq!(charged, unpaid_days);
    }

    #[test]
    fn charges_never_shrink_as_time_passes((exposure, as_of) in arb_exposure(), more in 1u64..400) {
        let t = RateTable::shipped();
        let later = as_of.checked_add_days(chrono::Days::new(more)).unwrap();
        let fr = |until| french_penalties(&t, &exposure, until, None).unwrap().total_minor;
        let uk = |until| uk_interest(&t, &exposure, until).unwrap().total_minor;
        prop_assert!(fr(later) >= fr(as_of));
        prop_assert!(uk(later) >= uk(as_of));
    }

    #[test]
    fn uk_rate_is_fixed_for_the_debt((exposure, as_of) in arb_exposure()) {
        let t = RateTable::shipped();
        let p = uk_interest(&t, &exposure, as_of).unwrap();
        let expected = uk_statutory_percent(&t, exposure.due_date.succ_opt().unwrap()).unwrap();
        prop_assert!(p.periods.iter().all(|period| period.percent == expected));
        prop_assert_eq!(p.total_minor, p.periods.iter().map(|p| p.amount_minor).sum::<i64>());
    }
}
