//! A local stand-in for Stripe's API, shared by `stripe_gateway.rs` (the
//! gateway on its own) and `stripe_mode.rs` (the whole app in Stripe mode):
//! form-encoded requests in, Stripe-shaped JSON out (every field
//! async-stripe requires), idempotency keys replayed like Stripe does, every
//! request recorded. Tests play the browser's part (Stripe.js confirming a
//! SetupIntent or a PaymentIntent) with `confirm_setup_intent` and
//! `confirm_payment_intent`.

use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use server::stripe::StripeGateway;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) const SECRET: &str = "sk_test_51RelanceMock0000000000000000";
const CREATED: i64 = 1_795_000_000;
pub(crate) const CUSTOMER: &str = "cus_SeededMock01";
pub(crate) const VISA: &str = "pm_card_visa";
pub(crate) const DECLINED: &str = "pm_card_chargeDeclinedInsufficientFunds";
pub(crate) const THREE_DS: &str = "pm_card_threeDSecureRequired";
pub(crate) const SEPA: &str = "pm_sepa_debit_DE";
pub(crate) const RETURN_URL: &str = "https://relance.example/portal/payments/return";
pub(crate) const PUBLISHABLE_KEY: &str = "pk_test_51RelanceMock";
pub(crate) const WEBHOOK_SECRET: &str = "whsec_relance_mock";

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
pub(crate) struct Recorded {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) form: Vec<(String, String)>,
}

impl Recorded {
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// `name[0]`, `name[1]`, … in order.
    pub(crate) fn array(&self, name: &str) -> Vec<String> {
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
    /// Refunds in creation order (Stripe lists the newest first).
    refunds: Vec<Value>,
    /// New refunds start pending (the bank has not returned the money yet).
    pending_refunds: bool,
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
            ("POST", ["v1", "payment_intents", id, "cancel"]) => match self.payment_intents.get_mut(*id) {
                Some(pi) => {
                    let status = pi["status"].as_str().unwrap_or("").to_string();
                    if !matches!(
                        status.as_str(),
                        "requires_payment_method" | "requires_action" | "requires_confirmation" | "requires_capture"
                    ) {
                        let message = format!(
                            "You cannot cancel this PaymentIntent because it has a status of {status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing."
                        );
                        return (
                            400,
                            error_json(
                                "invalid_request_error",
                                Some("payment_intent_unexpected_state"),
                                None,
                                &message,
                            ),
                        );
                    }
                    pi["status"] = json!("canceled");
                    pi["next_action"] = Value::Null;
                    pi["canceled_at"] = json!(CREATED + 60);
                    pi["cancellation_reason"] =
                        json!(rec.field("cancellation_reason").unwrap_or("requested_by_customer"));
                    (200, pi.clone())
                }
                None => missing("intent", id),
            },
            ("POST", ["v1", "refunds"]) => self.create_refund(rec),
            ("GET", ["v1", "refunds"]) => self.list_refunds(rec),
            ("GET", ["v1", "refunds", id]) => match self.refunds.iter().find(|r| r["id"] == *id) {
                Some(re) => (200, re.clone()),
                None => missing("refund", id),
            },
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
        let status = if sepa || self.pending_refunds { "pending" } else { "succeeded" };
        let mut re = refund_json(&id, amount, pi["currency"].as_str().unwrap(), &pi_id, status, rec.metadata());
        re["failure_reason"] = Value::Null;
        self.refunds.push(re.clone());
        (200, re)
    }

    fn list_refunds(&mut self, rec: &Recorded) -> (u16, Value) {
        let q = |k: &str| rec.query.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let limit = q("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(10);
        let pi = q("payment_intent");
        let matching: Vec<Value> = self
            .refunds
            .iter()
            .rev()
            .filter(|r| pi.as_deref().is_none_or(|pi| r["payment_intent"] == pi))
            .cloned()
            .collect();
        let has_more = matching.len() > limit;
        let data: Vec<Value> = matching.into_iter().take(limit).collect();
        (200, json!({ "object": "list", "data": data, "has_more": has_more, "url": "/v1/refunds" }))
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

pub(crate) struct MockStripe {
    /// `http://127.0.0.1:{port}`: the API base to give the gateway.
    pub(crate) base: String,
    state: Arc<Mutex<State>>,
}

impl MockStripe {
    pub(crate) async fn start() -> MockStripe {
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

    pub(crate) fn gateway(&self) -> StripeGateway {
        StripeGateway::new(SECRET, PUBLISHABLE_KEY, WEBHOOK_SECRET, Some(&self.base)).expect("gateway")
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.state.lock().unwrap().requests.clone()
    }

    pub(crate) fn posts(&self, path: &str) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| r.method == "POST" && r.path == path).collect()
    }

    pub(crate) fn last_post(&self, path: &str) -> Recorded {
        self.posts(path).pop().unwrap_or_else(|| panic!("no POST {path}"))
    }

    pub(crate) fn created(&self, kind: &str) -> usize {
        self.state.lock().unwrap().created.get(kind).copied().unwrap_or(0)
    }

    pub(crate) fn fail_next(&self, status: u16, raw_body: Option<&str>) {
        self.state.lock().unwrap().fail_next = Some((status, raw_body.map(str::to_string)));
    }

    /// Another card Stripe knows (as if typed into Stripe.js).
    pub(crate) fn add_card(&self, id: &str, brand: &str, last4: &str) {
        self.state.lock().unwrap().payment_methods.insert(id.to_string(), card_pm(id, brand, last4, 12, 2034));
    }

    /// The browser confirmed this SetupIntent with Stripe.js: it succeeded
    /// and holds `payment_method` (a method the mock knows).
    pub(crate) fn confirm_setup_intent(&self, id: &str, payment_method: &str) {
        let mut st = self.state.lock().unwrap();
        assert!(st.payment_methods.contains_key(payment_method), "mock: unknown payment method {payment_method}");
        let si = st.setup_intents.get_mut(id).unwrap_or_else(|| panic!("mock: no SetupIntent {id}"));
        si["status"] = json!("succeeded");
        si["payment_method"] = json!(payment_method);
        si["last_setup_error"] = Value::Null;
        si["next_action"] = Value::Null;
    }

    /// The browser confirmed this PaymentIntent with Stripe.js (Payment
    /// Element) and the charge went through with `payment_method`.
    pub(crate) fn confirm_payment_intent(&self, id: &str, payment_method: &str) {
        let mut st = self.state.lock().unwrap();
        assert!(st.payment_methods.contains_key(payment_method), "mock: unknown payment method {payment_method}");
        let pi = st.payment_intents.get_mut(id).unwrap_or_else(|| panic!("mock: no PaymentIntent {id}"));
        let amount = pi["amount"].clone();
        pi["status"] = json!("succeeded");
        pi["payment_method"] = json!(payment_method);
        pi["amount_received"] = amount;
        pi["latest_charge"] = json!(format!("ch_{id}"));
        pi["last_payment_error"] = Value::Null;
        pi["next_action"] = Value::Null;
    }

    /// The PaymentIntent as Stripe holds it (for a webhook event's
    /// `data.object`).
    pub(crate) fn payment_intent(&self, id: &str) -> Value {
        let st = self.state.lock().unwrap();
        st.payment_intents.get(id).cloned().unwrap_or_else(|| panic!("mock: no PaymentIntent {id}"))
    }

    /// Whether new refunds start pending.
    pub(crate) fn pending_refunds(&self, pending: bool) {
        self.state.lock().unwrap().pending_refunds = pending;
    }

    /// Moves a refund on, as the bank would (a SEPA refund settling, or a
    /// refund failing even after it succeeded).
    pub(crate) fn set_refund_status(&self, id: &str, status: &str, failure_reason: Option<&str>) {
        let mut st = self.state.lock().unwrap();
        let re = st.refunds.iter_mut().find(|r| r["id"] == id).unwrap_or_else(|| panic!("mock: no refund {id}"));
        re["status"] = json!(status);
        re["failure_reason"] = opt(failure_reason);
    }

    /// A refund made from Stripe's dashboard (no metadata of ours).
    pub(crate) fn dashboard_refund(&self, payment_intent: &str, amount: i64) -> Value {
        let mut st = self.state.lock().unwrap();
        let id = st.next_id("re");
        let currency = st.payment_intents[payment_intent]["currency"].as_str().unwrap().to_string();
        let mut re = refund_json(&id, amount, &currency, payment_intent, "succeeded", json!({}));
        re["failure_reason"] = Value::Null;
        st.refunds.push(re.clone());
        re
    }

    /// The refund as Stripe holds it (for a webhook event's `data.object`).
    pub(crate) fn refund(&self, id: &str) -> Value {
        let st = self.state.lock().unwrap();
        st.refunds.iter().find(|r| r["id"] == id).cloned().unwrap_or_else(|| panic!("mock: no refund {id}"))
    }

    /// The customer a SetupIntent was created for.
    pub(crate) fn setup_intent_customer(&self, id: &str) -> Option<String> {
        let st = self.state.lock().unwrap();
        st.setup_intents.get(id).and_then(|si| si["customer"].as_str().map(str::to_string))
    }
}
