//! The two languages of the portal, and how dates read in each.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    pub fn code(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Locale> {
        match s.trim().to_ascii_lowercase().as_str() {
            "fr" => Some(Locale::Fr),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header,
    /// honouring q-values; `None` when nothing there is supported.
    pub fn from_accept_language(header: &str) -> Option<Locale> {
        let mut candidates: Vec<(Locale, u32)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.trim().split(';');
                let tag = pieces.next()?.trim();
                let primary = tag.split('-').next()?;
                let locale = Locale::parse(primary)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<rust_decimal::Decimal>().ok())
                    .map(|q| (q * rust_decimal::Decimal::from(1000)).trunc())
                    .and_then(|q| u32::try_from(q).ok())
                    .unwrap_or(1000);
                (q > 0).then_some((locale, q))
            })
            .collect();
        // Stable sort keeps header order among equal weights.
        candidates.sort_by_key(|c| std::cmp::Reverse(c.1));
        candidates.first().map(|(l, _)| *l)
    }

    pub fn other(self) -> Locale {
        match self {
            Locale::Fr => Locale::En,
            Locale::En => Locale::Fr,
        }
    }

    /// `22 nov. 2026` / `Nov 22, 2026`.
    pub fn format_date(self, date: NaiveDate) -> String {
        let m = self.month_short(date);
        match self {
            Locale::Fr => format!("{}\u{a0}{m}\u{a0}{}", date.day(), date.year()),
            Locale::En => format!("{m} {}, {}", date.day(), date.year()),
        }
    }

    /// The month's short name: `nov.` / `Nov`.
    pub fn month_short(self, date: NaiveDate) -> &'static str {
        const FR: [&str; 12] =
            ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."];
        const EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let m = date.month0() as usize;
        match self {
            Locale::Fr => FR[m],
            Locale::En => EN[m],
        }
    }

    /// `nov. 2026` / `Nov 2026`.
    pub fn format_month(self, date: NaiveDate) -> String {
        format!("{}\u{a0}{}", self.month_short(date), date.year())
    }

    /// A figure with one decimal: `39,6` / `39.6`.
    pub fn format_decimal(self, value: rust_decimal::Decimal) -> String {
        let text = format!("{:.1}", value);
        match self {
            Locale::Fr => text.replace('.', ","),
            Locale::En => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_weights_then_order() {
        assert_eq!(Locale::from_accept_language("en-US,en;q=0.9,fr;q=0.8"), Some(Locale::En));
        assert_eq!(Locale::from_accept_language("de-DE,fr-CA;q=0.7,en;q=0.5"), Some(Locale::Fr));
        assert_eq!(Locale::from_accept_language("en;q=0.2, fr;q=0.9"), Some(Locale::Fr));
        assert_eq!(Locale::from_accept_language("de, es"), None);
        assert_eq!(Locale::from_accept_language("en;q=0"), None);
    }

    #[test]
    fn dates_read_naturally() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 3).unwrap();
        assert_eq!(Locale::Fr.format_date(d), "3\u{a0}févr.\u{a0}2026");
        assert_eq!(Locale::En.format_date(d), "Feb 3, 2026");
    }
}
