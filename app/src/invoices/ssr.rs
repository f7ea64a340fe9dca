//! Invoice and balance queries. Each takes the caller's `Scope` and applies
//! it in SQL, so a forgotten check returns nothing rather than someone
//! else's data.

use super::*;
use crate::auth::ssr::{Scope, SCOPE_SQL};
use crate::domain::ledger;
use crate::error::AppResult;
use crate::state::AppState;
use crate::with_db;
use chrono::Duration;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    account_id: i64,
    account_name: String,
    number: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    currency: String,
    total_minor: i64,
    status: String,
    balance_minor: i64,
    /// In an active promise to pay (0 or 1 on both backends).
    promised: i32,
    /// Under disputes in progress, at most the balance.
    disputed_minor: i64,
}

impl SummaryRow {
    fn into_summary(self, today: NaiveDate) -> AppResult<InvoiceSummary> {
        let currency = parse_currency(&self.currency)?;
        Ok(InvoiceSummary {
            state: InvoiceState::derive(
                self.status == "void",
                self.total_minor,
                self.balance_minor,
                self.due_date,
                today,
            )
            .promised(self.promised != 0)
            .disputed(self.disputed_minor, self.balance_minor),
            id: self.id,
            account_id: self.account_id,
            account_name: self.account_name,
            number: self.number,
            issue_date: self.issue_date,
            due_date: self.due_date,
            total: Money::new(self.total_minor, currency),
            balance: Money::new(self.balance_minor, currency),
            disputed: Money::new(self.disputed_minor, currency),
        })
    }
}

pub use crate::ledger::parse_currency;

/// Scoped invoices with their remaining balance. Parameters $1..$3 are the
/// scope, $4 the optional account, $5 today.
const INVOICES_CTE: &str = "WITH inv_raw AS (
    SELECT i.id, i.account_id, a.legal_name AS account_name, a.search_text, i.number, i.issue_date, i.due_date,
           i.currency, i.total_minor, i.status,
           i.balance_minor,
           CASE WHEN PROMISED THEN 1 ELSE 0 END AS promised,
           CAST(DISPUTED AS BIGINT) AS disputed_raw
    FROM invoices i JOIN accounts a ON a.id = i.account_id
    WHERE SCOPE AND ($4 = 0 OR i.account_id = $4)
),
inv AS (
    SELECT inv_raw.*,
           CASE WHEN disputed_raw > balance_minor THEN (CASE WHEN balance_minor > 0 THEN balance_minor ELSE 0 END)
                ELSE disputed_raw END AS disputed_minor
    FROM inv_raw
)";

fn invoices_cte() -> String {
    INVOICES_CTE
        .replace("SCOPE", SCOPE_SQL)
        .replace("PROMISED", crate::collection::PROMISED_SQL)
        .replace("DISPUTED", crate::collection::DISPUTED_SQL)
}

/// $6 = filter, $7 = search pattern ('' for none).
const FILTER_SQL: &str = "status = 'issued'
    AND ($6 = 'all'
      OR ($6 = 'open' AND balance_minor > 0)
      OR ($6 = 'overdue' AND balance_minor - disputed_minor > 0 AND due_date < $5 AND promised = 0)
      OR ($6 = 'paid' AND balance_minor <= 0))
    AND ($7 = '' OR LOWER(number) LIKE $7 ESCAPE '\\' OR search_text LIKE $7 ESCAPE '\\')";

fn order_sql(sort: InvoiceSort) -> &'static str {
    match sort {
        InvoiceSort::DueAsc => "due_date ASC, number ASC",
        InvoiceSort::DueDesc => "due_date DESC, number DESC",
        InvoiceSort::AmountDesc => "total_minor DESC, number ASC",
        InvoiceSort::Number => "number DESC",
    }
}

pub async fn list(state: &AppState, scope: Scope, q: &InvoiceQuery) -> AppResult<InvoicePage> {
    let page = q.page.clamp(1, MAX_PAGE);
    let (items, total_count) = fetch(state, scope, q, Some(page)).await?;
    Ok(InvoicePage { items, total_count, page, page_count: ((total_count + PAGE_SIZE - 1) / PAGE_SIZE).max(1) })
}

/// Every invoice matching `q`, in one query (one account's open invoices).
pub async fn list_all(state: &AppState, scope: Scope, q: &InvoiceQuery) -> AppResult<Vec<InvoiceSummary>> {
    Ok(fetch(state, scope, q, None).await?.0)
}

/// The matching invoices: one page and the total count, or all of them.
async fn fetch(
    state: &AppState,
    scope: Scope,
    q: &InvoiceQuery,
    page: Option<i64>,
) -> AppResult<(Vec<InvoiceSummary>, i64)> {
    let today = state.clock.today();
    let (all, collector, account) = scope.binds();
    let cte = invoices_cte();
    let pattern = crate::domain::like_pattern(q.search.as_deref());
    let account_filter = q.account_id.unwrap_or(0);
    let count_sql = format!("{cte} SELECT COUNT(*) FROM inv WHERE {FILTER_SQL}");
    let list_sql =
        format!("{cte} SELECT * FROM inv WHERE {FILTER_SQL} ORDER BY {} LIMIT $8 OFFSET $9", order_sql(q.sort));
    let (limit, offset) = match page {
        Some(page) => (PAGE_SIZE, (page - 1) * PAGE_SIZE),
        None => (i64::MAX, 0),
    };
    // The same seven parameters for the count and the rows.
    macro_rules! bind_filter {
        ($q:expr) => {
            $q.bind(all)
                .bind(collector)
                .bind(account)
                .bind(account_filter)
                .bind(today)
                .bind(q.filter.as_str())
                .bind(&pattern)
        };
    }
    let (total_count, rows): (i64, Vec<SummaryRow>) = with_db!(&state.db, |pool| {
        let rows: Vec<SummaryRow> =
            bind_filter!(sqlx::query_as(&list_sql)).bind(limit).bind(offset).fetch_all(pool).await?;
        let total: i64 = match page {
            Some(_) => bind_filter!(sqlx::query_scalar(&count_sql)).fetch_one(pool).await?,
            None => i64::try_from(rows.len()).unwrap_or(i64::MAX),
        };
        Ok::<_, sqlx::Error>((total, rows))
    })?;
    let items = rows.into_iter().map(|r| r.into_summary(today)).collect::<AppResult<Vec<_>>>()?;
    Ok((items, total_count))
}

async fn summary(state: &AppState, scope: Scope, id: i64) -> AppResult<InvoiceSummary> {
    let (all, collector, account) = scope.binds();
    let sql = format!("{} SELECT * FROM inv WHERE id = $5", invoices_cte());
    let row: Option<SummaryRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(0_i64).bind(id).fetch_optional(pool).await
    })?;
    // Out of scope and missing look the same: no existence leak.
    row.ok_or(AppError::NotFound)?.into_summary(state.clock.today())
}

#[derive(sqlx::FromRow)]
struct LineRow {
    description: String,
    quantity_milli: i64,
    unit_price_minor: i64,
    tax_rate_bp: i32,
    net_minor: i64,
    tax_minor: i64,
}

#[derive(sqlx::FromRow)]
pub struct EntryRow {
    id: i64,
    kind: String,
    amount_minor: i64,
    currency: String,
    occurred_on: NaiveDate,
    reference: String,
    memo: String,
    invoice_number: Option<String>,
}

impl EntryRow {
    pub fn into_line(self) -> AppResult<LedgerLine> {
        Ok(LedgerLine {
            id: self.id,
            kind: EntryKind::parse(&self.kind)
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown entry kind {}", self.kind)))?,
            amount: Money::new(self.amount_minor, parse_currency(&self.currency)?),
            occurred_on: self.occurred_on,
            reference: self.reference,
            memo: self.memo,
            invoice_number: self.invoice_number,
        })
    }
}

pub async fn detail(state: &AppState, scope: Scope, id: i64) -> AppResult<InvoiceDetail> {
    let summary = summary(state, scope, id).await?;
    let currency = summary.total.currency;
    let (lines, entries): (Vec<LineRow>, Vec<EntryRow>) = with_db!(&state.db, |pool| {
        let lines = sqlx::query_as(
            "SELECT description, quantity_milli, unit_price_minor, tax_rate_bp, net_minor, tax_minor
             FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let entries = sqlx::query_as(
            "SELECT e.id, e.kind, e.amount_minor, e.currency, e.occurred_on, e.reference, e.memo, i.number AS invoice_number
             FROM ledger_entries e LEFT JOIN invoices i ON i.id = e.invoice_id
             WHERE e.invoice_id = $1 ORDER BY e.occurred_on, e.id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        Ok::<_, sqlx::Error>((lines, entries))
    })?;
    let lines: Vec<InvoiceLine> = lines
        .into_iter()
        .map(|l| InvoiceLine {
            description: l.description,
            quantity: rust_decimal::Decimal::new(l.quantity_milli, 3).normalize(),
            unit_price: Money::new(l.unit_price_minor, currency),
            tax_rate_percent: ledger::tax_rate_percent(l.tax_rate_bp),
            net: Money::new(l.net_minor, currency),
            tax: Money::new(l.tax_minor, currency),
        })
        .collect();
    let subtotal = crate::domain::money::sum(currency, lines.iter().map(|l| l.net)).map_err(AppError::internal)?;
    let tax = crate::domain::money::sum(currency, lines.iter().map(|l| l.tax)).map_err(AppError::internal)?;
    let entries = entries.into_iter().map(EntryRow::into_line).collect::<AppResult<Vec<_>>>()?;
    let applied: Vec<LedgerLine> = entries.iter().filter(|e| e.kind != EntryKind::Invoice).cloned().collect();

    let mut history = vec![HistoryEvent::Issued(summary.issue_date)];
    history.extend(applied.iter().cloned().map(HistoryEvent::Entry));
    match summary.state {
        InvoiceState::Overdue => history.push(HistoryEvent::OverdueSince(summary.due_date + Duration::days(1))),
        InvoiceState::Open | InvoiceState::PartiallyPaid => history.push(HistoryEvent::Due(summary.due_date)),
        _ => {}
    }
    history.sort_by_key(|e| match e {
        HistoryEvent::Issued(d) | HistoryEvent::Due(d) | HistoryEvent::OverdueSince(d) => *d,
        HistoryEvent::Entry(l) => l.occurred_on,
    });
    Ok(InvoiceDetail { summary, lines, subtotal, tax, applied, history })
}

pub async fn overview(state: &AppState, scope: Scope, account_id: i64) -> AppResult<AccountOverview> {
    let (all, collector, account) = scope.binds();
    let sql = format!("SELECT a.legal_name, a.currency FROM accounts a WHERE {SCOPE_SQL} AND a.id = $4");
    let row: Option<(String, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(account_id).fetch_optional(pool).await
    })?;
    let (legal_name, currency) = row.ok_or(AppError::NotFound)?;
    let currency = parse_currency(&currency)?;
    let today = state.clock.today();
    let figures =
        crate::ledger::balances::figures((&state.db).into(), account_id, today).await?.ok_or(AppError::NotFound)?;
    let open_query = InvoiceQuery {
        filter: InvoiceFilter::Open,
        sort: InvoiceSort::DueAsc,
        page: 1,
        account_id: Some(account_id),
        search: None,
    };
    let open = list_all(state, scope, &open_query).await?;
    let next_due = open.iter().map(|i| i.due_date).filter(|d| *d >= today).min();
    // Promised invoices are out of the overdue figure while the promise
    // runs; disputed amounts while the dispute is in progress (shown apart).
    Ok(AccountOverview {
        account_id,
        legal_name,
        balance: Money::new(figures.balance, currency),
        overdue: Money::new(figures.overdue, currency),
        disputed: Money::new(figures.disputed, currency),
        credit: Money::new((-figures.unapplied).max(0), currency),
        next_due,
        open_invoices: open,
    })
}

/// Ledger of one account, newest first.
pub async fn account_ledger(state: &AppState, scope: Scope, account_id: i64, limit: i64) -> AppResult<Vec<LedgerLine>> {
    let (all, collector, account) = scope.binds();
    let sql = format!(
        "SELECT e.id, e.kind, e.amount_minor, e.currency, e.occurred_on, e.reference, e.memo, i.number AS invoice_number
         FROM ledger_entries e JOIN accounts a ON a.id = e.account_id LEFT JOIN invoices i ON i.id = e.invoice_id
         WHERE {SCOPE_SQL} AND e.account_id = $4 ORDER BY e.occurred_on DESC, e.id DESC LIMIT $5"
    );
    let rows: Vec<EntryRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(account_id).bind(limit).fetch_all(pool).await
    })?;
    rows.into_iter().map(EntryRow::into_line).collect()
}
