//! The account form (new and edit) and the archive switch.

use super::{get_account_form, AccountEditor, AccountStatus, ArchiveAccount, SaveAccount};
use crate::backoffice::segment_msg;
use crate::components::follow_target as follow;
use crate::components::{ErrorMessage, FieldError, Loaded, Page};
use crate::domain::{Currency, CustomerKind, Role, Segment};
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Who keeps the books: the owner and the accountant.
pub const BOOKKEEPERS: &[Role] = &[Role::Owner, Role::Accountant];

#[component]
pub fn NewAccountPage() -> impl IntoView {
    let editor = Resource::new(|| (), |_| get_account_form(None));
    // A buyer proposed by an e-invoice import arrives with its name and
    // identifiers in the query: the form starts from them.
    let query = use_query_map();
    let prefill = move |mut e: AccountEditor| {
        let q = query.read_untracked();
        for (key, slot) in [
            ("legal_name", &mut e.form.legal_name),
            ("siren", &mut e.form.siren),
            ("vat_number", &mut e.form.vat_number),
        ] {
            if let Some(v) = q.get(key).filter(|v| !v.trim().is_empty()) {
                *slot = v.chars().take(200).collect();
            }
        }
        e
    };
    view! {
        <Page roles=BOOKKEEPERS title=Msg::NewAccount>
            <h1>{t(Msg::NewAccount)}</h1>
            <Loaded resource=editor view=move |e| view! { <AccountFormView editor=prefill(e)/> }.into_any()/>
        </Page>
    }
}

#[component]
pub fn EditAccountPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let archive = ServerAction::<ArchiveAccount>::new();
    follow!(archive);
    let editor = Resource::new(move || (id(), archive.version().get()), |(id, _)| get_account_form(Some(id)));
    view! {
        <Page roles=BOOKKEEPERS title=Msg::EditAccount>
            <h1>{t(Msg::EditAccount)}</h1>
            <Loaded resource=editor view=move |e| {
                let id = e.id.unwrap_or_default();
                let archived = e.status == AccountStatus::Archived;
                view! {
                    {archived.then(|| view! { <p class="alert" data-testid="account-archived">{t(Msg::AccountArchivedNote)}</p> })}
                    <AccountFormView editor=e/>
                    <ActionForm action=archive attr:class="controls" attr:data-testid="archive-form">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="archive" value=(!archived).to_string()/>
                        <button type="submit" data-testid="archive-account">
                            {t(if archived { Msg::RestoreAccount } else { Msg::ArchiveAccount })}
                        </button>
                        {move || archive.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                    </ActionForm>
                }.into_any()
            }/>
        </Page>
    }
}

/// The form itself, for a new account or an existing one.
#[component]
fn AccountFormView(editor: AccountEditor) -> impl IntoView {
    let save = ServerAction::<SaveAccount>::new();
    follow!(save);
    let err = move || save.value().get().and_then(|r| r.err());
    let field = move |name: &'static str| view! { <FieldError error=Signal::derive(err) name=name/> };
    let f = editor.form;
    let is_new = editor.id.is_none();
    let kind = CustomerKind::parse(&f.kind).unwrap_or_default();
    let segment = Segment::parse(&f.segment).unwrap_or(Segment::Standard);
    let eom = f.terms_basis == "end_of_month";
    let collector = f.collector_id.clone();
    view! {
        {move || err().map(|e| view! { <ErrorMessage error=e/> })}
        <ActionForm action=save attr:class="stack narrow" attr:data-testid="account-form">
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string()/> })}
            <label>{t(Msg::LegalName)}
                <input name="form[legal_name]" required maxlength="200" value=f.legal_name data-testid="account-legal-name"/>
                {field("legal_name")}
            </label>
            <label>{t(Msg::AccountCode)}
                <input name="form[code]" maxlength="30" value=f.code data-testid="account-code"/>
                <span class="muted small">{t(Msg::AccountCodeHint)}</span>
                {field("code")}
            </label>
            <label>{t(Msg::CustomerKindLabel)}
                <select name="form[kind]" data-testid="account-kind">
                    <option value="business" selected=kind == CustomerKind::Business>{t(Msg::KindBusiness)}</option>
                    <option value="consumer" selected=kind == CustomerKind::Consumer>{t(Msg::KindConsumer)}</option>
                </select>
            </label>
            <fieldset>
                <legend>{t(Msg::Identifiers)}</legend>
                <label>{t(Msg::SirenLabel)}
                    <input name="form[siren]" inputmode="numeric" maxlength="15" value=f.siren data-testid="account-siren"/>
                    {field("siren")}
                </label>
                <label>{t(Msg::SiretLabel)}
                    <input name="form[siret]" inputmode="numeric" maxlength="20" value=f.siret data-testid="account-siret"/>
                    {field("siret")}
                </label>
                <label>{t(Msg::VatNumberLabel)}
                    <input name="form[vat_number]" maxlength="20" value=f.vat_number data-testid="account-vat"/>
                    {field("vat_number")}
                </label>
            </fieldset>
            <label>{t(Msg::BillingEmails)}
                <input name="form[billing_emails]" required maxlength="1000" value=f.billing_emails data-testid="account-emails"/>
                <span class="muted small">{t(Msg::BillingEmailsHint)}</span>
                {field("billing_emails")}
            </label>
            <label>{t(Msg::Phone)}
                <input name="form[phone]" maxlength="50" value=f.phone/>
                {field("phone")}
            </label>
            <fieldset>
                <legend>{t(Msg::PostalAddress)}</legend>
                <label>{t(Msg::Street)}
                    <input name="form[address]" maxlength="300" value=f.address/>
                    {field("address")}
                </label>
                <label>{t(Msg::PostalCode)}
                    <input name="form[postal_code]" maxlength="20" value=f.postal_code/>
                    {field("postal_code")}
                </label>
                <label>{t(Msg::City)}
                    <input name="form[city]" maxlength="100" value=f.city/>
                    {field("city")}
                </label>
                <label>{t(Msg::CountryLabel)}
                    <input name="form[country]" maxlength="2" value=f.country data-testid="account-country"/>
                    {field("country")}
                </label>
            </fieldset>
            <label>{t(Msg::Language)}
                <select name="form[language]">
                    <option value="fr" selected=f.language == "fr">"Français"</option>
                    <option value="en" selected=f.language == "en">"English"</option>
                </select>
            </label>
            <label>{t(Msg::CurrencyLabel)}
                <select name="form[currency]" disabled=editor.currency_locked data-testid="account-currency">
                    {Currency::ALL.into_iter().map(|c| view! {
                        <option value=c.code() selected=c.code() == f.currency>{c.code()}</option>
                    }).collect_view()}
                </select>
                // A disabled select is not sent: the locked value goes as is.
                {editor.currency_locked.then(|| view! { <input type="hidden" name="form[currency]" value=f.currency.clone()/> })}
                {field("currency")}
            </label>
            <label>{t(Msg::Segment)}
                <select name="form[segment]">
                    {Segment::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=s == segment>{t(segment_msg(s))}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{t(Msg::TermsDays)}
                <input type="number" name="form[terms_days]" min="0" max="365" required value=f.terms_days data-testid="account-terms"/>
                {field("terms_days")}
            </label>
            <label>{t(Msg::TermsBasis)}
                <select name="form[terms_basis]" data-testid="account-terms-basis">
                    <option value="net" selected=!eom>{t(Msg::TermsNet)}</option>
                    <option value="end_of_month" selected=eom>{t(Msg::TermsEndOfMonth)}</option>
                </select>
            </label>
            <label>{t(Msg::CreditLimit)}
                <input name="form[credit_limit]" inputmode="decimal" value=f.credit_limit/>
                {field("credit_limit")}
            </label>
            <label>{t(Msg::Collector)}
                <select name="form[collector_id]" data-testid="account-collector">
                    <option value="">{t(Msg::Unassigned)}</option>
                    {editor.collectors.into_iter().map(|c| {
                        let selected = c.id.to_string() == collector;
                        view! { <option value=c.id.to_string() selected=selected>{c.name}</option> }
                    }).collect_view()}
                </select>
                {field("collector_id")}
            </label>
            <label>{t(Msg::ExternalId)}
                <input name="form[external_id]" maxlength="100" value=f.external_id data-testid="account-external-id"/>
                {field("external_id")}
            </label>
            <label>{t(Msg::InternalNotes)}
                <textarea name="form[notes]" rows="3" maxlength="5000">{f.notes}</textarea>
                <span class="muted small">{t(Msg::InternalNotesHint)}</span>
                {field("notes")}
            </label>
            <button type="submit" class="primary" data-testid="account-save" disabled=move || save.pending().get()>
                {t(if is_new { Msg::CreateAccount } else { Msg::Save })}
            </button>
        </ActionForm>
    }
}
