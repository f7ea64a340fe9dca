//! Legal deadlines in the database: an invoice's interruptions, recorded
//! by staff whose scope holds it (audited on the account's timeline), and
//! the queue of claims near prescription.

pub mod charges;
pub mod claim;
pub mod rates;

use super::*;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::late_charges::prescription_date;
use crate::domain::Note;
use crate::error::AppResult;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::Months;
use std::collections::HashMap;

/// At most this many claims in the queue (the nearest).
const LIMIT: usize = 500;

#[derive(sqlx::FromRow)]
struct InvoiceFacts {
    account_id: i64,
    number: String,
    issue_date: NaiveDate,
    due_date: NaiveDate,
    kind: String,
}

/// An issued invoice in the caller's scope (staff), else not found.
async fn invoice(state: &AppState, principal: &Principal, invoice_id: i64) -> AppResult<InvoiceFacts> {
    principal.require_staff()?;
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let sql = format!(
        "SELECT i.account_id, i.number, i.issue_date, i.due_date, a.kind
         FROM invoices i JOIN accounts a ON a.id = i.account_id
         WHERE {} AND i.id = $4 AND i.status = 'issued'",
        scope.sql()
    );
    let facts: Option<InvoiceFacts> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(invoice_id).fetch_optional(pool).await
    })?;
    facts.ok_or(AppError::NotFound)
}

pub async fn prescription(state: &AppState, principal: &Principal, invoice_id: i64) -> AppResult<Prescription> {
    let facts = invoice(state, principal, invoice_id).await?;
    let rows: Vec<(String, NaiveDate, String, Option<String>)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT p.kind, p.occurred_on, p.note, u.name FROM prescription_interruptions p
             LEFT JOIN users u ON u.id = p.created_by
             WHERE p.invoice_id = $1 ORDER BY p.occurred_on, p.id",
        )
        .bind(invoice_id)
        .fetch_all(pool)
        .await
    })?;
    let interruptions: Vec<InterruptionView> = rows
        .into_iter()
        .filter_map(|(kind, occurred_on, note, by)| {
            Some(InterruptionView {
                kind: InterruptionKind::parse(&kind)?,
                occurred_on,
                note,
                recorded_by: by.unwrap_or_default(),
            })
        })
        .collect();
    let customer = CustomerKind::parse(&facts.kind).unwrap_or_default();
    let dates: Vec<NaiveDate> = interruptions.iter().map(|i| i.occurred_on).collect();
    Ok(Prescription {
        invoice_id,
        number: facts.number,
        due_date: facts.due_date,
        customer,
        date: prescription_date(facts.due_date, customer, &dates),
        interruptions,
    })
}

/// Records an interruption: on a day from the invoice's issue to today.
pub async fn interrupt(
    state: &AppState,
    principal: &Principal,
    invoice_id: i64,
    kind: &str,
    occurred_on: &str,
    note: &str,
) -> AppResult<()> {
    let facts = invoice(state, principal, invoice_id).await?;
    let today = state.clock.today();
    let mut problems = Vec::new();
    let kind = InterruptionKind::parse(kind.trim());
    if kind.is_none() {
        problems.push(("kind".to_string(), Msg::RequiredField));
    }
    let day = match NaiveDate::parse_from_str(occurred_on.trim(), "%Y-%m-%d") {
        Ok(day) if day >= facts.issue_date && day <= today => Some(day),
        Ok(_) => {
            problems.push(("occurred_on".to_string(), Msg::InterruptionDateRange));
            None
        }
        Err(_) => {
            problems.push(("occurred_on".to_string(), Msg::InvalidDate));
            None
        }
    };
    let note = match Note::parse("note", note) {
        Ok(note) => Some(note),
        Err(AppError::Validation(mut fields)) => {
            problems.append(&mut fields);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(kind), Some(day), Some(note), true) = (kind, day, note, problems.is_empty()) else {
        return Err(AppError::Validation(problems));
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let id: i64 = with_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO prescription_interruptions (invoice_id, kind, occurred_on, note, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(invoice_id)
        .bind(kind.as_str())
        .bind(day)
        .bind(note.as_ref())
        .bind(principal.user_id)
        .bind(now)
        .fetch_one(&mut *c)
        .await
    })?;
    let details =
        AuditDetails::default().date(day).code(kind.as_str()).invoices([facts.number.clone()]).note(note.into_string());
    let entry =
        Audit::new(Some(principal.user_id), AuditAction::PrescriptionInterrupted, ("invoice", Some(invoice_id)));
    audit((&mut tx).into(), now, entry.account(Some(facts.account_id)).details(details)).await?;
    tx.commit().await?;
    tracing::info!(interruption = id, "prescription interrupted");
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Candidate {
    id: i64,
    number: String,
    account_id: i64,
    legal_name: String,
    kind: String,
    due_date: NaiveDate,
    balance_minor: i64,
    currency: String,
}

/// Open claims whose prescription falls within `WARNING_MONTHS`, or has
/// passed, in the caller's scope, the nearest first.
pub async fn at_risk(state: &AppState, principal: &Principal) -> AppResult<Vec<ClaimAtRisk>> {
    principal.require_staff()?;
    let today = state.clock.today();
    let horizon = today.checked_add_months(Months::new(WARNING_MONTHS)).unwrap_or(NaiveDate::MAX);
    // The shortest period (a consumer's two years) bounds the candidates:
    // an invoice due later is prescribed after the horizon, whatever
    // interrupted it (an interruption only pushes the date back).
    let cutoff = horizon.checked_sub_months(Months::new(24)).unwrap_or(NaiveDate::MIN);
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let open = format!(
        "FROM invoices i JOIN accounts a ON a.id = i.account_id
         WHERE {} AND i.status = 'issued' AND i.balance_minor > 0 AND i.due_date <= $4",
        scope.sql()
    );
    let sql = format!(
        "SELECT i.id, i.number, i.account_id, a.legal_name, a.kind, i.due_date, i.balance_minor, i.currency {open}"
    );
    let candidates: Vec<Candidate> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(cutoff).fetch_all(pool).await
    })?;
    let sql = format!(
        "SELECT p.invoice_id, p.occurred_on FROM prescription_interruptions p
         WHERE p.invoice_id IN (SELECT i.id {open})"
    );
    let rows: Vec<(i64, NaiveDate)> = with_db!(&state.db, |pool| {
        sqlx::query_as(&sql).bind(all).bind(collector).bind(acc).bind(cutoff).fetch_all(pool).await
    })?;
    let mut interrupted: HashMap<i64, Vec<NaiveDate>> = HashMap::new();
    for (invoice, day) in rows {
        interrupted.entry(invoice).or_default().push(day);
    }
    let mut claims = Vec::new();
    for c in candidates {
        let customer = CustomerKind::parse(&c.kind).unwrap_or_default();
        let dates = interrupted.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
        let prescription = prescription_date(c.due_date, customer, dates);
        if prescription > horizon {
            continue;
        }
        claims.push(ClaimAtRisk {
            invoice_id: c.id,
            number: c.number,
            account_id: c.account_id,
            account_name: c.legal_name,
            due_date: c.due_date,
            balance: Money::new(c.balance_minor, crate::ledger::parse_currency(&c.currency)?),
            prescription,
            days_left: (prescription - today).num_days(),
        });
    }
    claims.sort_by(|a, b| (a.prescription, &a.number).cmp(&(b.prescription, &b.number)));
    claims.truncate(LIMIT);
    Ok(claims)
}
