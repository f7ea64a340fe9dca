//! What reminders say, on both backends: a formal demand's PDF and its
//! breakdown, the owner's template preview and test message, and the
//! signed one-click links a reminder e-mail carries.

use crate::helpers::{spawn_app, BACKENDS};
use crate::reminders::{at, plan, run_at};
use app::db::Clock;
use serde_json::json;

#[tokio::test]
async fn a_formal_demand_prints_its_breakdown_and_reaches_the_client_once_posted() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "formal_demand")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let demand = app.count("SELECT id FROM reminders WHERE channel = 'formal_demand' AND status = 'task'").await;
        let pdf = format!("/reminders/{demand}/pdf");

        // Staff print it: registered mail, the text, and the sum broken
        // down (T-0002: 300.00, 3.00 of penalties at 12.15 % over 30 days, 40 €).
        let c1 = app.login("c1@test.example").await;
        let res = c1.get(&pdf).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let bytes = res.bytes().await.unwrap();
        for text in [
            "Mise en demeure",
            "Lettre recommandée",
            "huit jours",
            "T-0002",
            "Détail de la somme réclamée",
            "300,00",
            "3,00",
            "40,00",
            "343,00",
            "12.15 %",
        ] {
            assert!(crate::helpers::body_contains(&bytes, text), "the demand prints {text:?}");
        }
        // The client does not see it before it is posted, nor another portfolio.
        let client = app.login("client1@test.example").await;
        assert_eq!(client.get(&pdf).await.status(), reqwest::StatusCode::NOT_FOUND);
        let c2 = app.login("c2@test.example").await;
        assert_eq!(c2.get(&pdf).await.status(), reqwest::StatusCode::NOT_FOUND);
        assert_eq!(c2.get("/back/letters.pdf").await.status(), reqwest::StatusCode::NOT_FOUND, "none in c2's scope");
        // Today's post: one document with every letter in scope.
        let batch = c1.get("/back/letters.pdf").await;
        assert_eq!(batch.status(), reqwest::StatusCode::OK);
        assert!(crate::helpers::body_contains(&batch.bytes().await.unwrap(), "T-0002"));

        // On the to-do, with its PDF; done means posted today.
        let todo: serde_json::Value = c1.post_form("/api/reminders/todo", &[]).await.json().await.unwrap();
        assert_eq!(
            (todo[0]["kind"].as_str(), todo[0]["reminder_id"].as_i64()),
            (Some("letter"), Some(demand)),
            "{todo}"
        );
        let task = todo[0]["id"].as_i64().unwrap().to_string();
        let done = c1.post_form("/api/reminders/task_done", &[("id", task.as_str()), ("outcome", "done")]).await;
        assert_eq!(done.status(), reqwest::StatusCode::OK);
        let posted = format!("SELECT COUNT(*) FROM reminders WHERE id = {demand} AND posted_on = '2026-11-20'");
        assert_eq!(app.count(&posted).await, 1);
        assert_eq!(client.get(&pdf).await.status(), reqwest::StatusCode::OK);
        let history: serde_json::Value = client.post_form("/api/portal/history", &[]).await.json().await.unwrap();
        let event = history.as_array().unwrap().iter().find(|e| e["kind"]["action"] == "ReminderRecorded");
        assert_eq!(event.map(|e| e["channel"].clone()), Some(json!("formal_demand")), "{history}");
        assert_eq!(c1.get("/back/letters.pdf").await.status(), reqwest::StatusCode::NOT_FOUND, "nothing left to post");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_owner_previews_a_template_and_sends_a_test_to_themself() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let form = [
            ("language", "fr"),
            ("subject", "Relance {account}"),
            ("body", "Bonjour {contact},\n{invoices}\n{pay_link}"),
        ];
        let res = owner.post_form("/api/reminders/preview", &form).await;
        assert_eq!(res.status(), reqwest::StatusCode::OK);
        let p: serde_json::Value = res.json().await.unwrap();
        assert_eq!(p["subject"], "Relance Exemple SARL");
        let body = p["body"].as_str().unwrap();
        assert!(body.starts_with("Bonjour Mme Martin,\n- F-2026-00012 (échéance"), "{body}");
        assert!(body.ends_with("/portal/pay?invoices=12,19"), "{body}");
        assert!(p["sent_to"].is_null());
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0, "a preview sends nothing");
        // Empty: the default message, in English.
        let p: serde_json::Value =
            owner.post_form("/api/reminders/preview", &[("language", "en")]).await.json().await.unwrap();
        assert!(
            p["body"].as_str().unwrap().contains("Example Ltd")
                || p["subject"].as_str().unwrap().contains("Example Ltd"),
            "{p}"
        );
        // The test goes to the owner only.
        let mut test = form.to_vec();
        test.push(("send", "on"));
        let p: serde_json::Value = owner.post_form("/api/reminders/preview", &test).await.json().await.unwrap();
        assert_eq!(p["sent_to"], "owner@test.example");
        let sent = "SELECT COUNT(*) FROM outbox WHERE to_address = 'owner@test.example' AND subject = '[Test] Relance Exemple SARL'";
        assert_eq!(app.count(sent).await, 1);
        for who in ["c1@test.example", "acc@test.example", "client1@test.example"] {
            let s = app.login(who).await;
            assert_eq!(
                s.post_form("/api/reminders/preview", &test).await.status(),
                reqwest::StatusCode::FORBIDDEN,
                "{who}"
            );
        }
        assert_eq!(
            owner.post_form("/api/reminders/preview", &[("language", "de")]).await.status(),
            reqwest::StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_reminder_s_links_are_signed_expire_and_land_on_its_invoices() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", 7, "email")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let body: String = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT body_text FROM outbox ORDER BY id DESC LIMIT 1").fetch_one(pool).await
        })
        .unwrap();
        let links: Vec<String> =
            body.split_whitespace().filter_map(|w| w.find("/r/").map(|i| w[i..].to_string())).collect();
        assert_eq!(links.len(), 3, "pay, promise, dispute: {body}");
        assert!(!body.contains("/portal/pay?"), "no bare link: {body}");
        let t2 = app.fx.inv1_overdue;
        let location = |s: crate::helpers::Session, link: String| async move {
            crate::helpers::redirected_to(&s.get(&link).await)
        };
        let client = app.login("client1@test.example").await;
        assert_eq!(location(client.clone(), links[0].clone()).await, format!("/portal/pay?invoices={t2}"));
        assert_eq!(location(client.clone(), links[1].clone()).await, format!("/portal/promise?invoices={t2}"));
        assert_eq!(location(client.clone(), links[2].clone()).await, format!("/portal/dispute?inv={t2}"));
        // Signed out: through the sign-in page to the same place.
        let anonymous = location(app.anonymous(), links[0].clone()).await;
        assert_eq!(anonymous, format!("/login?next=/portal/pay%3Finvoices%3D{t2}"));
        // Another client's session, or an altered token: their own portal.
        assert_eq!(location(app.login("client2@test.example").await, links[0].clone()).await, "/portal");
        let mut altered = links[0].clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(location(client.clone(), altered).await, "/portal");
        // Expired: 45 days after it was made.
        let mut old = app.state();
        old.clock = Clock::Fixed(at(2026, 9, 1, 10, 0));
        let stale = app::reminders::ssr::links::url(
            &old,
            app.fx.account1,
            &[t2],
            app::reminders::ssr::links::LinkAction::Pay,
            old.clock.now(),
        )
        .unwrap();
        let stale = &stale[stale.find("/r/").unwrap()..];
        assert_eq!(location(client.clone(), stale.to_string()).await, "/portal");
        app.finish().await;
    }
}
