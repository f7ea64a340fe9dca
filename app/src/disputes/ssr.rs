//! Disputes, server side (draft: open, thread, owner decision with its
//! credit note). Every write runs in one transaction that locks the
//! account row first; decisions are compare-and-set on the status, and the
//! credit note is unique per dispute, so two owners approving at once
//! issue one.

use crate::auth::ssr::{audit_tx, Audit};
use crate::domain::{Currency, EntryKind, Money};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoices::ssr::parse_currency;
use crate::payments::ssr::lock_account;
use crate::state::AppState;
use crate::{with_db, with_tx};

/// The amount of an invoice (alias `i`) under a dispute in progress: out of
/// collection and of the overdue figures, shown apart as *disputed*.
pub const DISPUTED_SQL: &str = "COALESCE((SELECT SUM(d.amount_minor) FROM disputes d
    WHERE d.invoice_id = i.id AND d.status IN ('open', 'under_review')), 0)";

pub const REASONS: [&str; 6] = ["not_received", "damaged", "wrong_amount", "already_paid", "not_ordered", "other"];

#[derive(Clone, Debug)]
pub enum DisputeScope {
    Invoice,
    /// Line numbers (1-based, in invoice order).
    Lines(Vec<i64>),
    /// Major units as typed.
    Amount(String),
}

#[derive(Clone, Debug)]
pub struct NewDispute {
    pub account_id: i64,
    pub invoice_id: i64,
    pub reason: String,
    pub scope: DisputeScope,
    pub message: String,
    pub actor: i64,
}

/// Opens a dispute on one of the client's invoices. Returns its id.
pub async fn open(state: &AppState, d: &NewDispute) -> AppResult<i64> {
    if !REASONS.contains(&d.reason.as_str()) {
        return Err(AppError::field("reason", Msg::RequiredField));
    }
    let message: String = d.message.trim().chars().take(5000).collect();
    if message.is_empty() {
        return Err(AppError::field("message", Msg::RequiredField));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, d.account_id).await?;
    let row: Option<(String, i64)> = with_tx!(&mut tx, |conn| {
        sqlx::query_as(
            "SELECT i.currency,
                CAST(COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = i.id), 0) AS BIGINT)
             FROM invoices i WHERE i.id = $1 AND i.account_id = $2 AND i.status = 'issued'",
        )
        .bind(d.invoice_id)
        .bind(d.account_id)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let (code, balance) = row.ok_or(AppError::NotFound)?;
    let currency = parse_currency(&code)?;
    if balance <= 0 {
        return Err(AppError::Conflict(Msg::PromiseInvoiceSettled));
    }
    let (scope, amount, lines) = match &d.scope {
        DisputeScope::Invoice => ("invoice", balance, Vec::new()),
        DisputeScope::Lines(lines) => {
            let gross = lines_gross(&mut tx, d.invoice_id, lines).await?;
            ("lines", gross.min(balance), lines.clone())
        }
        DisputeScope::Amount(text) => {
            let m = Money::parse_major(text, currency).map_err(|_| AppError::field("amount", Msg::InvalidAmount))?;
            if m.minor <= 0 || m.minor > balance {
                return Err(AppError::field("amount", Msg::PromiseAmountInvalid));
            }
            ("amount", m.minor, Vec::new())
        }
    };
    let id: Option<i64> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(d.account_id)
        .bind(d.invoice_id)
        .bind(&d.reason)
        .bind(scope)
        .bind(amount)
        .bind(currency.code())
        .bind(d.actor)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    // The partial unique index: one dispute in progress per invoice.
    let id = id.ok_or(AppError::Conflict(Msg::DisputeAlreadyOpen))?;
    for line in &lines {
        with_tx!(&mut tx, |conn| {
            sqlx::query("INSERT INTO dispute_lines (dispute_id, line_no) VALUES ($1, $2)")
                .bind(id)
                .bind(line)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    post_tx(&mut tx, id, Some(d.actor), "message", &message, now).await?;
    let details = format!("{} {}", d.reason, Money::new(amount, currency).format(crate::domain::Locale::En));
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(d.actor), "dispute.opened", ("dispute", Some(id)))
            .account(Some(d.account_id))
            .details(&details),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Gross amount (net + tax) of the chosen lines of an invoice.
async fn lines_gross(tx: &mut crate::db::Tx, invoice_id: i64, lines: &[i64]) -> AppResult<i64> {
    if lines.is_empty() {
        return Err(AppError::field("lines", Msg::RequiredField));
    }
    let all: Vec<(i64, i64)> = with_tx!(tx, |conn| {
        sqlx::query_as("SELECT net_minor, tax_minor FROM invoice_lines WHERE invoice_id = $1 ORDER BY position, id")
            .bind(invoice_id)
            .fetch_all(&mut *conn)
            .await
    })?;
    let mut gross = 0;
    for line in lines {
        let Some((net, tax)) = usize::try_from(*line - 1).ok().and_then(|i| all.get(i)) else {
            return Err(AppError::field("lines", Msg::InvalidInput));
        };
        gross += net + tax;
    }
    if gross <= 0 {
        return Err(AppError::field("lines", Msg::InvalidInput));
    }
    Ok(gross)
}

async fn post_tx(
    tx: &mut crate::db::Tx,
    dispute_id: i64,
    author: Option<i64>,
    kind: &str,
    body: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<i64> {
    let id: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO dispute_messages (dispute_id, author_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(dispute_id)
        .bind(author)
        .bind(kind)
        .bind(body)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
    })?;
    Ok(id)
}

/// The owner's decision: `approved_minor` of the disputed amount (0 is a
/// rejection, which needs a reason). An approval issues a credit note on
/// the invoice in the same transaction; the status compare-and-set and the
/// unique credit note per dispute make a second, concurrent decision fail
/// with a conflict and issue nothing.
pub async fn decide(
    state: &AppState,
    id: i64,
    approved_minor: i64,
    note: &str,
    actor: i64,
) -> AppResult<Option<String>> {
    let note: String = note.trim().chars().take(2000).collect();
    let row: Option<(i64, i64, i64, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT account_id, invoice_id, amount_minor, currency FROM disputes WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await
    })?;
    let (account_id, invoice_id, disputed, code) = row.ok_or(AppError::NotFound)?;
    let currency: Currency = parse_currency(&code)?;
    if approved_minor < 0 || approved_minor > disputed {
        return Err(AppError::field("amount", Msg::PromiseAmountInvalid));
    }
    if approved_minor == 0 && note.is_empty() {
        return Err(AppError::field("note", Msg::RequiredField));
    }
    let status = match approved_minor {
        0 => "rejected",
        a if a == disputed => "approved",
        _ => "partially_approved",
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, account_id).await?;
    let moved = with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE disputes SET status = $2, approved_minor = $3, decision_note = $4, decided_by = $5, decided_at = $6, updated_at = $6
             WHERE id = $1 AND status IN ('open', 'under_review')",
        )
        .bind(id)
        .bind(status)
        .bind(approved_minor)
        .bind(&note)
        .bind(actor)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if moved == 0 {
        return Err(AppError::Conflict(Msg::DisputeDecided));
    }
    let mut number = None;
    if approved_minor > 0 {
        let today = state.clock.today();
        let credit_id: i64 = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(
                "INSERT INTO credit_notes (number, account_id, invoice_id, dispute_id, amount_minor, currency, issued_on, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(format!("pending-{id}"))
            .bind(account_id)
            .bind(invoice_id)
            .bind(id)
            .bind(approved_minor)
            .bind(currency.code())
            .bind(today)
            .bind(actor)
            .bind(now)
            .fetch_one(&mut *conn)
            .await
        })?;
        let n = format!("AV-{credit_id:06}");
        with_tx!(&mut tx, |conn| {
            sqlx::query("UPDATE credit_notes SET number = $2 WHERE id = $1")
                .bind(credit_id)
                .bind(&n)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        crate::payments::ssr::insert_entry(
            &mut tx,
            account_id,
            Some(invoice_id),
            EntryKind::CreditNote,
            -approved_minor,
            currency,
            today,
            &n,
            None,
            Some(actor),
            now,
        )
        .await?;
        number = Some(n);
    }
    let body = if note.is_empty() { status.to_string() } else { note.clone() };
    post_tx(&mut tx, id, Some(actor), "decision", &body, now).await?;
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), &format!("dispute.{status}"), ("dispute", Some(id)))
            .account(Some(account_id))
            .details(number.as_deref().unwrap_or(&note)),
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}
