//! `StripeGateway` against a local stand-in for Stripe's API
//! (`mock_stripe.rs`): form-encoded requests in, Stripe-shaped JSON out,
//! idempotency keys replayed like Stripe does, every request recorded.

use crate::mock_stripe::{MockStripe, Recorded, CUSTOMER, DECLINED, RETURN_URL, SECRET, SEPA, THREE_DS, VISA};
use app::payments::gateway::{
    ChargeRequest, ChargeStatus, CustomerRequest, Gateway, GatewayError, GatewayMode, MethodDetails, MethodKind,
    RefundRequest, RefundStatus, SetupStatus,
};
use server::stripe::StripeGateway;

fn charge_req(payment_id: i64, method: Option<&str>, off_session: bool, key: &str) -> ChargeRequest {
    ChargeRequest {
        payment_id,
        customer_ref: CUSTOMER.into(),
        method_ref: method.map(str::to_string),
        amount_minor: 12_345,
        currency: "EUR".into(),
        off_session,
        save_method: false,
        idempotency_key: key.into(),
        description: "Relance: invoice F-2026-0042".into(),
        return_url: RETURN_URL.into(),
    }
}

fn customer_req() -> CustomerRequest {
    CustomerRequest { account_id: 7, name: "Dupont SARL".into(), email: "compta@dupont.example".into() }
}

// ---------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn mode_name_and_secrets() {
    let gw = StripeGateway::new(SECRET, "pk_test_abc", "whsec_abc", Some("http://127.0.0.1:9")).expect("gateway");
    assert_eq!(gw.name(), "stripe");
    assert_eq!(gw.mode(), GatewayMode::Stripe { publishable_key: "pk_test_abc".into(), live: false });
    assert_eq!(gw.webhook_secret(), b"whsec_abc");
    assert!(gw.as_sandbox().is_none());
    let shown = format!("{gw:?}");
    assert!(!shown.contains(SECRET) && !shown.contains("whsec_abc"), "{shown}");

    let live = StripeGateway::new("sk_live_51abc", "pk_live_abc", "whsec_abc", None).expect("live gateway");
    assert_eq!(live.mode(), GatewayMode::Stripe { publishable_key: "pk_live_abc".into(), live: true });
}

#[tokio::test]
async fn create_customer_sends_idempotency_key_and_repeats_return_the_same_customer() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let first = gw.create_customer(&customer_req()).await.expect("customer");
    let second = gw.create_customer(&customer_req()).await.expect("customer again");
    assert!(first.starts_with("cus_"), "{first}");
    assert_eq!(first, second);
    assert_eq!(mock.created("customer"), 1);

    let posts = mock.posts("/v1/customers");
    assert_eq!(posts.len(), 2);
    let bearer = format!("Bearer {SECRET}");
    for p in &posts {
        assert_eq!(p.header("authorization"), Some(bearer.as_str()));
        assert_eq!(p.header("idempotency-key"), Some("relance-customer-7"));
        assert_eq!(p.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert!(p.header("stripe-version").is_some());
        assert_eq!(p.field("name"), Some("Dupont SARL"));
        assert_eq!(p.field("email"), Some("compta@dupont.example"));
        assert_eq!(p.field("metadata[relance_account_id]"), Some("7"));
    }
}

#[tokio::test]
async fn off_session_charge_with_a_saved_card_succeeds() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(42, Some(VISA), true, "relance-payment-42")).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::Succeeded);
    assert!(out.gateway_ref.starts_with("pi_"), "{}", out.gateway_ref);
    assert_eq!(out.method_ref.as_deref(), Some(VISA));
    assert!(out.client_secret.as_deref().is_some_and(|s| s.starts_with(&format!("{}_secret_", out.gateway_ref))));

    let p = mock.last_post("/v1/payment_intents");
    assert_eq!(p.header("authorization"), Some(format!("Bearer {SECRET}").as_str()));
    assert_eq!(p.header("idempotency-key"), Some("relance-payment-42"));
    assert_eq!(p.field("amount"), Some("12345"));
    assert_eq!(p.field("currency"), Some("eur"));
    assert_eq!(p.field("customer"), Some(CUSTOMER));
    assert_eq!(p.field("payment_method"), Some(VISA));
    assert_eq!(p.field("confirm"), Some("true"));
    assert_eq!(p.field("off_session"), Some("true"));
    assert_eq!(p.field("metadata[relance_payment_id]"), Some("42"));
    assert_eq!(p.field("description"), Some("Relance: invoice F-2026-0042"));
    assert_eq!(p.field("return_url"), None, "no return_url off-session");
    assert_eq!(p.field("automatic_payment_methods[enabled]"), None);

    // Reconciliation reads the same intent back.
    let back = gw.retrieve_charge(&out.gateway_ref).await.expect("retrieve");
    assert_eq!(back.gateway_ref, out.gateway_ref);
    assert_eq!(back.status, ChargeStatus::Succeeded);
    assert!(mock
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path == format!("/v1/payment_intents/{}", out.gateway_ref)));
}

#[tokio::test]
async fn a_declined_card_is_a_failed_charge_not_an_error() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(43, Some(DECLINED), true, "relance-payment-43")).await.expect("402 is an outcome");
    assert_eq!(out.status, ChargeStatus::Failed { code: "insufficient_funds".into() });
    assert!(out.gateway_ref.starts_with("pi_"), "the intent from the error body: {:?}", out.gateway_ref);
    assert_eq!(out.method_ref.as_deref(), Some(DECLINED));
    assert_eq!(mock.created("payment_intent"), 1);

    // Reading it back: requires_payment_method with last_payment_error.
    let back = gw.retrieve_charge(&out.gateway_ref).await.expect("retrieve");
    assert_eq!(back.status, ChargeStatus::Failed { code: "insufficient_funds".into() });
}

#[tokio::test]
async fn three_d_secure_on_session_needs_the_customer_and_fails_off_session() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(44, Some(THREE_DS), false, "relance-payment-44")).await.expect("charge");
    match &out.status {
        ChargeStatus::RequiresAction { url: Some(url) } => assert!(url.contains("3d_secure"), "{url}"),
        other => panic!("expected a 3-D Secure redirect, got {other:?}"),
    }
    let p = mock.last_post("/v1/payment_intents");
    assert_eq!(p.field("return_url"), Some(RETURN_URL));
    assert_eq!(p.field("off_session"), None);
    assert_eq!(p.field("confirm"), Some("true"));

    let auto = gw.charge(&charge_req(45, Some(THREE_DS), true, "relance-payment-45")).await.expect("charge");
    assert_eq!(auto.status, ChargeStatus::Failed { code: "authentication_required".into() });
    assert!(auto.gateway_ref.starts_with("pi_"));
}

#[tokio::test]
async fn sepa_debit_charge_is_processing_and_its_refund_pending() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(46, Some(SEPA), true, "relance-payment-46")).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::Processing);
    assert_eq!(mock.last_post("/v1/payment_intents").field("payment_method"), Some(SEPA));

    let refund = gw
        .refund(&RefundRequest {
            payment_ref: out.gateway_ref.clone(),
            amount_minor: 12_345,
            idempotency_key: "relance-refund-3".into(),
            refund_id: 3,
        })
        .await
        .expect("refund");
    assert_eq!(refund.status, RefundStatus::Pending);
}

#[tokio::test]
async fn a_retried_charge_returns_the_same_intent() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let req = charge_req(47, Some(VISA), true, "relance-payment-47-attempt-1");
    let first = gw.charge(&req).await.expect("charge");
    let again = gw.charge(&req).await.expect("retry");
    assert_eq!(first.gateway_ref, again.gateway_ref);
    assert_eq!(again.status, ChargeStatus::Succeeded);
    assert_eq!(mock.created("payment_intent"), 1);
    let keys: Vec<_> =
        mock.posts("/v1/payment_intents").iter().map(|p| p.header("idempotency-key").map(str::to_string)).collect();
    assert_eq!(keys, vec![Some(req.idempotency_key.clone()), Some(req.idempotency_key.clone())]);

    // A declined charge replays its decline (and its intent) too.
    let declined = charge_req(48, Some(DECLINED), true, "relance-payment-48-attempt-1");
    let a = gw.charge(&declined).await.expect("decline");
    let b = gw.charge(&declined).await.expect("decline again");
    assert_eq!(a.gateway_ref, b.gateway_ref);
    assert_eq!(b.status, ChargeStatus::Failed { code: "insufficient_funds".into() });
    assert_eq!(mock.created("payment_intent"), 2);
}

#[tokio::test]
async fn payment_element_charge_is_confirmed_by_the_browser() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let mut req = charge_req(49, None, false, "relance-payment-49");
    req.save_method = true;
    let out = gw.charge(&req).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::RequiresAction { url: None });
    assert!(out.client_secret.as_deref().is_some_and(|s| s.contains("_secret_")));
    assert_eq!(out.method_ref, None);

    let p = mock.last_post("/v1/payment_intents");
    assert_eq!(p.field("automatic_payment_methods[enabled]"), Some("true"));
    assert_eq!(p.field("setup_future_usage"), Some("off_session"));
    assert_eq!(p.field("confirm"), None);
    assert_eq!(p.field("payment_method"), None);
    assert_eq!(p.field("metadata[relance_payment_id]"), Some("49"));
}

#[tokio::test]
async fn a_payment_waiting_for_the_payer_can_be_cancelled_once() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(50, None, false, "relance-payment-50")).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::RequiresAction { url: None });

    let canceled = gw.cancel_charge(&out.gateway_ref).await.expect("cancel");
    assert_eq!(canceled.gateway_ref, out.gateway_ref);
    assert_eq!(canceled.status, ChargeStatus::Failed { code: "canceled".into() });
    let p = mock.last_post(&format!("/v1/payment_intents/{}/cancel", out.gateway_ref));
    assert_eq!(p.field("cancellation_reason"), Some("requested_by_customer"));

    // Already cancelled, or succeeded: Stripe refuses, and so do we.
    match gw.cancel_charge(&out.gateway_ref).await {
        Err(GatewayError::Refused { code }) => assert_eq!(code, "payment_intent_unexpected_state"),
        other => panic!("a second cancel must be refused, got {other:?}"),
    }
    let ok = gw.charge(&charge_req(51, Some(VISA), false, "relance-payment-51")).await.expect("charge");
    assert_eq!(ok.status, ChargeStatus::Succeeded);
    assert!(matches!(gw.cancel_charge(&ok.gateway_ref).await, Err(GatewayError::Refused { .. })));
    assert!(matches!(gw.cancel_charge("pi_missing").await, Err(GatewayError::Refused { .. })));
}

#[tokio::test]
async fn setup_intents_start_and_report_their_method() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();

    let card = gw.start_setup(CUSTOMER, MethodKind::Card).await.expect("setup");
    assert!(card.setup_ref.starts_with("seti_"), "{}", card.setup_ref);
    assert!(card.client_secret.starts_with(&format!("{}_secret_", card.setup_ref)));
    let p = mock.last_post("/v1/setup_intents");
    assert_eq!(p.field("customer"), Some(CUSTOMER));
    assert_eq!(p.field("usage"), Some("off_session"));
    assert_eq!(p.array("allowed_payment_method_types"), vec!["card".to_string()]);
    let first_key = p.header("idempotency-key").expect("idempotency key").to_string();

    let sepa = gw.start_setup(CUSTOMER, MethodKind::SepaDebit).await.expect("sepa setup");
    assert_ne!(sepa.setup_ref, card.setup_ref);
    let p = mock.last_post("/v1/setup_intents");
    assert_eq!(p.array("allowed_payment_method_types"), vec!["sepa_debit".to_string()]);
    assert_ne!(p.header("idempotency-key"), Some(first_key.as_str()), "a fresh key per setup");

    // Not confirmed by the browser yet.
    assert_eq!(gw.setup_status(&card.setup_ref, CUSTOMER).await.expect("status"), SetupStatus::Pending);
    assert_eq!(gw.setup_status("seti_card_3ds", CUSTOMER).await.expect("status"), SetupStatus::Pending);

    let done = gw.setup_status("seti_card_ok", CUSTOMER).await.expect("status");
    assert_eq!(
        done,
        SetupStatus::Succeeded(MethodDetails {
            gateway_ref: VISA.into(),
            kind: MethodKind::Card,
            brand: "visa".into(),
            last4: "4242".into(),
            exp_month: Some(12),
            exp_year: Some(2034),
        })
    );
    let get = mock
        .requests()
        .into_iter()
        .rfind(|r| r.method == "GET" && r.path == "/v1/setup_intents/seti_card_ok")
        .expect("GET setup intent");
    assert!(get.query.iter().any(|(k, v)| k.starts_with("expand") && v == "payment_method"), "{:?}", get.query);

    let sepa_done = gw.setup_status("seti_sepa_ok", CUSTOMER).await.expect("status");
    assert_eq!(
        sepa_done,
        SetupStatus::Succeeded(MethodDetails {
            gateway_ref: SEPA.into(),
            kind: MethodKind::SepaDebit,
            brand: "37040044".into(),
            last4: "3000".into(),
            exp_month: None,
            exp_year: None,
        })
    );

    assert_eq!(
        gw.setup_status("seti_card_declined", CUSTOMER).await.expect("status"),
        SetupStatus::Failed { code: "do_not_honor".into() }
    );

    // The id comes from the browser: another customer's SetupIntent, even a
    // succeeded one, is answered as missing and its method is not reported.
    match gw.setup_status("seti_card_ok", "cus_SomeoneElse").await {
        Err(GatewayError::Refused { code }) => assert_eq!(code, "resource_missing"),
        other => panic!("another customer's setup must be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn method_details_and_detach() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let sepa = gw.method_details(SEPA).await.expect("details");
    assert_eq!(sepa.kind, MethodKind::SepaDebit);
    assert_eq!(sepa.brand, "37040044");
    assert_eq!(sepa.last4, "3000");
    assert_eq!((sepa.exp_month, sepa.exp_year), (None, None));

    let card = gw.method_details(VISA).await.expect("details");
    assert_eq!((card.kind, card.brand.as_str(), card.last4.as_str()), (MethodKind::Card, "visa", "4242"));
    assert_eq!((card.exp_month, card.exp_year), (Some(12), Some(2034)));

    gw.detach_method(VISA).await.expect("detach");
    assert_eq!(mock.posts(&format!("/v1/payment_methods/{VISA}/detach")).len(), 1);

    let err = gw.method_details("pm_does_not_exist").await.expect_err("unknown method");
    assert!(matches!(&err, GatewayError::Refused { code } if code == "resource_missing"), "{err:?}");
}

#[tokio::test]
async fn partial_refund_succeeds() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let paid = gw.charge(&charge_req(50, Some(VISA), true, "relance-payment-50")).await.expect("charge");
    let req = RefundRequest {
        payment_ref: paid.gateway_ref.clone(),
        amount_minor: 500,
        idempotency_key: "relance-refund-9".into(),
        refund_id: 9,
    };
    let out = gw.refund(&req).await.expect("refund");
    assert_eq!(out.status, RefundStatus::Succeeded);
    assert!(out.gateway_ref.starts_with("re_"), "{}", out.gateway_ref);

    let p = mock.last_post("/v1/refunds");
    assert_eq!(p.header("idempotency-key"), Some("relance-refund-9"));
    assert_eq!(p.field("payment_intent"), Some(paid.gateway_ref.as_str()));
    assert_eq!(p.field("amount"), Some("500"));
    assert_eq!(p.field("metadata[relance_refund_id]"), Some("9"));

    // Same key: same refund, created once.
    let again = gw.refund(&req).await.expect("refund again");
    assert_eq!(again.gateway_ref, out.gateway_ref);
    assert_eq!(mock.created("refund"), 1);
}

#[tokio::test]
async fn every_create_carries_an_idempotency_key() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    gw.create_customer(&customer_req()).await.expect("customer");
    gw.start_setup(CUSTOMER, MethodKind::Card).await.expect("setup");
    let paid = gw.charge(&charge_req(51, Some(VISA), true, "relance-payment-51")).await.expect("charge");
    gw.charge(&charge_req(52, None, false, "relance-payment-52")).await.expect("charge");
    gw.refund(&RefundRequest {
        payment_ref: paid.gateway_ref,
        amount_minor: 100,
        idempotency_key: "relance-refund-11".into(),
        refund_id: 11,
    })
    .await
    .expect("refund");

    let creates: Vec<Recorded> = mock
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && ["/v1/customers", "/v1/setup_intents", "/v1/payment_intents", "/v1/refunds"]
                    .contains(&r.path.as_str())
        })
        .collect();
    assert_eq!(creates.len(), 5);
    for r in &creates {
        assert!(r.header("idempotency-key").is_some_and(|k| !k.is_empty()), "{} without a key", r.path);
    }
}

#[tokio::test]
async fn server_errors_and_network_failures_are_unavailable() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();

    mock.fail_next(500, None);
    let err = gw.create_customer(&customer_req()).await.expect_err("500");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    // A 5xx is not kept for the key: the retry goes through.
    let id = gw.create_customer(&customer_req()).await.expect("retry after 500");
    assert!(id.starts_with("cus_"));

    mock.fail_next(502, Some("<html><body>502 Bad Gateway</body></html>"));
    let err = gw.charge(&charge_req(53, Some(VISA), true, "relance-payment-53")).await.expect_err("502");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");

    mock.fail_next(
        429,
        Some(r#"{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}"#),
    );
    let err = gw.retrieve_charge("pi_whatever").await.expect_err("429");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");

    // Nothing listens on this port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let gone =
        StripeGateway::new(SECRET, "pk_test_x", "whsec_x", Some(&format!("http://127.0.0.1:{port}"))).expect("gateway");
    let err = gone.retrieve_charge("pi_whatever").await.expect_err("connection refused");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn invalid_requests_are_refused() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let err = gw.charge(&charge_req(54, Some("pm_unknown"), true, "relance-payment-54")).await.expect_err("400");
    assert!(matches!(&err, GatewayError::Refused { code } if code == "resource_missing"), "{err:?}");

    let wrong_key = StripeGateway::new("sk_test_wrong", "pk_test_x", "whsec_x", Some(&mock.base)).expect("gateway");
    let err = wrong_key.retrieve_charge("pi_whatever").await.expect_err("401");
    assert!(!matches!(err, GatewayError::Unavailable(_)), "{err:?}");
}
