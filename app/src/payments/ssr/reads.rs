//! Payment reads for the payer and the back-office, scoped in SQL.

use super::super::*;
use super::methods;
use crate::error::{AppError, AppResult};
use crate::invoices::ssr::parse_currency;
use crate::state::AppState;
use crate::with_db;
use chrono::{DateTime, Utc};

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
    channel: Option<String>,
    received_on: Option<chrono::NaiveDate>,
    reference: String,
    reversal_reason: String,
}

const PAYMENT_SELECT_COLUMNS: &str = "SELECT p.id, p.account_id, a.legal_name AS account_name, p.status, p.amount_minor, p.currency,
    p.method_label, p.failure_code, p.action_url, p.source, p.gateway, p.gateway_ref, p.disputed, p.created_at, p.succeeded_at,
    CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded'), 0) AS BIGINT) AS refunded_minor,
    p.channel, p.received_on, p.reference, p.reversal_reason";

const PAYMENT_SELECT: &str = "SELECT p.id, p.account_id, a.legal_name AS account_name, p.status, p.amount_minor, p.currency,
    p.method_label, p.failure_code, p.action_url, p.source, p.gateway, p.gateway_ref, p.disputed, p.created_at, p.succeeded_at,
    CAST(COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded'), 0) AS BIGINT) AS refunded_minor,
    p.channel, p.received_on, p.reference, p.reversal_reason
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
            channel: self.channel.as_deref().and_then(Channel::parse),
            received_on: self.received_on,
            payer_reference: self.reference,
            reversal_reason: (self.status == "reversed").then_some(self.reversal_reason),
        })
    }
}

pub async fn list(
    state: &AppState,
    scope: crate::auth::ssr::Scope,
    q: &PaymentQuery,
    staff: bool,
) -> AppResult<PaymentPage> {
    use crate::db::{Arg, Args};
    let page = q.page.clamp(1, 100_000);
    let mut args = Args::default();
    let (all, collector, acc) = scope.binds();
    args.push(Arg::Bool(all));
    args.push(Arg::OptInt(collector));
    args.push(Arg::OptInt(acc));
    let mut conditions = vec![scope.sql().to_string()];
    if let Some(account_id) = q.account_id {
        conditions.push(format!("p.account_id = {}", args.push(Arg::Int(account_id))));
    }
    if let Some(status) = q.status {
        conditions.push(format!("p.status = {}", args.push(Arg::Text(status.as_str().into()))));
    }
    let pattern = crate::domain::like_pattern(q.search.as_deref());
    if !pattern.is_empty() {
        conditions.push(format!("a.search_text LIKE {} ESCAPE '\\'", args.push(Arg::Text(pattern))));
    }
    let from = format!("FROM payments p JOIN accounts a ON a.id = p.account_id WHERE {}", conditions.join(" AND "));
    let sql = format!(
        "{PAYMENT_SELECT_COLUMNS} {from} ORDER BY p.created_at DESC, p.id DESC LIMIT {PAYMENTS_PAGE_SIZE} OFFSET {}",
        (page - 1) * PAYMENTS_PAGE_SIZE
    );
    let count = crate::db::CappedCount::new(&from, page, PAYMENTS_PAGE_SIZE);
    let (rows, total): (Vec<PaymentRow>, i64) = with_db!(&state.db, |pool| {
        let rows = crate::bind_args!(sqlx::query_as(&sql), args).fetch_all(pool).await?;
        let total: i64 = crate::bind_args!(sqlx::query_scalar(&count.sql), args).fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((rows, total))
    })?;
    let counted = count.counted(total);
    Ok(PaymentPage {
        items: rows.into_iter().map(|r| r.summary(staff)).collect::<AppResult<_>>()?,
        page,
        page_count: counted.pages(),
        more: counted.more,
    })
}

pub async fn detail(
    state: &AppState,
    scope: crate::auth::ssr::Scope,
    id: i64,
    staff: bool,
) -> AppResult<PaymentDetail> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!("{PAYMENT_SELECT} WHERE {scope_sql} AND p.id = $4");
    let row: Option<PaymentRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    let summary = row.ok_or(AppError::NotFound)?.summary(staff)?;
    let currency = summary.amount.currency;
    #[allow(clippy::type_complexity)]
    let (allocs, posted, events, refunds): (
        Vec<(i64, String, i64, i64)>,
        Vec<(Option<i64>, i64)>,
        Vec<EventRow>,
        Vec<RefundRow>,
    ) = with_db!(&state.db, |pool| {
        let allocs = sqlx::query_as(
            "SELECT pa.invoice_id, i.number, pa.amount_minor, pa.discount_minor FROM payment_allocations pa
                 JOIN invoices i ON i.id = pa.invoice_id
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
    let applied_to_invoices = matches!(summary.status, PaymentStatus::Succeeded | PaymentStatus::Reversed);
    Ok(PaymentDetail {
        allocations: allocs
            .into_iter()
            .map(|(invoice_id, number, planned, discount)| {
                let amount = if applied_to_invoices {
                    posted.iter().find(|(i, _)| *i == Some(invoice_id)).map(|(_, a)| -a).unwrap_or(0)
                } else {
                    planned
                };
                let discount = (discount > 0).then(|| Money::new(discount, currency));
                AllocationView { invoice_id, number, amount: Money::new(amount, currency), discount }
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
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!("SELECT a.id FROM accounts a WHERE {scope_sql} AND a.id = $4");
    let visible: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar(&sql).bind(all).bind(collector).bind(acc).bind(account_id).fetch_optional(pool).await
    })?;
    visible.ok_or(AppError::NotFound)?;
    methods(state, account_id).await
}
