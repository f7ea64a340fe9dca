//! A template's preview and test-send: the owner types a subject and body
//! (empty: the default message) and sees them filled for an example
//! account in the chosen language, or sends that to their own address
//! through the outbox.

use crate::components::{ErrorMessage, FieldError};
use crate::domain::Role;
use crate::error::AppError;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A template filled for the example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplatePreview {
    pub subject: String,
    pub body: String,
    /// Where the test went, when it was sent.
    pub sent_to: Option<String>,
}

crate::reads!(TemplatePreview);

/// Fills the template for an example account; with `send`, also mails it
/// to the caller (the owner).
#[server(endpoint = "reminders/preview")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn preview_template(
    #[server(default)] language: String,
    #[server(default)] subject: String,
    #[server(default)] body: String,
    #[server(default)] send: Option<String>,
) -> Result<TemplatePreview, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let locale = crate::domain::Locale::parse(language.trim())
            .ok_or_else(|| AppError::field("language", Msg::RequiredField))?;
        let (subject, body) = filled(locale, &subject, &body, &state.auth.public_url)?;
        let sent_to = match send {
            Some(_) => {
                let now = state.clock.now();
                let mut tx = state.db.begin().await?;
                let test_subject = format!("[{}] {subject}", Msg::TestMessage.text(locale));
                crate::mail::enqueue_id_tx(&mut tx, now, &principal.email, &test_subject, &body, None).await?;
                tx.commit().await?;
                Some(principal.email.clone())
            }
            None => None,
        };
        Ok(TemplatePreview { subject, body, sent_to })
    })
    .await
}

/// The template (or the default message) filled for the example account.
#[cfg(feature = "ssr")]
fn filled(
    locale: crate::domain::Locale,
    subject: &str,
    body: &str,
    portal: &str,
) -> Result<(String, String), AppError> {
    use super::template::{render, Facts, Line};
    use crate::domain::{Currency, Money};
    let subject = match subject.trim() {
        "" => Msg::ReminderSubject.text(locale),
        s if s.chars().count() > 200 => return Err(AppError::field("subject", Msg::TooLong)),
        s => s,
    };
    let body = match body.trim() {
        "" => Msg::ReminderBody.text(locale),
        b if b.chars().count() > 10_000 => return Err(AppError::field("body", Msg::TooLong)),
        b => b,
    };
    let eur = |minor| Money::new(minor, Currency::Eur);
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 10, d).unwrap_or_default();
    let facts = Facts {
        locale,
        contact: Msg::ExampleContact.text(locale).to_string(),
        account: Msg::ExampleAccount.text(locale).to_string(),
        lines: vec![
            Line { number: "F-2026-00012".into(), due_date: day(15), due: eur(120_050) },
            Line { number: "F-2026-00019".into(), due_date: day(31), due: eur(4_000) },
        ],
        total: eur(124_050),
        overdue: eur(124_050),
        pay_link: format!("{portal}/portal/pay?invoices=12,19"),
        promise_link: format!("{portal}/portal/promise?invoices=12,19"),
        dispute_link: format!("{portal}/portal/dispute?inv=12"),
        late_charges: super::template::late_charges_sentence(locale, eur(3_215), Some(eur(8_000)), day(31)),
    };
    Ok((render(subject, &facts), render(body, &facts)))
}

/// The owner's preview form, on the plans page.
#[component]
pub fn TemplatePreviewForm() -> impl IntoView {
    let action = ServerAction::<PreviewTemplate>::new();
    let result = move || action.value().get().and_then(|r| r.ok());
    let err = move || action.value().get().and_then(|r| r.err());
    let owner = crate::shell::PageCtx::current().viewer.is_some_and(|v| v.role == Role::Owner);
    owner.then(|| view! {
        <details class="card" data-testid="template-preview">
            <summary>{t(Msg::TemplatePreview)}</summary>
            <p class="muted small">{t(Msg::TemplatePreviewHint)} " " {crate::reminders::template::PLACEHOLDERS.join(" ")}</p>
            <ActionForm action=action attr:class="stack" attr:data-testid="template-preview-form">
                <label>{t(Msg::Language)}
                    <select name="language" data-testid="preview-language">
                        <option value="fr">"Français"</option>
                        <option value="en">"English"</option>
                    </select>
                </label>
                <label>{t(Msg::Subject)} <input name="subject" maxlength="200" data-testid="preview-subject"/></label>
                <FieldError error=Signal::derive(err) name="subject"/>
                <label>{t(Msg::Body)} <textarea name="body" rows="8" data-testid="preview-body"></textarea></label>
                <FieldError error=Signal::derive(err) name="body"/>
                <label class="check">
                    <input type="checkbox" name="send" value="on" data-testid="preview-send"/> " " {t(Msg::SendMeATest)}
                </label>
                <button type="submit" data-testid="preview-show">{t(Msg::Preview)}</button>
            </ActionForm>
            {move || err().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            {move || result().map(|p| view! {
                <article class="card" data-testid="preview-result">
                    <h3 data-testid="preview-result-subject">{p.subject.clone()}</h3>
                    <pre class="message" data-testid="preview-result-body">{p.body.clone()}</pre>
                    {p.sent_to.map(|to| view! { <p class="ok" data-testid="preview-sent">{t(Msg::TestSentTo)} " " {to}</p> })}
                </article>
            })}
        </details>
    })
}
