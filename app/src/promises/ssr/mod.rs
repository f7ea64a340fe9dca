//! Promises on the server: creation, cancellation and staff decisions (each
//! one transaction, the account's lock first), the settling job
//! (`settle.rs`) and the scoped lists (`list.rs`). The rules they apply
//! are in `super::rules`, without a database.

use super::*;
use crate::answer::Created;
use crate::audit::AuditDetails;
use crate::auth::ssr::{audit, Audit, Scope};
use crate::collection::account;
use crate::db::{Conn, Tx};
use crate::domain::{Currency, Locale};
use crate::error::AppResult;
use crate::ledger::{self, balances, parse_currency};
use crate::mail::{Message, PromiseFacts, PromiseNotice};
use crate::state::AppState;
use crate::{with_conn, with_db, with_tx};

mod list;
mod settle;

pub use list::list;
pub use settle::settle_due;

/// The owner's policy, from the merchant settings.
pub async fn policy(conn: Conn<'_>) -> AppResult<Policy> {
    let row: Option<(i32, i32)> = with_conn!(conn, |c| {
        sqlx::query_as("SELECT promise_max_days, promise_max_per_invoice FROM merchant WHERE id = 1")
            .fetch_optional(&mut *c)
            .await
    })?;
    Ok(row.map_or_else(Policy::default, |(days, count)| Policy {
        max_days: i64::from(days),
        max_per_invoice: i64::from(count),
    }))
}

/// The open invoices of `account_id` among `ids`; another account's (or a
/// missing) invoice is a 404, a settled one a conflict.
#[tracing::instrument(skip(conn))]
async fn lines_in(mut conn: Conn<'_>, account_id: i64, ids: &[i64]) -> AppResult<(Vec<PromiseLine>, Currency)> {
    let mut lines = Vec::new();
    let mut currency = None;
    for id in ids {
        let row: Option<(String, NaiveDate, String, i64)> = with_conn!(conn.reborrow(), |c| {
            sqlx::query_as(
                "SELECT i.number, i.due_date, i.currency, i.balance_minor
                 FROM invoices i WHERE i.id = $1 AND i.account_id = $2 AND i.status = 'issued'",
            )
            .bind(id)
            .bind(account_id)
            .fetch_optional(&mut *c)
            .await
        })?;
        let (number, due_date, code, balance) = row.ok_or(AppError::NotFound)?;
        if balance <= 0 {
            return Err(AppError::Conflict(Msg::PromiseInvoiceSettled));
        }
        let c = parse_currency(&code)?;
        currency = Some(c);
        lines.push(PromiseLine { id: *id, number, due_date, balance: Money::new(balance, c) });
    }
    lines.sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
    Ok((lines, currency.ok_or_else(|| AppError::field("invoices", Msg::SelectInvoices))?))
}

/// What a promise on these invoices would cover. Reads only, on the pool.
#[tracing::instrument(skip(state))]
pub async fn quote(state: &AppState, account_id: i64, ids: &[i64]) -> AppResult<PromiseQuote> {
    let policy = policy((&state.db).into()).await?;
    let (invoices, currency) = lines_in((&state.db).into(), account_id, ids).await?;
    let today = state.clock.today();
    let total = invoices.iter().map(|l| l.balance.minor).sum();
    Ok(PromiseQuote { invoices, total: Money::new(total, currency), today, latest_date: policy.latest_date(today) })
}

/// Records a promise: active, or waiting for staff approval when a client
/// promises an invoice that already received the policy's count. Under the
/// account's lock, so two tabs promising the same invoice make one promise.
/// Mails the client (a confirmation, or the promise staff recorded) and
/// the account's collector (to approve, or for information).
#[tracing::instrument(skip(state, p), fields(account = p.account_id, source = ?p.source))]
pub async fn create(state: &AppState, p: &NewPromise) -> AppResult<Created<PromiseStatus>> {
    let today = state.clock.today();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let policy = policy(Conn::Tx(&mut tx)).await?;
    policy.check_date(p.date, today)?;
    let lock = ledger::lock(&mut tx, p.account_id).await?;
    let (lines, currency) = lines_in(Conn::Tx(&mut tx), p.account_id, &p.invoice_ids).await?;
    let total = Money::new(lines.iter().map(|l| l.balance.minor).sum(), currency);
    let amount = rules::promised_amount(p.amount, total)?;
    let mut most_earlier = 0;
    for l in &lines {
        let (open, earlier): (i64, i64) = with_tx!(&mut tx, |conn| {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(CASE WHEN pr.status IN ('active', 'pending_approval') THEN 1 ELSE 0 END), 0) AS BIGINT),
                        CAST(COALESCE(SUM(CASE WHEN pr.status <> 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM promise_invoices pi JOIN promises pr ON pr.id = pi.promise_id WHERE pi.invoice_id = $1",
            )
            .bind(l.id)
            .fetch_one(&mut *conn)
            .await
        })?;
        if open > 0 {
            return Err(AppError::Conflict(Msg::PromiseAlreadyMade));
        }
        most_earlier = most_earlier.max(earlier);
    }
    let status = policy.status_for(p.source, most_earlier);
    let id: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO promises (account_id, promised_date, amount_minor, currency, balance_at_promise_minor, status, source,
                 note, created_by, created_at, updated_at, ledger_mark)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10,
                 COALESCE((SELECT MAX(e.id) FROM ledger_entries e WHERE e.account_id = $1), 0)) RETURNING id",
        )
        .bind(p.account_id)
        .bind(p.date)
        .bind(amount.minor)
        .bind(currency.code())
        .bind(total.minor)
        .bind(status.as_str())
        .bind(p.source.as_str())
        .bind(p.note.as_ref())
        .bind(p.actor)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
    })?;
    for l in &lines {
        with_tx!(&mut tx, |conn| {
            sqlx::query("INSERT INTO promise_invoices (promise_id, invoice_id, balance_minor) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(l.id)
                .bind(l.balance.minor)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let numbers = lines.iter().map(|l| l.number.as_str()).collect::<Vec<_>>().join(", ");
    let details = AuditDetails::default()
        .amount(amount)
        .date(p.date)
        .invoices(lines.iter().map(|l| l.number.clone()))
        .code(status.as_str())
        .note(p.note.as_ref());
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(p.actor), crate::audit::AuditAction::PromiseCreated, ("promise", Some(id)))
            .account(Some(p.account_id))
            .details(details),
    )
    .await?;
    balances::refresh(&mut tx, &lock, today).await?;
    let facts = PromiseFacts { date: p.date, amount, numbers };
    match (status, p.source) {
        (PromiseStatus::PendingApproval, _) => {
            // The client hears when staff decide.
            notify_staff(&mut tx, state, p.account_id, &facts, PromiseNotice::NeedsApproval).await?;
        }
        (_, PromiseSource::Staff) => {
            notify_client(&mut tx, state, p.account_id, &facts, PromiseNotice::Recorded, "").await?;
        }
        (_, PromiseSource::Portal) => {
            notify_client(&mut tx, state, p.account_id, &facts, PromiseNotice::Confirmed, "").await?;
            notify_staff(&mut tx, state, p.account_id, &facts, PromiseNotice::Made).await?;
        }
    }
    tx.commit().await?;
    Ok(Created { id, status })
}

/// Withdraws a pending or active promise of `account_id` (the caller has
/// been authorized for that account).
#[tracing::instrument(skip(state))]
pub async fn cancel(state: &AppState, account_id: i64, id: i64, actor: i64) -> AppResult<Created<PromiseStatus>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let found: Option<String> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar("SELECT status FROM promises WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await
    })?;
    let from = found.as_deref().and_then(PromiseStatus::parse).ok_or(AppError::NotFound)?;
    if !from.can_become(PromiseStatus::Cancelled) {
        return Err(AppError::Conflict(Msg::PromiseNotOpen));
    }
    move_status(&mut tx, id, from, PromiseStatus::Cancelled, now).await?;
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), crate::audit::AuditAction::PromiseCancelled, ("promise", Some(id)))
            .account(Some(account_id)),
    )
    .await?;
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(Created { id, status: PromiseStatus::Cancelled })
}

/// Compare-and-set of a promise's status, as the rules allow: a conflict
/// when another writer moved it first.
async fn move_status(
    tx: &mut Tx,
    id: i64,
    from: PromiseStatus,
    to: PromiseStatus,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    debug_assert!(from.can_become(to), "{from:?} -> {to:?}");
    let settled = matches!(to, PromiseStatus::Kept | PromiseStatus::Broken).then_some(now);
    let n = with_tx!(tx, |conn| {
        sqlx::query(
            "UPDATE promises SET status = $3, updated_at = $4, settled_at = COALESCE($5, settled_at)
             WHERE id = $1 AND status = $2",
        )
        .bind(id)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(now)
        .bind(settled)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(AppError::Conflict(Msg::PromiseNotOpen));
    }
    Ok(())
}

/// The account of a promise in scope (404 outside it).
pub async fn account_of(state: &AppState, scope: Scope, id: i64) -> AppResult<i64> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "SELECT p.account_id FROM promises p JOIN accounts a ON a.id = p.account_id WHERE {scope_sql} AND p.id = $4"
    );
    let found: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    found.ok_or(AppError::NotFound)
}

/// Approves or rejects a promise waiting for staff (the caller collects
/// `account_id`); a rejection says why, and the client is told.
#[tracing::instrument(skip(state, decision), fields(approve = decision.approve))]
pub async fn decide(
    state: &AppState,
    account_id: i64,
    id: i64,
    decision: &Decision,
    actor: i64,
) -> AppResult<Created<PromiseStatus>> {
    let now = state.clock.now();
    let to = decision.status();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let row: Option<FactsRow> = with_tx!(&mut tx, |conn| {
        sqlx::query_as(
            "UPDATE promises SET status = $3, decided_by = $4, decision_note = $5, updated_at = $6
             WHERE id = $1 AND account_id = $2 AND status = 'pending_approval'
             RETURNING id, account_id, promised_date, amount_minor, currency",
        )
        .bind(id)
        .bind(account_id)
        .bind(to.as_str())
        .bind(actor)
        .bind(decision.reason.as_ref())
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let row = row.ok_or(AppError::Conflict(Msg::PromiseNotPending))?;
    let action = if decision.approve {
        crate::audit::AuditAction::PromiseApproved
    } else {
        crate::audit::AuditAction::PromiseRejected
    };
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(Some(actor), action, ("promise", Some(id)))
            .account(Some(row.account_id))
            .details(AuditDetails::default().note(decision.reason.as_ref())),
    )
    .await?;
    let facts = row.facts(&mut tx).await?;
    let notice = if decision.approve { PromiseNotice::Approved } else { PromiseNotice::Rejected };
    notify_client(&mut tx, state, account_id, &facts, notice, decision.reason.as_ref()).await?;
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(Created { id, status: to })
}

// ---------------------------------------------------------------- notices

/// A promise row, for what its e-mails name.
#[derive(sqlx::FromRow)]
struct FactsRow {
    id: i64,
    account_id: i64,
    promised_date: NaiveDate,
    amount_minor: i64,
    currency: String,
}

impl FactsRow {
    async fn facts(self, tx: &mut Tx) -> AppResult<PromiseFacts> {
        let numbers: Vec<String> = with_tx!(tx, |conn| {
            sqlx::query_scalar(
                "SELECT i.number FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
                 WHERE pi.promise_id = $1 ORDER BY i.due_date, i.number",
            )
            .bind(self.id)
            .fetch_all(&mut *conn)
            .await
        })?;
        Ok(PromiseFacts {
            date: self.promised_date,
            amount: Money::new(self.amount_minor, parse_currency(&self.currency)?),
            numbers: numbers.join(", "),
        })
    }
}

/// The account's collector, or the owners when it has none.
async fn notify_staff(
    tx: &mut Tx,
    state: &AppState,
    account_id: i64,
    facts: &PromiseFacts,
    notice: PromiseNotice,
) -> AppResult<()> {
    let recipients = crate::mail::collector_or_owners(tx, account_id).await?;
    let acc = account(Conn::Tx(tx), account_id).await?;
    let company = crate::mail::company_name(Conn::Tx(tx)).await?;
    let link = format!("{}/back/accounts/{account_id}", state.auth.public_url);
    let message = Message::Promise {
        notice,
        company: &company,
        account: &acc.legal_name,
        promise: facts,
        reason: "",
        link: &link,
    };
    for (email, locale) in recipients {
        crate::mail::send(tx, state.clock.now(), &email, locale, &message, Some(account_id)).await?;
    }
    Ok(())
}

/// The account's billing address, in its language.
async fn notify_client(
    tx: &mut Tx,
    state: &AppState,
    account_id: i64,
    facts: &PromiseFacts,
    notice: PromiseNotice,
    reason: &str,
) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), account_id).await?;
    if acc.billing_email.is_empty() {
        return Ok(());
    }
    let locale = Locale::parse(&acc.language).unwrap_or_default();
    let company = crate::mail::company_name(Conn::Tx(tx)).await?;
    let link = format!("{}/portal/promises", state.auth.public_url);
    let message =
        Message::Promise { notice, company: &company, account: &acc.legal_name, promise: facts, reason, link: &link };
    crate::mail::send(tx, state.clock.now(), &acc.billing_email, locale, &message, Some(account_id)).await
}
