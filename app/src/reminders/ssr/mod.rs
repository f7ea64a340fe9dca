//! Reminders in the database: the job (`engine`), why an account's next
//! reminder goes or not (`status`), and the merchant's send window.

pub mod approvals;
pub mod calendar;
pub mod dispatch;
pub mod engine;
pub mod letter;
pub mod links;
pub mod plans;
pub mod status;
pub mod todo;

use crate::domain::calendar::{HolidayCalendar, SendWindow};
use crate::error::AppResult;
use crate::state::AppState;
use crate::with_db;
use chrono::NaiveTime;

/// The merchant's send window; the default one (Monday to Friday, 9:00 to
/// 18:00, French public holidays) until it is set.
pub async fn window(state: &AppState) -> AppResult<SendWindow> {
    let row: Option<(String, String, String, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT days, start_time, end_time, calendar FROM reminder_settings WHERE id = 1")
            .fetch_optional(pool)
            .await
    })?;
    let Some((days, start, end, calendar)) = row else { return Ok(SendWindow::default()) };
    let mut allowed = [false; 7];
    for (slot, c) in allowed.iter_mut().zip(days.chars()) {
        *slot = c == 'Y';
    }
    let time = |s: &str| NaiveTime::parse_from_str(s, "%H:%M").ok();
    let calendar = HolidayCalendar::parse(&calendar).unwrap_or(HolidayCalendar::France);
    match (time(&start), time(&end)) {
        (Some(start), Some(end)) => Ok(SendWindow::new(allowed, start, end, calendar).unwrap_or_default()),
        _ => Ok(SendWindow::default()),
    }
}

/// Saves the send window (the owner), audited.
pub async fn save_window(
    state: &AppState,
    principal: &crate::auth::ssr::Principal,
    form: &super::window::WindowForm,
) -> AppResult<()> {
    use crate::domain::calendar::WindowError;
    use crate::error::AppError;
    use crate::i18n::Msg;
    principal.require_owner()?;
    let mut days = [false; 7];
    for d in &form.days {
        let i: usize = d.trim().parse().map_err(|_| AppError::field("form.days", Msg::InvalidInput))?;
        *days.get_mut(i).ok_or(AppError::field("form.days", Msg::InvalidInput))? = true;
    }
    let time = |s: &str, field| {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
            .map_err(|_| AppError::field(field, Msg::InvalidTime))
    };
    let (start, end) = (time(&form.start, "form.start")?, time(&form.end, "form.end")?);
    let calendar = HolidayCalendar::parse(&form.calendar).ok_or(AppError::field("form.calendar", Msg::InvalidInput))?;
    let window = SendWindow::new(days, start, end, calendar).map_err(|e| match e {
        WindowError::NoDay => AppError::field("form.days", Msg::SendWindowNoDay),
        WindowError::StartNotBeforeEnd => AppError::field("form.end", Msg::SendWindowEndBeforeStart),
    })?;
    let days: String = window.days.iter().map(|d| if *d { 'Y' } else { 'N' }).collect();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    crate::with_tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO reminder_settings (id, days, start_time, end_time, calendar, updated_at)
             VALUES (1, $1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET days = excluded.days, start_time = excluded.start_time,
                 end_time = excluded.end_time, calendar = excluded.calendar, updated_at = excluded.updated_at",
        )
        .bind(&days)
        .bind(window.start.format("%H:%M").to_string())
        .bind(window.end.format("%H:%M").to_string())
        .bind(window.calendar.as_str())
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    let details = crate::audit::AuditDetails::default().code(window.calendar.as_str()).note(format!(
        "{days} {}–{}",
        window.start.format("%H:%M"),
        window.end.format("%H:%M")
    ));
    let entry = crate::auth::ssr::Audit::new(
        Some(principal.user_id),
        crate::audit::AuditAction::SendWindowChanged,
        ("reminder_settings", Some(1)),
    );
    crate::auth::ssr::audit((&mut tx).into(), now, entry.details(details)).await?;
    tx.commit().await?;
    Ok(())
}
