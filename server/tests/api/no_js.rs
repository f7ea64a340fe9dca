//! Every form works without JavaScript: posted as a browser without wasm
//! posts it (`Accept: text/html`, from its page), a write lands on the page
//! it names and a refusal goes back to the form, changing nothing. (The
//! promise forms are in `promises.rs`; sign-in and the language switch in
//! the browser tests, `no-js.spec.ts`.)

use crate::helpers::{redirected_to, spawn_app, Session, TestApp, BACKENDS};
use crate::money::{first_method, payment_by_key, status_of, text};

const OWNER: &str = "owner@test.example";
const CLIENT1: &str = "client1@test.example";
const CARD_OK: &str = "4242424242424242";

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

/// Posts a plain form and returns where the browser lands.
async fn plain(s: &Session, path: &str, from: &str, form: &[(&str, &str)]) -> String {
    redirected_to(&s.post_plain_form(path, from, form).await)
}

#[tokio::test]
async fn dispute_forms_work_without_javascript() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login(CLIENT1).await;
        let owner = app.login(OWNER).await;
        let invoice = app.fx.inv1_overdue.to_string();
        let from = format!("/portal/dispute?invoice={invoice}");

        let open = |message: &'static str| {
            let (client, from, invoice) = (&client, from.clone(), invoice.clone());
            async move {
                let fields = [
                    ("invoice_id", invoice.as_str()),
                    ("reason", "damaged"),
                    ("scope", "invoice"),
                    ("message", message),
                ];
                redirected_to(&client.post_plain_multipart("/api/disputes/open", &from, &fields, &[]).await)
            }
        };
        // Opening without a message goes back to the form, writing nothing.
        let to = open("").await;
        assert!(to.starts_with("/portal/dispute"), "{backend:?}: {to}");
        assert_eq!(count(&app, "SELECT COUNT(*) FROM disputes").await, 0);
        let to = open("Cassé").await;
        let id = count(&app, "SELECT id FROM disputes").await;
        assert_eq!(to, format!("/portal/disputes/{id}"), "{backend:?}");

        // The thread, as the client.
        let page = format!("/portal/disputes/{id}");
        let res = client
            .post_plain_multipart(
                "/api/disputes/post",
                &page,
                &[("id", &id.to_string()), ("kind", "message"), ("body", "Photos à suivre"), ("amount", "")],
                &[],
            )
            .await;
        assert_eq!(redirected_to(&res), page);
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM dispute_messages WHERE dispute_id = {id}")).await, 2);

        // The owner rejects it (a rejection without its reason goes back).
        let back = format!("/back/disputes/{id}");
        let reject = |note: &'static str| {
            let (owner, back, id) = (&owner, back.clone(), id.to_string());
            async move {
                plain(
                    owner,
                    "/api/disputes/decide",
                    &back,
                    &[("id", &id), ("decision", "reject"), ("amount", ""), ("note", note)],
                )
                .await
            }
        };
        assert!(reject("").await.starts_with(&back));
        assert_eq!(text(&app, &format!("SELECT status FROM disputes WHERE id = {id}")).await, "open");
        assert_eq!(reject("Livré conforme").await, back);
        assert_eq!(text(&app, &format!("SELECT status FROM disputes WHERE id = {id}")).await, "rejected");

        // And closes it.
        assert_eq!(plain(&owner, "/api/disputes/close", &back, &[("id", &id.to_string())]).await, back);
        assert_eq!(text(&app, &format!("SELECT status FROM disputes WHERE id = {id}")).await, "closed");
        app.finish().await;
    }
}

#[tokio::test]
async fn payment_forms_work_without_javascript() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login(CLIENT1).await;
        let owner = app.login(OWNER).await;

        // A card saved from the methods page.
        let added = plain(
            &client,
            "/api/payments/add_method",
            "/portal/methods?add=card",
            &[("kind", "card"), ("card_number", CARD_OK), ("card_expiry", "12/30"), ("card_cvc", "123")],
        )
        .await;
        assert!(added.starts_with("/portal/methods"), "{backend:?}: {added}");
        let method = first_method(&client).await;
        // Made the default, then autopay on, from the same page.
        for action in ["default", "autopay_on"] {
            let to = plain(
                &client,
                "/api/payments/method_action",
                "/portal/methods",
                &[("method_id", &method), ("action", action)],
            )
            .await;
            assert_eq!(to, "/portal/methods", "{action}");
        }
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM payment_methods WHERE id = {method} AND autopay")).await,
            1
        );

        // Paying an invoice: a wrong total goes back, the right one lands on
        // the receipt.
        let invoice = app.fx.inv1_overdue.to_string();
        let pay_page = format!("/portal/pay?inv={invoice}");
        let pay = |total: &'static str, key: &'static str| {
            let (client, pay_page, invoice, method) = (&client, pay_page.clone(), invoice.clone(), method.clone());
            async move {
                plain(
                    client,
                    "/api/payments/pay",
                    &pay_page,
                    &[
                        ("invoices", &invoice),
                        ("amount", ""),
                        ("expected_total", total),
                        ("idempotency_key", key),
                        ("method", &method),
                    ],
                )
                .await
            }
        };
        assert!(pay("1", "nojs-wrong").await.starts_with("/portal/pay"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM payments WHERE idempotency_key = 'nojs-wrong'").await, 0);
        let receipt = pay("30000", "nojs-right").await;
        let pid = payment_by_key(&app, "nojs-right").await;
        assert_eq!(receipt, format!("/portal/payments/{pid}"), "{backend:?}");
        assert_eq!(status_of(&app, pid).await, "succeeded");

        // The owner refunds part of it from the payment's page.
        let page = format!("/back/payments/{pid}");
        let to = plain(
            &owner,
            "/api/payments/refund",
            &page,
            &[("payment_id", &pid.to_string()), ("amount", "10"), ("reason", "Geste")],
        )
        .await;
        assert_eq!(to, page);
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM refunds WHERE payment_id = {pid}")).await, 1);

        // A pay link for the other invoice, then turned off.
        let open = app.fx.inv1_open.to_string();
        let invoice_page = format!("/back/invoices/{open}");
        let to = plain(&owner, "/api/payments/pay_link", &invoice_page, &[("invoice_id", &open)]).await;
        assert!(to.starts_with(&invoice_page), "{to}");
        let link = count(&app, &format!("SELECT id FROM pay_links WHERE invoice_id = {open}")).await;
        let to = plain(&owner, "/api/payments/revoke_pay_link", &invoice_page, &[("link_id", &link.to_string())]).await;
        assert!(to.starts_with(&invoice_page), "{to}");
        assert_eq!(
            count(&app, &format!("SELECT COUNT(*) FROM pay_links WHERE id = {link} AND revoked_at IS NOT NULL")).await,
            1
        );

        // The card removed.
        let to = plain(
            &client,
            "/api/payments/method_action",
            "/portal/methods",
            &[("method_id", &method), ("action", "remove")],
        )
        .await;
        assert_eq!(to, "/portal/methods");
        app.finish().await;
    }
}

#[tokio::test]
async fn back_office_and_account_forms_work_without_javascript() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login(OWNER).await;

        // Settings: a bad value goes back and changes nothing; a good one stays.
        let settings = |terms: &'static str| {
            let owner = &owner;
            async move {
                plain(
                    owner,
                    "/api/back/save_settings",
                    "/back/settings",
                    &[
                        ("form[company_name]", "Sans JS SARL"),
                        ("form[legal_id]", "SIRET 2"),
                        ("form[address]", "2 rue du Test"),
                        ("form[email]", "m@example.com"),
                        ("form[phone]", ""),
                        ("form[default_currency]", "EUR"),
                        ("form[default_locale]", "fr"),
                        ("form[payment_terms_days]", terms),
                    ],
                )
                .await
            }
        };
        assert!(settings("-3").await.starts_with("/back/settings"));
        assert_eq!(text(&app, "SELECT company_name FROM merchant").await, "Test Merchant SAS", "{backend:?}");
        assert!(settings("45").await.starts_with("/back/settings"));
        assert_eq!(text(&app, "SELECT company_name FROM merchant").await, "Sans JS SARL");

        // An account given to the other collector.
        let account = format!("/back/accounts/{}", app.fx.account3);
        let to = plain(
            &owner,
            "/api/back/assign_collector",
            &account,
            &[("account_id", &app.fx.account3.to_string()), ("collector_id", &app.fx.collector2.to_string())],
        )
        .await;
        assert!(to.starts_with(&account), "{to}");
        assert_eq!(
            count(&app, &format!("SELECT collector_id FROM accounts WHERE id = {}", app.fx.account3)).await,
            app.fx.collector2
        );

        // A colleague invited, then deactivated, from the team page.
        let to = plain(
            &owner,
            "/api/back/invite",
            "/back/team",
            &[("name", "Nadia Nojs"), ("email", "nadia@test.example"), ("role", "collector"), ("locale", "fr")],
        )
        .await;
        assert!(to.starts_with("/back/team"), "{to}");
        let nadia = count(&app, "SELECT id FROM users WHERE email = 'nadia@test.example'").await;
        let to = plain(
            &owner,
            "/api/back/user_action",
            "/back/team",
            &[("user_id", &nadia.to_string()), ("action", "deactivate")],
        )
        .await;
        assert!(to.starts_with("/back/team"), "{to}");
        assert_eq!(count(&app, &format!("SELECT COUNT(*) FROM users WHERE id = {nadia} AND NOT active")).await, 1);

        // The owner's own password: a wrong current one goes back.
        let change = |current: &'static str| {
            let owner = &owner;
            async move {
                plain(
                    owner,
                    "/api/auth/change_password",
                    "/settings/password",
                    &[("current", current), ("password", "a-new-password-1"), ("confirm", "a-new-password-1")],
                )
                .await
            }
        };
        assert!(change("wrong-password").await.starts_with("/settings/password"));
        assert!(change(crate::helpers::PASSWORD).await.starts_with("/settings/password"));
        let fresh = app.anonymous();
        assert_eq!(fresh.login(OWNER, "a-new-password-1").await.status(), reqwest::StatusCode::OK, "{backend:?}");

        // A reset asked for without JavaScript lands back on its page.
        let to = plain(&app.anonymous(), "/api/auth/request_reset", "/forgot", &[("email", CLIENT1)]).await;
        assert!(to.starts_with("/forgot"), "{to}");
        app.finish().await;
    }
}

#[tokio::test]
async fn three_d_secure_cancel_and_pay_links_work_without_javascript() {
    const CARD_3DS: &str = "4000002760003184";
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login(CLIENT1).await;
        let invoice = app.fx.inv1_overdue.to_string();
        let pay_page = format!("/portal/pay?inv={invoice}");
        let pay_new = |key: &'static str| {
            let (client, pay_page, invoice) = (&client, pay_page.clone(), invoice.clone());
            async move {
                plain(
                    client,
                    "/api/payments/pay",
                    &pay_page,
                    &[
                        ("invoices", &invoice),
                        ("amount", ""),
                        ("expected_total", "30000"),
                        ("idempotency_key", key),
                        ("method", "new"),
                        ("card_number", CARD_3DS),
                        ("card_expiry", "12/30"),
                        ("card_cvc", "123"),
                    ],
                )
                .await
            }
        };

        // A card asking for 3-D Secure lands on the bank's page; the client
        // gives up there, and the invoice can be paid again.
        let step = pay_new("nojs-3ds-1").await;
        assert!(step.starts_with("/sandbox/authenticate/"), "{backend:?}: {step}");
        let first = payment_by_key(&app, "nojs-3ds-1").await;
        let receipt = format!("/portal/payments/{first}");
        let to = plain(&client, "/api/payments/cancel", &receipt, &[("id", &first.to_string())]).await;
        assert_eq!(to, receipt);
        assert_eq!(status_of(&app, first).await, "failed");

        // Again, and this time the cardholder approves on the bank's page.
        let step = pay_new("nojs-3ds-2").await;
        let intent = step.strip_prefix("/sandbox/authenticate/").expect("the 3-D Secure page").to_string();
        let second = payment_by_key(&app, "nojs-3ds-2").await;
        let to = plain(&client, "/api/sandbox/authenticate", &step, &[("id", &intent), ("approve", "true")]).await;
        assert_eq!(to, format!("/portal/payments/{second}"), "{backend:?}");
        assert_eq!(status_of(&app, second).await, "succeeded");

        // A pay link, paid by someone without an account or JavaScript.
        let owner = app.login(OWNER).await;
        let res = owner.post_form("/api/payments/pay_link", &[("invoice_id", &app.fx.inv1_open.to_string())]).await;
        let url: String = res.json().await.unwrap();
        let path = &url[url.find("/pay/").expect("a pay link")..];
        let token = path.trim_start_matches("/pay/");
        let payer = app.anonymous();
        let (code, html) = payer.get_html(path).await;
        assert_eq!(code, reqwest::StatusCode::OK);
        assert!(html.contains("T-0001"), "the link shows its invoice");
        let to = plain(
            &payer,
            "/api/paylink/pay",
            path,
            &[
                ("token", token),
                ("idempotency_key", "nojs-link"),
                ("expected_total", "120000"),
                ("card_number", CARD_OK),
                ("card_expiry", "12/30"),
                ("card_cvc", "123"),
            ],
        )
        .await;
        let paid = payment_by_key(&app, "nojs-link").await;
        assert!(to.starts_with(path), "{backend:?}: {to}");
        assert_eq!(status_of(&app, paid).await, "succeeded");
        app.finish().await;
    }
}

#[tokio::test]
async fn setting_a_password_from_a_link_works_without_javascript() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login(OWNER).await;
        let to = plain(
            &owner,
            "/api/back/invite",
            "/back/team",
            &[("name", "Lina Link"), ("email", "lina@test.example"), ("role", "accountant"), ("locale", "fr")],
        )
        .await;
        assert!(to.starts_with("/back/team"), "{to}");
        let email = app::domain::EmailAddress::parse("lina@test.example").unwrap();
        let path = app::auth::ssr::admin_link(&app.db, crate::helpers::now(), &email).await.unwrap();
        let token = path.rsplit('/').next().unwrap().to_string();
        let invitee = app.anonymous();
        let set = |confirm: &'static str| {
            let (invitee, path, token) = (&invitee, path.clone(), token.clone());
            async move {
                plain(
                    invitee,
                    "/api/auth/complete_token",
                    &path,
                    &[("token", &token), ("password", "lina-password-1"), ("confirm", confirm)],
                )
                .await
            }
        };
        // A confirmation that differs goes back to the link's page.
        assert!(set("lina-password-2").await.starts_with(&path), "{backend:?}");
        assert_eq!(app.anonymous().login("lina@test.example", "lina-password-1").await.status(), 400);
        // The right one lands on the sign-in page, which says it worked.
        assert_eq!(set("lina-password-1").await, "/login?done=1");
        assert_eq!(app.anonymous().login("lina@test.example", "lina-password-1").await.status(), 200);
        app.finish().await;
    }
}
