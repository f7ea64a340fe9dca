//! Relance: the Leptos application (pages, server functions, domain types).
//! Compiled twice: for the server (`ssr`) and for the browser (`hydrate`).

pub mod accounts;
pub mod aging;
pub mod answer;
pub mod audit;
pub mod auth;
pub mod backoffice;
#[cfg(feature = "ssr")]
pub mod collection;
pub mod components;
pub mod dashboard;
pub mod disputes;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod einvoice;
pub mod error;
pub mod exports;
pub mod i18n;
pub mod imports;
pub mod indicators;
pub mod invoices;
pub mod invoicing;
pub mod legal;
pub mod pages;
pub mod payments;
pub mod portal;
pub mod promises;
pub mod reminders;
pub mod settings;
pub mod shell;
pub mod statements;

#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod ledger;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod state;

pub use shell::{shell, App, PageCtx, Viewer};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let ctx = shell::PageCtx::from_document();
    // Lazy: each page's part of the bundle loads before it hydrates
    // (see `pages`).
    leptos::mount::hydrate_lazy(move || {
        leptos::prelude::provide_context(ctx.clone());
        leptos::prelude::view! { <App/> }
    });
}
