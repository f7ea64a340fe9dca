//! Invoicing in the database: drafts (`drafts`), issuing and credit notes
//! (`issue`), gap-free numbers (`numbering`), bad debts (`adjust`), sending
//! (`send`).

pub mod adjust;
pub mod drafts;
pub mod issue;
pub mod numbering;
pub mod send;

use super::BilledAccount;
use crate::auth::ssr::Principal;
use crate::db::Conn;
use crate::domain::{CustomerKind, PaymentTerms, Role};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::with_conn;

#[derive(sqlx::FromRow)]
struct AccountDb {
    id: i64,
    code: String,
    legal_name: String,
    currency: String,
    payment_terms_days: i32,
    terms_end_of_month: bool,
    kind: String,
    archived: bool,
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
    let sql = format!(
        "SELECT a.id, a.code, a.legal_name, a.currency, a.payment_terms_days, a.terms_end_of_month, a.kind,
                a.archived_at IS NOT NULL AS archived
         FROM accounts a WHERE {} AND a.id = $4",
        scope.sql()
    );
    let row: Option<AccountDb> = with_conn!(conn, |c| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(&mut *c).await
    })?;
    let row = row.ok_or(AppError::NotFound)?;
    if row.archived {
        return Err(AppError::Conflict(Msg::AccountIsArchived));
    }
    Ok(BilledAccount {
        id: row.id,
        code: row.code,
        legal_name: row.legal_name,
        currency: crate::ledger::parse_currency(&row.currency)?,
        terms: PaymentTerms { days: row.payment_terms_days, end_of_month: row.terms_end_of_month },
        kind: CustomerKind::parse(&row.kind).unwrap_or_default(),
    })
}
