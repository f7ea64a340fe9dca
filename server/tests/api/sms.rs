//! Reminders by text message, on both backends, through the real Twilio
//! client against a local server that answers like Twilio's Messages API
//! (basic auth, form fields in, `SM…` sid or a coded error out): a due SMS
//! step is queued with its reminder and leaves once; a number that replied
//! STOP (signed webhook) or that Twilio reports as unsubscribed is texted
//! no more and its next step becomes a letter; START lifts it.

use crate::helpers::{spawn_app_tweaked, TestApp, BACKENDS};
use crate::reminders::{at, plan, run_at};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use app::db::Clock;
use server::settings::{Secret, TwilioSettings};
use server::sms::{deliver_due, twilio_signature, Twilio};
use std::sync::{Arc, Mutex};

const SID: &str = "ACmock0000000000000000000000000000";
const TOKEN: &str = "mock-auth-token";
const FROM: &str = "+33700000000";
/// A number the mock answers as unsubscribed (Twilio error 21610).
const UNSUBSCRIBED: &str = "+33699999999";

#[derive(Clone, Debug)]
struct Sent {
    path: String,
    authorization: String,
    fields: Vec<(String, String)>,
}

impl Sent {
    fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }
}

#[derive(Default)]
struct MockState {
    sent: Vec<Sent>,
    /// Answer the next request with 503 (Twilio down).
    fail_next: bool,
}

struct MockTwilio {
    base: String,
    state: Arc<Mutex<MockState>>,
}

async fn messages(req: HttpRequest, body: web::Bytes, state: web::Data<Mutex<MockState>>) -> HttpResponse {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).expect("form body");
    let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut st = state.lock().unwrap();
    let sent = Sent { path: req.path().to_string(), authorization, fields };
    if std::mem::take(&mut st.fail_next) {
        return HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({"code": 20500, "message": "Internal Server Error", "status": 503}));
    }
    let expected = format!("/2010-04-01/Accounts/{SID}/Messages.json");
    let basic = format!("Basic {}", base64_of(&format!("{SID}:{TOKEN}")));
    if sent.path != expected || sent.authorization != basic {
        return HttpResponse::Unauthorized()
            .json(serde_json::json!({"code": 20003, "message": "Authenticate", "status": 401}));
    }
    if sent.field("To") == UNSUBSCRIBED {
        st.sent.push(sent);
        return HttpResponse::BadRequest().json(serde_json::json!({
            "code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400,
            "more_info": "https://www.twilio.com/docs/errors/21610"
        }));
    }
    st.sent.push(sent.clone());
    let sid = format!("SM{:032}", st.sent.len());
    HttpResponse::Created().json(serde_json::json!({
        "sid": sid, "status": "queued", "to": sent.field("To"), "from": sent.field("From"), "body": sent.field("Body"),
        "account_sid": SID, "num_segments": "1"
    }))
}

fn base64_of(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

impl MockTwilio {
    async fn start() -> MockTwilio {
        let state = Arc::new(Mutex::new(MockState::default()));
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind mock");
        let port = listener.local_addr().expect("mock address").port();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(messages)))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
        tokio::spawn(server);
        MockTwilio { base: format!("http://127.0.0.1:{port}"), state }
    }

    fn provider(&self) -> Twilio {
        Twilio::new(SID, Secret::new(TOKEN.into()), FROM, Some(&self.base)).expect("twilio client")
    }

    fn sent(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sent.clone()
    }
}

async fn spawn(backend: crate::helpers::Backend, mock: &MockTwilio) -> Option<TestApp> {
    let base = mock.base.clone();
    spawn_app_tweaked(backend, false, move |s| {
        s.sms = Some(TwilioSettings {
            account_sid: SID.into(),
            auth_token: Secret::new(TOKEN.into()),
            from: FROM.into(),
            api_base: Some(base),
        })
    })
    .await
}

/// Delivers the SMS outbox as an instance whose clock says `now`.
async fn deliver_at(app: &TestApp, mock: &MockTwilio, now: chrono::DateTime<chrono::Utc>) -> usize {
    let mut state = app.state();
    state.clock = Clock::Fixed(now);
    deliver_due(&state, &mock.provider()).await.expect("a delivery round")
}

/// Texts queued: (to, status, attempts, provider ref).
async fn texts(app: &TestApp) -> Vec<(String, String, i32, String)> {
    app::with_db!(&app.db, |pool| {
        sqlx::query_as("SELECT to_phone, status, attempts, provider_ref FROM sms_outbox ORDER BY id")
            .fetch_all(pool)
            .await
    })
    .unwrap()
}

/// The latest reminder: (channel, status, reason).
async fn last_reminder(app: &TestApp) -> (String, String, String) {
    app::with_db!(&app.db, |pool| {
        sqlx::query_as("SELECT channel, status, reason FROM reminders ORDER BY id DESC LIMIT 1").fetch_one(pool).await
    })
    .unwrap()
}

async fn set_phone(app: &TestApp, phone: &str) {
    app.exec(&format!("UPDATE accounts SET billing_phone = '{phone}' WHERE id = {}", app.fx.account1)).await.unwrap();
}

/// Posts a reply as Twilio would, signed with `token`.
async fn reply(app: &TestApp, from: &str, body: &str, token: &str) -> reqwest::Response {
    let fields: Vec<(String, String)> = [
        ("MessageSid", "SM0000000000000000000000000000reply"),
        ("AccountSid", SID),
        ("From", from),
        ("To", FROM),
        ("Body", body),
        ("NumMedia", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // The URL Twilio was given: the public URL (the tests' is http://127.0.0.1).
    let signature = twilio_signature(token, "http://127.0.0.1/webhooks/sms/twilio", &fields);
    reqwest::Client::new()
        .post(format!("{}/webhooks/sms/twilio", app.address))
        .header("x-twilio-signature", signature)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_sms_step_is_queued_with_its_reminder_and_texted_once_through_twilio() {
    let mock = MockTwilio::start().await;
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &mock).await else { continue };
        let before = mock.sent().len();
        set_phone(&app, "06 12 34 56 78").await;
        plan(&app, 0, &[("due_date", 7, "sms")]).await;
        let mails = app.count("SELECT COUNT(*) FROM outbox").await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        assert_eq!(last_reminder(&app).await, ("sms".into(), "sent".into(), "".into()));
        assert_eq!(texts(&app).await, [("+33612345678".into(), "pending".into(), 0, "".into())]);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, mails, "a text, not an e-mail");
        // Again: nothing more queued.
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 5)).await, 0);

        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 20, 10, 6)).await, 1);
        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 20, 10, 7)).await, 0, "texted twice");
        let sent = mock.sent();
        assert_eq!(sent.len(), before + 1);
        let text = sent.last().unwrap();
        assert_eq!(text.field("To"), "+33612345678");
        assert_eq!(text.field("From"), FROM);
        let body = text.field("Body");
        assert!(body.contains("Alpha Boulangerie SARL") && body.contains("300,00"), "{body}");
        assert!(body.contains("/r/") && body.contains("STOP"), "pay link and opt-out: {body}");
        let (_, status, attempts, sid) = texts(&app).await.pop().unwrap();
        assert_eq!((status.as_str(), attempts), ("sent", 1));
        assert!(sid.starts_with("SM"), "{sid}");
        // The owner reads it beside the e-mails; a collector may not.
        let listed: serde_json::Value =
            app.login("owner@test.example").await.post_form("/api/reminders/texts", &[]).await.json().await.unwrap();
        assert_eq!(
            (listed[0]["to_phone"].as_str(), listed[0]["status"].as_str()),
            (Some("+33612345678"), Some("sent"))
        );
        assert_eq!(listed[0]["account_name"], "Alpha Boulangerie SARL");
        let c1 = app.login("c1@test.example").await;
        assert_eq!(c1.post_form("/api/reminders/texts", &[]).await.status(), 403);
        app.finish().await;
    }
}

#[tokio::test]
async fn twilio_down_is_retried_later_and_an_unsubscribed_number_is_recorded() {
    let mock = MockTwilio::start().await;
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &mock).await else { continue };
        set_phone(&app, "+33 6 12 34 56 78").await;
        plan(&app, 0, &[("due_date", 30, "sms"), ("previous_step", 7, "sms")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);
        mock.state.lock().unwrap().fail_next = true;
        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 20, 10, 1)).await, 0);
        let (_, status, attempts, _) = texts(&app).await.pop().unwrap();
        assert_eq!((status.as_str(), attempts), ("pending", 1), "kept for a retry");
        // Not before its back-off (2 minutes)…
        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 20, 10, 2)).await, 0);
        // …then it leaves.
        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 20, 10, 4)).await, 1);

        // The number changes to one Twilio says unsubscribed from us.
        set_phone(&app, UNSUBSCRIBED).await;
        assert_eq!(run_at(&app, at(2026, 11, 27, 10, 0)).await, 1);
        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 27, 10, 1)).await, 0);
        let (to, status, _, _) = texts(&app).await.pop().unwrap();
        assert_eq!((to.as_str(), status.as_str()), (UNSUBSCRIBED, "blocked"));
        let source: String = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT source FROM sms_opt_outs WHERE phone = $1")
                .bind(UNSUBSCRIBED)
                .fetch_one(pool)
                .await
        })
        .unwrap();
        assert_eq!(source, "provider");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_stop_reply_is_honoured_the_next_step_becomes_a_letter_and_start_lifts_it() {
    let mock = MockTwilio::start().await;
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &mock).await else { continue };
        let before = mock.sent().len();
        set_phone(&app, "06 12 34 56 78").await;
        plan(&app, 0, &[("due_date", 30, "sms"), ("previous_step", 7, "sms"), ("previous_step", 7, "sms")]).await;
        assert_eq!(run_at(&app, at(2026, 11, 20, 10, 0)).await, 1);

        // A forged reply (wrong key) changes nothing.
        let forged = reply(&app, "+33612345678", "STOP", "not-the-token").await;
        assert_eq!(forged.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_opt_outs").await, 0);

        // The client replies STOP before the queued text left: it never does.
        let stop = reply(&app, "+33612345678", "Stop", TOKEN).await;
        assert_eq!(stop.status(), 200);
        assert!(stop.headers()["content-type"].to_str().unwrap().starts_with("text/xml"));
        assert!(stop.text().await.unwrap().contains("<Response>"));
        assert_eq!(deliver_at(&app, &mock, at(2026, 11, 20, 10, 1)).await, 0);
        assert_eq!(mock.sent().len(), before, "nothing reached Twilio");
        assert_eq!(texts(&app).await.pop().unwrap().1, "blocked");

        // The next step goes as a letter on the collector's to-do, and says why.
        assert_eq!(run_at(&app, at(2026, 11, 27, 10, 0)).await, 1);
        assert_eq!(last_reminder(&app).await, ("letter".into(), "task".into(), "sms_stopped".into()));
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 1, "no new text");
        let tasks = app.count("SELECT COUNT(*) FROM collection_tasks WHERE kind = 'letter' AND status = 'open'").await;
        assert_eq!(tasks, 1);

        // START: the third step is texted again.
        assert_eq!(reply(&app, "+33612345678", "START", TOKEN).await.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_opt_outs").await, 0);
        assert_eq!(run_at(&app, at(2026, 12, 4, 10, 0)).await, 1);
        assert_eq!(last_reminder(&app).await, ("sms".into(), "sent".into(), "".into()));
        assert_eq!(deliver_at(&app, &mock, at(2026, 12, 4, 10, 1)).await, 1);
        app.finish().await;
    }
}

#[tokio::test]
async fn without_a_mobile_number_an_sms_step_becomes_a_letter() {
    let mock = MockTwilio::start().await;
    for backend in BACKENDS {
        let Some(app) = spawn(backend, &mock).await else { continue };
        plan(&app, 0, &[("due_date", 30, "sms"), ("previous_step", 7, "sms")]).await;
        // No number at all, then words where the number should be.
        for (phone, day) in [("", 20), ("standard, demander la compta", 27)] {
            set_phone(&app, phone).await;
            assert_eq!(run_at(&app, at(2026, 11, day, 10, 0)).await, 1);
            assert_eq!(last_reminder(&app).await, ("letter".into(), "task".into(), "no_address".into()));
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 0);
        // The letter's text is the ordinary reminder, not a text message.
        let body: String = app::with_db!(&app.db, |pool| {
            sqlx::query_scalar("SELECT letter_body FROM reminders ORDER BY id DESC LIMIT 1").fetch_one(pool).await
        })
        .unwrap();
        assert!(body.contains("T-0002") && !body.contains("STOP"), "{body}");
        app.finish().await;
    }
}

#[tokio::test]
async fn the_sms_webhook_is_not_served_without_a_provider() {
    for backend in BACKENDS {
        let Some(app) = crate::helpers::spawn_app(backend).await else { continue };
        let res = reply(&app, "+33612345678", "STOP", TOKEN).await;
        assert_eq!(res.status(), 404);
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_opt_outs").await, 0);
        app.finish().await;
    }
}
