//! Who a debtor is in law: French company identifiers (SIREN, SIRET), the
//! intra-EU VAT number, the kind of customer and the payment terms. Each
//! parses once, at the boundary, and refuses what cannot be right.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Digits of `input` with the separators people type (spaces, dots,
/// dashes) removed; `None` if anything else is there.
fn digits_only(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}')).collect();
    s.chars().all(|c| c.is_ascii_digit()).then_some(s)
}

/// The Luhn check (SIREN and SIRET keys).
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else { return false };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

/// A SIREN: the 9-digit French company number, its last digit a Luhn key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Siren(String);

impl Siren {
    pub fn parse(input: &str) -> Option<Siren> {
        let s = digits_only(input)?;
        (s.len() == 9 && luhn(&s)).then_some(Siren(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key of the French VAT number built on this SIREN:
    /// (12 + 3 × (SIREN mod 97)) mod 97.
    pub fn vat_key(&self) -> u64 {
        let n: u64 = self.0.parse().unwrap_or(0);
        (12 + 3 * (n % 97)) % 97
    }

    /// The French VAT number of this company (`FR` + key + SIREN).
    pub fn vat_number(&self) -> VatNumber {
        VatNumber(format!("FR{:02}{}", self.vat_key(), self.0))
    }
}

/// The SIREN of La Poste, whose establishments' SIRET do not follow Luhn:
/// their digits sum to a multiple of 5 instead.
const LA_POSTE: &str = "356000000";

/// A SIRET: SIREN + 5-digit establishment number, with a Luhn key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Siret(String);

impl Siret {
    pub fn parse(input: &str) -> Option<Siret> {
        let s = digits_only(input)?;
        if s.len() != 14 {
            return None;
        }
        let valid = if s.starts_with(LA_POSTE) {
            s.chars().filter_map(|c| c.to_digit(10)).sum::<u32>() % 5 == 0
        } else {
            luhn(&s)
        };
        valid.then_some(Siret(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn siren(&self) -> Siren {
        Siren(self.0[..9].to_string())
    }
}

/// The shapes of VAT numbers after the country prefix, per country: `9` a
/// digit, `A` a letter, `X` a letter or digit, `+` a letter, digit, `+` or
/// `*`; anything else itself. Source: the European Commission's VIES
/// format table (plus the United Kingdom and Northern Ireland).
const VAT_FORMATS: &[(&str, &[&str])] = &[
    ("AT", &["U99999999"]),
    ("BE", &["0999999999", "1999999999"]),
    ("BG", &["999999999", "9999999999"]),
    ("CY", &["99999999A"]),
    ("CZ", &["99999999", "999999999", "9999999999"]),
    ("DE", &["999999999"]),
    ("DK", &["99999999"]),
    ("EE", &["999999999"]),
    ("EL", &["999999999"]),
    ("ES", &["X9999999X"]),
    ("FI", &["99999999"]),
    ("FR", &["XX999999999"]),
    ("HR", &["99999999999"]),
    ("HU", &["99999999"]),
    ("IE", &["9999999A", "9999999AA", "9+99999A"]),
    ("IT", &["99999999999"]),
    ("LT", &["999999999", "999999999999"]),
    ("LU", &["99999999"]),
    ("LV", &["99999999999"]),
    ("MT", &["99999999"]),
    ("NL", &["999999999B99"]),
    ("PL", &["9999999999"]),
    ("PT", &["999999999"]),
    ("RO", &["99", "999", "9999", "99999", "999999", "9999999", "99999999", "999999999", "9999999999"]),
    ("SE", &["999999999901"]),
    ("SI", &["99999999"]),
    ("SK", &["9999999999"]),
    ("GB", &["999999999", "999999999999", "GD999", "HA999"]),
    ("XI", &["999999999", "999999999999", "GD999", "HA999"]),
];

fn fits(shape: &str, s: &str) -> bool {
    shape.len() == s.len()
        && shape.chars().zip(s.chars()).all(|(p, c)| match p {
            '9' => c.is_ascii_digit(),
            'A' => c.is_ascii_uppercase(),
            'X' => c.is_ascii_uppercase() || c.is_ascii_digit(),
            '+' => c.is_ascii_uppercase() || c.is_ascii_digit() || c == '+' || c == '*',
            other => c == other,
        })
}

/// Why a VAT number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VatProblem {
    /// Not a country this list knows, or not its shape.
    Format,
    /// A French number whose key does not match its SIREN.
    FrenchKey,
}

/// An intra-EU VAT number: country prefix (`EL` for Greece, `XI` for
/// Northern Ireland) and the national number, upper-case, no separators.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VatNumber(String);

impl VatNumber {
    pub fn parse(input: &str) -> Result<VatNumber, VatProblem> {
        let s: String =
            input.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}')).collect::<String>().to_uppercase();
        if s.len() < 4 || !s.is_char_boundary(2) {
            return Err(VatProblem::Format);
        }
        let (country, number) = s.split_at(2);
        let shapes = VAT_FORMATS.iter().find(|(c, _)| *c == country).map(|(_, f)| *f).ok_or(VatProblem::Format)?;
        if !shapes.iter().any(|shape| fits(shape, number)) {
            return Err(VatProblem::Format);
        }
        if country == "FR" {
            let (key, siren) = number.split_at(2);
            // New-style keys (letters) are issued to entities without a
            // SIREN key relation; the numeric key is checked.
            if let Ok(key) = key.parse::<u64>() {
                let n: u64 = siren.parse().map_err(|_| VatProblem::Format)?;
                if (12 + 3 * (n % 97)) % 97 != key {
                    return Err(VatProblem::FrenchKey);
                }
            }
        }
        Ok(VatNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn country(&self) -> &str {
        &self.0[..2]
    }

    /// The SIREN inside a French VAT number.
    pub fn french_siren(&self) -> Option<&str> {
        (self.country() == "FR").then(|| &self.0[4..])
    }
}

/// A business (B2B: late-payment penalties and the €40 indemnity apply)
/// or a consumer (B2C: neither does).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerKind {
    #[default]
    Business,
    Consumer,
}

impl CustomerKind {
    pub const ALL: [CustomerKind; 2] = [CustomerKind::Business, CustomerKind::Consumer];

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerKind::Business => "business",
            CustomerKind::Consumer => "consumer",
        }
    }

    pub fn parse(s: &str) -> Option<CustomerKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An ISO 3166-1 alpha-2 country code, upper-case.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Country(String);

impl Country {
    pub fn parse(input: &str) -> Option<Country> {
        let s = input.trim().to_uppercase();
        (s.len() == 2 && s.chars().all(|c| c.is_ascii_uppercase())).then_some(Country(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_france(&self) -> bool {
        self.0 == "FR"
    }
}

/// When an invoice falls due: so many days after its issue date, or after
/// the end of its issue month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentTerms {
    pub days: i32,
    pub end_of_month: bool,
}

impl PaymentTerms {
    /// French law's ceiling between businesses (Code de commerce L441-10):
    /// 60 days from the invoice, or 45 days end of month.
    pub const FR_MAX_DAYS: i32 = 60;
    pub const FR_MAX_DAYS_END_OF_MONTH: i32 = 45;

    pub fn due_date(self, issued: NaiveDate) -> NaiveDate {
        let start = if self.end_of_month { last_day_of_month(issued) } else { issued };
        start + Duration::days(i64::from(self.days))
    }

    /// Whether French law allows these terms between businesses.
    pub fn within_french_ceiling(self) -> bool {
        if self.end_of_month {
            self.days <= Self::FR_MAX_DAYS_END_OF_MONTH
        } else {
            self.days <= Self::FR_MAX_DAYS
        }
    }
}

pub fn last_day_of_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).map(|first| first - Duration::days(1)).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn siren_needs_nine_digits_and_its_key() {
        // Real, public SIRENs.
        for good in ["552 100 554", "732829320", "542.051.180", "356000000"] {
            assert!(Siren::parse(good).is_some(), "{good} refused");
        }
        for bad in ["552100555", "55210055", "5521005540", "55210055A", ""] {
            assert!(Siren::parse(bad).is_none(), "{bad} accepted");
        }
        assert_eq!(Siren::parse("552 100 554").unwrap().as_str(), "552100554");
    }

    #[test]
    fn siret_carries_its_siren_and_la_poste_is_the_exception() {
        let siret = Siret::parse("552 100 554 00021").unwrap();
        assert_eq!(siret.siren().as_str(), "552100554");
        assert!(Siret::parse("55210055400022").is_none());
        assert!(Siret::parse("5521005540002").is_none());
        // La Poste: digits sum to a multiple of 5, Luhn or not.
        assert!(Siret::parse("35600000000051").is_some());
        assert!(Siret::parse("35600000000052").is_none());
    }

    #[test]
    fn french_vat_key_is_checked() {
        let siren = Siren::parse("552100554").unwrap();
        assert_eq!(siren.vat_number().as_str(), "FR96552100554");
        assert_eq!(VatNumber::parse("fr 96 552 100 554").unwrap().as_str(), "FR96552100554");
        assert_eq!(VatNumber::parse("FR97552100554"), Err(VatProblem::FrenchKey));
        assert_eq!(VatNumber::parse("FR96552100554").unwrap().french_siren(), Some("552100554"));
        assert_eq!(VatNumber::parse("FRAB552100554").unwrap().country(), "FR");
    }

    #[test]
    fn eu_formats() {
        for good in [
            "DE123456789",
            "ATU12345678",
            "BE0123456789",
            "NL123456789B01",
            "ESX1234567X",
            "ES12345678Z",
            "IT12345678901",
            "IE1234567WA",
            "IE1S23456L",
            "PL1234567890",
            "EL123456789",
            "SE123456789001",
            "XI123456789",
            "GBGD123",
        ] {
            assert!(VatNumber::parse(good).is_ok(), "{good} refused");
        }
        for bad in
            ["DE12345678", "ATU1234567", "BE2123456789", "NL123456789A01", "US123456789", "GR123456789", "FR1", ""]
        {
            assert_eq!(VatNumber::parse(bad), Err(VatProblem::Format), "{bad} accepted");
        }
    }

    #[test]
    fn terms_give_the_due_date() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(PaymentTerms { days: 30, end_of_month: false }.due_date(d("2026-01-15")), d("2026-02-14"));
        assert_eq!(PaymentTerms { days: 45, end_of_month: true }.due_date(d("2026-01-15")), d("2026-03-17"));
        assert_eq!(PaymentTerms { days: 0, end_of_month: true }.due_date(d("2024-02-03")), d("2024-02-29"));
        assert_eq!(PaymentTerms { days: 10, end_of_month: true }.due_date(d("2026-12-31")), d("2027-01-10"));
        assert!(PaymentTerms { days: 60, end_of_month: false }.within_french_ceiling());
        assert!(!PaymentTerms { days: 61, end_of_month: false }.within_french_ceiling());
        assert!(!PaymentTerms { days: 46, end_of_month: true }.within_french_ceiling());
    }

    #[test]
    fn country_codes() {
        assert!(Country::parse(" fr ").unwrap().is_france());
        assert!(Country::parse("FRA").is_none());
        assert!(Country::parse("F1").is_none());
    }

    proptest! {
        /// Any 8 digits complete to exactly one valid SIREN, whose VAT
        /// number parses back to it.
        #[test]
        fn one_key_digit_completes_a_siren(body in "[0-9]{8}") {
            let valid: Vec<_> = (0..10).filter_map(|d| Siren::parse(&format!("{body}{d}"))).collect();
            prop_assert_eq!(valid.len(), 1);
            let vat = valid[0].vat_number();
            let parsed = VatNumber::parse(vat.as_str()).unwrap();
            prop_assert_eq!(parsed.french_siren(), Some(valid[0].as_str()));
        }

        #[test]
        fn due_date_never_before_issue(days in 0i32..366, eom: bool, offset in 0i64..20000) {
            let issued = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + Duration::days(offset);
            let due = PaymentTerms { days, end_of_month: eom }.due_date(issued);
            prop_assert!(due >= issued + Duration::days(i64::from(days)));
        }
    }
}
