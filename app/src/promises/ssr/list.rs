//! The promise lists: the client's own, staff's queues and an account's,
//! scoped in SQL and paged.

use super::*;
use crate::db::{Arg, Args, CappedCount};

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

/// One page of the promises in `scope` that match `q`, open ones first.
#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, scope: Scope, q: &PromiseQuery) -> AppResult<PromiseListing> {
    let (all, collector, acc) = scope.binds();
    let page = q.page.clamp(1, crate::invoices::MAX_PAGE);
    // The scope takes $1..$3; each filter that applies adds its own.
    let mut args = Args(vec![Arg::Bool(all), Arg::OptInt(collector), Arg::OptInt(acc)]);
    let mut filters = vec![scope.sql().to_string()];
    if let Some(status) = q.status {
        filters.push(format!("p.status = {}", args.push(Arg::Text(status.as_str().into()))));
    }
    if let Some(account_id) = q.account_id {
        filters.push(format!("p.account_id = {}", args.push(Arg::Int(account_id))));
    }
    match q.queue {
        None => {}
        Some(PromiseQueue::DueToday) => {
            let today = args.push(Arg::Date(state.clock.today()));
            filters.push(format!("p.status = 'active' AND p.promised_date = {today}"));
        }
        Some(PromiseQueue::Broken) => filters.push("p.status = 'broken'".into()),
        Some(PromiseQueue::Pending) => filters.push("p.status = 'pending_approval'".into()),
    }
    let from_where = format!("FROM promises p JOIN accounts a ON a.id = p.account_id WHERE {}", filters.join(" AND "));
    let count = CappedCount::new(&from_where, page, PROMISES_PAGE_SIZE);
    let rows_sql = format!(
        "SELECT p.id, p.account_id, a.legal_name AS account_name, p.promised_date, p.amount_minor, p.currency, p.status,
                p.source, p.note, p.decision_note, p.created_at
         {from_where}
         ORDER BY CASE WHEN p.status IN ('active', 'pending_approval') THEN 0 ELSE 1 END, p.promised_date DESC, p.id DESC
         LIMIT {PROMISES_PAGE_SIZE} OFFSET {}",
        (page - 1) * PROMISES_PAGE_SIZE
    );
    let (rows, counted): (Vec<ListRow>, i64) = with_db!(&state.db, |pool| {
        let rows = crate::bind_args!(sqlx::query_as(&rows_sql), args).fetch_all(pool).await?;
        let counted = crate::bind_args!(sqlx::query_scalar(&count.sql), args).fetch_one(pool).await?;
        Ok::<_, sqlx::Error>((rows, counted))
    })?;
    let counted = count.counted(counted);
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
        let status = PromiseStatus::parse(&r.status)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("promise {}: unknown status {:?}", r.id, r.status)))?;
        let source = PromiseSource::parse(&r.source)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("promise {}: unknown source {:?}", r.id, r.source)))?;
        items.push(PromiseView {
            id: r.id,
            account_id: r.account_id,
            account_name: r.account_name,
            promised_date: r.promised_date,
            amount: Money::new(r.amount_minor, currency),
            status,
            source,
            note: r.note,
            decision_note: r.decision_note,
            invoices,
            created_at: r.created_at,
        });
    }
    Ok(PromiseListing { items, page, page_count: counted.pages(), more: counted.more })
}
