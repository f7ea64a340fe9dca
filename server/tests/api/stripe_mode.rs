//! The whole app in Stripe mode, its API calls going to `MockStripe`, each
//! test on both databases. The test plays the browser's part: Stripe.js
//! confirming a SetupIntent or a PaymentIntent is `mock.confirm_*`.

use crate::helpers::{now, spawn_app, spawn_app_stripe, Session, TestApp, BACKENDS};
use crate::mock_stripe::{MockStripe, PUBLISHABLE_KEY, VISA, WEBHOOK_SECRET};
use crate::money::{balance, detail, pay, posted, status_of, text};
use app::payments::events;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn methods_of(app: &TestApp, account: i64) -> i64 {
    app.count(&format!("SELECT COUNT(*) FROM payment_methods WHERE account_id = {account}")).await
}

/// `seti_…` / `pi_…` from its client secret (`{id}_secret_{…}`).
fn intent_of(client_secret: &str) -> String {
    match client_secret.split_once("_secret_") {
        Some((id, _)) => id.to_string(),
        None => panic!("not a client secret: {client_secret}"),
    }
}

async fn start_setup(s: &Session) -> String {
    let res = s.post_form("/api/payments/start_setup", &[("kind", "card")]).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "start_setup: {body}");
    let secret: String = serde_json::from_str(&body).unwrap();
    intent_of(&secret)
}

async fn finish_setup(s: &Session, setup_intent: &str) -> StatusCode {
    s.post_form("/api/payments/finish_setup", &[("setup_intent", setup_intent)]).await.status()
}

/// POSTs an event the way Stripe does: JSON body, `Stripe-Signature`, and
/// no `Origin` nor `Referer` (a server-to-server call, not a browser's).
async fn post_webhook(app: &TestApp, payload: &str, signature: Option<&str>) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let mut req = client
        .post(format!("{}/webhooks/stripe", app.address))
        .header("Content-Type", "application/json; charset=utf-8")
        .header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
        .body(payload.to_string());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    req.send().await.unwrap()
}

/// Signed with the endpoint secret of `spawn_app_stripe`, at the app's time.
fn sign(payload: &str) -> String {
    events::signature_header(WEBHOOK_SECRET.as_bytes(), payload.as_bytes(), now().timestamp())
}

// ---------------------------------------------------------------- saving a method

#[tokio::test]
async fn a_method_confirmed_by_stripe_js_is_saved_for_its_own_customer_only() {
    for backend in BACKENDS {
        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        let c1 = app.login("client1@test.example").await;

        let seti = start_setup(&c1).await;
        assert!(seti.starts_with("seti_"), "{seti}");
        let customer1 = text(
            &app,
            &format!(
                "SELECT customer_ref FROM gateway_customers WHERE account_id = {} AND gateway = 'stripe'",
                app.fx.account1
            ),
        )
        .await;
        assert_eq!(mock.setup_intent_customer(&seti).as_deref(), Some(customer1.as_str()), "{backend:?}");
        let p = mock.last_post("/v1/setup_intents");
        assert_eq!(p.array("allowed_payment_method_types"), vec!["card".to_string()]);
        assert_eq!(p.field("usage"), Some("off_session"));

        // Not confirmed in the browser yet: nothing to save.
        assert_eq!(finish_setup(&c1, &seti).await, StatusCode::CONFLICT, "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_methods").await, 0);

        mock.add_card("pm_card_mastercard", "mastercard", "4444");
        mock.confirm_setup_intent(&seti, "pm_card_mastercard");
        assert_eq!(finish_setup(&c1, &seti).await, StatusCode::OK, "{backend:?}");
        let res = c1.post_form("/api/payments/methods", &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let page: Value = res.json().await.unwrap();
        let list = page["methods"].as_array().unwrap_or_else(|| panic!("{page}"));
        assert_eq!(list.len(), 1, "{page}");
        assert_eq!(list[0]["kind"], "card", "{page}");
        assert_eq!(list[0]["brand"], "mastercard", "{page}");
        assert_eq!(list[0]["last4"], "4444", "{page}");
        assert_eq!(list[0]["is_default"], true, "{page}");
        assert_eq!(page["gateway"]["sandbox"], false);
        assert_eq!(page["gateway"]["publishable_key"], PUBLISHABLE_KEY);
        assert!(!page.to_string().contains("pm_card_mastercard"), "brand and last four only: {page}");
        // Finishing twice (a reload) saves it once.
        assert_eq!(finish_setup(&c1, &seti).await, StatusCode::OK);
        assert_eq!(methods_of(&app, app.fx.account1).await, 1);

        // Other customers' SetupIntents (the mock's seeded ones are succeeded)
        // and made-up ids: answered as missing, nothing saved.
        for foreign in ["seti_card_ok", "seti_sepa_ok", "seti_3MockDoesNotExist"] {
            assert_eq!(finish_setup(&c1, foreign).await, StatusCode::NOT_FOUND, "{backend:?} {foreign}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_methods").await, 1);

        // One client 2 started and confirmed in their own browser.
        let c2 = app.login("client2@test.example").await;
        let seti2 = start_setup(&c2).await;
        mock.add_card("pm_card_amex", "amex", "8431");
        mock.confirm_setup_intent(&seti2, "pm_card_amex");
        assert_eq!(finish_setup(&c1, &seti2).await, StatusCode::NOT_FOUND, "{backend:?}: client 2's SetupIntent");
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_methods").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_methods WHERE gateway_ref = 'pm_card_amex'").await, 0);
        // ...which its own customer saves.
        assert_eq!(finish_setup(&c2, &seti2).await, StatusCode::OK);
        assert_eq!(methods_of(&app, app.fx.account2).await, 1);
        assert_eq!(methods_of(&app, app.fx.account1).await, 1);
        app.finish().await;
    }
}

// ---------------------------------------------------------------- paying

#[tokio::test]
async fn a_new_method_is_confirmed_in_the_browser_and_posted_once() {
    for backend in BACKENDS {
        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        let s = app.login("client1@test.example").await;
        let res = pay(&s, &app.fx.inv1_overdue.to_string(), 30_000, "key-stripe-new", "new").await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        let pid: i64 = target
            .strip_prefix("/portal/payments/")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("{backend:?}: expected the receipt page, got {target}"));
        assert_eq!(status_of(&app, pid).await, "requires_action");
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM payments WHERE id = {pid} AND method_id IS NULL AND one_off_method_ref IS NULL"
            ))
            .await,
            1,
            "the card goes to Stripe, never through us"
        );
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);
        assert_eq!(posted(&app, pid).await, 0);

        let p = mock.last_post("/v1/payment_intents");
        assert_eq!(p.field("automatic_payment_methods[enabled]"), Some("true"));
        assert_eq!(p.field("payment_method"), None);
        assert_eq!(p.field("confirm"), None);
        assert_eq!(p.field("amount"), Some("30000"));
        assert_eq!(p.field("currency"), Some("eur"));
        assert_eq!(p.field("metadata[relance_payment_id]"), Some(pid.to_string().as_str()));
        assert_eq!(p.header("idempotency-key"), Some(format!("relance-payment-{pid}").as_str()));

        // The payer's receipt page gets what the Payment Element needs.
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "requires_action", "{d}");
        assert!(d["summary"]["action_url"].is_null(), "no redirect: {d}");
        assert!(d["summary"]["gateway_ref"].is_null(), "{d}");
        assert_eq!(d["confirm"]["publishable_key"], PUBLISHABLE_KEY, "{d}");
        let secret =
            d["confirm"]["client_secret"].as_str().unwrap_or_else(|| panic!("a client secret: {d}")).to_string();
        let intent = intent_of(&secret);
        assert!(intent.starts_with("pi_"), "{secret}");

        // Staff see the payment, never the secret.
        let owner = app.login("owner@test.example").await;
        let od = detail(&owner, pid).await;
        assert!(od["confirm"].is_null(), "{od}");
        assert!(!od.to_string().contains("_secret_"), "{od}");
        assert_eq!(od["summary"]["gateway_ref"], intent.as_str(), "{od}");
        assert_eq!(od["summary"]["status"], "requires_action", "{od}");

        // Stripe.js confirms it; the payer's page then reads it as paid.
        mock.confirm_payment_intent(&intent, VISA);
        let d = detail(&s, pid).await;
        assert_eq!(d["summary"]["status"], "succeeded", "{backend:?}: {d}");
        assert!(d["confirm"].is_null(), "{d}");
        assert_eq!(d["summary"]["method_label"], "Visa •••• 4242", "named once known: {d}");
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(posted(&app, pid).await, 1);

        // Stripe's own event for it arrives afterwards: acknowledged, nothing more posted.
        let event = json!({
            "id": "evt_3RelancePiSucceeded",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": now().timestamp(),
            "livemode": false,
            "api_version": "2025-09-30.clover",
            "data": { "object": mock.payment_intent(&intent) }
        })
        .to_string();
        let res = post_webhook(&app, &event, Some(&sign(&event))).await;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::OK, "{backend:?}: {body}");
        assert!(body.contains("Ignored"), "already recorded: {body}");
        assert_eq!(posted(&app, pid).await, 1);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM payment_events WHERE event_id = 'evt_3RelancePiSucceeded' AND payment_id = {pid}"
            ))
            .await,
            1
        );
        app.finish().await;
    }
}

// ---------------------------------------------------------------- webhook endpoint

#[tokio::test]
async fn the_webhook_endpoint_accepts_only_stripes_signature() {
    for backend in BACKENDS {
        let ts = now().timestamp();
        let event = json!({
            "id": "evt_3RelanceHook01",
            "object": "event",
            "type": "customer.updated",
            "created": ts,
            "livemode": false,
            "data": { "object": { "id": "cus_3MockUnknown", "object": "customer" } }
        })
        .to_string();

        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        // Forged, stale, unsigned or tampered with: 400, nothing recorded.
        let forged = events::signature_header(b"whsec_not_ours", event.as_bytes(), ts);
        let stale = events::signature_header(WEBHOOK_SECRET.as_bytes(), event.as_bytes(), ts - 600);
        let tampered = event.replace("cus_3MockUnknown", "cus_3MockTampered");
        let genuine = sign(&event);
        // A crafted timestamp used to overflow the age check (a panic).
        let crafted = format!("t={},v1={}", i64::MIN, "00".repeat(32));
        for (what, body, sig) in [
            ("crafted timestamp", event.as_str(), Some(crafted.as_str())),
            ("forged", event.as_str(), Some(forged.as_str())),
            ("stale", event.as_str(), Some(stale.as_str())),
            ("unsigned", event.as_str(), None),
            ("tampered", tampered.as_str(), Some(genuine.as_str())),
        ] {
            let res = post_webhook(&app, body, sig).await;
            assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{backend:?}: {what}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_events").await, 0);

        let res = post_webhook(&app, &event, Some(&genuine)).await;
        let status = res.status();
        let body = res.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::OK, "{backend:?}: Stripe posts without an Origin header: {body}");
        assert_eq!(
            app.count(
                "SELECT COUNT(*) FROM payment_events WHERE gateway = 'stripe' AND event_id = 'evt_3RelanceHook01'"
            )
            .await,
            1
        );
        // Stripe's retry of the same event: acknowledged, recorded once.
        let res = post_webhook(&app, &event, Some(&genuine)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.text().await.unwrap_or_default().contains("Duplicate"));
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_events").await, 1);
        app.finish().await;

        // The sandbox has no Stripe endpoint, even for an event signed with its own key.
        let Some(sandbox) = spawn_app(backend).await else { continue };
        let state = sandbox.state();
        let header = events::signature_header(state.gateway.webhook_secret(), event.as_bytes(), ts);
        let res = post_webhook(&sandbox, &event, Some(&header)).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{backend:?}: sandbox mode");
        assert_eq!(sandbox.count("SELECT COUNT(*) FROM payment_events").await, 0);
        sandbox.finish().await;
    }
}

// ---------------------------------------------------------------- pay-by-link

#[tokio::test]
async fn a_pay_link_hands_its_payment_to_the_payment_element() {
    for backend in BACKENDS {
        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        let owner = app.login("owner@test.example").await;
        let inv = app.fx.inv1_overdue.to_string();
        let res = owner.post_form("/api/payments/pay_link", &[("invoice_id", &inv)]).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let url: String = res.json().await.unwrap();
        let token = url.rsplit('/').next().unwrap().to_string();

        let anon = app.anonymous();
        let view: Value = anon.post_form("/api/paylink/view", &[("token", &token)]).await.json().await.unwrap();
        assert_eq!(view["sandbox"], false, "{view}");
        assert_eq!(view["amount_due"]["minor"], 30_000, "{view}");
        assert!(view["confirm"].is_null(), "{view}");
        let key = view["idempotency_key"].as_str().unwrap_or_else(|| panic!("{view}")).to_string();

        // No card fields: the card goes into Stripe's Payment Element.
        let res = anon
            .post_form(
                "/api/paylink/pay",
                &[("token", token.as_str()), ("idempotency_key", key.as_str()), ("expected_total", "30000")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        let prefix = format!("/pay/{token}?payment=");
        let pid: i64 = target
            .strip_prefix(&prefix)
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("{backend:?}: expected the link's page, got {target}"));
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM payments WHERE id = {pid} AND source = 'link' AND status = 'requires_action'"
            ))
            .await,
            1
        );
        let p = mock.last_post("/v1/payment_intents");
        assert_eq!(p.field("automatic_payment_methods[enabled]"), Some("true"));
        assert_eq!(p.field("payment_method"), None);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);

        let pid_s = pid.to_string();
        let view: Value = anon
            .post_form("/api/paylink/view", &[("token", token.as_str()), ("payment", pid_s.as_str())])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(view["payment"]["status"], "requires_action", "{view}");
        assert_eq!(view["confirm"]["publishable_key"], PUBLISHABLE_KEY, "{view}");
        let secret =
            view["confirm"]["client_secret"].as_str().unwrap_or_else(|| panic!("a client secret: {view}")).to_string();
        let intent = intent_of(&secret);
        let gateway_ref = text(&app, &format!("SELECT COALESCE(gateway_ref, '') FROM payments WHERE id = {pid}")).await;
        assert_eq!(intent, gateway_ref);

        // Confirmed in the browser: the page shows it paid, nothing left to confirm.
        mock.confirm_payment_intent(&intent, VISA);
        let view: Value = anon
            .post_form("/api/paylink/view", &[("token", token.as_str()), ("payment", pid_s.as_str())])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(view["payment"]["status"], "succeeded", "{view}");
        assert!(view["confirm"].is_null(), "{view}");
        assert_eq!(view["amount_due"]["minor"], 0, "{view}");
        assert_eq!(posted(&app, pid).await, 1);
        app.finish().await;
    }
}

// ---------------------------------------------------------------- refunds

/// Pays T-0002 (300,00 €) with a new card confirmed in the browser; returns
/// the payment and its PaymentIntent.
async fn paid_by_card(app: &TestApp, mock: &MockStripe, s: &Session) -> (i64, String) {
    let res = pay(s, &app.fx.inv1_overdue.to_string(), 30_000, "key-refunds", "new").await;
    let target = crate::helpers::next_of(res).await;
    let pid: i64 = target.strip_prefix("/portal/payments/").and_then(|id| id.parse().ok()).unwrap();
    let d = detail(s, pid).await;
    let intent = intent_of(d["confirm"]["client_secret"].as_str().unwrap());
    mock.confirm_payment_intent(&intent, VISA);
    assert_eq!(detail(s, pid).await["summary"]["status"], "succeeded");
    (pid, intent)
}

fn event(id: &str, kind: &str, object: Value) -> String {
    json!({
        "id": id, "object": "event", "type": kind, "created": now().timestamp(), "livemode": false,
        "api_version": "2026-09-30.endive", "data": { "object": object }
    })
    .to_string()
}

async fn deliver(app: &TestApp, payload: &str) -> String {
    let res = post_webhook(app, payload, Some(&sign(payload))).await;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn refund_entries(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind IN ('refund', 'refund_reversal')").await
}

#[tokio::test]
async fn refunds_are_followed_as_stripe_reports_them_and_posted_once() {
    for backend in BACKENDS {
        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        let inv = app.fx.inv1_overdue;
        let s = app.login("client1@test.example").await;
        let (pid, intent) = paid_by_card(&app, &mock, &s).await;
        let owner = app.login("owner@test.example").await;

        // The owner refunds 100,00 €: Stripe says succeeded; posted once.
        let res = owner
            .post_form(
                "/api/payments/refund",
                &[("payment_id", &pid.to_string()), ("amount", "100"), ("reason", "geste")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let refund_ref = text(&app, "SELECT gateway_ref FROM refunds").await;
        assert_eq!(balance(&app, inv).await, 10_000);
        let entries = refund_entries(&app).await;

        // `charge.refunded` no longer lists the refunds: the app asks Stripe,
        // finds its own refund, and records nothing twice.
        let mut charge = json!({ "id": format!("ch_{intent}"), "object": "charge", "payment_intent": intent,
                                 "amount": 30000, "amount_refunded": 10000, "refunded": false });
        deliver(&app, &event("evt_ref_1", "charge.refunded", charge.clone())).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM refunds").await, 1, "{backend:?}: not counted twice");
        assert_eq!(refund_entries(&app).await, entries);
        assert_eq!(balance(&app, inv).await, 10_000);
        assert!(mock.requests().iter().any(|r| r.method == "GET" && r.path == "/v1/refunds"), "listed at Stripe");

        // A refund made in Stripe's dashboard: recorded and posted once.
        let dash = mock.dashboard_refund(&intent, 5_000);
        deliver(&app, &event("evt_ref_2", "refund.created", dash.clone())).await;
        deliver(&app, &event("evt_ref_3", "refund.updated", dash.clone())).await;
        charge["amount_refunded"] = json!(15_000);
        deliver(&app, &event("evt_ref_4", "charge.refunded", charge)).await;
        assert_eq!(
            app.count("SELECT COUNT(*) FROM refunds WHERE reason = 'gateway' AND status = 'succeeded'").await,
            1
        );
        assert_eq!(balance(&app, inv).await, 15_000, "{backend:?}");

        // The bank returns our first refund after all: reversed, once.
        mock.set_refund_status(&refund_ref, "failed", Some("expired_or_canceled_card"));
        let failed = event("evt_ref_5", "refund.failed", mock.refund(&refund_ref));
        deliver(&app, &failed).await;
        assert!(deliver(&app, &failed).await.contains("Duplicate"));
        deliver(&app, &event("evt_ref_6", "refund.updated", mock.refund(&refund_ref))).await;
        assert_eq!(
            text(&app, &format!("SELECT status FROM refunds WHERE gateway_ref = '{refund_ref}'")).await,
            "failed"
        );
        assert_eq!(balance(&app, inv).await, 5_000, "{backend:?}: the 100,00 € are the merchant's again");
        let d = detail(&owner, pid).await;
        assert_eq!(d["summary"]["refunded"]["minor"], 5_000, "{d}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_pending_refund_is_reconciled_and_a_lost_one_sent_again() {
    for backend in BACKENDS {
        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        let state = app.state();
        let inv = app.fx.inv1_overdue;
        let s = app.login("client1@test.example").await;
        let (pid, _) = paid_by_card(&app, &mock, &s).await;
        let owner = app.login("owner@test.example").await;

        // Stripe is down when the owner refunds: the refund waits, unposted.
        mock.fail_next(500, None);
        let res = owner.post_form("/api/payments/refund", &[("payment_id", &pid.to_string()), ("amount", "50")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{backend:?}");
        let id = app.count("SELECT id FROM refunds").await;
        assert_eq!(text(&app, "SELECT status FROM refunds").await, "pending");
        assert_eq!(balance(&app, inv).await, 0);
        // A few minutes later the job sends it again, with the same key.
        let earlier = now() - chrono::Duration::minutes(5);
        app::with_db!(&app.db, |pool| {
            sqlx::query("UPDATE refunds SET created_at = $1")
                .bind(earlier)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .unwrap();
        app::payments::ssr::reconcile_refunds(&state).await.unwrap();
        let posts = mock.posts("/v1/refunds");
        assert_eq!(posts.last().unwrap().header("idempotency-key"), Some(format!("relance-refund-{id}").as_str()));
        assert_eq!(text(&app, "SELECT status FROM refunds").await, "succeeded", "{backend:?}");
        assert_eq!(balance(&app, inv).await, 5_000);

        // A refund Stripe reports as pending (the bank has not returned the
        // money yet) is asked about until it settles, then posted.
        mock.pending_refunds(true);
        let res = owner.post_form("/api/payments/refund", &[("payment_id", &pid.to_string()), ("amount", "20")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let second = text(&app, "SELECT gateway_ref FROM refunds ORDER BY id DESC LIMIT 1").await;
        assert_eq!(text(&app, "SELECT status FROM refunds ORDER BY id DESC LIMIT 1").await, "pending");
        assert_eq!(balance(&app, inv).await, 5_000, "not posted while pending");
        app::payments::ssr::reconcile_refunds(&state).await.unwrap();
        assert_eq!(balance(&app, inv).await, 5_000, "still pending at Stripe");
        mock.set_refund_status(&second, "succeeded", None);
        // Ten minutes later (the job asks at most that often).
        app::with_db!(&app.db, |pool| {
            sqlx::query("UPDATE refunds SET checked_at = $1 WHERE gateway_ref = $2")
                .bind(now() - chrono::Duration::minutes(11))
                .bind(&second)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .unwrap();
        app::payments::ssr::reconcile_refunds(&state).await.unwrap();
        app::payments::ssr::reconcile_refunds(&state).await.unwrap();
        assert_eq!(text(&app, "SELECT status FROM refunds ORDER BY id DESC LIMIT 1").await, "succeeded", "{backend:?}");
        assert_eq!(balance(&app, inv).await, 7_000);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_card_saved_after_moving_from_the_sandbox_to_stripe_becomes_the_default() {
    for backend in BACKENDS {
        let mock = MockStripe::start().await;
        let Some(app) = spawn_app_stripe(backend, &mock.base).await else { continue };
        // The account's default card from the sandbox days.
        app::with_db!(&app.db, |pool| {
            sqlx::query(
                "INSERT INTO payment_methods (account_id, gateway, gateway_ref, kind, brand, last4, exp_month, exp_year,
                     is_default, created_at)
                 VALUES ($1, 'sandbox', 'pm_sbx_old', 'card', 'visa', '4242', 12, 2030, TRUE, $2)",
            )
            .bind(app.fx.account1)
            .bind(now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .unwrap();
        let c1 = app.login("client1@test.example").await;
        let seti = start_setup(&c1).await;
        mock.add_card("pm_card_after_move", "mastercard", "4444");
        mock.confirm_setup_intent(&seti, "pm_card_after_move");
        assert_eq!(finish_setup(&c1, &seti).await, StatusCode::OK, "{backend:?}: used to be a 500");
        let page: Value = c1.post_form("/api/payments/methods", &[]).await.json().await.unwrap();
        let list = page["methods"].as_array().unwrap();
        assert_eq!(list.len(), 1, "only Stripe's methods are offered: {page}");
        assert_eq!(list[0]["last4"], "4444");
        assert_eq!(list[0]["is_default"], true, "{page}");
        app.finish().await;
    }
}
