//! Disputes (draft): opening one, and the owner's decision issuing exactly
//! one credit note even when two owners decide at once. Each on both
//! databases.

use crate::helpers::{spawn_app, BACKENDS};
use crate::money::balance;
use app::disputes::ssr::{decide, open, DisputeScope, NewDispute};
use app::error::AppError;

fn dispute(account_id: i64, invoice_id: i64, actor: i64, scope: DisputeScope) -> NewDispute {
    NewDispute {
        account_id,
        invoice_id,
        reason: "damaged".into(),
        scope,
        message: "Deux cartons abîmés à la livraison.".into(),
        actor,
    }
}

#[tokio::test]
async fn two_owners_approving_at_once_issue_one_credit_note() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let before = balance(&app, fx.inv1_overdue).await;
        let id = open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Amount("120".into())))
            .await
            .expect("open");
        // One dispute in progress per invoice.
        let again = open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Invoice)).await;
        assert!(matches!(again, Err(AppError::Conflict(_))), "{backend:?}: {again:?}");
        // Another account's invoice: not found.
        let foreign = open(&state, &dispute(fx.account1, fx.inv2_open, fx.client1, DisputeScope::Invoice)).await;
        assert_eq!(foreign.err(), Some(AppError::NotFound));

        let (a, b) = tokio::join!(
            decide(&state, id, 8_000, "Accord partiel", fx.owner),
            decide(&state, id, 8_000, "", fx.owner)
        );
        let oks = [&a, &b].iter().filter(|r| r.is_ok()).count();
        assert_eq!(oks, 1, "{backend:?}: exactly one decision wins: {a:?} {b:?}");
        assert!([&a, &b].iter().any(|r| matches!(r, Err(AppError::Conflict(_)))));
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM credit_notes WHERE dispute_id = {id}")).await, 1);
        assert_eq!(
            app.count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE invoice_id = {} AND kind = 'credit_note'",
                fx.inv1_overdue
            ))
            .await,
            1
        );
        assert_eq!(balance(&app, fx.inv1_overdue).await, before - 8_000);
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM disputes WHERE id = {id} AND status = 'partially_approved'"))
                .await,
            1
        );
        // Decided: no second decision.
        assert!(matches!(decide(&state, id, 0, "non", fx.owner).await, Err(AppError::Conflict(_))));
        app.finish().await;
    }
}

#[tokio::test]
async fn a_rejection_needs_a_reason_and_issues_nothing() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let before = balance(&app, fx.inv1_overdue).await;
        let id = open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Invoice)).await.unwrap();
        assert_eq!(
            app.count(&format!("SELECT amount_minor FROM disputes WHERE id = {id}")).await,
            before,
            "the whole invoice: its open balance"
        );
        assert!(matches!(decide(&state, id, 0, "  ", fx.owner).await, Err(AppError::Validation(_))));
        assert!(matches!(decide(&state, id, before + 1, "trop", fx.owner).await, Err(AppError::Validation(_))));
        assert_eq!(decide(&state, id, 0, "Livraison signée sans réserve.", fx.owner).await.unwrap(), None);
        assert_eq!(app.count("SELECT COUNT(*) FROM credit_notes").await, 0);
        assert_eq!(balance(&app, fx.inv1_overdue).await, before);
        // A new dispute may be opened once this one is decided.
        assert!(open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Lines(vec![1])))
            .await
            .is_ok());
        app.finish().await;
    }
}
