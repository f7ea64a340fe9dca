//! Early-payment discount (issue 13, point 4): an invoice offering x % for
//! payment within n days of issue is paid at the discounted amount in the
//! portal up to that day; when the payment succeeds the discount becomes a
//! credit note, split by VAT rate, once. After the day, for a chosen amount,
//! or while a payment is in flight, nothing is taken off. Both databases.

use crate::helpers::{created, next_of, spawn_app, Session, TestApp, BACKENDS};
use crate::invoicing::{draft_fields, issue, save_draft};
use crate::money::{add_card, balance, first_method, pay, pay_by_link, pay_new_card, stored_balance};
use app::payments::events;
use reqwest::StatusCode;
use serde_json::Value;

const CARD_OK: &str = "4242424242424242";
const CARD_3DS: &str = "4000002760003184";

/// An invoice of account 1 issued on `issued`: 119.99 at 20 % and 21.10
/// at 5.5 % (141.09), 2 % off for payment within 10 days.
async fn discounted_invoice(app: &TestApp, issued: &str) -> i64 {
    let owner = app.login("owner@test.example").await;
    let lines = [("Conseil", "3", "33,33", "standard_20"), ("Livre", "2", "10", "reduced_5_5")];
    let mut fields = draft_fields(None, app.fx.account1, &lines);
    fields.push(("form[issue_date]".into(), issued.into()));
    fields.push(("form[discount_percent]".into(), "2".into()));
    fields.push(("form[discount_days]".into(), "10".into()));
    let (draft, _) = created(save_draft(&owner, &fields).await).await;
    let (invoice, status) = created(issue(&owner, draft).await).await;
    assert_eq!(status, "issued");
    invoice
}

async fn quote(s: &Session, invoices: &str, amount: &str) -> reqwest::Response {
    s.post_form("/api/payments/quote", &[("invoices", invoices), ("amount", amount)]).await
}

async fn invoice_detail(s: &Session, invoice: i64) -> Value {
    s.post_form("/api/invoices/detail", &[("id", &invoice.to_string())]).await.json().await.unwrap()
}

#[tokio::test]
async fn an_invoice_paid_by_its_deadline_costs_its_discount_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // Issued today (20 November): 2 % until 30 November.
        let invoice = discounted_invoice(&app, "2026-11-20").await;
        let client = app.login("client1@test.example").await;
        let ids = invoice.to_string();
        // 2 % of 141.09 = 2.8218 → 2.82; 138.27 to pay.
        let q: Value = quote(&client, &ids, "").await.json().await.unwrap();
        assert_eq!(q["plan"]["total"]["minor"], 13_827, "{backend:?}: {q}");
        assert_eq!(q["plan"]["lines"][0]["amount"]["minor"], 13_827);
        assert_eq!(q["plan"]["lines"][0]["discount"]["amount"]["minor"], 282);
        assert_eq!(q["plan"]["lines"][0]["discount"]["until"], "2026-11-30");
        // The invoice's page says so, with the same figure.
        let detail = invoice_detail(&client, invoice).await;
        assert_eq!(detail["early_offer"]["pay"]["minor"], 13_827, "{detail}");
        let (_, html) = client.get_html(&format!("/portal/invoices/{invoice}")).await;
        assert!(html.contains("data-testid=\"early-offer\"") && html.contains("138,27"), "the offer on the page");
        let (_, html) = client.get_html(&format!("/portal/pay?invoices={invoice}")).await;
        assert!(
            html.contains("data-testid=\"pay-discount\"") && html.contains("30\u{a0}nov.\u{a0}2026"),
            "the discount on the pay page"
        );

        // The full amount is no longer what is charged.
        assert_eq!(add_card(&client, CARD_OK).await.status(), StatusCode::OK);
        let m = first_method(&client).await;
        assert_eq!(pay(&client, &ids, 14_109, "k-full", &m).await.status(), StatusCode::CONFLICT);
        let res = pay(&client, &ids, 13_827, "k-1", &m).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        let payment: i64 = next_of(res).await.rsplit('/').next().unwrap().parse().unwrap();
        assert_eq!(app.count(&format!("SELECT amount_minor FROM payments WHERE id = {payment}")).await, 13_827);
        // Settled in full: 138.27 paid, 2.82 credited.
        assert_eq!(balance(&app, invoice).await, 0);
        assert_eq!(stored_balance(&app, invoice).await, 0);
        let notes = format!("SELECT COUNT(*) FROM credit_notes WHERE invoice_id = {invoice}");
        assert_eq!(app.count(&notes).await, 1);
        assert_eq!(
            app.count(&format!("SELECT amount_minor FROM credit_notes WHERE invoice_id = {invoice}")).await,
            282
        );
        // Split by VAT rate, in proportion: 2.40 of the 20 % group, 0.42 of the 5.5 %.
        let vat = |rate: i32| {
            format!(
                "SELECT CAST(v.base_minor + v.tax_minor AS BIGINT) FROM credit_note_vat v JOIN credit_notes n ON n.id = v.credit_note_id
                 WHERE n.invoice_id = {invoice} AND v.rate_bp = {rate}"
            )
        };
        assert_eq!(app.count(&vat(2000)).await + app.count(&vat(550)).await, 282);
        assert!(app.count(&vat(2000)).await > app.count(&vat(550)).await);
        // The payment says what it took off.
        let d: Value =
            client.post_form("/api/payments/detail", &[("id", &payment.to_string())]).await.json().await.unwrap();
        assert_eq!(d["allocations"][0]["discount"]["minor"], 282, "{d}");
        assert_eq!(d["allocations"][0]["amount"]["minor"], 13_827);
        // Reported again (events, a retried post): nothing more.
        events::deliver_sandbox_events(&app.state()).await.unwrap();
        assert_eq!(pay(&client, &ids, 13_827, "k-1", &m).await.status(), StatusCode::OK);
        assert_eq!(app.count(&notes).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE amount_minor = 13827").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn no_discount_after_the_deadline_for_a_chosen_amount_or_while_one_is_in_flight() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let client = app.login("client1@test.example").await;
        // Issued 5 November: 2 % until 15 November, five days ago.
        let late = discounted_invoice(&app, "2026-11-05").await;
        let q: Value = quote(&client, &late.to_string(), "").await.json().await.unwrap();
        assert_eq!(q["plan"]["total"]["minor"], 14_109, "{backend:?}: {q}");
        assert!(q["plan"]["lines"][0]["discount"].is_null());
        assert!(invoice_detail(&client, late).await["early_offer"].is_null());

        // A chosen amount pays invoices oldest first, at their full amounts.
        let early = discounted_invoice(&app, "2026-11-20").await;
        let q: Value = quote(&client, "", "2000").await.json().await.unwrap();
        let lines = q["plan"]["lines"].as_array().unwrap();
        assert!(lines.iter().any(|l| l["invoice_id"] == early), "{q}");
        assert!(lines.iter().all(|l| l["discount"].is_null()), "{q}");

        // A discounted payment waiting for 3-D Secure holds the whole invoice:
        // neither the discount nor the rest can be paid a second time.
        let res = pay_new_card(&client, &early.to_string(), 13_827, "k-3ds", CARD_3DS).await;
        assert_eq!(res.status(), StatusCode::OK, "{backend:?}");
        assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE status = 'requires_action'").await, 1);
        assert_eq!(quote(&client, &early.to_string(), "").await.status(), StatusCode::CONFLICT);
        assert!(invoice_detail(&client, early).await["early_offer"].is_null());
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM credit_notes WHERE invoice_id = {early}")).await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_pay_link_charges_the_discounted_amount() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let invoice = discounted_invoice(&app, "2026-11-20").await;
        let c1 = app.login("c1@test.example").await;
        let url: String =
            c1.post_form("/api/payments/pay_link", &[("invoice_id", &invoice.to_string())]).await.json().await.unwrap();
        let token = url.rsplit('/').next().unwrap().to_string();
        let anon = app.anonymous();
        let view: Value = anon.post_form("/api/paylink/view", &[("token", &token)]).await.json().await.unwrap();
        assert_eq!(view["amount_due"]["minor"], 14_109, "{backend:?}: {view}");
        assert_eq!(view["pay_now"]["minor"], 13_827);
        assert_eq!(view["discount"]["amount"]["minor"], 282);
        let key = view["idempotency_key"].as_str().unwrap();
        let res = pay_by_link(&anon, &token, key, 13_827).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(balance(&app, invoice).await, 0);
        assert_eq!(
            app.count(&format!("SELECT amount_minor FROM credit_notes WHERE invoice_id = {invoice}")).await,
            282
        );
        app.finish().await;
    }
}
