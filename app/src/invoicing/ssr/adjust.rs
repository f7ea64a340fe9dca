//! Bad debts: the owner writes off what an issued invoice still owes (or
//! part of it), with a reason, through the ledger's one writer.

use crate::answer::Created;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoicing::DocumentStatus;
use crate::ledger::{self, Posting};
use crate::state::AppState;
use crate::with_tx;

/// Writes off `amount` (empty: all the invoice still owes) of an issued
/// invoice. Answers the invoice.
pub async fn write_off(
    state: &AppState,
    principal: &Principal,
    invoice_id: i64,
    amount: &str,
    reason: &str,
) -> AppResult<Created<DocumentStatus>> {
    let reason = super::reason(reason)?;
    let (account_id, number) = super::issued(state, invoice_id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let locked = ledger::lock(&mut tx, account_id).await?;
    let currency = locked.currency();
    // Under the lock: what it owes, and how many write-offs it had (the
    // posting's key).
    let (owed, earlier): (i64, i64) = with_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT i.balance_minor,
                    (SELECT COUNT(*) FROM ledger_entries e WHERE e.invoice_id = i.id AND e.kind = 'write_off')
             FROM invoices i WHERE i.id = $1",
        )
        .bind(invoice_id)
        .fetch_one(&mut *c)
        .await
    })?;
    if owed <= 0 {
        return Err(AppError::Conflict(Msg::NothingOwed));
    }
    let amount = super::amount_up_to(amount, currency, owed, Msg::WriteOffTooLarge)?;
    let key = format!("{invoice_id}:{}", earlier + 1);
    let posting = Posting::WriteOff { key: &key, invoice_id, amount, reference: reason.as_ref() };
    ledger::post(&mut tx, &locked, posting, &ledger::Ctx::new(state, Some(principal.user_id))).await?;
    let details =
        AuditDetails::default().amount(Money::new(amount, currency)).invoices([number]).note(reason.into_string());
    let entry = Audit::new(Some(principal.user_id), AuditAction::InvoiceWrittenOff, ("invoice", Some(invoice_id)));
    audit((&mut tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(Created { id: invoice_id, status: DocumentStatus::Issued })
}
