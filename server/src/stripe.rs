//! The Stripe payment gateway (`app::payments::gateway::Gateway`), through
//! async-stripe: customers, SetupIntents for saving a card or a SEPA
//! mandate, PaymentIntents (confirmed server-side with a saved method, or by
//! the browser's Payment Element), refunds. Every create carries an
//! idempotency key. A declined confirm (HTTP 402 `card_error`) is a normal
//! outcome (`ChargeStatus::Failed`), not an error. Secret keys and client
//! secrets are never logged.

use std::collections::HashMap;
use std::fmt;

use ::stripe::{ApiErrors, ApiErrorsType, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use app::payments::gateway::{
    ChargeOutcome, ChargeRequest, ChargeStatus, CustomerRequest, Gateway, GatewayError, GatewayFuture, GatewayMode,
    MethodDetails, MethodKind, RefundInfo, RefundOutcome, RefundRequest, RefundStatus, SetupStart, SetupStatus,
};
use rand::Rng;
use stripe_core::customer::CreateCustomer;
use stripe_core::payment_intent::{
    CancelPaymentIntent, CancelPaymentIntentCancellationReason, CreatePaymentIntent,
    CreatePaymentIntentAutomaticPaymentMethods, CreatePaymentIntentOffSession, RetrievePaymentIntent,
};
use stripe_core::refund::{CreateRefund, ListRefund, RetrieveRefund};
use stripe_core::setup_intent::{CreateSetupIntent, CreateSetupIntentUsage, RetrieveSetupIntent};
use stripe_core::{
    PaymentIntent, PaymentIntentAllowedPaymentMethodTypes, PaymentIntentSetupFutureUsage, PaymentIntentStatus, Refund,
    SetupIntentAllowedPaymentMethodTypes, SetupIntentStatus,
};
use stripe_payment::payment_method::{DetachPaymentMethod, RetrievePaymentMethod};
use stripe_payment::PaymentMethod;

pub struct StripeGateway {
    client: ::stripe::Client,
    publishable_key: String,
    webhook_secret: Vec<u8>,
    live: bool,
}

impl fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No secret key, no webhook secret.
        f.debug_struct("StripeGateway")
            .field("publishable_key", &self.publishable_key)
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}

impl StripeGateway {
    /// `api_base` replaces `https://api.stripe.com/` (tests point it at a
    /// local server).
    pub fn new(
        secret_key: &str,
        publishable_key: &str,
        webhook_secret: &str,
        api_base: Option<&str>,
    ) -> anyhow::Result<Self> {
        let secret_key = secret_key.trim();
        if secret_key.is_empty() {
            anyhow::bail!("the Stripe secret key is empty");
        }
        let mut builder = ::stripe::ClientBuilder::new(secret_key).app_info(
            "relance",
            Some(env!("CARGO_PKG_VERSION").to_string()),
            None,
        );
        if let Some(base) = api_base {
            // The client appends `v1/…` to the base as written.
            let base = if base.ends_with('/') { base.to_string() } else { format!("{base}/") };
            builder = builder.url(base);
        }
        // The error never contains the key itself.
        let client = builder.build().map_err(|e| anyhow::anyhow!("Stripe client: {e}"))?;
        Ok(Self {
            client,
            publishable_key: publishable_key.trim().to_string(),
            webhook_secret: webhook_secret.trim().as_bytes().to_vec(),
            live: secret_key.starts_with("sk_live_"),
        })
    }

    async fn fetch_method(&self, method_ref: &str) -> Result<MethodDetails, GatewayError> {
        let pm = RetrievePaymentMethod::new(method_ref).send(&self.client).await.map_err(map_error)?;
        method_details_of(&pm)
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, GatewayError> {
    let key = IdempotencyKey::new(key).map_err(|e| GatewayError::Other(anyhow::anyhow!("idempotency key: {e}")))?;
    Ok(RequestStrategy::Idempotent(key))
}

/// A fresh key for creates that have no natural one (SetupIntents: each
/// "add a method" starts a new one).
fn random_key(prefix: &str) -> String {
    let n: u128 = rand::thread_rng().gen();
    format!("{prefix}-{n:032x}")
}

/// `stripe_types::Currency` is not re-exported by the crates the server
/// depends on: it is named through the PaymentIntent field that holds one.
fn parse_currency<T: std::str::FromStr>(_field: fn(&PaymentIntent) -> &T, code: &str) -> Option<T> {
    code.parse().ok()
}

/// Stripe's code for a refused request: the issuer's decline code first,
/// then the error code.
fn error_code(err: &ApiErrors) -> Option<String> {
    err.decline_code.clone().filter(|c| !c.is_empty()).or_else(|| err.code.as_ref().map(|c| c.as_str().to_string()))
}

fn map_error(err: StripeError) -> GatewayError {
    match err {
        StripeError::Stripe(api, status) => {
            if status == 429 || status == 409 || status >= 500 || api.type_ == ApiErrorsType::ApiError {
                GatewayError::Unavailable(format!(
                    "Stripe answered {status}: {}",
                    api.message.as_deref().unwrap_or(api.type_.as_str())
                ))
            } else if status == 401 || status == 403 {
                GatewayError::Other(anyhow::anyhow!(
                    "Stripe refused the API key ({status}): {}",
                    api.message.as_deref().unwrap_or("")
                ))
            } else {
                GatewayError::Refused { code: error_code(&api).unwrap_or_else(|| api.type_.as_str().to_string()) }
            }
        }
        StripeError::ClientError(msg) => GatewayError::Unavailable(format!("Stripe unreachable: {msg}")),
        StripeError::Timeout => GatewayError::Unavailable("Stripe timed out".into()),
        // An error status whose body is not a Stripe error (a proxy's 502
        // page): the request did not reach Stripe's logic.
        StripeError::JSONDeserialize(msg) if msg.contains("Stripe error") => {
            GatewayError::Unavailable(format!("unreadable error answer from Stripe: {msg}"))
        }
        StripeError::JSONDeserialize(msg) => GatewayError::Other(anyhow::anyhow!("unreadable Stripe answer: {msg}")),
        StripeError::ConfigError(msg) => GatewayError::Other(anyhow::anyhow!("Stripe client configuration: {msg}")),
    }
}

fn method_details_of(pm: &PaymentMethod) -> Result<MethodDetails, GatewayError> {
    let gateway_ref = pm.id.as_str().to_string();
    match pm.type_.as_str() {
        "card" => {
            let card = pm.card.as_ref().ok_or_else(|| {
                GatewayError::Other(anyhow::anyhow!("card payment method {gateway_ref} without card"))
            })?;
            Ok(MethodDetails {
                gateway_ref,
                kind: MethodKind::Card,
                brand: card.brand.to_ascii_lowercase(),
                last4: card.last4.clone(),
                exp_month: i32::try_from(card.exp_month).ok(),
                exp_year: i32::try_from(card.exp_year).ok(),
            })
        }
        "sepa_debit" => {
            let sepa = pm.sepa_debit.as_ref();
            Ok(MethodDetails {
                gateway_ref,
                kind: MethodKind::SepaDebit,
                brand: sepa
                    .and_then(|s| s.bank_code.clone())
                    .filter(|b| !b.is_empty())
                    .unwrap_or_else(|| "sepa".to_string()),
                last4: sepa.and_then(|s| s.last4.clone()).unwrap_or_default(),
                exp_month: None,
                exp_year: None,
            })
        }
        _ => Err(GatewayError::Refused { code: "unsupported_payment_method".into() }),
    }
}

fn charge_status(pi: &PaymentIntent) -> ChargeStatus {
    match &pi.status {
        PaymentIntentStatus::Succeeded => ChargeStatus::Succeeded,
        PaymentIntentStatus::Processing => ChargeStatus::Processing,
        // Authorised, not captured: we never capture manually, so the
        // result comes later like a processing payment.
        PaymentIntentStatus::RequiresCapture => ChargeStatus::Processing,
        PaymentIntentStatus::RequiresAction => ChargeStatus::RequiresAction {
            url: pi.next_action.as_ref().and_then(|a| a.redirect_to_url.as_ref()).and_then(|r| r.url.clone()),
        },
        PaymentIntentStatus::RequiresPaymentMethod => match pi.last_payment_error.as_deref() {
            Some(err) => ChargeStatus::Failed { code: error_code(err).unwrap_or_else(|| "card_declined".into()) },
            // Not confirmed yet (Payment Element flow): the browser confirms.
            None => ChargeStatus::RequiresAction { url: None },
        },
        PaymentIntentStatus::RequiresConfirmation => ChargeStatus::RequiresAction { url: None },
        PaymentIntentStatus::Canceled => ChargeStatus::Failed { code: "canceled".into() },
        other => {
            tracing::warn!(payment_intent = %pi.id, status = other.as_str(), "unknown PaymentIntent status");
            ChargeStatus::Processing
        }
    }
}

fn charge_outcome(pi: &PaymentIntent) -> ChargeOutcome {
    ChargeOutcome {
        gateway_ref: pi.id.as_str().to_string(),
        status: charge_status(pi),
        client_secret: pi.client_secret.clone(),
        method_ref: pi.payment_method.as_ref().map(|m| m.id().as_str().to_string()),
    }
}

/// A 402 `card_error`: Stripe created the PaymentIntent and the confirm was
/// declined. The error carries the intent.
fn declined_outcome(err: &ApiErrors) -> ChargeOutcome {
    let pi = err.payment_intent.as_ref();
    ChargeOutcome {
        gateway_ref: pi.map(|p| p.id.as_str().to_string()).unwrap_or_default(),
        status: ChargeStatus::Failed { code: error_code(err).unwrap_or_else(|| "card_declined".into()) },
        client_secret: pi.and_then(|p| p.client_secret.clone()),
        method_ref: pi
            .and_then(|p| p.payment_method.as_ref().map(|m| m.id().as_str().to_string()))
            .or_else(|| err.payment_method.as_ref().map(|m| m.id.as_str().to_string())),
    }
}

fn refund_status(status: Option<&str>, failure_reason: Option<&str>) -> RefundStatus {
    RefundStatus::from_stripe(status, failure_reason)
}

fn refund_info(refund: &Refund) -> RefundInfo {
    RefundInfo {
        gateway_ref: refund.id.as_str().to_string(),
        amount_minor: refund.amount,
        status: refund_status(refund.status.as_deref(), refund.failure_reason.as_deref()),
        refund_id: refund.metadata.as_ref().and_then(|m| m.get("relance_refund_id")).and_then(|s| s.parse().ok()),
        payment_ref: refund.payment_intent.as_ref().map(|p| p.id().as_str().to_string()),
    }
}

impl Gateway for StripeGateway {
    fn mode(&self) -> GatewayMode {
        GatewayMode::Stripe { publishable_key: self.publishable_key.clone(), live: self.live }
    }

    fn name(&self) -> &'static str {
        "stripe"
    }

    fn webhook_secret(&self) -> &[u8] {
        &self.webhook_secret
    }

    fn create_customer<'a>(&'a self, req: &'a CustomerRequest) -> GatewayFuture<'a, String> {
        Box::pin(async move {
            let strategy = idempotent(&format!("relance-customer-{}", req.account_id))?;
            let metadata = HashMap::from([("relance_account_id".to_string(), req.account_id.to_string())]);
            let mut create = CreateCustomer::new().metadata(metadata);
            if !req.name.is_empty() {
                create = create.name(req.name.clone());
            }
            if !req.email.is_empty() {
                create = create.email(req.email.clone());
            }
            let customer = create.customize().request_strategy(strategy).send(&self.client).await.map_err(map_error)?;
            Ok(customer.id.as_str().to_string())
        })
    }

    fn start_setup<'a>(&'a self, customer_ref: &'a str, kind: MethodKind) -> GatewayFuture<'a, SetupStart> {
        let key = random_key("relance-setup");
        Box::pin(async move {
            let strategy = idempotent(&key)?;
            let method_type = match kind {
                MethodKind::Card => SetupIntentAllowedPaymentMethodTypes::Card,
                MethodKind::SepaDebit => SetupIntentAllowedPaymentMethodTypes::SepaDebit,
            };
            let seti = CreateSetupIntent::new()
                .customer(customer_ref)
                .usage(CreateSetupIntentUsage::OffSession)
                .allowed_payment_method_types(vec![method_type])
                .customize()
                .request_strategy(strategy)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            let client_secret = seti.client_secret.clone().ok_or_else(|| {
                GatewayError::Other(anyhow::anyhow!("SetupIntent {} came back without a client secret", seti.id))
            })?;
            Ok(SetupStart { setup_ref: seti.id.as_str().to_string(), client_secret })
        })
    }

    fn setup_status<'a>(&'a self, setup_ref: &'a str, customer_ref: &'a str) -> GatewayFuture<'a, SetupStatus> {
        Box::pin(async move {
            let seti = RetrieveSetupIntent::new(setup_ref)
                .expand(vec!["payment_method".to_string()])
                .send(&self.client)
                .await
                .map_err(map_error)?;
            // The id comes from the browser: another customer's SetupIntent
            // is answered as missing, never saved on this account.
            if seti.customer.as_ref().map(|c| c.id().as_str()) != Some(customer_ref) {
                return Err(GatewayError::Refused { code: "resource_missing".into() });
            }
            match &seti.status {
                SetupIntentStatus::Succeeded => {
                    let Some(method) = seti.payment_method.as_ref() else {
                        return Err(GatewayError::Other(anyhow::anyhow!(
                            "SetupIntent {} succeeded without a payment method",
                            seti.id
                        )));
                    };
                    let details = match method.as_object() {
                        Some(pm) => method_details_of(pm)?,
                        None => self.fetch_method(method.id().as_str()).await?,
                    };
                    Ok(SetupStatus::Succeeded(details))
                }
                SetupIntentStatus::RequiresPaymentMethod => match seti.last_setup_error.as_deref() {
                    Some(err) => Ok(SetupStatus::Failed {
                        code: error_code(err).unwrap_or_else(|| err.type_.as_str().to_string()),
                    }),
                    None => Ok(SetupStatus::Pending),
                },
                SetupIntentStatus::Canceled => Ok(SetupStatus::Failed { code: "canceled".into() }),
                _ => Ok(SetupStatus::Pending),
            }
        })
    }

    fn method_details<'a>(&'a self, method_ref: &'a str) -> GatewayFuture<'a, MethodDetails> {
        Box::pin(async move { self.fetch_method(method_ref).await })
    }

    fn detach_method<'a>(&'a self, method_ref: &'a str) -> GatewayFuture<'a, ()> {
        Box::pin(async move {
            DetachPaymentMethod::new(method_ref).send(&self.client).await.map_err(map_error)?;
            Ok(())
        })
    }

    fn charge<'a>(&'a self, req: &'a ChargeRequest) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            let strategy = idempotent(&req.idempotency_key)?;
            let code = req.currency.trim().to_ascii_lowercase();
            let currency = parse_currency(|pi| &pi.currency, &code)
                .ok_or_else(|| GatewayError::Refused { code: "invalid_currency".into() })?;
            let metadata = HashMap::from([("relance_payment_id".to_string(), req.payment_id.to_string())]);
            let mut create = CreatePaymentIntent::new(req.amount_minor, currency)
                .customer(req.customer_ref.clone())
                .metadata(metadata);
            if !req.description.is_empty() {
                create = create.description(req.description.clone());
            }
            match &req.method_ref {
                Some(method) => {
                    create = create.payment_method(method.clone()).confirm(true).allowed_payment_method_types(vec![
                        PaymentIntentAllowedPaymentMethodTypes::Card,
                        PaymentIntentAllowedPaymentMethodTypes::SepaDebit,
                    ]);
                    if req.off_session {
                        create = create.off_session(CreatePaymentIntentOffSession::Bool(true));
                    } else if !req.return_url.is_empty() {
                        create = create.return_url(req.return_url.clone());
                    }
                }
                None => {
                    create = create.automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true));
                    if req.save_method {
                        create = create.setup_future_usage(PaymentIntentSetupFutureUsage::OffSession);
                    }
                }
            }
            match create.customize().request_strategy(strategy).send(&self.client).await {
                Ok(pi) => Ok(charge_outcome(&pi)),
                Err(StripeError::Stripe(err, _)) if err.type_ == ApiErrorsType::CardError => Ok(declined_outcome(&err)),
                Err(e) => Err(map_error(e)),
            }
        })
    }

    fn retrieve_charge<'a>(&'a self, gateway_ref: &'a str) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            let pi = RetrievePaymentIntent::new(gateway_ref).send(&self.client).await.map_err(map_error)?;
            Ok(charge_outcome(&pi))
        })
    }

    fn cancel_charge<'a>(&'a self, gateway_ref: &'a str) -> GatewayFuture<'a, ChargeOutcome> {
        Box::pin(async move {
            let pi = CancelPaymentIntent::new(gateway_ref)
                .cancellation_reason(CancelPaymentIntentCancellationReason::RequestedByCustomer)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            Ok(charge_outcome(&pi))
        })
    }

    fn refund<'a>(&'a self, req: &'a RefundRequest) -> GatewayFuture<'a, RefundOutcome> {
        Box::pin(async move {
            let strategy = idempotent(&req.idempotency_key)?;
            let metadata = HashMap::from([("relance_refund_id".to_string(), req.refund_id.to_string())]);
            let refund = CreateRefund::new()
                .payment_intent(req.payment_ref.clone())
                .amount(req.amount_minor)
                .metadata(metadata)
                .customize()
                .request_strategy(strategy)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            Ok(RefundOutcome {
                gateway_ref: refund.id.as_str().to_string(),
                status: refund_status(refund.status.as_deref(), refund.failure_reason.as_deref()),
            })
        })
    }

    fn retrieve_refund<'a>(&'a self, refund_ref: &'a str) -> GatewayFuture<'a, RefundInfo> {
        Box::pin(async move {
            let refund = RetrieveRefund::new(refund_ref).send(&self.client).await.map_err(map_error)?;
            Ok(refund_info(&refund))
        })
    }

    fn list_refunds<'a>(&'a self, payment_ref: &'a str) -> GatewayFuture<'a, Vec<RefundInfo>> {
        Box::pin(async move {
            // A payment refunded more than a hundred times is not a real case.
            let list = ListRefund::new()
                .payment_intent(payment_ref)
                .limit(100i64)
                .send(&self.client)
                .await
                .map_err(map_error)?;
            if list.has_more {
                tracing::warn!(payment_intent = %payment_ref, "more than 100 refunds: only the latest 100 are read");
            }
            Ok(list.data.iter().map(refund_info).collect())
        })
    }
}
