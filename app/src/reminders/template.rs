//! A step's message: its subject and body with the placeholders filled in
//! the account's language. Without a template of its own a step uses the
//! default one (`Msg::ReminderSubject`, `Msg::ReminderBody`).

use crate::domain::{Locale, Money};
use chrono::NaiveDate;

/// What a template may name, in braces.
pub const PLACEHOLDERS: [&str; 9] = [
    "{contact}",
    "{account}",
    "{invoices}",
    "{total}",
    "{overdue}",
    "{pay_link}",
    "{promise_link}",
    "{dispute_link}",
    "{late_charges}",
];

/// One invoice the reminder is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub number: String,
    pub due_date: NaiveDate,
    /// What it still owes.
    pub due: Money,
}

/// Everything a message may show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    pub locale: Locale,
    pub contact: String,
    pub account: String,
    pub lines: Vec<Line>,
    /// What the listed invoices owe.
    pub total: Money,
    /// What the account owes past due, all invoices.
    pub overdue: Money,
    pub pay_link: String,
    pub promise_link: String,
    pub dispute_link: String,
    /// The late charges the law adds to the listed invoices today, as a
    /// sentence (empty when none: not yet late, or a consumer).
    pub late_charges: String,
}

/// The invoices as text lines: number, due date, amount due.
fn table(f: &Facts) -> String {
    let due = match f.locale {
        Locale::Fr => "échéance",
        Locale::En => "due",
    };
    f.lines
        .iter()
        .map(|l| format!("- {} ({due} {}) : {}", l.number, f.locale.format_date(l.due_date), l.due.format(f.locale)))
        .map(|s| if f.locale == Locale::En { s.replacen(" : ", ": ", 1) } else { s })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text with each placeholder replaced; anything else in braces is
/// left as written.
pub fn render(text: &str, f: &Facts) -> String {
    let values = [
        f.contact.clone(),
        f.account.clone(),
        table(f),
        f.total.format(f.locale),
        f.overdue.format(f.locale),
        f.pay_link.clone(),
        f.promise_link.clone(),
        f.dispute_link.clone(),
        f.late_charges.clone(),
    ];
    let mut out = text.to_string();
    for (name, value) in PLACEHOLDERS.iter().zip(values) {
        out = out.replace(name, &value);
    }
    out
}

/// The late charges of a reminder's invoices as one sentence, in the
/// account's language: penalties to `as_of` and fixed indemnities.
pub fn late_charges_sentence(locale: Locale, penalties: Money, indemnities: Option<Money>, as_of: NaiveDate) -> String {
    let indemnities = indemnities.filter(|m| m.minor > 0);
    if penalties.minor <= 0 && indemnities.is_none() {
        return String::new();
    }
    let date = locale.format_date(as_of);
    match (locale, indemnities) {
        (Locale::Fr, Some(i)) => format!(
            "Pénalités de retard au {date} : {} ; indemnité forfaitaire pour frais de recouvrement : {}.",
            penalties.format(locale),
            i.format(locale)
        ),
        (Locale::Fr, None) => format!("Pénalités de retard au {date} : {}.", penalties.format(locale)),
        (Locale::En, Some(i)) => format!(
            "Late payment interest to {date}: {}; fixed compensation for recovery costs: {}.",
            penalties.format(locale),
            i.format(locale)
        ),
        (Locale::En, None) => format!("Late payment interest to {date}: {}.", penalties.format(locale)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;
    use crate::i18n::Msg;

    fn facts(locale: Locale) -> Facts {
        let eur = |m| Money::new(m, Currency::Eur);
        Facts {
            locale,
            contact: "Mme Durand".into(),
            account: "Boulangerie Dupré".into(),
            lines: vec![
                Line {
                    number: "F-2026-00012".into(),
                    due_date: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
                    due: eur(120_050),
                },
                Line {
                    number: "F-2026-00019".into(),
                    due_date: NaiveDate::from_ymd_opt(2026, 11, 5).unwrap(),
                    due: eur(4_000),
                },
            ],
            total: eur(124_050),
            overdue: eur(130_000),
            pay_link: "https://pay.example/portal/pay?invoices=12,19".into(),
            promise_link: "https://pay.example/portal/promise?inv=12,19".into(),
            dispute_link: "https://pay.example/portal/dispute?inv=12".into(),
            late_charges: String::new(),
        }
    }

    #[test]
    fn placeholders_are_filled_in_the_account_language() {
        let fr = render(
            "Bonjour {contact}, {account} doit {total} ({overdue} échus) :\n{invoices}\n{pay_link} {unknown}",
            &facts(Locale::Fr),
        );
        let eur = |m| Money::new(m, Currency::Eur).format(Locale::Fr);
        assert!(fr.starts_with(&format!("Bonjour Mme Durand, Boulangerie Dupré doit {} (", eur(124_050))), "{fr}");
        assert!(fr.contains(&format!("({} échus)", eur(130_000))), "{fr}");
        let oct31 = Locale::Fr.format_date(NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
        assert_eq!(oct31.replace('\u{a0}', " "), "31 oct. 2026");
        assert!(fr.contains(&format!("- F-2026-00012 (échéance {oct31}) : {}", eur(120_050))), "{fr}");
        assert!(eur(120_050).starts_with("1") && eur(120_050).contains("200,50"), "the French format");
        assert!(fr.ends_with("https://pay.example/portal/pay?invoices=12,19 {unknown}"), "{fr}");
        let en = render("{invoices}", &facts(Locale::En));
        let nov5 = Locale::En.format_date(NaiveDate::from_ymd_opt(2026, 11, 5).unwrap());
        assert!(en.contains(&format!("- F-2026-00019 (due {nov5}): €40.00")), "{en}");
    }

    #[test]
    fn late_charges_read_as_a_sentence_or_nothing() {
        let eur = |m| Money::new(m, Currency::Eur);
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let fr = late_charges_sentence(Locale::Fr, eur(300), Some(eur(4_000)), day);
        assert!(fr.starts_with("Pénalités de retard au 20") && fr.contains("3,00") && fr.contains("40,00"), "{fr}");
        let en = late_charges_sentence(Locale::En, eur(300), None, day);
        assert_eq!(en, "Late payment interest to Nov 20, 2026: €3.00.");
        assert_eq!(late_charges_sentence(Locale::Fr, eur(0), None, day), "");
        let mut f = facts(Locale::Fr);
        f.late_charges = fr.clone();
        assert_eq!(render("{late_charges}", &f), fr);
    }

    #[test]
    fn the_default_template_names_every_link() {
        for locale in [Locale::Fr, Locale::En] {
            let body = render(Msg::ReminderBody.text(locale), &facts(locale));
            for link in ["portal/pay?invoices=12,19", "portal/promise?inv=12,19", "portal/dispute?inv=12"] {
                assert!(body.contains(link), "{locale:?}: {body}");
            }
            assert!(!body.contains('{'), "every placeholder filled: {body}");
        }
    }
}
