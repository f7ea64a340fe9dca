//! Legal deadlines on both backends: an invoice's prescription date by
//! the debtor's kind, an interruption restarting it (recorded by staff in
//! scope, refused outside its dates), and the queue of claims near
//! prescription within each caller's scope.

use crate::helpers::{spawn_app, TestApp, BACKENDS};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// An issued invoice of `account` for 100.00, unpaid, due on `due`.
async fn old_invoice(app: &TestApp, account: i64, number: &str, issued: &str, due: &str) -> i64 {
    let now = chrono::Utc::now();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let (issued, due) = (day(issued), day(due));
    let id: i64 = app::with_db!(&app.db, |pool| {
        async {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor,
                     total_minor, status, created_at)
                 VALUES ($1, $2, $3, $4, 'EUR', 8334, 1666, 10000, 'issued', $5) RETURNING id",
            )
            .bind(account)
            .bind(number)
            .bind(issued)
            .bind(due)
            .bind(now)
            .fetch_one(pool)
            .await?;
            sqlx::query(
                "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, created_at)
                 VALUES ($1, $2, 'invoice', 10000, 'EUR', $3, $4, $5)",
            )
            .bind(account)
            .bind(id)
            .bind(issued)
            .bind(number)
            .bind(now)
            .execute(pool)
            .await?;
            Ok::<i64, sqlx::Error>(id)
        }
        .await
    })
    .unwrap();
    app::ledger::balances::rebuild(&app.db, crate::helpers::today()).await.unwrap();
    id
}

async fn prescription(app: &TestApp, who: &str, invoice: i64) -> (StatusCode, Value) {
    let res = app.login(who).await.post_form("/api/legal/prescription", &[("invoice_id", &invoice.to_string())]).await;
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn each_invoice_shows_its_prescription_and_an_interruption_restarts_it() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // T-0002 (business) fell due on 21 October 2026: five years.
        let (status, p) = prescription(&app, "c1@test.example", app.fx.inv1_overdue).await;
        assert_eq!(status, StatusCode::OK, "{p}");
        assert_eq!((p["date"].as_str(), p["customer"].as_str()), (Some("2031-10-21"), Some("business")), "{p}");
        // Out of scope, or a client: nothing.
        assert_eq!(prescription(&app, "c2@test.example", app.fx.inv1_overdue).await.0, StatusCode::NOT_FOUND);
        assert_eq!(prescription(&app, "client1@test.example", app.fx.inv1_overdue).await.0, StatusCode::FORBIDDEN);
        // A consumer has two years.
        app.exec(&format!("UPDATE accounts SET kind = 'consumer' WHERE id = {}", app.fx.account2)).await.unwrap();
        let (_, p) = prescription(&app, "owner@test.example", app.fx.inv2_open).await;
        let due = p["due_date"].as_str().unwrap().to_string();
        let two_years = format!("{}{}", due[..4].parse::<i32>().unwrap() + 2, &due[4..]);
        assert_eq!(p["date"].as_str(), Some(two_years.as_str()), "{p}");

        // The client acknowledged the debt on 1 March 2027? Not yet: the
        // future is refused, as is a day before the invoice; then recorded.
        let interrupt = |who: &'static str, date: &'static str, kind: &'static str| {
            let app = &app;
            async move {
                let invoice = app.fx.inv1_overdue.to_string();
                let form = [
                    ("invoice_id", invoice.as_str()),
                    ("kind", kind),
                    ("occurred_on", date),
                    ("note", "Échéancier signé"),
                ];
                app.login(who).await.post_form("/api/legal/interrupt", &form).await.status()
            }
        };
        assert_eq!(
            interrupt("c1@test.example", "2027-03-01", "acknowledgement").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(
            interrupt("c1@test.example", "2020-01-01", "acknowledgement").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
        assert_eq!(interrupt("c1@test.example", "2026-11-10", "reminder").await, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(interrupt("c2@test.example", "2026-11-10", "acknowledgement").await, StatusCode::NOT_FOUND);
        assert_eq!(interrupt("client1@test.example", "2026-11-10", "acknowledgement").await, StatusCode::FORBIDDEN);
        assert_eq!(app.count("SELECT COUNT(*) FROM prescription_interruptions").await, 0, "refusals write nothing");
        assert_eq!(interrupt("c1@test.example", "2026-11-10", "acknowledgement").await, StatusCode::OK);
        let (_, p) = prescription(&app, "c1@test.example", app.fx.inv1_overdue).await;
        assert_eq!(p["date"], "2031-11-10", "five years from the acknowledgement: {p}");
        assert_eq!(p["interruptions"][0]["kind"], "acknowledgement");
        assert_eq!(p["interruptions"][0]["note"], "Échéancier signé");
        let audited = "SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.prescription_interrupted' AND account_id IS NOT NULL";
        assert_eq!(app.count(audited).await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_queue_lists_claims_within_six_months_of_prescription_in_scope() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // Today is 20 November 2026. A business claim due 1 December 2021
        // is time-barred after 1 December 2026; one due 1 July 2021 already
        // is; one due 1 August 2022 has until 2027 (beyond six months).
        let soon = old_invoice(&app, app.fx.account1, "OLD-1", "2021-11-01", "2021-12-01").await;
        old_invoice(&app, app.fx.account1, "OLD-0", "2021-06-01", "2021-07-01").await;
        old_invoice(&app, app.fx.account1, "OLD-2", "2022-07-01", "2022-08-01").await;
        // A consumer's claim due 15 March 2025: barred after 15 March 2027.
        app.exec(&format!("UPDATE accounts SET kind = 'consumer' WHERE id = {}", app.fx.account2)).await.unwrap();
        old_invoice(&app, app.fx.account2, "OLD-C", "2025-02-15", "2025-03-15").await;

        let queue = |who: &'static str| {
            let app = &app;
            async move {
                let res = app.login(who).await.post_form("/api/legal/at_risk", &[]).await;
                assert_eq!(res.status(), StatusCode::OK, "{who}");
                let list: Value = res.json().await.unwrap();
                list.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| {
                        (
                            c["number"].as_str().unwrap().to_string(),
                            c["prescription"].as_str().unwrap().to_string(),
                            c["days_left"].as_i64().unwrap(),
                        )
                    })
                    .collect::<Vec<_>>()
            }
        };
        let owned = |n: &str, d: &str, left: i64| (n.to_string(), d.to_string(), left);
        assert_eq!(
            queue("owner@test.example").await,
            [owned("OLD-0", "2026-07-01", -142), owned("OLD-1", "2026-12-01", 11), owned("OLD-C", "2027-03-15", 115)]
        );
        assert_eq!(
            queue("c1@test.example").await,
            [owned("OLD-0", "2026-07-01", -142), owned("OLD-1", "2026-12-01", 11)]
        );
        assert_eq!(queue("c2@test.example").await, [owned("OLD-C", "2027-03-15", 115)]);
        let client = app.login("client1@test.example").await;
        assert_eq!(client.post_form("/api/legal/at_risk", &[]).await.status(), StatusCode::FORBIDDEN);

        // A court claim on OLD-1 takes it off the queue (five more years).
        let form =
            [("invoice_id", soon.to_string()), ("kind", "court_claim".into()), ("occurred_on", "2026-11-19".into())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let owner = app.login("owner@test.example").await;
        assert_eq!(owner.post_form("/api/legal/interrupt", &form).await.status(), StatusCode::OK);
        let numbers: Vec<String> = queue("owner@test.example").await.into_iter().map(|(n, _, _)| n).collect();
        assert_eq!(numbers, ["OLD-0", "OLD-C"]);
        assert_eq!(json!(numbers.len()), json!(2));
        app.finish().await;
    }
}

#[tokio::test]
async fn an_overdue_account_s_claim_breaks_down_principal_penalties_and_indemnity() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // T-0002: 500.00 issued 21 September, 200.00 paid on the 26th, due
        // 21 October; on 20 November 300.00 has been late 30 days. Second
        // half of 2026: ECB 2.15 % on 1 July + 10 points = 12.15 %;
        // 300.00 × 12.15 % × 30 / 365 = 2.9959… → 3.00; and 40 €.
        let c1 = app.login("c1@test.example").await;
        let res = c1.post_form("/api/legal/claim", &[("account_id", &app.fx.account1.to_string())]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let claim: Value = res.json().await.unwrap();
        assert_eq!(claim["rule"], "france_business");
        let lines = claim["lines"].as_array().unwrap();
        assert_eq!(lines.len(), 1, "only the overdue, unpaid invoice: {claim}");
        let l = &lines[0];
        assert_eq!(l["number"], "T-0002");
        assert_eq!((l["principal"]["minor"].as_i64(), l["days_late"].as_i64()), (Some(30_000), Some(30)));
        assert_eq!(l["penalties"]["minor"], 300, "{l}");
        assert_eq!(l["indemnity"]["minor"], 4_000);
        assert_eq!(
            l["periods"],
            json!([{
                "from": "2026-10-22", "to": "2026-11-20", "days": 30,
                "unpaid": { "minor": 30_000, "currency": "EUR" }, "percent": "12.15",
                "amount": { "minor": 300, "currency": "EUR" }
            }])
        );
        assert_eq!(
            (claim["principal"]["minor"].as_i64(), claim["penalties"]["minor"].as_i64()),
            (Some(30_000), Some(300))
        );

        // The CSV for the petition: the debtor and the same figures.
        let csv = c1.get(&format!("/back/accounts/{}/claim.csv", app.fx.account1)).await;
        assert_eq!(csv.status(), StatusCode::OK);
        assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let text = csv.text().await.unwrap();
        for needle in ["Alpha Boulangerie SARL", "T-0002", "2026-10-21", "12.15 %", "3,00", "40,00"] {
            assert!(text.contains(needle), "{needle:?} in {text}");
        }
        // Staff of another portfolio and clients get nothing.
        let c2 = app.login("c2@test.example").await;
        assert_eq!(
            c2.get(&format!("/back/accounts/{}/claim.csv", app.fx.account1)).await.status(),
            StatusCode::NOT_FOUND
        );
        let client = app.login("client1@test.example").await;
        let res = client.post_form("/api/legal/claim", &[("account_id", &app.fx.account1.to_string())]).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);

        // A consumer owes neither penalty nor indemnity.
        app.exec(&format!("UPDATE accounts SET kind = 'consumer' WHERE id = {}", app.fx.account1)).await.unwrap();
        let claim: Value = c1
            .post_form("/api/legal/claim", &[("account_id", &app.fx.account1.to_string())])
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(claim["rule"], "consumer");
        assert_eq!((claim["penalties"]["minor"].as_i64(), &claim["indemnities"]), (Some(0), &Value::Null));
        app.finish().await;
    }
}
