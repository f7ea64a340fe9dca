//! The sandbox as a `Gateway`: charges, refunds and setups behave as at
//! Stripe's test mode, and emit Stripe-shaped events.

use super::super::gateway::*;
use super::*;
use crate::with_db;
use chrono::Duration;
use serde_json::{json, Value};

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
