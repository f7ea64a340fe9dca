//! Loading, validating and saving the merchant row.

use super::{MerchantSettings, SettingsForm};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::{Currency, EmailAddress, Locale};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_db;

#[derive(sqlx::FromRow)]
struct Row {
    company_name: String,
    legal_id: String,
    siren: String,
    vat_number: String,
    address: String,
    email: String,
    phone: String,
    default_currency: String,
    default_locale: String,
    payment_terms_days: i32,
    promise_max_days: i32,
    promise_max_per_invoice: i32,
}

pub async fn load(state: &AppState) -> AppResult<MerchantSettings> {
    let row: Option<Row> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT company_name, legal_id, siren, vat_number, address, email, phone, default_currency, default_locale,
                    payment_terms_days, promise_max_days, promise_max_per_invoice
             FROM merchant WHERE id = 1",
        )
        .fetch_optional(pool)
        .await
    })?;
    Ok(match row {
        Some(r) => MerchantSettings {
            company_name: r.company_name,
            legal_id: r.legal_id,
            siren: r.siren,
            vat_number: r.vat_number,
            address: r.address,
            email: r.email,
            phone: r.phone,
            default_currency: crate::invoices::ssr::parse_currency(&r.default_currency)?,
            default_locale: Locale::parse(&r.default_locale).unwrap_or_default(),
            payment_terms_days: r.payment_terms_days,
            promise_max_days: r.promise_max_days,
            promise_max_per_invoice: r.promise_max_per_invoice,
        },
        // A fresh installation without demo data.
        None => MerchantSettings {
            company_name: String::new(),
            legal_id: String::new(),
            siren: String::new(),
            vat_number: String::new(),
            address: String::new(),
            email: String::new(),
            phone: String::new(),
            default_currency: Currency::Eur,
            default_locale: Locale::Fr,
            payment_terms_days: 30,
            promise_max_days: 30,
            promise_max_per_invoice: 2,
        },
    })
}

/// Turns the typed form into settings, or reports every bad field.
pub fn parse(form: SettingsForm) -> AppResult<MerchantSettings> {
    let mut errors: Vec<(String, Msg)> = Vec::new();
    let mut text = |field: &str, value: String, max: usize, required: bool| {
        let value = value.trim().to_string();
        if required && value.is_empty() {
            errors.push((field.to_string(), Msg::RequiredField));
        } else if value.chars().count() > max {
            errors.push((field.to_string(), Msg::TooLong));
        }
        value
    };
    let company_name = text("company_name", form.company_name, 200, true);
    let legal_id = text("legal_id", form.legal_id, 100, false);
    let address = text("address", form.address, 300, false);
    let phone = text("phone", form.phone, 50, false);
    let email = match form.email.trim() {
        "" => String::new(),
        e => match EmailAddress::parse(e) {
            Some(e) => e.as_ref().to_string(),
            None => {
                errors.push(("email".into(), Msg::InvalidEmail));
                String::new()
            }
        },
    };
    let currency = Currency::parse(&form.default_currency).ok();
    if currency.is_none() {
        errors.push(("default_currency".into(), Msg::InvalidCurrency));
    }
    let terms = form.payment_terms_days.trim().parse::<i32>().ok().filter(|d| (0..=365).contains(d));
    if terms.is_none() {
        errors.push(("payment_terms_days".into(), Msg::InvalidTerms));
    }
    let siren = match form.siren.trim() {
        "" => String::new(),
        s => match crate::domain::Siren::parse(s) {
            Some(s) => s.as_str().to_string(),
            None => {
                errors.push(("siren".into(), Msg::SirenInvalid));
                String::new()
            }
        },
    };
    let vat_number = match form.vat_number.trim() {
        "" => String::new(),
        v => match crate::domain::VatNumber::parse(v) {
            Ok(v) if v.french_siren().is_some_and(|s| !siren.is_empty() && s != siren) => {
                errors.push(("vat_number".into(), Msg::VatNotSiren));
                String::new()
            }
            Ok(v) => v.as_str().to_string(),
            Err(crate::domain::company::VatProblem::FrenchKey) => {
                errors.push(("vat_number".into(), Msg::VatKeyInvalid));
                String::new()
            }
            Err(_) => {
                errors.push(("vat_number".into(), Msg::VatFormatInvalid));
                String::new()
            }
        },
    };
    let mut bounded = |field: &str, value: &str, default: i32, range: std::ops::RangeInclusive<i32>| {
        if value.trim().is_empty() {
            return default;
        }
        match value.trim().parse::<i32>().ok().filter(|v| range.contains(v)) {
            Some(v) => v,
            None => {
                errors.push((field.to_string(), Msg::OutOfRange));
                default
            }
        }
    };
    let promise_max_days = bounded("promise_max_days", &form.promise_max_days, 30, 1..=365);
    let promise_max_per_invoice = bounded("promise_max_per_invoice", &form.promise_max_per_invoice, 2, 1..=20);
    match (errors.is_empty(), currency, terms) {
        (true, Some(default_currency), Some(payment_terms_days)) => Ok(MerchantSettings {
            company_name,
            legal_id,
            siren,
            vat_number,
            address,
            email,
            phone,
            default_currency,
            default_locale: Locale::parse(&form.default_locale).unwrap_or_default(),
            payment_terms_days,
            promise_max_days,
            promise_max_per_invoice,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

pub async fn save(state: &AppState, principal: &Principal, m: &MerchantSettings) -> AppResult<()> {
    let now = state.clock.now();
    with_db!(&state.db, |pool| {
        sqlx::query(
            "INSERT INTO merchant (id, company_name, legal_id, address, email, phone, default_currency, default_locale, payment_terms_days,
                 updated_at, promise_max_days, promise_max_per_invoice, siren, vat_number)
             VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO UPDATE SET company_name = $1, legal_id = $2, address = $3, email = $4, phone = $5,
                default_currency = $6, default_locale = $7, payment_terms_days = $8, updated_at = $9,
                promise_max_days = $10, promise_max_per_invoice = $11, siren = $12, vat_number = $13",
        )
        .bind(&m.company_name)
        .bind(&m.legal_id)
        .bind(&m.address)
        .bind(&m.email)
        .bind(&m.phone)
        .bind(m.default_currency.code())
        .bind(m.default_locale.code())
        .bind(m.payment_terms_days)
        .bind(now)
        .bind(m.promise_max_days)
        .bind(m.promise_max_per_invoice)
        .bind(&m.siren)
        .bind(&m.vat_number)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    let details = crate::audit::AuditDetails::default().data(serde_json::to_value(m).map_err(AppError::internal)?);
    audit(
        (&state.db).into(),
        state.clock.now(),
        Audit::new(Some(principal.user_id), crate::audit::AuditAction::MerchantSettings, ("merchant", Some(1)))
            .details(details),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsForm {
        SettingsForm {
            company_name: " Atelier ".into(),
            legal_id: "".into(),
            siren: "552 100 554".into(),
            vat_number: "".into(),
            address: "".into(),
            email: "Compta@Atelier.FR".into(),
            phone: "".into(),
            default_currency: "chf".into(),
            default_locale: "en".into(),
            payment_terms_days: "45".into(),
            promise_max_days: String::new(),
            promise_max_per_invoice: "3".into(),
        }
    }

    #[test]
    fn parses_and_normalises() {
        let m = parse(input()).unwrap();
        assert_eq!(m.company_name, "Atelier");
        assert_eq!(m.email, "compta@atelier.fr");
        assert_eq!(m.default_currency, Currency::Chf);
        assert_eq!(m.payment_terms_days, 45);
        assert_eq!(m.siren, "552100554");
        // Promise policy: empty keeps the default, a value is read.
        assert_eq!((m.promise_max_days, m.promise_max_per_invoice), (30, 3));
    }

    #[test]
    fn reports_every_bad_field() {
        let bad = SettingsForm {
            company_name: "  ".into(),
            email: "nope".into(),
            default_currency: "XXX".into(),
            payment_terms_days: "400".into(),
            siren: "123".into(),
            promise_max_days: "0".into(),
            promise_max_per_invoice: "21".into(),
            ..input()
        };
        let Err(AppError::Validation(fields)) = parse(bad) else { panic!("accepted") };
        let names: Vec<_> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "company_name",
                "email",
                "default_currency",
                "payment_terms_days",
                "siren",
                "promise_max_days",
                "promise_max_per_invoice"
            ]
        );
    }
}
