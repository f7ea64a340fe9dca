//! Demo data: a lighting workshop in Lyon, its staff, 60 client accounts and
//! 18 months of invoices, payments and adjustments. The data is planned as
//! pure, deterministic Rust (`plan_demo`) and written in one transaction.

use app::db::Db;
use app::domain::ledger::line_amounts;
use app::domain::{Currency, EntryKind, Locale, MoneyError, Role, Segment};
use app::with_db;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

mod data;
mod plan;
#[cfg(test)]
mod tests;
mod write;

use data::*;
pub use plan::*;
pub use write::seed_demo;

pub const DEMO_PASSWORD: &str = "relance-demo";

/// Demo sign-ins (e-mail, role); all use `DEMO_PASSWORD`.
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("owner@relance.demo", "owner"),
    ("camille@relance.demo", "collector"),
    ("james@relance.demo", "collector"),
    ("paul@relance.demo", "accountant"),
    ("client@relance.demo", "client"),
    ("client2@relance.demo", "client"),
];

/// What `seed_demo` wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedReport {
    pub accounts: usize,
    pub invoices: usize,
    pub ledger_entries: usize,
    pub users: usize,
}
