//! The reminder calendar: what each plan will do in the next
//! `CALENDAR_DAYS` days, read as the engine would (the same account facts,
//! holds, steps and minimum; the send window in the account's time zone),
//! for one account or every account in the caller's scope. It says what
//! will happen if nothing changes; a payment, promise or dispute meanwhile
//! changes it, as it changes what the engine sends.

use super::engine::{self, AccountFacts, ACCOUNT_SQL};
use crate::auth::ssr::Principal;
use crate::domain::calendar::SendWindow;
use crate::domain::Money;
use crate::error::AppResult;
use crate::reminders::rules::{self, StepRule};
use crate::reminders::{Hold, PlannedReminder, CALENDAR_DAYS};
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use std::collections::BTreeMap;

/// At most this many planned reminders in one answer (the earliest).
const LIMIT: usize = 2000;

pub async fn calendar(
    state: &AppState,
    principal: &Principal,
    account_id: Option<i64>,
) -> AppResult<Vec<PlannedReminder>> {
    principal.require_staff()?;
    let scope = principal.scope();
    let (all, collector, acc) = scope.binds();
    let one = if account_id.is_some() { "AND a.id = $4" } else { "" };
    let sql = format!(
        "SELECT a.id, a.time_zone FROM accounts a
         WHERE {} {one} AND a.archived_at IS NULL AND NOT a.reminders_excluded
           AND (a.reminder_plan_id IS NOT NULL OR a.segment IN (SELECT segment FROM segment_reminder_plans))
           AND EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = a.id AND i.status = 'issued' AND i.balance_minor > 0)
         ORDER BY a.id",
        scope.sql()
    );
    let accounts: Vec<(i64, String)> = with_db!(&state.db, |pool| {
        let query = sqlx::query_as(&sql).bind(all).bind(collector).bind(acc);
        match account_id {
            Some(id) => query.bind(id).fetch_all(pool).await,
            None => query.fetch_all(pool).await,
        }
    })?;
    if let (Some(id), true) = (account_id, accounts.is_empty()) {
        // In scope but with nothing planned: an empty calendar; else 404.
        super::status::in_scope(state, principal, id).await?;
    }
    let window = super::window(state).await?;
    let now = state.clock.now();
    let mut planned = Vec::new();
    for (id, zone) in accounts {
        let local = now.with_timezone(&engine::time_zone(&zone)).naive_local();
        planned.extend(account(state, &window, id, local).await?);
    }
    planned.sort_by(|a, b| (a.day, &a.account_name, a.position).cmp(&(b.day, &b.account_name, b.position)));
    planned.truncate(LIMIT);
    Ok(planned)
}

/// An invoice a planned step covers: its number and what it owes.
type Covered = (String, i64);

/// The day a step due on `day` goes: the window's first slot on or after
/// it (for today, after the present hour).
fn send_day(window: &SendWindow, local: NaiveDateTime, day: NaiveDate) -> NaiveDate {
    let from = if day <= local.date() { local } else { day.and_time(NaiveTime::MIN) };
    window.next_slot(from).date()
}

async fn account(
    state: &AppState,
    window: &SendWindow,
    account_id: i64,
    local: NaiveDateTime,
) -> AppResult<Vec<PlannedReminder>> {
    let today = local.date();
    let until = today + Duration::days(CALENDAR_DAYS);
    // Read in one transaction, so the figures agree.
    let mut tx = state.db.begin().await?;
    let facts: AccountFacts =
        with_tx!(&mut tx, |c| sqlx::query_as(ACCOUNT_SQL).bind(account_id).fetch_one(&mut *c).await)?;
    // A pause ends: the steps due meanwhile go the day after (the latest).
    let (start, local) = match (facts.hold(today), facts.reminders_paused_until) {
        (None, _) => (today, local),
        (Some(Hold::Paused), Some(until)) => {
            let day = until + Duration::days(1);
            (day, day.and_time(NaiveTime::MIN))
        }
        _ => return Ok(Vec::new()),
    };
    let Some(plan_id) = facts.plan_id else { return Ok(Vec::new()) };
    let Some(min_amount) = engine::plan_minimum(&mut tx, plan_id).await? else { return Ok(Vec::new()) };
    let steps = engine::steps(&mut tx, plan_id).await?;
    let invoices = engine::open_invoices(&mut tx, account_id).await?;
    let autopay = engine::autopay_since(&mut tx, account_id).await?;
    tx.commit().await?;
    let currency = crate::ledger::parse_currency(&facts.currency)?;

    // (day, position) → the step and its invoices, as the engine groups them.
    let mut days: BTreeMap<(NaiveDate, i32), (StepRule, Vec<Covered>)> = BTreeMap::new();
    for invoice in &invoices {
        if invoice.hold(autopay, today).is_some() {
            continue;
        }
        let steps = rules::upcoming(&steps, invoice.due_date, &invoice.progress(), start, until, |day| {
            send_day(window, local, day)
        });
        for (step, day) in steps {
            let entry = days.entry((day, step.position)).or_insert((step, Vec::new()));
            entry.1.push((invoice.number.clone(), invoice.balance_minor));
        }
    }
    Ok(days
        .into_iter()
        .filter_map(|((day, position), (step, items))| {
            let total: i64 = items.iter().map(|(_, minor)| minor).sum();
            // Below the plan's minimum the step waits.
            (total >= min_amount).then(|| PlannedReminder {
                day,
                account_id,
                account_name: facts.legal_name.clone(),
                position,
                channel: step.channel,
                invoices: items.into_iter().map(|(number, _)| number).collect(),
                amount: Money::new(total, currency),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_goes_in_the_next_slot_of_the_window() {
        let window = SendWindow::default();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Friday 20 November 2026, 19:00: the window has closed; Monday.
        let friday_evening = d("2026-11-20").and_hms_opt(19, 0, 0).unwrap();
        assert_eq!(send_day(&window, friday_evening, d("2026-11-20")), d("2026-11-23"));
        assert_eq!(send_day(&window, friday_evening, d("2026-11-10")), d("2026-11-23"), "overdue: the next slot");
        // Friday 10:00: today.
        let friday_morning = d("2026-11-20").and_hms_opt(10, 0, 0).unwrap();
        assert_eq!(send_day(&window, friday_morning, d("2026-11-20")), d("2026-11-20"));
        // Christmas is a Friday: the Monday after.
        assert_eq!(send_day(&window, friday_morning, d("2026-12-25")), d("2026-12-28"));
    }
}
