//! Money as integer minor units plus an ISO-4217 currency. Arithmetic is
//! checked (overflow and currency mismatch are errors); formatting goes
//! through `rust_decimal` so no float ever touches an amount.

use super::Locale;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The currencies Relance accepts. Each knows its minor-unit exponent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    Eur,
    Usd,
    Gbp,
    Chf,
    Cad,
    Mad,
    Xof,
    Jpy,
}

impl Currency {
    pub const ALL: [Currency; 8] = [
        Currency::Eur,
        Currency::Usd,
        Currency::Gbp,
        Currency::Chf,
        Currency::Cad,
        Currency::Mad,
        Currency::Xof,
        Currency::Jpy,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
            Currency::Gbp => "GBP",
            Currency::Chf => "CHF",
            Currency::Cad => "CAD",
            Currency::Mad => "MAD",
            Currency::Xof => "XOF",
            Currency::Jpy => "JPY",
        }
    }

    /// Number of digits after the decimal point (ISO-4217 minor unit).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Xof | Currency::Jpy => 0,
            _ => 2,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Currency::Eur => "€",
            Currency::Usd => "$",
            Currency::Gbp => "£",
            Currency::Chf => "CHF",
            Currency::Cad => "CA$",
            Currency::Mad => "MAD",
            Currency::Xof => "FCFA",
            Currency::Jpy => "¥",
        }
    }

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let code = code.trim().to_ascii_uppercase();
        Currency::ALL.into_iter().find(|c| c.code() == code).ok_or(MoneyError::UnknownCurrency)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currencies differ")]
    CurrencyMismatch,
    #[error("amount out of range")]
    Overflow,
    #[error("unknown currency")]
    UnknownCurrency,
    #[error("invalid amount")]
    Invalid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }

    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        self.minor.checked_add(other.minor).map(|minor| Money::new(minor, self.currency)).ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.checked_add(other.checked_neg()?)
    }

    pub fn checked_neg(self) -> Result<Money, MoneyError> {
        self.minor.checked_neg().map(|minor| Money::new(minor, self.currency)).ok_or(MoneyError::Overflow)
    }

    /// The amount as a decimal in major units (12345 EUR minor -> 123.45).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.exponent())
    }

    /// Parses a user-typed amount in major units ("1 234,50", "1234.5").
    /// More decimals than the currency allows is an error, not a rounding.
    pub fn parse_major(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        let cleaned: String = input
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{202f}' && *c != '\u{a0}')
            .map(|c| if c == ',' { '.' } else { c })
            .collect();
        if cleaned.is_empty() || cleaned.chars().filter(|c| *c == '.').count() > 1 {
            return Err(MoneyError::Invalid);
        }
        let value: Decimal = cleaned.parse().map_err(|_| MoneyError::Invalid)?;
        if value.scale() > currency.exponent() {
            return Err(MoneyError::Invalid);
        }
        let scaled = value.checked_mul(Decimal::from(10_i64.pow(currency.exponent()))).ok_or(MoneyError::Overflow)?;
        let minor: i64 = scaled.trunc().try_into().map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// Formats for display in the given locale:
    /// French `1 234,56 €`, English `€1,234.56`.
    pub fn format(self, locale: Locale) -> String {
        let exp = self.currency.exponent() as usize;
        let abs = self.minor.unsigned_abs();
        let divisor = 10u64.pow(exp as u32);
        let (int_part, frac_part) = (abs / divisor, abs % divisor);
        let (group, decimal) = match locale {
            Locale::Fr => ('\u{202f}', ','),
            Locale::En => (',', '.'),
        };
        let digits = int_part.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(ch);
        }
        let number = if exp > 0 { format!("{grouped}{decimal}{frac_part:0exp$}") } else { grouped };
        let sign = if self.minor < 0 { "-" } else { "" };
        let symbol = self.currency.symbol();
        match locale {
            Locale::Fr => format!("{sign}{number}\u{a0}{symbol}"),
            Locale::En if symbol.len() > 2 && symbol.chars().all(|c| c.is_ascii_alphabetic()) => {
                format!("{sign}{symbol}\u{a0}{number}")
            }
            Locale::En => format!("{sign}{symbol}{number}"),
        }
    }
}

/// Rounds a decimal amount expressed in minor units to a whole minor unit,
/// half away from zero (the usual invoicing rule).
pub fn round_minor(value: Decimal) -> Result<i64, MoneyError> {
    value.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero).try_into().map_err(|_| MoneyError::Overflow)
}

/// Sums amounts that must all be in `currency`.
pub fn sum(currency: Currency, amounts: impl IntoIterator<Item = Money>) -> Result<Money, MoneyError> {
    amounts.into_iter().try_fold(Money::zero(currency), |acc, m| acc.checked_add(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_french_and_english() {
        let m = Money::new(12_345_678, Currency::Eur);
        assert_eq!(m.format(Locale::Fr), "123\u{202f}456,78\u{a0}€");
        assert_eq!(m.format(Locale::En), "€123,456.78");
        assert_eq!(Money::new(-5, Currency::Eur).format(Locale::En), "-€0.05");
        assert_eq!(Money::new(1500, Currency::Xof).format(Locale::Fr), "1\u{202f}500\u{a0}FCFA");
        assert_eq!(Money::new(1500, Currency::Chf).format(Locale::En), "CHF\u{a0}15.00");
    }

    #[test]
    fn parses_major_units() {
        assert_eq!(Money::parse_major("1 234,5", Currency::Eur), Ok(Money::new(123_450, Currency::Eur)));
        assert_eq!(Money::parse_major("0.07", Currency::Eur), Ok(Money::new(7, Currency::Eur)));
        assert_eq!(Money::parse_major("1.005", Currency::Eur), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_major("12.5", Currency::Jpy), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_major("abc", Currency::Eur), Err(MoneyError::Invalid));
        assert_eq!(Money::parse_major("1,2.3", Currency::Eur), Err(MoneyError::Invalid));
    }

    #[test]
    fn refuses_mixed_currencies_and_overflow() {
        let eur = Money::new(1, Currency::Eur);
        let usd = Money::new(1, Currency::Usd);
        assert_eq!(eur.checked_add(usd), Err(MoneyError::CurrencyMismatch));
        assert_eq!(Money::new(i64::MAX, Currency::Eur).checked_add(eur), Err(MoneyError::Overflow));
        assert_eq!(Money::new(i64::MIN, Currency::Eur).checked_neg(), Err(MoneyError::Overflow));
    }

    #[test]
    fn currency_round_trips_through_serde() {
        let json = serde_json::to_string(&Money::new(5, Currency::Gbp)).unwrap();
        assert_eq!(json, r#"{"minor":5,"currency":"GBP"}"#);
        assert!(serde_json::from_str::<Money>(r#"{"minor":5,"currency":"XXX"}"#).is_err());
    }

    proptest! {
        #[test]
        fn add_then_sub_is_identity(a in -1_000_000_000_000i64..1_000_000_000_000, b in -1_000_000_000_000i64..1_000_000_000_000) {
            let x = Money::new(a, Currency::Eur);
            let y = Money::new(b, Currency::Eur);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
        }

        #[test]
        fn sum_is_order_independent(mut v in proptest::collection::vec(-1_000_000_000i64..1_000_000_000, 0..50)) {
            let total = sum(Currency::Eur, v.iter().map(|m| Money::new(*m, Currency::Eur))).unwrap();
            v.reverse();
            let reversed = sum(Currency::Eur, v.iter().map(|m| Money::new(*m, Currency::Eur))).unwrap();
            prop_assert_eq!(total, reversed);
            prop_assert_eq!(total.minor, v.iter().sum::<i64>());
        }

        #[test]
        fn format_then_parse_round_trips(minor in -1_000_000_000_000i64..1_000_000_000_000, fr in any::<bool>()) {
            let m = Money::new(minor, Currency::Eur);
            let locale = if fr { Locale::Fr } else { Locale::En };
            let shown = m.format(locale).replace(['€', '\u{a0}'], "");
            let shown = if locale == Locale::En { shown.replace(',', "") } else { shown };
            prop_assert_eq!(Money::parse_major(&shown, Currency::Eur), Ok(m));
        }
    }
}
