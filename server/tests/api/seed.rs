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
        // An example reminder plan, four steps, given to no segment: the
        // demo chases nobody until the owner assigns it.
        let example = format!("SELECT COUNT(*) FROM reminder_plans WHERE name = '{}'", server::seed_plan::EXAMPLE_PLAN);
        assert_eq!(app.count(&example).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM reminder_steps").await, 4);
        assert_eq!(app.count("SELECT COUNT(*) FROM segment_reminder_plans").await, 0);
        // Seeding again changes nothing.
        server::users::seed_if_empty(&app.db, app::db::Clock::Fixed(crate::helpers::now())).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, invoices);
        assert_eq!(app.count("SELECT COUNT(*) FROM reminder_plans").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_scale_seeder_writes_a_consistent_book() {
    for backend in crate::helpers::BACKENDS {
        // An empty database (no fixture, no demo data).
        let Some(app) = crate::helpers::spawn_app_tweaked(backend, true, |s| s.seed_demo = Some(false)).await else {
            continue;
        };
        let spec = server::seed_scale::ScaleSpec { accounts: 300, invoices: 6_000, seed: 7 };
        let report = server::seed_scale::seed_scale(&app.db, crate::helpers::now(), spec, "not-a-real-hash")
            .await
            .expect("seed-scale");
        assert_eq!(report.accounts, 300);
        assert_eq!(report.invoices, 6_000);
        assert_eq!(app.count("SELECT COUNT(*) FROM invoices").await, 6_000, "{backend:?}");
        assert!(app.count("SELECT COUNT(*) FROM accounts WHERE overdue_minor > 0").await > 0, "some accounts are late");
        assert!(app.count("SELECT COUNT(*) FROM promises WHERE status = 'active'").await > 0);
        assert!(app.count("SELECT COUNT(*) FROM disputes WHERE status IN ('open', 'under_review')").await > 0);
        // A second run refuses: the database is not empty any more.
        assert!(server::seed_scale::seed_scale(&app.db, crate::helpers::now(), spec, "x").await.is_err());
        // New rows after explicit ids: the sequences moved past them.
        crate::money::issue_invoice(&app, 1, "AFTER-SEED", 30, 10_000).await;
        app.finish().await; // verify-ledger: every stored balance equals the entries
    }
}
