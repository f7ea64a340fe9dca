//! Every row of a file checked and matched against the books, nothing
//! written: what a run would create, update or leave, and each row's
//! problems. The run plans again, then writes the plan.

use super::credits::{self, NewCredit};
use super::outcome_of;
use crate::accounts::rules::AccountData;
use crate::domain::document::{compute, DraftLine, LineTotals};
use crate::domain::{Currency, PaymentTerms};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::imports::einvoices;
use crate::imports::rules::{self, Cells, ImportKind, PaymentRow};
use crate::imports::table::Table;
use crate::imports::{Mapping, Outcome, ProposedAccount, RowProblem};
use crate::state::AppState;
use crate::with_db;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

pub(crate) enum Plan {
    Accounts(Vec<AccountOp>),
    /// Invoices, then the credit notes of e-invoice files.
    Invoices(Vec<NewInvoice>, Vec<NewCredit>),
    Payments(Vec<NewPayment>),
}

pub(crate) enum AccountOp {
    Create { row: usize, data: AccountData },
    Update { row: usize, id: i64, data: AccountData },
}

impl AccountOp {
    pub(crate) fn row(&self) -> usize {
        match self {
            AccountOp::Create { row, .. } | AccountOp::Update { row, .. } => *row,
        }
    }
}

pub(crate) struct NewInvoice {
    pub row: usize,
    pub account_id: i64,
    pub currency: Currency,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub subtotal: i64,
    pub tax: i64,
    pub total: i64,
    /// With each line's net and VAT share, as computed for the totals.
    pub lines: Vec<(DraftLine, LineTotals)>,
}

pub(crate) struct NewPayment {
    pub row: usize,
    pub account_id: i64,
    pub payment: PaymentRow,
    pub key: String,
    pub invoice_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    code: String,
    external_id: Option<String>,
    siren: Option<String>,
    vat_number: Option<String>,
    currency: String,
    payment_terms_days: i32,
    terms_end_of_month: bool,
    archived: bool,
}

pub(super) struct Known {
    pub(super) id: i64,
    pub(super) currency: Currency,
    terms: PaymentTerms,
    archived: bool,
}

/// Every account by code, external id, SIREN and VAT number.
pub(super) struct Index {
    pub(super) accounts: Vec<Known>,
    by_code: HashMap<String, usize>,
    by_external: HashMap<String, usize>,
    by_siren: HashMap<String, usize>,
    by_vat: HashMap<String, usize>,
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Index {
    async fn load(state: &AppState) -> AppResult<Index> {
        let rows: Vec<AccountRow> = with_db!(&state.db, |pool| {
            sqlx::query_as(
                "SELECT id, code, external_id, siren, vat_number, currency, payment_terms_days, terms_end_of_month,
                        archived_at IS NOT NULL AS archived
                 FROM accounts ORDER BY id",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut index = Index {
            accounts: Vec::with_capacity(rows.len()),
            by_code: HashMap::new(),
            by_external: HashMap::new(),
            by_siren: HashMap::new(),
            by_vat: HashMap::new(),
        };
        for (i, r) in rows.into_iter().enumerate() {
            index.by_code.insert(r.code.to_lowercase(), i);
            if let Some(e) = r.external_id {
                index.by_external.insert(e.to_lowercase(), i);
            }
            if let Some(s) = r.siren {
                index.by_siren.insert(s, i);
            }
            if let Some(v) = r.vat_number {
                index.by_vat.insert(digits(&v).to_uppercase(), i);
            }
            index.accounts.push(Known {
                id: r.id,
                currency: crate::ledger::parse_currency(&r.currency)?,
                terms: PaymentTerms { days: r.payment_terms_days, end_of_month: r.terms_end_of_month },
                archived: r.archived,
            });
        }
        Ok(index)
    }

    /// The account a row names in its `account` cell (its index), or the
    /// row's problem: unknown, ambiguous, archived.
    fn account_of(&self, c: &Cells, problems: &mut Vec<RowProblem>) -> Option<usize> {
        match self.resolve(c.text("account")) {
            Ok(i) if self.accounts[i].archived => {
                problems.push(c.problem("account", Msg::AccountIsArchived));
                None
            }
            Ok(i) => Some(i),
            Err(msg) => {
                // An empty cell is the row parser's to report.
                if !c.text("account").is_empty() {
                    problems.push(c.problem("account", msg));
                }
                None
            }
        }
    }

    /// The account a cell names: by external id, code, SIREN or VAT number.
    fn resolve(&self, reference: &str) -> Result<usize, Msg> {
        let lower = reference.trim().to_lowercase();
        let found: HashSet<usize> = [
            self.by_external.get(&lower),
            self.by_code.get(&lower),
            self.by_siren.get(&digits(reference)),
            self.by_vat.get(&digits(reference).to_uppercase()),
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect();
        match found.len() {
            0 => Err(Msg::UnknownAccount),
            1 => Ok(*found.iter().next().unwrap_or(&0)),
            _ => Err(Msg::AmbiguousAccount),
        }
    }
}

/// Plans a file: the outcome (counts and problems) and, when it has no
/// problem, what to write.
pub(crate) async fn plan(
    state: &AppState,
    kind: ImportKind,
    table: &Table,
    mapping: &Mapping,
) -> AppResult<(Outcome, Plan)> {
    let missing = rules::missing(kind, mapping);
    if !missing.is_empty() {
        return Ok((outcome_of(table.rows.len(), missing, (0, 0, 0)), Plan::Accounts(Vec::new())));
    }
    let (mut problems, mut proposals) = (Vec::new(), Vec::new());
    let (counts, plan) = match kind {
        ImportKind::Accounts => accounts(state, table, mapping, &mut problems).await?,
        ImportKind::Invoices => invoices(state, table, mapping, &mut problems, &mut proposals).await?,
        ImportKind::Payments => payments(state, table, mapping, &mut problems).await?,
    };
    let mut outcome = outcome_of(table.rows.len(), problems, counts);
    outcome.proposals = proposals;
    Ok((outcome, plan))
}

fn cells<'a>(table: &'a Table, mapping: &'a Mapping) -> impl Iterator<Item = Cells<'a>> {
    table.rows.iter().enumerate().map(move |(i, cells)| Cells { row: i + 2, cells, mapping }).filter(|c| !c.is_blank())
}

type Counts = (usize, usize, usize);

/// An e-invoice row's account: its file's problem if it has one, else the
/// account of its buyer (by SIREN or VAT number), else the account to
/// create is proposed.
pub(super) fn einvoice_account(
    index: &Index,
    c: &Cells,
    problems: &mut Vec<RowProblem>,
    proposals: &mut Vec<ProposedAccount>,
) -> Option<usize> {
    let raw = |i: usize| c.cells.get(i).map(|s| s.trim()).unwrap_or("");
    let file = raw(einvoices::FILE);
    // Once per file, not once per line of its invoice.
    let mut report = |field: &str, msg, detail: String| {
        if !problems.iter().any(|p| p.msg == msg && p.detail == detail) {
            problems.push(RowProblem { row: c.row, field: field.into(), msg, detail });
        }
    };
    if !raw(einvoices::PROBLEM).is_empty() {
        report("file", Msg::EInvoiceRefused, format!("{file}: {}", raw(einvoices::PROBLEM)));
        return None;
    }
    let (siren, vat) = (raw(einvoices::BUYER_SIREN), raw(einvoices::BUYER_VAT));
    let found = [siren, vat].into_iter().filter(|r| !r.is_empty()).find_map(|r| index.resolve(r).ok());
    let Some(i) = found else {
        let buyer = raw(einvoices::BUYER);
        report("account", Msg::BuyerUnknown, format!("{file}: {buyer}"));
        if !proposals.iter().any(|p| p.name == buyer && p.siren == siren && p.vat_number == vat) {
            proposals.push(einvoices::proposal(buyer, siren, vat));
        }
        return None;
    };
    let known = &index.accounts[i];
    if known.archived {
        report("account", Msg::AccountIsArchived, file.to_string());
        return None;
    }
    if raw(einvoices::CURRENCY) != known.currency.code() {
        report("total", Msg::EInvoiceCurrency, format!("{file}: {}", raw(einvoices::CURRENCY)));
        return None;
    }
    Some(i)
}

async fn accounts(
    state: &AppState,
    table: &Table,
    mapping: &Mapping,
    problems: &mut Vec<RowProblem>,
) -> AppResult<(Counts, Plan)> {
    let index = Index::load(state).await?;
    let new_form = crate::accounts::ssr::new_form(state).await?;
    let (mut ops, mut unchanged) = (Vec::new(), 0);
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for c in cells(table, mapping) {
        // Matched by external id, then code, then SIREN, when the file has them.
        let matched = [("external_id", &index.by_external), ("code", &index.by_code)]
            .into_iter()
            .find_map(|(key, map)| c.get(key).filter(|v| !v.is_empty()).and_then(|v| map.get(&v.to_lowercase())))
            .or_else(|| c.get("siren").filter(|v| !v.is_empty()).and_then(|v| index.by_siren.get(&digits(v))))
            .map(|&i| index.accounts[i].id);
        let base = match matched {
            Some(id) => crate::accounts::ssr::stored_form(state, id).await?.0,
            None => new_form.clone(),
        };
        let form = rules::account_form(&c, &base);
        let data = match AccountData::try_from(form) {
            Ok(d) => d,
            Err(AppError::Validation(fields)) => {
                problems.extend(fields.into_iter().map(|(f, msg)| c.problem(&f, msg)));
                continue;
            }
            Err(e) => return Err(e),
        };
        // The same account twice in the file.
        let keys = [
            ("external_id", data.external_id.clone()),
            ("code", data.code.clone()),
            ("siren", data.siren.as_ref().map(|s| s.as_str().to_string())),
        ];
        let mut twice = false;
        for (field, value) in keys {
            if let Some(v) = value {
                if !seen.insert((field.to_string(), v.to_lowercase())) {
                    problems.push(c.problem(field, Msg::DuplicateInFile));
                    twice = true;
                }
            }
        }
        if twice {
            continue;
        }
        match matched {
            Some(_) if AccountData::try_from(base).ok().as_ref() == Some(&data) => unchanged += 1,
            Some(id) => ops.push(AccountOp::Update { row: c.row, id, data }),
            None => ops.push(AccountOp::Create { row: c.row, data }),
        }
    }
    let created = ops.iter().filter(|o| matches!(o, AccountOp::Create { .. })).count();
    let counts = (created, ops.len() - created, unchanged);
    Ok((counts, Plan::Accounts(ops)))
}

/// An invoice as its rows describe it.
struct Group {
    row: usize,
    account: usize,
    first: rules::InvoiceRow,
    lines: Vec<DraftLine>,
}

#[derive(sqlx::FromRow)]
struct Existing {
    number: String,
    account_id: i64,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    total_minor: i64,
}

/// Runs `sql` (with `{}` for the placeholders) for each chunk of `values`.
pub(super) async fn in_chunks<T>(state: &AppState, sql: &str, values: &[String]) -> AppResult<Vec<T>>
where
    T: Send
        + Unpin
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let mut out = Vec::new();
    for chunk in values.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let text = sql.replace("{}", &marks.join(", "));
        let rows: Vec<T> = with_db!(&state.db, |pool| {
            let mut q = sqlx::query_as(&text);
            for v in chunk {
                q = q.bind(v);
            }
            q.fetch_all(pool).await
        })?;
        out.extend(rows);
    }
    Ok(out)
}

async fn invoices(
    state: &AppState,
    table: &Table,
    mapping: &Mapping,
    problems: &mut Vec<RowProblem>,
    proposals: &mut Vec<ProposedAccount>,
) -> AppResult<(Counts, Plan)> {
    let index = Index::load(state).await?;
    let with_lines = mapping.contains_key("line_description");
    let from_einvoices = einvoices::is_einvoice_table(&table.headers);
    let mut groups: Vec<Group> = Vec::new();
    let mut by_number: HashMap<String, usize> = HashMap::new();
    let mut credit_rows = Vec::new();
    for c in cells(table, mapping) {
        if from_einvoices && einvoices::is_credit_row(c.cells) {
            credit_rows.push(c);
            continue;
        }
        let account = if from_einvoices {
            match einvoice_account(&index, &c, problems, proposals) {
                Some(a) => Some(a),
                None => continue,
            }
        } else {
            index.account_of(&c, problems)
        };
        let currency = account.map(|a| index.accounts[a].currency).unwrap_or(Currency::Eur);
        let Some(row) = rules::invoice_row(&c, currency, problems) else { continue };
        let Some(account_index) = account else { continue };
        match by_number.get(&row.number) {
            Some(&g) if with_lines => {
                let group = &mut groups[g];
                if group.account != account_index
                    || group.first.issue_date != row.issue_date
                    || (row.due_date.is_some() && group.first.due_date != row.due_date)
                {
                    problems.push(c.problem("number", Msg::InvoiceRowsDisagree));
                    continue;
                }
                group.lines.extend(row.line);
            }
            Some(_) => problems.push(c.problem("number", Msg::DuplicateInFile)),
            None => {
                by_number.insert(row.number.clone(), groups.len());
                let lines = row.line.clone().into_iter().collect();
                groups.push(Group { row: c.row, account: account_index, first: row, lines });
            }
        }
    }
    let numbers: Vec<String> = groups.iter().map(|g| g.first.number.clone()).collect();
    let existing: Vec<Existing> = in_chunks(
        state,
        "SELECT number, account_id, issue_date, due_date, total_minor FROM invoices WHERE number IN ({})",
        &numbers,
    )
    .await?;
    let existing: HashMap<String, Existing> = existing.into_iter().map(|e| (e.number.clone(), e)).collect();
    let (mut out, mut unchanged) = (Vec::new(), 0);
    for g in groups {
        let account = &index.accounts[g.account];
        let problem =
            |field: &str, msg| RowProblem { row: g.row, field: field.to_string(), msg, detail: String::new() };
        let r = &g.first;
        let mut line_totals = Vec::new();
        let (subtotal, tax, total) = if with_lines {
            let totals = compute(&g.lines).map_err(AppError::internal)?;
            if r.total.is_some_and(|t| t != totals.total_minor) {
                problems.push(problem("total", Msg::LinesTotalDisagree));
                continue;
            }
            line_totals = totals.lines;
            (totals.subtotal_minor, totals.tax_minor, totals.total_minor)
        } else {
            let total = r.total.unwrap_or(0);
            match (r.subtotal, r.tax) {
                (Some(s), Some(t)) => (s, t, total),
                (Some(s), None) if s <= total => (s, total - s, total),
                (None, Some(t)) if t <= total => (total - t, t, total),
                (None, None) => (total, 0, total),
                _ => {
                    problems.push(problem("total", Msg::TotalsDisagree));
                    continue;
                }
            }
        };
        let due_date = r.due_date.unwrap_or_else(|| account.terms.due_date(r.issue_date));
        if let Some(e) = existing.get(&r.number) {
            if e.account_id != account.id {
                problems.push(problem("number", Msg::InvoiceOfOtherAccount));
            } else if e.issue_date == r.issue_date && e.total_minor == total && e.due_date == due_date {
                unchanged += 1;
            } else {
                problems.push(problem("number", Msg::InvoiceDiffers));
            }
            continue;
        }
        out.push(NewInvoice {
            row: g.row,
            account_id: account.id,
            currency: account.currency,
            number: r.number.clone(),
            issue_date: r.issue_date,
            due_date,
            subtotal,
            tax,
            total,
            lines: g.lines.into_iter().zip(line_totals).collect(),
        });
    }
    let (credits, credits_unchanged) = credits::plan(state, &index, &credit_rows, &out, problems, proposals).await?;
    Ok(((out.len() + credits.len(), 0, unchanged + credits_unchanged), Plan::Invoices(out, credits)))
}

async fn payments(
    state: &AppState,
    table: &Table,
    mapping: &Mapping,
    problems: &mut Vec<RowProblem>,
) -> AppResult<(Counts, Plan)> {
    let index = Index::load(state).await?;
    let today = state.clock.today();
    let mut parsed: Vec<(i64, PaymentRow)> = Vec::new();
    for c in cells(table, mapping) {
        let account = index.account_of(&c, problems).map(|a| &index.accounts[a]);
        let currency = account.map(|a| a.currency).unwrap_or(Currency::Eur);
        if let (Some(row), Some(account)) = (rules::payment_row(&c, currency, today, problems), account) {
            parsed.push((account.id, row));
        }
    }
    let numbers: Vec<String> = parsed.iter().filter_map(|(_, p)| p.invoice.clone()).collect();
    let invoices: Vec<(i64, String, i64)> =
        in_chunks(state, "SELECT id, number, account_id FROM invoices WHERE number IN ({})", &numbers).await?;
    let invoices: HashMap<String, (i64, i64)> = invoices.into_iter().map(|(id, n, a)| (n, (id, a))).collect();
    let keys: Vec<String> = parsed.iter().map(|(a, p)| p.key(*a)).collect();
    let known: Vec<(String,)> =
        in_chunks(state, "SELECT idempotency_key FROM payments WHERE idempotency_key IN ({})", &keys).await?;
    let known: HashSet<String> = known.into_iter().map(|(k,)| k).collect();
    let (mut out, mut unchanged, mut seen) = (Vec::new(), 0, HashSet::new());
    for ((account_id, payment), key) in parsed.into_iter().zip(keys) {
        let problem =
            |field: &str, msg| RowProblem { row: payment.row, field: field.to_string(), msg, detail: String::new() };
        let invoice_id = match payment.invoice.as_deref().map(|n| invoices.get(n)) {
            None => None,
            Some(Some(&(id, a))) if a == account_id => Some(id),
            Some(Some(_)) => {
                problems.push(problem("invoice", Msg::InvoiceOfOtherAccount));
                continue;
            }
            Some(None) => {
                problems.push(problem("invoice", Msg::UnknownInvoice));
                continue;
            }
        };
        if !seen.insert(key.clone()) {
            problems.push(problem("reference", Msg::DuplicateInFile));
        } else if known.contains(&key) {
            unchanged += 1;
        } else {
            out.push(NewPayment { row: payment.row, account_id, payment, key, invoice_id });
        }
    }
    Ok(((out.len(), 0, unchanged), Plan::Payments(out)))
}
