//! Late charges on both backends: shown as they accrue, posted to the
//! ledger only when the owner applies them or a reminder step set to do so
//! reaches the invoice, each once per invoice, kind and period (no
//! interest on interest: the claim keeps the principal apart); the owner
//! adds a published reference rate, with its source, and the figures follow.

use crate::helpers::{spawn_app, TestApp, BACKENDS};
use crate::reminders::{at, plan, run_at};
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde_json::Value;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Posted charges on T-0002: (kind, period end, amount), in order.
async fn posted(app: &TestApp) -> Vec<(String, NaiveDate, i64)> {
    let t2 = app.fx.inv1_overdue;
    app::with_db!(&app.db, |pool| {
        sqlx::query_as(&format!(
            "SELECT kind, period_end, amount_minor FROM late_charges WHERE invoice_id = {t2} ORDER BY period_end, kind"
        ))
        .fetch_all(pool)
        .await
    })
    .unwrap()
}

/// T-0002's fee entries in the ledger, and its balance.
async fn fees_and_balance(app: &TestApp) -> (i64, i64) {
    let t2 = app.fx.inv1_overdue;
    let fees = app
        .count(&format!(
            "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM ledger_entries WHERE invoice_id = {t2} AND kind = 'fee'"
        ))
        .await;
    (fees, app.count(&format!("SELECT balance_minor FROM invoices WHERE id = {t2}")).await)
}

async fn claim(app: &TestApp, who: &str) -> Value {
    let s = app.login(who).await;
    s.post_form("/api/legal/claim", &[("account_id", &app.fx.account1.to_string())]).await.json().await.unwrap()
}

#[tokio::test]
async fn the_owner_applies_the_charges_once_and_the_claim_keeps_the_principal_apart() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let account = app.fx.account1.to_string();
        // Only the owner posts charges.
        for who in ["client1@test.example", "c1@test.example", "acc@test.example"] {
            let res = app.login(who).await.post_form("/api/legal/apply_charges", &[("account_id", &account)]).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{who}");
        }
        assert_eq!(posted(&app).await, []);

        // 20 November: 3.00 of penalties (300.00 × 12.15 % × 30 / 365) and 40 €.
        let owner = app.login("owner@test.example").await;
        let res = owner.post_form("/api/legal/apply_charges", &[("account_id", &account)]).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            posted(&app).await,
            [("indemnity".into(), day("2026-10-21"), 4_000), ("penalty".into(), day("2026-11-20"), 300)]
        );
        assert_eq!(fees_and_balance(&app).await, (4_300, 34_300), "the invoice now owes its charges");
        let timeline = app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'late_charges.applied'").await;
        assert_eq!(timeline, 1);

        // The claim: principal unchanged (no interest on the charges), the
        // charges shown as applied; the penalties still 3.00 to date.
        let c = claim(&app, "c1@test.example").await;
        let line = &c["lines"][0];
        assert_eq!(line["principal"]["minor"], 30_000, "{line}");
        assert_eq!(line["charged"]["minor"], 4_300);
        assert_eq!(
            (line["penalties"]["minor"].as_i64(), line["indemnity"]["minor"].as_i64()),
            (Some(300), Some(4_000))
        );

        // Its client sees them on the invoice's page, not another's invoice.
        let client = app.login("client1@test.example").await;
        let t2 = app.fx.inv1_overdue.to_string();
        let shown: Value =
            client.post_form("/api/legal/invoice_charges", &[("invoice_id", &t2)]).await.json().await.unwrap();
        let shown = &shown[0];
        assert_eq!((shown["days_late"].as_i64(), shown["percent"].as_str()), (Some(30), Some("12.15")), "{shown}");
        assert_eq!(
            (
                shown["penalties"]["minor"].as_i64(),
                shown["indemnity"]["minor"].as_i64(),
                shown["charged"]["minor"].as_i64()
            ),
            (Some(300), Some(4_000), Some(4_300))
        );
        let other = app.fx.inv2_open.to_string();
        let res = client.post_form("/api/legal/invoice_charges", &[("invoice_id", &other)]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // Again the same day: nothing more to post, and nothing is.
        let again = owner.post_form("/api/legal/apply_charges", &[("account_id", &account)]).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        assert_eq!(fees_and_balance(&app).await, (4_300, 34_300));

        app.finish().await;
    }
}

#[tokio::test]
async fn a_step_set_to_apply_charges_posts_what_accrued_since_once_and_none_for_a_consumer() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // T-0002 fell due on 21 October: step 1 on 20 November, step 2 a week later.
        let steps = plan(&app, 0, &[("due_date", 30, "email"), ("previous_step", 7, "email")]).await;
        app.exec("UPDATE reminder_steps SET late_charges = TRUE").await.unwrap();
        // The first step's message names the charges.
        app.exec(&format!(
            "INSERT INTO reminder_templates (step_id, language, subject, body)
             VALUES ({}, 'fr', 'Retard : {{total}}', 'Bonjour,\n{{invoices}}\n{{late_charges}}')",
            steps[0]
        ))
        .await
        .unwrap();
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        let body = crate::money::text(&app, "SELECT body_text FROM outbox ORDER BY id DESC LIMIT 1").await;
        assert!(
            body.contains("Pénalités de retard au 20") && body.contains("3,00") && body.contains("40,00"),
            "{body}"
        );
        assert_eq!(
            posted(&app).await,
            [("indemnity".into(), day("2026-10-21"), 4_000), ("penalty".into(), day("2026-11-20"), 300)]
        );
        // The job again: nothing twice.
        assert_eq!(run_at(&app, at(2026, 11, 20, 11, 0)).await, 0);
        assert_eq!(fees_and_balance(&app).await, (4_300, 34_300));

        // 27 November: the penalties accrued since (37 days in all, less
        // the 3.00 posted), the indemnity not again.
        assert_eq!(run_at(&app, at(2026, 11, 27, 10, 0)).await, 1);
        let to_date =
            app::legal::ssr::claim::overdue((&app.db).into(), app.fx.account1, day("2026-11-27")).await.unwrap();
        let accrued = to_date.lines[0].penalties.unwrap().minor;
        // 300.00 × 12.15 % × 37 / 365 = 3.6949… → 3.69.
        assert_eq!(accrued, 369);
        let rows = posted(&app).await;
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(rows[2], ("penalty".into(), day("2026-11-27"), 69));
        let penalties: i64 = rows.iter().filter(|r| r.0 == "penalty").map(|r| r.2).sum();
        assert_eq!(penalties, accrued, "what was posted is what accrued");
        app.finish().await;

        // A consumer's account: the same plan posts nothing.
        let Some(app) = spawn_app(backend).await else { continue };
        app.exec(&format!("UPDATE accounts SET kind = 'consumer' WHERE id = {}", app.fx.account1)).await.unwrap();
        plan(&app, 0, &[("due_date", 30, "email")]).await;
        app.exec("UPDATE reminder_steps SET late_charges = TRUE").await.unwrap();
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        assert_eq!(posted(&app).await, []);
        assert_eq!(fees_and_balance(&app).await, (0, 30_000));
        // Nor does its page show any.
        let t2 = app.fx.inv1_overdue.to_string();
        let client = app.login("client1@test.example").await;
        let shown: Value =
            client.post_form("/api/legal/invoice_charges", &[("invoice_id", &t2)]).await.json().await.unwrap();
        assert_eq!(shown, serde_json::json!([]));
        app.finish().await;
    }
}

#[tokio::test]
async fn the_owner_adds_a_published_rate_with_its_source_and_the_charges_follow() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let c1 = app.login("c1@test.example").await;
        let rates: Value = c1.post_form("/api/legal/rates", &[]).await.json().await.unwrap();
        assert_eq!(rates["can_add"], false);
        let ecb_now: Vec<&Value> = rates["rows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "ecb_mro" && r["in_force"] == true)
            .collect();
        assert_eq!(ecb_now.len(), 1);
        assert_eq!(ecb_now[0]["percent"], "2.15");
        assert_eq!(ecb_now[0]["added_by"], Value::Null, "shipped");

        // Refused: not the owner; a bad figure; no source. Nothing stored.
        let form = |percent: &'static str, source: &'static str| {
            [("kind", "ecb_mro"), ("valid_from", "2026-06-11"), ("percent", percent), ("source", source)]
        };
        let res = c1.post_form("/api/legal/add_rate", &form("3", "BCE")).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let owner = app.login("owner@test.example").await;
        for (percent, source, field) in [("trois", "BCE", "percent"), ("250", "BCE", "percent"), ("3", " ", "source")] {
            let res = owner.post_form("/api/legal/add_rate", &form(percent, source)).await;
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{percent} {source}");
            assert!(res.text().await.unwrap().contains(field));
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM reference_rates").await, 0);

        // A change published since (a test figure): 3.15 % from 11 June 2026,
        // so the rate in force on 1 July is 3.15 % and the half-year's
        // penalty rate 13.15 %: 300.00 × 13.15 % × 30 / 365 = 3.2424… → 3.24.
        let res = owner.post_form("/api/legal/add_rate", &form("3,15", "Correction test, ECB press release")).await;
        assert_eq!(res.status(), StatusCode::OK);
        let rates: Value = owner.post_form("/api/legal/rates", &[]).await.json().await.unwrap();
        assert_eq!(rates["can_add"], true);
        let mine = rates["rows"].as_array().unwrap().iter().find(|r| r["added_by"] != Value::Null).unwrap().clone();
        assert_eq!((mine["percent"].as_str(), mine["in_force"].as_bool()), (Some("3.15"), Some(true)));
        assert_eq!(mine["source"], "Correction test, ECB press release");
        let c = claim(&app, "c1@test.example").await;
        assert_eq!(c["lines"][0]["penalties"]["minor"], 324, "{c}");
        assert_eq!(c["lines"][0]["periods"][0]["percent"], "13.15");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'reference_rate.added'").await, 1);
        app.finish().await;
    }
}
