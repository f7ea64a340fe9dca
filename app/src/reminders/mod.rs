//! Reminders (relances): plans of ordered steps chase overdue invoices by
//! e-mail or leave calls and tasks for the collector, each step once per
//! invoice, inside the merchant's send window in the account's time, and
//! never while an invoice is promised, disputed or being paid.
//!
//! `rules` says which step is due (pure), `template` fills a step's
//! message, `ssr::engine` is the job (every instance runs it; the account's
//! lock and unique keys make it send once).

use crate::answer::Done;
use crate::domain::Money;
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use rules::Channel;
use serde::{Deserialize, Serialize};

pub mod approvals;
pub mod calendar;
pub mod pages;
pub mod plans;
pub mod preview;
pub mod rules;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod template;
pub mod texts;
pub mod todo;
pub mod window;

/// The step an invoice comes to next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    pub position: i32,
    pub channel: Channel,
    /// Its day (today when due now).
    pub day: NaiveDate,
    /// Due now: it goes at the next pass inside the send window, unless held.
    pub due_now: bool,
}

/// Where one open invoice stands in the account's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceReminder {
    pub invoice_id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    pub balance: Money,
    /// The position of the last step it reached.
    pub last_step: Option<i32>,
    pub next: Option<NextStep>,
    /// Why it is not chased, if it is not.
    pub hold: Option<Hold>,
}

/// A reminder the engine recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedReminder {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub position: i32,
    pub channel: Channel,
    /// `sent`, `task`, `awaiting_approval`, `cancelled`.
    pub status: String,
    /// Why its channel changed, if it did.
    pub reason: Option<Hold>,
    pub amount: Money,
    pub invoices: Vec<String>,
}

/// Why an account's next reminder will or will not go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderStatus {
    /// The plan that applies (the account's own, else its segment's).
    pub plan: Option<String>,
    /// The account's own plan, if it has one (else its segment's applies).
    pub own_plan_id: Option<i64>,
    /// Left out of reminders by the owner.
    pub excluded: bool,
    /// The active plans (id, name), for the owner to pick the account's own.
    pub plans: Vec<(i64, String)>,
    /// A hold on the whole account.
    pub hold: Option<Hold>,
    pub paused_until: Option<NaiveDate>,
    pub paused_reason: String,
    pub invoices: Vec<InvoiceReminder>,
    /// Newest first.
    pub recorded: Vec<RecordedReminder>,
}

crate::reads!(ReminderStatus);

/// How far ahead the calendar looks, in days.
pub const CALENDAR_DAYS: i64 = 30;

/// A reminder a plan will send (or leave as a task) on a day, for the
/// calendar: one per account, step and day, as the engine groups them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedReminder {
    pub day: NaiveDate,
    pub account_id: i64,
    pub account_name: String,
    pub position: i32,
    pub channel: Channel,
    pub invoices: Vec<String>,
    /// What the invoices owe today.
    pub amount: Money,
}

crate::reads!(PlannedReminder);

/// What the plans will do in the next `CALENDAR_DAYS` days, as things
/// stand (a payment, promise or dispute meanwhile changes it): for one
/// account, or for every account in the caller's scope.
#[server(endpoint = "reminders/calendar")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_reminder_calendar(
    #[server(default)] account_id: Option<i64>,
) -> Result<Vec<PlannedReminder>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::calendar::calendar(&state, &principal, account_id).await
    })
    .await
}

/// Why an account's next reminder will or will not go (staff in scope).
#[server(endpoint = "reminders/status")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn get_reminder_status(account_id: i64) -> Result<ReminderStatus, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::status::status(&state, &principal, account_id).await
    })
    .await
}

/// Pauses an account's reminders until a date, with a reason; an empty
/// date resumes them. The owner or the account's collector.
#[server(endpoint = "reminders/pause")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn pause_reminders(
    account_id: i64,
    #[server(default)] until: String,
    #[server(default)] reason: String,
) -> Result<Done<Option<NaiveDate>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let until = ssr::status::pause(&state, &principal, account_id, &until, &reason).await?;
        Ok(Done::new(until, format!("/back/accounts/{account_id}")))
    })
    .await
}

/// Why a reminder does not go, or did not go, for an invoice or account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hold {
    /// Covered by an active promise to pay.
    Promised,
    /// Under a dispute in progress.
    Disputed,
    /// A payment in flight will settle it.
    PaymentInFlight,
    /// Autopay will charge it (or is retrying).
    Autopay,
    /// Staff paused the account's reminders (until a date).
    Paused,
    /// The account is in insolvency proceedings.
    Insolvent,
    /// The account is excluded from reminders.
    Excluded,
    /// No plan applies to the account (none for its segment, none chosen).
    NoPlan,
    /// What is due is below the plan's minimum.
    BelowMinimum,
    /// No e-mail address or mobile number: the step became a letter on the
    /// collector's to-do.
    NoAddress,
    /// The number replied STOP to texts: the step became a letter.
    SmsStopped,
}

impl Hold {
    pub const ALL: [Hold; 11] = [
        Hold::Promised,
        Hold::Disputed,
        Hold::PaymentInFlight,
        Hold::Autopay,
        Hold::Paused,
        Hold::Insolvent,
        Hold::Excluded,
        Hold::NoPlan,
        Hold::BelowMinimum,
        Hold::NoAddress,
        Hold::SmsStopped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Hold::Promised => "promised",
            Hold::Disputed => "disputed",
            Hold::PaymentInFlight => "payment_in_flight",
            Hold::Autopay => "autopay",
            Hold::Paused => "paused",
            Hold::Insolvent => "insolvent",
            Hold::Excluded => "excluded",
            Hold::NoPlan => "no_plan",
            Hold::BelowMinimum => "below_minimum",
            Hold::NoAddress => "no_address",
            Hold::SmsStopped => "sms_stopped",
        }
    }

    pub fn parse(s: &str) -> Option<Hold> {
        Hold::ALL.into_iter().find(|h| h.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            Hold::Promised => Msg::HoldPromised,
            Hold::Disputed => Msg::HoldDisputed,
            Hold::PaymentInFlight => Msg::HoldPaymentInFlight,
            Hold::Autopay => Msg::HoldAutopay,
            Hold::Paused => Msg::HoldPaused,
            Hold::Insolvent => Msg::HoldInsolvent,
            Hold::Excluded => Msg::HoldExcluded,
            Hold::NoPlan => Msg::HoldNoPlan,
            Hold::BelowMinimum => Msg::HoldBelowMinimum,
            Hold::NoAddress => Msg::HoldNoAddress,
            Hold::SmsStopped => Msg::HoldSmsStopped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_round_trip() {
        for h in Hold::ALL {
            assert_eq!(Hold::parse(h.as_str()), Some(h));
        }
        assert_eq!(Hold::parse("late"), None);
    }
}
