//! Recording and reversing money received outside the portal. Each runs in
//! one transaction under the account's lock: the payment row, its ledger
//! posting (through `ledger::post`, dated the day the money arrived), its
//! allocations, the audit entry and the client's e-mail commit together or
//! not at all.

use super::rules::{check_reversible, Received};
use super::{Channel, OpenLine, PartForm, ReceiveSheet, ReceivedForm, MAX_OPEN_LINES};
use crate::answer::Created;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, random_token, Audit, Principal};
use crate::db::Conn;
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ledger::{self, Allocation, Posting};
use crate::payments::ssr::tell_client;
use crate::payments::{payment_reference, PaymentStatus};
use crate::state::AppState;
use crate::{with_db, with_tx};

/// The account's currency, if it takes payments (an archived one does not).
async fn receiving_account(state: &AppState, account_id: i64) -> AppResult<crate::domain::Currency> {
    let row: Option<(String, bool)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT currency, archived_at IS NOT NULL FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await
    })?;
    let (currency, archived) = row.ok_or(AppError::NotFound)?;
    if archived {
        return Err(AppError::Conflict(Msg::AccountIsArchived));
    }
    ledger::parse_currency(&currency)
}

/// The form's content: the open invoices and a fresh key. Owner and
/// accountant only.
pub async fn sheet(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<ReceiveSheet> {
    principal.require_bookkeeper()?;
    let currency = receiving_account(state, account_id).await?;
    let open = ledger::balances::open_invoices((&state.db).into(), account_id).await?;
    let more_open = open.len() > MAX_OPEN_LINES;
    Ok(ReceiveSheet {
        account_id,
        allowed: true,
        open: open
            .into_iter()
            .take(MAX_OPEN_LINES)
            .map(|i| OpenLine {
                id: i.id,
                number: i.number,
                due_date: i.due_date,
                balance: Money::new(i.balance, currency),
            })
            .collect(),
        more_open,
        today: state.clock.today(),
        idempotency_key: random_token(),
    })
}

/// Records a payment received; the same key on the same account returns
/// the payment recorded the first time.
#[tracing::instrument(skip_all, fields(account = form.account_id))]
pub async fn record(state: &AppState, principal: &Principal, form: ReceivedForm) -> AppResult<Created<PaymentStatus>> {
    principal.require_bookkeeper()?;
    let account_id = form.account_id;
    let currency = receiving_account(state, account_id).await?;
    let received = Received::try_from((form, currency, state.clock.today()))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    // Under the lock: a second post of the form waits for the first, then
    // finds it.
    let existing: Option<(i64, String)> = with_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT id, status FROM payments WHERE account_id = $1 AND idempotency_key = $2")
            .bind(account_id)
            .bind(&received.idempotency_key)
            .fetch_optional(&mut *c)
            .await
    })?;
    if let Some((id, status)) = existing {
        let status = PaymentStatus::parse(&status).ok_or(AppError::Internal)?;
        return Ok(Created { id, status });
    }
    check_parts(&mut tx, account_id, &received.parts).await?;
    let id: i64 = with_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO payments (account_id, idempotency_key, gateway, amount_minor, currency, status, source,
                 created_by, created_at, updated_at, succeeded_at, channel, received_on, reference)
             VALUES ($1, $2, 'manual', $3, $4, 'succeeded', 'staff', $5, $6, $6, $6, $7, $8, $9) RETURNING id",
        )
        .bind(account_id)
        .bind(&received.idempotency_key)
        .bind(received.amount.minor)
        .bind(currency.code())
        .bind(principal.user_id)
        .bind(now)
        .bind(received.channel.as_str())
        .bind(received.received_on)
        .bind(&received.reference)
        .fetch_one(&mut *c)
        .await
    })?;
    let reference = payment_reference(id);
    let allocation =
        if received.parts.is_empty() { Allocation::OldestFirst } else { Allocation::Planned(received.parts.clone()) };
    let posting = Posting::Payment { payment_id: id, amount: received.amount.minor, allocation, reference: &reference };
    let ctx = ledger::Ctx::new(state, Some(principal.user_id)).dated(received.received_on);
    let posted = ledger::post(&mut tx, &lock, posting, &ctx).await?;
    let mut numbers = Vec::new();
    for (invoice_id, signed) in posted.invoices.iter().filter(|(_, a)| *a < 0) {
        let number: String = with_tx!(&mut tx, |c| {
            sqlx::query("INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(invoice_id)
                .bind(-signed)
                .execute(&mut *c)
                .await?;
            sqlx::query_scalar("SELECT number FROM invoices WHERE id = $1").bind(invoice_id).fetch_one(&mut *c).await
        })?;
        numbers.push(number);
    }
    let details = AuditDetails::default()
        .amount(received.amount)
        .date(received.received_on)
        .data(serde_json::json!({ "channel": received.channel.as_str() }))
        .reference(if received.reference.is_empty() { reference.clone() } else { received.reference.clone() })
        .invoices(numbers);
    let entry = Audit::new(Some(principal.user_id), AuditAction::PaymentRecorded, ("payment", Some(id)));
    audit(Conn::Tx(&mut tx), now, entry.account(Some(account_id)).details(details)).await?;
    let amount = received.amount;
    tell_client(&mut tx, state, now, account_id, id, |locale, company, link| {
        crate::mail::Message::Receipt { company, reference: &reference, amount, link }.render(locale)
    })
    .await?;
    tx.commit().await?;
    Ok(Created { id, status: PaymentStatus::Succeeded })
}

/// Each chosen invoice is the account's, issued, and owes at least the
/// amount typed against it (under the lock: what it owes now).
async fn check_parts(tx: &mut crate::db::Tx, account_id: i64, parts: &[(i64, i64)]) -> AppResult<()> {
    let mut problems = Vec::new();
    for &(invoice_id, part) in parts {
        let row: Option<(i64, String)> = with_tx!(tx, |c| {
            sqlx::query_as("SELECT balance_minor, status FROM invoices WHERE id = $1 AND account_id = $2")
                .bind(invoice_id)
                .bind(account_id)
                .fetch_optional(&mut *c)
                .await
        })?;
        match row {
            Some((owed, status)) if status == "issued" && owed >= part => {}
            Some((owed, status)) if status == "issued" && owed > 0 => {
                problems.push((PartForm::field(invoice_id), Msg::PartTooLarge));
            }
            _ => problems.push((PartForm::field(invoice_id), Msg::InvoiceNotPayable)),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(problems))
    }
}

/// Reverses a recorded payment the bank took back: each of its entries is
/// mirrored (what it settled is owed again, the credit it left is gone),
/// once, whatever the number of clicks.
#[tracing::instrument(skip(state, principal, reason))]
pub async fn reverse(
    state: &AppState,
    principal: &Principal,
    payment_id: i64,
    reason: &str,
) -> AppResult<Created<PaymentStatus>> {
    principal.require_bookkeeper()?;
    let reason = crate::invoicing::ssr::reason(reason)?;
    let row: Option<(i64, i64, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT account_id, amount_minor, currency FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(pool)
            .await
    })?;
    let (account_id, amount_minor, currency) = row.ok_or(AppError::NotFound)?;
    let amount = Money::new(amount_minor, ledger::parse_currency(&currency)?);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let (status, channel): (String, Option<String>) = with_tx!(&mut tx, |c| {
        sqlx::query_as("SELECT status, channel FROM payments WHERE id = $1").bind(payment_id).fetch_one(&mut *c).await
    })?;
    check_reversible(&status, channel.as_deref().and_then(Channel::parse)).map_err(AppError::Conflict)?;
    with_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE payments SET status = 'reversed', reversed_at = $2, reversal_reason = $3, updated_at = $2
             WHERE id = $1 AND status = 'succeeded'",
        )
        .bind(payment_id)
        .bind(now)
        .bind(reason.as_ref())
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    let reference = payment_reference(payment_id);
    let posting = Posting::PaymentReversal { payment_id, reference: &reference };
    let posted = ledger::post(&mut tx, &lock, posting, &ledger::Ctx::new(state, Some(principal.user_id))).await?;
    if !posted.new {
        return Err(AppError::Conflict(Msg::AlreadyReversed));
    }
    let details = AuditDetails::default().amount(amount).reference(reference.clone()).note(reason.as_ref().to_string());
    let entry = Audit::new(Some(principal.user_id), AuditAction::PaymentReversed, ("payment", Some(payment_id)));
    audit(Conn::Tx(&mut tx), now, entry.account(Some(account_id)).details(details)).await?;
    tell_client(&mut tx, state, now, account_id, payment_id, |locale, company, link| {
        crate::mail::Message::PaymentReversed { company, reference: &reference, amount, reason: reason.as_ref(), link }
            .render(locale)
    })
    .await?;
    tx.commit().await?;
    Ok(Created { id: payment_id, status: PaymentStatus::Reversed })
}
