//! Owner administration: merchant settings and user accounts.

use crate::each_backend;
use crate::helpers::PASSWORD;
use reqwest::StatusCode;

fn settings_form<'a>(name: &'a str, currency: &'a str, terms: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("form[company_name]", name),
        ("form[legal_id]", "SIRET 999"),
        ("form[address]", "2 place Bellecour, Lyon"),
        ("form[email]", "Billing@Example.com"),
        ("form[phone]", "+33 4 00 00 00 00"),
        ("form[default_currency]", currency),
        ("form[default_locale]", "en"),
        ("form[payment_terms_days]", terms),
    ]
}

#[tokio::test]
async fn owner_edits_settings_and_bad_input_changes_nothing() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let res = owner.post_form("/api/back/save_settings", &settings_form("", "XXX", "400")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = res.text().await.unwrap();
        for key in ["RequiredField", "InvalidCurrency", "InvalidTerms"] {
            assert!(body.contains(key), "{key} missing in {body}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM merchant WHERE company_name = 'Test Merchant SAS'").await, 1);

        let res = owner.post_form("/api/back/save_settings", &settings_form("Nouvelle Raison SAS", "CHF", "45")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let v: serde_json::Value = owner.post_form("/api/back/settings", &[]).await.json().await.unwrap();
        assert_eq!(v["company_name"], "Nouvelle Raison SAS");
        assert_eq!(v["email"], "billing@example.com");
        assert_eq!(v["default_currency"], "CHF");
        assert_eq!(v["payment_terms_days"], 45);
        // The new identity is printed on invoices.
        let client = app.login("client1@test.example").await;
        let pdf = client.get(&format!("/invoices/{}/pdf", app.fx.inv1_open)).await.bytes().await.unwrap();
        assert!(crate::helpers::body_contains(&pdf, "Nouvelle Raison SAS"));
    });
}

#[tokio::test]
async fn deactivating_a_user_signs_them_out_and_blocks_login() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let client = app.login("client1@test.example").await;
        let id = app.fx.client1.to_string();
        let res = owner.post_form("/api/back/user_action", &[("user_id", &id), ("action", "deactivate")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(client.post_form("/api/portal/overview", &[]).await.status(), StatusCode::UNAUTHORIZED);
        let res = app.anonymous().login("client1@test.example", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);

        let res = owner.post_form("/api/back/user_action", &[("user_id", &id), ("action", "reactivate")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        app.login("client1@test.example").await;

        // Not oneself, and only known actions.
        let me = app.fx.owner.to_string();
        let res = owner.post_form("/api/back/user_action", &[("user_id", &me), ("action", "deactivate")]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert!(res.text().await.unwrap().contains("CannotChangeSelf"));
        let res = owner.post_form("/api/back/user_action", &[("user_id", &id), ("action", "delete")]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let res = owner.post_form("/api/back/user_action", &[("user_id", "999999"), ("action", "deactivate")]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('user.deactivate', 'user.reactivate')").await,
            2
        );
    });
}

#[tokio::test]
async fn owner_sends_a_reset_link_that_works() {
    for backend in crate::helpers::BACKENDS {
        let Some(app) = crate::helpers::spawn_app_with_mail_server(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let id = app.fx.collector2.to_string();
        let res = owner.post_form("/api/back/user_action", &[("user_id", &id), ("action", "send_link")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let body: String = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT body_text FROM outbox WHERE to_address = 'c2@test.example'")
                .fetch_one(pool)
                .await
        })
        .unwrap();
        let token = body.split("/reset/").nth(1).unwrap().split_whitespace().next().unwrap().to_string();
        let res = app
            .anonymous()
            .post_form(
                "/api/auth/complete_token",
                &[("token", &token), ("password", "brand new pass"), ("confirm", "brand new pass")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        app.login_with("c2@test.example", "brand new pass").await;
        app.finish().await;
    }
}
