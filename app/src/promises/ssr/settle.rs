//! The settling job: a promise whose invoices received the promised amount
//! in money is kept (even before its date); one whose date has passed
//! without it is broken, its invoices return to collection and the
//! collector is alerted; one whose invoices were settled by credit alone
//! ends cancelled.

use super::*;

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
/// credit applied, less refunds and reversed payments (a credit note or a
/// write-off is not money).
const RECEIVED_SQL: &str = "SELECT CAST(COALESCE(-SUM(e.amount_minor), 0) AS BIGINT) FROM ledger_entries e
    JOIN promise_invoices pi ON pi.invoice_id = e.invoice_id
    WHERE pi.promise_id = $1 AND e.id > $2
      AND e.kind IN ('payment', 'credit_applied', 'refund', 'refund_reversal', 'payment_reversal')";

/// The settling job's name in `job_runs`.
const SETTLE_JOB: &str = "promises.settle";

/// One pass. Candidates come from stored balances (their invoices owe less
/// than when promised, or the date has passed); the ledger is read only for
/// those, under the account's lock, and each change is a compare-and-set on
/// the status, so two passes at once (or on two instances) settle a promise
/// once. Returns (kept, broken).
#[tracing::instrument(skip_all)]
pub async fn settle_due(state: &AppState) -> AppResult<(usize, usize)> {
    let today = state.clock.today();
    let started = state.clock.now();
    // Only promises that can have moved: their date has passed, or their
    // account had a posting since shortly before the last pass (a late
    // commit is not missed). The first pass looks a day back.
    let since = match crate::collection::job_last_start(&state.db, SETTLE_JOB).await? {
        Some(at) => at - chrono::Duration::minutes(10),
        None => started - chrono::Duration::days(1),
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
        match settle_one(state, &r, today).await? {
            Some(PromiseStatus::Kept) => kept += 1,
            Some(PromiseStatus::Broken) => broken += 1,
            _ => {}
        }
    }
    crate::collection::job_started(&state.db, SETTLE_JOB, started).await?;
    Ok((kept, broken))
}

/// Settles one candidate under its account's lock; `None` when it still
/// runs (or another pass settled it first).
async fn settle_one(state: &AppState, r: &DueRow, today: NaiveDate) -> AppResult<Option<PromiseStatus>> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let lock = ledger::lock(&mut tx, r.account_id).await?;
    // Read again under the lock: a posting may have landed since.
    let (status, mark, owed_now): (String, i64, i64) = with_tx!(&mut tx, |conn| {
        sqlx::query_as(
            "SELECT p.status, p.ledger_mark, CAST(COALESCE((SELECT SUM(i.balance_minor) FROM promise_invoices pi
                 JOIN invoices i ON i.id = pi.invoice_id WHERE pi.promise_id = p.id), 0) AS BIGINT)
             FROM promises p WHERE p.id = $1",
        )
        .bind(r.id)
        .fetch_one(&mut *conn)
        .await
    })?;
    if status != PromiseStatus::Active.as_str() {
        return Ok(None);
    }
    let received: i64 = with_tx!(&mut tx, |conn| {
        sqlx::query_scalar(RECEIVED_SQL).bind(r.id).bind(mark).fetch_one(&mut *conn).await
    })?;
    let Some(to) = rules::outcome(r.amount_minor, received, owed_now, r.promised_date, today) else {
        return Ok(None);
    };
    move_status(&mut tx, r.id, PromiseStatus::Active, to, now).await?;
    let currency = parse_currency(&r.currency)?;
    // What came in, against what was promised.
    let details = AuditDetails::default()
        .amount(Money::new(received.max(0), currency))
        .date(r.promised_date)
        .reference(Money::new(r.amount_minor, currency).format(Locale::En));
    let action = match to {
        PromiseStatus::Kept => crate::audit::AuditAction::PromiseKept,
        PromiseStatus::Broken => crate::audit::AuditAction::PromiseBroken,
        _ => crate::audit::AuditAction::PromiseCancelled,
    };
    audit(
        crate::db::Conn::Tx(&mut tx),
        now,
        Audit::new(None, action, ("promise", Some(r.id))).account(Some(r.account_id)).details(details),
    )
    .await?;
    if to == PromiseStatus::Broken {
        let row = FactsRow {
            id: r.id,
            account_id: r.account_id,
            promised_date: r.promised_date,
            amount_minor: r.amount_minor,
            currency: r.currency.clone(),
        };
        let facts = row.facts(&mut tx).await?;
        notify_staff(&mut tx, state, r.account_id, &facts, PromiseNotice::Broken).await?;
    }
    balances::refresh(&mut tx, &lock, today).await?;
    tx.commit().await?;
    Ok(Some(to))
}
