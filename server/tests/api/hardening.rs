//! Defects found by review, each proved fixed on both databases: test money
//! that could reach a real deployment, crafted input that used to panic,
//! single-use links readable by someone else, pay links that could not be
//! turned off.

use crate::helpers::{spawn_app, test_settings, TestApp, BACKENDS};
use app::db::Clock;
use reqwest::StatusCode;
use serde_json::Value;
use server::startup::Application;

async fn alive(app: &TestApp) {
    let res = app.anonymous().get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK, "the server still answers");
}

#[tokio::test]
async fn a_public_server_without_stripe_keys_refuses_test_money_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("public.db").display());
    let mut settings = test_settings(dir.path(), url.clone(), false);
    settings.public_url = "https://pay.example.com".into();
    let err = match Application::build(settings.clone(), Clock::Fixed(crate::helpers::now())).await {
        Ok(_) => panic!("a public server started its payments in the sandbox"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("RELANCE_PAYMENTS_SANDBOX=true"), "{err}");
    assert!(err.contains("RELANCE_STRIPE_SECRET_KEY"), "{err}");
    assert!(!dir.path().join("public.db").exists(), "refused before touching the database");

    // Asked for on purpose: it starts, and every signed-in page says so.
    settings.payments_sandbox = Some(true);
    settings.seed_demo = Some(true);
    let app = Application::build(settings, Clock::Fixed(crate::helpers::now())).await.expect("sandbox on purpose");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let s = crate::helpers::Session {
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers({
                let mut h = reqwest::header::HeaderMap::new();
                h.insert("Origin", address.parse().unwrap());
                h
            })
            .build()
            .unwrap(),
        address,
    };
    let res = s.login("client@relance.demo", server::seed::DEMO_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    for page in ["/portal", "/portal/payments", "/portal/methods"] {
        let (status, html) = s.get_html(page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(html.contains("data-testid=\"test-mode-bar\""), "{page} says test mode");
        assert!(html.contains("aucun argent réel"), "{page} in French");
    }
}

#[tokio::test]
async fn crafted_numbers_get_a_clear_error_not_a_panic() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let fx = app.fx.clone();
        // A dispute on line i64::MIN.
        let client = app.login("client1@test.example").await;
        let res = client
            .post_multipart(
                "/api/disputes/open",
                &[
                    ("invoice_id", &fx.inv1_overdue.to_string()),
                    ("reason", "damaged"),
                    ("scope", "lines"),
                    ("line", "-9223372036854775808"),
                    ("message", "Ligne abîmée"),
                ],
                &[],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!({ "Validation": [["lines", "InvalidInput"]] }));
        alive(&app).await;

        // A card expiring in the year 2147483647, through a pay link.
        let collector = app.login("c1@test.example").await;
        let url: String = collector
            .post_form("/api/payments/pay_link", &[("invoice_id", &fx.inv1_overdue.to_string())])
            .await
            .json()
            .await
            .unwrap();
        let token = url.rsplit('/').next().unwrap().to_string();
        let res = app
            .anonymous()
            .post_form(
                "/api/paylink/pay",
                &[
                    ("token", &token),
                    ("idempotency_key", "crafted"),
                    ("expected_total", "30000"),
                    ("card_number", "4242424242424242"),
                    ("card_expiry", "12/2147483647"),
                    ("card_cvc", "123"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body, serde_json::json!({ "Validation": [["card_expiry", "CardExpiryInvalid"]] }));
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE source = 'link'").await, 0);
        alive(&app).await;
        app.finish().await;
    }
}

/// The token of every single-use link in a text (after `/reset/` or `/invite/`).
fn live_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for marker in ["/reset/", "/invite/"] {
        for part in text.split(marker).skip(1) {
            let token: String =
                part.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').collect();
            if token.len() >= 16 {
                out.push(token);
            }
        }
    }
    out
}

#[tokio::test]
async fn nobody_reads_another_users_single_use_link() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let clock = Clock::Fixed(crate::helpers::now());
        let co_owner = server::users::NewUser {
            email: app::domain::EmailAddress::parse("co-owner@test.example").unwrap(),
            name: "Coline Co-owner".into(),
            role: app::domain::Role::Owner,
            account_code: None,
            locale: None,
        };
        let co_owner_id = server::users::create_user(&app.db, clock, co_owner, "a long password").await.unwrap();
        let owner = app.login("owner@test.example").await;
        // The owner sends the co-owner a reset link, and invites someone.
        let res = owner
            .post_form("/api/back/user_action", &[("user_id", &co_owner_id.to_string()), ("action", "send_link")])
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}: {}", res.text().await.unwrap());
        let res = owner
            .post_form(
                "/api/back/invite",
                &[("name", "Ines Invited"), ("email", "invited@test.example"), ("role", "collector"), ("locale", "fr")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        let said: String = res.json().await.unwrap();
        assert_eq!(said, "InvitationNoMail", "without a mail server the owner is told how links travel");
        // Neither the outbox page nor the stored messages hold a live token.
        let outbox = owner.post_form("/api/back/outbox", &[("page", "1")]).await.text().await.unwrap();
        assert!(outbox.contains("co-owner@test.example") && outbox.contains("invited@test.example"), "{outbox}");
        assert!(live_tokens(&outbox).is_empty(), "{backend:?}: a live link in the outbox page: {outbox}");
        let bodies: Vec<String> =
            app::with_db!(&app.db, |pool| { sqlx::query_scalar("SELECT body_text FROM outbox").fetch_all(pool).await })
                .unwrap();
        let stored = bodies.join("\n");
        assert!(live_tokens(&stored).is_empty(), "{backend:?}: a live link at rest: {stored}");
        // The server's administrator hands out a link that works, once.
        let email = app::domain::EmailAddress::parse("co-owner@test.example").unwrap();
        let path = app::auth::ssr::admin_link(&app.db, crate::helpers::now(), &email).await.unwrap();
        let token = path.strip_prefix("/reset/").expect("a reset link: the co-owner has a password");
        let anon = app.anonymous();
        let done = anon
            .post_form(
                "/api/auth/complete_token",
                &[("token", token), ("password", "a new long password"), ("confirm", "a new long password")],
            )
            .await;
        assert_eq!(done.status(), StatusCode::OK, "{}", done.text().await.unwrap());
        app.login_with("co-owner@test.example", "a new long password").await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_pay_link_can_be_turned_off_and_then_opens_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let inv = app.fx.inv1_overdue.to_string();
        let collector = app.login("c1@test.example").await;
        let url: String =
            collector.post_form("/api/payments/pay_link", &[("invoice_id", &inv)]).await.json().await.unwrap();
        let token = url.rsplit('/').next().unwrap().to_string();
        let anon = app.anonymous();
        assert_eq!(anon.post_form("/api/paylink/view", &[("token", &token)]).await.status(), StatusCode::OK);
        let links: Value =
            collector.post_form("/api/payments/pay_links", &[("invoice_id", &inv)]).await.json().await.unwrap();
        assert_eq!(links.as_array().unwrap().len(), 1, "{links}");
        assert_eq!(links[0]["live"], true);
        assert!(!links.to_string().contains(&token), "the list never shows a token");
        // Another collector cannot turn it off; its own collector can.
        let id = links[0]["id"].as_i64().unwrap().to_string();
        let other = app.login("c2@test.example").await;
        assert_eq!(
            other.post_form("/api/payments/revoke_pay_link", &[("link_id", &id)]).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(anon.post_form("/api/paylink/view", &[("token", &token)]).await.status(), StatusCode::OK);
        assert_eq!(
            collector.post_form("/api/payments/revoke_pay_link", &[("link_id", &id)]).await.status(),
            StatusCode::OK
        );
        let res = anon.post_form("/api/paylink/view", &[("token", &token)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{backend:?}");
        assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({ "Refused": "LinkRevoked" }));
        let pay = anon
            .post_form(
                "/api/paylink/pay",
                &[
                    ("token", &token),
                    ("idempotency_key", "after-revoke"),
                    ("expected_total", "30000"),
                    ("card_number", "4242424242424242"),
                    ("card_expiry", "12/30"),
                    ("card_cvc", "123"),
                ],
            )
            .await;
        assert_eq!(pay.status(), StatusCode::BAD_REQUEST);
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE source = 'link'").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'paylink.revoked'").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn links_stored_before_the_upgrade_are_redacted_when_no_mail_server_will_send_them() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let body = "Bonjour,\nhttps://x.example/reset/0123456789abcdef0123456789abcdef\n";
        app::with_db!(&app.db, |pool| {
            sqlx::query(
                "INSERT INTO outbox (to_address, subject, body_text, status, attempts, next_attempt_at, created_at)
                 VALUES ('old@test.example', 'Ancien', $1, 'pending', 0, $2, $2)",
            )
            .bind(body)
            .bind(crate::helpers::now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .unwrap();
        assert_eq!(server::maintenance::redact_undeliverable_links(&app.state()).await.unwrap(), 1);
        let stored =
            crate::money::text(&app, "SELECT body_text FROM outbox WHERE to_address = 'old@test.example'").await;
        assert_eq!(stored, "Bonjour,\nhttps://x.example/reset/[sent]\n", "{backend:?}");
        assert_eq!(server::maintenance::redact_undeliverable_links(&app.state()).await.unwrap(), 0);
        app.finish().await;
    }
}
