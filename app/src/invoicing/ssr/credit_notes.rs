//! Writing a credit note, whoever issues it (staff on an invoice, the owner
//! approving a dispute, an imported e-invoice): the row, the VAT it takes
//! back per rate, and its posting through the ledger's one writer.

use crate::auth::ssr::Scope;
use crate::db::{Conn, Tx};
use crate::disputes::DisputeReason;
use crate::domain::credit;
use crate::domain::document::{VatBreakdown, VatCategory};
use crate::domain::{Currency, Money};
use crate::error::AppError;
use crate::error::AppResult;
use crate::invoices::ssr::parse_currency;
use crate::invoicing::CreditNoteDoc;
use crate::ledger::{self, Locked, Posting};
use crate::state::AppState;
use crate::{with_conn, with_db, with_tx};
use chrono::{DateTime, NaiveDate, Utc};

/// A credit note to write, numbered by the caller: the next of Relance's
/// own series, or an imported document's number.
pub struct NewCreditNote<'a> {
    pub number: &'a str,
    pub account_id: i64,
    pub invoice_id: i64,
    pub dispute_id: Option<i64>,
    /// Tax included, minor units; the caller checked it is creditable.
    pub amount: i64,
    pub currency: Currency,
    pub issued_on: NaiveDate,
    pub reason: &'a str,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub import_id: Option<i64>,
    /// The VAT taken back as the document states it (an imported one);
    /// `None`: shared out of what the invoice's groups may still give back.
    pub vat: Option<Vec<VatBreakdown>>,
}

/// Writes the credit note and posts it; answers its id. Runs under the
/// account's lock (`locked`), inside the caller's transaction.
pub async fn record(tx: &mut Tx, locked: &Locked, c: NewCreditNote<'_>, ctx: &ledger::Ctx) -> AppResult<i64> {
    let vat = match c.vat {
        Some(vat) => vat,
        None => {
            let invoice = invoice_vat(Conn::Tx(&mut *tx), c.invoice_id).await?;
            let earlier = credited_vat(Conn::Tx(&mut *tx), c.invoice_id).await?;
            // An invoice without lines has no groups: the credit note has
            // none either (its PDF shows the amount with tax only).
            credit::split(&credit::remaining(&invoice, &earlier), c.amount).unwrap_or_default()
        }
    };
    let id: i64 = with_tx!(tx, |conn| {
        sqlx::query_scalar(
            "INSERT INTO credit_notes (number, account_id, invoice_id, dispute_id, amount_minor, currency, issued_on,
                 created_by, created_at, reason, import_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(c.number)
        .bind(c.account_id)
        .bind(c.invoice_id)
        .bind(c.dispute_id)
        .bind(c.amount)
        .bind(c.currency.code())
        .bind(c.issued_on)
        .bind(c.created_by)
        .bind(c.created_at)
        .bind(c.reason)
        .bind(c.import_id)
        .fetch_one(&mut *conn)
        .await
    })?;
    for g in &vat {
        with_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO credit_note_vat (credit_note_id, vat_category, rate_bp, base_minor, tax_minor)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(g.category.as_str())
            .bind(g.rate_bp)
            .bind(g.base_minor)
            .bind(g.tax_minor)
            .execute(&mut *conn)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    let posting =
        Posting::CreditNote { credit_note_id: id, invoice_id: c.invoice_id, amount: c.amount, reference: c.number };
    ledger::post(tx, locked, posting, ctx).await?;
    Ok(id)
}

type GroupRow = (Option<String>, i32, i64, i64);

fn groups(rows: Vec<GroupRow>) -> Vec<VatBreakdown> {
    let mut out: Vec<VatBreakdown> = rows
        .into_iter()
        .filter_map(|(category, rate_bp, base_minor, tax_minor)| {
            // Lines written before categories existed: standard or zero by rate.
            let category = match category.as_deref().and_then(VatCategory::parse) {
                Some(c) => c,
                None => VatCategory::from_code_rate(if rate_bp == 0 { "Z" } else { "S" }, rate_bp)?,
            };
            Some(VatBreakdown { category, rate_bp, base_minor, tax_minor })
        })
        .collect();
    out.sort_by_key(|g| VatCategory::ALL.iter().position(|c| *c == g.category));
    out
}

/// An invoice's VAT groups, from its lines (none for one without lines).
pub async fn invoice_vat(db: Conn<'_>, invoice_id: i64) -> AppResult<Vec<VatBreakdown>> {
    let rows: Vec<GroupRow> = with_conn!(db, |c| {
        sqlx::query_as(
            "SELECT vat_category, CAST(tax_rate_bp AS INTEGER), CAST(SUM(net_minor) AS BIGINT), CAST(SUM(tax_minor) AS BIGINT)
             FROM invoice_lines WHERE invoice_id = $1 GROUP BY vat_category, tax_rate_bp",
        )
        .bind(invoice_id)
        .fetch_all(&mut *c)
        .await
    })?;
    Ok(groups(rows))
}

/// What the invoice's credit notes took back so far, per group.
async fn credited_vat(db: Conn<'_>, invoice_id: i64) -> AppResult<Vec<VatBreakdown>> {
    let rows: Vec<GroupRow> = with_conn!(db, |c| {
        sqlx::query_as(
            "SELECT v.vat_category, v.rate_bp, CAST(SUM(v.base_minor) AS BIGINT), CAST(SUM(v.tax_minor) AS BIGINT)
             FROM credit_note_vat v JOIN credit_notes n ON n.id = v.credit_note_id
             WHERE n.invoice_id = $1 GROUP BY v.vat_category, v.rate_bp",
        )
        .bind(invoice_id)
        .fetch_all(&mut *c)
        .await
    })?;
    Ok(groups(rows))
}

/// One credit note's VAT groups.
pub async fn credit_note_vat(db: Conn<'_>, credit_note_id: i64) -> AppResult<Vec<VatBreakdown>> {
    let rows: Vec<GroupRow> = with_conn!(db, |c| {
        sqlx::query_as(
            "SELECT vat_category, rate_bp, base_minor, tax_minor FROM credit_note_vat WHERE credit_note_id = $1",
        )
        .bind(credit_note_id)
        .fetch_all(&mut *c)
        .await
    })?;
    Ok(groups(rows))
}

#[derive(sqlx::FromRow)]
struct DocRow {
    number: String,
    issued_on: NaiveDate,
    amount_minor: i64,
    currency: String,
    legal_name: String,
    address: String,
    invoice_number: String,
    invoice_issue_date: NaiveDate,
    invoice_total: i64,
    parties: String,
    reason: Option<String>,
    decision_note: Option<String>,
    /// A staff credit note's own reason (no dispute).
    credit_reason: String,
}

/// A credit note as its PDF and e-invoice print it, within `scope` (the
/// same not-found for one outside it as for a missing one).
pub async fn document(state: &AppState, scope: Scope, id: i64) -> AppResult<CreditNoteDoc> {
    let (all, collector, acc) = scope.binds();
    let scope_sql = scope.sql();
    let sql = format!(
        "SELECT c.number, c.issued_on, c.amount_minor, c.currency, a.legal_name, a.address, i.number AS invoice_number,
                i.issue_date AS invoice_issue_date, i.total_minor AS invoice_total, i.parties, d.reason,
                d.decision_note, c.reason AS credit_reason
         FROM credit_notes c JOIN accounts a ON a.id = c.account_id JOIN invoices i ON i.id = c.invoice_id
         LEFT JOIN disputes d ON d.id = c.dispute_id
         WHERE {scope_sql} AND c.id = $4"
    );
    let row: Option<DocRow> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(id).fetch_optional(pool).await
    })?;
    let r = row.ok_or(AppError::NotFound)?;
    let currency = parse_currency(&r.currency)?;
    let parties = match r.parties.as_str() {
        "" => None,
        json => Some(serde_json::from_str(json).map_err(AppError::internal)?),
    };
    let dispute_reason = r.reason.as_deref().map(|s| DisputeReason::parse(s).unwrap_or(DisputeReason::Other));
    Ok(CreditNoteDoc {
        id,
        number: r.number,
        issued_on: r.issued_on,
        amount: Money::new(r.amount_minor, currency),
        account_name: r.legal_name,
        account_address: r.address,
        invoice_number: r.invoice_number,
        invoice_issue_date: r.invoice_issue_date,
        invoice_total: Money::new(r.invoice_total, currency),
        dispute_reason,
        note: r.decision_note.filter(|n| !n.is_empty()).unwrap_or(r.credit_reason),
        vat: credit_note_vat(Conn::Pool(&state.db), id).await?,
        parties,
    })
}
