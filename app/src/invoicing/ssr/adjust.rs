//! Corrections of an issued invoice, each with its reason, through the
//! ledger's one writer: credit notes (their own gap-free series) and bad
//! debts written off by the owner.

use super::credit_notes::{self, NewCreditNote};
use super::numbering;
use crate::answer::Created;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoicing::rules::Series;
use crate::invoicing::DocumentStatus;
use crate::ledger::{self, Posting};
use crate::state::AppState;
use crate::with_tx;
use chrono::Datelike;

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

/// A credit note on an issued invoice: all that may still be credited
/// (`amount` empty) or part of it; its own gap-free series; posted to
/// the ledger (what the invoice no longer owes becomes credit).
pub async fn credit(
    state: &AppState,
    principal: &Principal,
    invoice_id: i64,
    amount: &str,
    reason: &str,
) -> AppResult<Created<DocumentStatus>> {
    let reason = super::reason(reason)?;
    let (account_id, invoice_number) = super::issued(state, invoice_id).await?;
    let today = state.clock.today();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let locked = ledger::lock(&mut tx, account_id).await?;
    let currency = locked.currency();
    let (total, credited): (i64, i64) = with_tx!(&mut tx, |c| {
        sqlx::query_as(
            "SELECT i.total_minor,
                    CAST(COALESCE((SELECT SUM(cn.amount_minor) FROM credit_notes cn WHERE cn.invoice_id = i.id), 0) AS BIGINT)
             FROM invoices i WHERE i.id = $1",
        )
        .bind(invoice_id)
        .fetch_one(&mut *c)
        .await
    })?;
    let creditable = total - credited;
    if creditable <= 0 {
        return Err(AppError::Conflict(Msg::NothingToCredit));
    }
    let amount = super::amount_up_to(amount, currency, creditable, Msg::CreditTooLarge)?;
    let number = numbering::next(&mut tx, Series::CreditNote, today.year()).await?;
    let note = NewCreditNote {
        number: &number,
        account_id,
        invoice_id,
        dispute_id: None,
        amount,
        currency,
        issued_on: today,
        reason: reason.as_ref(),
        created_by: Some(principal.user_id),
        created_at: now,
        import_id: None,
        vat: None,
    };
    let id = credit_notes::record(&mut tx, &locked, note, &ledger::Ctx::new(state, Some(principal.user_id))).await?;
    let details = AuditDetails::default()
        .amount(Money::new(amount, currency))
        .reference(number)
        .invoices([invoice_number])
        .note(reason.into_string());
    let entry = Audit::new(Some(principal.user_id), AuditAction::CreditNoteIssued, ("credit_note", Some(id)));
    audit((&mut tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(Created { id, status: DocumentStatus::Issued })
}

/// The credit note for an early-payment discount a payment took (`amount`,
/// at most what the invoice still owes), written when the payment succeeds,
/// inside its transaction and under the account's lock. Its reason, in the
/// account's language, names the payment. Answers the credit note, or
/// `None` when nothing is left to credit.
pub async fn early_discount(
    tx: &mut crate::db::Tx,
    state: &AppState,
    locked: &ledger::Locked,
    invoice_id: i64,
    amount: Money,
    payment_id: i64,
) -> AppResult<Option<i64>> {
    let account_id = locked.account_id();
    let (total, credited, number): (i64, i64, String) = with_tx!(&mut *tx, |c| {
        sqlx::query_as(
            "SELECT i.total_minor,
                    CAST(COALESCE((SELECT SUM(cn.amount_minor) FROM credit_notes cn WHERE cn.invoice_id = i.id), 0) AS BIGINT),
                    i.number
             FROM invoices i WHERE i.id = $1 AND i.account_id = $2",
        )
        .bind(invoice_id)
        .bind(account_id)
        .fetch_one(&mut *c)
        .await
    })?;
    let amount_minor = amount.minor.min(total - credited);
    if amount_minor <= 0 {
        return Ok(None);
    }
    let acc = crate::collection::account((&mut *tx).into(), account_id).await?;
    let locale = crate::domain::Locale::parse(&acc.language).unwrap_or_default();
    let reference = crate::payments::payment_reference(payment_id);
    let reason = Msg::EarlyDiscountReason.text(locale).replace("{payment}", &reference);
    let today = state.clock.today();
    let now = state.clock.now();
    let credit_number = numbering::next(tx, Series::CreditNote, today.year()).await?;
    let note = NewCreditNote {
        number: &credit_number,
        account_id,
        invoice_id,
        dispute_id: None,
        amount: amount_minor,
        currency: amount.currency,
        issued_on: today,
        reason: &reason,
        created_by: None,
        created_at: now,
        import_id: None,
        vat: None,
    };
    let id = credit_notes::record(tx, locked, note, &ledger::Ctx::new(state, None)).await?;
    let details = AuditDetails::default()
        .amount(Money::new(amount_minor, amount.currency))
        .reference(credit_number)
        .invoices([number])
        .note(reason);
    let entry = Audit::new(None, AuditAction::CreditNoteIssued, ("credit_note", Some(id)));
    audit((&mut *tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    Ok(Some(id))
}
