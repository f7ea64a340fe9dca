//! A debtor account's form, parsed once: every field becomes its domain
//! type, and every problem is reported at once, on its field. No database
//! here (duplicates and the collector are checked by `ssr`).

use super::AccountForm;
use crate::domain::{
    company::VatProblem, Country, Currency, CustomerKind, EmailAddress, Locale, Money, Note, PaymentTerms, Segment,
    Siren, Siret, VatNumber,
};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;

/// At most this many billing addresses per account.
pub const MAX_BILLING_EMAILS: usize = 10;
pub const MAX_NOTES: usize = 5000;

/// An account as the form describes it, every field checked.
#[derive(Clone, Debug, PartialEq)]
pub struct AccountData {
    /// `None`: the next free `C-00042` is given.
    pub code: Option<String>,
    pub legal_name: String,
    pub kind: CustomerKind,
    pub siren: Option<Siren>,
    pub siret: Option<Siret>,
    pub vat_number: Option<VatNumber>,
    /// The first address receives invoices and reminders; the others are
    /// copied.
    pub billing_email: EmailAddress,
    pub billing_cc: Vec<EmailAddress>,
    pub phone: String,
    pub address: String,
    pub postal_code: String,
    pub city: String,
    pub country: Country,
    pub language: Locale,
    pub currency: Currency,
    pub segment: Segment,
    pub terms: PaymentTerms,
    pub credit_limit: Money,
    pub collector_id: Option<i64>,
    pub external_id: Option<String>,
    pub notes: Note,
}

impl AccountData {
    /// What the accounts list searches: code, name, e-mail and the legal
    /// identifiers, folded the same way as the search box.
    pub fn search_text(&self) -> String {
        let mut text = crate::domain::search_key(
            self.code.as_deref().unwrap_or(""),
            &self.legal_name,
            self.billing_email.as_ref(),
        );
        for extra in [
            self.siren.as_ref().map(Siren::as_str),
            self.vat_number.as_ref().map(VatNumber::as_str),
            self.external_id.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            text.push(' ');
            text.push_str(&extra.to_lowercase());
        }
        text
    }

    pub fn billing_cc_text(&self) -> String {
        self.billing_cc.iter().map(|e| e.as_ref()).collect::<Vec<_>>().join(", ")
    }
}

/// Collects field errors so the form shows them all at once.
#[derive(Default)]
struct Problems(Vec<(String, Msg)>);

impl Problems {
    fn add(&mut self, field: &str, msg: Msg) {
        self.0.push((field.to_string(), msg));
    }

    /// Text of at most `max` characters (trimmed); a field error past it.
    fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let value = value.trim();
        if value.chars().count() > max {
            self.add(field, Msg::TooLong);
        }
        value.to_string()
    }

    /// Empty means none.
    fn optional<T>(&mut self, field: &str, value: &str, parse: impl FnOnce(&str) -> Result<T, Msg>) -> Option<T> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        match parse(value) {
            Ok(v) => Some(v),
            Err(msg) => {
                self.add(field, msg);
                None
            }
        }
    }
}

fn parse_code(code: &str) -> Result<String, Msg> {
    let ok = code.chars().count() <= 30 && code.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if ok {
        Ok(code.to_string())
    } else {
        Err(Msg::AccountCodeInvalid)
    }
}

fn parse_emails(input: &str) -> Result<Vec<EmailAddress>, Msg> {
    let parts: Vec<&str> = input.split([',', ';', '\n', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        return Err(Msg::RequiredField);
    }
    if parts.len() > MAX_BILLING_EMAILS {
        return Err(Msg::TooManyEmails);
    }
    let mut emails: Vec<EmailAddress> = Vec::new();
    for part in parts {
        let email = EmailAddress::parse(part).ok_or(Msg::InvalidEmail)?;
        if !emails.contains(&email) {
            emails.push(email);
        }
    }
    Ok(emails)
}

impl TryFrom<AccountForm> for AccountData {
    type Error = AppError;

    fn try_from(f: AccountForm) -> AppResult<AccountData> {
        let mut p = Problems::default();
        let code = p.optional("code", &f.code, parse_code);
        let legal_name = p.text("legal_name", &f.legal_name, 200);
        if legal_name.is_empty() {
            p.add("legal_name", Msg::RequiredField);
        }
        let kind = CustomerKind::parse(f.kind.trim()).unwrap_or_else(|| {
            p.add("kind", Msg::InvalidInput);
            CustomerKind::Business
        });
        let mut siren = p.optional("siren", &f.siren, |s| Siren::parse(s).ok_or(Msg::SirenInvalid));
        let siret = p.optional("siret", &f.siret, |s| Siret::parse(s).ok_or(Msg::SiretInvalid));
        match (&siren, &siret) {
            (Some(siren), Some(siret)) if siret.siren() != *siren => p.add("siret", Msg::SiretNotSiren),
            (None, Some(siret)) if f.siren.trim().is_empty() => siren = Some(siret.siren()),
            _ => {}
        }
        let vat_number = p.optional("vat_number", &f.vat_number, |s| {
            VatNumber::parse(s).map_err(|e| match e {
                VatProblem::Format => Msg::VatFormatInvalid,
                VatProblem::FrenchKey => Msg::VatKeyInvalid,
            })
        });
        if let (Some(vat), Some(siren)) = (&vat_number, &siren) {
            if vat.french_siren().is_some_and(|s| s != siren.as_str()) {
                p.add("vat_number", Msg::VatNotSiren);
            }
        }
        let emails = match parse_emails(&f.billing_emails) {
            Ok(emails) => emails,
            Err(msg) => {
                p.add("billing_emails", msg);
                Vec::new()
            }
        };
        let phone = p.text("phone", &f.phone, 50);
        let address = p.text("address", &f.address, 300);
        let postal_code = p.text("postal_code", &f.postal_code, 20);
        let city = p.text("city", &f.city, 100);
        let country =
            Country::parse(if f.country.trim().is_empty() { "FR" } else { &f.country }).unwrap_or_else(|| {
                p.add("country", Msg::CountryInvalid);
                Country::parse("FR").expect("FR")
            });
        let language = Locale::parse(f.language.trim()).unwrap_or_else(|| {
            p.add("language", Msg::InvalidInput);
            Locale::Fr
        });
        let currency = Currency::parse(f.currency.trim()).unwrap_or_else(|_| {
            p.add("currency", Msg::InvalidInput);
            Currency::Eur
        });
        let segment = Segment::parse(f.segment.trim()).unwrap_or_else(|| {
            p.add("segment", Msg::InvalidInput);
            Segment::Standard
        });
        let end_of_month = match f.terms_basis.trim() {
            "" | "net" => false,
            "end_of_month" => true,
            _ => {
                p.add("terms_basis", Msg::InvalidInput);
                false
            }
        };
        let days = match f.terms_days.trim().parse::<i32>() {
            Ok(d) if (0..=365).contains(&d) => d,
            _ => {
                p.add("terms_days", Msg::TermsDaysInvalid);
                0
            }
        };
        let terms = PaymentTerms { days, end_of_month };
        if kind == CustomerKind::Business && country.is_france() && !terms.within_french_ceiling() {
            p.add("terms_days", Msg::TermsOverLegalMax);
        }
        let credit_limit = match f.credit_limit.trim() {
            "" => Money::zero(currency),
            s => match Money::parse_major(s, currency) {
                Ok(m) if m.minor >= 0 => m,
                _ => {
                    p.add("credit_limit", Msg::AmountInvalid);
                    Money::zero(currency)
                }
            },
        };
        let collector_id =
            p.optional("collector_id", &f.collector_id, |s| s.parse::<i64>().map_err(|_| Msg::InvalidInput));
        let external_id = Some(p.text("external_id", &f.external_id, 100)).filter(|s| !s.is_empty());
        let notes = match Note::parse_max("notes", &f.notes, MAX_NOTES) {
            Ok(n) => n,
            Err(_) => {
                p.add("notes", Msg::TooLong);
                Note::default()
            }
        };
        if !p.0.is_empty() {
            return Err(AppError::Validation(p.0));
        }
        let mut emails = emails.into_iter();
        let billing_email = emails.next().ok_or_else(|| AppError::field("billing_emails", Msg::RequiredField))?;
        Ok(AccountData {
            code,
            legal_name,
            kind,
            siren,
            siret,
            vat_number,
            billing_email,
            billing_cc: emails.collect(),
            phone,
            address,
            postal_code,
            city,
            country,
            language,
            currency,
            segment,
            terms,
            credit_limit,
            collector_id,
            external_id,
            notes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn form() -> AccountForm {
        AccountForm {
            code: "".into(),
            legal_name: " Boulangerie Martin SARL ".into(),
            kind: "business".into(),
            siren: "552 100 554".into(),
            siret: "".into(),
            vat_number: "fr96552100554".into(),
            billing_emails: "Compta@Martin.fr; direction@martin.fr".into(),
            phone: "01 23 45 67 89".into(),
            address: "3 rue des Lilas".into(),
            postal_code: "75011".into(),
            city: "Paris".into(),
            country: "fr".into(),
            language: "fr".into(),
            currency: "EUR".into(),
            segment: "standard".into(),
            terms_days: "45".into(),
            terms_basis: "end_of_month".into(),
            credit_limit: "5 000,00".into(),
            collector_id: "".into(),
            external_id: "CRM-17".into(),
            notes: "Prefers calls on Monday".into(),
        }
    }

    #[test]
    fn parses_every_field() {
        let a = AccountData::try_from(form()).unwrap();
        assert_eq!(a.code, None);
        assert_eq!(a.legal_name, "Boulangerie Martin SARL");
        assert_eq!(a.siren.as_ref().unwrap().as_str(), "552100554");
        assert_eq!(a.vat_number.as_ref().unwrap().as_str(), "FR96552100554");
        assert_eq!(a.billing_email.as_ref(), "compta@martin.fr");
        assert_eq!(a.billing_cc_text(), "direction@martin.fr");
        assert_eq!(a.country.as_str(), "FR");
        assert_eq!(a.terms, PaymentTerms { days: 45, end_of_month: true });
        assert_eq!(a.credit_limit, Money::new(500_000, Currency::Eur));
        assert_eq!(a.external_id.as_deref(), Some("CRM-17"));
        assert!(a.search_text().contains("552100554") && a.search_text().contains("crm-17"));
    }

    #[test]
    fn the_siret_gives_the_siren() {
        let a = AccountData::try_from(AccountForm { siren: "".into(), siret: "552 100 554 00021".into(), ..form() })
            .unwrap();
        assert_eq!(a.siren.unwrap().as_str(), "552100554");
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = AccountForm {
            code: "C 1".into(),
            legal_name: " ".into(),
            siren: "552100555".into(),
            siret: "73282932000074".into(),
            vat_number: "FR97552100554".into(),
            billing_emails: "compta@, x@y.fr".into(),
            country: "France".into(),
            credit_limit: "-1".into(),
            ..form()
        };
        let Err(AppError::Validation(fields)) = AccountData::try_from(bad) else { panic!("accepted") };
        assert_eq!(
            fields,
            [
                ("code".to_string(), Msg::AccountCodeInvalid),
                ("legal_name".to_string(), Msg::RequiredField),
                ("siren".to_string(), Msg::SirenInvalid),
                ("vat_number".to_string(), Msg::VatKeyInvalid),
                ("billing_emails".to_string(), Msg::InvalidEmail),
                ("country".to_string(), Msg::CountryInvalid),
                ("credit_limit".to_string(), Msg::AmountInvalid),
            ]
        );
    }

    #[test]
    fn identifiers_must_agree() {
        let bad = AccountForm { siret: "73282932000074".into(), vat_number: "FR96552100554".into(), ..form() };
        let Err(AppError::Validation(fields)) = AccountData::try_from(bad) else { panic!("accepted") };
        assert_eq!(fields, [("siret".to_string(), Msg::SiretNotSiren)]);
        let other =
            AccountForm { vat_number: Siren::parse("732829320").unwrap().vat_number().as_str().into(), ..form() };
        let Err(AppError::Validation(fields)) = AccountData::try_from(other) else { panic!("accepted") };
        assert_eq!(fields, [("vat_number".to_string(), Msg::VatNotSiren)]);
    }

    #[test]
    fn french_business_terms_have_a_ceiling() {
        let over = AccountForm { terms_days: "50".into(), ..form() };
        assert_eq!(AccountData::try_from(over).unwrap_err(), AppError::field("terms_days", Msg::TermsOverLegalMax));
        // Net 60 is allowed; a consumer or a foreign business is not bound.
        let net = AccountForm { terms_days: "60".into(), terms_basis: "net".into(), ..form() };
        assert!(AccountData::try_from(net).is_ok());
        let consumer = AccountForm { kind: "consumer".into(), terms_days: "90".into(), ..form() };
        assert!(AccountData::try_from(consumer).is_ok());
        let abroad = AccountForm { country: "DE".into(), terms_days: "90".into(), vat_number: "".into(), ..form() };
        assert!(AccountData::try_from(abroad).is_ok());
    }
}
