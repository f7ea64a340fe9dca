//! The offline sandbox: behaves like Stripe's test mode without a network.
//! Stripe's test card numbers succeed, decline or ask for 3-D Secure as they
//! do at Stripe; saved methods are opaque tokens; every state change emits a
//! Stripe-shaped event, signed and delivered through the same webhook
//! processing as Stripe's (`events::handle_webhook`). Its state lives in the
//! database (`sandbox_objects`, `sandbox_events`), like Stripe's lives at
//! Stripe, so it survives restarts and is shared by every instance.

use super::gateway::*;
use crate::db::{Clock, Db};
use crate::with_db;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

/// How long a SEPA debit stays *processing* before the sandbox settles it.
pub const SEPA_SETTLE_SECONDS: i64 = 20;

pub struct Sandbox {
    db: Db,
    clock: Clock,
    secret: Vec<u8>,
    /// Public URL of the portal (for the simulated 3-D Secure page).
    public_url: String,
}

/// What a test card or IBAN does, as at Stripe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Succeed,
    /// Saving fails and so does every charge.
    DeclineAlways(&'static str),
    /// Saving works; charges fail.
    DeclineCharge(&'static str),
    /// 3-D Secure on every transaction; off-session charges fail.
    Authenticate,
    SepaSucceed,
    SepaFail(&'static str),
}

impl Behaviour {
    fn as_str(self) -> String {
        match self {
            Behaviour::Succeed => "succeed".into(),
            Behaviour::DeclineAlways(c) => format!("decline_always:{c}"),
            Behaviour::DeclineCharge(c) => format!("decline_charge:{c}"),
            Behaviour::Authenticate => "authenticate".into(),
            Behaviour::SepaSucceed => "sepa_succeed".into(),
            Behaviour::SepaFail(c) => format!("sepa_fail:{c}"),
        }
    }

    fn parse(s: &str) -> Behaviour {
        let code = |c: &str| -> &'static str {
            match c {
                "insufficient_funds" => "insufficient_funds",
                "expired_card" => "expired_card",
                "incorrect_cvc" => "incorrect_cvc",
                _ => "card_declined",
            }
        };
        match s.split_once(':') {
            Some(("decline_always", c)) => Behaviour::DeclineAlways(code(c)),
            Some(("decline_charge", c)) => Behaviour::DeclineCharge(code(c)),
            Some(("sepa_fail", c)) => Behaviour::SepaFail(code(c)),
            _ => match s {
                "authenticate" => Behaviour::Authenticate,
                "sepa_succeed" => Behaviour::SepaSucceed,
                _ => Behaviour::Succeed,
            },
        }
    }
}

/// Stripe's documented test cards (https://docs.stripe.com/testing).
fn card_behaviour(number: &str) -> Option<(&'static str, Behaviour)> {
    Some(match number {
        "4242424242424242" | "4000056655665556" => ("visa", Behaviour::Succeed),
        "5555555555554444" | "2223003122003222" | "5200828282828210" => ("mastercard", Behaviour::Succeed),
        "378282246310005" | "371449635398431" => ("amex", Behaviour::Succeed),
        "4000002500003155" | "4000002760003184" | "4000003800000446" => ("visa", Behaviour::Authenticate),
        "4000000000000002" => ("visa", Behaviour::DeclineAlways("card_declined")),
        "4000000000009995" => ("visa", Behaviour::DeclineAlways("insufficient_funds")),
        "4000000000000069" => ("visa", Behaviour::DeclineAlways("expired_card")),
        "4000000000000127" => ("visa", Behaviour::DeclineAlways("incorrect_cvc")),
        "4000000000000341" => ("visa", Behaviour::DeclineCharge("card_declined")),
        _ => return None,
    })
}

/// Stripe's SEPA test IBANs; any other valid IBAN succeeds.
fn iban_behaviour(iban: &str) -> Behaviour {
    match iban {
        "DE62370400440532013001" | "AT591904300235473203" => Behaviour::SepaFail("insufficient_funds"),
        _ => Behaviour::SepaSucceed,
    }
}

pub fn luhn_ok(digits: &str) -> bool {
    if digits.len() < 12 || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 13616 check (mod 97); `iban` without spaces, upper case.
pub fn iban_ok(iban: &str) -> bool {
    if iban.len() < 15 || iban.len() > 34 || !iban.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    if !head[..2].bytes().all(|b| b.is_ascii_uppercase()) || !head[2..].bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut rem: u32 = 0;
    for b in tail.bytes().chain(head.bytes()) {
        let v = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// A card typed into the sandbox's form, checked the way Stripe.js would.
#[derive(Debug, PartialEq, Eq)]
pub enum CardInputError {
    Number,
    Expiry,
    Cvc,
    /// A real card number: refused in test mode, as at Stripe.
    LiveCard,
}

fn random_id(prefix: &str) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let s: String = (0..24)
        .map(|_| {
            let c = rng.gen_range(0..36u8);
            char::from(if c < 10 { b'0' + c } else { b'a' + c - 10 })
        })
        .collect();
    format!("{prefix}_sbx_{s}")
}

#[derive(sqlx::FromRow)]
struct ObjectRow {
    id: String,
    data: String,
}

impl Sandbox {
    pub fn new(db: Db, clock: Clock, secret: Vec<u8>, public_url: String) -> Sandbox {
        Sandbox { db, clock, secret, public_url }
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A stored refund as the gateway reports it at `now`: a SEPA refund
    /// reads as pending until the bank settles it.
    fn refund_view(refund: &Value, now: DateTime<Utc>) -> RefundInfo {
        let mut refund = refund.clone();
        if refund["settles_at"].as_i64().is_some_and(|t| t <= now.timestamp()) && refund["status"] == "pending" {
            refund["status"] = json!("succeeded");
        }
        RefundInfo::from_json(&refund).unwrap_or(RefundInfo {
            gateway_ref: refund["id"].as_str().unwrap_or_default().to_string(),
            amount_minor: 0,
            status: RefundStatus::Pending,
            refund_id: None,
            payment_ref: None,
        })
    }

    async fn get(&self, id: &str) -> Result<Option<Value>, GatewayError> {
        let row: Option<ObjectRow> = with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT id, data FROM sandbox_objects WHERE id = $1").bind(id).fetch_optional(pool).await
        })
        .map_err(|e| GatewayError::Other(e.into()))?;
        row.map(|r| serde_json::from_str(&r.data).map_err(|e| GatewayError::Other(e.into()))).transpose()
    }

    async fn find_by_key(&self, kind: &str, key: &str) -> Result<Option<(String, Value)>, GatewayError> {
        let row: Option<ObjectRow> = with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT id, data FROM sandbox_objects WHERE kind = $1 AND idempotency_key = $2")
                .bind(kind)
                .bind(key)
                .fetch_optional(pool)
                .await
        })
        .map_err(|e| GatewayError::Other(e.into()))?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((r.id, serde_json::from_str(&r.data).map_err(|e| GatewayError::Other(e.into()))?))),
        }
    }

    /// Inserts an object; with an idempotency key, a concurrent twin loses
    /// and gets the winner's object back.
    async fn insert(
        &self,
        kind: &str,
        key: Option<&str>,
        id: &str,
        data: &Value,
    ) -> Result<(String, Value), GatewayError> {
        let now = self.now();
        let text = data.to_string();
        let inserted = with_db!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO sandbox_objects (id, kind, idempotency_key, data, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(kind)
            .bind(key)
            .bind(&text)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })
        .map_err(|e| GatewayError::Other(e.into()))?;
        if inserted == 1 {
            return Ok((id.to_string(), data.clone()));
        }
        match key {
            Some(key) => self
                .find_by_key(kind, key)
                .await?
                .ok_or_else(|| GatewayError::Other(anyhow::anyhow!("sandbox object vanished"))),
            None => Err(GatewayError::Other(anyhow::anyhow!("sandbox id collision"))),
        }
    }

    async fn put(&self, id: &str, data: &Value) -> Result<(), GatewayError> {
        let text = data.to_string();
        with_db!(&self.db, |pool| {
            sqlx::query("UPDATE sandbox_objects SET data = $2 WHERE id = $1")
                .bind(id)
                .bind(&text)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(|e| GatewayError::Other(e.into()))?;
        Ok(())
    }

    /// Queues a Stripe-shaped event for delivery at `at`.
    async fn emit(&self, event_type: &str, object: Value, at: DateTime<Utc>) -> Result<(), GatewayError> {
        let id = random_id("evt");
        let payload = json!({
            "id": id,
            "object": "event",
            "type": event_type,
            "created": at.timestamp(),
            "livemode": false,
            "api_version": "2025-09-30.clover",
            "data": { "object": object },
        })
        .to_string();
        let now = self.now();
        with_db!(&self.db, |pool| {
            sqlx::query("INSERT INTO sandbox_events (id, payload, deliver_after, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&id)
                .bind(&payload)
                .bind(at)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })
        .map_err(|e| GatewayError::Other(e.into()))?;
        Ok(())
    }

    /// Events due at `now`, oldest first, with their signature header. The
    /// caller delivers them and marks them with `mark_delivered`.
    pub async fn due_events(&self, now: DateTime<Utc>, limit: i64) -> anyhow::Result<Vec<(String, String, String)>> {
        let rows: Vec<(String, String)> = with_db!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT id, payload FROM sandbox_events WHERE delivered_at IS NULL AND deliver_after <= $1
                 ORDER BY deliver_after, created_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, payload)| {
                let header = super::events::signature_header(&self.secret, payload.as_bytes(), now.timestamp());
                (id, payload, header)
            })
            .collect())
    }

    pub async fn mark_delivered(&self, id: &str) -> anyhow::Result<()> {
        let now = self.now();
        with_db!(&self.db, |pool| {
            sqlx::query("UPDATE sandbox_events SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL")
                .bind(id)
                .bind(now)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A card typed into the sandbox's form becomes a saved-method token.
    pub async fn tokenize_card(
        &self,
        number: &str,
        exp_month: i32,
        exp_year: i32,
        cvc: &str,
    ) -> Result<Result<MethodDetails, CardInputError>, GatewayError> {
        let number: String = number.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        if !luhn_ok(&number) {
            return Ok(Err(CardInputError::Number));
        }
        let today = self.clock.today();
        let year = if (0..100).contains(&exp_year) { 2000 + exp_year } else { exp_year };
        let current = i64::from(chrono::Datelike::year(&today)) * 12 + i64::from(chrono::Datelike::month(&today));
        if !(1..=12).contains(&exp_month)
            || !(2000..=2100).contains(&year)
            || i64::from(year) * 12 + i64::from(exp_month) < current
        {
            return Ok(Err(CardInputError::Expiry));
        }
        let (brand, behaviour) = match card_behaviour(&number) {
            Some(b) => b,
            None => return Ok(Err(CardInputError::LiveCard)),
        };
        let cvc_len = if brand == "amex" { 4 } else { 3 };
        if cvc.len() != cvc_len || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Err(CardInputError::Cvc));
        }
        let last4 = number[number.len() - 4..].to_string();
        let id = random_id("pm");
        let data = json!({
            "object": "payment_method", "type": "card", "brand": brand, "last4": last4,
            "exp_month": exp_month, "exp_year": year, "behaviour": behaviour.as_str(), "customer": null,
        });
        self.insert("payment_method", None, &id, &data).await?;
        Ok(Ok(MethodDetails {
            gateway_ref: id,
            kind: MethodKind::Card,
            brand: brand.to_string(),
            last4,
            exp_month: Some(exp_month),
            exp_year: Some(year),
        }))
    }

    /// A SEPA Direct Debit mandate from an IBAN (checked, then tokenized).
    pub async fn tokenize_iban(&self, iban: &str) -> Result<Option<MethodDetails>, GatewayError> {
        let iban: String = iban.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
        if !iban_ok(&iban) {
            return Ok(None);
        }
        let last4 = iban[iban.len() - 4..].to_string();
        let bank = iban[4..9.min(iban.len())].to_string();
        let id = random_id("pm");
        let data = json!({
            "object": "payment_method", "type": "sepa_debit", "brand": bank, "last4": last4,
            "country": &iban[..2], "behaviour": iban_behaviour(&iban).as_str(), "customer": null,
        });
        self.insert("payment_method", None, &id, &data).await?;
        Ok(Some(MethodDetails {
            gateway_ref: id,
            kind: MethodKind::SepaDebit,
            brand: bank,
            last4,
            exp_month: None,
            exp_year: None,
        }))
    }

    /// Saves a tokenized method for later: a SetupIntent that succeeds, fails
    /// (declining cards) or waits for 3-D Secure, as at Stripe.
    pub async fn setup_with(
        &self,
        customer_ref: &str,
        method_ref: &str,
        account_id: i64,
    ) -> Result<(String, SetupStatus, Option<String>), GatewayError> {
        let mut pm = self.get(method_ref).await?.ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
        let behaviour = Behaviour::parse(pm["behaviour"].as_str().unwrap_or(""));
        let id = random_id("seti");
        let (status, error) = match behaviour {
            Behaviour::DeclineAlways(code) => ("requires_payment_method", Some(code)),
            Behaviour::Authenticate => ("requires_action", None),
            _ => ("succeeded", None),
        };
        let seti = json!({
            "id": id, "object": "setup_intent", "customer": customer_ref, "payment_method": method_ref,
            "status": status, "usage": "off_session",
            "metadata": { "relance_account_id": account_id.to_string() },
            "last_setup_error": error.map(|c| json!({ "type": "card_error", "code": "card_declined", "decline_code": c })),
        });
        self.insert("setup_intent", None, &id, &seti).await?;
        let now = self.now();
        match status {
            "succeeded" => {
                pm["customer"] = json!(customer_ref);
                self.put(method_ref, &pm).await?;
                self.emit("setup_intent.succeeded", seti, now).await?;
                Ok((id, SetupStatus::Succeeded(self.details(method_ref, &pm)?), None))
            }
            "requires_action" => {
                let url = format!("{}/sandbox/authenticate/{id}", self.public_url);
                Ok((id, SetupStatus::Pending, Some(url)))
            }
            _ => {
                self.emit("setup_intent.setup_failed", seti, now).await?;
                Ok((id, SetupStatus::Failed { code: error.unwrap_or("card_declined").to_string() }, None))
            }
        }
    }

    fn details(&self, id: &str, pm: &Value) -> Result<MethodDetails, GatewayError> {
        let kind = MethodKind::parse(pm["type"].as_str().unwrap_or(""))
            .ok_or_else(|| GatewayError::Other(anyhow::anyhow!("sandbox method without type")))?;
        Ok(MethodDetails {
            gateway_ref: id.to_string(),
            kind,
            brand: pm["brand"].as_str().unwrap_or("").to_string(),
            last4: pm["last4"].as_str().unwrap_or("").to_string(),
            exp_month: pm["exp_month"].as_i64().and_then(|v| i32::try_from(v).ok()),
            exp_year: pm["exp_year"].as_i64().and_then(|v| i32::try_from(v).ok()),
        })
    }

    /// What the simulated 3-D Secure page shows: the object waiting and its amount.
    pub async fn pending_authentication(&self, id: &str) -> Result<Option<(i64, String)>, GatewayError> {
        let Some(obj) = self.get(id).await? else { return Ok(None) };
        if obj["status"] != "requires_action" {
            return Ok(None);
        }
        Ok(Some((obj["amount"].as_i64().unwrap_or(0), obj["currency"].as_str().unwrap_or("").to_uppercase())))
    }

    /// The customer completes (or fails) 3-D Secure on the simulated page.
    /// Returns where to send them next (`return_url`).
    pub async fn authenticate(&self, id: &str, approve: bool) -> Result<Option<String>, GatewayError> {
        let Some(mut obj) = self.get(id).await? else { return Ok(None) };
        if obj["status"] != "requires_action" {
            return Ok(None);
        }
        let now = self.now();
        let return_url = obj["return_url"].as_str().map(str::to_string);
        if obj["object"] == "setup_intent" {
            if approve {
                obj["status"] = json!("succeeded");
                let pm_id = obj["payment_method"].as_str().unwrap_or("").to_string();
                if let Some(mut pm) = self.get(&pm_id).await? {
                    pm["customer"] = obj["customer"].clone();
                    self.put(&pm_id, &pm).await?;
                }
                self.put(id, &obj).await?;
                self.emit("setup_intent.succeeded", obj, now).await?;
            } else {
                obj["status"] = json!("requires_payment_method");
                obj["last_setup_error"] = json!({ "type": "card_error", "code": "authentication_failure" });
                self.put(id, &obj).await?;
                self.emit("setup_intent.setup_failed", obj, now).await?;
            }
        } else if approve {
            obj["status"] = json!("succeeded");
            obj["next_action"] = Value::Null;
            self.put(id, &obj).await?;
            self.emit("payment_intent.succeeded", obj, now).await?;
        } else {
            obj["status"] = json!("requires_payment_method");
            obj["next_action"] = Value::Null;
            obj["last_payment_error"] =
                json!({ "type": "card_error", "code": "payment_intent_authentication_failure" });
            self.put(id, &obj).await?;
            self.emit("payment_intent.payment_failed", obj, now).await?;
        }
        Ok(Some(return_url.unwrap_or_default()))
    }

    /// Remembers where a setup waiting for 3-D Secure returns to.
    pub async fn set_return_url(&self, id: &str, url: &str) -> Result<(), GatewayError> {
        if let Some(mut obj) = self.get(id).await? {
            obj["return_url"] = json!(url);
            self.put(id, &obj).await?;
        }
        Ok(())
    }

    fn outcome(pi: &Value) -> ChargeOutcome {
        let status = match pi["status"].as_str().unwrap_or("") {
            "succeeded" => ChargeStatus::Succeeded,
            "processing" => ChargeStatus::Processing,
            "requires_action" => ChargeStatus::RequiresAction {
                url: pi["next_action"]["redirect_to_url"]["url"].as_str().map(str::to_string),
            },
            _ => ChargeStatus::Failed {
                code: pi["last_payment_error"]["decline_code"]
                    .as_str()
                    .or(pi["last_payment_error"]["code"].as_str())
                    .unwrap_or("card_declined")
                    .to_string(),
            },
        };
        ChargeOutcome {
            gateway_ref: pi["id"].as_str().unwrap_or("").to_string(),
            status,
            client_secret: None,
            method_ref: pi["payment_method"].as_str().map(str::to_string),
        }
    }
}

impl Gateway for Sandbox {
    fn mode(&self) -> GatewayMode {
        GatewayMode::Sandbox
    }

    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn webhook_secret(&self) -> &[u8] {
        &self.secret
    }

    fn create_customer<'a>(&'a self, req: &'a CustomerRequest) -> GatewayFuture<'a, String> {
        Box::pin(async move {
            let key = format!("relance-customer-{}", req.account_id);
            let data = json!({ "object": "customer", "name": req.name, "email": req.email });
            let (id, _) = self.insert("customer", Some(&key), &random_id("cus"), &data).await?;
            Ok(id)
        })
    }

    fn start_setup<'a>(&'a self, _customer_ref: &'a str, _kind: MethodKind) -> GatewayFuture<'a, SetupStart> {
        // The sandbox collects card numbers in its own form (`tokenize_card`
        // then `setup_with`); there is no browser-side confirmation.
        Box::pin(async move { Err(GatewayError::Refused { code: "sandbox_uses_its_own_form".into() }) })
    }

    fn setup_status<'a>(&'a self, setup_ref: &'a str, customer_ref: &'a str) -> GatewayFuture<'a, SetupStatus> {
        Box::pin(async move {
            let seti = self
                .get(setup_ref)
                .await?
                .filter(|s| s["object"] == "setup_intent" && s["customer"].as_str() == Some(customer_ref))
                .ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            match seti["status"].as_str().unwrap_or("") {
                "succeeded" => {
                    let pm_id = seti["payment_method"].as_str().unwrap_or("");
                    let pm = self.get(pm_id).await?.ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
                    Ok(SetupStatus::Succeeded(self.details(pm_id, &pm)?))
                }
                "requires_payment_method" => Ok(SetupStatus::Failed {
                    code: seti["last_setup_error"]["decline_code"]
                        .as_str()
                        .or(seti["last_setup_error"]["code"].as_str())
                        .unwrap_or("card_declined")
                        .to_string(),
                }),
                _ => Ok(SetupStatus::Pending),
            }
        })
    }

    fn method_details<'a>(&'a self, method_ref: &'a str) -> GatewayFuture<'a, MethodDetails> {
        Box::pin(async move {
            let pm = self.get(method_ref).await?.ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            self.details(method_ref, &pm)
        })
    }

    fn detach_method<'a>(&'a self, method_ref: &'a str) -> GatewayFuture<'a, ()> {
        Box::pin(async move {
            if let Some(mut pm) = self.get(method_ref).await? {
                pm["customer"] = Value::Null;
                self.put(method_ref, &pm).await?;
            }
            Ok(())
        })
    }

    fn charge<'a>(&'a self, req: &'a ChargeRequest) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            if let Some((_, existing)) = self.find_by_key("payment_intent", &req.idempotency_key).await? {
                return Ok(Self::outcome(&existing));
            }
            let Some(method_ref) = req.method_ref.as_deref() else {
                return Err(GatewayError::Refused { code: "payment_method_required".into() });
            };
            let pm = self.get(method_ref).await?.ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            let behaviour = Behaviour::parse(pm["behaviour"].as_str().unwrap_or(""));
            let id = random_id("pi");
            let now = self.now();
            #[allow(clippy::type_complexity)]
            let (status, error, next_action, settle): (
                &str,
                Option<&str>,
                Value,
                Option<(&str, Option<&str>)>,
            ) = match behaviour {
                Behaviour::Succeed => ("succeeded", None, Value::Null, None),
                Behaviour::DeclineAlways(c) | Behaviour::DeclineCharge(c) => {
                    ("requires_payment_method", Some(c), Value::Null, None)
                }
                Behaviour::Authenticate if req.off_session => {
                    ("requires_payment_method", Some("authentication_required"), Value::Null, None)
                }
                Behaviour::Authenticate => (
                    "requires_action",
                    None,
                    json!({ "type": "redirect_to_url", "redirect_to_url": {
                            "url": format!("{}/sandbox/authenticate/{id}", self.public_url),
                            "return_url": req.return_url } }),
                    None,
                ),
                Behaviour::SepaSucceed => ("processing", None, Value::Null, Some(("succeeded", None))),
                Behaviour::SepaFail(c) => ("processing", None, Value::Null, Some(("failed", Some(c)))),
            };
            let pi = json!({
                "id": id, "object": "payment_intent", "amount": req.amount_minor,
                "currency": req.currency.to_ascii_lowercase(), "customer": req.customer_ref,
                "payment_method": method_ref, "status": status, "description": req.description,
                "metadata": { "relance_payment_id": req.payment_id.to_string() },
                "last_payment_error": error.map(|c| json!({ "type": "card_error", "code": "card_declined", "decline_code": c })),
                "next_action": next_action, "return_url": req.return_url, "amount_refunded": 0,
            });
            let (winner, pi) = self.insert("payment_intent", Some(&req.idempotency_key), &id, &pi).await?;
            if winner != id {
                return Ok(Self::outcome(&pi));
            }
            match status {
                "succeeded" => self.emit("payment_intent.succeeded", pi.clone(), now).await?,
                "processing" => self.emit("payment_intent.processing", pi.clone(), now).await?,
                "requires_action" => self.emit("payment_intent.requires_action", pi.clone(), now).await?,
                _ => self.emit("payment_intent.payment_failed", pi.clone(), now).await?,
            }
            if let Some((result, code)) = settle {
                // The bank answers later: the sandbox settles the debit after a while.
                let mut settled = pi.clone();
                let at = now + Duration::seconds(SEPA_SETTLE_SECONDS);
                if result == "succeeded" {
                    settled["status"] = json!("succeeded");
                    self.put(&id, &settled).await?;
                    self.emit("payment_intent.succeeded", settled, at).await?;
                } else {
                    settled["status"] = json!("requires_payment_method");
                    settled["last_payment_error"] = json!({ "type": "card_error", "code": "payment_method_provider_decline", "decline_code": code });
                    self.put(&id, &settled).await?;
                    self.emit("payment_intent.payment_failed", settled, at).await?;
                }
            }
            Ok(Self::outcome(&pi))
        })
    }

    fn retrieve_charge<'a>(&'a self, gateway_ref: &'a str) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            let pi = self.get(gateway_ref).await?.ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            // A SEPA debit reads as processing until its settlement event is due.
            let mut outcome = Self::outcome(&pi);
            if pi["payment_method"].as_str().is_some() {
                let due: Option<i64> = with_db!(&self.db, |pool| {
                    sqlx::query_scalar(
                        "SELECT COUNT(*) FROM sandbox_events WHERE delivered_at IS NULL AND deliver_after > $1
                         AND payload LIKE $2",
                    )
                    .bind(self.now())
                    .bind(format!("%\"id\":\"{gateway_ref}\"%"))
                    .fetch_optional(pool)
                    .await
                })
                .map_err(|e| GatewayError::Other(e.into()))?;
                if due.unwrap_or(0) > 0 {
                    outcome.status = ChargeStatus::Processing;
                }
            }
            Ok(outcome)
        })
    }

    fn cancel_charge<'a>(&'a self, gateway_ref: &'a str) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            let mut pi = self
                .get(gateway_ref)
                .await?
                .filter(|o| o["object"] == "payment_intent")
                .ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            let cancelable = matches!(
                pi["status"].as_str().unwrap_or(""),
                "requires_action" | "requires_payment_method" | "requires_confirmation"
            );
            if !cancelable {
                return Err(GatewayError::Refused { code: "payment_intent_unexpected_state".into() });
            }
            pi["status"] = json!("canceled");
            pi["next_action"] = Value::Null;
            pi["cancellation_reason"] = json!("requested_by_customer");
            pi["last_payment_error"] = json!({ "type": "invalid_request_error", "code": "canceled" });
            self.put(gateway_ref, &pi).await?;
            let now = self.now();
            self.emit("payment_intent.canceled", pi.clone(), now).await?;
            Ok(Self::outcome(&pi))
        })
    }

    /// As Stripe does today: a card refund succeeds at once, a SEPA refund
    /// is pending until the bank settles it; `refund.created` and
    /// `refund.updated` carry the Refund, and `charge.refunded` the Charge
    /// without its refunds (they are listed through `list_refunds`).
    fn refund<'a>(&'a self, req: &'a RefundRequest) -> GatewayFuture<'a, RefundOutcome> {
        Box::pin(async move {
            let now = self.now();
            if let Some((id, refund)) = self.find_by_key("refund", &req.idempotency_key).await? {
                return Ok(RefundOutcome { gateway_ref: id, status: Self::refund_view(&refund, now).status });
            }
            let mut pi =
                self.get(&req.payment_ref).await?.ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            if pi["status"] != "succeeded" {
                return Err(GatewayError::Refused { code: "charge_not_succeeded".into() });
            }
            let charged = pi["amount"].as_i64().unwrap_or(0);
            let refunded = pi["amount_refunded"].as_i64().unwrap_or(0);
            if req.amount_minor <= 0 || refunded + req.amount_minor > charged {
                return Err(GatewayError::Refused { code: "amount_too_large".into() });
            }
            let sepa = match pi["payment_method"].as_str() {
                Some(pm) => self.get(pm).await?.is_some_and(|m| m["type"] == "sepa_debit"),
                None => false,
            };
            let id = random_id("re");
            let mut refund = json!({
                "id": id, "object": "refund", "amount": req.amount_minor, "currency": pi["currency"],
                "status": if sepa { "pending" } else { "succeeded" }, "failure_reason": null,
                "payment_intent": req.payment_ref, "charge": req.payment_ref.replace("pi_", "ch_"),
                "metadata": { "relance_refund_id": req.refund_id.to_string() }, "created": now.timestamp(),
            });
            let settles_at = now + Duration::seconds(SEPA_SETTLE_SECONDS);
            if sepa {
                refund["settles_at"] = json!(settles_at.timestamp());
            }
            let (winner, stored) = self.insert("refund", Some(&req.idempotency_key), &id, &refund).await?;
            if winner != id {
                return Ok(RefundOutcome { gateway_ref: winner, status: Self::refund_view(&stored, now).status });
            }
            pi["amount_refunded"] = json!(refunded + req.amount_minor);
            self.put(&req.payment_ref, &pi).await?;
            let charge = json!({
                "id": req.payment_ref.replace("pi_", "ch_"), "object": "charge", "payment_intent": req.payment_ref,
                "amount": charged, "amount_refunded": refunded + req.amount_minor, "currency": pi["currency"],
                "refunded": refunded + req.amount_minor == charged,
            });
            self.emit("refund.created", refund.clone(), now).await?;
            self.emit("charge.refunded", charge, now).await?;
            if sepa {
                let mut settled = refund.clone();
                settled["status"] = json!("succeeded");
                self.emit("refund.updated", settled, settles_at).await?;
            }
            Ok(RefundOutcome { gateway_ref: id, status: Self::refund_view(&refund, now).status })
        })
    }

    fn retrieve_refund<'a>(&'a self, refund_ref: &'a str) -> GatewayFuture<'a, RefundInfo> {
        Box::pin(async move {
            let refund = self
                .get(refund_ref)
                .await?
                .filter(|o| o["object"] == "refund")
                .ok_or(GatewayError::Refused { code: "resource_missing".into() })?;
            Ok(Self::refund_view(&refund, self.now()))
        })
    }

    fn list_refunds<'a>(&'a self, payment_ref: &'a str) -> GatewayFuture<'a, Vec<RefundInfo>> {
        Box::pin(async move {
            let rows: Vec<String> = with_db!(&self.db, |pool| {
                sqlx::query_scalar(
                    "SELECT data FROM sandbox_objects WHERE kind = 'refund' AND data LIKE $1 ORDER BY created_at DESC",
                )
                .bind(format!("%\"payment_intent\":\"{payment_ref}\"%"))
                .fetch_all(pool)
                .await
            })
            .map_err(|e| GatewayError::Other(e.into()))?;
            let now = self.now();
            rows.iter()
                .map(|r| serde_json::from_str::<Value>(r).map_err(|e| GatewayError::Other(e.into())))
                .filter(|r| r.as_ref().map_or(true, |o| o["payment_intent"] == payment_ref))
                .map(|r| r.map(|o| Self::refund_view(&o, now)))
                .collect()
        })
    }

    fn as_sandbox(&self) -> Option<&Sandbox> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_iban_checks() {
        assert!(luhn_ok("4242424242424242"));
        assert!(luhn_ok("4000002760003184"));
        assert!(!luhn_ok("4242424242424241"));
        assert!(!luhn_ok("42424242"));
        assert!(iban_ok("DE89370400440532013000"));
        assert!(iban_ok("FR1420041010050500013M02606"));
        assert!(!iban_ok("DE89370400440532013001x"));
        assert!(!iban_ok("DE00370400440532013000"));
    }

    #[test]
    fn test_cards_behave_as_at_stripe() {
        assert_eq!(card_behaviour("4242424242424242"), Some(("visa", Behaviour::Succeed)));
        assert_eq!(card_behaviour("4000000000000002"), Some(("visa", Behaviour::DeclineAlways("card_declined"))));
        assert_eq!(card_behaviour("4000002760003184"), Some(("visa", Behaviour::Authenticate)));
        assert_eq!(card_behaviour("4111111111111111"), None);
        for b in
            [Behaviour::Succeed, Behaviour::DeclineCharge("insufficient_funds"), Behaviour::SepaFail("card_declined")]
        {
            assert_eq!(Behaviour::parse(&b.as_str()), b);
        }
    }
}
