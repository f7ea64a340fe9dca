//! The reference rates late charges are computed from (ECB main refinancing,
//! French legal interest, Bank of England Bank Rate): a table of dated rows,
//! each naming its source, and the official values Relance ships with.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The published reference rates the formulas need.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateKind {
    /// ECB main refinancing operations rate (fixed-rate tenders).
    EcbMainRefinancing,
    /// French "taux de l'intérêt légal", column "tous les autres cas"
    /// (creditors acting for professional needs), fixed per half-year.
    FrenchLegalProfessional,
    /// Bank of England Bank Rate (the Act's "official dealing rate").
    BoeBase,
}

impl RateKind {
    pub const ALL: [RateKind; 3] = [RateKind::EcbMainRefinancing, RateKind::FrenchLegalProfessional, RateKind::BoeBase];

    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RateKind::EcbMainRefinancing => "ecb_mro",
            RateKind::FrenchLegalProfessional => "fr_legal_professional",
            RateKind::BoeBase => "boe_base",
        }
    }

    pub fn parse(s: &str) -> Option<RateKind> {
        let s = s.trim();
        RateKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A name for messages ("ECB main refinancing rate").
    pub fn label(self) -> &'static str {
        match self {
            RateKind::EcbMainRefinancing => "ECB main refinancing rate",
            RateKind::FrenchLegalProfessional => "French legal interest rate (professional creditors)",
            RateKind::BoeBase => "Bank of England Bank Rate",
        }
    }
}

/// One published value: `percent` applies from `valid_from` until the next
/// row of the same kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateRow {
    pub kind: RateKind,
    pub valid_from: NaiveDate,
    pub percent: Decimal,
    /// Where the figure comes from (official publication or URL).
    pub source: String,
}

/// The reference rates known to the application.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateTable {
    rows: Vec<RateRow>,
}

impl RateTable {
    /// Rows in any order. Of two rows of one kind on one date, the one listed
    /// last wins (an owner's correction appended after the shipped value).
    pub fn new(mut rows: Vec<RateRow>) -> RateTable {
        rows.sort_by_key(|row| (row.kind, row.valid_from));
        RateTable { rows }
    }

    /// The table of [`shipped_rates`].
    pub fn shipped() -> RateTable {
        RateTable::new(shipped_rates())
    }

    /// Rows by kind, then date.
    pub fn rows(&self) -> &[RateRow] {
        &self.rows
    }

    /// The row of `kind` in force on `date`: the latest with `valid_from <= date`.
    pub fn in_force(&self, kind: RateKind, date: NaiveDate) -> Option<&RateRow> {
        // max_by_key keeps the last of equal keys: the stable sort put the
        // row listed last there.
        self.rows.iter().filter(|row| row.kind == kind && row.valid_from <= date).max_by_key(|row| row.valid_from)
    }
}

const BANQUE_DE_FRANCE: &str =
    "Banque de France, key ECB interest rates by date of effect, https://www.banque-france.fr/en/policy-rates";

/// ECB main refinancing operations rate at each change since December 2022.
/// Checked unchanged at the decisions of 24 July 2025, 18 December 2025 and
/// 5 February 2026; later decisions must be added as they are published.
const ECB_MRO: &[(&str, &str, &str)] = &[
    ("2022-12-21", "2.50", BANQUE_DE_FRANCE),
    ("2023-02-08", "3.00", BANQUE_DE_FRANCE),
    ("2023-03-22", "3.50", BANQUE_DE_FRANCE),
    ("2023-05-10", "3.75", BANQUE_DE_FRANCE),
    ("2023-06-21", "4.00", BANQUE_DE_FRANCE),
    ("2023-08-02", "4.25", BANQUE_DE_FRANCE),
    ("2023-09-20", "4.50", BANQUE_DE_FRANCE),
    ("2024-06-12", "4.25", BANQUE_DE_FRANCE),
    ("2024-09-18", "3.65", BANQUE_DE_FRANCE),
    ("2024-10-23", "3.40", BANQUE_DE_FRANCE),
    (
        "2024-12-18",
        "3.15",
        "ECB press release, monetary policy decisions of 12 December 2024 (effective 18 December 2024)",
    ),
    (
        "2025-02-05",
        "2.90",
        "ECB press release, monetary policy decisions of 30 January 2025 (effective 5 February 2025)",
    ),
    ("2025-03-12", "2.65", "ECB press release, monetary policy decisions of 6 March 2025 (effective 12 March 2025)"),
    ("2025-04-23", "2.40", "ECB press release, monetary policy decisions of 17 April 2025 (effective 23 April 2025)"),
    ("2025-06-11", "2.15", "ECB press release, monetary policy decisions of 5 June 2025 (effective 11 June 2025)"),
];

/// French legal interest rate, "tous les autres cas" (professional
/// creditors), per half-year. The second half of 2026 is left out until
/// its arrêté is published.
const FR_LEGAL_PROFESSIONAL: &[(&str, &str, &str)] = &[
    ("2023-01-01", "2.06", "Arrêté fixant le taux de l'intérêt légal pour le premier semestre 2023 (JORF)"),
    (
        "2023-07-01",
        "4.22",
        "Arrêté du 27 juin 2023 relatif à la fixation du taux de l'intérêt légal (ECOT2317028A), JORF du 30 juin 2023",
    ),
    ("2024-01-01", "5.07", "Arrêté du 21 décembre 2023 relatif à la fixation du taux de l'intérêt légal (JORF)"),
    ("2024-07-01", "4.92", "Arrêté du 26 juin 2024 relatif à la fixation du taux de l'intérêt légal (JORF)"),
    ("2025-01-01", "3.71", "Arrêté fixant le taux de l'intérêt légal pour le premier semestre 2025 (JORF)"),
    (
        "2025-07-01",
        "2.76",
        "Arrêté du 19 juin 2025 relatif à la fixation du taux de l'intérêt légal (ECOT2516925A), JORF du 24 juin 2025",
    ),
    (
        "2026-01-01",
        "2.62",
        "Arrêté du 15 décembre 2025 relatif à la fixation du taux de l'intérêt légal, JORF n° 0302 du 26 décembre 2025",
    ),
];

/// Bank of England Bank Rate at each change since December 2022, dated on
/// the announcement (the day it takes effect). Checked unchanged at the
/// decisions of 5 February and 19 March 2026.
const BOE_BANK_RATE: &[(&str, &str, &str)] = &[
    ("2022-12-15", "3.50", "Bank of England, Monetary Policy Summary, 15 December 2022"),
    ("2023-02-02", "4.00", "Bank of England, Monetary Policy Summary, 2 February 2023"),
    ("2023-03-23", "4.25", "Bank of England, Monetary Policy Summary, 23 March 2023"),
    ("2023-05-11", "4.50", "Bank of England, Monetary Policy Summary, 11 May 2023"),
    ("2023-06-22", "5.00", "Bank of England, Monetary Policy Summary, 22 June 2023"),
    ("2023-08-03", "5.25", "Bank of England, Monetary Policy Summary, 3 August 2023"),
    ("2024-08-01", "5.00", "Bank of England, Monetary Policy Summary, 1 August 2024"),
    ("2024-11-07", "4.75", "Bank of England, Monetary Policy Summary, 7 November 2024"),
    ("2025-02-06", "4.50", "Bank of England, Monetary Policy Summary, 6 February 2025"),
    ("2025-05-08", "4.25", "Bank of England, Monetary Policy Summary, 8 May 2025"),
    ("2025-08-07", "4.00", "Bank of England, Monetary Policy Summary, 7 August 2025"),
    ("2025-12-18", "3.75", "Bank of England, Monetary Policy Summary, 18 December 2025"),
];

/// The official values Relance ships with, each with its source, for an
/// owner to extend as new rates are published.
pub fn shipped_rates() -> Vec<RateRow> {
    let tables = [
        (RateKind::EcbMainRefinancing, ECB_MRO),
        (RateKind::FrenchLegalProfessional, FR_LEGAL_PROFESSIONAL),
        (RateKind::BoeBase, BOE_BANK_RATE),
    ];
    tables
        .into_iter()
        .flat_map(|(kind, rows)| {
            rows.iter().map(move |(valid_from, percent, source)| RateRow {
                kind,
                // Static data, all read by the tests below.
                valid_from: NaiveDate::parse_from_str(valid_from, "%Y-%m-%d").expect("a shipped date"),
                percent: percent.parse().expect("a shipped percentage"),
                source: (*source).to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn pct(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn shipped_rates_in_force_on_the_reference_dates() {
        let t = RateTable::shipped();
        let at = |kind, s: &str| t.in_force(kind, d(s)).map(|row| row.percent);
        // ECB on 1 January / 1 July.
        assert_eq!(at(RateKind::EcbMainRefinancing, "2023-01-01"), Some(pct("2.50")));
        assert_eq!(at(RateKind::EcbMainRefinancing, "2023-07-01"), Some(pct("4.00")));
        assert_eq!(at(RateKind::EcbMainRefinancing, "2024-01-01"), Some(pct("4.50")));
        assert_eq!(at(RateKind::EcbMainRefinancing, "2024-07-01"), Some(pct("4.25")));
        assert_eq!(at(RateKind::EcbMainRefinancing, "2025-01-01"), Some(pct("3.15")));
        assert_eq!(at(RateKind::EcbMainRefinancing, "2025-07-01"), Some(pct("2.15")));
        assert_eq!(at(RateKind::EcbMainRefinancing, "2026-01-01"), Some(pct("2.15")));
        // Bank Rate on 31 December / 30 June.
        assert_eq!(at(RateKind::BoeBase, "2022-12-31"), Some(pct("3.50")));
        assert_eq!(at(RateKind::BoeBase, "2023-06-30"), Some(pct("5.00")));
        assert_eq!(at(RateKind::BoeBase, "2023-12-31"), Some(pct("5.25")));
        assert_eq!(at(RateKind::BoeBase, "2024-06-30"), Some(pct("5.25")));
        assert_eq!(at(RateKind::BoeBase, "2024-12-31"), Some(pct("4.75")));
        assert_eq!(at(RateKind::BoeBase, "2025-06-30"), Some(pct("4.25")));
        assert_eq!(at(RateKind::BoeBase, "2025-12-31"), Some(pct("3.75")));
    }

    #[test]
    fn every_shipped_row_is_sourced_and_unique() {
        let rows = shipped_rates();
        assert_eq!(rows.len(), ECB_MRO.len() + FR_LEGAL_PROFESSIONAL.len() + BOE_BANK_RATE.len());
        for row in &rows {
            assert!(!row.source.trim().is_empty(), "{row:?}");
            assert!(row.percent > Decimal::ZERO && row.percent < Decimal::from(20), "{row:?}");
            let same = rows.iter().filter(|r| r.kind == row.kind && r.valid_from == row.valid_from).count();
            assert_eq!(same, 1, "{row:?}");
        }
        assert!(FR_LEGAL_PROFESSIONAL.iter().all(|(date, _, _)| date.ends_with("-01-01") || date.ends_with("-07-01")));
    }

    #[test]
    fn in_force_takes_the_latest_row_and_the_last_listed_on_a_tie() {
        let row = |date: &str, percent: &str, source: &str| RateRow {
            kind: RateKind::EcbMainRefinancing,
            valid_from: d(date),
            percent: pct(percent),
            source: source.to_string(),
        };
        let t = RateTable::new(vec![
            row("2025-06-11", "2.15", "a"),
            row("2024-12-18", "3.15", "b"),
            row("2025-06-11", "2.20", "fix"),
        ]);
        assert_eq!(t.in_force(RateKind::EcbMainRefinancing, d("2024-12-17")), None);
        assert_eq!(t.in_force(RateKind::EcbMainRefinancing, d("2024-12-18")).unwrap().source, "b");
        assert_eq!(t.in_force(RateKind::EcbMainRefinancing, d("2025-06-10")).unwrap().source, "b");
        assert_eq!(t.in_force(RateKind::EcbMainRefinancing, d("2030-01-01")).unwrap().source, "fix");
        assert_eq!(t.in_force(RateKind::BoeBase, d("2030-01-01")), None);
        assert!(t.rows().windows(2).all(|w| w[0].valid_from <= w[1].valid_from));
    }

    #[test]
    fn rate_kinds_round_trip() {
        for kind in RateKind::ALL {
            assert_eq!(RateKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(RateKind::parse("ecb"), None);
    }
}
