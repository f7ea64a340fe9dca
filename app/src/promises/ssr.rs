//! Promises: policy, creation (one transaction, account row locked first),
//! cancel, staff decisions, the settling job. Every read is scoped in SQL.

use super::*;
use crate::auth::ssr::{audit_tx, Audit, Principal, Scope};
use crate::collection::account;
use crate::db::Conn;
use crate::db::Tx;
use crate::domain::{Locale, Role};
use crate::error::AppResult;
use crate::invoices::ssr::parse_currency;
use crate::ledger::{self, balances};
use crate::state::AppState;
use crate::{with_conn, with_db, with_tx};
use chrono::Duration;

/// The owner's policy (merchant settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// A promise may be at most this many days ahead.
    pub max_days: i64,
    /// Promises an invoice may receive (cancelled ones aside) before staff
    /// must approve the next one.
    pub max_per_invoice: i64,
}

pub async fn policy(state: &AppState) -> AppResult<Policy> {
    let row: Option<(i32, i32)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT promise_max_days, promise_max_per_invoice FROM merchant WHERE id = 1")
            .fetch_optional(pool)
            .await
    })?;
    let (days, count) = row.unwrap_or((30, 2));
    Ok(Policy { max_days: i64::from(days), max_per_invoice: i64::from(count) })
}

/// A promise as asked for, parsed at the boundary.
#[derive(Clone, Debug)]
pub struct NewPromise {
    pub account_id: i64,
    pub invoice_ids: Vec<i64>,
    pub date: NaiveDate,
    /// Major units as typed; empty = the open balance.
    pub amount: String,
    pub note: String,
    /// `portal` or `staff`.
    pub source: &'static str,
    pub actor: i64,
}

impl NewPromise {
    pub fn parse(
        account_id: i64,
        invoices: &str,
        date: &str,
        amount: &str,
        note: &str,
        source: &'static str,
        actor: i64,
    ) -> AppResult<NewPromise> {
        let invoice_ids = parse_invoice_ids(invoices)?;
        let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::field("promised_date", Msg::PromiseDateInvalid))?;
        let note: String = note.trim().chars().take(1000).collect();
        Ok(NewPromise { account_id, invoice_ids, date, amount: amount.trim().to_string(), note, source, actor })
    }
}

/// The open invoices of `account_id` among `ids`; another account's (or a
/// missing) invoice is a 404, a settled one a conflict.
async fn lines_in(
    mut conn: Conn<'_>,
    account_id: i64,
    ids: &[i64],
) -> AppResult<(Vec<PromiseLine>, crate::domain::Currency)> {
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

/// What a promise on these invoices would cover. Reads only.
pub async fn quote(state: &AppState, account_id: i64, ids: &[i64]) -> AppResult<PromiseQuote> {
    let policy = policy(state).await?;
    let (invoices, currency) = lines_in((&state.db).into(), account_id, ids).await?;
    let today = state.clock.today();
    let total = invoices.iter().map(|l| l.balance.minor).sum();
    Ok(PromiseQuote {
        invoices,
        total: Money::new(total, currency),
        today,
        latest_date: today + Duration::days(policy.max_days),
    })
}

/// Records a promise: active, or waiting for staff approval when one of its
/// invoices already received the policy's count of promises (a promise
/// recorded by staff is their decision: active at once).
pub async fn create(state: &AppState, p: &NewPromise) -> AppResult<(i64, PromiseStatus)> {
    let policy = policy(state).await?;
    let today = state.clock.today();
    if p.date < today || p.date > today + Duration::days(policy.max_days) {
        return Err(AppError::field("promised_date", Msg::PromiseDateOutOfRange));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, p.account_id).await?;
    let (lines, currency) = lines_in(Conn::Tx(&mut tx), p.account_id, &p.invoice_ids).await?;
    let total: i64 = lines.iter().map(|l| l.balance.minor).sum();
    let amount = if p.amount.is_empty() {
        total
    } else {
        Money::parse_major(&p.amount, currency).map_err(|_| AppError::field("amount", Msg::InvalidAmount))?.minor
    };
    if amount <= 0 || amount > total {
        return Err(AppError::field("amount", Msg::PromiseAmountInvalid));
    }
    let mut over_policy = false;
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
        over_policy |= earlier >= policy.max_per_invoice;
    }
    let status =
        if over_policy && p.source == "portal" { PromiseStatus::PendingApproval } else { PromiseStatus::Active };
    let id: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO promises (account_id, promised_date, amount_minor, currency, balance_at_promise_minor, status, source,
                 note, created_by, created_at, updated_at, ledger_mark)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10,
                 COALESCE((SELECT MAX(e.id) FROM ledger_entries e WHERE e.account_id = $1), 0)) RETURNING id",
        )
        .bind(p.account_id)
        .bind(p.date)
        .bind(amount)
        .bind(currency.code())
        .bind(total)
        .bind(status.as_str())
        .bind(p.source)
        .bind(&p.note)
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
    let amount_money = Money::new(amount, currency);
    let details = format!("{} {} {} ({numbers})", p.date, amount_money.format(Locale::En), status.as_str());
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(p.actor), "promise.created", ("promise", Some(id)))
            .account(Some(p.account_id))
            .details(&details),
    )
    .await?;
    balances::refresh(&mut tx, &lock, today).await?;
    let notice = Notice { account_id: p.account_id, date: p.date, amount: amount_money, numbers };
    match (status, p.source) {
        (PromiseStatus::PendingApproval, _) => notify_staff(&mut tx, state, &notice, NoticeKind::NeedsApproval).await?,
        (_, "staff") => notify_client(&mut tx, state, &notice, NoticeKind::Recorded, "").await?,
        _ => {}
    }
    tx.commit().await?;
    Ok((id, status))
}

/// The client withdraws its own pending or active promise.
pub async fn cancel(state: &AppState, account_id: i64, id: i64, actor: i64) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id).await?;
    let n = with_tx!(&mut tx, |conn| {
        sqlx::query(
            "UPDATE promises SET status = 'cancelled', updated_at = $3
             WHERE id = $1 AND account_id = $2 AND status IN ('active', 'pending_approval')",
        )
        .bind(id)
        .bind(account_id)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(|r| r.rows_affected())
    })?;
    if n == 0 {
        let exists: Option<i64> = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar("SELECT id FROM promises WHERE id = $1 AND account_id = $2")
                .bind(id)
                .bind(account_id)
                .fetch_optional(&mut *conn)
                .await
        })?;
        return Err(if exists.is_some() { AppError::Conflict(Msg::PromiseNotOpen) } else { AppError::NotFound });
    }
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), "promise.cancelled", ("promise", Some(id))).account(Some(account_id)),
    )
    .await?;
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
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

/// Staff who collect this account: owners, or the collector it is assigned
/// to (another collector gets a 404, like a missing account); accountants
/// read only.
pub async fn require_collecting_staff(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<()> {
    match principal.role {
        Role::Owner | Role::Collector => {}
        Role::Accountant | Role::Client => return Err(AppError::Forbidden),
    }
    let (all, collector, acc) = principal.scope().binds();
    let scope_sql = principal.scope().sql();
    let sql = format!("SELECT a.id FROM accounts a WHERE {scope_sql} AND a.id = $4");
    let found: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(pool).await
    })?;
    found.map(|_| ()).ok_or(AppError::NotFound)
}

/// Approves or rejects a promise waiting for staff; a rejection says why.
pub async fn decide(state: &AppState, id: i64, approve: bool, reason: &str, actor: i64) -> AppResult<()> {
    let reason: String = reason.trim().chars().take(1000).collect();
    if !approve && reason.is_empty() {
        return Err(AppError::field("reason", Msg::RequiredField));
    }
    let now = state.clock.now();
    let to = if approve { PromiseStatus::Active } else { PromiseStatus::Rejected };
    let account_id: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT account_id FROM promises WHERE id = $1").bind(id).fetch_optional(pool).await
    })?;
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, account_id.ok_or(AppError::NotFound)?).await?;
    let row: Option<NoticeRow> = with_tx!(&mut tx, |conn| {
        sqlx::query_as(
            "UPDATE promises SET status = $2, decided_by = $3, decision_note = $4, updated_at = $5
             WHERE id = $1 AND status = 'pending_approval'
             RETURNING id, account_id, promised_date, amount_minor, currency",
        )
        .bind(id)
        .bind(to.as_str())
        .bind(actor)
        .bind(&reason)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
    })?;
    let row = row.ok_or(AppError::Conflict(Msg::PromiseNotPending))?;
    let action = if approve { "promise.approved" } else { "promise.rejected" };
    audit_tx(
        &mut tx,
        now,
        Audit::new(Some(actor), action, ("promise", Some(id))).account(Some(row.account_id)).details(&reason),
    )
    .await?;
    let notice = row.notice(&mut tx).await?;
    let kind = if approve { NoticeKind::Approved } else { NoticeKind::Rejected };
    notify_client(&mut tx, state, &notice, kind, &reason).await?;
    balances::refresh(&mut tx, &lock, state.clock.today()).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    account_id: i64,
    promised_date: NaiveDate,
    amount_minor: i64,
    currency: String,
    balance_at_promise_minor: i64,
    /// What its invoices still owe (stored balances).
    owed_now: i64,
}

/// Money received on a promise's invoices since it was made: payments and
/// credit applied, less refunds (a credit note or a write-off is not money).
const RECEIVED_SQL: &str = "SELECT CAST(COALESCE(-SUM(e.amount_minor), 0) AS BIGINT) FROM ledger_entries e
    JOIN promise_invoices pi ON pi.invoice_id = e.invoice_id
    WHERE pi.promise_id = $1 AND e.id > $2
      AND e.kind IN ('payment', 'credit_applied', 'refund', 'refund_reversal')";

/// How a promise ends, from the money received since it was made and what
/// its invoices still owe. `None`: it still runs.
pub fn outcome(amount: i64, received: i64, owed_now: i64, date: NaiveDate, today: NaiveDate) -> Option<PromiseStatus> {
    if received >= amount || (owed_now <= 0 && received > 0) {
        // Paid as promised, or paid all that was left after a credit note.
        Some(PromiseStatus::Kept)
    } else if owed_now <= 0 {
        // Nothing left to pay, and nothing paid: a credit note settled it.
        Some(PromiseStatus::Cancelled)
    } else if date < today {
        Some(PromiseStatus::Broken)
    } else {
        None
    }
}

/// The settling job, one pass: a promise whose invoices received the
/// promised amount in money is kept (even before its date); one whose date
/// has passed without it is broken, its invoices return to collection and
/// the collector is alerted; one whose invoices were settled by credit
/// alone ends cancelled. Candidates come from stored balances (their
/// invoices owe less than when promised, or the date has passed); the
/// ledger is read only for those, under the account's lock, and each change
/// is a compare-and-set on the status, so two passes at once (or on two
/// instances) settle a promise once.
pub async fn settle_due(state: &AppState) -> AppResult<(usize, usize)> {
    let today = state.clock.today();
    let started = state.clock.now();
    // Only promises that can have moved: their date has passed, or their
    // account had a posting since shortly before the last pass (a late
    // commit is not missed). The first pass looks a day back.
    let since = match crate::collection::job_last_start(&state.db, SETTLE_JOB).await? {
        Some(at) => at - Duration::minutes(10),
        None => started - Duration::days(1),
    };
    let rows: Vec<DueRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT p.id, p.account_id, p.promised_date, p.amount_minor, p.currency, p.balance_at_promise_minor,
                CAST(COALESCE((SELECT SUM(i.balance_minor) FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
                               WHERE pi.promise_id = p.id), 0) AS BIGINT) AS owed_now
             FROM promises p
             WHERE p.status = 'active'
               AND (p.promised_date < $1
                    OR p.account_id IN (SELECT lp.account_id FROM ledger_postings lp WHERE lp.created_at > $2))
             ORDER BY p.promised_date, p.id",
        )
        .bind(today)
        .bind(since)
        .fetch_all(pool)
        .await
    })?;
    let (mut kept, mut broken) = (0, 0);
    for r in rows {
        if r.owed_now >= r.balance_at_promise_minor && r.promised_date >= today {
            continue;
        }
        let now = state.clock.now();
        let mut tx = state.db.begin().await?;
        let lock = ledger::lock(&mut tx, r.account_id).await?;
        // Read again under the lock: a posting may have landed since.
        let (mark, owed_now): (i64, i64) = with_tx!(&mut tx, |conn| {
            sqlx::query_as(
                "SELECT p.ledger_mark, CAST(COALESCE((SELECT SUM(i.balance_minor) FROM promise_invoices pi
                     JOIN invoices i ON i.id = pi.invoice_id WHERE pi.promise_id = p.id), 0) AS BIGINT)
                 FROM promises p WHERE p.id = $1",
            )
            .bind(r.id)
            .fetch_one(&mut *conn)
            .await
        })?;
        let received: i64 = with_tx!(&mut tx, |conn| {
            sqlx::query_scalar(RECEIVED_SQL).bind(r.id).bind(mark).fetch_one(&mut *conn).await
        })?;
        let Some(to) = outcome(r.amount_minor, received, owed_now, r.promised_date, today) else { continue };
        let n = with_tx!(&mut tx, |conn| {
            sqlx::query(
                "UPDATE promises SET status = $2, settled_at = $3, updated_at = $3 WHERE id = $1 AND status = 'active'",
            )
            .bind(r.id)
            .bind(to.as_str())
            .bind(now)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
        if n == 0 {
            continue;
        }
        let currency = parse_currency(&r.currency)?;
        let details = format!("{} / {}", Money::new(received.max(0), currency).format(Locale::En), r.amount_minor);
        let action = match to {
            PromiseStatus::Kept => "promise.kept",
            PromiseStatus::Broken => "promise.broken",
            _ => "promise.cancelled",
        };
        audit_tx(
            &mut tx,
            now,
            Audit::new(None, action, ("promise", Some(r.id))).account(Some(r.account_id)).details(&details),
        )
        .await?;
        match to {
            PromiseStatus::Broken => {
                let row = NoticeRow {
                    id: r.id,
                    account_id: r.account_id,
                    promised_date: r.promised_date,
                    amount_minor: r.amount_minor,
                    currency: r.currency.clone(),
                };
                let notice = row.notice(&mut tx).await?;
                notify_staff(&mut tx, state, &notice, NoticeKind::Broken).await?;
                broken += 1;
            }
            PromiseStatus::Kept => kept += 1,
            _ => {}
        }
        balances::refresh(&mut tx, &lock, today).await?;
        tx.commit().await?;
    }
    crate::collection::job_started(&state.db, SETTLE_JOB, started).await?;
    Ok((kept, broken))
}

/// The settling job's name in `job_runs`.
const SETTLE_JOB: &str = "promises.settle";

#[derive(sqlx::FromRow)]
struct ListRow {
    id: i64,
    account_id: i64,
    account_name: String,
    promised_date: NaiveDate,
    amount_minor: i64,
    currency: String,
    status: String,
    source: String,
    note: String,
    decision_note: String,
    created_at: DateTime<Utc>,
}

pub async fn list(state: &AppState, scope: Scope, q: &PromiseQuery) -> AppResult<PromiseListing> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let today = state.clock.today();
    let page = q.page.clamp(1, crate::invoices::MAX_PAGE);
    let sql = format!(
        "SELECT p.id, p.account_id, a.legal_name AS account_name, p.promised_date, p.amount_minor, p.currency, p.status,
                p.source, p.note, p.decision_note, p.created_at
         FROM promises p JOIN accounts a ON a.id = p.account_id
         WHERE {scope_sql} AND ($4 = '' OR p.status = $4) AND ($5 = 0 OR p.account_id = $5)
           AND ($6 = ''
             OR ($6 = 'due_today' AND p.status = 'active' AND p.promised_date = $7)
             OR ($6 = 'broken' AND p.status = 'broken')
             OR ($6 = 'pending' AND p.status = 'pending_approval'))
         ORDER BY CASE WHEN p.status IN ('active', 'pending_approval') THEN 0 ELSE 1 END, p.promised_date DESC, p.id DESC
         LIMIT $8 OFFSET $9"
    );
    let status = q.status.map(|s| s.as_str()).unwrap_or("");
    let queue = q.queue.as_deref().filter(|s| ["due_today", "broken", "pending"].contains(s)).unwrap_or("");
    let rows: Vec<ListRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql)
            .bind(all)
            .bind(collector)
            .bind(acc)
            .bind(status)
            .bind(q.account_id.unwrap_or(0))
            .bind(queue)
            .bind(today)
            .bind(PROMISES_PAGE_SIZE)
            .bind((page - 1) * PROMISES_PAGE_SIZE)
            .fetch_all(pool)
            .await
    })?;
    // The invoices of the whole page in one query (ids are integers from
    // the rows above, written into the SQL as such).
    let ids = rows.iter().map(|r| r.id.to_string()).collect::<Vec<_>>().join(",");
    let links: Vec<(i64, i64, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        let sql = format!(
            "SELECT pi.promise_id, i.id, i.number FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
             WHERE pi.promise_id IN ({ids}) ORDER BY i.due_date, i.number"
        );
        with_db!(&state.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?
    };
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let currency = parse_currency(&r.currency)?;
        let invoices = links
            .iter()
            .filter(|(promise, _, _)| *promise == r.id)
            .map(|(_, id, number)| PromiseInvoice { id: *id, number: number.clone() })
            .collect();
        items.push(PromiseView {
            id: r.id,
            account_id: r.account_id,
            account_name: r.account_name,
            promised_date: r.promised_date,
            amount: Money::new(r.amount_minor, currency),
            status: PromiseStatus::parse(&r.status).ok_or(AppError::Internal)?,
            source: r.source,
            note: r.note,
            decision_note: r.decision_note,
            invoices,
            created_at: r.created_at,
        });
    }
    Ok(PromiseListing { items })
}

// ---------------------------------------------------------------- notices

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NoticeKind {
    NeedsApproval,
    Broken,
    Recorded,
    Approved,
    Rejected,
}

struct Notice {
    account_id: i64,
    date: NaiveDate,
    amount: Money,
    numbers: String,
}

#[derive(sqlx::FromRow)]
struct NoticeRow {
    id: i64,
    account_id: i64,
    promised_date: NaiveDate,
    amount_minor: i64,
    currency: String,
}

impl NoticeRow {
    async fn notice(self, tx: &mut Tx) -> AppResult<Notice> {
        let numbers: Vec<String> = with_tx!(tx, |conn| {
            sqlx::query_scalar(
                "SELECT i.number FROM promise_invoices pi JOIN invoices i ON i.id = pi.invoice_id
                 WHERE pi.promise_id = $1 ORDER BY i.due_date, i.number",
            )
            .bind(self.id)
            .fetch_all(&mut *conn)
            .await
        })?;
        Ok(Notice {
            account_id: self.account_id,
            date: self.promised_date,
            amount: Money::new(self.amount_minor, parse_currency(&self.currency)?),
            numbers: numbers.join(", "),
        })
    }
}

fn message(
    locale: Locale,
    kind: NoticeKind,
    company: &str,
    account: &str,
    n: &Notice,
    reason: &str,
    link: &str,
) -> (String, String) {
    let date = locale.format_date(n.date);
    let amount = n.amount.format(locale);
    let numbers = &n.numbers;
    match (locale, kind) {
        (Locale::Fr, NoticeKind::NeedsApproval) => (
            format!("Promesse de paiement à valider : {account}"),
            format!("{account} promet de payer {amount} le {date} (factures {numbers}).\nCes factures ont déjà reçu le nombre de promesses permis : validez ou refusez celle-ci.\n{link}\n"),
        ),
        (Locale::En, NoticeKind::NeedsApproval) => (
            format!("Promise to pay to approve: {account}"),
            format!("{account} promises to pay {amount} on {date} (invoices {numbers}).\nThese invoices already received the allowed number of promises: approve or reject this one.\n{link}\n"),
        ),
        (Locale::Fr, NoticeKind::Broken) => (
            format!("Promesse non tenue : {account}"),
            format!("La promesse de {account} de payer {amount} le {date} (factures {numbers}) n'a pas été tenue.\nCes factures reviennent dans le recouvrement.\n{link}\n"),
        ),
        (Locale::En, NoticeKind::Broken) => (
            format!("Broken promise: {account}"),
            format!("{account}'s promise to pay {amount} on {date} (invoices {numbers}) was not kept.\nThese invoices are back in collection.\n{link}\n"),
        ),
        (Locale::Fr, NoticeKind::Recorded) => (
            format!("{company} : votre promesse de paiement"),
            format!("Bonjour,\n\nNous avons noté votre promesse de payer {amount} le {date} (factures {numbers}). Merci !\n\nVos promesses : {link}\n"),
        ),
        (Locale::En, NoticeKind::Recorded) => (
            format!("{company}: your promise to pay"),
            format!("Hello,\n\nWe have recorded your promise to pay {amount} on {date} (invoices {numbers}). Thank you!\n\nYour promises: {link}\n"),
        ),
        (Locale::Fr, NoticeKind::Approved) => (
            format!("{company} : promesse de paiement acceptée"),
            format!("Bonjour,\n\nVotre promesse de payer {amount} le {date} (factures {numbers}) est acceptée.\n\n{link}\n"),
        ),
        (Locale::En, NoticeKind::Approved) => (
            format!("{company}: promise to pay accepted"),
            format!("Hello,\n\nYour promise to pay {amount} on {date} (invoices {numbers}) is accepted.\n\n{link}\n"),
        ),
        (Locale::Fr, NoticeKind::Rejected) => (
            format!("{company} : promesse de paiement refusée"),
            format!("Bonjour,\n\nVotre promesse de payer {amount} le {date} (factures {numbers}) n'a pas été acceptée.\nMotif : {reason}\n\n{link}\n"),
        ),
        (Locale::En, NoticeKind::Rejected) => (
            format!("{company}: promise to pay not accepted"),
            format!("Hello,\n\nYour promise to pay {amount} on {date} (invoices {numbers}) was not accepted.\nReason: {reason}\n\n{link}\n"),
        ),
    }
}

/// The account's collector, or the owners when it has none.
async fn notify_staff(tx: &mut Tx, state: &AppState, n: &Notice, kind: NoticeKind) -> AppResult<()> {
    let recipients = crate::mail::collector_or_owners(tx, n.account_id).await?;
    let acc = account(Conn::Tx(tx), n.account_id).await?;
    let company = crate::mail::company_name(crate::db::Conn::Tx(tx)).await?;
    let link = format!("{}/back/accounts/{}", state.auth.public_url, n.account_id);
    let now = state.clock.now();
    for (email, locale) in recipients {
        let (subject, body) = message(locale, kind, &company, &acc.legal_name, n, "", &link);
        crate::mail::enqueue_tx(tx, now, &email, &subject, &body, Some(n.account_id)).await?;
    }
    Ok(())
}

/// The account's billing address, in its language.
async fn notify_client(tx: &mut Tx, state: &AppState, n: &Notice, kind: NoticeKind, reason: &str) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), n.account_id).await?;
    if acc.billing_email.is_empty() {
        return Ok(());
    }
    let locale = Locale::parse(&acc.language).unwrap_or_default();
    let company = crate::mail::company_name(crate::db::Conn::Tx(tx)).await?;
    let link = format!("{}/portal/promises", state.auth.public_url);
    let (subject, body) = message(locale, kind, &company, &acc.legal_name, n, reason, &link);
    crate::mail::enqueue_tx(tx, state.clock.now(), &acc.billing_email, &subject, &body, Some(n.account_id)).await?;
    Ok(())
}
