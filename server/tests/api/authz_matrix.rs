//! The authorization matrix: every server function (and data route), called
//! as every role against an object of an account the caller may not see.
//! A server function registered without a row here fails the test.

use crate::helpers::{spawn_app, Fixture, Session, TestApp, BACKENDS};
use app::with_db;
use reqwest::StatusCode;
use serde_json::json;

/// Marks of the foreign account (account 2): none may appear in an answer to
/// a caller outside its scope.
const FOREIGN: [&str; 2] = ["Bravo Shipping Ltd", "T-0004"];
/// Marks of account 3, which has no collector: foreign to every collector.
const UNASSIGNED: [&str; 2] = ["Charlie Unassigned SA", "U-0001"];

/// Plain routes anyone may call, and why (every other route has a row).
const PUBLIC_ROUTES: &[(&str, &str)] = &[
    ("GET /healthz", "says only that the process answers"),
    ("GET /readyz", "says only whether this instance takes traffic"),
    ("GET /metrics", "a client on this machine not behind a proxy, or the metrics token (tests in ops.rs)"),
    ("POST /lang", "sets the caller's own language"),
    ("POST /logout", "ends the caller's own session"),
    ("POST /webhooks/stripe", "Stripe's signature is the credential (tests in stripe_mode.rs)"),
    ("POST /webhooks/sms/{provider}", "the SMS provider's signature is the credential; it only records STOP/START for the sending number (tests in sms.rs)"),
    ("GET /r/{token}", "a reminder's signed link only redirects: to sign-in unless the caller is the account's contact (tests in reminders.rs)"),
];

/// Server functions anyone may call, and why.
const PUBLIC: &[(&str, &str)] = &[
    ("/api/auth/login", "signing in"),
    ("/api/auth/request_reset", "answers the same for any address"),
    ("/api/auth/complete_token", "the single-use token is the credential"),
    ("/api/paylink/view", "the signed pay link is the credential (tests in payments.rs)"),
    ("/api/paylink/pay", "the signed pay link is the credential (tests in payments.rs)"),
    ("/api/sandbox/pending", "sandbox only; the unguessable object id is the credential"),
    ("/api/sandbox/authenticate", "sandbox only; the unguessable object id is the credential"),
];

#[derive(Clone, Copy, Debug)]
enum Who {
    Anonymous,
    Client1,
    Collector1,
    Accountant,
    Owner,
}

const EVERYONE: [Who; 5] = [Who::Anonymous, Who::Client1, Who::Collector1, Who::Accountant, Who::Owner];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Outcome {
    /// Refused with this status; the body leaks nothing.
    Denied(u16),
    /// Answered, but only with the caller's own data.
    Scoped,
    /// Answered, the foreign object included.
    Sees,
}

use Outcome::*;

enum Req {
    Form(&'static str, Vec<(&'static str, String)>),
    Json(&'static str, serde_json::Value),
    /// A `multipart/form-data` server function: text fields, then files as
    /// (field, file name, content).
    Multipart(&'static str, Vec<(&'static str, String)>, Vec<(&'static str, &'static str, Vec<u8>)>),
    Get(String),
}

struct Row {
    path: &'static str,
    request: fn(&Fixture) -> Req,
    /// Anonymous, client of account 1, collector of account 1, accountant, owner.
    expect: [Outcome; 5],
}

/// Writes come last: the owner's assignment changes the scopes after it.
fn rows() -> Vec<Row> {
    vec![
        Row {
            path: "/api/payments/quote",
            // Another account's invoice is refused, even to pay it.
            request: |fx| {
                Req::Form("/api/payments/quote", vec![("invoices", fx.inv2_open.to_string()), ("amount", "".into())])
            },
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/pay",
            request: |fx| {
                Req::Form(
                    "/api/payments/pay",
                    vec![
                        ("invoices", fx.inv2_open.to_string()),
                        ("amount", "".into()),
                        ("expected_total", "99900".into()),
                        ("idempotency_key", "matrix-key".into()),
                        ("method", "new".into()),
                        ("card_number", "4242424242424242".into()),
                        ("card_expiry", "12/30".into()),
                        ("card_cvc", "123".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/list",
            request: |fx| {
                Req::Json(
                    "/api/payments/list",
                    json!({ "query": { "status": null, "account_id": fx.account2, "search": null, "page": 1 } }),
                )
            },
            expect: [Denied(401), Scoped, Scoped, Sees, Sees],
        },
        Row {
            path: "/api/payments/detail",
            request: |fx| Req::Form("/api/payments/detail", vec![("id", fx.pay2.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/payments/methods",
            request: |_| Req::Form("/api/payments/methods", vec![]),
            expect: [Denied(401), Scoped, Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/account_methods",
            request: |fx| Req::Form("/api/payments/account_methods", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/payments/start_setup",
            // The sandbox takes cards in its own form: refused for the client.
            request: |_| Req::Form("/api/payments/start_setup", vec![("kind", "card".into())]),
            expect: [Denied(401), Denied(400), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/finish_setup",
            // Account 2's real SetupIntent: not the client's own customer's, 404.
            request: |fx| Req::Form("/api/payments/finish_setup", vec![("setup_intent", fx.setup2.clone())]),
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/method_action",
            // Account 2's real saved card.
            request: |fx| {
                Req::Form(
                    "/api/payments/method_action",
                    vec![("method_id", fx.method2.to_string()), ("action", "remove".into())],
                )
            },
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/add_method",
            // Saves to the caller's own account only (there is no account parameter).
            request: |_| {
                Req::Form(
                    "/api/payments/add_method",
                    vec![
                        ("kind", "card".into()),
                        ("card_number", "4242424242424242".into()),
                        ("card_expiry", "12/30".into()),
                        ("card_cvc", "123".into()),
                    ],
                )
            },
            expect: [Denied(401), Scoped, Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/pay_link",
            request: |fx| Req::Form("/api/payments/pay_link", vec![("invoice_id", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Scoped],
        },
        Row {
            path: "/api/payments/pay_links",
            // Scoped in SQL: another collector gets an empty list.
            request: |fx| Req::Form("/api/payments/pay_links", vec![("invoice_id", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/payments/revoke_pay_link",
            // Account 2's link (made in the matrix's setup), before the owner's
            // reassignment below; the owner's own revocation goes through.
            request: |fx| Req::Form("/api/payments/revoke_pay_link", vec![("link_id", fx.link2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Scoped],
        },
        Row {
            path: "GET /payments/{id}/receipt.pdf",
            request: |fx| Req::Get(format!("/payments/{}/receipt.pdf", fx.paid2)),
            expect: [Denied(303), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/payments/cancel",
            // Only the payer cancels, and only its own account's payments.
            request: |fx| Req::Form("/api/payments/cancel", vec![("id", fx.pay2.to_string())]),
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/refund",
            // Only owners refund; even they cannot refund a declined payment.
            request: |fx| {
                Req::Form("/api/payments/refund", vec![("payment_id", fx.pay2.to_string()), ("amount", "1".into())])
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(409)],
        },
        Row {
            path: "/api/promises/quote",
            // Only a client promises, and only for its own invoices.
            request: |fx| Req::Form("/api/promises/quote", vec![("invoices", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/promises/create",
            request: |fx| {
                Req::Form(
                    "/api/promises/create",
                    vec![
                        ("invoices", fx.inv2_open.to_string()),
                        ("promised_date", in_a_week()),
                        ("amount", "".into()),
                        ("note", "matrix".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/promises/list",
            // Account 2 has one promise (`fx.promise2`, on T-0004).
            request: |fx| {
                Req::Json(
                    "/api/promises/list",
                    json!({ "query": { "status": null, "queue": null, "account_id": fx.account2, "page": 1 } }),
                )
            },
            expect: [Denied(401), Scoped, Scoped, Sees, Sees],
        },
        Row {
            path: "/api/promises/decide",
            // The account's collector or the owner; the owner approves it.
            request: |fx| {
                Req::Form(
                    "/api/promises/decide",
                    vec![("id", fx.promise2.to_string()), ("approve", "true".into()), ("reason", "".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Scoped],
        },
        Row {
            path: "/api/promises/record",
            // Staff by phone; even the owner cannot promise T-0004 twice.
            request: |fx| {
                Req::Form(
                    "/api/promises/record",
                    vec![
                        ("account_id", fx.account2.to_string()),
                        ("invoices", fx.inv2_open.to_string()),
                        ("promised_date", in_a_week()),
                        ("amount", "".into()),
                        ("note", "matrix".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Denied(409)],
        },
        Row {
            path: "/api/promises/cancel",
            // The promising client (its own account's only), or the owner or
            // the account's collector; the owner withdraws the promise the
            // decide row approved (after the record row, which it frees).
            request: |fx| Req::Form("/api/promises/cancel", vec![("id", fx.promise2.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Denied(403), Scoped],
        },
        Row {
            path: "/api/auth/change_password",
            // Wrong current password: validated for oneself only, never someone else.
            request: |_| {
                Req::Form(
                    "/api/auth/change_password",
                    vec![
                        ("current", "nope".into()),
                        ("password", "0123456789ab".into()),
                        ("confirm", "0123456789ab".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(422), Denied(422), Denied(422), Denied(422)],
        },
        Row {
            path: "/api/invoices/list",
            request: |fx| {
                Req::Json(
                    "/api/invoices/list",
                    json!({ "query": { "filter": "all", "sort": "due_asc", "page": 1, "account_id": fx.account2, "search": null } }),
                )
            },
            expect: [Denied(401), Scoped, Scoped, Sees, Sees],
        },
        Row {
            path: "/api/invoices/detail",
            request: |fx| Req::Form("/api/invoices/detail", vec![("id", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/portal/overview",
            request: |_| Req::Form("/api/portal/overview", vec![]),
            expect: [Denied(401), Scoped, Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/back/accounts",
            request: |_| {
                Req::Json(
                    "/api/back/accounts",
                    json!({ "filter": { "search": null, "segment": null, "collector_id": null, "overdue_only": false, "page": 1 } }),
                )
            },
            expect: [Denied(401), Denied(403), Scoped, Sees, Sees],
        },
        Row {
            path: "/api/back/account",
            request: |fx| Req::Form("/api/back/account", vec![("id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /invoices/{id}/pdf",
            request: |fx| Req::Get(format!("/invoices/{}/pdf", fx.inv2_open)),
            expect: [Denied(303), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /invoices/{id}/einvoice/{syntax}",
            // In scope, but seeded without lines nor parties: no e-invoice (409).
            request: |fx| Req::Get(format!("/invoices/{}/einvoice/ubl", fx.inv2_open)),
            expect: [Denied(303), Denied(404), Denied(404), Denied(409), Denied(409)],
        },
        // Disputes: account 2 has one in progress (`fx.dispute2`, the whole of
        // T-0004), with a message, an attachment whose content names T-0004,
        // a credit note and an audit entry naming T-0004 (its timeline). The
        // owner's writes below are refused before anything is written, so
        // the scopes and the state stay as they are for the rows after them.
        Row {
            path: "/api/disputes/list",
            // `all` queues, so that the default queue of each role does not matter.
            request: |fx| {
                Req::Json(
                    "/api/disputes/list",
                    json!({ "query": { "queue": "all", "account_id": fx.account2, "invoice_id": null, "page": 1 } }),
                )
            },
            expect: [Denied(401), Scoped, Scoped, Sees, Sees],
        },
        Row {
            path: "/api/disputes/get",
            // Out of scope looks missing.
            request: |fx| Req::Form("/api/disputes/get", vec![("id", fx.dispute2.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /disputes/attachments/{id}",
            request: |fx| Req::Get(format!("/disputes/attachments/{}", fx.attachment2)),
            expect: [Denied(303), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /credit-notes/{id}/pdf",
            request: |fx| Req::Get(format!("/credit-notes/{}/pdf", fx.credit_note2)),
            expect: [Denied(303), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /credit-notes/{id}/einvoice/{syntax}",
            // In scope, but on an invoice seeded without lines: no e-invoice (409).
            request: |fx| Req::Get(format!("/credit-notes/{}/einvoice/cii", fx.credit_note2)),
            expect: [Denied(303), Denied(404), Denied(404), Denied(409), Denied(409)],
        },
        Row {
            path: "/api/back/timeline",
            // Staff only (a client is refused before any lookup); out of scope looks missing.
            request: |fx| Req::Form("/api/back/timeline", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/disputes/open",
            // Clients only (staff: 403). Client 1's form is valid and its PDF accepted,
            // but the invoice is another account's: 404, and the transaction is dropped.
            request: |fx| {
                Req::Multipart(
                    "/api/disputes/open",
                    vec![
                        ("invoice_id", fx.inv2_open.to_string()),
                        ("reason", "damaged".into()),
                        ("scope", "invoice".into()),
                        ("amount", "".into()),
                        ("message", "matrix".into()),
                    ],
                    vec![("attachments", "matrix.pdf", b"%PDF-1.4\n% matrix\n%%EOF\n".to_vec())],
                )
            },
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/disputes/post",
            // The dispute is looked up in scope first (client 1, collector 1: 404); then
            // only the owner or the account's collector writes (accountant: 403); the
            // owner's message is empty, with no file: refused (422) before any write.
            request: |fx| {
                Req::Multipart(
                    "/api/disputes/post",
                    vec![
                        ("id", fx.dispute2.to_string()),
                        ("kind", "message".into()),
                        ("body", "".into()),
                        ("amount", "".into()),
                    ],
                    vec![],
                )
            },
            expect: [Denied(401), Denied(404), Denied(404), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/disputes/decide",
            // Staff first (client 1: 403), then scope (collector 1: 404), then owners only
            // (accountant: 403); the owner's rejection gives no reason: 422, nothing written.
            request: |fx| {
                Req::Form(
                    "/api/disputes/decide",
                    vec![
                        ("id", fx.dispute2.to_string()),
                        ("decision", "reject".into()),
                        ("amount", "".into()),
                        ("note", "".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/disputes/close",
            // Scope first (client 1, collector 1: 404); the accountant does not close
            // (403); staff close decided disputes only, and this one is open (409).
            request: |fx| Req::Form("/api/disputes/close", vec![("id", fx.dispute2.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Denied(403), Denied(409)],
        },
        Row {
            path: "/api/back/account_choices",
            request: |_| Req::Form("/api/back/account_choices", vec![]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Sees],
        },
        Row {
            path: "/api/back/settings",
            request: |_| Req::Form("/api/back/settings", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/invoicing/draft",
            // A new draft's form names its account.
            request: |fx| Req::Form("/api/invoicing/draft", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/invoicing/drafts",
            request: |fx| Req::Form("/api/invoicing/drafts", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/invoicing/save_draft",
            request: |fx| {
                let fields = crate::invoicing::draft_fields(None, fx.account2, &[("Matrix", "1", "1", "zero")]);
                Req::Form("/api/invoicing/save_draft", fields.into_iter().map(|(k, v)| (&*k.leak(), v)).collect())
            },
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/invoicing/issue",
            // The accountant issues it; the owner then finds it issued.
            request: |fx| Req::Form("/api/invoicing/issue", vec![("id", fx.draft2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Denied(409)],
        },
        Row {
            path: "/api/invoicing/delete_draft",
            request: |fx| Req::Form("/api/invoicing/delete_draft", vec![("id", fx.draft2b.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Denied(404)],
        },
        Row {
            path: "/api/invoicing/credit",
            // Collectors issue no credit notes, even on their accounts.
            request: |fx| {
                Req::Form(
                    "/api/invoicing/credit",
                    vec![("invoice_id", fx.inv2_open.to_string()), ("amount", "1".into()), ("reason", "matrix".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Scoped, Scoped],
        },
        Row {
            path: "/api/reminders/status",
            // Staff in scope; out of scope looks missing.
            request: |fx| Req::Form("/api/reminders/status", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/reminders/plans",
            // Staff read the plans (no account data in them).
            request: |_| Req::Form("/api/reminders/plans", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/reminders/create_plan",
            // The owner alone; a plan without a name is refused before anything is written.
            request: |_| Req::Form("/api/reminders/create_plan", vec![("form[name]", String::new())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/reminders/archive_plan",
            request: |_| Req::Form("/api/reminders/archive_plan", vec![("id", "999999".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(404)],
        },
        Row {
            path: "/api/reminders/assign",
            request: |_| Req::Form("/api/reminders/assign", vec![("segment", "nowhere".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(422)],
        },
        Row {
            path: "GET /reminders/{id}/pdf",
            request: |fx| Req::Get(format!("/reminders/{}/pdf", fx.reminder2)),
            expect: [Denied(303), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/portal/history",
            // The client's own account; staff have the account timeline.
            request: |_| Req::Form("/api/portal/history", vec![]),
            expect: [Denied(401), Scoped, Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/reminders/calendar",
            // Staff within their scope; another's account is not found.
            // T-0004 is disputed here, so nothing is planned for the ones
            // who may see it (reminders.rs shows what they see).
            request: |fx| Req::Form("/api/reminders/calendar", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/reminders/account_plan",
            // The owner alone; an unknown plan is not found.
            request: |fx| {
                Req::Form(
                    "/api/reminders/account_plan",
                    vec![("account_id", fx.account2.to_string()), ("plan_id", "999999".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(404)],
        },
        Row {
            path: "/api/legal/prescription",
            request: |fx| Req::Form("/api/legal/prescription", vec![("invoice_id", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/legal/claim",
            request: |fx| Req::Form("/api/legal/claim", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /back/accounts/{id}/claim.csv",
            request: |fx| Req::Get(format!("/back/accounts/{}/claim.csv", fx.account2)),
            expect: [Denied(303), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/dashboard/get",
            // Staff within their scope: a collector's figures are their
            // accounts' (dashboard.rs checks the amounts; no foreign name
            // shows here, Bravo having nothing overdue).
            request: |_| Req::Form("/api/dashboard/get", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/dashboard/version",
            // Numbers only: the same for every member of staff.
            request: |_| Req::Form("/api/dashboard/version", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/indicators/get",
            // Figures only, within the caller's scope (indicators.rs checks
            // that a collector's are their accounts' alone).
            request: |_| {
                Req::Json(
                    "/api/indicators/get",
                    json!({ "filter": { "currency": null, "segment": null, "collector_id": null } }),
                )
            },
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/aging/report",
            // Staff within their scope: a collector's rows are their accounts.
            request: |_| {
                Req::Json(
                    "/api/aging/report",
                    json!({ "filter": { "as_of": null, "group": "Account", "segment": null, "collector_id": null, "currency": null, "page": 1 } }),
                )
            },
            expect: [Denied(401), Denied(403), Scoped, Sees, Sees],
        },
        Row {
            path: "/api/aging/cell",
            // Every open invoice in EUR, within the caller's scope.
            request: |_| {
                Req::Json(
                    "/api/aging/cell",
                    json!({ "cell": { "filter": { "as_of": null, "group": "Account", "segment": null, "collector_id": null, "currency": null, "page": 1 },
                        "key": null, "bucket": null, "currency": "EUR", "page": 1 } }),
                )
            },
            expect: [Denied(401), Denied(403), Scoped, Sees, Sees],
        },
        Row {
            path: "GET /back/aging.csv",
            request: |_| Req::Get("/back/aging.csv?group=account".into()),
            expect: [Denied(303), Denied(403), Scoped, Sees, Sees],
        },
        Row {
            path: "GET /back/aging.xlsx",
            // A workbook is zipped: the marks are looked for in its text, so
            // a collector's would pass even if it leaked (aging.rs reads it
            // back); this row checks who may download one at all.
            request: |_| Req::Get("/back/aging.xlsx?group=account".into()),
            expect: [Denied(303), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "GET /back/invoices.{ext}",
            // Staff, the list within their scope, as on the screen.
            request: |_| Req::Get("/back/invoices.csv?filter=all".into()),
            expect: [Denied(303), Denied(403), Scoped, Sees, Sees],
        },
        Row {
            path: "GET /back/exports/{file}",
            // The books: the owner and the accountant only.
            request: |_| Req::Get("/back/exports/invoices.csv".into()),
            expect: [Denied(303), Denied(403), Denied(403), Sees, Sees],
        },
        Row {
            path: "GET /portal/statement.{ext}",
            // The client's own account; staff use the account's page.
            request: |_| Req::Get("/portal/statement.csv".into()),
            expect: [Denied(303), Scoped, Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "GET /back/accounts/{id}/statement.{ext}",
            request: |fx| Req::Get(format!("/back/accounts/{}/statement.csv", fx.account2)),
            expect: [Denied(303), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /back/letters.pdf",
            // Staff, their own letters to post (none here); not a client.
            request: |_| Req::Get("/back/letters.pdf".into()),
            expect: [Denied(303), Denied(403), Denied(404), Denied(404), Denied(404)],
        },
        Row {
            path: "/api/reminders/preview",
            // The owner alone (a test goes to the caller; here, an unknown
            // language is refused first).
            request: |_| Req::Form("/api/reminders/preview", vec![("language", "xx".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/reminders/approvals",
            // The owner and collectors, each within their accounts.
            request: |_| Req::Form("/api/reminders/approvals", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Denied(403), Scoped],
        },
        Row {
            path: "/api/reminders/decide",
            // account 2's sent reminder: not waiting, so even in scope a conflict.
            request: |fx| {
                Req::Form(
                    "/api/reminders/decide",
                    vec![("id", fx.reminder2.to_string()), ("decision", "approve".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Denied(409)],
        },
        Row {
            path: "/api/legal/invoice_charges",
            // Its client and staff in scope (account 2's invoice is not late: nothing to show).
            request: |fx| Req::Form("/api/legal/invoice_charges", vec![("invoice_id", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/reminders/texts",
            // The owner reads the SMS outbox, as the mail outbox.
            request: |_| Req::Form("/api/reminders/texts", vec![]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
        Row {
            path: "/api/reminders/window",
            // The merchant's sending hours, no account's data: staff read them.
            request: |_| Req::Form("/api/reminders/window", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/reminders/save_window",
            // The owner only; no day ticked, so the owner's call changes nothing.
            request: |_| {
                Req::Form(
                    "/api/reminders/save_window",
                    vec![
                        ("form[start]", "09:00".into()),
                        ("form[end]", "18:00".into()),
                        ("form[calendar]", "fr".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/legal/rates",
            // Published rates, no account's data: staff read them.
            request: |_| Req::Form("/api/legal/rates", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/legal/add_rate",
            // The owner only; a bad percentage, so the owner's call changes nothing.
            request: |_| {
                Req::Form(
                    "/api/legal/add_rate",
                    vec![
                        ("kind", "ecb_mro".into()),
                        ("valid_from", "2026-12-01".into()),
                        ("percent", "abc".into()),
                        ("source", "test".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/legal/apply_charges",
            // The owner only; account 2 owes nothing late, so nothing is posted.
            request: |fx| Req::Form("/api/legal/apply_charges", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Denied(409)],
        },
        Row {
            path: "/api/legal/at_risk",
            // Staff within their scope (nothing near prescription here).
            request: |_| Req::Form("/api/legal/at_risk", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Scoped, Scoped],
        },
        Row {
            path: "/api/legal/interrupt",
            // Staff in scope; a date in the future is refused, so the
            // bookkeepers' calls change nothing either.
            request: |fx| {
                Req::Form(
                    "/api/legal/interrupt",
                    vec![
                        ("invoice_id", fx.inv2_open.to_string()),
                        ("kind", "acknowledgement".into()),
                        ("occurred_on", "2099-01-01".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(422), Denied(422)],
        },
        Row {
            path: "/api/reminders/todo",
            // The owner and collectors, each within their accounts.
            request: |_| Req::Form("/api/reminders/todo", vec![]),
            expect: [Denied(401), Denied(403), Scoped, Denied(403), Scoped],
        },
        Row {
            path: "/api/reminders/task_done",
            request: |_| {
                Req::Form("/api/reminders/task_done", vec![("id", "999999".into()), ("outcome", "done".into())])
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Denied(404)],
        },
        Row {
            path: "/api/reminders/pause",
            // The owner and the account's collector; a date in the past is
            // refused before anything is written.
            request: |fx| {
                Req::Form(
                    "/api/reminders/pause",
                    vec![
                        ("account_id", fx.account2.to_string()),
                        ("until", "2000-01-01".into()),
                        ("reason", "matrix".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Denied(422)],
        },
        Row {
            path: "/api/invoicing/write_off",
            // The owner alone writes off a bad debt.
            request: |fx| {
                Req::Form(
                    "/api/invoicing/write_off",
                    vec![("invoice_id", fx.inv2_open.to_string()), ("amount", "1".into()), ("reason", "matrix".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
        Row {
            path: "/api/payments/receive_sheet",
            // The bookkeepers record money received on any account.
            request: |fx| Req::Form("/api/payments/receive_sheet", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(403), Sees, Sees],
        },
        Row {
            path: "/api/payments/record",
            // One key: the accountant's transfer, which the owner's same
            // post finds rather than recording twice.
            request: |fx| {
                Req::Form(
                    "/api/payments/record",
                    vec![
                        ("form[account_id]", fx.account2.to_string()),
                        ("form[channel]", "transfer".into()),
                        ("form[received_on]", crate::helpers::today().to_string()),
                        ("form[amount]", "1".into()),
                        ("form[idempotency_key]", "matrix-transfer".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Scoped, Scoped],
        },
        Row {
            path: "/api/payments/reverse",
            // A card payment is not reversed by hand, even by the bookkeepers.
            request: |fx| {
                Req::Form(
                    "/api/payments/reverse",
                    vec![("payment_id", fx.pay2.to_string()), ("reason", "matrix".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(409), Denied(409)],
        },
        Row {
            path: "/api/imports/list",
            request: |_| Req::Form("/api/imports/list", vec![]),
            expect: [Denied(401), Denied(403), Denied(403), Scoped, Scoped],
        },
        Row {
            path: "/api/imports/upload",
            // The bookkeepers' two uploads are kept (nothing imported).
            request: |_| {
                Req::Multipart(
                    "/api/imports/upload",
                    vec![("kind", "payments".into())],
                    vec![(
                        "file",
                        "matrix.csv",
                        b"Client;Date;Montant
A0002;01/12/2026;1
"
                        .to_vec(),
                    )],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Scoped, Scoped],
        },
        Row {
            path: "/api/imports/detail",
            request: |_| Req::Form("/api/imports/detail", vec![("id", "999999".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(404), Denied(404)],
        },
        Row {
            path: "/api/imports/preview",
            request: |_| Req::Form("/api/imports/preview", vec![("id", "999999".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(404), Denied(404)],
        },
        Row {
            path: "/api/imports/run",
            request: |_| Req::Form("/api/imports/run", vec![("id", "999999".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(404), Denied(404)],
        },
        Row {
            path: "/api/invoicing/send",
            // Whoever may invoice the account; the collector of account 1
            // is not account 2's.
            request: |fx| Req::Form("/api/invoicing/send", vec![("invoice_id", fx.inv2_open.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/invoicing/save_recurring",
            request: |fx| {
                let mut fields = crate::invoicing::draft_fields(None, fx.account2, &[("Matrix", "1", "1", "zero")]);
                fields.push(("frequency".into(), "yearly".into()));
                fields.push(("start_date".into(), (crate::helpers::today() + chrono::Duration::days(30)).to_string()));
                Req::Form("/api/invoicing/save_recurring", fields.into_iter().map(|(k, v)| (&*k.leak(), v)).collect())
            },
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/invoicing/recurring",
            request: |fx| Req::Form("/api/invoicing/recurring", vec![("account_id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/invoicing/stop_recurring",
            request: |fx| Req::Form("/api/invoicing/stop_recurring", vec![("id", fx.recurring2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Scoped, Scoped],
        },
        Row {
            path: "/api/accounts/editor",
            request: |fx| Req::Form("/api/accounts/editor", vec![("id", fx.account2.to_string())]),
            expect: [Denied(401), Denied(403), Denied(403), Sees, Sees],
        },
        Row {
            path: "/api/accounts/save",
            // Saving the foreign account as it is (same name, code and
            // collector); the bookkeepers' saves go through.
            request: |fx| {
                let mut form = crate::accounts::account_form("Bravo Shipping Ltd");
                for (k, v) in [("code", "A0002"), ("siren", ""), ("siret", ""), ("vat_number", ""), ("external_id", "")]
                {
                    form[k] = json!(v);
                }
                form["billing_emails"] = json!("billing@example.com");
                form["terms_basis"] = json!("net");
                form["collector_id"] = json!(fx.collector2.to_string());
                let fields = crate::accounts::form_fields(Some(fx.account2), &form);
                Req::Form("/api/accounts/save", fields.into_iter().map(|(k, v)| (&*k.leak(), v)).collect())
            },
            expect: [Denied(401), Denied(403), Denied(403), Scoped, Scoped],
        },
        Row {
            path: "/api/accounts/archive",
            // T-0004 is unpaid: even the bookkeepers cannot archive it.
            request: |fx| {
                Req::Form("/api/accounts/archive", vec![("id", fx.account2.to_string()), ("archive", "true".into())])
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(409), Denied(409)],
        },
        Row {
            path: "/api/back/assign_collector",
            request: |fx| {
                Req::Form(
                    "/api/back/assign_collector",
                    vec![("account_id", fx.account2.to_string()), ("collector_id", fx.collector1.to_string())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Scoped, Scoped],
        },
        Row {
            path: "/api/back/team",
            request: |_| Req::Form("/api/back/team", vec![]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
        Row {
            path: "/api/back/invite",
            request: |fx| {
                Req::Form(
                    "/api/back/invite",
                    vec![
                        ("name", "Intruder".into()),
                        ("email", "intruder@test.example".into()),
                        ("role", "client".into()),
                        ("account_id", fx.account2.to_string()),
                        ("locale", "fr".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
        Row {
            path: "/api/back/outbox",
            request: |_| Req::Form("/api/back/outbox", vec![("page", "1".into())]),
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
        Row {
            path: "/api/back/user_action",
            // Sending a reset link to the foreign account's contact.
            request: |fx| {
                Req::Form(
                    "/api/back/user_action",
                    vec![("user_id", fx.client2.to_string()), ("action", "send_link".into())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
        Row {
            path: "/api/back/save_settings",
            request: |_| {
                Req::Form(
                    "/api/back/save_settings",
                    vec![
                        ("form[company_name]", "Hijacked SA".into()),
                        ("form[legal_id]", "".into()),
                        ("form[address]", "".into()),
                        ("form[email]", "".into()),
                        ("form[phone]", "".into()),
                        ("form[default_currency]", "EUR".into()),
                        ("form[default_locale]", "fr".into()),
                        ("form[payment_terms_days]", "30".into()),
                    ],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
        },
    ]
}

/// Account 3 has no collector: every collector is refused as for another
/// collector's account, and out of scope looks missing.
fn unassigned_rows() -> Vec<Row> {
    vec![
        Row {
            path: "/api/back/account",
            request: |fx| Req::Form("/api/back/account", vec![("id", fx.account3.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/invoices/detail",
            request: |fx| Req::Form("/api/invoices/detail", vec![("id", fx.inv3.to_string())]),
            expect: [Denied(401), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "GET /invoices/{id}/pdf",
            request: |fx| Req::Get(format!("/invoices/{}/pdf", fx.inv3)),
            expect: [Denied(303), Denied(404), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/invoicing/draft",
            request: |fx| Req::Form("/api/invoicing/draft", vec![("account_id", fx.account3.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Sees, Sees],
        },
        Row {
            path: "/api/payments/pay_link",
            request: |fx| Req::Form("/api/payments/pay_link", vec![("invoice_id", fx.inv3.to_string())]),
            expect: [Denied(401), Denied(403), Denied(404), Denied(403), Scoped],
        },
    ]
}

/// A date the promise policy accepts (today + 7 days).
fn in_a_week() -> String {
    (crate::helpers::today() + chrono::Duration::days(7)).to_string()
}

async fn session(app: &TestApp, who: Who) -> Session {
    match who {
        Who::Anonymous => app.anonymous(),
        Who::Client1 => app.login("client1@test.example").await,
        Who::Collector1 => app.login("c1@test.example").await,
        Who::Accountant => app.login("acc@test.example").await,
        Who::Owner => app.login("owner@test.example").await,
    }
}

async fn send(s: &Session, req: Req) -> (StatusCode, Vec<u8>) {
    let res = match req {
        Req::Form(path, form) => {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            s.post_form(path, &pairs).await
        }
        Req::Json(path, body) => s.post_json(path, body).await,
        Req::Multipart(path, fields, files) => {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let files: Vec<(&str, &str, &[u8])> = files.iter().map(|(f, n, c)| (*f, *n, c.as_slice())).collect();
            s.post_multipart(path, &fields, &files).await
        }
        Req::Get(path) => s.get(&path).await,
    };
    let status = res.status();
    (status, res.bytes().await.unwrap().to_vec())
}

fn contains(body: &[u8], needle: &str) -> bool {
    crate::helpers::body_contains(body, needle)
}

#[tokio::test]
async fn every_server_function_has_a_row() {
    let registered: std::collections::BTreeSet<String> =
        leptos::server_fn::actix::server_fn_paths().map(|(path, _)| path.to_string()).collect();
    assert!(!registered.is_empty(), "no server functions registered");
    let covered: std::collections::BTreeSet<String> = rows()
        .iter()
        .map(|r| r.path.to_string())
        .chain(PUBLIC.iter().map(|(p, _)| p.to_string()))
        .filter(|p| p.starts_with("/api/"))
        .collect();
    let missing: Vec<_> = registered.difference(&covered).collect();
    assert!(missing.is_empty(), "server functions without an authorization row: {missing:?}");
    let stale: Vec<_> = covered.difference(&registered).collect();
    assert!(stale.is_empty(), "matrix rows for functions that no longer exist: {stale:?}");

    // Every plain actix route too (`server::routes::ROUTES` is what the
    // server registers).
    let routes: std::collections::BTreeSet<String> =
        server::routes::ROUTES.iter().map(|(method, path)| format!("{} {path}", method.to_uppercase())).collect();
    let covered: std::collections::BTreeSet<String> = rows()
        .iter()
        .chain(unassigned_rows().iter())
        .map(|r| r.path.to_string())
        .chain(PUBLIC_ROUTES.iter().map(|(p, _)| p.to_string()))
        .filter(|p| !p.starts_with("/api/"))
        .collect();
    let missing: Vec<_> = routes.difference(&covered).collect();
    assert!(missing.is_empty(), "routes without an authorization row: {missing:?}");
    let stale: Vec<_> = covered.difference(&routes).collect();
    assert!(stale.is_empty(), "matrix rows for routes that no longer exist: {stale:?}");
}

/// Calls each row as every role and checks the outcome; `marks` are what
/// the object's account shows (none may leak to a caller outside it).
async fn check(
    backend: crate::helpers::Backend,
    fx: &Fixture,
    sessions: &[(Who, Session)],
    rows: Vec<Row>,
    marks: &[&str],
) {
    for row in rows {
        for (i, (who, s)) in sessions.iter().enumerate() {
            let expect = row.expect[i];
            let (status, body) = send(s, (row.request)(fx)).await;
            let ctx = format!("{backend:?} {} as {who:?}: got {status}", row.path);
            match expect {
                Denied(code) => {
                    assert_eq!(status.as_u16(), code, "{ctx}");
                    for mark in marks {
                        assert!(!contains(&body, mark), "{ctx}: refusal leaks {mark}");
                    }
                }
                Scoped => {
                    assert_eq!(status, StatusCode::OK, "{ctx}: {}", String::from_utf8_lossy(&body));
                    if !matches!(who, Who::Owner) {
                        for mark in marks {
                            assert!(!contains(&body, mark), "{ctx}: leaks {mark}");
                        }
                    }
                }
                Sees => {
                    assert_eq!(status, StatusCode::OK, "{ctx}");
                    assert!(marks.iter().any(|m| contains(&body, m)), "{ctx}: expected the foreign object");
                }
            }
        }
    }
}

/// Account 2's payment objects and account 3's invoice, made through the
/// app's own paths: a succeeded payment, a saved card, a SetupIntent of its
/// gateway customer, a pay link, and U-0001.
async fn insert_foreign_payments(app: &mut TestApp) {
    let state = app.state();
    let fx = app.fx.clone();
    app.fx.paid2 = crate::money::receive(app, fx.account2, &[(fx.inv2_open, 100)], 100).await;
    let sandbox = state.gateway.as_sandbox().expect("sandbox");
    let card = sandbox.tokenize_card("4242424242424242", 12, 2030, "123").await.unwrap().unwrap();
    let customer = app::payments::ssr::customer_ref(&state, fx.account2).await.unwrap();
    let (setup, status, _) = sandbox.setup_with(&customer, &card.gateway_ref, fx.account2).await.unwrap();
    let app::payments::gateway::SetupStatus::Succeeded(details) = status else { panic!("saved: {status:?}") };
    app.fx.method2 = app::payments::ssr::save_method(&state, fx.account2, &details, Some(fx.client2)).await.unwrap();
    app.fx.setup2 = setup;
    let (link, url) =
        app::payments::paylink::create(&state, app::auth::ssr::Scope::All, fx.owner, fx.inv2_open).await.unwrap();
    assert!(url.contains("/pay/"));
    app.fx.link2 = link;
    app.fx.inv3 = crate::money::issue_invoice(app, fx.account3, "U-0001", 10, 45_000).await;
}

/// A draft of one line, written straight in.
async fn insert_draft(app: &TestApp, account: i64) -> i64 {
    let lines = r#"[{"description":"Matrix","quantity_milli":1000,"unit":"","unit_price_minor":100,"discount_bp":0,"vat":"zero"}]"#;
    with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO invoice_drafts (account_id, lines, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
        )
        .bind(account)
        .bind(lines)
        .bind(crate::helpers::now())
        .fetch_one(pool)
        .await
    })
    .expect("a draft")
}

/// A yearly template starting next month, written straight in.
async fn insert_recurring(app: &TestApp, account: i64) -> i64 {
    let lines = r#"[{"description":"Matrix","quantity_milli":1000,"unit":"","unit_price_minor":100,"discount_bp":0,"vat":"zero"}]"#;
    let start = crate::helpers::today() + chrono::Duration::days(30);
    with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO recurring_invoices (account_id, frequency, start_date, next_date, lines, created_at, updated_at)
             VALUES ($1, 'yearly', $2, $2, $3, $4, $4) RETURNING id",
        )
        .bind(account)
        .bind(start)
        .bind(lines)
        .bind(crate::helpers::now())
        .fetch_one(pool)
        .await
    })
    .expect("a template")
}

#[tokio::test]
async fn every_role_against_a_foreign_object() {
    for backend in BACKENDS {
        let Some(mut app) = spawn_app(backend).await else { continue };
        let promise2 = crate::promises::insert_promise(
            &app,
            app.fx.account2,
            app.fx.inv2_open,
            "pending_approval",
            crate::helpers::today() + chrono::Duration::days(7),
            99_900,
        )
        .await;
        app.fx.promise2 = promise2;
        let (dispute2, attachment2, credit_note2) = insert_foreign_dispute(&app).await;
        app.fx.dispute2 = dispute2;
        app.fx.attachment2 = attachment2;
        app.fx.credit_note2 = credit_note2;
        insert_foreign_payments(&mut app).await;
        app.fx.draft2 = insert_draft(&app, app.fx.account2).await;
        app.fx.draft2b = insert_draft(&app, app.fx.account2).await;
        app.fx.recurring2 = insert_recurring(&app, app.fx.account2).await;
        app.fx.reminder2 = insert_sent_reminder(&app, app.fx.account2).await;
        // The objects above were written straight in: the stored figures follow.
        app::ledger::balances::rebuild(&app.db, crate::helpers::today()).await.unwrap();
        let mut sessions = Vec::new();
        for who in EVERYONE {
            sessions.push((who, session(&app, who).await));
        }
        check(backend, &app.fx, &sessions, unassigned_rows(), &UNASSIGNED).await;
        check(backend, &app.fx, &sessions, rows(), &FOREIGN).await;
        // Refused writes changed nothing; the owner's went through once.
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'intruder@test.example'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.invite'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account.assign_collector'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account.updated'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE archived_at IS NOT NULL").await, 0);
        // Invoicing: the bookkeepers' two drafts, one issue, one deletion,
        // two credit notes of 1.00; nothing by the others.
        assert_eq!(app.count("SELECT COUNT(*) FROM invoice_drafts").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.issued'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'credit_note.issued'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'write_off'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.sent'").await, 2);
        // The one written in (stopped) and the bookkeepers' two.
        assert_eq!(app.count("SELECT COUNT(*) FROM recurring_invoices").await, 3);
        assert_eq!(app.count("SELECT COUNT(*) FROM recurring_invoices WHERE active").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.reset_link'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'merchant.settings'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE to_address = 'client2@test.example'").await, 1);
        // No payment, refund or method was made on the foreign account by
        // anyone but the bookkeepers (its declined and its succeeded
        // payment, its one card, still there; the one transfer recorded).
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payments WHERE account_id = {}", app.fx.account2)).await,
            3
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE source = 'staff'").await, 1);
        // Two files kept, nothing imported from them.
        assert_eq!(app.count("SELECT COUNT(*) FROM imports WHERE status = 'uploaded'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM refunds").await, 0);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM payment_methods WHERE account_id = {} AND removed_at IS NULL",
                app.fx.account2
            ))
            .await,
            1
        );
        // The owner turned the pay link off; nobody else could.
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'paylink.revoked'").await, 1);
        // No promise was made; the owner's approval, then withdrawal, went through once each.
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 1);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM promise_invoices WHERE promise_id = {promise2}")).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.cancelled'").await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM promises WHERE id = {promise2} AND status = 'cancelled' AND decided_by = {}",
                app.fx.owner
            ))
            .await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.approved'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.created'").await, 0);
        // No dispute was opened, written to, decided or closed: account 2's is
        // as inserted, and no e-mail about a dispute went out.
        assert_eq!(app.count("SELECT COUNT(*) FROM disputes").await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM disputes WHERE id = {dispute2} AND status = 'open' AND decided_by IS NULL
                 AND proposed_minor IS NULL AND approved_minor = 0"
            ))
            .await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_messages").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_attachments").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM dispute_files").await, 1);
        // The one written in, and the bookkeepers' two of the invoicing
        // row (the only credit notes posted).
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes WHERE number = 'AV-MATRIX'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes WHERE number LIKE 'AV-2%'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'credit_note'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'dispute.%'").await, 1);
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM outbox WHERE LOWER(subject) LIKE '%litige%' OR LOWER(subject) LIKE '%dispute%'"
            )
            .await,
            0
        );
        app.finish().await;
    }
}

/// Account 2's dispute objects, written straight into the database (the
/// matrix needs them before any call is made): a dispute in progress on the
/// whole of T-0004 with its first message, an attachment of that message
/// whose content names T-0004, a credit note on T-0004 (no ledger entry: only
/// its access is tested here), and the audit entry of the opening, naming
/// T-0004, for the account's timeline. Returns the dispute, attachment and
/// credit note ids.
async fn insert_foreign_dispute(app: &TestApp) -> (i64, i64, i64) {
    let fx = &app.fx;
    let amount = crate::money::balance(app, fx.inv2_open).await;
    let now = crate::helpers::now();
    let content = b"%PDF-1.4\n% Bon de livraison T-0004\n%%EOF\n".to_vec();
    let size = i64::try_from(content.len()).unwrap();
    with_db!(&app.db, |pool| async {
        let mut tx = pool.begin().await?;
        let dispute: i64 = sqlx::query_scalar(
            "INSERT INTO disputes (account_id, invoice_id, reason, scope, amount_minor, currency, status, created_by,
                 created_at, updated_at)
             VALUES ($1, $2, 'damaged', 'invoice', $3, 'EUR', 'open', $4, $5, $5) RETURNING id",
        )
        .bind(fx.account2)
        .bind(fx.inv2_open)
        .bind(amount)
        .bind(fx.client2)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let message: i64 = sqlx::query_scalar(
            "INSERT INTO dispute_messages (dispute_id, author_id, kind, body, created_at)
             VALUES ($1, $2, 'message', 'Colis abîmé à la livraison.', $3) RETURNING id",
        )
        .bind(dispute)
        .bind(fx.client2)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        // The key of the content: any unique text does here.
        let sha256 = "matrix-attachment-of-account-2";
        sqlx::query("INSERT INTO dispute_files (sha256, size_bytes, content, created_at) VALUES ($1, $2, $3, $4)")
            .bind(sha256)
            .bind(size)
            .bind(&content)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let attachment: i64 = sqlx::query_scalar(
            "INSERT INTO dispute_attachments (dispute_id, message_id, file_name, content_type, size_bytes, sha256,
                 created_at)
             VALUES ($1, $2, 'bon-de-livraison.pdf', 'application/pdf', $3, $4, $5) RETURNING id",
        )
        .bind(dispute)
        .bind(message)
        .bind(size)
        .bind(sha256)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let credit_note: i64 = sqlx::query_scalar(
            "INSERT INTO credit_notes (number, account_id, invoice_id, dispute_id, amount_minor, currency, issued_on,
                 created_by, created_at)
             VALUES ('AV-MATRIX', $1, $2, NULL, 1000, 'EUR', $3, $4, $5) RETURNING id",
        )
        .bind(fx.account2)
        .bind(fx.inv2_open)
        .bind(crate::helpers::today())
        .bind(fx.owner)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO audit_log (actor_user_id, action, entity_type, entity_id, account_id, details, occurred_at)
             VALUES ($1, 'dispute.opened', 'dispute', $2, $3, 'T-0004 damaged', $4)",
        )
        .bind(fx.client2)
        .bind(dispute)
        .bind(fx.account2)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>((dispute, attachment, credit_note))
    }
    .await)
    .expect("insert the foreign dispute")
}

#[tokio::test]
async fn refused_writes_leave_the_database_untouched() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        for who in [Who::Client1, Who::Collector1] {
            let s = session(&app, who).await;
            let (status, _) = send(
                &s,
                Req::Form(
                    "/api/back/assign_collector",
                    vec![("account_id", app.fx.account2.to_string()), ("collector_id", app.fx.collector1.to_string())],
                ),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN);
            // Nor may they create, edit or archive an account.
            for id in [None, Some(app.fx.account1), Some(app.fx.account2)] {
                let res = crate::accounts::save(&s, id, crate::accounts::account_form("Intrus SARL")).await;
                assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who:?} saving {id:?}");
            }
            let (status, _) = send(
                &s,
                Req::Form(
                    "/api/accounts/archive",
                    vec![("id", app.fx.account3.to_string()), ("archive", "true".into())],
                ),
            )
            .await;
            assert_eq!(status, StatusCode::FORBIDDEN);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM accounts WHERE legal_name = 'Intrus SARL'").await, 0);
        let collector = app.count(&format!("SELECT collector_id FROM accounts WHERE id = {}", app.fx.account2)).await;
        assert_eq!(collector, app.fx.collector2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'account.%'").await, 0);
        app.finish().await;
    }
}

/// A reminder e-mail sent to `account` (its plan, step and outbox row);
/// the plan is the account's own, its step on the due date (so T-0004
/// is in the calendar).
async fn insert_sent_reminder(app: &TestApp, account: i64) -> i64 {
    let now = chrono::Utc::now();
    with_db!(&app.db, |pool| {
        async {
        let plan: i64 = sqlx::query_scalar(
            "INSERT INTO reminder_plans (name, customer_kind, min_amount_minor, created_at, updated_at)
             VALUES ('Matrix', 'business', 0, $1, $1) RETURNING id",
        )
        .bind(now)
        .fetch_one(pool)
        .await?;
        let step: i64 = sqlx::query_scalar(
            "INSERT INTO reminder_steps (plan_id, position, anchor, offset_days, channel)
             VALUES ($1, 1, 'due_date', 0, 'email') RETURNING id",
        )
        .bind(plan)
        .fetch_one(pool)
        .await?;
        sqlx::query("UPDATE accounts SET reminder_plan_id = $1 WHERE id = $2").bind(plan).bind(account).execute(pool).await?;
        let outbox: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (to_address, subject, body_text, status, next_attempt_at, account_id, created_at)
             VALUES ('billing@bravo.example', 'Bravo Shipping Ltd: invoices to pay', 'T-0004', 'sent', $1, $2, $1)
             RETURNING id",
        )
        .bind(now)
        .bind(account)
        .fetch_one(pool)
        .await?;
        sqlx::query_scalar(
            "INSERT INTO reminders (account_id, step_id, key, channel, status, amount_minor, currency, outbox_id, created_at)
             VALUES ($1, $2, 'matrix', 'email', 'sent', 99900, 'EUR', $3, $4) RETURNING id",
        )
        .bind(account)
        .bind(step)
        .bind(outbox)
        .bind(now)
        .fetch_one(pool)
        .await
        }
        .await
    })
    .unwrap()
}
