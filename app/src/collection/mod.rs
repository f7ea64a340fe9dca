//! Collection holds: when an invoice's amount is out of collection, and
//! why. One definition each, beneath the features (promises, disputes,
//! payments) that create them and the ledger figures and pages that read
//! them; the reminder engine skips the same amounts.
//!
//! Each predicate is an SQL fragment over an invoice aliased `i`.

/// An invoice is *promised* — its collection paused — while it belongs to
/// an active promise to pay.
/// (Written from the invoice's side, so both planners look its promises up
/// by invoice rather than walk every active promise.)
pub const PROMISED_SQL: &str = "EXISTS (SELECT 1 FROM promise_invoices pi WHERE pi.invoice_id = i.id
    AND EXISTS (SELECT 1 FROM promises pr WHERE pr.id = pi.promise_id AND pr.status = 'active'))";

/// The amount of an invoice under disputes in progress (not capped at its
/// balance: callers cap it). Out of collection and of the overdue figures,
/// shown apart as *disputed*.
pub const DISPUTED_SQL: &str = "COALESCE((SELECT SUM(d.amount_minor) FROM disputes d
    WHERE d.invoice_id = i.id AND d.status IN ('open', 'under_review')), 0)";

/// A payment waiting for the payer's authentication (3-D Secure, or the
/// browser's confirmation) longer than this is cancelled at the gateway by
/// the payments job, which frees its invoices. Until then it holds them:
/// releasing them earlier would let the payer pay twice.
pub const ACTION_HOLD_MINUTES: i64 = 30;

/// The amount of an invoice that payments in flight (pending, waiting for
/// the payer, processing) will settle, with the early-payment discounts they
/// took: not payable again, and not a target for credit.
pub const IN_FLIGHT_SQL: &str = "COALESCE((SELECT SUM(pa.amount_minor + pa.discount_minor) FROM payment_allocations pa
    JOIN payments p ON p.id = pa.payment_id
    WHERE pa.invoice_id = i.id AND p.status IN ('pending', 'requires_action', 'processing')), 0)";

/// When a job's last pass started (`job_runs`), for jobs that look only at
/// what changed since.
pub async fn job_last_start(
    db: &crate::db::Db,
    job: &str,
) -> crate::error::AppResult<Option<chrono::DateTime<chrono::Utc>>> {
    let at = crate::with_db!(db, |pool| {
        sqlx::query_scalar("SELECT started_at FROM job_runs WHERE job = $1").bind(job).fetch_optional(pool).await
    })?;
    Ok(at)
}

/// Records that a job's pass, started at `at`, completed.
pub async fn job_started(
    db: &crate::db::Db,
    job: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::error::AppResult<()> {
    crate::with_db!(db, |pool| {
        sqlx::query(
            "INSERT INTO job_runs (job, started_at) VALUES ($1, $2)
             ON CONFLICT (job) DO UPDATE SET started_at = excluded.started_at",
        )
        .bind(job)
        .bind(at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Whom a notice about an account goes to, and in what language and
/// currency.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub legal_name: String,
    pub billing_email: String,
    pub currency: String,
    pub language: String,
}

impl AccountRow {
    pub fn currency(&self) -> crate::error::AppResult<crate::domain::Currency> {
        crate::ledger::parse_currency(&self.currency)
    }
}

/// An account by id, on the pool or in the caller's transaction.
pub async fn account(conn: crate::db::Conn<'_>, account_id: i64) -> crate::error::AppResult<AccountRow> {
    let row: Option<AccountRow> = crate::with_conn!(conn, |c| {
        sqlx::query_as("SELECT id, legal_name, billing_email, currency, language FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *c)
            .await
    })?;
    row.ok_or(crate::error::AppError::NotFound)
}

/// The account, if the caller collects it: an owner any, a collector those
/// assigned to them (another's is a 404, like a missing account). The
/// accountant and clients only read: 403.
pub async fn require_collector(
    conn: crate::db::Conn<'_>,
    principal: &crate::auth::ssr::Principal,
    account_id: i64,
) -> crate::error::AppResult<AccountRow> {
    use crate::domain::Role;
    match principal.role {
        Role::Owner | Role::Collector => {}
        Role::Accountant | Role::Client => return Err(crate::error::AppError::Forbidden),
    }
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT a.id, a.legal_name, a.billing_email, a.currency, a.language FROM accounts a WHERE {} AND a.id = $4",
        scope.sql()
    );
    let row: Option<AccountRow> = crate::with_conn!(conn, |c| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(&mut *c).await
    })?;
    row.ok_or(crate::error::AppError::NotFound)
}

/// The active collectors, by name, `(id, name)`: whom an account may be
/// assigned to, and what lists filter by.
pub const COLLECTORS_SQL: &str = "SELECT id, name FROM users WHERE role = 'collector' AND active ORDER BY name, id";

pub async fn collectors(db: &crate::db::Db) -> crate::error::AppResult<Vec<(i64, String)>> {
    let rows = crate::with_db!(db, |pool| { sqlx::query_as(COLLECTORS_SQL).fetch_all(pool).await })?;
    Ok(rows)
}

/// The conditions lists of accounts (aliased `a`) share: the caller's scope,
/// bound as $1..$3 (`Scope::sql`), then the segment and the collector
/// asked for (`Some(0)`: accounts with no collector).
pub fn account_conditions(
    scope: crate::auth::ssr::Scope,
    segment: Option<crate::domain::Segment>,
    collector_id: Option<i64>,
    args: &mut crate::db::Args,
) -> Vec<String> {
    use crate::db::Arg;
    let (all, collector, account) = scope.binds();
    args.push(Arg::Bool(all));
    args.push(Arg::OptInt(collector));
    args.push(Arg::OptInt(account));
    let mut conditions = vec![scope.sql().to_string()];
    if let Some(segment) = segment {
        conditions.push(format!("a.segment = {}", args.push(Arg::Text(segment.as_str().into()))));
    }
    match collector_id {
        None => {}
        Some(0) => conditions.push("a.collector_id IS NULL".into()),
        Some(id) => conditions.push(format!("a.collector_id = {}", args.push(Arg::Int(id)))),
    }
    conditions
}
