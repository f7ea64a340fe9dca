//! Merchant settings: company identity (shown on invoices and e-mails) and
//! the defaults new accounts start from. Owners edit them; staff read them.

use crate::components::{ErrorMessage, FieldError, Loaded, Page};
use crate::domain::{Currency, Locale, Role};
use crate::error::AppError;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MerchantSettings {
    pub company_name: String,
    /// Legal form, capital, RCS…: a free line.
    pub legal_id: String,
    /// Checked (Luhn); empty when not French.
    #[serde(default)]
    pub siren: String,
    /// Checked (key and EU shape); empty when not registered.
    #[serde(default)]
    pub vat_number: String,
    pub address: String,
    pub email: String,
    pub phone: String,
    pub default_currency: Currency,
    pub default_locale: Locale,
    pub payment_terms_days: i32,
    /// Promises to pay: how many days ahead a promise may go.
    pub promise_max_days: i32,
    /// Promises an invoice may receive before staff must approve the next.
    pub promise_max_per_invoice: i32,
}

crate::reads!(MerchantSettings);

#[server(endpoint = "back/settings")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_settings() -> Result<MerchantSettings, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::load(&state).await
    })
    .await
}

/// The settings form as typed; the server parses it into `MerchantSettings`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsForm {
    pub company_name: String,
    pub legal_id: String,
    #[serde(default)]
    pub siren: String,
    #[serde(default)]
    pub vat_number: String,
    pub address: String,
    pub email: String,
    pub phone: String,
    pub default_currency: String,
    pub default_locale: String,
    pub payment_terms_days: String,
    /// Empty keeps the default (30 days).
    #[serde(default)]
    pub promise_max_days: String,
    /// Empty keeps the default (2).
    #[serde(default)]
    pub promise_max_per_invoice: String,
}

/// Owner only. Form fields are named `form[company_name]` and so on.
#[server(endpoint = "back/save_settings")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn save_settings(form: SettingsForm) -> Result<(), AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let settings = ssr::parse(form)?;
        ssr::save(&state, &principal, &settings).await
    })
    .await
}

const OWNER: &[Role] = &[Role::Owner];

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <Page roles=OWNER title=Msg::Settings>
            <SettingsBody/>
        </Page>
    }
}

#[component]
fn SettingsBody() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let current = Resource::new(move || save.version().get(), |_| get_settings());
    let err = move || save.value().get().and_then(|r| r.err());
    let field = move |name: &'static str| view! { <FieldError error=Signal::derive(err) name=name/> };
    view! {
        <h1>{t(Msg::Settings)}</h1>
        <p class="muted">{t(Msg::SettingsIntro)}</p>
        {move || match save.value().get() {
            Some(Ok(())) => Some(view! { <p class="alert ok" role="status">{t(Msg::SettingsSaved)}</p> }.into_any()),
            Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
            None => None,
        }}
        <Loaded resource=current view=move |m| view! {
                        <ActionForm action=save attr:class="stack narrow" attr:data-testid="settings-form">
                            <label>{t(Msg::CompanyName)}
                                <input name="form[company_name]" required maxlength="200" value=m.company_name/>
                                {field("company_name")}
                            </label>
                            <label>{t(Msg::LegalId)}
                                <input name="form[legal_id]" maxlength="100" value=m.legal_id/>
                                {field("legal_id")}
                            </label>
                            <label>{t(Msg::SirenLabel)}
                                <input name="form[siren]" inputmode="numeric" maxlength="15" value=m.siren data-testid="merchant-siren"/>
                                {field("siren")}
                            </label>
                            <label>{t(Msg::VatNumberLabel)}
                                <input name="form[vat_number]" maxlength="20" value=m.vat_number data-testid="merchant-vat"/>
                                {field("vat_number")}
                            </label>
                            <label>{t(Msg::Address)}
                                <input name="form[address]" maxlength="300" value=m.address/>
                                {field("address")}
                            </label>
                            <label>{t(Msg::Email)}
                                <input type="email" name="form[email]" value=m.email/>
                                {field("email")}
                            </label>
                            <label>{t(Msg::Phone)}
                                <input name="form[phone]" maxlength="50" value=m.phone/>
                                {field("phone")}
                            </label>
                            <label>{t(Msg::DefaultCurrency)}
                                <select name="form[default_currency]">
                                    {Currency::ALL.into_iter().map(|c| view! {
                                        <option value=c.code() selected=c == m.default_currency>{c.code()}</option>
                                    }).collect_view()}
                                </select>
                                {field("default_currency")}
                            </label>
                            <label>{t(Msg::DefaultLanguage)}
                                <select name="form[default_locale]">
                                    <option value="fr" selected=m.default_locale == Locale::Fr>"Français"</option>
                                    <option value="en" selected=m.default_locale == Locale::En>"English"</option>
                                </select>
                            </label>
                            <label>{t(Msg::PaymentTermsDays)}
                                <input type="number" name="form[payment_terms_days]" min="0" max="365" required
                                    value=m.payment_terms_days.to_string()/>
                                {field("payment_terms_days")}
                            </label>
                            <fieldset>
                                <legend>{t(Msg::PromisePolicy)}</legend>
                                <label>{t(Msg::PromiseMaxDays)}
                                    <input type="number" name="form[promise_max_days]" min="1" max="365" required
                                        value=m.promise_max_days.to_string() data-testid="promise-max-days"/>
                                    {field("promise_max_days")}
                                </label>
                                <label>{t(Msg::PromiseMaxPerInvoice)}
                                    <input type="number" name="form[promise_max_per_invoice]" min="1" max="20" required
                                        value=m.promise_max_per_invoice.to_string() data-testid="promise-max-per-invoice"/>
                                    {field("promise_max_per_invoice")}
                                </label>
                            </fieldset>
                            <button type="submit" class="primary">{t(Msg::Save)}</button>
                        </ActionForm>
                    }.into_any()/>
    }
}
