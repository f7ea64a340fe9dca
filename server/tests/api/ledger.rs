//! The ledger's guarantees, each on both databases: one writer under the
//! account's lock (concurrent successes post an invoice once, the rest as
//! credit), stored balances that always equal the entries (checked by
//! `verify-ledger` after every test, and here after every step of random
//! sequences), credit notes capped at what is owed, autopay that never
//! charges a disputed amount, promises kept by money only, and one currency
//! per account enforced by the schema.

use crate::helpers::{now, spawn_app, TestApp, BACKENDS};
use crate::money::{add_card, allocate, first_method, issue_invoice, pay_new_card, receive, stored_balance, unapplied};
use app::disputes::ssr::{decide, open, DisputeScope, NewDispute};
use app::ledger::{self, Posting};
use app::payments::gateway::RefundStatus;
use app::payments::{events, jobs, ssr};
use app::with_db;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Moves the last change of the payments matching `cond` to `at`.
async fn set_updated_at(app: &TestApp, cond: &str, at: chrono::DateTime<chrono::Utc>) {
    let sql = format!("UPDATE payments SET updated_at = $1 WHERE {cond}");
    with_db!(&app.db, |pool| sqlx::query(&sql).bind(at).execute(pool).await.map(|r| r.rows_affected())).unwrap();
}

/// A payment row waiting at the gateway (`pi_{tag}`), allocated to `parts`.
async fn pending_payment(app: &TestApp, account: i64, tag: &str, parts: &[(i64, i64)], status: &str) -> i64 {
    let total: i64 = parts.iter().map(|p| p.1).sum();
    let id: i64 = with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO payments (account_id, idempotency_key, gateway, gateway_ref, amount_minor, currency, status, source,
                 created_at, updated_at)
             VALUES ($1, $2, 'sandbox', $3, $4, 'EUR', $5, 'portal', $6, $6) RETURNING id",
        )
        .bind(account)
        .bind(format!("key-{tag}"))
        .bind(format!("pi_{tag}"))
        .bind(total)
        .bind(status)
        .bind(now() - chrono::Duration::hours(2))
        .fetch_one(pool)
        .await
    })
    .unwrap();
    allocate(app, id, parts).await;
    id
}

/// A `payment_intent.succeeded` event as Stripe (and the sandbox) send it.
fn succeeded_event(tag: &str, payment: i64) -> Value {
    json!({
        "id": format!("evt_{tag}"),
        "type": "payment_intent.succeeded",
        "created": now().timestamp(),
        "data": { "object": { "id": format!("pi_{tag}"), "object": "payment_intent",
                               "metadata": { "relance_payment_id": payment.to_string() } } }
    })
}

#[tokio::test]
async fn concurrent_successes_on_one_invoice_post_it_once_and_keep_the_rest_as_credit() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let account = app.fx.account3;
        let inv = issue_invoice(&app, account, "R-0001", -10, 30_000).await;
        // Four payments meant for the same invoice (a retried card, an old
        // 3-D Secure step finished late…), reported at the same moment.
        let mut ids = Vec::new();
        for k in 0..4 {
            ids.push(pending_payment(&app, account, &format!("race{k}"), &[(inv, 30_000)], "requires_action").await);
        }
        let events: Vec<Value> =
            ids.iter().enumerate().map(|(k, id)| succeeded_event(&format!("race{k}"), *id)).collect();
        let (a, b, c, d) = tokio::join!(
            events::process_event(&state, &events[0]),
            events::process_event(&state, &events[1]),
            events::process_event(&state, &events[2]),
            events::process_event(&state, &events[3]),
        );
        for r in [a, b, c, d] {
            assert_eq!(r.expect("event processed"), events::EventOutcome::Applied, "{backend:?}");
        }
        assert_eq!(stored_balance(&app, inv).await, 0, "{backend:?}: the invoice is paid once, never below zero");
        assert_eq!(unapplied(&app, account).await, -90_000, "{backend:?}: three payments' worth is credit");
        assert_eq!(
            app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE invoice_id = {inv} AND kind = 'payment'"))
                .await,
            1
        );
        app.verify_ledger().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_success_racing_the_credit_job_never_takes_an_invoice_below_zero() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let account = app.fx.account3;
        let inv = issue_invoice(&app, account, "R-0002", -5, 40_000).await;
        // A payment waiting for 3-D Secure since two hours, on that invoice…
        let late = pending_payment(&app, account, "late", &[(inv, 40_000)], "requires_action").await;
        // …and credit on the account (an overpayment) that the job wants to apply.
        receive(&app, account, &[], 40_000).await;
        assert_eq!(stored_balance(&app, inv).await, 40_000, "credit does not cover an invoice being paid");
        let event = succeeded_event("late", late);
        let (a, b, c) = tokio::join!(
            events::process_event(&state, &event),
            ssr::apply_all_credit(&state),
            ssr::apply_all_credit(&state),
        );
        a.unwrap();
        b.unwrap();
        c.unwrap();
        ssr::apply_all_credit(&state).await.unwrap();
        assert_eq!(stored_balance(&app, inv).await, 0, "{backend:?}");
        assert_eq!(unapplied(&app, account).await, -40_000, "{backend:?}: the credit is still the client's");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_payment_waiting_past_the_hold_is_cancelled_at_the_gateway_before_its_invoice_is_freed() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let s = app.login("client1@test.example").await;
        let inv = app.fx.inv1_overdue.to_string();
        // A card typed in that asks for 3-D Secure (Stripe's test card).
        let pay = |key: &'static str| pay_new_card(&s, &inv, 30_000, key, "4000002760003184");
        assert_eq!(pay("first").await.status(), StatusCode::OK);
        let first = crate::money::payment_by_key(&app, "first").await;
        assert_eq!(crate::money::status_of(&app, first).await, "requires_action");
        // Two hours later the payer has not authenticated: the invoice is
        // still held (paying again would be refused) until the job cancels
        // the old attempt at the gateway.
        set_updated_at(&app, &format!("id = {first}"), now() - chrono::Duration::hours(2)).await;
        assert_eq!(pay("second").await.status(), StatusCode::CONFLICT, "held while not cancelled");
        jobs::reconcile(&state).await.unwrap();
        assert_eq!(crate::money::status_of(&app, first).await, "failed");
        let sandbox_status = crate::money::text(
            &app,
            &format!(
                "SELECT data FROM sandbox_objects WHERE id = (SELECT gateway_ref FROM payments WHERE id = {first})"
            ),
        )
        .await;
        assert!(sandbox_status.contains("\"canceled\""), "cancelled at the gateway: {sandbox_status}");
        // Finishing the old 3-D Secure step now charges nothing.
        let intent = crate::money::text(&app, &format!("SELECT gateway_ref FROM payments WHERE id = {first}")).await;
        let res = s.post_form("/api/sandbox/authenticate", &[("id", &intent), ("approve", "true")]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "the cancelled attempt cannot be completed");
        events::deliver_sandbox_events(&state).await.unwrap();
        assert_eq!(crate::money::status_of(&app, first).await, "failed");
        assert_eq!(stored_balance(&app, app.fx.inv1_overdue).await, 30_000);
        app.finish().await;
    }
}

#[tokio::test]
async fn two_connections_are_enough_for_concurrent_money_writes() {
    // Nothing takes a second connection while it holds a transaction: with
    // a pool of two, six payments reported at once, the credit job and the
    // promise job all finish (they used to wait on themselves).
    for backend in BACKENDS {
        let Some(app) = crate::helpers::spawn_app_tweaked(backend, false, |s| s.db_pool_size = Some(2)).await else {
            continue;
        };
        let state = app.state();
        let fx = app.fx.clone();
        let mut events = Vec::new();
        for (k, (account, inv)) in
            [(fx.account1, fx.inv1_open), (fx.account1, fx.inv1_overdue), (fx.account2, fx.inv2_open)]
                .into_iter()
                .cycle()
                .take(6)
                .enumerate()
        {
            let tag = format!("pool{k}");
            let id = pending_payment(&app, account, &tag, &[(inv, 1_000)], "processing").await;
            events.push(succeeded_event(&tag, id));
        }
        let work = async {
            let posts = futures::future::join_all(events.iter().map(|e| events::process_event(&state, e)));
            let (posted, credit, promises) =
                tokio::join!(posts, ssr::apply_all_credit(&state), app::promises::ssr::settle_due(&state));
            for p in posted {
                assert_eq!(p.expect("posted"), events::EventOutcome::Applied);
            }
            credit.unwrap();
            promises.unwrap();
        };
        tokio::time::timeout(std::time::Duration::from_secs(20), work)
            .await
            .unwrap_or_else(|_| panic!("{backend:?}: money writes starved the pool"));
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE status = 'succeeded'").await, 6);
        app.finish().await;
    }
}

fn dispute(account_id: i64, invoice_id: i64, actor: i64, scope: DisputeScope) -> NewDispute {
    NewDispute {
        account_id,
        invoice_id,
        reason: "wrong_amount".into(),
        scope,
        message: "Le montant ne correspond pas au devis.".into(),
        actor,
    }
}

#[tokio::test]
async fn a_credit_note_posts_at_most_what_is_owed_and_the_rest_as_credit() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        // Account 2 owes only T-0004 (999,00 €). The client disputes all of
        // it, pays it anyway, then the owner approves the dispute in full.
        let id = open(&state, &dispute(fx.account2, fx.inv2_open, fx.client2, DisputeScope::Invoice), &[])
            .await
            .expect("open")
            .id;
        receive(&app, fx.account2, &[(fx.inv2_open, 99_900)], 99_900).await;
        assert_eq!(stored_balance(&app, fx.inv2_open).await, 0);
        let approved = decide(&state, id, 99_900, "", fx.owner).await.expect("approve");
        assert_eq!(approved.status, app::disputes::DisputeStatus::Approved);
        let number =
            crate::money::text(&app, &format!("SELECT number FROM credit_notes WHERE dispute_id = {id}")).await;
        assert_eq!(stored_balance(&app, fx.inv2_open).await, 0, "{backend:?}: never below zero");
        assert_eq!(unapplied(&app, fx.account2).await, -99_900, "{backend:?}: the credit note became credit");
        let entries = app
            .count(&format!(
                "SELECT COUNT(*) FROM ledger_entries WHERE kind = 'credit_note' AND reference = '{number}' AND invoice_id IS NULL"
            ))
            .await;
        assert_eq!(entries, 1);
        // The client sees that credit.
        let s = app.login("client2@test.example").await;
        let overview: Value = s.post_form("/api/portal/overview", &[]).await.json().await.unwrap();
        assert_eq!(overview["credit"]["minor"], 99_900, "{overview}");
        assert_eq!(overview["balance"]["minor"], -99_900, "{overview}");
        app.finish().await;
    }
}

#[tokio::test]
async fn autopay_never_charges_a_disputed_amount() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let s = app.login("client2@test.example").await;
        assert_eq!(add_card(&s, "4242424242424242").await.status(), StatusCode::OK);
        let method = first_method(&s).await;
        let res = s.post_form("/api/payments/method_action", &[("method_id", &method), ("action", "autopay_on")]).await;
        assert_eq!(res.status(), StatusCode::OK);
        // Two invoices fall due today: one disputed in part, one in full.
        let part = issue_invoice(&app, fx.account2, "AP-0001", 0, 50_000).await;
        let whole = issue_invoice(&app, fx.account2, "AP-0002", 0, 20_000).await;
        open(&state, &dispute(fx.account2, part, fx.client2, DisputeScope::Amount("200".into())), &[]).await.unwrap();
        open(&state, &dispute(fx.account2, whole, fx.client2, DisputeScope::Invoice), &[]).await.unwrap();
        jobs::run_autopay(&state).await.unwrap();
        jobs::run_autopay(&state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE source = 'autopay'").await, 1, "{backend:?}");
        assert_eq!(app.count("SELECT amount_minor FROM payments WHERE source = 'autopay'").await, 30_000);
        assert_eq!(stored_balance(&app, part).await, 20_000, "the disputed 200,00 € is left");
        assert_eq!(stored_balance(&app, whole).await, 20_000, "the disputed invoice is not charged");
        app.finish().await;
    }
}

#[tokio::test]
async fn autopay_retries_a_declined_charge_on_its_schedule() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let s = app.login("client2@test.example").await;
        // Saves, then every charge is declined.
        assert_eq!(add_card(&s, "4000000000000341").await.status(), StatusCode::OK);
        let method = first_method(&s).await;
        s.post_form("/api/payments/method_action", &[("method_id", &method), ("action", "autopay_on")]).await;
        issue_invoice(&app, fx.account2, "AP-0003", 0, 10_000).await;
        jobs::run_autopay(&state).await.unwrap();
        jobs::run_autopay(&state).await.unwrap();
        let autopay = "SELECT COUNT(*) FROM payments WHERE source = 'autopay'";
        assert_eq!(app.count(autopay).await, 1, "one attempt, failed");
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE source = 'autopay' AND status = 'failed'").await, 1);
        // A day later, the next attempt; not before.
        set_updated_at(&app, "source = 'autopay'", now() - chrono::Duration::hours(25)).await;
        jobs::run_autopay(&state).await.unwrap();
        jobs::run_autopay(&state).await.unwrap();
        assert_eq!(app.count(autopay).await, 2, "{backend:?}: retried once after a day");
        // After the last scheduled retry autopay stops.
        for _ in 0..6 {
            set_updated_at(&app, "source = 'autopay'", now() - chrono::Duration::days(30)).await;
            jobs::run_autopay(&state).await.unwrap();
        }
        assert_eq!(app.count(autopay).await, 1 + jobs::AUTOPAY_RETRY_DAYS.len() as i64);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_promise_is_kept_by_money_received_not_by_a_credit_note() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let s = app.login("client1@test.example").await;
        let date = (crate::helpers::today() + chrono::Duration::days(5)).to_string();
        for inv in [fx.inv1_overdue, fx.inv1_open] {
            let res = s
                .post_form(
                    "/api/promises/create",
                    &[("invoices", &inv.to_string()), ("promised_date", &date), ("amount", ""), ("note", "")],
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
        }
        let promise_on = |inv: i64| {
            format!("SELECT pr.status FROM promises pr JOIN promise_invoices pi ON pi.promise_id = pr.id WHERE pi.invoice_id = {inv}")
        };
        // T-0002 is settled by a credit note: no money, not kept.
        let id = open(&state, &dispute(fx.account1, fx.inv1_overdue, fx.client1, DisputeScope::Invoice), &[])
            .await
            .unwrap()
            .id;
        decide(&state, id, 30_000, "", fx.owner).await.unwrap();
        // T-0001 is paid.
        receive(&app, fx.account1, &[(fx.inv1_open, 120_000)], 120_000).await;
        app::promises::ssr::settle_due(&state).await.unwrap();
        assert_eq!(crate::money::text(&app, &promise_on(fx.inv1_overdue)).await, "cancelled", "{backend:?}");
        assert_eq!(crate::money::text(&app, &promise_on(fx.inv1_open)).await, "kept", "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'promise.kept'").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn one_currency_per_account_is_enforced_by_the_schema() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let fx = app.fx.clone();
        let n = "2026-11-20";
        let invoice_in_usd = format!(
            "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor, total_minor, status, created_at)
             VALUES ({}, 'USD-1', '2026-11-01', '2026-12-01', 'USD', 100, 20, 120, 'issued', '{n}')",
            fx.account1
        );
        assert!(app.exec(&invoice_in_usd).await.is_err(), "{backend:?}: an invoice in another currency");
        let entry_on_foreign_invoice = format!(
            "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, created_at)
             VALUES ({}, {}, 'fee', 100, 'EUR', '2026-11-20', '{n}')",
            fx.account1, fx.inv2_open
        );
        assert!(
            app.exec(&entry_on_foreign_invoice).await.is_err(),
            "{backend:?}: an entry on another account's invoice"
        );
        let entry_in_usd = format!(
            "INSERT INTO ledger_entries (account_id, kind, amount_minor, currency, occurred_on, created_at)
             VALUES ({}, 'fee', 100, 'USD', '2026-11-20', '{n}')",
            fx.account1
        );
        assert!(app.exec(&entry_in_usd).await.is_err(), "{backend:?}: an entry in another currency");
        let payment_in_usd = format!(
            "INSERT INTO payments (account_id, idempotency_key, gateway, amount_minor, currency, status, source, created_at, updated_at)
             VALUES ({}, 'usd', 'sandbox', 100, 'USD', 'pending', 'portal', '{n}', '{n}')",
            fx.account1
        );
        assert!(app.exec(&payment_in_usd).await.is_err(), "{backend:?}: a payment in another currency");
        let switch = format!("UPDATE accounts SET currency = 'USD' WHERE id = {}", fx.account1);
        assert!(app.exec(&switch).await.is_err(), "{backend:?}: an account with invoices keeps its currency");
        app.finish().await;
    }
}

#[tokio::test]
async fn verify_ledger_names_a_stored_balance_that_differs_from_the_entries() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let inv = app.fx.inv1_overdue;
        let report = ledger::verify::run(&app.db, crate::helpers::today()).await.unwrap();
        assert!(report.is_clean(), "{:?}", report.problems);
        app.exec(&format!("UPDATE invoices SET balance_minor = balance_minor + 1 WHERE id = {inv}")).await.unwrap();
        app.exec(&format!("UPDATE accounts SET unapplied_minor = -5 WHERE id = {}", app.fx.account2)).await.unwrap();
        let report = ledger::verify::run(&app.db, crate::helpers::today()).await.unwrap();
        let text = report.problems.join("\n");
        assert!(
            text.contains(&format!("invoice balance: invoice {inv} (T-0002): stored 30001, from the entries 30000")),
            "{text}"
        );
        assert!(text.contains("account unapplied credit: account"), "{text}");
        assert!(text.contains("(A0002): stored -5, from the entries 0"), "{text}");
        // Put it back: `finish` verifies again.
        app.exec(&format!("UPDATE invoices SET balance_minor = balance_minor - 1 WHERE id = {inv}")).await.unwrap();
        app.exec(&format!("UPDATE accounts SET unapplied_minor = 0 WHERE id = {}", app.fx.account2)).await.unwrap();
        app.finish().await;
    }
}

/// A refund row for a succeeded payment, settled as the gateway reports.
async fn refund(app: &TestApp, payment: i64, amount: i64) -> i64 {
    with_db!(&app.db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO refunds (payment_id, amount_minor, currency, status, created_at) VALUES ($1, $2, 'EUR', 'pending', $3)
             RETURNING id",
        )
        .bind(payment)
        .bind(amount)
        .bind(now())
        .fetch_one(pool)
        .await
    })
    .unwrap()
}

#[tokio::test]
async fn a_refund_that_fails_after_succeeding_is_reversed_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let paid = receive(&app, fx.account1, &[(fx.inv1_overdue, 30_000)], 30_000).await;
        let r = refund(&app, paid, 10_000).await;
        assert!(ssr::settle(&state, r, &RefundStatus::Succeeded, Some("re_1")).await.unwrap());
        assert!(!ssr::settle(&state, r, &RefundStatus::Succeeded, Some("re_1")).await.unwrap(), "once");
        assert_eq!(stored_balance(&app, fx.inv1_overdue).await, 10_000, "the refund reopened the invoice");
        let failed = RefundStatus::Failed { code: "expired_or_canceled_card".into() };
        assert!(ssr::settle(&state, r, &failed, None).await.unwrap());
        assert!(!ssr::settle(&state, r, &failed, None).await.unwrap(), "reversed once");
        assert_eq!(stored_balance(&app, fx.inv1_overdue).await, 0, "{backend:?}: the money is the merchant's again");
        // A refund that fails before succeeding never touched the ledger.
        let r2 = refund(&app, paid, 5_000).await;
        assert!(ssr::settle(&state, r2, &failed, None).await.unwrap());
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM ledger_entries WHERE refund_id = {r2}")).await, 0);
        app.finish().await;
    }
}

mod random_sequences {
    //! Random sequences of payments, refunds (and refunds failing later),
    //! credit notes, fees, write-offs, new invoices and credit applications:
    //! after every step the stored balances equal the ledger, no invoice is
    //! below zero, and the account's balance equals what a plain model of
    //! the same operations says.

    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    #[derive(Clone, Debug)]
    enum Op {
        Issue { total: i64, due_in: i64 },
        Pay { invoice: usize, amount: i64, extra: i64 },
        Refund { payment: usize, share: u8 },
        RefundFails { refund: usize },
        CreditNote { invoice: usize, amount: i64 },
        Fee { invoice: usize, amount: i64 },
        WriteOff { invoice: usize, share: u8 },
        ApplyCredit,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1i64..200_000, -40i64..40).prop_map(|(total, due_in)| Op::Issue { total, due_in }),
            (0usize..8, 1i64..150_000, prop_oneof![Just(0i64), 1i64..50_000])
                .prop_map(|(invoice, amount, extra)| Op::Pay { invoice, amount, extra }),
            (0usize..8, 1u8..=100).prop_map(|(payment, share)| Op::Refund { payment, share }),
            (0usize..8).prop_map(|refund| Op::RefundFails { refund }),
            (0usize..8, 1i64..150_000).prop_map(|(invoice, amount)| Op::CreditNote { invoice, amount }),
            (0usize..8, 1i64..10_000).prop_map(|(invoice, amount)| Op::Fee { invoice, amount }),
            (0usize..8, 1u8..=100).prop_map(|(invoice, share)| Op::WriteOff { invoice, share }),
            Just(Op::ApplyCredit),
        ]
    }

    /// Applies one operation; returns how it moves the account's balance.
    struct Refunded {
        id: i64,
        payment: i64,
        amount: i64,
        failed: bool,
    }

    async fn apply(
        app: &TestApp,
        op: &Op,
        step: usize,
        invoices: &mut Vec<i64>,
        payments: &mut Vec<(i64, i64)>,
        refunds: &mut Vec<Refunded>,
    ) -> i64 {
        let state = app.state();
        let account = app.fx.account3;
        let pick = |list: &[i64], k: usize| (!list.is_empty()).then(|| list[k % list.len()]);
        match *op {
            Op::Issue { total, due_in } => {
                invoices.push(issue_invoice(app, account, &format!("P-{step:04}"), due_in, total).await);
                total
            }
            Op::Pay { invoice, amount, extra } => {
                let parts: Vec<(i64, i64)> = pick(invoices, invoice).map(|i| vec![(i, amount)]).unwrap_or_default();
                let total = parts.iter().map(|p| p.1).sum::<i64>() + extra;
                if total == 0 {
                    return 0;
                }
                payments.push((receive(app, account, &parts, total).await, total));
                -total
            }
            Op::Refund { payment, share } => {
                let Some(&(id, paid)) = payments.get(payment % payments.len().max(1)) else { return 0 };
                let refunded: i64 = refunds.iter().filter(|r| r.payment == id && !r.failed).map(|r| r.amount).sum();
                let amount = (paid - refunded) * i64::from(share) / 100;
                if amount <= 0 {
                    return 0;
                }
                let r = refund(app, id, amount).await;
                ssr::settle(&state, r, &RefundStatus::Succeeded, None).await.unwrap();
                refunds.push(Refunded { id: r, payment: id, amount, failed: false });
                amount
            }
            Op::RefundFails { refund } => {
                let k = refund % refunds.len().max(1);
                let Some(r) = refunds.get_mut(k) else { return 0 };
                if r.failed {
                    return 0;
                }
                r.failed = true;
                ssr::settle(&state, r.id, &RefundStatus::Failed { code: "refund_failed".into() }, None).await.unwrap();
                -r.amount
            }
            Op::CreditNote { invoice, amount } => {
                let Some(inv) = pick(invoices, invoice) else { return 0 };
                let id: i64 = with_db!(&app.db, |pool| {
                    sqlx::query_scalar(
                        "INSERT INTO credit_notes (number, account_id, invoice_id, amount_minor, currency, issued_on, created_at)
                         VALUES ($1, $2, $3, $4, 'EUR', $5, $6) RETURNING id",
                    )
                    .bind(format!("AV-P{step:04}"))
                    .bind(account)
                    .bind(inv)
                    .bind(amount)
                    .bind(crate::helpers::today())
                    .bind(now())
                    .fetch_one(pool)
                    .await
                })
                .unwrap();
                post(app, Posting::CreditNote { credit_note_id: id, invoice_id: inv, amount, reference: "AV" }).await;
                -amount
            }
            Op::Fee { invoice, amount } => {
                let inv = pick(invoices, invoice);
                let key = format!("p{step}");
                post(app, Posting::Fee { key: &key, invoice_id: inv, amount, reference: "FEE" }).await;
                amount
            }
            Op::WriteOff { invoice, share } => {
                let Some(inv) = pick(invoices, invoice) else { return 0 };
                let owed = stored_balance(app, inv).await;
                let amount = owed * i64::from(share) / 100;
                if amount <= 0 {
                    return 0;
                }
                let key = format!("p{step}");
                post(app, Posting::WriteOff { key: &key, invoice_id: inv, amount, reference: "WO" }).await;
                -amount
            }
            Op::ApplyCredit => {
                ssr::apply_all_credit(&state).await.unwrap();
                0
            }
        }
    }

    async fn post(app: &TestApp, posting: Posting<'_>) {
        let state = app.state();
        let mut tx = state.db.begin().await.unwrap();
        let lock = ledger::lock(&mut tx, app.fx.account3).await.unwrap();
        ledger::post(&mut tx, &lock, posting, &ledger::Ctx::new(&state, None)).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn run_case(backend: crate::helpers::Backend, ops: Vec<Op>) -> Result<(), TestCaseError> {
        let Some(app) = spawn_app(backend).await else { return Ok(()) };
        let (mut invoices, mut payments, mut refunds) = (Vec::new(), Vec::new(), Vec::new());
        let mut expected = 0i64;
        for (step, op) in ops.iter().enumerate() {
            expected += apply(&app, op, step, &mut invoices, &mut payments, &mut refunds).await;
            let report = ledger::verify::run(&app.db, crate::helpers::today()).await.unwrap();
            prop_assert!(report.is_clean(), "after {op:?} (step {step}): {:?}", report.problems);
            let balance =
                app.count(&format!("SELECT balance_minor FROM accounts WHERE id = {}", app.fx.account3)).await;
            prop_assert_eq!(balance, expected, "account balance after {:?} (step {})", op, step);
        }
        app.finish().await;
        Ok(())
    }

    fn run(backend: crate::helpers::Backend, cases: u32) {
        let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 64, ..Config::default() });
        let rt = tokio::runtime::Handle::current();
        let result = runner.run(&proptest::collection::vec(op(), 1..24), |ops| {
            tokio::task::block_in_place(|| rt.block_on(run_case(backend, ops)))
        });
        if let Err(e) = result {
            panic!("{backend:?}: {e}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stored_balances_equal_the_ledger_after_any_sequence_sqlite() {
        run(crate::helpers::Backend::Sqlite, 24);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stored_balances_equal_the_ledger_after_any_sequence_postgres() {
        run(crate::helpers::Backend::Postgres, 8);
    }
}

/// The accounts list's totals (balance, overdue) per currency, as the page shows them.
async fn list_totals(s: &crate::helpers::Session, segment: Option<&str>, overdue_only: bool) -> Vec<(i64, i64)> {
    let page: Value = s
        .post_json(
            "/api/back/accounts",
            json!({ "filter": { "search": null, "segment": segment, "collector_id": null, "overdue_only": overdue_only, "page": 1 } }),
        )
        .await
        .json()
        .await
        .unwrap();
    page["totals"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|t| (t[0]["minor"].as_i64().unwrap(), t[1]["minor"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn portfolio_totals_follow_every_posting_and_reassignment() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let fx = app.fx.clone();
        let owner = app.login("owner@test.example").await;
        let c1 = app.login("c1@test.example").await;
        // Fixture: account 1 owes 1 200 + 300 (300 overdue), account 2 owes 999.
        assert_eq!(list_totals(&owner, None, false).await, vec![(249_900, 30_000)], "{backend:?}");
        assert_eq!(list_totals(&c1, None, false).await, vec![(150_000, 30_000)]);
        // Filtered lists sum their accounts: the same figures.
        assert_eq!(list_totals(&owner, Some("standard"), false).await, vec![(249_900, 30_000)]);
        assert_eq!(list_totals(&owner, None, true).await, vec![(150_000, 30_000)]);
        receive(&app, fx.account1, &[(fx.inv1_overdue, 10_000)], 10_000).await;
        assert_eq!(list_totals(&owner, None, false).await, vec![(239_900, 20_000)]);
        assert_eq!(list_totals(&c1, None, false).await, vec![(140_000, 20_000)]);
        // Account 2 moves to collector 1: its balance follows it.
        let res = owner
            .post_form(
                "/api/back/assign_collector",
                &[("account_id", &fx.account2.to_string()), ("collector_id", &fx.collector1.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(list_totals(&c1, None, false).await, vec![(239_900, 20_000)], "{backend:?}");
        assert_eq!(list_totals(&owner, None, false).await, vec![(239_900, 20_000)]);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_refund_posted_before_the_upgrade_is_still_reversed_when_it_fails() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let state = app.state();
        let fx = app.fx.clone();
        let paid = receive(&app, fx.account1, &[(fx.inv1_overdue, 30_000)], 30_000).await;
        // As the old code wrote it: a succeeded refund whose entry names the
        // payment but no refund, and no posting.
        let r = refund(&app, paid, 10_000).await;
        with_db!(&app.db, |pool| async {
            sqlx::query("UPDATE refunds SET status = 'succeeded', gateway_ref = 're_legacy' WHERE id = $1")
                .bind(r)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, reference,
                     payment_id, created_at)
                 VALUES ($1, $2, 'refund', 10000, 'EUR', $3, 'legacy', $4, $5)",
            )
            .bind(fx.account1)
            .bind(fx.inv1_overdue)
            .bind(crate::helpers::today())
            .bind(paid)
            .bind(now())
            .execute(pool)
            .await?;
            Ok::<_, sqlx::Error>(())
        }
        .await)
        .unwrap();
        ledger::balances::rebuild(&app.db, crate::helpers::today()).await.unwrap();
        assert_eq!(stored_balance(&app, fx.inv1_overdue).await, 10_000);
        let before = app.count(&format!("SELECT balance_minor FROM accounts WHERE id = {}", fx.account1)).await;
        // The bank returns it after the upgrade: reversed by its amount.
        let failed = RefundStatus::Failed { code: "expired_or_canceled_card".into() };
        assert!(ssr::settle(&state, r, &failed, None).await.unwrap());
        let after = app.count(&format!("SELECT balance_minor FROM accounts WHERE id = {}", fx.account1)).await;
        assert_eq!(after, before - 10_000, "{backend:?}: the client's debt goes back down");
        assert_eq!(stored_balance(&app, fx.inv1_overdue).await, 0, "the credit covers the reopened invoice");
        assert!(!ssr::settle(&state, r, &failed, None).await.unwrap(), "once");
        app.finish().await;
    }
}

#[tokio::test]
async fn as_days_pass_the_figures_of_accounts_with_invoices_falling_due_are_rolled() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let fx = app.fx.clone();
        let overdue = |account: i64| format!("SELECT overdue_minor FROM accounts WHERE id = {account}");
        assert_eq!(app.count(&overdue(fx.account1)).await, 30_000);
        // A month later T-0001 (due in 20 days) is overdue too; T-0004 (due
        // in 25 days) as well. Account 3 has nothing open: not stale.
        let later = crate::helpers::today() + chrono::Duration::days(30);
        let moved = ledger::balances::roll(&app.db, later).await.unwrap();
        assert_eq!(moved, 2, "{backend:?}");
        assert_eq!(app.count(&overdue(fx.account1)).await, 150_000);
        assert_eq!(app.count(&overdue(fx.account2)).await, 99_900);
        assert_eq!(ledger::balances::roll(&app.db, later).await.unwrap(), 0, "nothing stale any more");
        // The stored figures (and the portfolio totals) match the ledger as of their day.
        app.finish().await;
    }
}

/// The schema of payments received by staff (issue 12, point 3): a staff
/// payment names its channel, a gateway payment none; a reversal entry
/// adds to the debt. Both databases, after the SQLite tables' rebuild.
#[tokio::test]
async fn the_schema_takes_staff_payments_and_their_reversal() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let insert = |source: &'static str, channel: Option<&'static str>, key: &'static str| {
            let (db, account) = (app.db.clone(), app.fx.account1);
            async move {
                with_db!(&db, |pool| {
                    sqlx::query(
                        "INSERT INTO payments (account_id, idempotency_key, gateway, amount_minor, currency, status,
                             source, created_at, updated_at, channel, received_on, reference)
                         VALUES ($1, $2, 'manual', 5000, 'EUR', 'succeeded', $3, $4, $4, $5, $6, 'VIR-2026-118')",
                    )
                    .bind(account)
                    .bind(key)
                    .bind(source)
                    .bind(now())
                    .bind(channel)
                    .bind(now().date_naive())
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
                })
            }
        };
        assert!(insert("staff", Some("transfer"), "k1").await.is_ok(), "{backend:?}");
        assert!(insert("staff", None, "k2").await.is_err(), "a staff payment without its channel");
        assert!(insert("portal", Some("cheque"), "k3").await.is_err(), "a gateway payment with a channel");
        assert!(insert("staff", Some("carrier pigeon"), "k4").await.is_err());
        assert!(app.exec("UPDATE payments SET status = 'reversed' WHERE idempotency_key = 'k1'").await.is_ok());
        let entry = |amount: i64| {
            format!(
                "INSERT INTO ledger_entries (account_id, kind, amount_minor, currency, occurred_on, created_at)
                 VALUES ({}, 'payment_reversal', {amount}, 'EUR', '2026-12-02', '2026-12-02T10:00:00Z')",
                app.fx.account1
            )
        };
        assert!(app.exec(&entry(-5000)).await.is_err(), "a reversal adds to the debt");
        assert!(app.exec("INSERT INTO ledger_postings (account_id, currency, kind, occurred_on, created_at)
            SELECT id, currency, 'payment_reversal', '2026-12-02', '2026-12-02T10:00:00Z' FROM accounts WHERE code = 'A0001'")
            .await
            .is_ok());
        // The row written straight in has no ledger entries (the real path,
        // which posts them, is tested in received.rs): `verify-ledger`
        // rightly calls that a defect, so it goes before the check.
        assert!(app.exec("DELETE FROM payments WHERE idempotency_key = 'k1'").await.is_ok());
        app.finish().await;
    }
}
