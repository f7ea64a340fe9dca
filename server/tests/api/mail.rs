//! Outbox delivery over SMTP against a local fake server: sent once,
//! retried with backoff on failure, given up after the last attempt.

use crate::helpers::{spawn_app, BACKENDS};
use app::with_db;
use server::mailer::{deliver_due, transport, MAX_ATTEMPTS};
use server::settings::SmtpSettings;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// A minimal SMTP sink: accepts every message and records its DATA.
async fn fake_smtp() -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let sink = sink.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.ok();
                let mut in_data = false;
                let mut data = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    if in_data {
                        if line == "." {
                            in_data = false;
                            sink.lock().unwrap().push(std::mem::take(&mut data));
                            write.write_all(b"250 queued\r\n").await.ok();
                        } else {
                            data.push_str(&line);
                            data.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250 fake\r\n",
                        "DATA" => {
                            in_data = true;
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.ok();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, received)
}

fn smtp(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        from: "Relance <no-reply@test.example>".into(),
        security: "none".into(),
    }
}

#[tokio::test]
async fn outbox_is_delivered_once() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let anon = app.anonymous();
        anon.post_form("/api/auth/request_reset", &[("email", "client1@test.example")]).await;
        let (port, received) = fake_smtp().await;
        let settings = smtp(port);
        let mailer = transport(&settings).unwrap();
        let state = app.state();
        assert_eq!(deliver_due(&state, &mailer, &settings.from).await.unwrap(), 1);
        assert_eq!(deliver_due(&state, &mailer, &settings.from).await.unwrap(), 0, "sent twice");
        let got = received.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        assert!(got[0].contains("client1@test.example") && got[0].contains("/reset/"), "{}", got[0]);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND sent_at IS NOT NULL").await, 1);
        // Once sent, the stored copy no longer carries a usable link.
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%/reset/[sent]%'").await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn failures_back_off_then_give_up() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        app.anonymous().post_form("/api/auth/request_reset", &[("email", "client1@test.example")]).await;
        // A port nobody listens on.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let settings = smtp(port);
        let mailer = transport(&settings).unwrap();
        let state = app.state();
        assert_eq!(deliver_due(&state, &mailer, &settings.from).await.unwrap(), 0);
        assert_eq!(app.count("SELECT CAST(attempts AS BIGINT) FROM outbox").await, 1);
        // Backed off: not due again at the same instant.
        deliver_due(&state, &mailer, &settings.from).await.unwrap();
        assert_eq!(app.count("SELECT CAST(attempts AS BIGINT) FROM outbox").await, 1);
        // Make it due repeatedly until the last attempt.
        for _ in 1..MAX_ATTEMPTS {
            with_db!(&app.db, |pool| {
                sqlx::query("UPDATE outbox SET next_attempt_at = $1")
                    .bind(crate::helpers::now())
                    .execute(pool)
                    .await
                    .map(|_| ())
            })
            .unwrap();
            deliver_due(&state, &mailer, &settings.from).await.unwrap();
        }
        assert_eq!(app.count("SELECT CAST(attempts AS BIGINT) FROM outbox").await, i64::from(MAX_ATTEMPTS));
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed' AND last_error <> ''").await, 1);
        app.finish().await;
    }
}

/// An invoice sent by e-mail: one message per billing address, each with
/// the invoice's PDF attached and a pay link; only who may invoice the
/// account may send it.
#[tokio::test]
async fn an_invoice_leaves_with_its_pdf_and_a_pay_link() {
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        let owner = app.login("owner@test.example").await;
        let mut form = crate::accounts::account_form("Destinataires SARL");
        form["billing_emails"] = serde_json::json!("compta@dest.example, direction@dest.example");
        let (account, _) = crate::helpers::created(crate::accounts::save(&owner, None, form).await).await;
        let draft = crate::invoicing::draft(&owner, account).await;
        let (invoice, _) = crate::helpers::created(crate::invoicing::issue(&owner, draft).await).await;
        let send = |s: crate::helpers::Session| async move {
            s.post_form("/api/invoicing/send", &[("invoice_id", &invoice.to_string())]).await
        };
        assert_eq!(send(app.login("client1@test.example").await).await.status(), 403);
        assert_eq!(send(app.login("c1@test.example").await).await.status(), 404, "not c1's account");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE invoice_id IS NOT NULL").await, 0);
        let next = crate::helpers::next_of(send(app.login("acc@test.example").await).await).await;
        assert_eq!(next, format!("/back/invoices/{invoice}?sent=1"));
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM outbox WHERE invoice_id = {invoice}")).await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox WHERE body_text LIKE '%/pay/%'").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'invoice.sent'").await, 1);

        let (port, received) = fake_smtp().await;
        let settings = smtp(port);
        let mailer = transport(&settings).unwrap();
        assert_eq!(deliver_due(&app.state(), &mailer, &settings.from).await.unwrap(), 2);
        let got = received.lock().unwrap().clone();
        let number = crate::money::text(&app, &format!("SELECT number FROM invoices WHERE id = {invoice}")).await;
        for (mail, to) in got.iter().zip(["compta@dest.example", "direction@dest.example"]) {
            assert!(mail.contains(to), "{mail}");
            assert!(mail.contains("application/pdf") && mail.contains(&format!("{number}.pdf")), "{mail}");
            // "%PDF-" in base64.
            assert!(mail.contains("JVBERi0"), "the attachment is a PDF");
        }
        app.finish().await;
    }
}

/// A reminder e-mail covering several invoices carries the PDF of each.
#[tokio::test]
async fn a_reminder_leaves_with_the_pdf_of_each_invoice_it_covers() {
    use crate::reminders::{at, plan, run_at};
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        // 30 days before the due date: T-0001 (due 10 December) and T-0002
        // (past due) both reach the step on 20 November, in one message
        // (and Bravo's T-0004, due 15 December, in another).
        plan(&app, 0, &[("due_date", -30, "email")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 2);
        let outbox = app.count(&format!("SELECT MAX(id) FROM outbox WHERE account_id = {}", app.fx.account1)).await;
        let attached = app
            .count(&format!(
                "SELECT COUNT(*) FROM reminders r JOIN reminder_invoices ri ON ri.reminder_id = r.id WHERE r.outbox_id = {outbox}"
            ))
            .await;
        assert_eq!(attached, 2);

        let mail = alphas_reminder(&app).await;
        assert!(mail.contains("billing@example.com"), "{mail}");
        for number in ["T-0001.pdf", "T-0002.pdf"] {
            assert!(mail.contains(number), "{number} attached: {mail}");
        }
        assert_eq!(mail.matches("application/pdf").count(), 2);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_reminder_whose_step_asks_for_it_carries_the_account_statement() {
    use crate::reminders::{at, plan, run_at};
    for backend in BACKENDS {
        let Some(app) = spawn_app(backend).await else { continue };
        plan(&app, 0, &[("due_date", -30, "email")]).await;
        app.exec("UPDATE reminder_steps SET attach_statement = TRUE").await.unwrap();
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 2);
        let mail = alphas_reminder(&app).await;
        // Its two invoices, then Alpha's statement from 1 January (its
        // oldest invoice is this year's) to the day it left.
        for name in ["T-0001.pdf", "T-0002.pdf", "releve-A0001-2026-01-01-2026-11-20.pdf"] {
            assert!(mail.contains(name), "{name} attached: {mail}");
        }
        assert_eq!(mail.matches("application/pdf").count(), 3);
        app.finish().await;
    }
}

/// Delivers the two reminders the job wrote (Alpha's and Bravo's) and
/// answers Alpha's message. Both accounts bill to billing@example.com, and
/// on PostgreSQL the job plans accounts side by side: Alpha's message is
/// the one that is not Bravo's, whichever left first.
async fn alphas_reminder(app: &crate::helpers::TestApp) -> String {
    let (port, received) = fake_smtp().await;
    let settings = smtp(port);
    let mailer = transport(&settings).unwrap();
    assert_eq!(deliver_due(&app.state(), &mailer, &settings.from).await.unwrap(), 2);
    let got = received.lock().unwrap().clone();
    got.into_iter()
        .find(|m| m.contains("billing@example.com") && !m.contains("Bravo Shipping"))
        .expect("Alpha's reminder")
}
