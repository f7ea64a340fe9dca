//! The reference rates in force: the table shipped with Relance, then the
//! rows the owner added (each with its source), read in that order so an
//! owner's row wins over a shipped one of the same kind and date.

use super::super::rates::{RateView, ReferenceRates};
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::db::Conn;
use crate::domain::late_charges::{shipped_rates, RateRow};
use crate::domain::{RateKind, RateTable};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::state::AppState;
use crate::with_conn;
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// The table the late-charge formulas read.
pub async fn table(conn: Conn<'_>) -> AppResult<RateTable> {
    let mut rows = shipped_rates();
    rows.extend(added(conn).await?.into_iter().map(|(row, _)| row));
    Ok(RateTable::new(rows))
}

/// The owner's rows, in the order they were added, with who added them.
async fn added(conn: Conn<'_>) -> AppResult<Vec<(RateRow, String)>> {
    let stored: Vec<(String, NaiveDate, String, String, Option<String>)> = with_conn!(conn, |c| {
        sqlx::query_as(
            "SELECT r.kind, r.valid_from, r.percent, r.source, u.name FROM reference_rates r
             LEFT JOIN users u ON u.id = r.created_by ORDER BY r.id",
        )
        .fetch_all(&mut *c)
        .await
    })?;
    stored
        .into_iter()
        .map(|(kind, valid_from, percent, source, by)| {
            let unreadable = || AppError::internal(anyhow::anyhow!("reference rate {kind} {valid_from} unreadable"));
            let row = RateRow {
                kind: RateKind::parse(&kind).ok_or_else(unreadable)?,
                valid_from,
                percent: percent.parse().map_err(|_| unreadable())?,
                source,
            };
            Ok((row, by.unwrap_or_default()))
        })
        .collect()
}

/// Every row, newest first per kind, saying which is in force today.
pub async fn list(state: &AppState, principal: &Principal) -> AppResult<ReferenceRates> {
    principal.require_staff()?;
    let own = added((&state.db).into()).await?;
    let table = table((&state.db).into()).await?;
    let today = state.clock.today();
    let mut rows: Vec<RateView> = shipped_rates()
        .into_iter()
        .map(|row| (row, None))
        .chain(own.into_iter().map(|(row, by)| (row, Some(by))))
        .map(|(row, added_by)| RateView {
            kind: row.kind.as_str().to_string(),
            valid_from: row.valid_from,
            percent: row.percent.normalize().to_string(),
            in_force: table.in_force(row.kind, today) == Some(&row),
            source: row.source,
            added_by,
        })
        .collect();
    rows.sort_by(|a, b| a.kind.cmp(&b.kind).then(b.valid_from.cmp(&a.valid_from)));
    Ok(ReferenceRates { rows, can_add: principal.role == crate::domain::Role::Owner })
}

/// A published rate the shipped table lacks (the owner).
pub async fn add(
    state: &AppState,
    principal: &Principal,
    kind: &str,
    valid_from: &str,
    percent: &str,
    source: &str,
) -> AppResult<()> {
    principal.require_owner()?;
    let kind = RateKind::parse(kind).ok_or(AppError::field("kind", Msg::InvalidInput))?;
    let valid_from = NaiveDate::parse_from_str(valid_from.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field("valid_from", Msg::InvalidDate))?;
    if valid_from < NaiveDate::from_ymd_opt(1999, 1, 1).unwrap_or(valid_from) {
        return Err(AppError::field("valid_from", Msg::InvalidDate));
    }
    let percent: Decimal = percent
        .trim()
        .replace(',', ".")
        .trim_end_matches('%')
        .trim()
        .parse()
        .map_err(|_| AppError::field("percent", Msg::RatePercentInvalid))?;
    if percent < Decimal::from(-5) || percent > Decimal::from(100) || percent.scale() > 4 {
        return Err(AppError::field("percent", Msg::RatePercentInvalid));
    }
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 300 {
        return Err(AppError::field("source", Msg::RateSourceRequired));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let id: i64 = crate::with_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO reference_rates (kind, valid_from, percent, source, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(kind.as_str())
        .bind(valid_from)
        .bind(percent.normalize().to_string())
        .bind(source)
        .bind(principal.user_id)
        .bind(now)
        .fetch_one(&mut *c)
        .await
    })?;
    let details = AuditDetails::default().code(kind.as_str()).note(format!("{valid_from} {percent} % — {source}"));
    let entry = Audit::new(Some(principal.user_id), AuditAction::ReferenceRateAdded, ("reference_rate", Some(id)));
    audit((&mut tx).into(), now, entry.details(details)).await?;
    tx.commit().await?;
    Ok(())
}
