//! The payment-gateway seam. Two implementations: the offline sandbox
//! (`payments::sandbox`, the default) and Stripe (`server::stripe`, through
//! async-stripe). Everything above this trait (ledger, idempotency, events)
//! is the same for both.

use std::future::Future;
use std::pin::Pin;

pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, GatewayError>> + Send + 'a>>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodKind {
    Card,
    SepaDebit,
}

impl MethodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MethodKind::Card => "card",
            MethodKind::SepaDebit => "sepa_debit",
        }
    }
    pub fn parse(s: &str) -> Option<MethodKind> {
        match s {
            "card" => Some(MethodKind::Card),
            "sepa_debit" => Some(MethodKind::SepaDebit),
            _ => None,
        }
    }
}

/// What we keep of a saved method: never the number, only what identifies
/// it to its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodDetails {
    /// Gateway id (`pm_…`, or the sandbox's opaque token).
    pub gateway_ref: String,
    pub kind: MethodKind,
    /// `visa`, `mastercard`, `amex`, … for cards; the bank code for SEPA.
    pub brand: String,
    pub last4: String,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
}

#[derive(Clone, Debug)]
pub struct CustomerRequest {
    pub account_id: i64,
    pub name: String,
    pub email: String,
}

/// A SetupIntent: the browser confirms it (Stripe.js) with `client_secret`.
#[derive(Clone, Debug)]
pub struct SetupStart {
    pub setup_ref: String,
    pub client_secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupStatus {
    Succeeded(MethodDetails),
    /// Still waiting for the customer (3-D Secure, or not confirmed yet).
    Pending,
    Failed {
        code: String,
    },
}

#[derive(Clone, Debug)]
pub struct ChargeRequest {
    /// Our `payments.id`; sent as metadata `relance_payment_id` so events can
    /// find the payment even if the gateway's id was never stored.
    pub payment_id: i64,
    pub customer_ref: String,
    /// A saved method to confirm with. `None`: the browser confirms with the
    /// returned `client_secret` (Stripe's Payment Element).
    pub method_ref: Option<String>,
    pub amount_minor: i64,
    /// ISO-4217, upper case.
    pub currency: String,
    /// Charged without the customer present (autopay): 3-D Secure cannot be
    /// completed and fails the charge.
    pub off_session: bool,
    /// Keep the method for later (Payment Element flow only).
    pub save_method: bool,
    /// Sent as the gateway's idempotency key: a retry returns the same charge.
    pub idempotency_key: String,
    pub description: String,
    /// Where the customer returns after 3-D Secure.
    pub return_url: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeStatus {
    Succeeded,
    /// Accepted, result later (SEPA Direct Debit).
    Processing,
    /// The customer must authenticate (3-D Secure) at `url`, or the browser
    /// must confirm with the client secret.
    RequiresAction {
        url: Option<String>,
    },
    /// Declined; `code` is the gateway's decline code (`card_declined`,
    /// `insufficient_funds`, `authentication_required`, …).
    Failed {
        code: String,
    },
}

#[derive(Clone, Debug)]
pub struct ChargeOutcome {
    /// `pi_…` (Stripe) or the sandbox's id.
    pub gateway_ref: String,
    pub status: ChargeStatus,
    pub client_secret: Option<String>,
    /// The method the charge used, when the gateway reports it.
    pub method_ref: Option<String>,
}

#[derive(Clone, Debug)]
pub struct RefundRequest {
    pub payment_ref: String,
    pub amount_minor: i64,
    pub idempotency_key: String,
    pub refund_id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundStatus {
    Succeeded,
    Pending,
    Failed { code: String },
}

#[derive(Clone, Debug)]
pub struct RefundOutcome {
    pub gateway_ref: String,
    pub status: RefundStatus,
}

/// A refund as the gateway holds it: ours (metadata `relance_refund_id`),
/// or one made at the gateway directly (its dashboard).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundInfo {
    pub gateway_ref: String,
    pub amount_minor: i64,
    pub status: RefundStatus,
    /// Our `refunds.id`, when we made it.
    pub refund_id: Option<i64>,
    /// The payment (`pi_…`) it gives money back from.
    pub payment_ref: Option<String>,
}

impl RefundInfo {
    /// Reads a Refund object as Stripe (and the sandbox) send it in events
    /// and API answers.
    pub fn from_json(object: &serde_json::Value) -> Option<RefundInfo> {
        if object["object"].as_str() != Some("refund") {
            return None;
        }
        Some(RefundInfo {
            gateway_ref: object["id"].as_str().filter(|s| !s.is_empty())?.to_string(),
            amount_minor: object["amount"].as_i64()?,
            status: RefundStatus::from_stripe(object["status"].as_str(), object["failure_reason"].as_str()),
            refund_id: object["metadata"]["relance_refund_id"].as_str().and_then(|s| s.parse().ok()),
            payment_ref: object["payment_intent"].as_str().map(str::to_string),
        })
    }
}

impl RefundStatus {
    /// Stripe's refund statuses: `pending` and `requires_action` wait;
    /// `failed` and `canceled` end it (even after `succeeded`).
    pub fn from_stripe(status: Option<&str>, failure_reason: Option<&str>) -> RefundStatus {
        match status {
            Some("succeeded") => RefundStatus::Succeeded,
            Some("failed") => RefundStatus::Failed { code: failure_reason.unwrap_or("failed").to_string() },
            Some("canceled") => RefundStatus::Failed { code: "canceled".into() },
            _ => RefundStatus::Pending,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The gateway refused the request itself (bad card number, invalid
    /// parameters): a code for the user, no retry.
    #[error("refused by the gateway: {code}")]
    Refused { code: String },
    /// Network trouble, 5xx, rate limiting: safe to retry with the same
    /// idempotency key.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GatewayMode {
    /// Offline test mode: no money moves.
    Sandbox,
    /// Stripe; `live` when the secret key is a live key.
    Stripe { publishable_key: String, live: bool },
}

pub trait Gateway: Send + Sync + 'static {
    fn mode(&self) -> GatewayMode;
    /// `"sandbox"` or `"stripe"`: stored with every gateway id.
    fn name(&self) -> &'static str;
    /// The secret that signs this gateway's webhook events.
    fn webhook_secret(&self) -> &[u8];

    /// The gateway's customer for an account, created once (idempotency key
    /// `relance-customer-{account_id}`).
    fn create_customer<'a>(&'a self, req: &'a CustomerRequest) -> GatewayFuture<'a, String>;
    /// Starts saving a method (card or SEPA mandate) for later, off-session use.
    fn start_setup<'a>(&'a self, customer_ref: &'a str, kind: MethodKind) -> GatewayFuture<'a, SetupStart>;
    /// Where a setup of `customer_ref` stands (after the browser confirmed
    /// it). A setup of another customer is `Refused { "resource_missing" }`,
    /// as if it did not exist: the id comes from the browser.
    fn setup_status<'a>(&'a self, setup_ref: &'a str, customer_ref: &'a str) -> GatewayFuture<'a, SetupStatus>;
    fn method_details<'a>(&'a self, method_ref: &'a str) -> GatewayFuture<'a, MethodDetails>;
    fn detach_method<'a>(&'a self, method_ref: &'a str) -> GatewayFuture<'a, ()>;
    /// Creates (and with a method, confirms) a payment. Idempotent on
    /// `req.idempotency_key`.
    fn charge<'a>(&'a self, req: &'a ChargeRequest) -> GatewayFuture<'a, ChargeOutcome>;
    /// Where a payment stands at the gateway (reconciliation).
    fn retrieve_charge<'a>(&'a self, gateway_ref: &'a str) -> GatewayFuture<'a, ChargeOutcome>;
    /// Cancels a payment still waiting for the payer (authentication, or
    /// the browser's confirmation), so that it can no longer succeed. One
    /// that has moved on is `Refused { "payment_intent_unexpected_state" }`.
    fn cancel_charge<'a>(&'a self, gateway_ref: &'a str) -> GatewayFuture<'a, ChargeOutcome>;
    fn refund<'a>(&'a self, req: &'a RefundRequest) -> GatewayFuture<'a, RefundOutcome>;
    /// Where one refund stands (reconciliation of pending ones).
    fn retrieve_refund<'a>(&'a self, refund_ref: &'a str) -> GatewayFuture<'a, RefundInfo>;
    /// Every refund of a payment: `charge.refunded` events no longer list
    /// them, so the handler asks.
    fn list_refunds<'a>(&'a self, payment_ref: &'a str) -> GatewayFuture<'a, Vec<RefundInfo>>;

    /// The sandbox, for its test-mode-only entry points (typed card numbers,
    /// the simulated 3-D Secure page).
    fn as_sandbox(&self) -> Option<&super::sandbox::Sandbox> {
        None
    }
}
