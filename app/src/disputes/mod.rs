//! Disputes: a client contests an invoice (the whole of it, some lines or
//! an amount) with a reason, a message and files; a thread between the
//! client and staff follows; collectors comment, ask for information and
//! propose a resolution; only an owner approves (in full or in part, which
//! issues a credit note) or rejects. States: open → under review →
//! approved / partially approved / rejected → closed.
//!
//! - While a dispute is open or under review its amount is out of
//!   collection and of the overdue figures, and shown apart as *disputed*
//!   (`ssr::DISPUTED_SQL`, beside `promises::ssr::PROMISED_SQL`).
//! - Attachments are judged by their content (`attachments::check`) and kept
//!   in the database (`dispute_files`, by SHA-256), outside any web root;
//!   they are served only by `GET /disputes/attachments/{id}`, which checks
//!   the caller's scope. Credit notes have their PDF at
//!   `GET /credit-notes/{id}/pdf`.
//! - Every step is one transaction with its audit entry (the account's
//!   timeline) and an e-mail to the other side through the outbox.
//! - The two forms that carry files are multipart server functions
//!   (`disputes/open`, `disputes/post`); they work without wasm too.

use crate::answer::{Created, Done};
use crate::domain::Money;
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use server_fn::codec::{MultipartData, MultipartFormData};

pub mod attachments;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

/// Server functions whose body is `multipart/form-data`; anything else sent
/// to them is refused before it reaches the decoder (see the server's
/// middleware).
pub const MULTIPART_ENDPOINTS: [&str; 2] = ["/api/disputes/open", "/api/disputes/post"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    Open,
    UnderReview,
    Approved,
    PartiallyApproved,
    Rejected,
    Closed,
}

impl DisputeStatus {
    /// What the audit log records when a dispute reaches this status.
    pub fn audit_action(self) -> crate::audit::AuditAction {
        use crate::audit::AuditAction::*;
        match self {
            DisputeStatus::Open => DisputeOpened,
            DisputeStatus::UnderReview => DisputeUnderReview,
            DisputeStatus::Approved => DisputeApproved,
            DisputeStatus::PartiallyApproved => DisputePartiallyApproved,
            DisputeStatus::Rejected => DisputeRejected,
            DisputeStatus::Closed => DisputeClosed,
        }
    }
}

impl DisputeStatus {
    pub const ALL: [DisputeStatus; 6] = [
        DisputeStatus::Open,
        DisputeStatus::UnderReview,
        DisputeStatus::Approved,
        DisputeStatus::PartiallyApproved,
        DisputeStatus::Rejected,
        DisputeStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::Open => "open",
            DisputeStatus::UnderReview => "under_review",
            DisputeStatus::Approved => "approved",
            DisputeStatus::PartiallyApproved => "partially_approved",
            DisputeStatus::Rejected => "rejected",
            DisputeStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            DisputeStatus::Open => Msg::DisputeOpen,
            DisputeStatus::UnderReview => Msg::DisputeUnderReview,
            DisputeStatus::Approved => Msg::DisputeApproved,
            DisputeStatus::PartiallyApproved => Msg::DisputePartiallyApproved,
            DisputeStatus::Rejected => Msg::DisputeRejected,
            DisputeStatus::Closed => Msg::DisputeClosed,
        }
    }

    /// Awaiting the owner's decision; its amount is out of collection.
    pub fn in_progress(self) -> bool {
        matches!(self, DisputeStatus::Open | DisputeStatus::UnderReview)
    }

    pub fn decided(self) -> bool {
        matches!(self, DisputeStatus::Approved | DisputeStatus::PartiallyApproved | DisputeStatus::Rejected)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeReason {
    NotReceived,
    Damaged,
    WrongAmount,
    AlreadyPaid,
    NotOrdered,
    Other,
}

impl DisputeReason {
    pub const ALL: [DisputeReason; 6] = [
        DisputeReason::NotReceived,
        DisputeReason::Damaged,
        DisputeReason::WrongAmount,
        DisputeReason::AlreadyPaid,
        DisputeReason::NotOrdered,
        DisputeReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DisputeReason::NotReceived => "not_received",
            DisputeReason::Damaged => "damaged",
            DisputeReason::WrongAmount => "wrong_amount",
            DisputeReason::AlreadyPaid => "already_paid",
            DisputeReason::NotOrdered => "not_ordered",
            DisputeReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            DisputeReason::NotReceived => Msg::ReasonNotReceived,
            DisputeReason::Damaged => Msg::ReasonDamaged,
            DisputeReason::WrongAmount => Msg::ReasonWrongAmount,
            DisputeReason::AlreadyPaid => Msg::ReasonAlreadyPaid,
            DisputeReason::NotOrdered => Msg::ReasonNotOrdered,
            DisputeReason::Other => Msg::ReasonOther,
        }
    }
}

/// A message of the thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    Message,
    /// Staff ask the client for something (a photo, a delivery note…).
    InfoRequest,
    /// A collector's proposed resolution, for the owner; staff only.
    Proposal,
    Decision,
    /// A change of state (under review, closed).
    Status,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Message => "message",
            MessageKind::InfoRequest => "info_request",
            MessageKind::Proposal => "proposal",
            MessageKind::Decision => "decision",
            MessageKind::Status => "status",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            MessageKind::Message,
            MessageKind::InfoRequest,
            MessageKind::Proposal,
            MessageKind::Decision,
            MessageKind::Status,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachmentRef {
    pub id: i64,
    pub file_name: String,
    pub size_bytes: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadMessage {
    pub id: i64,
    pub kind: MessageKind,
    pub author_name: String,
    pub author_is_staff: bool,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeSummary {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub invoice_id: i64,
    pub invoice_number: String,
    pub reason: DisputeReason,
    pub amount: Money,
    pub status: DisputeStatus,
    pub approved: Money,
    pub proposed: Option<Money>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whole days since it was opened.
    pub age_days: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditNoteRef {
    pub id: i64,
    pub number: String,
    pub amount: Money,
    pub issued_on: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputedLine {
    pub line_no: i64,
    pub description: String,
    pub gross: Money,
}

/// One dispute as its reader may see it, with what the reader may do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeDetail {
    pub summary: DisputeSummary,
    /// `invoice`, `lines` or `amount`.
    pub scope: String,
    pub lines: Vec<DisputedLine>,
    pub decision_note: String,
    pub credit_note: Option<CreditNoteRef>,
    pub messages: Vec<ThreadMessage>,
    pub can_post: bool,
    /// Ask for information and propose a resolution (owner or collector).
    pub can_review: bool,
    pub can_decide: bool,
    pub can_close: bool,
}

/// The back-office's tabs over disputes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeQueue {
    /// Open or under review: staff's work (their default).
    InProgress,
    Open,
    UnderReview,
    Decided,
    Closed,
    /// Every dispute (a client's default).
    All,
}

impl DisputeQueue {
    pub const ALL: [DisputeQueue; 6] = [
        DisputeQueue::InProgress,
        DisputeQueue::Open,
        DisputeQueue::UnderReview,
        DisputeQueue::Decided,
        DisputeQueue::Closed,
        DisputeQueue::All,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DisputeQueue::InProgress => "in_progress",
            DisputeQueue::Open => "open",
            DisputeQueue::UnderReview => "under_review",
            DisputeQueue::Decided => "decided",
            DisputeQueue::Closed => "closed",
            DisputeQueue::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            DisputeQueue::InProgress => Msg::QueueInProgress,
            DisputeQueue::Open => Msg::DisputeOpen,
            DisputeQueue::UnderReview => Msg::DisputeUnderReview,
            DisputeQueue::Decided => Msg::QueueDecided,
            DisputeQueue::Closed => Msg::DisputeClosed,
            DisputeQueue::All => Msg::QueueAllDisputes,
        }
    }

    /// The statuses it holds.
    pub fn holds(self, status: DisputeStatus) -> bool {
        use DisputeStatus::*;
        match self {
            DisputeQueue::InProgress => matches!(status, Open | UnderReview),
            DisputeQueue::Open => status == Open,
            DisputeQueue::UnderReview => status == UnderReview,
            DisputeQueue::Decided => matches!(status, Approved | PartiallyApproved | Rejected),
            DisputeQueue::Closed => status == Closed,
            DisputeQueue::All => true,
        }
    }

    /// Disputes still waiting are listed oldest first (their age is the
    /// point); the others newest first.
    pub fn waiting(self) -> bool {
        matches!(self, DisputeQueue::InProgress | DisputeQueue::Open | DisputeQueue::UnderReview)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DisputeQuery {
    /// Staff default to `in_progress`, clients to `all`.
    pub queue: Option<DisputeQueue>,
    pub account_id: Option<i64>,
    pub invoice_id: Option<i64>,
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DisputeListing {
    pub items: Vec<DisputeSummary>,
    /// Disputes per queue, for the tabs.
    pub counts: Vec<(DisputeQueue, i64)>,
    pub page: i64,
    pub page_count: i64,
}

pub const DISPUTES_PAGE_SIZE: i64 = 50;

crate::reads!(DisputeListing, DisputeDetail);

/// What a dispute write answers: the dispute and the status it now has.
pub type DisputeDone = Done<Created<DisputeStatus>>;

/// Client: opens a dispute. Fields: `invoice_id`, `reason`, `scope`
/// (`invoice`, `lines` with one `line` per chosen line, or `amount` with
/// `amount`), `message`, and up to five `attachments`.
#[server(endpoint = "disputes/open", input = MultipartFormData)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn open_dispute(data: MultipartData) -> Result<DisputeDone, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let form = ssr::read_form(data).await?;
        let new = ssr::NewDispute::from_form(account_id, principal.user_id, &form)?;
        let created = ssr::open(&state, &new, &form.files).await?;
        Ok(Done::new(created, format!("/portal/disputes/{}", created.id)))
    })
    .await
}

/// Either side: adds to the thread. Fields: `id`, `body`, `kind`
/// (`message`; staff also `info_request` or `proposal` with `amount`),
/// and up to five `attachments`.
#[server(endpoint = "disputes/post", input = MultipartFormData)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn post_dispute_message(data: MultipartData) -> Result<DisputeDone, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let form = ssr::read_form(data).await?;
        let created = ssr::post(&state, &principal, &form).await?;
        Ok(Done::new(created, ssr::page_of(&principal, created.id)))
    })
    .await
}

/// Owner only: approves (in full, or `amount` of it) or rejects with a reason.
#[server(endpoint = "disputes/decide")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn decide_dispute(
    id: i64,
    decision: String,
    #[server(default)] amount: String,
    #[server(default)] note: String,
) -> Result<DisputeDone, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        // Out of scope looks missing, before saying who may decide.
        ssr::summary(&state, principal.scope(), id).await?;
        principal.require_owner()?;
        let approved = ssr::parse_decision(&state, id, &decision, &amount).await?;
        let created = ssr::decide(&state, id, approved, &note, principal.user_id).await?;
        Ok(Done::new(created, format!("/back/disputes/{id}")))
    })
    .await
}

/// Closes a dispute: the client at any time (withdrawing it while it is in
/// progress), staff of the account once it is decided.
#[server(endpoint = "disputes/close")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn close_dispute(id: i64) -> Result<DisputeDone, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let created = ssr::close(&state, &principal, id).await?;
        Ok(Done::new(created, ssr::page_of(&principal, id)))
    })
    .await
}

/// The caller's disputes: a client its own, staff those in scope.
#[server(endpoint = "disputes/list", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_disputes(query: DisputeQuery) -> Result<DisputeListing, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::list(&state, principal.scope(), principal.role.is_staff(), &query).await
    })
    .await
}

/// One dispute with its thread (staff-only proposals hidden from clients).
#[server(endpoint = "disputes/get")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_dispute(id: i64) -> Result<DisputeDetail, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        ssr::detail(&state, &principal, id).await
    })
    .await
}
