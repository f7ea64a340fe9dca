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
