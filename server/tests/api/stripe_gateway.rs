//! `StripeGateway` against a local stand-in for Stripe's API: form-encoded
//! requests in, Stripe-shaped JSON out (every field async-stripe requires),
//! idempotency keys replayed like Stripe does, every request recorded.

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use app::payments::gateway::{
    ChargeRequest, ChargeStatus, CustomerRequest, Gateway, GatewayError, GatewayMode, MethodDetails, MethodKind,
    RefundRequest, RefundStatus, SetupStatus,
};
use serde_json::{json, Value};
use server::stripe::StripeGateway;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const SECRET: &str = "sk_test_51RelanceMock0000000000000000";
const CREATED: i64 = 1_795_000_000;
const CUSTOMER: &str = "cus_SeededMock01";
const VISA: &str = "pm_card_visa";
const DECLINED: &str = "pm_card_chargeDeclinedInsufficientFunds";
const THREE_DS: &str = "pm_card_threeDSecureRequired";
const SEPA: &str = "pm_sepa_debit_DE";
const RETURN_URL: &str = "https://relance.example/portal/payments/return";

// ---------------------------------------------------------------------------
// Stripe-shaped objects (all non-optional fields of async-stripe's models).

fn address_null() -> Value {
    json!({"city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null})
}

fn card_pm(id: &str, brand: &str, last4: &str, exp_month: i64, exp_year: i64) -> Value {
    json!({
        "id": id,
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {"address": address_null(), "email": null, "name": null, "phone": null, "tax_id": null},
        "card": {
            "brand": brand,
            "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass"},
            "country": "US",
            "display_brand": brand,
            "exp_month": exp_month,
            "exp_year": exp_year,
            "fingerprint": "Xt5EWLLDS7FJjR1c",
            "funding": "credit",
            "generated_from": null,
            "last4": last4,
            "networks": {"available": [brand], "preferred": null},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": true},
            "wallet": null
        },
        "created": CREATED,
        "customer": CUSTOMER,
        "livemode": false,
        "metadata": {},
        "type": "card"
    })
}

fn sepa_pm(id: &str, bank_code: &str, last4: &str) -> Value {
    json!({
        "id": id,
        "object": "payment_method",
        "allow_redisplay": "always",
        "billing_details": {
            "address": address_null(),
            "email": "compta@dupont.example",
            "name": "Dupont SARL",
            "phone": null,
            "tax_id": null
        },
        "created": CREATED,
        "customer": CUSTOMER,
        "livemode": false,
        "metadata": {},
        "sepa_debit": {
            "bank_code": bank_code,
            "branch_code": "",
            "country": "DE",
            "fingerprint": "UkSG0HfCGxxrja1H",
            "generated_from": {"charge": null, "setup_attempt": null},
            "last4": last4
        },
        "type": "sepa_debit"
    })
}

fn customer_json(id: &str, name: Option<&str>, email: Option<&str>, metadata: Value) -> Value {
    json!({
        "id": id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": CREATED,
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": email,
        "invoice_prefix": "7D3F2A1B",
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": null,
            "footer": null,
            "rendering_options": null
        },
        "livemode": false,
        "metadata": metadata,
        "name": name,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null
    })
}

fn setup_intent_json(id: &str, customer: Value, status: &str, types: Vec<String>, payment_method: Value) -> Value {
    json!({
        "id": id,
        "object": "setup_intent",
        "application": null,
        "automatic_payment_methods": null,
        "cancellation_reason": null,
        "client_secret": format!("{id}_secret_Q1w2E3r4T5y6U7i8"),
        "created": CREATED,
        "customer": customer,
        "description": null,
        "flow_directions": null,
        "last_setup_error": null,
        "latest_attempt": null,
        "livemode": false,
        "mandate": null,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": payment_method,
        "payment_method_configuration_details": null,
        "payment_method_types": types,
        "single_use_mandate": null,
        "status": status,
        "usage": "off_session"
    })
}

fn payment_intent_json(id: &str, amount: i64, currency: &str, customer: Value) -> Value {
    json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": null,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": "automatic_async",
        "client_secret": format!("{id}_secret_Mk9zLr3QvWc7Xb2N"),
        "confirmation_method": "automatic",
        "created": CREATED,
        "currency": currency,
        "customer": customer,
        "description": null,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_configuration_details": null,
        "payment_method_types": ["card"],
        "processing": null,
        "receipt_email": null,
        "review": null,
        "setup_future_usage": null,
        "shipping": null,
        "source": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "requires_payment_method",
        "transfer_data": null,
        "transfer_group": null
    })
}

fn refund_json(id: &str, amount: i64, currency: &str, payment_intent: &str, status: &str, metadata: Value) -> Value {
    json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": format!("txn_{id}"),
        "charge": format!("ch_{payment_intent}"),
        "created": CREATED,
        "currency": currency,
        "destination_details": null,
        "metadata": metadata,
        "payment_intent": payment_intent,
        "reason": null,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": status,
        "transfer_reversal": null
    })
}

/// `{"error": {…}}` as Stripe answers a refused request.
fn error_json(kind: &str, code: Option<&str>, param: Option<&str>, message: &str) -> Value {
    let mut e = json!({"type": kind, "message": message});
    if let Some(c) = code {
        e["code"] = json!(c);
        e["doc_url"] = json!(format!("https://stripe.com/docs/error-codes/{c}"));
    }
    if let Some(p) = param {
        e["param"] = json!(p);
    }
    json!({ "error": e })
}

/// A card error as it appears in `last_payment_error` (and, with the
/// intent added, in the body of the 402).
fn card_error(code: &str, decline_code: &str, message: &str, charge: &str, pm: &Value) -> Value {
    json!({
        "type": "card_error",
        "charge": charge,
        "code": code,
        "decline_code": decline_code,
        "doc_url": format!("https://stripe.com/docs/error-codes/{code}"),
        "message": message,
        "payment_method": pm
    })
}

// ---------------------------------------------------------------------------
// The mock.

#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HashMap<String, String>,
    form: Vec<(String, String)>,
}

impl Recorded {
    fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// `name[0]`, `name[1]`, … in order.
    fn array(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}[");
        self.form.iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(_, v)| v.clone()).collect()
    }

    fn metadata(&self) -> Value {
        let mut map = serde_json::Map::new();
        for (k, v) in &self.form {
            if let Some(key) = k.strip_prefix("metadata[").and_then(|rest| rest.strip_suffix(']')) {
                map.insert(key.to_string(), json!(v));
            }
        }
        Value::Object(map)
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(pair), String::new()),
        })
        .collect()
}

fn opt(v: Option<&str>) -> Value {
    v.map(|s| json!(s)).unwrap_or(Value::Null)
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    /// Answers per idempotency key, replayed for a repeated key (5xx are
    /// not kept, like Stripe).
    replays: HashMap<String, (u16, Value)>,
    payment_methods: HashMap<String, Value>,
    setup_intents: HashMap<String, Value>,
    payment_intents: HashMap<String, Value>,
    created: HashMap<&'static str, usize>,
    seq: u64,
    /// The next request fails with this status (and raw body, else a
    /// Stripe `api_error`).
    fail_next: Option<(u16, Option<String>)>,
}

impl State {
    fn seeded() -> State {
        let mut st = State::default();
        for pm in [
            card_pm(VISA, "visa", "4242", 12, 2034),
            card_pm(DECLINED, "visa", "9995", 11, 2033),
            card_pm(THREE_DS, "visa", "3184", 10, 2032),
            sepa_pm(SEPA, "37040044", "3000"),
        ] {
            st.payment_methods.insert(pm["id"].as_str().unwrap().to_string(), pm);
        }
        let card_ok = setup_intent_json("seti_card_ok", json!(CUSTOMER), "succeeded", vec!["card".into()], json!(VISA));
        let mut sepa_ok =
            setup_intent_json("seti_sepa_ok", json!(CUSTOMER), "succeeded", vec!["sepa_debit".into()], json!(SEPA));
        sepa_ok["mandate"] = json!("mandate_1MockSepa");
        let mut declined = setup_intent_json(
            "seti_card_declined",
            json!(CUSTOMER),
            "requires_payment_method",
            vec!["card".into()],
            Value::Null,
        );
        declined["last_setup_error"] = json!({
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "do_not_honor",
            "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            "message": "Your card was declined."
        });
        let mut in_3ds = setup_intent_json(
            "seti_card_3ds",
            json!(CUSTOMER),
            "requires_action",
            vec!["card".into()],
            json!(THREE_DS),
        );
        in_3ds["next_action"] = json!({
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": RETURN_URL, "url": "https://hooks.stripe.com/3d_secure_2/hosted?setup_intent=seti_card_3ds"}
        });
        for si in [card_ok, sepa_ok, declined, in_3ds] {
            st.setup_intents.insert(si["id"].as_str().unwrap().to_string(), si);
        }
        st
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}_3MockRelance{:06}", self.seq)
    }

    fn count(&mut self, kind: &'static str) {
        *self.created.entry(kind).or_default() += 1;
    }

    fn answer(&mut self, rec: &Recorded) -> (u16, String) {
        if let Some((status, raw)) = self.fail_next.take() {
            let body = raw.unwrap_or_else(|| {
                error_json("api_error", None, None, "An unknown error occurred while processing your request.")
                    .to_string()
            });
            return (status, body);
        }
        let expected = format!("Bearer {SECRET}");
        if rec.header("authorization") != Some(expected.as_str()) {
            return (401, error_json("invalid_request_error", None, None, "Invalid API Key provided.").to_string());
        }
        let key = if rec.method == "POST" { rec.header("idempotency-key").map(str::to_string) } else { None };
        if let Some((status, body)) = key.as_ref().and_then(|k| self.replays.get(k)) {
            return (*status, body.to_string());
        }
        let (status, body) = self.route(rec);
        if let Some(k) = key {
            if status < 500 {
                self.replays.insert(k, (status, body.clone()));
            }
        }
        (status, body.to_string())
    }

    fn route(&mut self, rec: &Recorded) -> (u16, Value) {
        let parts: Vec<&str> = rec.path.trim_start_matches('/').split('/').collect();
        match (rec.method.as_str(), parts.as_slice()) {
            ("POST", ["v1", "customers"]) => self.create_customer(rec),
            ("POST", ["v1", "setup_intents"]) => self.create_setup_intent(rec),
            ("GET", ["v1", "setup_intents", id]) => self.get_setup_intent(id, rec),
            ("GET", ["v1", "payment_methods", id]) => match self.payment_methods.get(*id) {
                Some(pm) => (200, pm.clone()),
                None => missing("payment_method", id),
            },
            ("POST", ["v1", "payment_methods", id, "detach"]) => match self.payment_methods.get(*id) {
                Some(pm) => {
                    let mut pm = pm.clone();
                    pm["customer"] = Value::Null;
                    (200, pm)
                }
                None => missing("payment_method", id),
            },
            ("POST", ["v1", "payment_intents"]) => self.create_payment_intent(rec),
            ("GET", ["v1", "payment_intents", id]) => match self.payment_intents.get(*id) {
                Some(pi) => (200, pi.clone()),
                None => missing("intent", id),
            },
            ("POST", ["v1", "refunds"]) => self.create_refund(rec),
            _ => (
                404,
                error_json("invalid_request_error", None, None, &format!("Unrecognized request URL ({}).", rec.path)),
            ),
        }
    }

    fn create_customer(&mut self, rec: &Recorded) -> (u16, Value) {
        let id = self.next_id("cus");
        self.count("customer");
        (200, customer_json(&id, rec.field("name"), rec.field("email"), rec.metadata()))
    }

    fn create_setup_intent(&mut self, rec: &Recorded) -> (u16, Value) {
        let id = self.next_id("seti");
        let mut types = rec.array("allowed_payment_method_types");
        if types.is_empty() {
            types = vec!["card".into()];
        }
        let mut si = setup_intent_json(&id, opt(rec.field("customer")), "requires_payment_method", types, Value::Null);
        if let Some(usage) = rec.field("usage") {
            si["usage"] = json!(usage);
        }
        si["metadata"] = rec.metadata();
        self.setup_intents.insert(id, si.clone());
        self.count("setup_intent");
        (200, si)
    }

    fn get_setup_intent(&mut self, id: &str, rec: &Recorded) -> (u16, Value) {
        let Some(mut si) = self.setup_intents.get(id).cloned() else {
            return missing("setup_intent", id);
        };
        let expand_pm = rec.query.iter().any(|(k, v)| k.starts_with("expand") && v == "payment_method");
        if expand_pm {
            if let Some(pm_id) = si["payment_method"].as_str().map(str::to_string) {
                if let Some(pm) = self.payment_methods.get(&pm_id) {
                    si["payment_method"] = pm.clone();
                }
            }
        }
        (200, si)
    }

    fn create_payment_intent(&mut self, rec: &Recorded) -> (u16, Value) {
        let Some(amount) = rec.field("amount").and_then(|a| a.parse::<i64>().ok()) else {
            return (
                400,
                error_json(
                    "invalid_request_error",
                    Some("parameter_missing"),
                    Some("amount"),
                    "Missing required param: amount.",
                ),
            );
        };
        let Some(currency) = rec.field("currency") else {
            return (
                400,
                error_json(
                    "invalid_request_error",
                    Some("parameter_missing"),
                    Some("currency"),
                    "Missing required param: currency.",
                ),
            );
        };
        let pm = match rec.field("payment_method") {
            Some(pm_id) => match self.payment_methods.get(pm_id) {
                Some(pm) => Some(pm.clone()),
                None => return missing("payment_method", pm_id),
            },
            None => None,
        };
        let id = self.next_id("pi");
        let mut pi = payment_intent_json(&id, amount, currency, opt(rec.field("customer")));
        pi["metadata"] = rec.metadata();
        pi["description"] = opt(rec.field("description"));
        pi["setup_future_usage"] = opt(rec.field("setup_future_usage"));
        let allowed = rec.array("allowed_payment_method_types");
        if !allowed.is_empty() {
            pi["payment_method_types"] = json!(allowed);
        }
        if rec.field("automatic_payment_methods[enabled]") == Some("true") {
            pi["automatic_payment_methods"] = json!({"allow_redirects": "always", "enabled": true});
            pi["payment_method_types"] = json!(["card", "sepa_debit"]);
        }
        let confirm = rec.field("confirm") == Some("true");
        let off_session = rec.field("off_session") == Some("true");
        let mut declined = false;
        if let Some(pm) = pm {
            let pm_id = pm["id"].as_str().unwrap_or_default().to_string();
            pi["payment_method"] = json!(pm_id);
            let charge = format!("ch_{id}");
            if !confirm {
                pi["status"] = json!("requires_confirmation");
            } else if pm["type"] == "sepa_debit" {
                pi["status"] = json!("processing");
                pi["payment_method_types"] = json!(["sepa_debit"]);
                pi["latest_charge"] = json!(charge);
                pi["processing"] = Value::Null;
            } else if pm_id == DECLINED {
                pi["last_payment_error"] = card_error(
                    "card_declined",
                    "insufficient_funds",
                    "Your card has insufficient funds.",
                    &charge,
                    &pm,
                );
                pi["latest_charge"] = json!(charge);
                declined = true;
            } else if pm_id == THREE_DS && off_session {
                pi["last_payment_error"] = card_error(
                    "authentication_required",
                    "authentication_required",
                    "Your card was declined. This transaction requires authentication.",
                    &charge,
                    &pm,
                );
                pi["latest_charge"] = json!(charge);
                declined = true;
            } else if pm_id == THREE_DS {
                pi["status"] = json!("requires_action");
                pi["next_action"] = json!({
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "return_url": opt(rec.field("return_url")),
                        "url": format!("https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1Mock&payment_intent={id}&publishable_key=pk_test_mock&source=payatt_3Mock")
                    }
                });
            } else {
                pi["status"] = json!("succeeded");
                pi["amount_received"] = json!(amount);
                pi["latest_charge"] = json!(charge);
            }
        }
        self.payment_intents.insert(id.clone(), pi.clone());
        self.count("payment_intent");
        if declined {
            let mut error = pi["last_payment_error"].clone();
            error["payment_intent"] = pi;
            error["request_log_url"] = json!(format!("https://dashboard.stripe.com/test/logs/req_{id}"));
            return (402, json!({ "error": error }));
        }
        (200, pi)
    }

    fn create_refund(&mut self, rec: &Recorded) -> (u16, Value) {
        let pi_id = rec.field("payment_intent").unwrap_or_default().to_string();
        let Some(pi) = self.payment_intents.get(&pi_id).cloned() else {
            return missing("payment_intent", &pi_id);
        };
        let amount =
            rec.field("amount").and_then(|a| a.parse::<i64>().ok()).unwrap_or_else(|| pi["amount"].as_i64().unwrap());
        let sepa = pi["payment_method_types"] == json!(["sepa_debit"]);
        let id = self.next_id("re");
        self.count("refund");
        let status = if sepa { "pending" } else { "succeeded" };
        (200, refund_json(&id, amount, pi["currency"].as_str().unwrap(), &pi_id, status, rec.metadata()))
    }
}

fn missing(what: &str, id: &str) -> (u16, Value) {
    (404, error_json("invalid_request_error", Some("resource_missing"), Some(what), &format!("No such {what}: '{id}'")))
}

async fn handle(req: HttpRequest, body: web::Bytes, state: web::Data<Mutex<State>>) -> HttpResponse {
    let headers = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_ascii_lowercase(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let rec = Recorded {
        method: req.method().as_str().to_string(),
        path: req.path().to_string(),
        query: parse_form(req.query_string()),
        headers,
        form: parse_form(std::str::from_utf8(&body).unwrap_or_default()),
    };
    let (status, body) = {
        let mut st = state.lock().unwrap();
        st.requests.push(rec.clone());
        st.answer(&rec)
    };
    HttpResponse::build(StatusCode::from_u16(status).unwrap())
        .insert_header(("Request-Id", "req_MockRelance"))
        .content_type("application/json")
        .body(body)
}

struct MockStripe {
    base: String,
    state: Arc<Mutex<State>>,
}

impl MockStripe {
    async fn start() -> MockStripe {
        let state = Arc::new(Mutex::new(State::seeded()));
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind mock");
        let port = listener.local_addr().expect("mock address").port();
        let server = HttpServer::new(move || App::new().app_data(data.clone()).default_service(web::to(handle)))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
        tokio::spawn(server);
        MockStripe { base: format!("http://127.0.0.1:{port}"), state }
    }

    fn gateway(&self) -> StripeGateway {
        StripeGateway::new(SECRET, "pk_test_51RelanceMock", "whsec_relance_mock", Some(&self.base)).expect("gateway")
    }

    fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    fn posts(&self, path: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.method == "POST" && r.path == path).collect()
    }

    fn last_post(&self, path: &str) -> Recorded {
        self.posts(path).pop().unwrap_or_else(|| panic!("no POST {path}"))
    }

    fn created(&self, kind: &str) -> usize {
        self.state.lock().unwrap().created.get(kind).copied().unwrap_or(0)
    }

    fn fail_next(&self, status: u16, raw_body: Option<&str>) {
        self.state.lock().unwrap().fail_next = Some((status, raw_body.map(str::to_string)));
    }
}

fn charge_req(payment_id: i64, method: Option<&str>, off_session: bool, key: &str) -> ChargeRequest {
    ChargeRequest {
        payment_id,
        customer_ref: CUSTOMER.into(),
        method_ref: method.map(str::to_string),
        amount_minor: 12_345,
        currency: "EUR".into(),
        off_session,
        save_method: false,
        idempotency_key: key.into(),
        description: "Relance: invoice F-2026-0042".into(),
        return_url: RETURN_URL.into(),
    }
}

fn customer_req() -> CustomerRequest {
    CustomerRequest { account_id: 7, name: "Dupont SARL".into(), email: "compta@dupont.example".into() }
}

// ---------------------------------------------------------------------------
// Tests.

#[tokio::test]
async fn mode_name_and_secrets() {
    let gw = StripeGateway::new(SECRET, "pk_test_abc", "whsec_abc", Some("http://127.0.0.1:9")).expect("gateway");
    assert_eq!(gw.name(), "stripe");
    assert_eq!(gw.mode(), GatewayMode::Stripe { publishable_key: "pk_test_abc".into(), live: false });
    assert_eq!(gw.webhook_secret(), b"whsec_abc");
    assert!(gw.as_sandbox().is_none());
    let shown = format!("{gw:?}");
    assert!(!shown.contains(SECRET) && !shown.contains("whsec_abc"), "{shown}");

    let live = StripeGateway::new("sk_live_51abc", "pk_live_abc", "whsec_abc", None).expect("live gateway");
    assert_eq!(live.mode(), GatewayMode::Stripe { publishable_key: "pk_live_abc".into(), live: true });
}

#[tokio::test]
async fn create_customer_sends_idempotency_key_and_repeats_return_the_same_customer() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let first = gw.create_customer(&customer_req()).await.expect("customer");
    let second = gw.create_customer(&customer_req()).await.expect("customer again");
    assert!(first.starts_with("cus_"), "{first}");
    assert_eq!(first, second);
    assert_eq!(mock.created("customer"), 1);

    let posts = mock.posts("/v1/customers");
    assert_eq!(posts.len(), 2);
    let bearer = format!("Bearer {SECRET}");
    for p in &posts {
        assert_eq!(p.header("authorization"), Some(bearer.as_str()));
        assert_eq!(p.header("idempotency-key"), Some("relance-customer-7"));
        assert_eq!(p.header("content-type"), Some("application/x-www-form-urlencoded"));
        assert!(p.header("stripe-version").is_some());
        assert_eq!(p.field("name"), Some("Dupont SARL"));
        assert_eq!(p.field("email"), Some("compta@dupont.example"));
        assert_eq!(p.field("metadata[relance_account_id]"), Some("7"));
    }
}

#[tokio::test]
async fn off_session_charge_with_a_saved_card_succeeds() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(42, Some(VISA), true, "relance-payment-42")).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::Succeeded);
    assert!(out.gateway_ref.starts_with("pi_"), "{}", out.gateway_ref);
    assert_eq!(out.method_ref.as_deref(), Some(VISA));
    assert!(out.client_secret.as_deref().is_some_and(|s| s.starts_with(&format!("{}_secret_", out.gateway_ref))));

    let p = mock.last_post("/v1/payment_intents");
    assert_eq!(p.header("authorization"), Some(format!("Bearer {SECRET}").as_str()));
    assert_eq!(p.header("idempotency-key"), Some("relance-payment-42"));
    assert_eq!(p.field("amount"), Some("12345"));
    assert_eq!(p.field("currency"), Some("eur"));
    assert_eq!(p.field("customer"), Some(CUSTOMER));
    assert_eq!(p.field("payment_method"), Some(VISA));
    assert_eq!(p.field("confirm"), Some("true"));
    assert_eq!(p.field("off_session"), Some("true"));
    assert_eq!(p.field("metadata[relance_payment_id]"), Some("42"));
    assert_eq!(p.field("description"), Some("Relance: invoice F-2026-0042"));
    assert_eq!(p.field("return_url"), None, "no return_url off-session");
    assert_eq!(p.field("automatic_payment_methods[enabled]"), None);

    // Reconciliation reads the same intent back.
    let back = gw.retrieve_charge(&out.gateway_ref).await.expect("retrieve");
    assert_eq!(back.gateway_ref, out.gateway_ref);
    assert_eq!(back.status, ChargeStatus::Succeeded);
    assert!(mock
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.path == format!("/v1/payment_intents/{}", out.gateway_ref)));
}

#[tokio::test]
async fn a_declined_card_is_a_failed_charge_not_an_error() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(43, Some(DECLINED), true, "relance-payment-43")).await.expect("402 is an outcome");
    assert_eq!(out.status, ChargeStatus::Failed { code: "insufficient_funds".into() });
    assert!(out.gateway_ref.starts_with("pi_"), "the intent from the error body: {:?}", out.gateway_ref);
    assert_eq!(out.method_ref.as_deref(), Some(DECLINED));
    assert_eq!(mock.created("payment_intent"), 1);

    // Reading it back: requires_payment_method with last_payment_error.
    let back = gw.retrieve_charge(&out.gateway_ref).await.expect("retrieve");
    assert_eq!(back.status, ChargeStatus::Failed { code: "insufficient_funds".into() });
}

#[tokio::test]
async fn three_d_secure_on_session_needs_the_customer_and_fails_off_session() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(44, Some(THREE_DS), false, "relance-payment-44")).await.expect("charge");
    match &out.status {
        ChargeStatus::RequiresAction { url: Some(url) } => assert!(url.contains("3d_secure"), "{url}"),
        other => panic!("expected a 3-D Secure redirect, got {other:?}"),
    }
    let p = mock.last_post("/v1/payment_intents");
    assert_eq!(p.field("return_url"), Some(RETURN_URL));
    assert_eq!(p.field("off_session"), None);
    assert_eq!(p.field("confirm"), Some("true"));

    let auto = gw.charge(&charge_req(45, Some(THREE_DS), true, "relance-payment-45")).await.expect("charge");
    assert_eq!(auto.status, ChargeStatus::Failed { code: "authentication_required".into() });
    assert!(auto.gateway_ref.starts_with("pi_"));
}

#[tokio::test]
async fn sepa_debit_charge_is_processing_and_its_refund_pending() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let out = gw.charge(&charge_req(46, Some(SEPA), true, "relance-payment-46")).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::Processing);
    assert_eq!(mock.last_post("/v1/payment_intents").field("payment_method"), Some(SEPA));

    let refund = gw
        .refund(&RefundRequest {
            payment_ref: out.gateway_ref.clone(),
            amount_minor: 12_345,
            idempotency_key: "relance-refund-3".into(),
            refund_id: 3,
        })
        .await
        .expect("refund");
    assert_eq!(refund.status, RefundStatus::Pending);
}

#[tokio::test]
async fn a_retried_charge_returns_the_same_intent() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let req = charge_req(47, Some(VISA), true, "relance-payment-47-attempt-1");
    let first = gw.charge(&req).await.expect("charge");
    let again = gw.charge(&req).await.expect("retry");
    assert_eq!(first.gateway_ref, again.gateway_ref);
    assert_eq!(again.status, ChargeStatus::Succeeded);
    assert_eq!(mock.created("payment_intent"), 1);
    let keys: Vec<_> =
        mock.posts("/v1/payment_intents").iter().map(|p| p.header("idempotency-key").map(str::to_string)).collect();
    assert_eq!(keys, vec![Some(req.idempotency_key.clone()), Some(req.idempotency_key.clone())]);

    // A declined charge replays its decline (and its intent) too.
    let declined = charge_req(48, Some(DECLINED), true, "relance-payment-48-attempt-1");
    let a = gw.charge(&declined).await.expect("decline");
    let b = gw.charge(&declined).await.expect("decline again");
    assert_eq!(a.gateway_ref, b.gateway_ref);
    assert_eq!(b.status, ChargeStatus::Failed { code: "insufficient_funds".into() });
    assert_eq!(mock.created("payment_intent"), 2);
}

#[tokio::test]
async fn payment_element_charge_is_confirmed_by_the_browser() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let mut req = charge_req(49, None, false, "relance-payment-49");
    req.save_method = true;
    let out = gw.charge(&req).await.expect("charge");
    assert_eq!(out.status, ChargeStatus::RequiresAction { url: None });
    assert!(out.client_secret.as_deref().is_some_and(|s| s.contains("_secret_")));
    assert_eq!(out.method_ref, None);

    let p = mock.last_post("/v1/payment_intents");
    assert_eq!(p.field("automatic_payment_methods[enabled]"), Some("true"));
    assert_eq!(p.field("setup_future_usage"), Some("off_session"));
    assert_eq!(p.field("confirm"), None);
    assert_eq!(p.field("payment_method"), None);
    assert_eq!(p.field("metadata[relance_payment_id]"), Some("49"));
}

#[tokio::test]
async fn setup_intents_start_and_report_their_method() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();

    let card = gw.start_setup(CUSTOMER, MethodKind::Card).await.expect("setup");
    assert!(card.setup_ref.starts_with("seti_"), "{}", card.setup_ref);
    assert!(card.client_secret.starts_with(&format!("{}_secret_", card.setup_ref)));
    let p = mock.last_post("/v1/setup_intents");
    assert_eq!(p.field("customer"), Some(CUSTOMER));
    assert_eq!(p.field("usage"), Some("off_session"));
    assert_eq!(p.array("allowed_payment_method_types"), vec!["card".to_string()]);
    let first_key = p.header("idempotency-key").expect("idempotency key").to_string();

    let sepa = gw.start_setup(CUSTOMER, MethodKind::SepaDebit).await.expect("sepa setup");
    assert_ne!(sepa.setup_ref, card.setup_ref);
    let p = mock.last_post("/v1/setup_intents");
    assert_eq!(p.array("allowed_payment_method_types"), vec!["sepa_debit".to_string()]);
    assert_ne!(p.header("idempotency-key"), Some(first_key.as_str()), "a fresh key per setup");

    // Not confirmed by the browser yet.
    assert_eq!(gw.setup_status(&card.setup_ref).await.expect("status"), SetupStatus::Pending);
    assert_eq!(gw.setup_status("seti_card_3ds").await.expect("status"), SetupStatus::Pending);

    let done = gw.setup_status("seti_card_ok").await.expect("status");
    assert_eq!(
        done,
        SetupStatus::Succeeded(MethodDetails {
            gateway_ref: VISA.into(),
            kind: MethodKind::Card,
            brand: "visa".into(),
            last4: "4242".into(),
            exp_month: Some(12),
            exp_year: Some(2034),
        })
    );
    let get = mock
        .requests()
        .into_iter()
        .rfind(|r| r.method == "GET" && r.path == "/v1/setup_intents/seti_card_ok")
        .expect("GET setup intent");
    assert!(get.query.iter().any(|(k, v)| k.starts_with("expand") && v == "payment_method"), "{:?}", get.query);

    let sepa_done = gw.setup_status("seti_sepa_ok").await.expect("status");
    assert_eq!(
        sepa_done,
        SetupStatus::Succeeded(MethodDetails {
            gateway_ref: SEPA.into(),
            kind: MethodKind::SepaDebit,
            brand: "37040044".into(),
            last4: "3000".into(),
            exp_month: None,
            exp_year: None,
        })
    );

    assert_eq!(
        gw.setup_status("seti_card_declined").await.expect("status"),
        SetupStatus::Failed { code: "do_not_honor".into() }
    );
}

#[tokio::test]
async fn method_details_and_detach() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let sepa = gw.method_details(SEPA).await.expect("details");
    assert_eq!(sepa.kind, MethodKind::SepaDebit);
    assert_eq!(sepa.brand, "37040044");
    assert_eq!(sepa.last4, "3000");
    assert_eq!((sepa.exp_month, sepa.exp_year), (None, None));

    let card = gw.method_details(VISA).await.expect("details");
    assert_eq!((card.kind, card.brand.as_str(), card.last4.as_str()), (MethodKind::Card, "visa", "4242"));
    assert_eq!((card.exp_month, card.exp_year), (Some(12), Some(2034)));

    gw.detach_method(VISA).await.expect("detach");
    assert_eq!(mock.posts(&format!("/v1/payment_methods/{VISA}/detach")).len(), 1);

    let err = gw.method_details("pm_does_not_exist").await.expect_err("unknown method");
    assert!(matches!(&err, GatewayError::Refused { code } if code == "resource_missing"), "{err:?}");
}

#[tokio::test]
async fn partial_refund_succeeds() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let paid = gw.charge(&charge_req(50, Some(VISA), true, "relance-payment-50")).await.expect("charge");
    let req = RefundRequest {
        payment_ref: paid.gateway_ref.clone(),
        amount_minor: 500,
        idempotency_key: "relance-refund-9".into(),
        refund_id: 9,
    };
    let out = gw.refund(&req).await.expect("refund");
    assert_eq!(out.status, RefundStatus::Succeeded);
    assert!(out.gateway_ref.starts_with("re_"), "{}", out.gateway_ref);

    let p = mock.last_post("/v1/refunds");
    assert_eq!(p.header("idempotency-key"), Some("relance-refund-9"));
    assert_eq!(p.field("payment_intent"), Some(paid.gateway_ref.as_str()));
    assert_eq!(p.field("amount"), Some("500"));
    assert_eq!(p.field("metadata[relance_refund_id]"), Some("9"));

    // Same key: same refund, created once.
    let again = gw.refund(&req).await.expect("refund again");
    assert_eq!(again.gateway_ref, out.gateway_ref);
    assert_eq!(mock.created("refund"), 1);
}

#[tokio::test]
async fn every_create_carries_an_idempotency_key() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    gw.create_customer(&customer_req()).await.expect("customer");
    gw.start_setup(CUSTOMER, MethodKind::Card).await.expect("setup");
    let paid = gw.charge(&charge_req(51, Some(VISA), true, "relance-payment-51")).await.expect("charge");
    gw.charge(&charge_req(52, None, false, "relance-payment-52")).await.expect("charge");
    gw.refund(&RefundRequest {
        payment_ref: paid.gateway_ref,
        amount_minor: 100,
        idempotency_key: "relance-refund-11".into(),
        refund_id: 11,
    })
    .await
    .expect("refund");

    let creates: Vec<Recorded> = mock
        .requests()
        .into_iter()
        .filter(|r| {
            r.method == "POST"
                && ["/v1/customers", "/v1/setup_intents", "/v1/payment_intents", "/v1/refunds"]
                    .contains(&r.path.as_str())
        })
        .collect();
    assert_eq!(creates.len(), 5);
    for r in &creates {
        assert!(r.header("idempotency-key").is_some_and(|k| !k.is_empty()), "{} without a key", r.path);
    }
}

#[tokio::test]
async fn server_errors_and_network_failures_are_unavailable() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();

    mock.fail_next(500, None);
    let err = gw.create_customer(&customer_req()).await.expect_err("500");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
    // A 5xx is not kept for the key: the retry goes through.
    let id = gw.create_customer(&customer_req()).await.expect("retry after 500");
    assert!(id.starts_with("cus_"));

    mock.fail_next(502, Some("<html><body>502 Bad Gateway</body></html>"));
    let err = gw.charge(&charge_req(53, Some(VISA), true, "relance-payment-53")).await.expect_err("502");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");

    mock.fail_next(
        429,
        Some(r#"{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests"}}"#),
    );
    let err = gw.retrieve_charge("pi_whatever").await.expect_err("429");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");

    // Nothing listens on this port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let gone =
        StripeGateway::new(SECRET, "pk_test_x", "whsec_x", Some(&format!("http://127.0.0.1:{port}"))).expect("gateway");
    let err = gone.retrieve_charge("pi_whatever").await.expect_err("connection refused");
    assert!(matches!(err, GatewayError::Unavailable(_)), "{err:?}");
}

#[tokio::test]
async fn invalid_requests_are_refused() {
    let mock = MockStripe::start().await;
    let gw = mock.gateway();
    let err = gw.charge(&charge_req(54, Some("pm_unknown"), true, "relance-payment-54")).await.expect_err("400");
    assert!(matches!(&err, GatewayError::Refused { code } if code == "resource_missing"), "{err:?}");

    let wrong_key = StripeGateway::new("sk_test_wrong", "pk_test_x", "whsec_x", Some(&mock.base)).expect("gateway");
    let err = wrong_key.retrieve_charge("pi_whatever").await.expect_err("401");
    assert!(!matches!(err, GatewayError::Unavailable(_)), "{err:?}");
}
