//! Sending an issued invoice to the account's billing addresses: its PDF
//! attached (by the mailer), a pay link while it still owes, the portal.

use super::require_invoicer;
use crate::answer::Created;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::{Locale, Money};
use crate::error::{AppError, AppResult};
use crate::invoicing::DocumentStatus;
use crate::mail::messages::Message;
use crate::state::AppState;
use crate::with_db;
use chrono::NaiveDate;

#[derive(sqlx::FromRow)]
struct Facts {
    account_id: i64,
    number: String,
    total_minor: i64,
    balance_minor: i64,
    currency: String,
    due_date: NaiveDate,
    billing_email: String,
    billing_cc: String,
    language: String,
}

/// Queues the invoice's e-mail to each billing address; answers the
/// invoice and how many addresses it goes to (as its status's detail).
pub async fn send(state: &AppState, principal: &Principal, invoice_id: i64) -> AppResult<Created<DocumentStatus>> {
    let facts: Option<Facts> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT i.account_id, i.number, i.total_minor, i.balance_minor, i.currency, i.due_date,
                    a.billing_email, a.billing_cc, a.language
             FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE i.id = $1 AND i.status = 'issued'",
        )
        .bind(invoice_id)
        .fetch_optional(pool)
        .await
    })?;
    let f = facts.ok_or(AppError::NotFound)?;
    // Who may invoice the account may send its invoices (else a 404).
    require_invoicer((&state.db).into(), principal, f.account_id).await?;
    let merchant = crate::settings::ssr::load(state).await?;
    let currency = crate::ledger::parse_currency(&f.currency)?;
    let pay_link = if f.balance_minor > 0 {
        Some(crate::payments::paylink::create(state, principal.scope(), principal.user_id, invoice_id).await?.1)
    } else {
        None
    };
    let portal = format!("{}/portal/invoices/{invoice_id}", state.auth.public_url);
    let message = Message::Invoice {
        company: &merchant.company_name,
        number: &f.number,
        total: Money::new(f.total_minor, currency),
        due: f.due_date,
        pay_link: pay_link.as_deref(),
        portal_link: &portal,
    };
    let locale = Locale::parse(&f.language).unwrap_or_default();
    let to: Vec<&str> = std::iter::once(f.billing_email.as_str())
        .chain(f.billing_cc.split(',').map(str::trim).filter(|s| !s.is_empty()))
        .collect();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    for address in &to {
        crate::mail::send_with_invoice(&mut tx, now, address, locale, &message, f.account_id, invoice_id).await?;
    }
    let details = AuditDetails::default().invoices([f.number.clone()]).reference(to.join(", "));
    let entry = Audit::new(Some(principal.user_id), AuditAction::InvoiceSent, ("invoice", Some(invoice_id)));
    audit((&mut tx).into(), now, entry.account(Some(f.account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(Created { id: invoice_id, status: DocumentStatus::Issued })
}
