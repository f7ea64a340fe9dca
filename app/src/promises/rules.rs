//! The rules of a promise, without a database: what a promise form means
//! once parsed, which dates and amounts the policy allows, which status a
//! new promise takes, how a status may change and how a promise ends. The
//! `ssr` module applies them under the account's lock; they are unit-tested
//! here.

use super::PromiseStatus;
pub use crate::domain::Note;
use crate::domain::{Currency, Money};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::invoices::parse_invoice_ids;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

/// Who made the promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseSource {
    /// The client, in the portal.
    Portal,
    /// Staff, recording a promise made by phone.
    Staff,
}

impl PromiseSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PromiseSource::Portal => "portal",
            PromiseSource::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PromiseSource::Portal, PromiseSource::Staff].into_iter().find(|p| p.as_str() == s)
    }
}

/// The back-office's work queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseQueue {
    /// Active promises whose date is today: check the money came.
    DueToday,
    /// Broken promises: call the client.
    Broken,
    /// Promises beyond the policy's count, waiting for staff.
    Pending,
}

impl PromiseQueue {
    pub const ALL: [PromiseQueue; 3] = [PromiseQueue::DueToday, PromiseQueue::Broken, PromiseQueue::Pending];

    pub fn as_str(self) -> &'static str {
        match self {
            PromiseQueue::DueToday => "due_today",
            PromiseQueue::Broken => "broken",
            PromiseQueue::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// The owner's policy (merchant settings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// A promise may be at most this many days ahead.
    pub max_days: i64,
    /// Promises an invoice may receive (cancelled ones aside) before staff
    /// must approve the next one.
    pub max_per_invoice: i64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { max_days: 30, max_per_invoice: 2 }
    }
}

impl Policy {
    /// The last date a promise made today may name.
    pub fn latest_date(&self, today: NaiveDate) -> NaiveDate {
        today + Duration::days(self.max_days)
    }

    /// From today to the policy's horizon, both included.
    pub fn check_date(&self, date: NaiveDate, today: NaiveDate) -> AppResult<()> {
        if date < today || date > self.latest_date(today) {
            return Err(AppError::field("promised_date", Msg::PromiseDateOutOfRange));
        }
        Ok(())
    }

    /// The status of a new promise, given the most promises (cancelled ones
    /// aside) any of its invoices already received. A client beyond the
    /// count waits for staff; staff recording a promise decide it.
    pub fn status_for(&self, source: PromiseSource, most_earlier: i64) -> PromiseStatus {
        match source {
            PromiseSource::Portal if most_earlier >= self.max_per_invoice => PromiseStatus::PendingApproval,
            _ => PromiseStatus::Active,
        }
    }
}

/// What is promised: the amount asked for, or by default all that the
/// invoices owe; never nothing, never more than they owe.
pub fn promised_amount(asked: Option<Money>, owed: Money) -> AppResult<Money> {
    let amount = asked.unwrap_or(owed);
    if amount.currency != owed.currency || amount.minor <= 0 || amount.minor > owed.minor {
        return Err(AppError::field("amount", Msg::PromiseAmountInvalid));
    }
    Ok(amount)
}

impl PromiseStatus {
    /// The changes a promise may go through; every write checks it (and
    /// compares-and-sets the status it read).
    pub fn can_become(self, to: PromiseStatus) -> bool {
        use PromiseStatus::*;
        matches!((self, to), (PendingApproval, Active | Rejected | Cancelled) | (Active, Kept | Broken | Cancelled))
    }
}

/// How a promise ends, from the money received on its invoices since it was
/// made and what they still owe. `None`: it still runs.
pub fn outcome(amount: i64, received: i64, owed_now: i64, date: NaiveDate, today: NaiveDate) -> Option<PromiseStatus> {
    if received >= amount || (owed_now <= 0 && received > 0) {
        // Paid as promised, or paid all that was left after a credit note.
        Some(PromiseStatus::Kept)
    } else if owed_now <= 0 {
        // Nothing left to pay, and nothing paid: a credit note settled it.
        Some(PromiseStatus::Cancelled)
    } else if date < today {
        Some(PromiseStatus::Broken)
    } else {
        None
    }
}

/// The promise form as posted (the portal's and the back-office's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromiseForm {
    /// Comma-separated invoice ids.
    pub invoices: String,
    /// `YYYY-MM-DD`.
    pub promised_date: String,
    /// Major units; empty means all that the invoices owe.
    pub amount: String,
    pub note: String,
}

/// Who promises: the account (and its currency, which amounts are in),
/// where, and the user recording it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promisor {
    pub account_id: i64,
    pub currency: Currency,
    pub source: PromiseSource,
    pub actor: i64,
}

/// A promise as asked for, parsed: everything after works on this.
#[derive(Clone, Debug, PartialEq)]
pub struct NewPromise {
    pub account_id: i64,
    pub invoice_ids: Vec<i64>,
    pub date: NaiveDate,
    /// `None`: all that the invoices owe when it is recorded.
    pub amount: Option<Money>,
    pub note: Note,
    pub source: PromiseSource,
    pub actor: i64,
}

impl TryFrom<(PromiseForm, Promisor)> for NewPromise {
    type Error = AppError;

    /// Every field's error at once, so the form shows them together.
    fn try_from((form, who): (PromiseForm, Promisor)) -> AppResult<NewPromise> {
        let mut errors = Vec::new();
        let mut field = |r: AppResult<()>| {
            if let Err(AppError::Validation(fields)) = r {
                errors.extend(fields);
            }
        };
        let invoice_ids = parse_invoice_ids(&form.invoices);
        let date = NaiveDate::parse_from_str(form.promised_date.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::field("promised_date", Msg::PromiseDateInvalid));
        let amount = match form.amount.trim() {
            "" => Ok(None),
            typed => Money::parse_major(typed, who.currency)
                .map(Some)
                .map_err(|_| AppError::field("amount", Msg::InvalidAmount)),
        };
        let note = Note::parse("note", &form.note);
        field(invoice_ids.as_ref().map(|_| ()).map_err(Clone::clone));
        field(date.as_ref().map(|_| ()).map_err(Clone::clone));
        field(amount.as_ref().map(|_| ()).map_err(Clone::clone));
        field(note.as_ref().map(|_| ()).map_err(Clone::clone));
        match (invoice_ids, date, amount, note) {
            (Ok(invoice_ids), Ok(date), Ok(amount), Ok(note)) => Ok(NewPromise {
                account_id: who.account_id,
                invoice_ids,
                date,
                amount,
                note,
                source: who.source,
                actor: who.actor,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// A staff decision on a pending promise: approve, or reject with a reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub approve: bool,
    pub reason: Note,
}

impl Decision {
    pub fn parse(approve: bool, reason: &str) -> AppResult<Decision> {
        let reason = Note::parse("reason", reason)?;
        if !approve && reason.is_empty() {
            return Err(AppError::field("reason", Msg::RequiredField));
        }
        Ok(Decision { approve, reason })
    }

    pub fn status(&self) -> PromiseStatus {
        if self.approve {
            PromiseStatus::Active
        } else {
            PromiseStatus::Rejected
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUR: Currency = Currency::Eur;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn who() -> Promisor {
        Promisor { account_id: 7, currency: EUR, source: PromiseSource::Portal, actor: 3 }
    }

    fn form(invoices: &str, date: &str, amount: &str, note: &str) -> PromiseForm {
        PromiseForm { invoices: invoices.into(), promised_date: date.into(), amount: amount.into(), note: note.into() }
    }

    fn fields(err: AppError) -> Vec<(String, Msg)> {
        match err {
            AppError::Validation(f) => f,
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_form_parses_into_a_promise() {
        let p = NewPromise::try_from((form("4, 2,4", " 2026-12-10 ", "120,50", "  by transfer "), who())).unwrap();
        assert_eq!(p.invoice_ids, vec![4, 2]);
        assert_eq!(p.date, d("2026-12-10"));
        assert_eq!(p.amount, Some(Money::new(12050, EUR)));
        assert_eq!(p.note.as_ref(), "by transfer");
        assert_eq!((p.account_id, p.source, p.actor), (7, PromiseSource::Portal, 3));
        let all = NewPromise::try_from((form("1", "2026-12-10", "", ""), who())).unwrap();
        assert_eq!(all.amount, None, "an empty amount means all that is owed");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let err = NewPromise::try_from((form("x", "10/12/2026", "douze", &"n".repeat(1001)), who())).unwrap_err();
        assert_eq!(
            fields(err),
            vec![
                ("invoices".to_string(), Msg::SelectInvoices),
                ("promised_date".to_string(), Msg::PromiseDateInvalid),
                ("amount".to_string(), Msg::InvalidAmount),
                ("note".to_string(), Msg::TooLong),
            ]
        );
    }

    #[test]
    fn dates_run_from_today_to_the_horizon() {
        let policy = Policy { max_days: 30, max_per_invoice: 2 };
        let today = d("2026-12-02");
        assert_eq!(policy.latest_date(today), d("2027-01-01"));
        assert!(policy.check_date(today, today).is_ok());
        assert!(policy.check_date(d("2027-01-01"), today).is_ok());
        for bad in ["2026-12-01", "2027-01-02"] {
            assert_eq!(
                fields(policy.check_date(d(bad), today).unwrap_err()),
                vec![("promised_date".into(), Msg::PromiseDateOutOfRange)],
                "{bad}"
            );
        }
    }

    #[test]
    fn amounts_are_positive_and_capped_at_what_is_owed() {
        let owed = Money::new(30000, EUR);
        assert_eq!(promised_amount(None, owed).unwrap(), owed);
        assert_eq!(promised_amount(Some(Money::new(1, EUR)), owed).unwrap().minor, 1);
        assert_eq!(promised_amount(Some(owed), owed).unwrap(), owed);
        for bad in [Money::new(0, EUR), Money::new(-1, EUR), Money::new(30001, EUR), Money::new(100, Currency::Usd)] {
            assert!(promised_amount(Some(bad), owed).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_client_past_the_count_waits_for_staff_staff_do_not() {
        let policy = Policy { max_days: 30, max_per_invoice: 2 };
        assert_eq!(policy.status_for(PromiseSource::Portal, 0), PromiseStatus::Active);
        assert_eq!(policy.status_for(PromiseSource::Portal, 1), PromiseStatus::Active);
        assert_eq!(policy.status_for(PromiseSource::Portal, 2), PromiseStatus::PendingApproval);
        assert_eq!(policy.status_for(PromiseSource::Staff, 5), PromiseStatus::Active);
    }

    #[test]
    fn statuses_move_only_forward() {
        use PromiseStatus::*;
        let allowed = [
            (PendingApproval, Active),
            (PendingApproval, Rejected),
            (PendingApproval, Cancelled),
            (Active, Kept),
            (Active, Broken),
            (Active, Cancelled),
        ];
        for from in PromiseStatus::ALL {
            for to in PromiseStatus::ALL {
                assert_eq!(from.can_become(to), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
        for s in PromiseStatus::ALL {
            assert_eq!(s.cancellable(), s.can_become(Cancelled), "{s:?}");
        }
    }

    #[test]
    fn a_promise_ends_kept_broken_or_cancelled() {
        let (date, today) = (d("2026-12-10"), d("2026-12-02"));
        assert_eq!(outcome(100, 0, 100, date, today), None);
        assert_eq!(outcome(100, 100, 0, date, today), Some(PromiseStatus::Kept), "paid before its date");
        assert_eq!(outcome(100, 40, 0, date, today), Some(PromiseStatus::Kept), "paid what a credit note left");
        assert_eq!(outcome(100, 0, 0, date, today), Some(PromiseStatus::Cancelled), "settled by credit alone");
        assert_eq!(outcome(100, 40, 60, date, d("2026-12-10")), None, "its date is today: still runs");
        assert_eq!(outcome(100, 40, 60, date, d("2026-12-11")), Some(PromiseStatus::Broken));
    }

    #[test]
    fn a_rejection_says_why() {
        assert_eq!(Decision::parse(true, "").unwrap().status(), PromiseStatus::Active);
        assert_eq!(fields(Decision::parse(false, " ").unwrap_err()), vec![("reason".into(), Msg::RequiredField)]);
        assert_eq!(Decision::parse(false, "no").unwrap().status(), PromiseStatus::Rejected);
    }

    #[test]
    fn names_round_trip() {
        for q in PromiseQueue::ALL {
            assert_eq!(PromiseQueue::parse(q.as_str()), Some(q));
        }
        assert_eq!(PromiseQueue::parse("everything"), None);
        for s in [PromiseSource::Portal, PromiseSource::Staff] {
            assert_eq!(PromiseSource::parse(s.as_str()), Some(s));
        }
    }
}
