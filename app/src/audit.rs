//! What the audit log records: one enum of actions, written by the
//! features and read back by the account timeline, so a label cannot drift
//! from what was written (a new action without a label does not compile).
//! Stored as its dotted name (`promise.created`).

use crate::domain::{Locale, Money};
use crate::i18n::Msg;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

macro_rules! actions {
    ($($variant:ident => $name:literal, $label:ident;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum AuditAction { $($variant,)* }

        impl AuditAction {
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)*];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $(AuditAction::$variant => $name,)* }
            }

            /// What it means, on the timeline.
            pub fn label(self) -> Msg {
                match self { $(AuditAction::$variant => Msg::$label,)* }
            }
        }
    };
}

actions! {
    AuthLogin => "auth.login", TlSignedIn;
    AuthLogout => "auth.logout", TlSignedOut;
    AuthPasswordChanged => "auth.password_changed", TlPasswordChanged;
    AuthPasswordSet => "auth.password_set", TlPasswordSet;
    AuthResetLink => "auth.reset_link", TlLinkSent;
    AuthInviteLink => "auth.invite_link", TlLinkSent;
    AuthAdminLink => "auth.admin_link", TlLinkSent;
    UserInvite => "user.invite", TlInvited;
    UserDeactivate => "user.deactivate", TlUserDeactivated;
    UserReactivate => "user.reactivate", TlUserReactivated;
    AccountAssignCollector => "account.assign_collector", TlAssigned;
    AccountCreated => "account.created", TlAccountCreated;
    AccountUpdated => "account.updated", TlAccountUpdated;
    AccountArchived => "account.archived", TlAccountArchived;
    AccountRestored => "account.restored", TlAccountRestored;
    InvoiceIssued => "invoice.issued", TlInvoiceIssued;
    CreditNoteIssued => "credit_note.issued", TlCreditNoteIssued;
    InvoiceWrittenOff => "invoice.written_off", TlWrittenOff;
    InvoiceSent => "invoice.sent", TlInvoiceSent;
    PrescriptionInterrupted => "invoice.prescription_interrupted", TlPrescriptionInterrupted;
    LateChargesApplied => "late_charges.applied", TlLateChargesApplied;
    ReferenceRateAdded => "reference_rate.added", TlReferenceRateAdded;
    MerchantSettings => "merchant.settings", TlSettings;
    ImportCompleted => "import.completed", TlImported;
    PaymentCreated => "payment.created", TlPaymentCreated;
    PaymentSucceeded => "payment.succeeded", TlPaymentSucceeded;
    PaymentFailed => "payment.failed", TlPaymentFailed;
    PaymentRecorded => "payment.recorded", TlPaymentRecorded;
    PaymentReversed => "payment.reversed", TlPaymentReversed;
    PaymentCanceled => "payment.canceled", TlPaymentFailed;
    PaymentDisputed => "payment.disputed", ChargeDisputed;
    RefundCreated => "refund.created", TlRefund;
    RefundSucceeded => "refund.succeeded", TlRefund;
    RefundFailed => "refund.failed", TlRefundFailed;
    PayLinkCreated => "paylink.created", TlPayLink;
    PayLinkRevoked => "paylink.revoked", TlPayLinkRevoked;
    MethodAdded => "payment_method.added", TlPaymentMethod;
    MethodDefault => "payment_method.default", TlPaymentMethod;
    MethodRemoved => "payment_method.removed", TlPaymentMethod;
    AutopayEnrolled => "autopay.enrolled", TlPaymentMethod;
    AutopayStopped => "autopay.stopped", TlPaymentMethod;
    RemindersPaused => "reminders.paused", TlRemindersPaused;
    RemindersResumed => "reminders.resumed", TlRemindersResumed;
    ReminderRecorded => "reminder.recorded", TlReminder;
    ReminderApproved => "reminder.approved", TlReminderApproved;
    ReminderRejected => "reminder.rejected", TlReminderRejected;
    ReminderPlanSaved => "reminder_plan.saved", TlReminderPlan;
    ReminderPlanArchived => "reminder_plan.archived", TlReminderPlan;
    ReminderPlanAssigned => "reminder_plan.assigned", TlReminderPlan;
    SendWindowChanged => "reminder_settings.window", TlSendWindow;
    TaskDone => "collection_task.done", TlTaskDone;
    PromiseCreated => "promise.created", TlPromiseCreated;
    PromiseCancelled => "promise.cancelled", TlPromiseCancelled;
    PromiseApproved => "promise.approved", TlPromiseApproved;
    PromiseRejected => "promise.rejected", TlPromiseRejected;
    PromiseKept => "promise.kept", TlPromiseKept;
    PromiseBroken => "promise.broken", TlPromiseBroken;
    DisputeOpened => "dispute.opened", TlDisputeOpened;
    DisputeMessage => "dispute.message", TlDisputeMessage;
    DisputeInfoRequested => "dispute.info_requested", TlDisputeInfo;
    DisputeProposed => "dispute.proposed", TlDisputeProposed;
    DisputeUnderReview => "dispute.under_review", EventUnderReview;
    DisputeApproved => "dispute.approved", TlDisputeApproved;
    DisputePartiallyApproved => "dispute.partially_approved", TlDisputePartly;
    DisputeRejected => "dispute.rejected", TlDisputeRejected;
    DisputeWithdrawn => "dispute.withdrawn", EventWithdrawn;
    DisputeClosed => "dispute.closed", EventClosed;
}

impl AuditAction {
    /// The action of a stored name; `None` for a name this version does
    /// not write (the timeline then shows the name itself).
    pub fn parse(name: &str) -> Option<AuditAction> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }
}

/// What an audit entry says beyond its action, as data (stored as JSON in
/// `audit_log.details`): the timeline formats it in the reader's language.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// Invoice numbers concerned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invoices: Vec<String>,
    /// A document's number or a label: credit note, payment method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// A machine code: a status reached, a dispute reason, a decline code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Someone's words: a reason, a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Anything else worth keeping (a settings snapshot), not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl AuditDetails {
    pub fn amount(mut self, amount: Money) -> Self {
        self.amount = Some(amount);
        self
    }

    pub fn date(mut self, date: NaiveDate) -> Self {
        self.date = Some(date);
        self
    }

    pub fn invoices(mut self, numbers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.invoices = numbers.into_iter().map(Into::into).collect();
        self
    }

    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Someone's words; empty words are left out.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        let note = note.into();
        self.note = (!note.is_empty()).then_some(note);
        self
    }

    pub fn data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// The stored details: JSON, or (rows written before it was JSON) the
    /// text itself as a note.
    pub fn from_stored(text: &str) -> AuditDetails {
        if text.is_empty() {
            return AuditDetails::default();
        }
        serde_json::from_str(text).unwrap_or_else(|_| AuditDetails::default().note(text))
    }

    /// One line for the timeline, in the reader's language.
    pub fn summary(&self, locale: Locale) -> String {
        let mut parts = Vec::new();
        if let Some(amount) = self.amount {
            parts.push(amount.format(locale));
        }
        if let Some(date) = self.date {
            parts.push(locale.format_date(date));
        }
        if !self.invoices.is_empty() {
            parts.push(self.invoices.join(", "));
        }
        parts.extend(self.reference.iter().chain(&self.code).cloned());
        if let Some(note) = &self.note {
            parts.push(format!("« {note} »"));
        }
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    #[test]
    fn details_are_stored_as_data_and_read_in_the_readers_language() {
        let d = AuditDetails::default()
            .amount(Money::new(120_050, Currency::Eur))
            .date("2026-12-15".parse().unwrap())
            .invoices(["F-1", "F-2"])
            .code("active")
            .note("");
        let stored = serde_json::to_string(&d).unwrap();
        assert!(!stored.contains("note"), "empty words are left out: {stored}");
        let back = AuditDetails::from_stored(&stored);
        assert_eq!(back, d);
        assert_eq!(back.summary(Locale::En), "€1,200.50 · Dec 15, 2026 · F-1, F-2 · active");
        assert_eq!(back.summary(Locale::Fr), "1\u{202f}200,50\u{a0}€ · 15\u{a0}déc.\u{a0}2026 · F-1, F-2 · active");
        // A row written before details were data keeps its text.
        assert_eq!(AuditDetails::from_stored("2026-12-15 300 active").summary(Locale::En), "« 2026-12-15 300 active »");
        assert_eq!(AuditDetails::from_stored(""), AuditDetails::default());
    }

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(*a));
            let (area, what) = a.as_str().split_once('.').expect("area.what");
            assert!(!area.is_empty() && !what.is_empty(), "{a:?}");
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("promise.made"), None);
    }
}
