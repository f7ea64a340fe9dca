//! Invoice and balance queries. Each takes the caller's `Scope` and applies
//! it in SQL, so a forgotten check returns nothing rather than someone
//! else's data.

use super::*;
use crate::auth::ssr::Scope;
use crate::db::{Arg, Args, CappedCount, Counted};
use crate::domain::ledger;
use crate::error::AppResult;
use crate::state::AppState;
use crate::{bind_args, with_db};
use chrono::Duration;

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    account_id: i64,
    account_name: String,
    /// For exports (lists show the name).
    account_code: String,
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

/// An invoice row as lists show it: its stored balance, whether a promise
/// holds it and how much of it disputes cover (at most its balance).
fn columns() -> String {
    use crate::collection::{DISPUTED_SQL, PROMISED_SQL};
    format!(
        "i.id, i.account_id, a.legal_name AS account_name, a.code AS account_code, i.number, i.issue_date, i.due_date, i.currency,
         i.total_minor, i.status, i.balance_minor,
         CASE WHEN {PROMISED_SQL} THEN 1 ELSE 0 END AS promised,
         CAST(CASE WHEN {DISPUTED_SQL} > i.balance_minor
                   THEN (CASE WHEN i.balance_minor > 0 THEN i.balance_minor ELSE 0 END)
                   ELSE {DISPUTED_SQL} END AS BIGINT) AS disputed_minor"
    )
}

fn order_sql(sort: InvoiceSort) -> &'static str {
    match sort {
        InvoiceSort::DueAsc => "i.due_date ASC, i.number ASC",
        InvoiceSort::DueDesc => "i.due_date DESC, i.number DESC",
        InvoiceSort::AmountDesc => "i.total_minor DESC, i.number ASC",
        InvoiceSort::Number => "i.number DESC",
    }
}

/// The `FROM … WHERE …` of a query, with only the conditions it needs (so
/// each is a plain predicate an index serves), and its arguments: the
/// scope ($1..$3), then the account, today (overdue) and the search.
fn from_where(scope: Scope, q: &InvoiceQuery, today: NaiveDate) -> (String, Args) {
    use crate::collection::{DISPUTED_SQL, PROMISED_SQL};
    let mut args = Args::default();
    let (all, collector, account) = scope.binds();
    args.push(Arg::Bool(all));
    args.push(Arg::OptInt(collector));
    args.push(Arg::OptInt(account));
    let mut conditions = vec![scope.sql().to_string(), "i.status = 'issued'".to_string()];
    // A client's own invoices: said on the invoice too, so its index serves.
    if let Scope::Account(_) = scope {
        conditions.push("i.account_id = $3".into());
    }
    if let Some(account_id) = q.account_id {
        conditions.push(format!("i.account_id = {}", args.push(Arg::Int(account_id))));
    }
    match q.filter {
        InvoiceFilter::All => {}
        InvoiceFilter::Open => conditions.push("i.balance_minor > 0".into()),
        // Owed, due before today, not promised, not all disputed.
        InvoiceFilter::Overdue => {
            let today = args.push(Arg::Date(today));
            conditions.push(format!(
                "i.balance_minor > 0 AND i.due_date < {today} AND NOT {PROMISED_SQL} AND i.balance_minor > {DISPUTED_SQL}"
            ))
        }
        InvoiceFilter::Paid => conditions.push("i.balance_minor <= 0".into()),
    }
    let pattern = crate::domain::like_pattern(q.search.as_deref());
    if !pattern.is_empty() {
        let p = args.push(Arg::Text(pattern));
        conditions.push(format!("(LOWER(i.number) LIKE {p} ESCAPE '\\' OR a.search_text LIKE {p} ESCAPE '\\')"));
    }
    (format!("FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE {}", conditions.join(" AND ")), args)
}

#[tracing::instrument(skip(state))]
pub async fn list(state: &AppState, scope: Scope, q: &InvoiceQuery) -> AppResult<InvoicePage> {
    let page = q.page.clamp(1, MAX_PAGE);
    let (items, counted) = fetch(state, scope, q, Some(page)).await?;
    Ok(InvoicePage { items, page, page_count: counted.pages(), more: counted.more })
}

/// Every invoice of the list `q` shows (its filter, search and order, not
/// its page), streamed as a file.
pub fn export(
    state: &AppState,
    scope: Scope,
    q: &InvoiceQuery,
    format: crate::exports::stream::Format,
    locale: crate::domain::Locale,
) -> AppResult<crate::exports::stream::FileStream> {
    use crate::exports::stream::{rows, Cell, Sheet};
    use crate::i18n::Msg;
    let today = state.clock.today();
    let (from, args) = from_where(scope, q, today);
    let sql = format!("SELECT {} {from} ORDER BY {}", columns(), order_sql(q.sort));
    let headings = [
        Msg::Invoice,
        Msg::Code,
        Msg::Account,
        Msg::IssueDate,
        Msg::DueDate,
        Msg::Currency,
        Msg::Total,
        Msg::AmountDue,
        Msg::Disputed,
        Msg::Status,
    ];
    let sheet = Sheet {
        name: Msg::Invoices.text(locale).into(),
        headings: headings.iter().map(|m| m.text(locale).to_string()).collect(),
        format,
        locale,
    };
    Ok(rows(state.db.clone(), sql, args, sheet, move |r: SummaryRow| {
        let code = r.account_code.clone();
        let i = r.into_summary(today)?;
        Ok(vec![
            Cell::Text(i.number),
            Cell::Text(code),
            Cell::Text(i.account_name),
            Cell::Date(i.issue_date),
            Cell::Date(i.due_date),
            Cell::Text(i.total.currency.code().into()),
            Cell::Money(i.total),
            Cell::Money(i.balance),
            Cell::Money(i.disputed),
            Cell::Text(crate::components::state_msg(i.state).text(locale).into()),
        ])
    }))
}

/// Every invoice matching `q`, in one query (one account's open invoices).
pub async fn list_all(state: &AppState, scope: Scope, q: &InvoiceQuery) -> AppResult<Vec<InvoiceSummary>> {
    Ok(fetch(state, scope, q, None).await?.0)
}

/// The matching invoices: one page and its (capped) count, or all of them.
async fn fetch(
    state: &AppState,
    scope: Scope,
    q: &InvoiceQuery,
    page: Option<i64>,
) -> AppResult<(Vec<InvoiceSummary>, Counted)> {
    let today = state.clock.today();
    let (from, args) = from_where(scope, q, today);
    let limit = match page {
        Some(page) => format!("LIMIT {PAGE_SIZE} OFFSET {}", (page - 1) * PAGE_SIZE),
        None => String::new(),
    };
    let list_sql = format!("SELECT {} {from} ORDER BY {} {limit}", columns(), order_sql(q.sort));
    let count = CappedCount::new(&from, page.unwrap_or(1), PAGE_SIZE);
    let (rows, counted): (Vec<SummaryRow>, Option<i64>) = with_db!(&state.db, |pool| {
        let rows: Vec<SummaryRow> = bind_args!(sqlx::query_as(&list_sql), args).fetch_all(pool).await?;
        let counted = match page {
            Some(_) => Some(bind_args!(sqlx::query_scalar(&count.sql), args).fetch_one(pool).await?),
            None => None,
        };
        Ok::<_, sqlx::Error>((rows, counted))
    })?;
    let counted = match counted {
        Some(n) => count.counted(n),
        None => Counted { rows: i64::try_from(rows.len()).unwrap_or(i64::MAX), page_size: PAGE_SIZE, more: false },
    };
    let items = rows.into_iter().map(|r| r.into_summary(today)).collect::<AppResult<Vec<_>>>()?;
    Ok((items, counted))
}

async fn summary(state: &AppState, scope: Scope, id: i64) -> AppResult<InvoiceSummary> {
    let (all, collector, account) = scope.binds();
    let sql = format!(
        "SELECT {} FROM invoices i JOIN accounts a ON a.id = i.account_id WHERE {} AND i.id = $4",
        columns(),
        scope.sql()
    );
    let row: Option<SummaryRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(id).fetch_optional(pool).await
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
    vat_category: Option<String>,
}

#[derive(sqlx::FromRow)]
struct DocumentRow {
    parties: String,
    note: String,
    early_discount_bp: Option<i32>,
    early_discount_days: Option<i32>,
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
    credit_note_id: Option<i64>,
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
            credit_note_id: self.credit_note_id,
        })
    }
}

#[tracing::instrument(skip(state))]
pub async fn detail(state: &AppState, scope: Scope, id: i64) -> AppResult<InvoiceDetail> {
    let summary = summary(state, scope, id).await?;
    let currency = summary.total.currency;
    let (lines, entries, document): (Vec<LineRow>, Vec<EntryRow>, DocumentRow) = with_db!(&state.db, |pool| {
        let lines = sqlx::query_as(
            "SELECT description, quantity_milli, unit_price_minor, tax_rate_bp, net_minor, tax_minor, vat_category
             FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let entries = sqlx::query_as(
            "SELECT e.id, e.kind, e.amount_minor, e.currency, e.occurred_on, e.reference, e.memo, i.number AS invoice_number,
                    e.credit_note_id
             FROM ledger_entries e LEFT JOIN invoices i ON i.id = e.invoice_id
             WHERE e.invoice_id = $1 ORDER BY e.occurred_on, e.id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        let document =
            sqlx::query_as("SELECT parties, note, early_discount_bp, early_discount_days FROM invoices WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
        Ok::<_, sqlx::Error>((lines, entries, document))
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
            vat: l.vat_category.as_deref().and_then(crate::domain::document::VatCategory::parse),
        })
        .collect();
    let document = match document.parties.as_str() {
        "" => None,
        parties => Some(crate::invoices::DocumentFacts {
            parties: serde_json::from_str(parties).map_err(AppError::internal)?,
            early_discount: document
                .early_discount_bp
                .zip(document.early_discount_days)
                .and_then(|(bp, days)| crate::domain::document::EarlyPaymentDiscount::new(bp, days)),
            note: document.note,
        }),
    };
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
    // The pay flow's own figures, so that the page and the charge agree.
    let early_offer = if summary.balance.is_positive() && document.as_ref().is_some_and(|d| d.early_discount.is_some())
    {
        let selection = crate::payments::Selection::Invoices(vec![id]);
        match crate::payments::ssr::plan(state, summary.account_id, &selection).await {
            Ok(plan) => plan
                .lines
                .first()
                .and_then(|l| l.discount)
                .map(|discount| crate::invoices::EarlyOffer { pay: plan.total, discount }),
            Err(AppError::Internal) => return Err(AppError::Internal),
            // Being paid, or not payable: no offer.
            Err(_) => None,
        }
    } else {
        None
    };
    Ok(InvoiceDetail { summary, lines, subtotal, tax, applied, history, document, early_offer })
}

#[tracing::instrument(skip(state))]
pub async fn overview(state: &AppState, scope: Scope, account_id: i64) -> AppResult<AccountOverview> {
    let (all, collector, account) = scope.binds();
    let sql = format!("SELECT a.legal_name, a.currency FROM accounts a WHERE {} AND a.id = $4", scope.sql());
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
        "SELECT e.id, e.kind, e.amount_minor, e.currency, e.occurred_on, e.reference, e.memo, i.number AS invoice_number,
                    e.credit_note_id
         FROM ledger_entries e JOIN accounts a ON a.id = e.account_id LEFT JOIN invoices i ON i.id = e.invoice_id
         WHERE {} AND e.account_id = $4 ORDER BY e.occurred_on DESC, e.id DESC LIMIT $5",
        scope.sql()
    );
    let rows: Vec<EntryRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(account).bind(account_id).bind(limit).fetch_all(pool).await
    })?;
    rows.into_iter().map(EntryRow::into_line).collect()
}
