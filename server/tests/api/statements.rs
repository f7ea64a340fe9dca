//! The account statement: the balance brought forward, the period's
//! entries with the running balance, the closing balance and its age, as
//! CSV and PDF; a client's own, staff's within their scope.

use crate::each_backend;
use crate::helpers::{csv_records as records, today};
use reqwest::StatusCode;

#[tokio::test]
async fn a_statement_brings_the_balance_forward_lists_the_period_and_closes_with_its_age() {
    each_backend!(|app| {
        // Account 1: T-0003 (300.00, issued 90 days ago, paid 85 days ago),
        // T-0002 (500.00, 60 days ago, 200.00 paid 55 days ago), T-0001
        // (1,200.00, 10 days ago, due in 20 days).
        let client = app.login("client1@test.example").await;
        let from = today() - chrono::Days::new(58);
        let res = client.get(&format!("/portal/statement.csv?from={from}&to={}", today())).await;
        assert_eq!(res.status(), StatusCode::OK);
        let rows = records(&res.text().await.unwrap());
        assert_eq!(rows[0][0], "Relevé de compte");
        assert_eq!(rows[0][1], "A0001");
        // Brought forward: 300 - 300 + 500.
        assert_eq!(rows[3][1], "Solde reporté");
        assert_eq!(rows[3][5], "500,00");
        // The period: the part payment, then the new invoice.
        assert_eq!(rows[4][0], (today() - chrono::Days::new(55)).to_string());
        assert_eq!(
            (rows[4][2].as_str(), rows[4][3].as_str(), rows[4][4].as_str(), rows[4][5].as_str()),
            ("VIR-TEST · T-0002", "", "200,00", "300,00")
        );
        assert_eq!((rows[5][2].as_str(), rows[5][3].as_str(), rows[5][5].as_str()), ("T-0001", "1200,00", "1500,00"));
        assert_eq!(rows[6][1], "Solde à la fin de la période");
        assert_eq!(rows[6][5], "1500,00");
        // Its age at the end: 1,200.00 not yet due, 300.00 30 days late.
        let aging = &rows[9];
        assert_eq!(aging[1..7], ["1200,00", "300,00", "0,00", "0,00", "0,00", "0,00"]);
        assert_eq!(aging[7], "0,00");

        // The PDF of the same.
        let res = client.get("/portal/statement.pdf").await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    });
}

#[tokio::test]
async fn a_statement_is_its_client_s_and_staff_s_within_their_scope() {
    each_backend!(|app| {
        let bravo = app.fx.account2;
        let client = app.login("client1@test.example").await;
        assert_eq!(client.get(&format!("/back/accounts/{bravo}/statement.csv")).await.status(), StatusCode::FORBIDDEN);
        let collector = app.login("c1@test.example").await;
        assert_eq!(
            collector.get(&format!("/back/accounts/{bravo}/statement.csv")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(collector.get("/portal/statement.csv").await.status(), StatusCode::FORBIDDEN);
        let own = collector.get(&format!("/back/accounts/{}/statement.pdf", app.fx.account1)).await;
        assert_eq!(own.status(), StatusCode::OK);
        let owner = app.login("owner@test.example").await;
        let csv = owner.get(&format!("/back/accounts/{bravo}/statement.csv")).await.text().await.unwrap();
        assert!(csv.contains("Bravo Shipping Ltd") && csv.contains("T-0004"), "{csv}");
        let res = owner.get(&format!("/back/accounts/{bravo}/statement.csv?from=2026-11-01&to=2026-10-01")).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(owner.get(&format!("/back/accounts/{bravo}/statement.txt")).await.status(), StatusCode::NOT_FOUND);
        let res = app.anonymous().get("/portal/statement.pdf").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        assert!(res.headers()["location"].to_str().unwrap().starts_with("/login?next="));
    });
}
