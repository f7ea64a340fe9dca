//! The offline sandbox: behaves like Stripe's test mode without a network.
//! Stripe's test card numbers succeed, decline or ask for 3-D Secure as they
//! do at Stripe; saved methods are opaque tokens; every state change emits a
//! Stripe-shaped event, signed and delivered through the same webhook
//! processing as Stripe's (`events::handle_webhook`). Its state lives in the
//! database (`sandbox_objects`, `sandbox_events`), like Stripe's lives at
//! Stripe, so it survives restarts and is shared by every instance.

mod cards;
mod gateway;

pub use cards::{iban_ok, luhn_ok, CardInputError};

use super::gateway::*;
use crate::db::{Clock, Db};
use crate::with_db;
use cards::*;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

/// How long a SEPA debit stays *processing* before the sandbox settles it.
pub const SEPA_SETTLE_SECONDS: i64 = 20;

pub struct Sandbox {
    pub(super) db: Db,
    pub(super) clock: Clock,
    pub(super) secret: Vec<u8>,
    /// Public URL of the portal (for the simulated 3-D Secure page).
    pub(super) public_url: String,
}

pub(super) fn random_id(prefix: &str) -> String {
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
pub(super) struct ObjectRow {
    id: String,
    data: String,
}

impl Sandbox {
    pub fn new(db: Db, clock: Clock, secret: Vec<u8>, public_url: String) -> Sandbox {
        Sandbox { db, clock, secret, public_url }
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A stored refund as the gateway reports it at `now`: a SEPA refund
    /// reads as pending until the bank settles it.
    pub(super) fn refund_view(refund: &Value, now: DateTime<Utc>) -> RefundInfo {
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

    pub(super) async fn get(&self, id: &str) -> Result<Option<Value>, GatewayError> {
        let row: Option<ObjectRow> = with_db!(&self.db, |pool| {
            sqlx::query_as("SELECT id, data FROM sandbox_objects WHERE id = $1").bind(id).fetch_optional(pool).await
        })
        .map_err(|e| GatewayError::Other(e.into()))?;
        row.map(|r| serde_json::from_str(&r.data).map_err(|e| GatewayError::Other(e.into()))).transpose()
    }

    pub(super) async fn find_by_key(&self, kind: &str, key: &str) -> Result<Option<(String, Value)>, GatewayError> {
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
    pub(super) async fn insert(
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

    pub(super) async fn put(&self, id: &str, data: &Value) -> Result<(), GatewayError> {
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
    pub(super) async fn emit(&self, event_type: &str, object: Value, at: DateTime<Utc>) -> Result<(), GatewayError> {
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

    pub(super) fn details(&self, id: &str, pm: &Value) -> Result<MethodDetails, GatewayError> {
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

    pub(super) fn outcome(pi: &Value) -> ChargeOutcome {
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
