//! Payment flows beyond the plain card charge, in the sandbox, each on both
//! databases: 3-D Secure, SEPA debits settled later by the bank, disputes
//! and the PDF receipt. Amounts come from the fixture: account 1 owes T-0001
//! (1 200,00 €, not due) and T-0002 (300,00 € left, overdue).

use crate::helpers::{now, spawn_app, Session, TestApp, BACKENDS};
use crate::money::{
    account_balance, add_card, balance, detail, first_method, methods, pay, pay_new_card, payment_by_key, posted,
    status_of, text,
};
use app::payments::events::{self, EventOutcome};
use app::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CARD_OK: &str = "4242424242424242";
/// Stripe's "3-D Secure required" test card.
const CARD_3DS: &str = "4000002760003184";
/// Stripe's SEPA test IBANs: this one is debited...
const IBAN_OK: &str = "DE89370400440532013000";
/// ...and this one is refused by the bank (insufficient funds), later.
const IBAN_FAILS: &str = "DE62370400440532013001";

async fn add_iban(s: &Session, iban: &str) -> reqwest::Response {
    s.post_form("/api/payments/add_method", &[("kind", "sepa_debit"), ("iban", iban), ("holder", "Clara Client")]).await
}

/// The payment id from a `/portal/payments/{id}` target.
fn receipt_id(target: &str) -> i64 {
    target
        .strip_prefix("/portal/payments/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("expected the receipt page, got {target}"))
}

/// Pays the overdue invoice with a saved 4242 card: a succeeded payment.
async fn paid_by_card(app: &TestApp, s: &Session, key: &str) -> i64 {
    assert_eq!(add_card(s, CARD_OK).await.status(), StatusCode::OK);
    let method = first_method(s).await;
    let res = pay(s, &app.fx.inv1_overdue.to_string(), 30_000, key, &method).await;
    assert_eq!(res.status(), StatusCode::OK);
    let id = receipt_id(&crate::helpers::next_of(res).await);
    assert_eq!(status_of(app, id).await, "succeeded");
    id
}

/// The bank answers: every sandbox event still waiting for a later time
/// becomes due now. Returns how many there were.
async fn make_sandbox_events_due(app: &TestApp) -> u64 {
    // A chrono value bound like the sandbox binds `deliver_after` (TEXT on
    // SQLite, TIMESTAMPTZ on PostgreSQL).
    let past = now() - chrono::Duration::seconds(1);
    with_db!(&app.db, |pool| {
        sqlx::query("UPDATE sandbox_events SET deliver_after = $1 WHERE delivered_at IS NULL AND deliver_after > $1")
            .bind(past)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })
    .unwrap()
}

fn contains(body: &[u8], needle: &str) -> bool {
    crate::helpers::body_contains(body, needle)
}

// ---------------------------------------------------------------- 3-D Secure

#[tokio::test]
async fn three_d_secure_posts_nothing_until_approved_then_posts_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        let inv = app.fx.inv1_overdue.to_string();
        let res = pay_new_card(&s, &inv, 30_000, "key-3ds-ok", CARD_3DS).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        let intent = target
            .strip_prefix("/sandbox/authenticate/")
            .unwrap_or_else(|| panic!("{backend:?}: expected the 3-D Secure page, got {target}"))
            .to_string();
        assert!(intent.starts_with("pi_sbx_"), "{target}");
        let pid = payment_by_key(&app, "key-3ds-ok").await;

        // Nothing is posted while the bank waits for the cardholder.
        assert_eq!(status_of(&app, pid).await, "requires_action");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);
        assert_eq!(posted(&app, pid).await, 0);
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "requires_action", "{d}");
        assert_eq!(d["summary"]["method_label"], "Visa •••• 3184", "{d}");
        assert!(d["summary"]["action_url"].as_str().is_some_and(|u| u.ends_with(&target)), "{d}");
        assert!(d["confirm"].is_null(), "no Payment Element in the sandbox: {d}");
        let pending: Value = s.post_form("/api/sandbox/pending", &[("id", &intent)]).await.json().await.unwrap();
        assert_eq!(pending["amount"]["minor"], 30_000, "{pending}");
        // The invoice is held by the payment waiting for authentication.
        let quote = s.post_form("/api/payments/quote", &[("invoices", &inv), ("amount", "")]).await;
        assert_eq!(quote.status(), StatusCode::CONFLICT, "{backend:?}: held by the payment in flight");

        let res = s.post_form("/api/sandbox/authenticate", &[("id", &intent), ("approve", "true")]).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let back = crate::helpers::next_of(res).await;
        assert_eq!(back, format!("/portal/payments/{pid}"));

        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "succeeded", "{d}");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(posted(&app, pid).await, 1);
        assert_eq!(balance(&app, app.fx.inv1_open).await, 120_000, "nothing else was touched");

        // The page works once; late deliveries change nothing.
        let again = s.post_form("/api/sandbox/authenticate", &[("id", &intent), ("approve", "true")]).await;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        assert_eq!(posted(&app, pid).await, 1);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn three_d_secure_refused_fails_the_payment_and_changes_no_balance() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        let inv = app.fx.inv1_overdue.to_string();
        let before = account_balance(&app, app.fx.account1).await;
        let res = pay_new_card(&s, &inv, 30_000, "key-3ds-no", CARD_3DS).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        let intent = target
            .strip_prefix("/sandbox/authenticate/")
            .unwrap_or_else(|| panic!("{backend:?}: expected the 3-D Secure page, got {target}"))
            .to_string();
        let pid = payment_by_key(&app, "key-3ds-no").await;

        let res = s.post_form("/api/sandbox/authenticate", &[("id", &intent), ("approve", "false")]).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let back = crate::helpers::next_of(res).await;
        assert_eq!(back, format!("/portal/payments/{pid}"));

        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "failed", "{d}");
        assert_eq!(d["summary"]["failure"], "DeclineAuthentication", "{d}");
        assert_eq!(status_of(&app, pid).await, "failed");
        assert_eq!(posted(&app, pid).await, 0);
        assert_eq!(account_balance(&app, app.fx.account1).await, before);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        assert_eq!(status_of(&app, pid).await, "failed", "no later event revives it");
        assert_eq!(account_balance(&app, app.fx.account1).await, before);

        // The invoice is free again and can be paid at once.
        let quote = s.post_form("/api/payments/quote", &[("invoices", &inv), ("amount", "")]).await;
        assert_eq!(quote.status(), StatusCode::OK);
        let res = pay_new_card(&s, &inv, 30_000, "key-3ds-retry", CARD_OK).await;
        assert_eq!(res.status(), StatusCode::OK);
        let retry = receipt_id(&crate::helpers::next_of(res).await);
        assert_eq!(status_of(&app, retry).await, "succeeded");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_payer_cancels_a_payment_waiting_for_authentication_and_the_invoice_is_free_again() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        let inv = app.fx.inv1_overdue.to_string();
        let res = pay_new_card(&s, &inv, 30_000, "key-3ds-cancel", CARD_3DS).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        let intent = target.strip_prefix("/sandbox/authenticate/").expect("the 3-D Secure page").to_string();
        let pid = payment_by_key(&app, "key-3ds-cancel").await;
        // Held while it waits.
        let quote = s.post_form("/api/payments/quote", &[("invoices", &inv), ("amount", "")]).await;
        assert_eq!(quote.status(), StatusCode::CONFLICT, "{backend:?}");

        // Nobody else may cancel it: another client (404), staff (403).
        let other = app.login("client2@test.example").await;
        let res = other.post_form("/api/payments/cancel", &[("id", &pid.to_string())]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}");
        let owner = app.login("owner@test.example").await;
        let res = owner.post_form("/api/payments/cancel", &[("id", &pid.to_string())]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{backend:?}");
        assert_eq!(status_of(&app, pid).await, "requires_action");

        let res = s.post_form("/api/payments/cancel", &[("id", &pid.to_string())]).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(crate::helpers::next_of(res).await, format!("/portal/payments/{pid}"));
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "failed", "{d}");
        assert_eq!(d["summary"]["failure"], "PaymentCanceled", "{d}");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'payment.canceled' AND entity_id = {pid}"
            ))
            .await,
            1
        );

        // The bank's page no longer completes it, and its event changes nothing.
        let res = s.post_form("/api/sandbox/authenticate", &[("id", &intent), ("approve", "true")]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}");
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        assert_eq!(status_of(&app, pid).await, "failed");
        assert_eq!(posted(&app, pid).await, 0);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);

        // A second cancel is refused; the invoice can be paid at once.
        let res = s.post_form("/api/payments/cancel", &[("id", &pid.to_string())]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{backend:?}");
        let res = pay_new_card(&s, &inv, 30_000, "key-after-cancel", CARD_OK).await;
        assert_eq!(res.status(), StatusCode::OK);
        let paid = receipt_id(&crate::helpers::next_of(res).await);
        assert_eq!(status_of(&app, paid).await, "succeeded");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        // A succeeded payment cannot be cancelled.
        let res = s.post_form("/api/payments/cancel", &[("id", &paid.to_string())]).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{backend:?}");
        app.finish().await;
    }
}

// ---------------------------------------------------------------- SEPA

#[tokio::test]
async fn a_sepa_debit_is_processing_until_the_bank_settles_it_then_posts_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let s = app.login("client1@test.example").await;
        assert_eq!(add_iban(&s, IBAN_OK).await.status(), StatusCode::OK, "{backend:?}");
        let m = methods(&s).await;
        assert_eq!(m["methods"][0]["kind"], "sepa_debit", "{m}");
        assert_eq!(m["methods"][0]["last4"], "3000", "{m}");
        assert!(!m.to_string().contains(IBAN_OK), "the IBAN is not kept nor shown: {m}");
        let method = first_method(&s).await;

        let inv = app.fx.inv1_overdue.to_string();
        let res = pay(&s, &inv, 30_000, "key-sepa", &method).await;
        assert_eq!(res.status(), StatusCode::OK);
        let pid = receipt_id(&crate::helpers::next_of(res).await);
        assert_eq!(status_of(&app, pid).await, "processing");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000, "not posted before the bank answers");
        assert_eq!(posted(&app, pid).await, 0);
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "processing", "{d}");
        assert_eq!(d["summary"]["method_label"], "SEPA •••• 3000", "{d}");
        assert_eq!(
            s.get(&format!("/payments/{pid}/receipt.pdf")).await.status(),
            StatusCode::NOT_FOUND,
            "no receipt for money not received"
        );

        // What is due now (the debit started) moves nothing; the answer is not due yet.
        events::deliver_sandbox_events(&state).await.unwrap();
        assert_eq!(status_of(&app, pid).await, "processing");
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "processing", "asking the gateway early changes nothing: {d}");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);

        // The bank settles the debit.
        assert_eq!(make_sandbox_events_due(&app).await, 1, "{backend:?}: one settlement waiting");
        assert_eq!(events::deliver_sandbox_events(&state).await.unwrap(), 1);
        assert_eq!(status_of(&app, pid).await, "succeeded");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(posted(&app, pid).await, 1);
        // Delivering again: nothing left, still posted once.
        assert_eq!(events::deliver_sandbox_events(&state).await.unwrap(), 0);
        assert_eq!(posted(&app, pid).await, 1);
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "succeeded", "{d}");
        assert_eq!(s.get(&format!("/payments/{pid}/receipt.pdf")).await.status(), StatusCode::OK);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_refused_sepa_debit_fails_after_settlement_and_changes_no_balance() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let s = app.login("client1@test.example").await;
        // The mandate saves: the bank refuses only when debited.
        assert_eq!(add_iban(&s, IBAN_FAILS).await.status(), StatusCode::OK, "{backend:?}");
        let method = first_method(&s).await;
        let before = account_balance(&app, app.fx.account1).await;
        let inv = app.fx.inv1_overdue.to_string();
        let res = pay(&s, &inv, 30_000, "key-sepa-ko", &method).await;
        assert_eq!(res.status(), StatusCode::OK);
        let pid = receipt_id(&crate::helpers::next_of(res).await);
        assert_eq!(status_of(&app, pid).await, "processing");
        events::deliver_sandbox_events(&state).await.unwrap();
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "processing", "{d}");

        assert_eq!(make_sandbox_events_due(&app).await, 1, "{backend:?}: one settlement waiting");
        assert_eq!(events::deliver_sandbox_events(&state).await.unwrap(), 1);
        assert_eq!(status_of(&app, pid).await, "failed");
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "failed", "{d}");
        assert_eq!(d["summary"]["failure"], "DeclineInsufficientFunds", "{d}");
        assert_eq!(posted(&app, pid).await, 0);
        assert_eq!(account_balance(&app, app.fx.account1).await, before);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);
        // No longer held: the invoice can be paid another way.
        let quote = s.post_form("/api/payments/quote", &[("invoices", &inv), ("amount", "")]).await;
        assert_eq!(quote.status(), StatusCode::OK);
        app.finish().await;
    }
}

// ---------------------------------------------------------------- disputes

#[tokio::test]
async fn a_dispute_flags_the_payment_once_and_leaves_the_ledger_alone() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let s = app.login("client1@test.example").await;
        let pid = paid_by_card(&app, &s, "key-dispute").await;
        let gateway_ref = text(&app, &format!("SELECT COALESCE(gateway_ref, '') FROM payments WHERE id = {pid}")).await;
        assert!(gateway_ref.starts_with("pi_sbx_"), "{gateway_ref}");
        let entries = format!("SELECT COUNT(*) FROM ledger_entries WHERE account_id = {}", app.fx.account1);
        let entries_before = app.count(&entries).await;
        let balance_before = account_balance(&app, app.fx.account1).await;

        let created = now().timestamp();
        let dispute = |event_id: &str| {
            json!({
                "id": event_id,
                "object": "event",
                "type": "charge.dispute.created",
                "created": created,
                "livemode": false,
                "data": { "object": {
                    "id": "dp_1RelanceTest",
                    "object": "dispute",
                    "amount": 30_000,
                    "currency": "eur",
                    "charge": gateway_ref.replace("pi_", "ch_"),
                    "payment_intent": gateway_ref,
                    "reason": "fraudulent",
                    "status": "needs_response",
                    "is_charge_refundable": false,
                    "livemode": false,
                    "metadata": {}
                } }
            })
            .to_string()
        };
        let payload = dispute("evt_dispute_1");
        let header = events::signature_header(state.gateway.webhook_secret(), payload.as_bytes(), created);
        let outcome = events::handle_webhook(&state, payload.as_bytes(), &header).await.unwrap();
        assert_eq!(outcome, EventOutcome::Applied, "{backend:?}");
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payments WHERE id = {pid} AND disputed")).await, 1);
        let audit = format!(
            r#"SELECT COUNT(*) FROM audit_log WHERE action = 'payment.disputed' AND entity_type = 'payment'
             AND entity_id = {pid} AND details = '{{"code":"fraudulent"}}'"#
        );
        assert_eq!(app.count(&audit).await, 1);

        // The same event again: a duplicate. Another event for it: ignored.
        let outcome = events::handle_webhook(&state, payload.as_bytes(), &header).await.unwrap();
        assert_eq!(outcome, EventOutcome::Duplicate);
        let other = dispute("evt_dispute_2");
        let header = events::signature_header(state.gateway.webhook_secret(), other.as_bytes(), created);
        let outcome = events::handle_webhook(&state, other.as_bytes(), &header).await.unwrap();
        assert_eq!(outcome, EventOutcome::Ignored);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'payment.disputed'").await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM payment_events WHERE payment_id = {pid} AND event_type = 'charge.dispute.created'"
            ))
            .await,
            2
        );

        // Money moves only when the dispute is decided: the ledger is untouched.
        assert_eq!(app.count(&entries).await, entries_before);
        assert_eq!(account_balance(&app, app.fx.account1).await, balance_before);
        assert_eq!(status_of(&app, pid).await, "succeeded");
        let owner = app.login("owner@test.example").await;
        let d = detail(&owner, pid).await;
        assert_eq!(d["summary"]["disputed"], true, "{d}");
        app.finish().await;
    }
}

// ---------------------------------------------------------------- PDF receipt

#[tokio::test]
async fn the_pdf_receipt_is_for_the_payer_and_staff_in_scope_only() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client1 = app.login("client1@test.example").await;
        let pid = paid_by_card(&app, &client1, "key-receipt").await;
        let reference = app::payments::payment_reference(pid);
        let path = format!("/payments/{pid}/receipt.pdf");

        let res = client1.get(&path).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(res.headers().get("content-type").unwrap(), "application/pdf");
        let disposition = res.headers().get("content-disposition").unwrap().to_str().unwrap().to_string();
        assert!(disposition.contains(&format!("{reference}.pdf")), "{disposition}");
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF"), "not a PDF");
        assert!(contains(&bytes, &reference), "the receipt names {reference}");
        assert!(contains(&bytes, "T-0002"), "the receipt lists the invoice it settles");

        // Staff whose scope holds account 1.
        for email in ["owner@test.example", "c1@test.example"] {
            let s = app.login(email).await;
            let res = s.get(&path).await;
            assert_eq!(res.status(), StatusCode::OK, "{backend:?} {email}");
            assert!(res.bytes().await.unwrap().starts_with(b"%PDF"), "{email}");
        }
        // Another client, a collector of another account: the same 404 as a missing payment.
        for email in ["client2@test.example", "c2@test.example"] {
            let s = app.login(email).await;
            let res = s.get(&path).await;
            assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?} {email}");
            assert!(!contains(&res.bytes().await.unwrap(), &reference), "{email}: the refusal leaks nothing");
        }
        // A failed payment has no receipt, nor does a payment that does not exist.
        let owner = app.login("owner@test.example").await;
        let failed = owner.get(&format!("/payments/{}/receipt.pdf", app.fx.pay2)).await;
        assert_eq!(failed.status(), StatusCode::NOT_FOUND, "{backend:?}: declined payment");
        assert_eq!(owner.get("/payments/999999/receipt.pdf").await.status(), StatusCode::NOT_FOUND);
        assert_eq!(owner.get("/payments/abc/receipt.pdf").await.status(), StatusCode::NOT_FOUND);

        // Anonymous: sent to sign in (the test client does not follow redirects).
        let res = app.anonymous().get(&path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{backend:?}");
        let location = res.headers().get("location").unwrap().to_str().unwrap().to_string();
        assert!(location.starts_with("/login"), "{location}");
        app.finish().await;
    }
}
