//! The demo data set loads on both backends, holds together, and its
//! documented logins work.

use crate::helpers::{spawn_app_with, BACKENDS};
use reqwest::StatusCode;

#[tokio::test]
async fn demo_data_is_consistent_and_logins_work() {
    for backend in BACKENDS {
        let Some(app) = spawn_app_with(backend, true).await else { continue };
        let accounts = app.count("SELECT COUNT(*) FROM accounts").await;
        let invoices = app.count("SELECT COUNT(*) FROM invoices").await;
        assert!((55..=65).contains(&accounts), "{accounts} accounts");
        assert!((1300..=1700).contains(&invoices), "{invoices} invoices");
        // Every issued invoice has exactly one invoice entry of its total.
        let mismatched = app
            .count(
                "SELECT COUNT(*) FROM invoices i WHERE i.status = 'issued' AND i.total_minor <> COALESCE((
                    SELECT SUM(e.amount_minor) FROM ledger_entries e WHERE e.invoice_id = i.id AND e.kind = 'invoice'), 0)",
            )
            .await;
        assert_eq!(mismatched, 0);
        // Totals equal the sum of their lines.
        let bad_totals = app
            .count(
                "SELECT COUNT(*) FROM invoices i WHERE i.total_minor <> (
                    SELECT SUM(l.net_minor + l.tax_minor) FROM invoice_lines l WHERE l.invoice_id = i.id)",
            )
            .await;
        assert_eq!(bad_totals, 0);
        // No invoice is paid beyond its amount.
        let overpaid = app
            .count(
                "SELECT COUNT(*) FROM (SELECT invoice_id, SUM(amount_minor) AS b FROM ledger_entries
                 WHERE invoice_id IS NOT NULL GROUP BY invoice_id) t WHERE t.b < 0",
            )
            .await;
        assert_eq!(overpaid, 0);
        for (email, _) in server::seed::DEMO_LOGINS {
            let s = app.anonymous();
            let res = s.login(email, server::seed::DEMO_PASSWORD).await;
            assert_eq!(res.status(), StatusCode::OK, "{email}");
        }
        // Seeding again changes nothing.
        server::users::seed_if_empty(&app.db, app::db::Clock::Fixed(crate::helpers::now())).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, invoices);
        app.finish().await;
    }
}
