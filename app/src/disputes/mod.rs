//! Disputes (issue 4, part 2) — work in progress, not yet registered in
//! `lib.rs`. Plan, following the promises module:
//!
//! - `migrations/*/20261122000005_disputes.sql`: `disputes` (reason, scope
//!   invoice|lines|amount, amount, status open → under_review → approved |
//!   partially_approved | rejected → closed; one in progress per invoice by a
//!   partial unique index), `dispute_lines`, `dispute_messages` (thread;
//!   kinds message, info_request, proposal, decision, status),
//!   `dispute_attachments` (content-sniffed, stored under
//!   `data_dir/attachments/{sha256}`), `credit_notes` (numbered, one per
//!   dispute by a partial unique index: two owners approving at once issue
//!   one).
//! - Collection: `DISPUTED_SQL` beside `promises::ssr::PROMISED_SQL`; the
//!   disputed amount of an open dispute leaves the overdue figures and is
//!   shown apart as *disputed*.
//! - Server functions: client `disputes/open` (multipart: attachments),
//!   `disputes/post` (message + attachments), list/detail for both sides;
//!   staff `disputes/comment`, `disputes/ask_info`, `disputes/propose`
//!   (collector of the account or owner), `disputes/decide` (owner only:
//!   approve in full or in part → credit note ledger entry in the same
//!   transaction; reject with a reason → amount back to collection).
//!   Each step: outbox e-mail to the other side, audit entry with the
//!   account (the timeline).
//! - Routes: `GET /disputes/attachments/{id}` (scope-checked download),
//!   `GET /credit-notes/{id}/pdf`.
//! - Queues: `/back/disputes` by state and age, scoped to the collector.

pub mod attachments;
#[cfg(feature = "ssr")]
pub mod ssr;
