//! Server-rendered pages, the PDF route and the language preference.

use crate::each_backend;
use reqwest::StatusCode;

#[tokio::test]
async fn anonymous_pages_redirect_to_login() {
    each_backend!(|app| {
        let s = app.anonymous();
        for path in ["/portal", "/portal/invoices", "/back/accounts"] {
            let res = s.client.get(s.url(path)).header("Accept", "text/html").send().await.unwrap();
            assert!(res.status().is_redirection(), "{path}: {}", res.status());
            let location = res.headers().get("location").unwrap().to_str().unwrap();
            assert!(location.starts_with("/login"), "{path} -> {location}");
        }
        let (status, html) = s.get_html("/login").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<html lang=\"fr\""), "French by default");
        assert!(html.contains("Se connecter"));
    });
}

#[tokio::test]
async fn browser_language_is_used_before_any_choice() {
    each_backend!(|app| {
        let s = app.anonymous();
        let res = s.client.get(s.url("/login")).header("Accept-Language", "en-GB,en;q=0.9").send().await.unwrap();
        let html = res.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\""));
        assert!(html.contains("Sign in"));
    });
}

#[tokio::test]
async fn client_overview_shows_exact_balances_in_both_languages() {
    each_backend!(|app| {
        let s = app.login("client1@test.example").await;
        let (status, html) = s.get_html("/portal").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Alpha Boulangerie SARL"));
        assert!(!html.contains("Bravo Shipping"), "another account's data leaked");
        // Open: 1 200,00 + (500,00 - 200,00) = 1 500,00 € ; overdue: 300,00 €.
        assert!(html.contains("1\u{202f}500,00\u{a0}€"), "balance missing");
        assert!(html.contains("300,00\u{a0}€"), "overdue missing");
        assert!(
            html.contains("T-0001") && html.contains("T-0002") && !html.contains("T-0003"),
            "paid invoice is not open"
        );

        let res = s.client.post(s.url("/lang")).form(&[("locale", "en"), ("back", "/portal")]).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert_eq!(res.headers().get("location").unwrap(), "/portal");
        let (_, html) = s.get_html("/portal").await;
        assert!(html.contains("<html lang=\"en\""));
        assert!(html.contains("€1,500.00") && html.contains("Balance due"));
        // Stored on the user: a fresh sign-in (no cookie) is still in English.
        let again = app.login("client1@test.example").await;
        let (_, html) = again.get_html("/portal").await;
        assert!(html.contains("<html lang=\"en\""));
    });
}

#[tokio::test]
async fn invoice_list_filters_and_sorts() {
    each_backend!(|app| {
        let s = app.login("client1@test.example").await;
        let list = |filter: &str, sort: &str| serde_json::json!({ "query": { "filter": filter, "sort": sort, "page": 1, "account_id": null, "search": null } });
        let numbers = |v: serde_json::Value| -> Vec<String> {
            v["items"].as_array().unwrap().iter().map(|i| i["number"].as_str().unwrap().to_string()).collect()
        };
        let get = |body| {
            let s = &s;
            async move { s.post_json("/api/invoices/list", body).await.json::<serde_json::Value>().await.unwrap() }
        };
        assert_eq!(numbers(get(list("open", "due_asc")).await), ["T-0002", "T-0001"]);
        assert_eq!(numbers(get(list("open", "due_desc")).await), ["T-0001", "T-0002"]);
        assert_eq!(numbers(get(list("overdue", "due_asc")).await), ["T-0002"]);
        assert_eq!(numbers(get(list("paid", "due_asc")).await), ["T-0003"]);
        assert_eq!(numbers(get(list("all", "amount_desc")).await), ["T-0001", "T-0002", "T-0003"]);
        let v = get(list("overdue", "due_asc")).await;
        assert_eq!(v["items"][0]["balance"]["minor"], 30_000);
        assert_eq!(v["items"][0]["state"], "overdue");
        // A bad filter value is a clean client error, not a crash.
        let res = s.post_json("/api/invoices/list", serde_json::json!({ "query": { "filter": "bogus" } })).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    });
}

#[tokio::test]
async fn invoice_detail_and_pdf() {
    each_backend!(|app| {
        let s = app.login("client1@test.example").await;
        let (status, html) = s.get_html(&format!("/portal/invoices/{}", app.fx.inv1_overdue)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("T-0002") && html.contains("VIR-TEST") && html.contains("Prestation (test)"));
        let res = s.get(&format!("/invoices/{}/pdf", app.fx.inv1_overdue)).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers().get("content-type").unwrap(), "application/pdf");
        assert!(res.headers().get("content-disposition").unwrap().to_str().unwrap().contains("T-0002.pdf"));
        let bytes = res.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-1.7"));
        assert!(crate::helpers::body_contains(&bytes, "T-0002"));
    });
}

#[tokio::test]
async fn collector_sees_only_assigned_accounts_in_pages() {
    each_backend!(|app| {
        let s = app.login("c1@test.example").await;
        let (status, html) = s.get_html("/back/accounts").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Alpha Boulangerie SARL"));
        assert!(!html.contains("Bravo Shipping Ltd") && !html.contains("Charlie Unassigned"));
        let (_, html) = s.get_html(&format!("/back/accounts/{}", app.fx.account2)).await;
        assert!(!html.contains("Bravo Shipping Ltd"));
        let owner = app.login("owner@test.example").await;
        let (_, html) = owner.get_html("/back/accounts?overdue=1").await;
        assert!(html.contains("Alpha Boulangerie SARL") && !html.contains("Bravo Shipping Ltd"));
        let (_, html) = owner.get_html("/back/accounts?q=bravo").await;
        assert!(html.contains("Bravo Shipping Ltd") && !html.contains("Alpha Boulangerie SARL"));
        let (_, html) = owner.get_html("/back/accounts?collector=0").await;
        assert!(html.contains("Charlie Unassigned SA") && !html.contains("Alpha Boulangerie SARL"));
    });
}

#[tokio::test]
async fn owner_assigns_a_collector_and_it_is_audited() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let account = app.fx.account3.to_string();
        let c1 = app.fx.collector1.to_string();
        let res =
            owner.post_form("/api/back/assign_collector", &[("account_id", &account), ("collector_id", &c1)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let c1_session = app.login("c1@test.example").await;
        let (_, html) = c1_session.get_html("/back/accounts").await;
        assert!(html.contains("Charlie Unassigned SA"));
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'account.assign_collector'").await, 1);
        // Assigning to someone who is not a collector is refused.
        let acc = app.fx.accountant.to_string();
        let res =
            owner.post_form("/api/back/assign_collector", &[("account_id", &account), ("collector_id", &acc)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    });
}

#[tokio::test]
async fn health_and_unknown_pages() {
    each_backend!(|app| {
        let s = app.anonymous();
        assert_eq!(s.get("/healthz").await.status(), StatusCode::OK);
        let (status, _) = s.get_html("/no/such/page").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    });
}

#[tokio::test]
async fn search_folds_accents_and_case_alike_on_both_backends() {
    each_backend!(|app| {
        let name = "ÉCOLE Supérieure d'Hôtellerie";
        app::with_db!(&app.db, |pool| {
            sqlx::query(
                "INSERT INTO accounts (code, legal_name, billing_email, language, segment, payment_terms_days, credit_limit_minor, currency, created_at, search_text)
                 VALUES ('E0001', $1, 'x@example.com', 'fr', 'small', 30, 0, 'EUR', $2, $3)",
            )
            .bind(name)
            .bind(crate::helpers::now())
            .bind(app::domain::search_key("E0001", name, "x@example.com"))
            .execute(pool)
            .await
            .map(|_| ())
        })
        .unwrap();
        let owner = app.login("owner@test.example").await;
        let search = |q: &str| serde_json::json!({ "filter": { "search": q, "segment": null, "collector_id": null, "overdue_only": false, "page": 1 } });
        for (q, hits) in
            [("école supérieure", 1), ("HÔTELLERIE", 1), ("e0001", 1), ("%", 0), ("_", 0), ("boulangerie", 1)]
        {
            let v: serde_json::Value = owner.post_json("/api/back/accounts", search(q)).await.json().await.unwrap();
            assert_eq!(v["items"].as_array().unwrap().len(), hits, "search {q:?}: {v}");
        }
    });
}
