//! Payments on the server: saved methods, the pay flow (plan → payment row →
//! gateway charge → outcome), ledger postings, refunds. Every multi-row write
//! runs in one transaction that first locks the account row, so two requests
//! for one account serialize on both backends.
//!
//! Exactly-once: a payment row exists (status `pending`) before the gateway
//! is called, the gateway gets `relance-payment-{id}` as idempotency key, and
//! every status change is a compare-and-set on the status rank, so the
//! synchronous answer, a webhook event and the reconciliation job can all
//! report the same success and the ledger is written once.

use super::gateway::*;
use super::*;
use crate::auth::ssr::{audit_tx, Audit};
use crate::db::Tx;
use crate::domain::{ledger, Currency, EntryKind, Money};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoices::ssr::parse_currency;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// A `requires_action` payment older than this no longer holds its invoices.
pub const ACTION_HOLD_MINUTES: i64 = 30;
/// Upper bound of a chosen amount (in minor units): a typo guard.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;

pub fn rank(status: &str) -> i32 {
    match status {
        "pending" => 0,
        "requires_action" => 1,
        "processing" => 2,
        "failed" => 3,
        "succeeded" => 4,
        _ => -1,
    }
}

const RANK_SQL: &str = "CASE status WHEN 'pending' THEN 0 WHEN 'requires_action' THEN 1 WHEN 'processing' THEN 2 \
                        WHEN 'failed' THEN 3 WHEN 'succeeded' THEN 4 ELSE 5 END";

/// Takes the account's row lock first (PostgreSQL); SQLite transactions are
/// already exclusive (`BEGIN IMMEDIATE`).
pub async fn lock_account(tx: &mut Tx, account_id: i64) -> AppResult<()> {
    let n = with_tx!(tx, |conn| {
        sqlx::query("UPDATE accounts SET id = id WHERE id = $1")
            .bind(account_id)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

// ---------------------------------------------------------------- accounts

#[derive(sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub legal_name: String,
    pub billing_email: String,
    pub currency: String,
    pub language: String,
}

pub async fn account(state: &AppState, account_id: i64) -> AppResult<AccountRow> {
    let row: Option<AccountRow> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT id, legal_name, billing_email, currency, language FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(pool)
            .await
    })?;
    row.ok_or(AppError::NotFound)
}

/// The gateway's customer for the account, created on first use.
pub async fn customer_ref(state: &AppState, account_id: i64) -> AppResult<String> {
    let gw = state.gateway.name();
    let existing: Option<String> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT customer_ref FROM gateway_customers WHERE account_id = $1 AND gateway = $2")
            .bind(account_id)
            .bind(gw)
            .fetch_optional(pool)
            .await
    })?;
    if let Some(c) = existing {
        return Ok(c);
    }
    let acc = account(state, account_id).await?;
    let req = CustomerRequest { account_id, name: acc.legal_name, email: acc.billing_email };
    let created = state.gateway.create_customer(&req).await.map_err(gateway_error)?;
    let now = state.clock.now();
    with_db!(&state.db, |pool| {
        sqlx::query(
            "INSERT INTO gateway_customers (account_id, gateway, customer_ref, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(gw)
        .bind(&created)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(created)
}

pub fn gateway_error(e: GatewayError) -> AppError {
    match e {
        GatewayError::Refused { code } => AppError::Refused(decline_msg(&code)),
        GatewayError::Unavailable(cause) => {
            tracing::warn!(%cause, "payment gateway unavailable");
            AppError::Refused(Msg::GatewayUnavailable)
        }
        GatewayError::Other(e) => AppError::internal(e),
    }
}

// ---------------------------------------------------------------- methods

#[derive(sqlx::FromRow)]
struct MethodRow {
    id: i64,
    gateway_ref: String,
    kind: String,
    brand: String,
    last4: String,
    exp_month: Option<i32>,
    exp_year: Option<i32>,
    is_default: bool,
    autopay: bool,
}

impl MethodRow {
    fn view(self, today: NaiveDate) -> MethodView {
        let expired = match (self.exp_month, self.exp_year) {
            (Some(m), Some(y)) => {
                y * 12 + m < chrono::Datelike::year(&today) * 12 + chrono::Datelike::month(&today) as i32
            }
            _ => false,
        };
        MethodView {
            id: self.id,
            kind: self.kind,
            brand: self.brand,
            last4: self.last4,
            exp_month: self.exp_month,
            exp_year: self.exp_year,
            is_default: self.is_default,
            autopay: self.autopay,
            expired,
        }
    }
}

const METHOD_COLS: &str = "id, gateway_ref, kind, brand, last4, exp_month, exp_year, is_default, autopay";

pub async fn methods(state: &AppState, account_id: i64) -> AppResult<Vec<MethodView>> {
    let gw = state.gateway.name();
    let sql = format!(
        "SELECT {METHOD_COLS} FROM payment_methods WHERE account_id = $1 AND gateway = $2 AND removed_at IS NULL
         ORDER BY is_default DESC, id"
    );
    let rows: Vec<MethodRow> =
        with_db!(&state.db, |pool| { sqlx::query_as(&sql).bind(account_id).bind(gw).fetch_all(pool).await })?;
    let today = state.clock.today();
    Ok(rows.into_iter().map(|r| r.view(today)).collect())
}

async fn method_row(state: &AppState, account_id: i64, method_id: i64) -> AppResult<MethodRow> {
    let sql = format!(
        "SELECT {METHOD_COLS} FROM payment_methods WHERE id = $1 AND account_id = $2 AND gateway = $3 AND removed_at IS NULL"
    );
    let row: Option<MethodRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(method_id).bind(account_id).bind(state.gateway.name()).fetch_optional(pool).await
    })?;
    row.ok_or(AppError::NotFound)
}

/// Records a method the gateway confirmed as saved. The first one becomes
/// the default. Saving the same gateway method twice is a no-op.
pub async fn save_method_tx(
    tx: &mut Tx,
    gateway: &str,
    account_id: i64,
    details: &MethodDetails,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<i64> {
    lock_account(tx, account_id).await?;
    let id: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO payment_methods (account_id, gateway, gateway_ref, kind, brand, last4, exp_month, exp_year,
                 is_default, created_by, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8,
                 NOT EXISTS (SELECT 1 FROM payment_methods WHERE account_id = $1 AND gateway = $2 AND is_default AND removed_at IS NULL),
                 $9, $10
             ON CONFLICT (gateway, gateway_ref) DO NOTHING RETURNING id",
        )
        .bind(account_id)
        .bind(gateway)
        .bind(&details.gateway_ref)
        .bind(details.kind.as_str())
        .bind(&details.brand)
        .bind(&details.last4)
        .bind(details.exp_month)
        .bind(details.exp_year)
        .bind(actor)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    match id {
        Some(id) => {
            let label = method_label(details.kind.as_str(), &details.brand, &details.last4);
            audit_tx(
                tx,
                now,
                Audit::new(actor, "payment_method.added", ("payment_method", Some(id)))
                    .account(Some(account_id))
                    .details(&label),
            )
            .await?;
            Ok(id)
        }
        None => {
            let id: i64 = with_tx!(tx, |conn| {
                sqlx::query_scalar("SELECT id FROM payment_methods WHERE gateway = $1 AND gateway_ref = $2")
                    .bind(gateway)
                    .bind(&details.gateway_ref)
                    .fetch_one(&mut *conn)
                    .await
            })?;
            Ok(id)
        }
    }
}

pub async fn save_method(
    state: &AppState,
    account_id: i64,
    details: &MethodDetails,
    actor: Option<i64>,
) -> AppResult<i64> {
    let mut tx = state.db.begin().await?;
    let id = save_method_tx(&mut tx, state.gateway.name(), account_id, details, actor, state.clock.now()).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn remove_method(state: &AppState, account_id: i64, method_id: i64, actor: i64) -> AppResult<()> {
    let row = method_row(state, account_id, method_id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, account_id).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE payment_methods SET removed_at = $3, is_default = FALSE, autopay = FALSE, autopay_since = NULL
             WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
        )
        .bind(method_id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *conn)
        .await?;
        if row.is_default {
            // The most recent remaining method becomes the default.
            sqlx::query(
                "UPDATE payment_methods SET is_default = TRUE WHERE id = (
                    SELECT id FROM payment_methods WHERE account_id = $1 AND gateway = $2 AND removed_at IS NULL
                    ORDER BY id DESC LIMIT 1)",
            )
            .bind(account_id)
            .bind(state.gateway.name())
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    let label = method_label(&row.kind, &row.brand, &row.last4);
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), "payment_method.removed", ("payment_method", Some(method_id)))
            .account(Some(account_id))
            .details(&label),
    )
    .await?;
    tx.commit().await?;
    // The gateway forgets it too; if that fails the method is still unusable
    // here (removed), so log and carry on.
    if let Err(e) = state.gateway.detach_method(&row.gateway_ref).await {
        tracing::warn!(error = %e, method_id, "detaching a removed method failed");
    }
    Ok(())
}

pub async fn set_default(state: &AppState, account_id: i64, method_id: i64, actor: i64) -> AppResult<()> {
    method_row(state, account_id, method_id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, account_id).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query("UPDATE payment_methods SET is_default = FALSE WHERE account_id = $1 AND is_default")
            .bind(account_id)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE payment_methods SET is_default = TRUE WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
        )
        .bind(method_id)
        .bind(account_id)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), "payment_method.default", ("payment_method", Some(method_id)))
            .account(Some(account_id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enrols a method in autopay (`Some`) or stops autopay (`None`).
pub async fn set_autopay(state: &AppState, account_id: i64, method_id: Option<i64>, actor: i64) -> AppResult<()> {
    if let Some(id) = method_id {
        let row = method_row(state, account_id, id).await?;
        if row.view(state.clock.today()).expired {
            return Err(AppError::Refused(Msg::MethodExpired));
        }
    }
    let now = state.clock.now();
    let today = state.clock.today();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, account_id).await?;
    with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE payment_methods SET autopay = FALSE, autopay_since = NULL WHERE account_id = $1 AND autopay",
        )
        .bind(account_id)
        .execute(&mut *conn)
        .await?;
        if let Some(id) = method_id {
            sqlx::query(
                "UPDATE payment_methods SET autopay = TRUE, autopay_since = $3 WHERE id = $1 AND account_id = $2 AND removed_at IS NULL",
            )
            .bind(id)
            .bind(account_id)
            .bind(today)
            .execute(&mut *conn)
            .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    let action = if method_id.is_some() { "autopay.enrolled" } else { "autopay.stopped" };
    audit_tx(&mut tx, now, Audit::new(Some(actor), action, ("payment_method", method_id)).account(Some(account_id)))
        .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------- planning

#[derive(sqlx::FromRow)]
struct PayableRow {
    id: i64,
    number: String,
    due_date: NaiveDate,
    payable_minor: i64,
}

/// Open invoices of the account with what can still be paid on each: the
/// balance less what payments in flight already cover. Oldest due first.
async fn payable_tx(tx: &mut Tx, account_id: i64, now: DateTime<Utc>) -> AppResult<Vec<PayableRow>> {
    let hold = now - Duration::minutes(ACTION_HOLD_MINUTES);
    let rows: Vec<PayableRow> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT id, number, due_date, payable_minor FROM (
                SELECT i.id, i.number, i.due_date,
                  CAST(COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = i.id), 0) AS BIGINT)
                  - CAST(COALESCE((SELECT SUM(pa.amount_minor) FROM payment_allocations pa JOIN payments p ON p.id = pa.payment_id
                      WHERE pa.invoice_id = i.id
                        AND (p.status IN ('pending', 'processing') OR (p.status = 'requires_action' AND p.updated_at > $2))), 0) AS BIGINT)
                  AS payable_minor
                FROM invoices i WHERE i.account_id = $1 AND i.status = 'issued'
             ) x WHERE payable_minor > 0 ORDER BY due_date, number",
        )
        .bind(account_id)
        .bind(hold)
        .fetch_all(&mut *conn)
        .await
    })?;
    Ok(rows)
}

/// Works out, from balances, what a selection costs and what it settles.
async fn plan_tx(
    tx: &mut Tx,
    account_id: i64,
    currency: Currency,
    selection: &Selection,
    now: DateTime<Utc>,
) -> AppResult<Plan> {
    let payable = payable_tx(tx, account_id, now).await?;
    let line = |r: &PayableRow, amount: i64| PlanLine {
        invoice_id: r.id,
        number: r.number.clone(),
        due_date: r.due_date,
        amount: Money::new(amount, currency),
    };
    let (lines, credit) = match selection {
        Selection::Invoices(ids) => {
            if ids.is_empty() {
                return Err(AppError::field("invoices", Msg::SelectInvoices));
            }
            let mut lines = Vec::new();
            for id in ids {
                match payable.iter().find(|r| r.id == *id) {
                    Some(r) => lines.push(line(r, r.payable_minor)),
                    None => return Err(invoice_not_payable(tx, account_id, *id).await),
                }
            }
            lines.sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
            (lines, 0)
        }
        Selection::Amount(amount) => {
            if *amount <= 0 || *amount > MAX_AMOUNT_MINOR {
                return Err(AppError::field("amount", Msg::InvalidAmount));
            }
            if payable.is_empty() {
                return Err(AppError::Conflict(Msg::NothingToPay));
            }
            let owed: Vec<(i64, i64)> = payable.iter().map(|r| (r.id, r.payable_minor)).collect();
            let (parts, rest) = ledger::allocate(*amount, &owed);
            let lines = parts
                .iter()
                .map(|(id, amount)| {
                    line(payable.iter().find(|r| r.id == *id).expect("allocated from payable"), *amount)
                })
                .collect();
            (lines, rest)
        }
    };
    let total: i64 = lines.iter().map(|l| l.amount.minor).sum::<i64>() + credit;
    Ok(Plan { lines, credit: Money::new(credit, currency), total: Money::new(total, currency) })
}

/// Why an invoice cannot be paid: not the caller's (404, like a missing
/// one), paid already, or being paid.
async fn invoice_not_payable(tx: &mut Tx, account_id: i64, invoice_id: i64) -> AppError {
    let exists: Result<Option<i64>, sqlx::Error> = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT id FROM invoices WHERE id = $1 AND account_id = $2 AND status = 'issued'")
            .bind(invoice_id)
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await
    });
    match exists {
        Ok(Some(_)) => AppError::Conflict(Msg::InvoiceNotPayable),
        Ok(None) => AppError::NotFound,
        Err(e) => e.into(),
    }
}

pub async fn plan(state: &AppState, account_id: i64, selection: &Selection) -> AppResult<Plan> {
    let acc = account(state, account_id).await?;
    let currency = parse_currency(&acc.currency)?;
    let mut tx = state.db.begin().await?;
    let plan = plan_tx(&mut tx, account_id, currency, selection, state.clock.now()).await?;
    drop(tx);
    Ok(plan)
}

// ---------------------------------------------------------------- paying

pub struct NewPayment<'a> {
    pub account_id: i64,
    pub selection: Selection,
    /// The total the payer confirmed; a different server total is refused.
    pub expected_total: Option<i64>,
    pub idempotency_key: &'a str,
    pub method_id: Option<i64>,
    /// A one-off method (pay-by-link, or a new card not saved).
    pub one_off: Option<MethodDetails>,
    pub source: &'a str,
    pub actor: Option<i64>,
}

/// Creates the payment row (or finds the one this idempotency key already
/// made). Returns its id and whether it is new.
pub async fn create_payment(state: &AppState, p: &NewPayment<'_>) -> AppResult<(i64, bool)> {
    if p.idempotency_key.is_empty() || p.idempotency_key.len() > 80 {
        return Err(AppError::Request("idempotency key".into()));
    }
    let acc = account(state, p.account_id).await?;
    let currency = parse_currency(&acc.currency)?;
    let now = state.clock.now();
    let gw = state.gateway.name();
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, p.account_id).await?;
    let existing: Option<i64> = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar("SELECT id FROM payments WHERE account_id = $1 AND idempotency_key = $2")
            .bind(p.account_id)
            .bind(p.idempotency_key)
            .fetch_optional(&mut *conn)
            .await
    })?;
    if let Some(id) = existing {
        return Ok((id, false));
    }
    let label = match (p.method_id, &p.one_off) {
        (Some(id), _) => {
            let sql = format!(
                "SELECT {METHOD_COLS} FROM payment_methods WHERE id = $1 AND account_id = $2 AND gateway = $3 AND removed_at IS NULL"
            );
            let row: Option<MethodRow> = with_tx!(&mut tx, |conn| {
                sqlx::query_as(&sql).bind(id).bind(p.account_id).bind(gw).fetch_optional(&mut *conn).await
            })?;
            let row = row.ok_or_else(|| AppError::field("method", Msg::ChooseMethod))?;
            let label = method_label(&row.kind, &row.brand, &row.last4);
            if row.view(state.clock.today()).expired {
                return Err(AppError::field("method", Msg::MethodExpired));
            }
            label
        }
        (None, Some(d)) => method_label(d.kind.as_str(), &d.brand, &d.last4),
        (None, None) => String::new(),
    };
    let plan = plan_tx(&mut tx, p.account_id, currency, &p.selection, now).await?;
    if let Some(expected) = p.expected_total {
        if expected != plan.total.minor {
            return Err(AppError::Conflict(Msg::AmountChanged));
        }
    }
    let id: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO payments (account_id, idempotency_key, gateway, method_id, method_label, amount_minor, currency,
                 status, source, created_by, created_at, updated_at, one_off_method_ref)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, $10, $10, $11) RETURNING id",
        )
        .bind(p.account_id)
        .bind(p.idempotency_key)
        .bind(gw)
        .bind(p.method_id)
        .bind(&label)
        .bind(plan.total.minor)
        .bind(currency.code())
        .bind(p.source)
        .bind(p.actor)
        .bind(now)
        .bind(p.one_off.as_ref().map(|d| d.gateway_ref.as_str()))
        .fetch_one(&mut *conn)
        .await
    })?;
    for l in &plan.lines {
        with_tx!(&mut tx, |conn| {
            sqlx::query("INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(l.invoice_id)
                .bind(l.amount.minor)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let details = format!("{} {}", plan.total.minor, currency.code());
    audit_tx(
        &mut tx,
        now,
        Audit::new(p.actor, "payment.created", ("payment", Some(id))).account(Some(p.account_id)).details(&details),
    )
    .await?;
    tx.commit().await?;
    Ok((id, true))
}

#[derive(sqlx::FromRow)]
struct ChargeRow {
    account_id: i64,
    status: String,
    amount_minor: i64,
    currency: String,
    source: String,
    method_ref: Option<String>,
}

/// Asks the gateway to charge a pending payment (again: the idempotency key
/// makes a repeat return the first charge) and records the answer.
pub async fn charge(
    state: &AppState,
    payment_id: i64,
    one_off_ref: Option<&str>,
    return_url: &str,
) -> AppResult<PaymentStatus> {
    let row: Option<ChargeRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT p.account_id, p.status, p.amount_minor, p.currency, p.source,
                    COALESCE(m.gateway_ref, p.one_off_method_ref) AS method_ref
             FROM payments p LEFT JOIN payment_methods m ON m.id = p.method_id WHERE p.id = $1",
        )
        .bind(payment_id)
        .fetch_optional(pool)
        .await
    })?;
    let row = row.ok_or(AppError::NotFound)?;
    if row.status != "pending" {
        return PaymentStatus::parse(&row.status).ok_or(AppError::Internal);
    }
    let customer = customer_ref(state, row.account_id).await?;
    let req = ChargeRequest {
        payment_id,
        customer_ref: customer,
        method_ref: row.method_ref.clone().or(one_off_ref.map(str::to_string)),
        amount_minor: row.amount_minor,
        currency: row.currency.clone(),
        off_session: row.source == "autopay",
        save_method: false,
        idempotency_key: format!("relance-payment-{payment_id}"),
        description: format!("Relance {}", payment_reference(payment_id)),
        return_url: return_url.to_string(),
    };
    match state.gateway.charge(&req).await {
        Ok(outcome) => {
            let (status, code, url) = match &outcome.status {
                ChargeStatus::Succeeded => ("succeeded", String::new(), String::new()),
                ChargeStatus::Processing => ("processing", String::new(), String::new()),
                ChargeStatus::RequiresAction { url } => {
                    ("requires_action", String::new(), url.clone().unwrap_or_default())
                }
                ChargeStatus::Failed { code } => ("failed", code.clone(), String::new()),
            };
            let gref = Some(outcome.gateway_ref.as_str()).filter(|r| !r.is_empty());
            transition(state, payment_id, status, gref, &code, &url).await?;
            Ok(PaymentStatus::parse(status).unwrap_or(PaymentStatus::Pending))
        }
        Err(GatewayError::Refused { code }) => {
            transition(state, payment_id, "failed", None, &code, "").await?;
            Ok(PaymentStatus::Failed)
        }
        // Left pending: the reconciliation job asks again with the same key.
        Err(e) => Err(gateway_error(e)),
    }
}

/// Asks the gateway where a payment in flight (`requires_action`,
/// `processing`) stands and records the answer, as its events would.
/// Returns whether the payment moved, and the client secret while the
/// payer's browser still has to confirm it (no redirect URL: Stripe's
/// Payment Element). Used when the payer comes back from the gateway and by
/// the reconciliation job.
pub async fn refresh(state: &AppState, payment_id: i64) -> AppResult<(bool, Option<String>)> {
    let row: Option<(String, Option<String>, String, DateTime<Utc>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT status, gateway_ref, method_label, updated_at FROM payments WHERE id = $1 AND gateway = $2",
        )
        .bind(payment_id)
        .bind(state.gateway.name())
        .fetch_optional(pool)
        .await
    })?;
    let Some((status, Some(gateway_ref), label, updated_at)) = row else { return Ok((false, None)) };
    let now = state.clock.now();
    // A decline in the Payment Element fails the payment, but Stripe lets
    // the payer try another card on the same intent: a recent failure may
    // still turn into a success.
    let recent_failure = status == "failed" && updated_at > now - Duration::minutes(ACTION_HOLD_MINUTES);
    if !(matches!(status.as_str(), "requires_action" | "processing") || recent_failure) {
        return Ok((false, None));
    }
    with_db!(&state.db, |pool| {
        sqlx::query("UPDATE payments SET checked_at = $2 WHERE id = $1")
            .bind(payment_id)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    let out = state.gateway.retrieve_charge(&gateway_ref).await.map_err(gateway_error)?;
    // Paid with a method typed into the Payment Element: name it once known.
    if let (true, Some(method)) = (label.is_empty(), out.method_ref.as_deref()) {
        match state.gateway.method_details(method).await {
            Ok(d) => {
                let label = method_label(d.kind.as_str(), &d.brand, &d.last4);
                with_db!(&state.db, |pool| {
                    sqlx::query("UPDATE payments SET method_label = $2 WHERE id = $1 AND method_label = ''")
                        .bind(payment_id)
                        .bind(&label)
                        .execute(pool)
                        .await
                        .map(|r| r.rows_affected())
                })?;
            }
            Err(e) => tracing::warn!(payment_id, error = ?e, "reading the method of a payment"),
        }
    }
    let (to, code) = match out.status {
        ChargeStatus::Succeeded => ("succeeded", String::new()),
        ChargeStatus::Processing => ("processing", String::new()),
        ChargeStatus::Failed { code } => ("failed", code),
        ChargeStatus::RequiresAction { .. } if status == "failed" => return Ok((false, None)),
        ChargeStatus::RequiresAction { url: None } => return Ok((false, out.client_secret)),
        ChargeStatus::RequiresAction { url: Some(_) } => return Ok((false, None)),
    };
    let changed = transition(state, payment_id, to, Some(&gateway_ref), &code, "").await?;
    Ok((changed, None))
}

/// The payer gives up a payment that waits for them (3-D Secure, or the
/// Payment Element): cancelled at the gateway first, so that it can no
/// longer succeed, then failed here, which frees its invoices at once. One
/// that has moved on meanwhile is brought up to date and refused.
pub async fn cancel(state: &AppState, account_id: i64, payment_id: i64, actor: i64) -> AppResult<()> {
    let row: Option<(String, Option<String>)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT status, gateway_ref FROM payments WHERE id = $1 AND account_id = $2 AND gateway = $3")
            .bind(payment_id)
            .bind(account_id)
            .bind(state.gateway.name())
            .fetch_optional(pool)
            .await
    })?;
    let (status, gateway_ref) = row.ok_or(AppError::NotFound)?;
    let Some(gateway_ref) = gateway_ref.filter(|_| status == "requires_action") else {
        return Err(AppError::Conflict(Msg::PaymentNotCancelable));
    };
    match state.gateway.cancel_charge(&gateway_ref).await {
        Ok(_) => {}
        Err(GatewayError::Refused { code }) if code == "payment_intent_unexpected_state" => {
            refresh(state, payment_id).await?;
            return Err(AppError::Conflict(Msg::PaymentNotCancelable));
        }
        Err(e) => return Err(gateway_error(e)),
    }
    transition(state, payment_id, "failed", Some(&gateway_ref), "canceled", "").await?;
    let entry = Audit::new(Some(actor), "payment.canceled", ("payment", Some(payment_id))).account(Some(account_id));
    crate::auth::ssr::audit(state, entry).await?;
    Ok(())
}

/// `refresh` for a page: a gateway that does not answer leaves the stored
/// status on screen (logged, not shown as an error).
pub async fn refresh_in_flight(state: &AppState, payment: &PaymentSummary) -> (bool, Option<String>) {
    if !matches!(payment.status, PaymentStatus::RequiresAction | PaymentStatus::Processing | PaymentStatus::Failed) {
        return (false, None);
    }
    match refresh(state, payment.id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(payment_id = payment.id, error = ?e, "payment status not refreshed from the gateway");
            (false, None)
        }
    }
}

/// Applies a status reported by the gateway, in its own transaction.
pub async fn transition(
    state: &AppState,
    payment_id: i64,
    status: &str,
    gateway_ref: Option<&str>,
    failure_code: &str,
    action_url: &str,
) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    let changed = transition_tx(&mut tx, state, payment_id, status, gateway_ref, failure_code, action_url).await?;
    tx.commit().await?;
    Ok(changed)
}

#[derive(sqlx::FromRow)]
struct MovedRow {
    account_id: i64,
    amount_minor: i64,
    currency: String,
    source: String,
}

/// Moves a payment forward (never back: the status rank only grows) and, on
/// success, posts it to the ledger. Returns whether anything changed; a
/// repeated or late report changes nothing.
pub async fn transition_tx(
    tx: &mut Tx,
    state: &AppState,
    payment_id: i64,
    status: &str,
    gateway_ref: Option<&str>,
    failure_code: &str,
    action_url: &str,
) -> AppResult<bool> {
    let new_rank = rank(status);
    if new_rank < 0 {
        return Err(AppError::internal(anyhow::anyhow!("unknown payment status {status}")));
    }
    let now = state.clock.now();
    // Only for whom to tell: a debit that failed after `processing` (days
    // later, a SEPA return) has nobody watching the page.
    let before: Option<String> = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT status FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(&mut *conn)
            .await
    })?;
    let was_processing = before.as_deref() == Some("processing");
    let sql = format!(
        "UPDATE payments SET status = $2, gateway_ref = COALESCE(gateway_ref, $3), failure_code = $4, action_url = $5,
             updated_at = $6, succeeded_at = CASE WHEN $2 = 'succeeded' THEN $6 ELSE succeeded_at END
         WHERE id = $1 AND {RANK_SQL} < $7
         RETURNING account_id, amount_minor, currency, source"
    );
    let moved: Option<MovedRow> = with_tx!(tx, |conn| {
        sqlx::query_as(&sql)
            .bind(payment_id)
            .bind(status)
            .bind(gateway_ref)
            .bind(failure_code)
            .bind(action_url)
            .bind(now)
            .bind(new_rank)
            .fetch_optional(&mut *conn)
            .await
    })?;
    let Some(moved) = moved else { return Ok(false) };
    let currency = parse_currency(&moved.currency)?;
    match status {
        "succeeded" => {
            post_payment_tx(tx, state, payment_id, moved.account_id, Money::new(moved.amount_minor, currency)).await?;
            let acc = account(state, moved.account_id).await?;
            let locale = crate::domain::Locale::parse(&acc.language).unwrap_or_default();
            let company = crate::mail::company_name(&state.db).await?;
            let link = format!("{}/portal/payments/{payment_id}", state.auth.public_url);
            let (subject, body) = crate::mail::receipt_message(
                locale,
                &company,
                &payment_reference(payment_id),
                &Money::new(moved.amount_minor, currency).format(locale),
                &link,
            );
            crate::mail::enqueue_tx(tx, now, &acc.billing_email, &subject, &body, Some(moved.account_id)).await?;
            audit_tx(
                tx,
                now,
                Audit::new(None, "payment.succeeded", ("payment", Some(payment_id))).account(Some(moved.account_id)),
            )
            .await?;
        }
        "failed" => {
            audit_tx(
                tx,
                now,
                Audit::new(None, "payment.failed", ("payment", Some(payment_id)))
                    .account(Some(moved.account_id))
                    .details(failure_code),
            )
            .await?;
            // Nobody is watching an automatic payment, a pay-by-link one, or
            // a bank debit that failed after processing: tell the client.
            if moved.source != "portal" || was_processing {
                let acc = account(state, moved.account_id).await?;
                let locale = crate::domain::Locale::parse(&acc.language).unwrap_or_default();
                let company = crate::mail::company_name(&state.db).await?;
                let link = format!("{}/portal/payments/{payment_id}", state.auth.public_url);
                let (subject, body) = crate::mail::payment_failed_message(
                    locale,
                    &company,
                    &payment_reference(payment_id),
                    &Money::new(moved.amount_minor, currency).format(locale),
                    decline_msg(failure_code).text(locale),
                    &link,
                );
                crate::mail::enqueue_tx(tx, now, &acc.billing_email, &subject, &body, Some(moved.account_id)).await?;
            }
        }
        _ => {}
    }
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct AllocRow {
    invoice_id: i64,
    amount_minor: i64,
    balance_minor: i64,
}

/// Ledger postings of a succeeded payment: each planned allocation, capped
/// by what the invoice still owes now; the rest is account credit, then
/// applied to other open invoices.
async fn post_payment_tx(
    tx: &mut Tx,
    state: &AppState,
    payment_id: i64,
    account_id: i64,
    amount: Money,
) -> AppResult<()> {
    let today = state.clock.today();
    let now = state.clock.now();
    let allocs: Vec<AllocRow> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT pa.invoice_id, pa.amount_minor,
                CAST(COALESCE((SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = pa.invoice_id), 0) AS BIGINT) AS balance_minor
             FROM payment_allocations pa JOIN invoices i ON i.id = pa.invoice_id
             WHERE pa.payment_id = $1 ORDER BY i.due_date, i.number",
        )
        .bind(payment_id)
        .fetch_all(&mut *conn)
        .await
    })?;
    let reference = payment_reference(payment_id);
    let mut left = amount.minor;
    for a in allocs {
        let part = a.amount_minor.min(a.balance_minor.max(0)).min(left);
        if part > 0 {
            insert_entry(
                tx,
                account_id,
                Some(a.invoice_id),
                EntryKind::Payment,
                -part,
                amount.currency,
                today,
                &reference,
                Some(payment_id),
                None,
                now,
            )
            .await?;
            left -= part;
        }
    }
    if left > 0 {
        insert_entry(
            tx,
            account_id,
            None,
            EntryKind::Payment,
            -left,
            amount.currency,
            today,
            &reference,
            Some(payment_id),
            None,
            now,
        )
        .await?;
    }
    apply_credit_tx(tx, state, account_id, amount.currency).await
}

/// One ledger entry, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn insert_entry(
    tx: &mut Tx,
    account_id: i64,
    invoice_id: Option<i64>,
    kind: EntryKind,
    amount_minor: i64,
    currency: Currency,
    on: NaiveDate,
    reference: &str,
    payment_id: Option<i64>,
    created_by: Option<i64>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    with_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, payment_id,
                 created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(account_id)
        .bind(invoice_id)
        .bind(kind.as_str())
        .bind(amount_minor)
        .bind(currency.code())
        .bind(on)
        .bind(reference)
        .bind(payment_id)
        .bind(created_by)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Sum of the account's entries without an invoice: negative means credit
/// the client can still use.
async fn unapplied_tx(tx: &mut Tx, account_id: i64) -> AppResult<i64> {
    let sum = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE account_id = $1 AND invoice_id IS NULL",
        )
        .bind(account_id)
        .fetch_one(&mut *conn)
        .await
    })?;
    Ok(sum)
}

/// Moves unapplied credit (overpayments, credit notes without an invoice)
/// onto open invoices, oldest due first: a pair of `credit_applied` entries
/// per invoice, so the account balance does not move.
pub async fn apply_credit_tx(tx: &mut Tx, state: &AppState, account_id: i64, currency: Currency) -> AppResult<()> {
    let unapplied = unapplied_tx(tx, account_id).await?;
    let credit = -unapplied;
    if credit <= 0 {
        return Ok(());
    }
    let now = state.clock.now();
    let payable = payable_tx(tx, account_id, now).await?;
    let owed: Vec<(i64, i64)> = payable.iter().map(|r| (r.id, r.payable_minor)).collect();
    let (parts, _) = ledger::allocate(credit, &owed);
    let today = state.clock.today();
    for (invoice_id, part) in parts {
        insert_entry(tx, account_id, None, EntryKind::CreditApplied, part, currency, today, "", None, None, now)
            .await?;
        insert_entry(
            tx,
            account_id,
            Some(invoice_id),
            EntryKind::CreditApplied,
            -part,
            currency,
            today,
            "",
            None,
            None,
            now,
        )
        .await?;
    }
    Ok(())
}

/// Applies waiting credit on every account that has some (new invoices may
/// have arrived since): run by the payments job.
pub async fn apply_all_credit(state: &AppState) -> AppResult<()> {
    let accounts: Vec<(i64, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT a.id, a.currency FROM accounts a WHERE
               (SELECT COALESCE(SUM(e.amount_minor), 0) FROM ledger_entries e WHERE e.account_id = a.id AND e.invoice_id IS NULL) < 0",
        )
        .fetch_all(pool)
        .await
    })?;
    for (id, currency) in accounts {
        let currency = parse_currency(&currency)?;
        let mut tx = state.db.begin().await?;
        lock_account(&mut tx, id).await?;
        apply_credit_tx(&mut tx, state, id, currency).await?;
        tx.commit().await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- refunds

/// Owner refunds part or all of a succeeded payment.
pub async fn refund(state: &AppState, actor: i64, payment_id: i64, amount_minor: i64, reason: &str) -> AppResult<i64> {
    let now = state.clock.now();
    let info: Option<(i64, String, String, Option<String>, i64)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT account_id, status, currency, gateway_ref, amount_minor FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(pool)
            .await
    })?;
    let (account_id, status, currency, gateway_ref, _) = info.ok_or(AppError::NotFound)?;
    if status != "succeeded" {
        return Err(AppError::Conflict(Msg::RefundNotPossible));
    }
    let gateway_ref = gateway_ref.ok_or(AppError::Conflict(Msg::RefundNotPossible))?;
    let mut tx = state.db.begin().await?;
    lock_account(&mut tx, account_id).await?;
    let refundable: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "SELECT p.amount_minor - CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id
                 AND r.status IN ('pending', 'succeeded')), 0) AS BIGINT) FROM payments p WHERE p.id = $1",
        )
        .bind(payment_id)
        .fetch_one(&mut *conn)
        .await
    })?;
    if amount_minor <= 0 || amount_minor > refundable {
        return Err(AppError::field("amount", Msg::RefundTooLarge));
    }
    let refund_id: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO refunds (payment_id, amount_minor, currency, status, reason, created_by, created_at)
             VALUES ($1, $2, $3, 'pending', $4, $5, $6) RETURNING id",
        )
        .bind(payment_id)
        .bind(amount_minor)
        .bind(&currency)
        .bind(reason)
        .bind(actor)
        .bind(now)
        .fetch_one(&mut *conn)
        .await
    })?;
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), "refund.created", ("payment", Some(payment_id)))
            .account(Some(account_id))
            .details(&amount_minor.to_string()),
    )
    .await?;
    tx.commit().await?;
    let req = RefundRequest {
        payment_ref: gateway_ref,
        amount_minor,
        idempotency_key: format!("relance-refund-{refund_id}"),
        refund_id,
    };
    match state.gateway.refund(&req).await {
        Ok(out) => match out.status {
            RefundStatus::Succeeded => {
                complete_refund(state, refund_id, Some(&out.gateway_ref)).await?;
            }
            RefundStatus::Pending => {
                with_db!(&state.db, |pool| {
                    sqlx::query("UPDATE refunds SET gateway_ref = $2 WHERE id = $1")
                        .bind(refund_id)
                        .bind(&out.gateway_ref)
                        .execute(pool)
                        .await
                        .map(|r| r.rows_affected())
                })?;
            }
            RefundStatus::Failed { code } => fail_refund(state, refund_id, &code).await?,
        },
        Err(GatewayError::Refused { code }) => {
            fail_refund(state, refund_id, &code).await?;
            return Err(AppError::Refused(Msg::RefundFailed));
        }
        Err(e) => return Err(gateway_error(e)),
    }
    Ok(refund_id)
}

async fn fail_refund(state: &AppState, refund_id: i64, code: &str) -> AppResult<()> {
    with_db!(&state.db, |pool| {
        sqlx::query("UPDATE refunds SET status = 'failed', failure_code = $2 WHERE id = $1 AND status = 'pending'")
            .bind(refund_id)
            .bind(code)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn complete_refund(state: &AppState, refund_id: i64, gateway_ref: Option<&str>) -> AppResult<bool> {
    let mut tx = state.db.begin().await?;
    let done = complete_refund_tx(&mut tx, state, refund_id, gateway_ref).await?;
    tx.commit().await?;
    Ok(done)
}

/// Marks a refund succeeded (once) and posts it: it first takes back the
/// account's unapplied credit, then reopens the invoices the payment
/// settled, most recent first.
pub async fn complete_refund_tx(
    tx: &mut Tx,
    state: &AppState,
    refund_id: i64,
    gateway_ref: Option<&str>,
) -> AppResult<bool> {
    let row: Option<(i64, i64, String)> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "UPDATE refunds SET status = 'succeeded', gateway_ref = COALESCE(gateway_ref, $2)
             WHERE id = $1 AND status = 'pending' RETURNING payment_id, amount_minor, currency",
        )
        .bind(refund_id)
        .bind(gateway_ref)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let Some((payment_id, amount, currency)) = row else { return Ok(false) };
    post_refund_tx(tx, state, payment_id, amount, &currency).await?;
    Ok(true)
}

pub async fn post_refund_tx(
    tx: &mut Tx,
    state: &AppState,
    payment_id: i64,
    amount: i64,
    currency: &str,
) -> AppResult<()> {
    let currency = parse_currency(currency)?;
    let now = state.clock.now();
    let today = state.clock.today();
    let account_id: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT account_id FROM payments WHERE id = $1").bind(payment_id).fetch_one(&mut *conn).await
    })?;
    let unapplied = unapplied_tx(tx, account_id).await?;
    let reference = payment_reference(payment_id);
    let mut left = amount;
    let from_credit = (-unapplied).max(0).min(left);
    if from_credit > 0 {
        insert_entry(
            tx,
            account_id,
            None,
            EntryKind::Refund,
            from_credit,
            currency,
            today,
            &reference,
            Some(payment_id),
            None,
            now,
        )
        .await?;
        left -= from_credit;
    }
    if left > 0 {
        // What this payment still covers on each invoice (payments less refunds).
        let covered: Vec<(i64, i64)> = with_tx!(tx, |conn| {
            sqlx::query_as(
                "SELECT e.invoice_id, CAST(-SUM(e.amount_minor) AS BIGINT) FROM ledger_entries e
                 WHERE e.payment_id = $1 AND e.invoice_id IS NOT NULL GROUP BY e.invoice_id ORDER BY e.invoice_id DESC",
            )
            .bind(payment_id)
            .fetch_all(&mut *conn)
            .await
        })?;
        for (invoice_id, cover) in covered {
            let part = cover.min(left);
            if part > 0 {
                insert_entry(
                    tx,
                    account_id,
                    Some(invoice_id),
                    EntryKind::Refund,
                    part,
                    currency,
                    today,
                    &reference,
                    Some(payment_id),
                    None,
                    now,
                )
                .await?;
                left -= part;
            }
        }
    }
    if left > 0 {
        // The credit this payment left was spent elsewhere: owed on account.
        insert_entry(
            tx,
            account_id,
            None,
            EntryKind::Refund,
            left,
            currency,
            today,
            &reference,
            Some(payment_id),
            None,
            now,
        )
        .await?;
    }
    audit_tx(
        tx,
        now,
        Audit::new(None, "refund.succeeded", ("payment", Some(payment_id)))
            .account(Some(account_id))
            .details(&amount.to_string()),
    )
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- reads

#[derive(sqlx::FromRow)]
struct PaymentRow {
    id: i64,
    account_id: i64,
    account_name: String,
    status: String,
    amount_minor: i64,
    currency: String,
    method_label: String,
    failure_code: String,
    action_url: String,
    source: String,
    gateway: String,
    gateway_ref: Option<String>,
    disputed: bool,
    created_at: DateTime<Utc>,
    succeeded_at: Option<DateTime<Utc>>,
    refunded_minor: i64,
}

const PAYMENT_SELECT: &str = "SELECT p.id, p.account_id, a.legal_name AS account_name, p.status, p.amount_minor, p.currency,
    p.method_label, p.failure_code, p.action_url, p.source, p.gateway, p.gateway_ref, p.disputed, p.created_at, p.succeeded_at,
    CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded'), 0) AS BIGINT) AS refunded_minor
    FROM payments p JOIN accounts a ON a.id = p.account_id";

impl PaymentRow {
    fn summary(self, staff: bool) -> AppResult<PaymentSummary> {
        let currency = parse_currency(&self.currency)?;
        Ok(PaymentSummary {
            id: self.id,
            reference: payment_reference(self.id),
            account_id: self.account_id,
            account_name: self.account_name,
            status: PaymentStatus::parse(&self.status).ok_or(AppError::Internal)?,
            amount: Money::new(self.amount_minor, currency),
            refunded: Money::new(self.refunded_minor, currency),
            method_label: self.method_label,
            failure: (!self.failure_code.is_empty()).then(|| decline_msg(&self.failure_code)),
            action_url: (!self.action_url.is_empty() && self.status == "requires_action").then_some(self.action_url),
            source: self.source,
            gateway: self.gateway,
            gateway_ref: if staff { self.gateway_ref } else { None },
            disputed: self.disputed,
            created_at: self.created_at,
            succeeded_at: self.succeeded_at,
        })
    }
}

pub async fn list(
    state: &AppState,
    scope: crate::auth::ssr::Scope,
    q: &PaymentQuery,
    staff: bool,
) -> AppResult<PaymentPage> {
    use crate::auth::ssr::SCOPE_SQL;
    let (all, collector, acc) = scope.binds();
    let page = q.page.clamp(1, 100_000);
    let status = q.status.map(|s| s.as_str()).unwrap_or("");
    let pattern = crate::domain::like_pattern(q.search.as_deref());
    let filter = format!(
        "WHERE {SCOPE_SQL} AND ($4 = 0 OR p.account_id = $4) AND ($5 = '' OR p.status = $5)
           AND ($6 = '' OR a.search_text LIKE $6 ESCAPE '\\')"
    );
    let sql = format!("{PAYMENT_SELECT} {filter} ORDER BY p.created_at DESC, p.id DESC LIMIT $7 OFFSET $8");
    let count_sql = format!("SELECT COUNT(*) FROM payments p JOIN accounts a ON a.id = p.account_id {filter}");
    let account_filter = q.account_id.unwrap_or(0);
    let (rows, total): (Vec<PaymentRow>, i64) = with_db!(&state.db, |pool| {
        let rows = sqlx::query_as(&sql)
            .bind(all)
            .bind(collector)
            .bind(acc)
            .bind(account_filter)
            .bind(status)
            .bind(&pattern)
            .bind(PAYMENTS_PAGE_SIZE)
            .bind((page - 1) * PAYMENTS_PAGE_SIZE)
            .fetch_all(pool)
            .await?;
        let total: i64 = sqlx::query_scalar(&count_sql)
            .bind(all)
            .bind(collector)
            .bind(acc)
            .bind(account_filter)
            .bind(status)
            .bind(&pattern)
            .fetch_one(pool)
            .await?;
        Ok::<_, sqlx::Error>((rows, total))
    })?;
    Ok(PaymentPage {
        items: rows.into_iter().map(|r| r.summary(staff)).collect::<AppResult<_>>()?,
        page,
        page_count: ((total + PAYMENTS_PAGE_SIZE - 1) / PAYMENTS_PAGE_SIZE).max(1),
    })
}

pub async fn detail(
    state: &AppState,
    scope: crate::auth::ssr::Scope,
    id: i64,
    staff: bool,
) -> AppResult<PaymentDetail> {
    use crate::auth::ssr::SCOPE_SQL;
    let (all, collector, acc) = scope.binds();
    let sql = format!("{PAYMENT_SELECT} WHERE {SCOPE_SQL} AND p.id = $4");
    let row: Option<PaymentRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    let summary = row.ok_or(AppError::NotFound)?.summary(staff)?;
    let currency = summary.amount.currency;
    #[allow(clippy::type_complexity)]
    let (allocs, posted, events, refunds): (
        Vec<(i64, String, i64)>,
        Vec<(Option<i64>, i64)>,
        Vec<EventRow>,
        Vec<RefundRow>,
    ) = with_db!(&state.db, |pool| {
        let allocs = sqlx::query_as(
                "SELECT pa.invoice_id, i.number, pa.amount_minor FROM payment_allocations pa JOIN invoices i ON i.id = pa.invoice_id
                 WHERE pa.payment_id = $1 ORDER BY i.due_date, i.number",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
        let posted = sqlx::query_as(
                "SELECT invoice_id, CAST(SUM(amount_minor) AS BIGINT) FROM ledger_entries WHERE payment_id = $1 AND kind = 'payment'
                 GROUP BY invoice_id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
        let events = if staff {
            sqlx::query_as(
                    "SELECT event_id, event_type, outcome, received_at FROM payment_events WHERE payment_id = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(pool)
                .await?
        } else {
            Vec::new()
        };
        let refunds = sqlx::query_as(
            "SELECT id, amount_minor, status, reason, created_at FROM refunds WHERE payment_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        Ok::<_, sqlx::Error>((allocs, posted, events, refunds))
    })?;
    let credit = posted.iter().filter(|(inv, _)| inv.is_none()).map(|(_, a)| -a).sum::<i64>();
    let applied_to_invoices = summary.status == PaymentStatus::Succeeded;
    Ok(PaymentDetail {
        allocations: allocs
            .into_iter()
            .map(|(invoice_id, number, planned)| {
                let amount = if applied_to_invoices {
                    posted.iter().find(|(i, _)| *i == Some(invoice_id)).map(|(_, a)| -a).unwrap_or(0)
                } else {
                    planned
                };
                AllocationView { invoice_id, number, amount: Money::new(amount, currency) }
            })
            .collect(),
        credit: Money::new(credit, currency),
        events: events
            .into_iter()
            .map(|e| EventView {
                event_id: e.event_id,
                event_type: e.event_type,
                outcome: e.outcome,
                received_at: e.received_at,
            })
            .collect(),
        refunds: refunds
            .into_iter()
            .map(|r| RefundView {
                id: r.id,
                amount: Money::new(r.amount_minor, currency),
                status: r.status,
                reason: r.reason,
                created_at: r.created_at,
            })
            .collect(),
        summary,
        confirm: None,
    })
}

#[derive(sqlx::FromRow)]
struct EventRow {
    event_id: String,
    event_type: String,
    outcome: String,
    received_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RefundRow {
    id: i64,
    amount_minor: i64,
    status: String,
    reason: String,
    created_at: DateTime<Utc>,
}

/// Methods on file for the back-office (brand and last four only).
pub async fn methods_on_file(
    state: &AppState,
    scope: crate::auth::ssr::Scope,
    account_id: i64,
) -> AppResult<Vec<MethodView>> {
    use crate::auth::ssr::SCOPE_SQL;
    let (all, collector, acc) = scope.binds();
    let sql = format!("SELECT a.id FROM accounts a WHERE {SCOPE_SQL} AND a.id = $4");
    let visible: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(pool).await
    })?;
    visible.ok_or(AppError::NotFound)?;
    methods(state, account_id).await
}
