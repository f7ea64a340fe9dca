//! The dashboard: what is owed and overdue, the cash expected over four
//! weeks, collected this month, the most overdue accounts; a collector's
//! holds only their accounts; its version moves when a payment lands.

use crate::each_backend;
use crate::received::record;
use reqwest::StatusCode;
use serde_json::Value;

async fn dashboard(s: &crate::helpers::Session) -> Value {
    let res = s.post_form("/api/dashboard/get", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn version(s: &crate::helpers::Session) -> String {
    let res = s.post_form("/api/dashboard/version", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<String>().await.unwrap()
}

#[tokio::test]
async fn the_dashboard_shows_where_the_cash_is_and_moves_when_a_payment_lands() {
    each_backend!(|app| {
        let owner = app.login("owner@test.example").await;
        let d = dashboard(&owner).await;
        let eur = &d["currencies"][0];
        // T-0001 1,200.00 and T-0004 999.00 not yet due, T-0002 300.00 due 30 days ago.
        assert_eq!(eur["aging"]["currency"], "EUR");
        assert_eq!(eur["aging"]["total"]["minor"], 249_900);
        assert_eq!(eur["aging"]["buckets"][1]["minor"], 30_000);
        // Expected: T-0001 (due in 20 days: the third week), T-0004 (25: the fourth).
        let weeks: Vec<i64> =
            eur["expected"].as_array().unwrap().iter().map(|w| w[1]["minor"].as_i64().unwrap()).collect();
        assert_eq!(weeks, [0, 0, 120_000, 99_900]);
        // Nothing collected in November yet (the fixture's payments are older).
        assert_eq!(eur["collected_this_month"]["minor"], 0);
        assert_eq!(d["top_overdue"][0]["name"], "Alpha Boulangerie SARL");
        assert_eq!(d["top_overdue"][0]["overdue"]["minor"], 30_000);
        assert_eq!(d["disputes_waiting"], 0);

        // A payment lands: the version moves and the figures with it.
        let before = version(&owner).await;
        let accountant = app.login("acc@test.example").await;
        let res =
            record(&accountant, app.fx.account1, "transfer", "300,00", &[(app.fx.inv1_overdue, "300,00")], "dash-1")
                .await;
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
        let after = version(&owner).await;
        assert_ne!(before, after);
        let d = dashboard(&owner).await;
        let eur = &d["currencies"][0];
        assert_eq!(eur["aging"]["total"]["minor"], 219_900);
        assert_eq!(eur["collected_this_month"]["minor"], 30_000);
        assert!(d["top_overdue"].as_array().unwrap().is_empty(), "{d}");
        assert_eq!(d["version"], after);
    });
}

#[tokio::test]
async fn a_collector_s_dashboard_holds_only_their_accounts() {
    each_backend!(|app| {
        let collector = app.login("c1@test.example").await;
        let d = dashboard(&collector).await;
        assert_eq!(d["currencies"][0]["aging"]["total"]["minor"], 150_000, "Alpha's only");
        let weeks: Vec<i64> = d["currencies"][0]["expected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w[1]["minor"].as_i64().unwrap())
            .collect();
        assert_eq!(weeks, [0, 0, 120_000, 0]);
        let client = app.login("client1@test.example").await;
        assert_eq!(client.post_form("/api/dashboard/get", &[]).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(client.post_form("/api/dashboard/version", &[]).await.status(), StatusCode::FORBIDDEN);
        let anonymous = app.anonymous();
        assert_eq!(anonymous.post_form("/api/dashboard/get", &[]).await.status(), StatusCode::UNAUTHORIZED);
    });
}

#[tokio::test]
async fn reminders_are_counted_step_by_step_with_the_payments_that_followed() {
    use crate::reminders::{at, plan, run_at};
    each_backend!(|app| {
        // One e-mail 30 days before the due date, sent at 11:00 (after the
        // fixture's payments were recorded): Alpha's T-0001 and T-0002 in
        // one reminder, Bravo's T-0004 in another.
        plan(&app, 0, &[("due_date", -30, "email")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 11, 0)).await, 2);
        let owner = app.login("owner@test.example").await;
        let d = dashboard(&owner).await;
        assert_eq!(d["reminders_sent"], 2);
        assert_eq!(
            d["reminder_steps"],
            serde_json::json!([{ "position": 1, "channel": "email", "sent": 2, "paid_after": 0 }])
        );

        // Alpha's transfer recorded at noon: one of the two reminders was
        // followed by a payment.
        app::with_db!(&app.db, |pool| {
            sqlx::query(
                "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference, created_at)
                 VALUES ($1, $2, 'payment', -30000, 'EUR', $3, 'VIR-DASH', $4)",
            )
            .bind(app.fx.account1)
            .bind(app.fx.inv1_overdue)
            .bind(crate::helpers::today())
            .bind(at(2026, 11, 20, 12, 0))
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .unwrap();
        app::ledger::balances::rebuild(&app.db, crate::helpers::today()).await.unwrap();
        let d = dashboard(&owner).await;
        assert_eq!(d["reminder_steps"][0]["paid_after"], 1, "{d}");
        // A collector counts their own accounts' reminders only.
        let c1 = app.login("c1@test.example").await;
        assert_eq!(dashboard(&c1).await["reminder_steps"][0]["sent"], 1);
    });
}
