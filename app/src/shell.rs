//! The HTML shell, the router and the per-page context (who is viewing, in
//! which language). The server resolves that context once per request (see
//! `server::middleware`); the browser reads it back from a `<meta>` tag so
//! hydration renders exactly what the server did.

use crate::domain::{Locale, Role};
use crate::i18n::{CurrentLocale, Msg};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PageCtx {
    pub locale: Locale,
    pub viewer: Option<Viewer>,
    /// Payments run in the offline sandbox: every page says so.
    #[serde(default)]
    pub test_mode: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub name: String,
    pub email: String,
    pub role: Role,
    pub account_id: Option<i64>,
}

pub const CTX_META: &str = "relance-ctx";

impl PageCtx {
    /// The context of the current page: provided by `hydrate()` in the
    /// browser, read from the request on the server.
    pub fn current() -> PageCtx {
        if let Some(ctx) = use_context::<PageCtx>() {
            return ctx;
        }
        #[cfg(feature = "ssr")]
        if let Some(req) = use_context::<leptos_actix::Request>() {
            use actix_web::HttpMessage;
            if let Some(ctx) = req.extensions().get::<PageCtx>() {
                return ctx.clone();
            }
        }
        PageCtx::default()
    }

    #[cfg(feature = "hydrate")]
    pub fn from_document() -> PageCtx {
        let doc = leptos::prelude::document();
        doc.query_selector(&format!("meta[name=\"{CTX_META}\"]"))
            .ok()
            .flatten()
            .and_then(|el| el.get_attribute("content"))
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let ctx = PageCtx::current();
    #[cfg(feature = "ssr")]
    content_security_policy();
    let ctx_json = serde_json::to_string(&ctx).unwrap_or_default();
    view! {
        <!DOCTYPE html>
        <html lang=ctx.locale.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name=CTX_META content=ctx_json/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // The bundle's hashed name (`relance.<hash>`): the server's
                // head only, never hydrated.
                <link rel="stylesheet" id="leptos" href=format!("/pkg/{}.css", options.output_name)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Only our own scripts run: the inline hydration scripts carry this
/// response's nonce, and the wasm bundle needs `wasm-unsafe-eval`.
#[cfg(feature = "ssr")]
fn content_security_policy() {
    use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
    let (Some(nonce), Some(res)) = (leptos::nonce::use_nonce(), use_context::<leptos_actix::ResponseOptions>()) else {
        return;
    };
    // In Stripe mode, Stripe.js and its Payment Element frames (card numbers
    // go from the browser to Stripe, never through us).
    let stripe = use_context::<crate::state::AppState>().is_some_and(|s| s.gateway.name() == "stripe");
    let (script, frame, connect) = if stripe {
        (" https://js.stripe.com", "https://js.stripe.com https://hooks.stripe.com", " https://api.stripe.com")
    } else {
        ("", "'none'", "")
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'{script}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'{connect}; frame-src {frame}; frame-ancestors 'none'; base-uri 'self'; \
         form-action 'self'; object-src 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        res.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let ctx = PageCtx::current();
    provide_context(ctx.clone());
    provide_context(CurrentLocale(Signal::stored(ctx.locale)));
    let locale = ctx.locale;

    view! {
        <Title formatter=move |text: String| {
            if text.is_empty() { Msg::AppName.text(locale).to_string() } else { format!("{text} · Relance") }
        }/>
        <Router>
            <Routes fallback=move || view! { <crate::components::NotFoundPage/> }>
                <Route path=path!("/") view=crate::auth::HomeRedirect ssr=SsrMode::Async/>
                <Route path=path!("/login") view=crate::auth::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot") view=crate::auth::ForgotPage ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view=crate::auth::TokenPage ssr=SsrMode::Async/>
                <Route path=path!("/reset/:token") view=crate::auth::TokenPage ssr=SsrMode::Async/>
                <Route path=path!("/settings/password") view=crate::auth::PasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/portal") view=crate::portal::OverviewPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/invoices") view=crate::portal::InvoicesPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/invoices/:id") view=crate::portal::InvoicePage ssr=SsrMode::Async/>
                <Route path=path!("/portal/pay") view=crate::payments::pages::PayPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/payments") view=crate::payments::pages::PaymentsPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/payments/:id") view=crate::payments::pages::ReceiptPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/methods") view=crate::payments::pages::MethodsPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/history") view=crate::portal::history::HistoryPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/promise") view=crate::promises::pages::PromisePage ssr=SsrMode::Async/>
                <Route path=path!("/portal/promises") view=crate::promises::pages::MyPromisesPage ssr=SsrMode::Async/>
                <Route path=path!("/back/promises") view=crate::promises::pages::BackPromisesPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/dispute") view=crate::disputes::pages::NewDisputePage ssr=SsrMode::Async/>
                <Route path=path!("/portal/disputes") view=crate::disputes::pages::MyDisputesPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/disputes/:id") view=crate::disputes::pages::DisputePage ssr=SsrMode::Async/>
                <Route path=path!("/back/disputes") view=crate::disputes::pages::BackDisputesPage ssr=SsrMode::Async/>
                <Route path=path!("/back/disputes/:id") view=crate::disputes::pages::DisputePage ssr=SsrMode::Async/>
                <Route path=path!("/pay/:token") view=crate::payments::pages::LinkPage ssr=SsrMode::Async/>
                <Route path=path!("/sandbox/authenticate/:id") view=crate::payments::pages::SandboxAuthPage ssr=SsrMode::Async/>
                <Route path=path!("/back/payments") view=crate::payments::back::BackPaymentsPage ssr=SsrMode::Async/>
                <Route path=path!("/back/payments/:id") view=crate::payments::back::BackPaymentPage ssr=SsrMode::Async/>
                <Route path=path!("/back") view=crate::backoffice::AccountsPage ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts") view=crate::backoffice::AccountsPage ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/new") view=crate::accounts::pages::NewAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id") view=crate::backoffice::AccountPage ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id/edit") view=crate::accounts::pages::EditAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id/invoices/new") view=crate::invoicing::pages::NewDraftPage ssr=SsrMode::Async/>
                <Route path=path!("/back/drafts/:id") view=crate::invoicing::pages::DraftPage ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id/recurring/new") view=crate::invoicing::pages::NewRecurringPage ssr=SsrMode::Async/>
                <Route path=path!("/back/invoices") view=crate::backoffice::InvoicesPage ssr=SsrMode::Async/>
                <Route path=path!("/back/invoices/:id") view=crate::portal::InvoicePage ssr=SsrMode::Async/>
                <Route path=path!("/back/team") view=crate::backoffice::TeamPage ssr=SsrMode::Async/>
                <Route path=path!("/back/outbox") view=crate::backoffice::OutboxPage ssr=SsrMode::Async/>
                <Route path=path!("/back/imports") view=crate::imports::pages::ImportsPage ssr=SsrMode::Async/>
                <Route path=path!("/back/imports/:id") view=crate::imports::pages::ImportPage ssr=SsrMode::Async/>
                <Route path=path!("/back/settings") view=crate::settings::SettingsPage ssr=SsrMode::Async/>
                <Route path=path!("/back/reminders") view=crate::reminders::pages::PlansPage ssr=SsrMode::Async/>
                <Route path=path!("/back/reminders/approvals") view=crate::reminders::approvals::ApprovalsPage ssr=SsrMode::Async/>
                <Route path=path!("/back/reminders/calendar") view=crate::reminders::calendar::CalendarPage ssr=SsrMode::Async/>
                <Route path=path!("/back/prescription") view=crate::legal::pages::ClaimsAtRiskPage ssr=SsrMode::Async/>
                <Route path=path!("/back/rates") view=crate::legal::rates::RatesPage ssr=SsrMode::Async/>
                <Route path=path!("/back/todo") view=crate::reminders::pages::TodoPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
