//! The authorization matrix: every server function (and data route), called
//! as every role against an object of an account the caller may not see.
//! A server function registered without a row here fails the test.

use crate::helpers::{spawn_app, Fixture, Session, TestApp, BACKENDS};
use reqwest::StatusCode;
use serde_json::json;

/// Marks of the foreign account (account 2): none may appear in an answer to
/// a caller outside its scope.
const FOREIGN: [&str; 2] = ["Bravo Shipping Ltd", "T-0004"];

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
            // A SetupIntent that is not the client's own customer's: 404.
            request: |_| Req::Form("/api/payments/finish_setup", vec![("setup_intent", "seti_unknown".into())]),
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
        },
        Row {
            path: "/api/payments/method_action",
            request: |_| {
                Req::Form(
                    "/api/payments/method_action",
                    vec![("method_id", "999999".into()), ("action", "remove".into())],
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
            path: "/api/promises/cancel",
            // Only the promising client cancels, and only its own account's promises.
            request: |fx| Req::Form("/api/promises/cancel", vec![("id", fx.promise2.to_string())]),
            expect: [Denied(401), Denied(404), Denied(403), Denied(403), Denied(403)],
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
            path: "/api/back/assign_collector",
            request: |fx| {
                Req::Form(
                    "/api/back/assign_collector",
                    vec![("account_id", fx.account2.to_string()), ("collector_id", fx.collector1.to_string())],
                )
            },
            expect: [Denied(401), Denied(403), Denied(403), Denied(403), Scoped],
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
        Req::Get(path) => s.get(&path).await,
    };
    let status = res.status();
    (status, res.bytes().await.unwrap().to_vec())
}

fn contains(body: &[u8], needle: &str) -> bool {
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
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
        let mut sessions = Vec::new();
        for who in EVERYONE {
            sessions.push((who, session(&app, who).await));
        }
        for row in rows() {
            for (i, (who, s)) in sessions.iter().enumerate() {
                let expect = row.expect[i];
                let (status, body) = send(s, (row.request)(&app.fx)).await;
                let ctx = format!("{backend:?} {} as {who:?}: got {status}", row.path);
                match expect {
                    Denied(code) => {
                        assert_eq!(status.as_u16(), code, "{ctx}");
                        for mark in FOREIGN {
                            assert!(!contains(&body, mark), "{ctx}: refusal leaks {mark}");
                        }
                    }
                    Scoped => {
                        assert_eq!(status, StatusCode::OK, "{ctx}: {}", String::from_utf8_lossy(&body));
                        if !matches!(who, Who::Owner) {
                            for mark in FOREIGN {
                                assert!(!contains(&body, mark), "{ctx}: leaks {mark}");
                            }
                        }
                    }
                    Sees => {
                        assert_eq!(status, StatusCode::OK, "{ctx}");
                        assert!(FOREIGN.iter().any(|m| contains(&body, m)), "{ctx}: expected the foreign object");
                    }
                }
            }
        }
        // Refused writes changed nothing; the owner's went through once.
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'intruder@test.example'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.invite'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account.assign_collector'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'auth.reset_link'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'merchant.settings'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE to_address = 'client2@test.example'").await, 1);
        // No payment, refund or method was made on the foreign account.
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payments WHERE account_id = {}", app.fx.account2)).await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM refunds").await, 0);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payment_methods WHERE account_id = {}", app.fx.account2)).await,
            0
        );
        // No promise was made or cancelled; the owner's approval went through once.
        assert_eq!(app.count("SELECT COUNT(*) FROM promises").await, 1);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM promise_invoices WHERE promise_id = {promise2}")).await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM promises WHERE id = {promise2} AND status = 'active' AND decided_by = {}",
                app.fx.owner
            ))
            .await,
            1
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.approved'").await, 1);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('promise.created', 'promise.cancelled')").await,
            0
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn refused_writes_leave_the_database_untouched() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        for who in [Who::Client1, Who::Collector1, Who::Accountant] {
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
        }
        let collector = app.count(&format!("SELECT collector_id FROM accounts WHERE id = {}", app.fx.account2)).await;
        assert_eq!(collector, app.fx.collector2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'account.%'").await, 0);
        app.finish().await;
    }
}
