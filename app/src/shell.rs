//! The HTML shell, the router and the per-page context (who is viewing, in
//! which language). The server resolves that context once per request (see
//! `server::middleware`); the browser reads it back from a `<meta>` tag so
//! hydration renders exactly what the server did.

use crate::domain::{Locale, Role};
use crate::i18n::{CurrentLocale, Msg};
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};
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

/// The parts of the split bundle each lazy page needs (`pages`), from the
/// build's `pkg/<name>.parts.json`: set once by the server at start.
#[cfg(feature = "ssr")]
static PARTS: std::sync::OnceLock<leptos::WasmSplitManifest> = std::sync::OnceLock::new();

/// Registers the bundle's parts: `loader` is the split loader's file name,
/// `parts` maps each lazy page to the files (without `.wasm`) it loads.
/// Pages then name the parts they render with in their `<head>` so the
/// browser preloads them beside the main module. (Leptos reads its own
/// manifest from disk only; a release serves the site from the binary.)
#[cfg(feature = "ssr")]
pub fn set_bundle_parts(loader: String, parts: std::collections::HashMap<String, Vec<String>>) {
    let manifest = leptos::WasmSplitManifest(ArcStoredValue::new(("/pkg".to_string(), parts, loader)));
    let _ = PARTS.set(manifest);
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let ctx = PageCtx::current();
    #[cfg(feature = "ssr")]
    content_security_policy();
    // A document (`pages::is_document`) is sent without the bundle: no
    // hydration script and no parts to preload.
    #[cfg(feature = "ssr")]
    let bundle = !use_context::<leptos_actix::Request>().is_some_and(|req| pages::is_document(req.path()));
    #[cfg(not(feature = "ssr"))]
    let bundle = true;
    #[cfg(feature = "ssr")]
    if let Some(parts) = PARTS.get().filter(|_| bundle) {
        provide_context(parts.clone());
    }
    // Nor the data a hydration would read: its resources are not written
    // into the page (what islands mode does outside islands).
    if !bundle {
        if let Some(sc) = Owner::current_shared_context() {
            sc.set_is_hydrating(false);
        }
    }
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
                {bundle.then(|| view! {
                    <AutoReload options=options.clone()/>
                    <HydrationScripts options/>
                })}
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
                <Route path=path!("/login") view={Lazy::<pages::Login>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/forgot") view={Lazy::<pages::Forgot>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/invite/:token") view={Lazy::<pages::Token>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/reset/:token") view={Lazy::<pages::Token>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/settings/password") view={Lazy::<pages::Password>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal") view={Lazy::<pages::Overview>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/invoices") view={Lazy::<pages::PortalInvoices>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/invoices/:id") view={Lazy::<pages::PortalInvoice>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/pay") view={Lazy::<pages::Pay>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/payments") view={Lazy::<pages::Payments>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/payments/:id") view={Lazy::<pages::Receipt>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/methods") view={Lazy::<pages::Methods>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/history") view={Lazy::<pages::History>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/promise") view={Lazy::<pages::Promise>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/promises") view={Lazy::<pages::MyPromises>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/promises") view={Lazy::<pages::BackPromises>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/dispute") view={Lazy::<pages::NewDispute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/disputes") view={Lazy::<pages::MyDisputes>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/portal/disputes/:id") view={Lazy::<pages::Dispute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/disputes") view={Lazy::<pages::BackDisputes>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/disputes/:id") view={Lazy::<pages::Dispute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/pay/:token") view={Lazy::<pages::Link>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/sandbox/authenticate/:id") view={Lazy::<pages::SandboxAuth>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/payments") view={Lazy::<pages::BackPayments>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/payments/:id") view={Lazy::<pages::BackPayment>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back") view={Lazy::<pages::BackAccounts>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts") view={Lazy::<pages::BackAccounts>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/new") view={Lazy::<pages::NewAccount>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id") view={Lazy::<pages::BackAccount>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id/edit") view={Lazy::<pages::EditAccount>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id/invoices/new") view={Lazy::<pages::NewDraft>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/drafts/:id") view={Lazy::<pages::Draft>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/accounts/:id/recurring/new") view={Lazy::<pages::NewRecurring>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/invoices") view={Lazy::<pages::BackInvoices>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/invoices/:id") view={Lazy::<pages::PortalInvoice>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/team") view={Lazy::<pages::Team>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/outbox") view={Lazy::<pages::Outbox>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/imports") view={Lazy::<pages::Imports>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/imports/:id") view={Lazy::<pages::Import>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/settings") view={Lazy::<pages::Settings>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/reminders") view={Lazy::<pages::Plans>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/reminders/approvals") view={Lazy::<pages::Approvals>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/reminders/calendar") view={Lazy::<pages::Calendar>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/prescription") view={Lazy::<pages::ClaimsAtRisk>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/rates") view={Lazy::<pages::Rates>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/todo") view={Lazy::<pages::Todo>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/aging") view={Lazy::<pages::Aging>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/aging/invoices") view={Lazy::<pages::AgingInvoices>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/indicators") view={Lazy::<pages::Indicators>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/exports") view={Lazy::<pages::Exports>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/back/dashboard") view={Lazy::<pages::Dashboard>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
