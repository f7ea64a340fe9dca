//! What a plan asks of one invoice on a given day, without the database:
//! which step is due (catching up after downtime by the latest due step,
//! never several in a row), and the steps that answer a broken promise.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Where a step's days are counted from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    /// The invoice's due date (a negative offset: before it).
    DueDate,
    /// The day the invoice reached the previous step (its due date for
    /// the first step).
    PreviousStep,
    /// The day a promise covering the invoice was broken.
    BrokenPromise,
}

impl Anchor {
    pub const ALL: [Anchor; 3] = [Anchor::DueDate, Anchor::PreviousStep, Anchor::BrokenPromise];

    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::DueDate => "due_date",
            Anchor::PreviousStep => "previous_step",
            Anchor::BrokenPromise => "broken_promise",
        }
    }

    pub fn parse(s: &str) -> Option<Anchor> {
        Anchor::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How a step reaches the client (or the collector).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Letter,
    FormalDemand,
    /// A call on the collector's to-do.
    Call,
    /// A manual task on the collector's to-do.
    Task,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Channel::Email, Channel::Sms, Channel::Letter, Channel::FormalDemand, Channel::Call, Channel::Task];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Letter => "letter",
            Channel::FormalDemand => "formal_demand",
            Channel::Call => "call",
            Channel::Task => "task",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn msg(self) -> crate::i18n::Msg {
        use crate::i18n::Msg;
        match self {
            Channel::Email => Msg::ChannelEmail,
            Channel::Sms => Msg::ChannelSms,
            Channel::Letter => Msg::ChannelLetter,
            Channel::FormalDemand => Msg::ChannelFormalDemand,
            Channel::Call => Msg::ChannelCall,
            Channel::Task => Msg::ChannelTask,
        }
    }
}

/// One step of a plan, as the engine reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepRule {
    pub id: i64,
    pub position: i32,
    pub anchor: Anchor,
    pub offset_days: i32,
    pub channel: Channel,
    pub needs_approval: bool,
    /// Reaching it posts the invoice's late charges to the ledger.
    pub late_charges: bool,
}

/// Where one invoice stands in its plan.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The position of the last step the invoice reached, and the day.
    pub last: Option<(i32, NaiveDate)>,
}

/// The day a sequence step falls on, given the day the previous one did.
fn day_of(step: &StepRule, due_date: NaiveDate, previous: NaiveDate) -> NaiveDate {
    let base = match step.anchor {
        Anchor::PreviousStep => previous,
        _ => due_date,
    };
    base + Duration::days(step.offset_days.into())
}

/// The sequence step due for an invoice on `today`, if any: of the steps
/// after the last one it reached (broken-promise steps aside), the latest
/// whose day has come. The days of steps not reached yet are projected
/// from the one before, so after downtime the invoice jumps to the latest
/// due step once instead of receiving every missed step in a row. Steps
/// before the due date are for invoices not yet due only.
pub fn due_step(steps: &[StepRule], due_date: NaiveDate, progress: &Progress, today: NaiveDate) -> Option<StepRule> {
    let mut sequence: Vec<&StepRule> = steps.iter().filter(|s| s.anchor != Anchor::BrokenPromise).collect();
    sequence.sort_by_key(|s| s.position);
    let (last_position, mut previous) = progress.last.unwrap_or((0, due_date));
    let mut due = None;
    for step in sequence.into_iter().filter(|s| s.position > last_position) {
        let day = day_of(step, due_date, previous);
        if day > today {
            break;
        }
        due = Some(*step);
        previous = day;
    }
    due
}

/// The day the next sequence step will fall on (for the calendar), if the
/// invoice has one left.
pub fn next_day(
    steps: &[StepRule],
    due_date: NaiveDate,
    progress: &Progress,
    today: NaiveDate,
) -> Option<(StepRule, NaiveDate)> {
    let mut sequence: Vec<&StepRule> = steps.iter().filter(|s| s.anchor != Anchor::BrokenPromise).collect();
    sequence.sort_by_key(|s| s.position);
    let (last_position, mut previous) = progress.last.unwrap_or((0, due_date));
    for step in sequence.into_iter().filter(|s| s.position > last_position) {
        let day = day_of(step, due_date, previous);
        if day > today {
            return Some((*step, day));
        }
        previous = day;
    }
    None
}

/// The sequence steps an invoice will reach from `today` to `until`, each
/// on the day it goes, for the calendar: a step already due goes today
/// (after downtime only the latest), every step on the first day
/// `send_day` allows (the send window's business day on or after it), and
/// a step counted from the previous one from the day that one went, as the
/// engine records it.
pub fn upcoming(
    steps: &[StepRule],
    due_date: NaiveDate,
    progress: &Progress,
    today: NaiveDate,
    until: NaiveDate,
    send_day: impl Fn(NaiveDate) -> NaiveDate,
) -> Vec<(StepRule, NaiveDate)> {
    let mut out = Vec::new();
    let mut progress = progress.clone();
    let mut from = today;
    // Each pass moves past one step at least: no more passes than steps.
    for _ in 0..steps.len() {
        let found = match due_step(steps, due_date, &progress, from) {
            Some(step) => Some((step, from)),
            None => next_day(steps, due_date, &progress, from),
        };
        let Some((step, day)) = found else { break };
        let day = send_day(day.max(today));
        if day > until {
            break;
        }
        out.push((step, day));
        progress.last = Some((step.position, day));
        from = day;
    }
    out
}

/// The broken-promise steps due on `today` for a promise broken on
/// `broken_on` (each answered once per promise: the caller knows which).
pub fn broken_promise_steps(steps: &[StepRule], broken_on: NaiveDate, today: NaiveDate) -> Vec<StepRule> {
    let mut due: Vec<StepRule> = steps
        .iter()
        .filter(|s| s.anchor == Anchor::BrokenPromise && broken_on + Duration::days(s.offset_days.into()) <= today)
        .copied()
        .collect();
    due.sort_by_key(|s| s.position);
    // As for the sequence: only the latest, once.
    due.pop().into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn step(id: i64, anchor: Anchor, offset_days: i32) -> StepRule {
        StepRule {
            id,
            position: id as i32,
            anchor,
            offset_days,
            channel: Channel::Email,
            needs_approval: false,
            late_charges: false,
        }
    }

    /// Before the due date, 7 days after it, then 10 days after that one.
    fn plan() -> Vec<StepRule> {
        vec![step(1, Anchor::DueDate, -3), step(2, Anchor::DueDate, 7), step(3, Anchor::PreviousStep, 10)]
    }

    #[test]
    fn each_step_on_its_day() {
        let due = d("2026-11-10");
        let none = Progress::default();
        assert_eq!(due_step(&plan(), due, &none, d("2026-11-06")), None);
        assert_eq!(due_step(&plan(), due, &none, d("2026-11-07")).map(|s| s.id), Some(1));
        let after_first = Progress { last: Some((1, d("2026-11-07"))) };
        assert_eq!(due_step(&plan(), due, &after_first, d("2026-11-16")), None);
        assert_eq!(due_step(&plan(), due, &after_first, d("2026-11-17")).map(|s| s.id), Some(2));
        // Ten days after the second step was actually reached (a day late).
        let after_second = Progress { last: Some((2, d("2026-11-18"))) };
        assert_eq!(due_step(&plan(), due, &after_second, d("2026-11-27")), None);
        assert_eq!(due_step(&plan(), due, &after_second, d("2026-11-28")).map(|s| s.id), Some(3));
        let done = Progress { last: Some((3, d("2026-11-28"))) };
        assert_eq!(due_step(&plan(), due, &done, d("2027-06-01")), None);
    }

    #[test]
    fn after_downtime_only_the_latest_due_step() {
        let due = d("2026-11-10");
        // Nothing sent, 30 days late: the third step (day 17 + 10 = 27)
        // is the one due, once; the first two are passed over.
        let got = due_step(&plan(), due, &Progress::default(), d("2026-12-10"));
        assert_eq!(got.map(|s| s.id), Some(3));
        // An invoice issued after its pre-due step's day starts at step 2.
        assert_eq!(due_step(&plan(), due, &Progress::default(), d("2026-11-20")).map(|s| s.id), Some(2));
    }

    #[test]
    fn the_calendar_sees_the_next_day() {
        let due = d("2026-11-10");
        let after_first = Progress { last: Some((1, d("2026-11-07"))) };
        assert_eq!(
            next_day(&plan(), due, &after_first, d("2026-11-08")).map(|(s, day)| (s.id, day)),
            Some((2, d("2026-11-17")))
        );
        let after_second = Progress { last: Some((2, d("2026-11-18"))) };
        assert_eq!(
            next_day(&plan(), due, &after_second, d("2026-11-20")).map(|(s, day)| (s.id, day)),
            Some((3, d("2026-11-28")))
        );
    }

    #[test]
    fn the_calendar_lists_each_step_on_the_day_it_goes() {
        let due = d("2026-11-10");
        let same = |day: NaiveDate| day;
        let days = |list: Vec<(StepRule, NaiveDate)>| list.into_iter().map(|(s, day)| (s.id, day)).collect::<Vec<_>>();
        let all = upcoming(&plan(), due, &Progress::default(), d("2026-11-01"), d("2026-11-30"), same);
        assert_eq!(days(all), [(1, d("2026-11-07")), (2, d("2026-11-17")), (3, d("2026-11-27"))]);
        // Saturday 7 November goes on Monday 9th; the third step counts
        // from the day the second went.
        let weekdays = |day: NaiveDate| {
            let mut day = day;
            while day.weekday().number_from_monday() > 5 {
                day = day.succ_opt().unwrap();
            }
            day
        };
        let shifted = upcoming(&plan(), due, &Progress::default(), d("2026-11-01"), d("2026-11-30"), weekdays);
        assert_eq!(days(shifted), [(1, d("2026-11-09")), (2, d("2026-11-17")), (3, d("2026-11-27"))]);
        // Within the range only.
        let first = upcoming(&plan(), due, &Progress::default(), d("2026-11-01"), d("2026-11-16"), same);
        assert_eq!(days(first), [(1, d("2026-11-07"))]);
        // Late: the latest due step today, then nothing left.
        let late = upcoming(&plan(), due, &Progress::default(), d("2026-12-10"), d("2027-01-10"), same);
        assert_eq!(days(late), [(3, d("2026-12-10"))]);
        // From where the invoice stands.
        let after_first = Progress { last: Some((1, d("2026-11-07"))) };
        let rest = upcoming(&plan(), due, &after_first, d("2026-11-08"), d("2026-12-31"), same);
        assert_eq!(days(rest), [(2, d("2026-11-17")), (3, d("2026-11-27"))]);
    }

    #[test]
    fn broken_promise_steps_answer_the_promise_not_the_sequence() {
        let mut steps = plan();
        steps.push(step(4, Anchor::BrokenPromise, 2));
        let due = d("2026-11-10");
        // The sequence ignores it.
        let done = Progress { last: Some((3, d("2026-11-28"))) };
        assert_eq!(due_step(&steps, due, &done, d("2027-01-01")), None);
        assert!(broken_promise_steps(&steps, d("2026-12-01"), d("2026-12-02")).is_empty());
        assert_eq!(
            broken_promise_steps(&steps, d("2026-12-01"), d("2026-12-03")).iter().map(|s| s.id).collect::<Vec<_>>(),
            [4]
        );
    }

    #[test]
    fn names_round_trip() {
        for a in Anchor::ALL {
            assert_eq!(Anchor::parse(a.as_str()), Some(a));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert_eq!(Channel::parse("fax"), None);
    }
}
