//! Invoicing in the database: drafts (`drafts`), issuing and credit notes
//! (`issue`), gap-free numbers (`numbering`), credit notes and bad debts
//! (`adjust`, written by `credit_notes`), sending (`send`).

pub mod adjust;
pub mod credit_notes;
pub mod drafts;
pub mod issue;
pub mod numbering;
pub mod recurring;
pub mod send;

use super::BilledAccount;
use crate::auth::ssr::Principal;
use crate::db::Conn;
use crate::domain::{CustomerKind, PaymentTerms, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::with_conn;

#[derive(sqlx::FromRow)]
pub(crate) struct AccountDb {
    id: i64,
    code: String,
    legal_name: String,
    currency: String,
    payment_terms_days: i32,
    terms_end_of_month: bool,
    kind: String,
    pub(crate) archived: bool,
}

impl AccountDb {
    fn into_billed(self) -> AppResult<BilledAccount> {
        Ok(BilledAccount {
            id: self.id,
            code: self.code,
            legal_name: self.legal_name,
            currency: crate::ledger::parse_currency(&self.currency)?,
            terms: PaymentTerms { days: self.payment_terms_days, end_of_month: self.terms_end_of_month },
            kind: CustomerKind::parse(&self.kind).unwrap_or_default(),
        })
    }
}

const ACCOUNT_COLUMNS: &str = "a.id, a.code, a.legal_name, a.currency, a.payment_terms_days, a.terms_end_of_month,
    a.kind, a.archived_at IS NOT NULL AS archived";

/// The account a job invoices (no caller to check), inside its transaction;
/// `None` when archived.
pub(crate) async fn account_for_job(tx: &mut crate::db::Tx, account_id: i64) -> AppResult<Option<BilledAccount>> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1");
    let row: AccountDb = crate::with_tx!(tx, |c| sqlx::query_as(&sql).bind(account_id).fetch_one(&mut *c).await)?;
    if row.archived {
        return Ok(None);
    }
    row.into_billed().map(Some)
}

/// The account, if the caller may invoice it: the owner and the
/// accountant any, a collector those assigned to them (another's is a
/// 404, like a missing account); clients none (403). An archived account
/// takes no new invoice.
pub async fn require_invoicer(conn: Conn<'_>, principal: &Principal, account_id: i64) -> AppResult<BilledAccount> {
    if principal.role == Role::Client {
        return Err(AppError::Forbidden);
    }
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts a WHERE {} AND a.id = $4", scope.sql());
    let row: Option<AccountDb> = with_conn!(conn, |c| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(&mut *c).await
    })?;
    let row = row.ok_or(AppError::NotFound)?;
    if row.archived {
        return Err(AppError::Conflict(Msg::AccountIsArchived));
    }
    row.into_billed()
}

/// A correction's reason: required, at most 500 characters.
pub(crate) fn reason(text: &str) -> AppResult<crate::domain::Note> {
    let reason = crate::domain::Note::parse_max("reason", text, 500)?;
    if reason.is_empty() {
        return Err(AppError::field("reason", Msg::RequiredField));
    }
    Ok(reason)
}

/// An issued invoice's account and number (a 404 otherwise).
pub(crate) async fn issued(state: &crate::state::AppState, invoice_id: i64) -> AppResult<(i64, String)> {
    let found: Option<(i64, String)> = crate::with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT account_id, number FROM invoices WHERE id = $1 AND status = 'issued'")
            .bind(invoice_id)
            .fetch_optional(pool)
            .await
    })?;
    found.ok_or(AppError::NotFound)
}

/// The amount typed for a correction: empty means `max`; otherwise more
/// than zero and at most `max`, or `msg` on the `amount` field.
pub(crate) fn amount_up_to(input: &str, currency: crate::domain::Currency, max: i64, msg: Msg) -> AppResult<i64> {
    match input.trim() {
        "" => Ok(max),
        s => match crate::domain::Money::parse_major(s, currency) {
            Ok(m) if m.minor > 0 && m.minor <= max => Ok(m.minor),
            _ => Err(AppError::field("amount", msg)),
        },
    }
}
