//! The pay flow: plan (from stored balances) → payment row → gateway
//! charge → outcome. Outcomes are compare-and-set on the status rank under
//! the account's lock; a success is posted through `crate::ledger::post`.

use super::super::gateway::*;
use super::super::*;
use super::methods::{MethodRow, METHOD_COLS};
use super::{account, customer_ref, gateway_error, ACTION_HOLD_MINUTES, MAX_AMOUNT_MINOR};
use crate::auth::ssr::{audit, Audit};
use crate::db::{Conn, Tx};
use crate::domain::{Currency, Locale, Money};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoices::ssr::parse_currency;
use crate::ledger::{self, balances, Allocation, Posting};
use crate::state::AppState;
use crate::{with_conn, with_db, with_tx};
use chrono::{DateTime, Duration, Utc};

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

/// Who asks: the payer chooses what to pay (a disputed invoice included,
/// if they wish); autopay never charges a disputed amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payer {
    Person,
    Autopay,
}

/// Works out, from stored balances, what a selection costs and what it
/// settles: each invoice's balance less payments in flight (and, for
/// autopay, less what is disputed); an invoice settled in full by its
/// early-payment deadline (the account's own day) costs its discount less.
async fn plan_in(
    mut conn: Conn<'_>,
    account_id: i64,
    currency: Currency,
    selection: &Selection,
    payer: Payer,
    now: DateTime<Utc>,
) -> AppResult<Plan> {
    let open = balances::open_invoices(conn.reborrow(), account_id).await?;
    let payable: Vec<(&balances::OpenInvoice, i64)> = open
        .iter()
        .map(|i| (i, if payer == Payer::Autopay { i.creditable() } else { i.payable() }))
        .filter(|(_, p)| *p > 0)
        .collect();
    let line = |r: &balances::OpenInvoice, amount: i64| PlanLine {
        invoice_id: r.id,
        number: r.number.clone(),
        due_date: r.due_date,
        amount: Money::new(amount, currency),
        discount: None,
    };
    let (lines, credit) = match selection {
        Selection::Invoices(ids) => {
            if ids.is_empty() {
                return Err(AppError::field("invoices", Msg::SelectInvoices));
            }
            let mut lines: Vec<PlanLine> = Vec::new();
            for id in ids {
                if lines.iter().any(|l| l.invoice_id == *id) {
                    continue;
                }
                match payable.iter().find(|(r, _)| r.id == *id) {
                    Some((r, amount)) => lines.push(line(r, *amount)),
                    None => return Err(invoice_not_payable(conn, account_id, *id).await),
                }
            }
            lines.sort_by(|a, b| (a.due_date, &a.number).cmp(&(b.due_date, &b.number)));
            // Only an invoice's whole payable part earns its discount.
            let whole: Vec<i64> = lines
                .iter()
                .filter(|l| open.iter().any(|o| o.id == l.invoice_id && o.payable() == l.amount.minor))
                .map(|l| l.invoice_id)
                .collect();
            if !whole.is_empty() {
                let terms = discount_terms(conn.reborrow(), account_id).await?;
                for l in lines.iter_mut().filter(|l| whole.contains(&l.invoice_id)) {
                    if let Some(t) = terms.iter().find(|t| t.id == l.invoice_id) {
                        l.discount = t.earned(l.amount, now);
                        if let Some(d) = &l.discount {
                            l.amount = Money::new(l.amount.minor - d.amount.minor, currency);
                        }
                    }
                }
            }
            (lines, 0)
        }
        Selection::Amount(amount) => {
            if *amount <= 0 || *amount > MAX_AMOUNT_MINOR {
                return Err(AppError::field("amount", Msg::InvalidAmount));
            }
            if payable.is_empty() {
                return Err(AppError::Conflict(Msg::NothingToPay));
            }
            let owed: Vec<(i64, i64)> = payable.iter().map(|(r, p)| (r.id, *p)).collect();
            let (parts, rest) = crate::domain::ledger::allocate(*amount, &owed);
            let lines = parts
                .iter()
                .filter_map(|(id, amount)| payable.iter().find(|(r, _)| r.id == *id).map(|(r, _)| line(r, *amount)))
                .collect();
            (lines, rest)
        }
    };
    let total = lines
        .iter()
        .try_fold(credit, |acc: i64, l| acc.checked_add(l.amount.minor))
        .ok_or(AppError::field("amount", Msg::InvalidAmount))?;
    Ok(Plan { lines, credit: Money::new(credit, currency), total: Money::new(total, currency) })
}

/// An open invoice's early-payment terms, with its account's time zone.
#[derive(sqlx::FromRow)]
struct DiscountTerms {
    id: i64,
    issue_date: chrono::NaiveDate,
    early_discount_bp: i32,
    early_discount_days: i32,
    time_zone: String,
}

impl DiscountTerms {
    /// The discount on `whole` (what settles the invoice), when paid `now`:
    /// up to the deadline, in the account's day; never all of it (a line
    /// charges something).
    fn earned(&self, whole: Money, now: DateTime<Utc>) -> Option<LineDiscount> {
        let terms =
            crate::domain::document::EarlyPaymentDiscount::new(self.early_discount_bp, self.early_discount_days)?;
        let until = terms.deadline(self.issue_date);
        let today = now.with_timezone(&crate::reminders::ssr::engine::time_zone(&self.time_zone)).date_naive();
        let amount = terms.discount_on(whole.minor).ok()?;
        (today <= until && amount > 0 && amount < whole.minor).then_some(LineDiscount {
            amount: Money::new(amount, whole.currency),
            percent_bp: terms.percent_bp,
            until,
        })
    }
}

async fn discount_terms(conn: Conn<'_>, account_id: i64) -> AppResult<Vec<DiscountTerms>> {
    Ok(with_conn!(conn, |c| {
        sqlx::query_as(
            "SELECT i.id, i.issue_date, i.early_discount_bp, i.early_discount_days, a.time_zone
             FROM invoices i JOIN accounts a ON a.id = i.account_id
             WHERE i.account_id = $1 AND i.status = 'issued' AND i.balance_minor > 0
               AND i.early_discount_bp IS NOT NULL AND i.early_discount_days IS NOT NULL",
        )
        .bind(account_id)
        .fetch_all(&mut *c)
        .await
    })?)
}

/// Why an invoice cannot be paid: not the caller's (404, like a missing
/// one), paid already, or being paid.
async fn invoice_not_payable(conn: Conn<'_>, account_id: i64, invoice_id: i64) -> AppError {
    let exists: AppResult<Option<i64>> = async {
        Ok(with_conn!(conn, |c| {
            sqlx::query_scalar("SELECT id FROM invoices WHERE id = $1 AND account_id = $2 AND status = 'issued'")
                .bind(invoice_id)
                .bind(account_id)
                .fetch_optional(&mut *c)
                .await
        })?)
    }
    .await;
    match exists {
        Ok(Some(_)) => AppError::Conflict(Msg::InvoiceNotPayable),
        Ok(None) => AppError::NotFound,
        Err(e) => e,
    }
}

/// What a selection would cost now (the confirmation page). Reads only.
#[tracing::instrument(skip(state))]
pub async fn plan(state: &AppState, account_id: i64, selection: &Selection) -> AppResult<Plan> {
    let acc = account((&state.db).into(), account_id).await?;
    let currency = parse_currency(&acc.currency)?;
    plan_in((&state.db).into(), account_id, currency, selection, Payer::Person, state.clock.now()).await
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
#[tracing::instrument(skip_all, fields(account = p.account_id))]
pub async fn create_payment(state: &AppState, p: &NewPayment<'_>) -> AppResult<(i64, bool)> {
    if p.idempotency_key.is_empty() || p.idempotency_key.len() > 80 {
        return Err(AppError::Request("idempotency key".into()));
    }
    let now = state.clock.now();
    let gw = state.gateway.name();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, p.account_id).await?;
    let currency = lock.currency();
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
    let payer = if p.source == "autopay" { Payer::Autopay } else { Payer::Person };
    let plan = plan_in(Conn::Tx(&mut tx), p.account_id, currency, &p.selection, payer, now).await?;
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
            sqlx::query(
                "INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor, discount_minor) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(l.invoice_id)
            .bind(l.amount.minor)
            .bind(l.discount.map_or(0, |d| d.amount.minor))
            .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let details = crate::audit::AuditDetails::default()
        .amount(Money::new(plan.total.minor, currency))
        .invoices(plan.lines.iter().map(|l| l.number.clone()));
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(p.actor, crate::audit::AuditAction::PaymentCreated, ("payment", Some(id)))
            .account(Some(p.account_id))
            .details(details),
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
#[tracing::instrument(skip(state, one_off_ref))]
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
#[tracing::instrument(skip(state))]
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
#[tracing::instrument(skip(state))]
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
    let entry = Audit::new(Some(actor), crate::audit::AuditAction::PaymentCanceled, ("payment", Some(payment_id)))
        .account(Some(account_id));
    crate::auth::ssr::audit((&state.db).into(), state.clock.now(), entry).await?;
    Ok(())
}

/// Ends a payment left waiting for the payer past the hold: cancelled at
/// the gateway, then failed here (`action_expired`), which frees its
/// invoices. One that moved on meanwhile (the payer just finished) is
/// brought up to date instead.
#[tracing::instrument(skip(state))]
pub async fn expire(state: &AppState, payment_id: i64, gateway_ref: &str) -> AppResult<bool> {
    match state.gateway.cancel_charge(gateway_ref).await {
        Ok(_) => transition(state, payment_id, "failed", Some(gateway_ref), "action_expired", "").await,
        Err(GatewayError::Refused { code }) if code == "payment_intent_unexpected_state" => {
            refresh(state, payment_id).await.map(|(changed, _)| changed)
        }
        Err(e) => Err(gateway_error(e)),
    }
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
/// success, posts it to the ledger, all under the account's lock. Returns
/// whether anything changed; a repeated or late report changes nothing.
#[tracing::instrument(skip_all, fields(payment = payment_id))]
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
    let account_id: Option<i64> = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT account_id FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(&mut *conn)
            .await
    })?;
    let Some(account_id) = account_id else { return Ok(false) };
    // Two reports for payments of one account (or a report and the credit
    // job) run one after the other from here: each posts against what the
    // previous one left owing.
    let lock = ledger::lock(tx, account_id).await?;
    // Only for whom to tell: a debit that failed after `processing` (days
    // later, a SEPA return) has nobody watching the page.
    let before: String = with_tx!(tx, |conn| {
        sqlx::query_scalar("SELECT status FROM payments WHERE id = $1").bind(payment_id).fetch_one(&mut *conn).await
    })?;
    let was_processing = before == "processing";
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
    let amount = Money::new(moved.amount_minor, currency);
    match status {
        "succeeded" => {
            let planned: Vec<(i64, i64)> = with_tx!(tx, |conn| {
                sqlx::query_as(
                    "SELECT pa.invoice_id, pa.amount_minor FROM payment_allocations pa JOIN invoices i ON i.id = pa.invoice_id
                     WHERE pa.payment_id = $1 ORDER BY i.due_date, i.number",
                )
                .bind(payment_id)
                .fetch_all(&mut *conn)
                .await
            })?;
            let reference = payment_reference(payment_id);
            let posting = Posting::Payment {
                payment_id,
                amount: moved.amount_minor,
                allocation: Allocation::Planned(planned),
                reference: &reference,
            };
            ledger::post(tx, &lock, posting, &ledger::Ctx::new(state, None)).await?;
            discounts(tx, state, &lock, payment_id, currency).await?;
            tell_client(tx, state, now, moved.account_id, payment_id, |locale, company, link| {
                crate::mail::Message::Receipt { company, reference: &reference, amount, link }.render(locale)
            })
            .await?;
            audit(
                crate::db::Conn::Tx(tx),
                now,
                Audit::new(None, crate::audit::AuditAction::PaymentSucceeded, ("payment", Some(payment_id)))
                    .account(Some(moved.account_id)),
            )
            .await?;
        }
        "failed" => {
            audit(
                crate::db::Conn::Tx(tx),
                now,
                Audit::new(None, crate::audit::AuditAction::PaymentFailed, ("payment", Some(payment_id)))
                    .account(Some(moved.account_id))
                    .details(crate::audit::AuditDetails::default().code(failure_code)),
            )
            .await?;
            // Its invoices are free again: waiting credit may now cover them.
            ledger::post(tx, &lock, Posting::ApplyCredit, &ledger::Ctx::new(state, None)).await?;
            // Nobody is watching an automatic payment, a pay-by-link one, or
            // a bank debit that failed after processing: tell the client.
            if moved.source != "portal" || was_processing {
                tell_client(tx, state, now, moved.account_id, payment_id, |locale, company, link| {
                    crate::mail::Message::PaymentFailed {
                        company,
                        reference: &payment_reference(payment_id),
                        amount,
                        reason: decline_msg(failure_code).text(locale),
                        link,
                    }
                    .render(locale)
                })
                .await?;
            }
        }
        _ => {}
    }
    Ok(true)
}

/// The early-payment discounts a succeeded payment took: a credit note for
/// each (split by VAT rate, in the credit notes' own series), once, in the
/// payment's transaction. Each credits no more than the invoice still owes
/// once paid (another payment may have settled some of it meanwhile), so
/// a discount never turns into credit.
async fn discounts(
    tx: &mut Tx,
    state: &AppState,
    lock: &ledger::Locked,
    payment_id: i64,
    currency: Currency,
) -> AppResult<()> {
    let taken: Vec<(i64, i64, i64)> = with_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT pa.invoice_id, pa.discount_minor, i.balance_minor FROM payment_allocations pa
             JOIN invoices i ON i.id = pa.invoice_id WHERE pa.payment_id = $1 AND pa.discount_minor > 0 ORDER BY i.id",
        )
        .bind(payment_id)
        .fetch_all(&mut *conn)
        .await
    })?;
    for (invoice_id, discount, owed) in taken {
        let amount = discount.min(owed);
        if amount > 0 {
            crate::invoicing::ssr::adjust::early_discount(
                tx,
                state,
                lock,
                invoice_id,
                Money::new(amount, currency),
                payment_id,
            )
            .await?;
        }
    }
    Ok(())
}

/// Queues an e-mail about a payment to the account's billing address, in
/// its language: `message` writes subject and body from the locale, the
/// merchant's name and the link to the payment's page.
pub(crate) async fn tell_client(
    tx: &mut Tx,
    state: &AppState,
    now: DateTime<Utc>,
    account_id: i64,
    payment_id: i64,
    message: impl FnOnce(Locale, &str, &str) -> crate::mail::Rendered,
) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), account_id).await?;
    let locale = Locale::parse(&acc.language).unwrap_or_default();
    let company = crate::mail::company_name(Conn::Tx(tx)).await?;
    let link = format!("{}/portal/payments/{payment_id}", state.auth.public_url);
    let crate::mail::Rendered { subject, body } = message(locale, &company, &link);
    crate::mail::enqueue_tx(tx, now, &acc.billing_email, &subject, &body, Some(account_id)).await?;
    Ok(())
}

/// Applies waiting credit on the accounts that have some and an open
/// invoice (one whose payment in flight failed, or that a dispute no longer
/// holds): run by the payments job. Reads stored balances, not the ledger.
#[tracing::instrument(skip_all)]
pub async fn apply_all_credit(state: &AppState) -> AppResult<usize> {
    let accounts: Vec<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT id FROM accounts WHERE unapplied_minor < 0 AND open_minor > 0").fetch_all(pool).await
    })?;
    let mut applied = 0;
    for id in accounts {
        let mut tx = state.db.begin().await?;
        let lock = ledger::lock(&mut tx, id).await?;
        if ledger::post(&mut tx, &lock, Posting::ApplyCredit, &ledger::Ctx::new(state, None)).await?.new {
            applied += 1;
        }
        tx.commit().await?;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn terms(zone: &str) -> DiscountTerms {
        DiscountTerms {
            id: 1,
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            early_discount_bp: 200,
            early_discount_days: 10,
            time_zone: zone.to_string(),
        }
    }

    #[test]
    fn a_discount_is_earned_up_to_the_deadline_in_the_accounts_day() {
        let eur = |minor| Money::new(minor, Currency::parse("EUR").unwrap());
        let at = |d, h, m| Utc.with_ymd_and_hms(2026, 11, d, h, m, 0).unwrap();
        let paris = terms("Europe/Paris");
        let d = paris.earned(eur(14_109), at(30, 22, 59)).expect("23:59 in Paris on the 30th");
        assert_eq!((d.amount.minor, d.percent_bp), (282, 200));
        assert_eq!(d.until, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        // Midnight in Paris: 1 December there, still 30 November in UTC.
        assert_eq!(paris.earned(eur(14_109), at(30, 23, 0)), None);
        // Still the 30th in Martinique at 03:00 UTC on 1 December.
        let fort_de_france = terms("America/Martinique");
        assert!(fort_de_france.earned(eur(14_109), Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap()).is_some());
        // Nothing to take off a cent; never the whole amount.
        assert_eq!(paris.earned(eur(1), at(21, 10, 0)), None);
        let all = DiscountTerms { early_discount_bp: 10_000, ..terms("Europe/Paris") };
        assert_eq!(all.earned(eur(14_109), at(21, 10, 0)), None);
    }
}
