//! What the audit log records: one enum of actions, written by the
//! features and read back by the account timeline, so a label cannot drift
//! from what was written (a new action without a label does not compile).
//! Stored as its dotted name (`promise.created`).

use crate::i18n::Msg;
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
    MerchantSettings => "merchant.settings", TlSettings;
    PaymentCreated => "payment.created", TlPaymentCreated;
    PaymentSucceeded => "payment.succeeded", TlPaymentSucceeded;
    PaymentFailed => "payment.failed", TlPaymentFailed;
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

#[cfg(test)]
mod tests {
    use super::*;

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
