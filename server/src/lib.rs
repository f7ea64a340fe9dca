//! The Relance server: settings, start-up, HTTP middleware and the few
//! routes that are not Leptos pages (PDF, language switch, logout, health).

pub mod assets;
pub mod bench_aging;
pub mod bench_import;
pub mod bench_reminders;
pub mod exports;
pub mod mailer;
pub mod maintenance;
pub mod middleware;
pub mod ops;
pub mod page_cache;
pub mod pdf;
pub mod routes;
pub mod seed;
pub mod seed_plan;
pub mod seed_scale;
pub mod settings;
pub mod sms;
pub mod startup;
pub mod stripe;
pub mod users;
