//! Drafts: saved, listed, deleted. A draft owes nothing and has no
//! number; its lines are kept as the form's JSON.

use super::require_invoicer;
use crate::answer::Created;
use crate::auth::ssr::Principal;
use crate::domain::document::{compute, DraftLine, VatCategory};
use crate::domain::Money;
use crate::error::{AppError, AppResult};
use crate::invoicing::rules::Draft;
use crate::invoicing::{DocumentStatus, DraftEditor, DraftForm, DraftSummary, LineForm};
use crate::state::AppState;
use crate::with_db;
use chrono::{DateTime, NaiveDate, Utc};

#[derive(sqlx::FromRow)]
pub(super) struct DraftRow {
    pub id: i64,
    pub account_id: i64,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub early_discount_bp: Option<i32>,
    pub early_discount_days: Option<i32>,
    pub note: String,
    pub lines: String,
    pub updated_at: DateTime<Utc>,
}

pub(super) const DRAFT_COLUMNS: &str =
    "id, account_id, issue_date, due_date, early_discount_bp, early_discount_days, note, lines, updated_at";

impl DraftRow {
    pub fn lines(&self) -> AppResult<Vec<DraftLine>> {
        serde_json::from_str(&self.lines).map_err(AppError::internal)
    }
}

async fn find(state: &AppState, id: i64) -> AppResult<DraftRow> {
    let sql = format!("SELECT {DRAFT_COLUMNS} FROM invoice_drafts WHERE id = $1");
    let row: Option<DraftRow> = with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(id).fetch_optional(pool).await)?;
    row.ok_or(AppError::NotFound)
}

/// The form of a saved draft, or of a new one for `account_id`.
pub async fn editor(
    state: &AppState,
    principal: &Principal,
    id: Option<i64>,
    account_id: Option<i64>,
) -> AppResult<DraftEditor> {
    let today = state.clock.today();
    let Some(id) = id else {
        let account_id = account_id.ok_or_else(|| AppError::field("account_id", crate::i18n::Msg::RequiredField))?;
        let account = require_invoicer((&state.db).into(), principal, account_id).await?;
        let first =
            LineForm { quantity: "1".into(), vat: VatCategory::Standard20.as_str().into(), ..Default::default() };
        let due_by_terms = account.terms.due_date(today);
        return Ok(DraftEditor {
            id: None,
            account,
            form: DraftForm { lines: vec![first], ..Default::default() },
            totals: None,
            due_by_terms,
        });
    };
    let row = find(state, id).await?;
    let account = require_invoicer((&state.db).into(), principal, row.account_id).await?;
    let lines = row.lines()?;
    let totals = compute(&lines).map_err(AppError::internal)?;
    let discount = row.early_discount_bp.zip(row.early_discount_days);
    let form = DraftForm {
        issue_date: row.issue_date.map(|d| d.to_string()).unwrap_or_default(),
        due_date: row.due_date.map(|d| d.to_string()).unwrap_or_default(),
        discount_percent: discount
            .map(|(bp, _)| rust_decimal::Decimal::new(i64::from(bp), 2).normalize().to_string())
            .unwrap_or_default(),
        discount_days: discount.map(|(_, days)| days.to_string()).unwrap_or_default(),
        note: row.note.clone(),
        lines: lines.iter().map(|l| LineForm::of(l, account.currency)).collect(),
    };
    let due_by_terms = account.terms.due_date(row.issue_date.unwrap_or(today));
    Ok(DraftEditor { id: Some(id), account, form, totals: Some(totals), due_by_terms })
}

pub async fn save(
    state: &AppState,
    principal: &Principal,
    id: Option<i64>,
    account_id: i64,
    form: DraftForm,
) -> AppResult<Created<DocumentStatus>> {
    let account = require_invoicer((&state.db).into(), principal, account_id).await?;
    let draft = Draft::try_from((form, account.currency))?;
    let lines = serde_json::to_string(&draft.lines).map_err(AppError::internal)?;
    let now = state.clock.now();
    let (bp, days) = match draft.discount {
        Some(d) => (Some(d.percent_bp), Some(d.days)),
        None => (None, None),
    };
    let id = match id {
        None => with_db!(&state.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO invoice_drafts (account_id, issue_date, due_date, early_discount_bp, early_discount_days,
                     note, lines, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(account_id)
            .bind(draft.issue_date)
            .bind(draft.due_date)
            .bind(bp)
            .bind(days)
            .bind(draft.note.as_ref())
            .bind(&lines)
            .bind(principal.user_id)
            .bind(now)
            .fetch_one(pool)
            .await
        })?,
        Some(id) => {
            // The draft must be this account's (and still a draft).
            let changed = with_db!(&state.db, |pool| {
                sqlx::query(
                    "UPDATE invoice_drafts SET issue_date = $1, due_date = $2, early_discount_bp = $3,
                         early_discount_days = $4, note = $5, lines = $6, updated_at = $7
                     WHERE id = $8 AND account_id = $9",
                )
                .bind(draft.issue_date)
                .bind(draft.due_date)
                .bind(bp)
                .bind(days)
                .bind(draft.note.as_ref())
                .bind(&lines)
                .bind(now)
                .bind(id)
                .bind(account_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
            })?;
            if changed == 0 {
                return Err(AppError::NotFound);
            }
            id
        }
    };
    Ok(Created { id, status: DocumentStatus::Draft })
}

/// Deletes a draft; answers its account.
pub async fn delete(state: &AppState, principal: &Principal, id: i64) -> AppResult<i64> {
    let row = find(state, id).await?;
    require_invoicer((&state.db).into(), principal, row.account_id).await?;
    with_db!(&state.db, |pool| {
        sqlx::query("DELETE FROM invoice_drafts WHERE id = $1").bind(id).execute(pool).await.map(|r| r.rows_affected())
    })?;
    Ok(row.account_id)
}

pub async fn list(state: &AppState, principal: &Principal, account_id: i64) -> AppResult<Vec<DraftSummary>> {
    let account = match require_invoicer((&state.db).into(), principal, account_id).await {
        // An archived account has no drafts to work on, but may list them.
        Err(AppError::Conflict(_)) => return Ok(Vec::new()),
        other => other?,
    };
    let sql = format!("SELECT {DRAFT_COLUMNS} FROM invoice_drafts WHERE account_id = $1 ORDER BY id DESC LIMIT 100");
    let rows: Vec<DraftRow> = with_db!(&state.db, |pool| sqlx::query_as(&sql).bind(account_id).fetch_all(pool).await)?;
    rows.into_iter()
        .map(|r| {
            let lines = r.lines()?;
            let totals = compute(&lines).map_err(AppError::internal)?;
            Ok(DraftSummary {
                id: r.id,
                lines: lines.len(),
                total: Money::new(totals.total_minor, account.currency),
                updated_at: r.updated_at,
            })
        })
        .collect()
}
