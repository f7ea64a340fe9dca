//! Issuing: a draft (or a recurring template's occurrence) becomes an
//! invoice under the next number of its year, posted to the ledger and
//! frozen, in one transaction under the account's lock.

use super::drafts::{DraftRow, DRAFT_COLUMNS};
use super::{numbering, require_invoicer};
use crate::answer::Created;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::document::compute;
use crate::domain::{CustomerKind, Money};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoicing::rules::{issue_date, Series};
use crate::invoicing::{DocumentStatus, Parties, Party};
use crate::ledger::{self, Posting};
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{Datelike, NaiveDate};

#[derive(sqlx::FromRow)]
struct BuyerRow {
    legal_name: String,
    siren: Option<String>,
    siret: Option<String>,
    vat_number: Option<String>,
    address: String,
    postal_code: String,
    city: String,
    country: String,
    billing_email: String,
    billing_phone: String,
    kind: String,
}

/// What an invoice is made of, from a draft or a recurring template.
pub(crate) struct Document {
    pub issued_on: NaiveDate,
    /// Who issued it (`None`: the recurring job).
    pub actor: Option<i64>,
    pub lines: Vec<crate::domain::document::DraftLine>,
    /// `None`: from the account's terms.
    pub due_date: Option<NaiveDate>,
    pub early_discount_bp: Option<i32>,
    pub early_discount_days: Option<i32>,
    pub note: String,
    /// `recurring:{template}:{date}`: one invoice per occurrence, by a
    /// unique key.
    pub recurring_key: Option<String>,
}

/// The latest issue date in the invoice series of `year`.
pub(crate) async fn last_issued_on(tx: &mut crate::db::Tx, year: i32) -> AppResult<Option<NaiveDate>> {
    let last: Option<NaiveDate> = with_tx!(tx, |c| {
        sqlx::query_scalar("SELECT MAX(issue_date) FROM invoices WHERE number LIKE $1")
            .bind(format!("{}%", Series::Invoice.prefix(year)))
            .fetch_one(&mut *c)
            .await
    })?;
    Ok(last)
}

/// The parties as an invoice of this account prints them (frozen into
/// it as JSON): the merchant as seller, the account as buyer, today.
pub(crate) async fn parties_json(
    tx: &mut crate::db::Tx,
    merchant: &crate::settings::MerchantSettings,
    account_id: i64,
) -> AppResult<String> {
    let buyer: BuyerRow = with_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT legal_name, siren, siret, vat_number, address, postal_code, city, country, billing_email,
                    billing_phone, kind
             FROM accounts WHERE id = $1",
        )
        .bind(account_id)
        .fetch_one(&mut *c)
        .await
    })?;
    let parties = Parties {
        seller: Party {
            name: merchant.company_name.clone(),
            legal_id: merchant.legal_id.clone(),
            siren: Some(merchant.siren.clone()).filter(|s| !s.is_empty()),
            vat_number: Some(merchant.vat_number.clone()).filter(|s| !s.is_empty()),
            address: merchant.address.clone(),
            email: merchant.email.clone(),
            phone: merchant.phone.clone(),
            ..Default::default()
        },
        buyer: Party {
            name: buyer.legal_name,
            siren: buyer.siren,
            siret: buyer.siret,
            vat_number: buyer.vat_number,
            legal_id: String::new(),
            address: buyer.address,
            postal_code: buyer.postal_code,
            city: buyer.city,
            country: buyer.country,
            email: buyer.billing_email,
            phone: buyer.billing_phone,
        },
        buyer_kind: CustomerKind::parse(&buyer.kind).unwrap_or_default(),
    };
    serde_json::to_string(&parties).map_err(AppError::internal)
}

/// Writes the document's invoice under the account's lock: the next
/// number of the year, its lines, its parties as printed, its posting and
/// its audit entry. Answers its id and number.
pub(crate) async fn write_invoice(
    tx: &mut crate::db::Tx,
    state: &AppState,
    locked: &ledger::Locked,
    account: &crate::invoicing::BilledAccount,
    merchant: &crate::settings::MerchantSettings,
    doc: &Document,
) -> AppResult<(i64, String)> {
    let (issued_on, actor) = (doc.issued_on, doc.actor);
    let totals = compute(&doc.lines).map_err(AppError::internal)?;
    let due = doc.due_date.unwrap_or_else(|| account.terms.due_date(issued_on));
    if due < issued_on {
        return Err(AppError::field("due_date", Msg::DueBeforeIssue));
    }
    let number = numbering::next(tx, Series::Invoice, issued_on.year()).await?;
    let parties = parties_json(tx, merchant, account.id).await?;
    let now = state.clock.now();
    let invoice_id: i64 = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor,
                 total_minor, status, created_at, early_discount_bp, early_discount_days, note, parties, created_by,
                 recurring_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'issued', $9, $10, $11, $12, $13, $14, $15) RETURNING id",
        )
        .bind(account.id)
        .bind(&number)
        .bind(issued_on)
        .bind(due)
        .bind(account.currency.code())
        .bind(totals.subtotal_minor)
        .bind(totals.tax_minor)
        .bind(totals.total_minor)
        .bind(now)
        .bind(doc.early_discount_bp)
        .bind(doc.early_discount_days)
        .bind(&doc.note)
        .bind(&parties)
        .bind(actor)
        .bind(doc.recurring_key.as_deref())
        .fetch_one(&mut *c)
        .await
    })
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(Msg::NumberTaken),
        _ => AppError::from(e),
    })?;
    for (i, (line, t)) in doc.lines.iter().zip(&totals.lines).enumerate() {
        with_tx!(tx, |c| {
            sqlx::query(
                "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price_minor,
                     tax_rate_bp, net_minor, tax_minor, unit, discount_bp, vat_category)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(invoice_id)
            .bind(i as i32 + 1)
            .bind(&line.description)
            .bind(line.quantity_milli)
            .bind(line.unit_price_minor)
            .bind(line.vat.rate_bp())
            .bind(t.net_minor)
            .bind(t.tax_minor)
            .bind(&line.unit)
            .bind(line.discount_bp)
            .bind(line.vat.as_str())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
        })?;
    }
    ledger::post(tx, locked, Posting::Invoice { invoice_id }, &ledger::Ctx::new(state, actor)).await?;
    let details = AuditDetails::default()
        .amount(Money::new(totals.total_minor, account.currency))
        .date(due)
        .invoices([number.clone()]);
    let entry = Audit::new(actor, AuditAction::InvoiceIssued, ("invoice", Some(invoice_id)));
    audit(tx.into(), now, entry.account(Some(account.id)).details(details)).await?;
    Ok((invoice_id, number))
}

pub async fn issue(state: &AppState, principal: &Principal, draft_id: i64) -> AppResult<Created<DocumentStatus>> {
    // Read before the transaction (nothing takes the pool while holding it).
    let merchant = crate::settings::ssr::load(state).await?;
    let account_id: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT account_id FROM invoice_drafts WHERE id = $1")
            .bind(draft_id)
            .fetch_optional(pool)
            .await
    })?;
    // Gone: issued already (a second click) or deleted.
    let account_id = account_id.ok_or(AppError::Conflict(Msg::DraftGone))?;
    let account = require_invoicer((&state.db).into(), principal, account_id).await?;
    let today = state.clock.today();

    let mut tx = state.db.begin().await?;
    let locked = ledger::lock(&mut tx, account_id).await?;
    // Taking the draft out claims it: a second click (or a second owner)
    // finds nothing to issue.
    let sql = format!("DELETE FROM invoice_drafts WHERE id = $1 AND account_id = $2 RETURNING {DRAFT_COLUMNS}");
    let draft: Option<DraftRow> =
        with_tx!(&mut tx, |c| sqlx::query_as(&sql).bind(draft_id).bind(account_id).fetch_optional(&mut *c).await)?;
    let draft = draft.ok_or(AppError::Conflict(Msg::DraftGone))?;
    // The date decides the year, the year the series; the date may not
    // go before the series' last one.
    let last = last_issued_on(&mut tx, draft.issue_date.unwrap_or(today).year()).await?;
    let issued_on = issue_date(draft.issue_date, today, last)?;
    let doc = Document {
        issued_on,
        actor: Some(principal.user_id),
        lines: draft.lines()?,
        due_date: draft.due_date,
        early_discount_bp: draft.early_discount_bp,
        early_discount_days: draft.early_discount_days,
        note: draft.note.clone(),
        recurring_key: None,
    };
    let (invoice_id, _) = write_invoice(&mut tx, state, &locked, &account, &merchant, &doc).await?;
    tx.commit().await?;
    Ok(Created { id: invoice_id, status: DocumentStatus::Issued })
}
