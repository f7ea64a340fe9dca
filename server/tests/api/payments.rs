//! Payments in the sandbox (the offline stand-in for Stripe's test mode):
//! the money guarantees, each on both databases. Amounts come from the
//! fixture: account 1 owes T-0001 (1 200,00 €, not due) and T-0002
//! (300,00 € left, overdue).

use crate::helpers::{spawn_app, Session, BACKENDS};
use crate::money::{account_balance, add_card, balance};
use app::payments::{events, jobs, ssr, Selection};
use reqwest::StatusCode;
use serde_json::Value;

const CARD_OK: &str = "4242424242424242";
const CARD_DECLINED: &str = "4000000000000002";

async fn first_method(s: &Session) -> i64 {
    let v: Value = s.post_form("/api/payments/methods", &[]).await.json().await.unwrap();
    v["methods"][0]["id"].as_i64().expect("a saved method")
}

async fn pay(s: &Session, invoices: &str, amount: &str, total: i64, key: &str, method: &str) -> reqwest::Response {
    let total = total.to_string();
    s.post_form(
        "/api/payments/pay",
        &[
            ("invoices", invoices),
            ("amount", amount),
            ("expected_total", &total),
            ("idempotency_key", key),
            ("method", method),
        ],
    )
    .await
}

#[tokio::test]
async fn a_client_saves_a_card_and_pays_two_invoices_at_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        assert_eq!(add_card(&s, CARD_OK).await.status(), StatusCode::OK);
        let method = first_method(&s).await.to_string();
        let invoices = format!("{},{}", app.fx.inv1_open, app.fx.inv1_overdue);

        let quote: Value =
            s.post_form("/api/payments/quote", &[("invoices", &invoices), ("amount", "")]).await.json().await.unwrap();
        assert_eq!(quote["plan"]["total"]["minor"], 150_000, "{quote}");
        assert_eq!(quote["gateway"]["sandbox"], true);

        let res = pay(&s, &invoices, "", 150_000, "key-1", &method).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let target = crate::helpers::next_of(res).await;
        let id: i64 = target.rsplit('/').next().unwrap().parse().unwrap();
        let detail: Value = s.post_form("/api/payments/detail", &[("id", &id.to_string())]).await.json().await.unwrap();
        assert_eq!(detail["summary"]["status"], "succeeded", "{detail}");
        assert!(detail["summary"]["gateway_ref"].is_null(), "clients do not see gateway ids");

        assert_eq!(balance(&app, app.fx.inv1_open).await, 0);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE payment_id = {id}")).await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%P-0000%'").await, 1, "one receipt");

        // The same sandbox events arriving later change nothing.
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE payment_id = {id}")).await, 2);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM payment_events WHERE payment_id = {id}")).await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_declined_card_is_explained_and_changes_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        // Declined when saving, as at Stripe: nothing saved.
        let res = add_card(&s, CARD_DECLINED).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!({ "Refused": "DeclineGeneric" }));
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_methods").await, 0);

        // A card that saves but whose charges fail: the payment fails, no balance moves.
        assert_eq!(add_card(&s, "4000000000000341").await.status(), StatusCode::OK);
        let method = first_method(&s).await.to_string();
        let before = account_balance(&app, app.fx.account1).await;
        let inv = app.fx.inv1_overdue.to_string();
        let target = crate::helpers::next_of(pay(&s, &inv, "", 30_000, "key-d", &method).await).await;
        let id = target.rsplit('/').next().unwrap().to_string();
        let detail: Value = s.post_form("/api/payments/detail", &[("id", &id)]).await.json().await.unwrap();
        assert_eq!(detail["summary"]["status"], "failed");
        assert_eq!(detail["summary"]["failure"], "DeclineGeneric");
        assert_eq!(account_balance(&app, app.fx.account1).await, before);
        // The invoice can be paid again at once.
        assert_eq!(pay(&s, &inv, "", 30_000, "key-e", &method).await.status(), StatusCode::OK);
        app.finish().await;
    }
}

#[tokio::test]
async fn amounts_come_from_balances_not_from_the_browser() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        add_card(&s, CARD_OK).await;
        let method = first_method(&s).await.to_string();
        let inv = app.fx.inv1_overdue.to_string();
        // A tampered total is refused before anything is charged.
        assert_eq!(pay(&s, &inv, "", 1, "key-t", &method).await.status(), StatusCode::CONFLICT);
        // Another account's invoice, even with its right amount.
        let foreign = app.fx.inv2_open.to_string();
        assert_eq!(pay(&s, &foreign, "", 99_900, "key-f", &method).await.status(), StatusCode::NOT_FOUND);
        // Nonsense amounts.
        assert_eq!(pay(&s, "", "-5", 0, "key-n", &method).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payments WHERE account_id = {}", app.fx.account1)).await,
            0
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM sandbox_objects WHERE kind = 'payment_intent'").await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_chosen_amount_pays_the_oldest_first_and_the_rest_becomes_credit() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        add_card(&s, CARD_OK).await;
        let method = first_method(&s).await.to_string();
        // 400 €: 300 € settle the overdue T-0002, 100 € go to T-0001.
        let res = pay(&s, "", "400", 40_000, "key-a", &method).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(balance(&app, app.fx.inv1_open).await, 110_000);
        // Paying more than is owed: the surplus is credit, applied to the next invoice.
        let res = pay(&s, "", "1500", 150_000, "key-b", &method).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(balance(&app, app.fx.inv1_open).await, 0);
        assert_eq!(account_balance(&app, app.fx.account1).await, -40_000, "40 € of credit");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_double_click_or_a_retry_makes_one_charge() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        add_card(&s, CARD_OK).await;
        let method = first_method(&s).await.to_string();
        let inv = app.fx.inv1_overdue.to_string();
        let clicks = (0..5).map(|_| pay(&s, &inv, "", 30_000, "same-key", &method));
        for res in futures::future::join_all(clicks).await {
            assert_eq!(res.status(), StatusCode::OK);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE idempotency_key = 'same-key'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM sandbox_objects WHERE kind = 'payment_intent'").await, 1);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM ledger_entries WHERE kind = 'payment' AND payment_id IS NOT NULL").await,
            1
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn each_webhook_event_is_applied_once_and_forgeries_are_refused() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let new = ssr::NewPayment {
            account_id: app.fx.account1,
            selection: Selection::Invoices(vec![app.fx.inv1_overdue]),
            expected_total: None,
            idempotency_key: "webhook-test",
            method_id: None,
            one_off: None,
            source: "portal",
            actor: None,
        };
        let (pid, _) = ssr::create_payment(&state, &new).await.unwrap();
        let now = state.clock.now().timestamp();
        let event = |id: &str, kind: &str, status: &str| {
            serde_json::json!({
                "id": id, "type": kind, "created": now,
                "data": { "object": { "id": "pi_sbx_test", "object": "payment_intent", "status": status,
                    "metadata": { "relance_payment_id": pid.to_string() } } }
            })
            .to_string()
        };
        let secret = state.gateway.webhook_secret().to_vec();
        let signed = |payload: &str| events::signature_header(&secret, payload.as_bytes(), now);

        // Forged or stale: refused, nothing recorded.
        let ok = event("evt_1", "payment_intent.succeeded", "succeeded");
        assert!(events::handle_webhook(&state, ok.as_bytes(), &events::signature_header(b"wrong", ok.as_bytes(), now))
            .await
            .is_err());
        let stale = events::signature_header(&secret, ok.as_bytes(), now - 600);
        assert!(events::handle_webhook(&state, ok.as_bytes(), &stale).await.is_err());
        assert_eq!(app.count("SELECT COUNT(*) FROM payment_events").await, 0);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);

        // Ten concurrent deliveries of the same event, plus a late "processing".
        let header = signed(&ok);
        let deliveries = (0..10).map(|_| events::handle_webhook(&state, ok.as_bytes(), &header));
        let outcomes = futures::future::join_all(deliveries).await;
        let applied = outcomes.iter().filter(|o| matches!(o, Ok(events::EventOutcome::Applied))).count();
        assert_eq!(applied, 1, "{outcomes:?}");
        let late = event("evt_0", "payment_intent.processing", "processing");
        assert_eq!(
            events::handle_webhook(&state, late.as_bytes(), &signed(&late)).await.unwrap(),
            events::EventOutcome::Ignored
        );
        let failed = event("evt_2", "payment_intent.payment_failed", "requires_payment_method");
        assert_eq!(
            events::handle_webhook(&state, failed.as_bytes(), &signed(&failed)).await.unwrap(),
            events::EventOutcome::Ignored
        );

        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE payment_id = {pid}")).await, 1);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM payments WHERE id = {pid} AND status = 'succeeded'")).await,
            1
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_crash_between_charge_and_ledger_is_recovered_from_events() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let s = app.login("client1@test.example").await;
        add_card(&s, CARD_OK).await;
        let method = first_method(&s).await;
        let new = ssr::NewPayment {
            account_id: app.fx.account1,
            selection: Selection::Invoices(vec![app.fx.inv1_overdue]),
            expected_total: Some(30_000),
            idempotency_key: "crash",
            method_id: Some(method),
            one_off: None,
            source: "portal",
            actor: None,
        };
        let (pid, _) = ssr::create_payment(&state, &new).await.unwrap();
        // The gateway charges... and the server dies before recording it.
        let customer = ssr::customer_ref(&state, app.fx.account1).await.unwrap();
        let method_ref: String = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT gateway_ref FROM payment_methods WHERE id = $1")
                .bind(method)
                .fetch_one(pool)
                .await
        })
        .unwrap();
        let req = app::payments::gateway::ChargeRequest {
            payment_id: pid,
            customer_ref: customer,
            method_ref: Some(method_ref),
            amount_minor: 30_000,
            currency: "EUR".into(),
            off_session: false,
            save_method: false,
            idempotency_key: format!("relance-payment-{pid}"),
            description: String::new(),
            return_url: String::new(),
        };
        let charged = state.gateway.charge(&req).await.unwrap();
        assert_eq!(charged.status, app::payments::gateway::ChargeStatus::Succeeded);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000, "not yet in the ledger");

        // On restart, the gateway's events (and the reconciliation job) catch up, once.
        jobs::run_once(&state).await;
        jobs::run_once(&state).await;
        ssr::charge(&state, pid, None, "").await.unwrap();
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE payment_id = {pid}")).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM sandbox_objects WHERE kind = 'payment_intent'").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn autopay_charges_a_due_invoice_once_even_when_run_concurrently() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let s = app.login("client1@test.example").await;
        add_card(&s, CARD_OK).await;
        let method = first_method(&s).await.to_string();
        let res = s.post_form("/api/payments/method_action", &[("method_id", &method), ("action", "autopay_on")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        // Enrolled today: invoices falling due from today on, like this one.
        let due_today = crate::money::issue_invoice(&app, app.fx.account1, "T-AUTO", 0, 12_000).await;
        let runs = (0..4).map(|_| jobs::run_autopay(&state));
        futures::future::join_all(runs).await;
        jobs::run_autopay(&state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE source = 'autopay'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM sandbox_objects WHERE kind = 'payment_intent'").await, 1);
        assert_eq!(balance(&app, due_today).await, 0);
        // Not yet due: left alone.
        assert_eq!(balance(&app, app.fx.inv1_open).await, 120_000);
        // The overdue invoice predates the enrolment: autopay leaves it alone.
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 30_000);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_owner_refunds_part_of_a_payment_and_the_invoice_reopens() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let s = app.login("client1@test.example").await;
        add_card(&s, CARD_OK).await;
        let method = first_method(&s).await.to_string();
        let inv = app.fx.inv1_overdue.to_string();
        let target = crate::helpers::next_of(pay(&s, &inv, "", 30_000, "key-r", &method).await).await;
        let id = target.rsplit('/').next().unwrap().to_string();
        let owner = app.login("owner@test.example").await;
        // Collectors cannot refund; more than was paid is refused.
        let c1 = app.login("c1@test.example").await;
        assert_eq!(
            c1.post_form("/api/payments/refund", &[("payment_id", &id), ("amount", "10")]).await.status(),
            StatusCode::FORBIDDEN
        );
        let too_much = owner.post_form("/api/payments/refund", &[("payment_id", &id), ("amount", "301")]).await;
        assert_eq!(too_much.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = owner
            .post_form("/api/payments/refund", &[("payment_id", &id), ("amount", "100"), ("reason", "goodwill")])
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 10_000);
        // The gateway's charge.refunded event for it changes nothing more.
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 10_000);
        assert_eq!(app.count("SELECT COUNT(*) FROM refunds").await, 1);
        let detail: Value = owner.post_form("/api/payments/detail", &[("id", &id)]).await.json().await.unwrap();
        assert_eq!(detail["summary"]["refunded"]["minor"], 10_000);
        assert!(detail["summary"]["gateway_ref"].as_str().unwrap().starts_with("pi_sbx_"));
        app.finish().await;
    }
}

#[tokio::test]
async fn a_pay_link_pays_one_invoice_without_a_password() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let c1 = app.login("c1@test.example").await;
        let inv = app.fx.inv1_overdue.to_string();
        let url: String = c1.post_form("/api/payments/pay_link", &[("invoice_id", &inv)]).await.json().await.unwrap();
        let token = url.rsplit('/').next().unwrap().to_string();
        let anon = app.anonymous();
        let view: Value = anon.post_form("/api/paylink/view", &[("token", &token)]).await.json().await.unwrap();
        assert_eq!(view["invoice_number"], "T-0002");
        assert_eq!(view["amount_due"]["minor"], 30_000);
        assert!(!view.to_string().contains("T-0001"), "the link shows that invoice only");
        // A tampered token opens nothing.
        let mut bad = token.clone();
        bad.replace_range(bad.len() - 3.., "AAA");
        assert_eq!(anon.post_form("/api/paylink/view", &[("token", &bad)]).await.status(), StatusCode::BAD_REQUEST);
        let key = view["idempotency_key"].as_str().unwrap();
        let res = crate::money::pay_by_link(&anon, &token, key, 30_000).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(balance(&app, app.fx.inv1_overdue).await, 0);
        assert_eq!(balance(&app, app.fx.inv1_open).await, 120_000, "nothing else was touched");
        app.finish().await;
    }
}
