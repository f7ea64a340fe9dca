//! The accounts-receivable ledger, beneath every feature that moves money.
//!
//! - `writer::post` is the one way to write it: payments, credit notes,
//!   refunds and their reversals, fees, write-offs, issued invoices and the
//!   application of credit all go through it, under the account's lock.
//! - `balances` keeps and reads the stored balances the writer maintains
//!   (each invoice's remaining balance, each account's balance, unapplied
//!   credit and collection figures), so pages never sum the ledger per row.
//! - `verify` recomputes every stored figure from the entries.
//!
//! Features call this module; it calls none of them (holds come from
//! `crate::collection`, beneath it too).

pub mod balances;
pub mod bulk;
pub mod verify;
pub mod writer;

pub use writer::{post, Allocation, Ctx, Posted, Posting};

use crate::db::Tx;
use crate::domain::Currency;
use crate::error::{AppError, AppResult};

/// A currency read back from the database (written by us: an unknown one is
/// an internal error, not the user's).
pub fn parse_currency(code: &str) -> AppResult<Currency> {
    Currency::parse(code).map_err(|_| AppError::internal(anyhow::anyhow!("unknown currency {code:?} in database")))
}

/// Proof that the transaction it came from holds an account's lock: every
/// writer of that account's money, promises or disputes takes it first, so
/// they run one at a time per account and each sees what the previous one
/// committed.
#[derive(Debug)]
pub struct Locked {
    account_id: i64,
    currency: Currency,
}

impl Locked {
    pub fn account_id(&self) -> i64 {
        self.account_id
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }
}

/// Takes the account's lock for the rest of the transaction: the account
/// row `FOR UPDATE` on PostgreSQL; on SQLite the transaction already is the
/// only writer (`BEGIN IMMEDIATE`). A missing account is `NotFound`.
#[tracing::instrument(skip(tx))]
pub async fn lock(tx: &mut Tx, account_id: i64) -> AppResult<Locked> {
    let code: Option<String> = match tx {
        Tx::Sqlite(t) => {
            sqlx::query_scalar("SELECT currency FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(&mut **t)
                .await?
        }
        Tx::Postgres(t) => {
            sqlx::query_scalar("SELECT currency FROM accounts WHERE id = $1 FOR UPDATE")
                .bind(account_id)
                .fetch_optional(&mut **t)
                .await?
        }
    };
    let code = code.ok_or(AppError::NotFound)?;
    Ok(Locked { account_id, currency: parse_currency(&code)? })
}
