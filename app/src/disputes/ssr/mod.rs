//! Disputes, server side. Every write runs in one transaction that locks
//! the account row first; state changes are compare-and-set on the status,
//! and the credit note is unique per dispute, so two owners approving at
//! once issue one. Every read is scoped in SQL.

mod form;
mod notices;
mod read;
mod write;

pub use form::*;
pub use read::*;
pub use write::*;

use super::attachments::{self, Refusal};
use super::*;
use crate::auth::ssr::{audit, Audit, Principal, Scope};
use crate::collection::account;
use crate::db::Conn;
use crate::db::Tx;
use crate::domain::{Currency, Locale, Role};
use crate::error::AppResult;
use crate::invoices::ssr::parse_currency;
use crate::ledger::{self, balances, Locked};
use crate::state::AppState;
use crate::{with_db, with_tx};
use notices::*;

/// Longest message kept, in characters.
const MAX_MESSAGE: usize = 5000;
/// Largest text field of a multipart form, in bytes.
const MAX_TEXT_FIELD: usize = 20_000;
const MAX_FIELDS: usize = 64;
