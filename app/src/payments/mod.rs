//! Online payments: saved methods, paying one or several invoices or a
//! chosen amount, receipts and history, pay-by-link, autopay, refunds.
//! Amounts are always computed by the server from balances; the browser
//! only says *what* to pay.

// Form posts carry one argument per field (the pay form has nine); the
// `#[server]` macro copies them into the browser-side stub.
#![allow(clippy::too_many_arguments)]

use crate::answer::{Created, Done};
use crate::domain::Money;
use crate::error::AppError;
use crate::i18n::Msg;
use chrono::{DateTime, NaiveDate, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub mod back;
pub mod pages;
pub mod received;

pub use received::Channel;

#[cfg(feature = "ssr")]
pub mod events;
#[cfg(feature = "ssr")]
pub mod gateway;
#[cfg(feature = "ssr")]
pub mod jobs;
#[cfg(feature = "ssr")]
pub mod paylink;
#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod ssr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Pending,
    RequiresAction,
    Processing,
    Succeeded,
    Failed,
    /// Received outside the portal, then taken back (a bounced cheque).
    Reversed,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 6] = [
        PaymentStatus::Succeeded,
        PaymentStatus::Processing,
        PaymentStatus::RequiresAction,
        PaymentStatus::Pending,
        PaymentStatus::Failed,
        PaymentStatus::Reversed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Processing => "processing",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Reversed => "reversed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
    pub fn msg(self) -> Msg {
        match self {
            PaymentStatus::Pending => Msg::PayStatusPending,
            PaymentStatus::RequiresAction => Msg::PayStatusAction,
            PaymentStatus::Processing => Msg::PayStatusProcessing,
            PaymentStatus::Succeeded => Msg::PayStatusSucceeded,
            PaymentStatus::Failed => Msg::PayStatusFailed,
            PaymentStatus::Reversed => Msg::PayStatusReversed,
        }
    }
}

/// Upper bound of a chosen or recorded amount (in minor units): a typo guard.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;

/// `P-000042`: how people refer to a payment.
pub fn payment_reference(id: i64) -> String {
    format!("P-{id:06}")
}

pub fn method_label(kind: &str, brand: &str, last4: &str) -> String {
    match kind {
        "sepa_debit" => format!("SEPA •••• {last4}"),
        _ => {
            let brand = match brand {
                "visa" => "Visa",
                "mastercard" => "Mastercard",
                "amex" => "American Express",
                other => other,
            };
            format!("{brand} •••• {last4}")
        }
    }
}

/// A decline or error code from the gateway, as a message in the user's language.
pub fn decline_msg(code: &str) -> Msg {
    match code {
        "canceled" => Msg::PaymentCanceled,
        "action_expired" => Msg::PaymentExpired,
        "insufficient_funds" => Msg::DeclineInsufficientFunds,
        "expired_card" => Msg::DeclineExpiredCard,
        "incorrect_cvc" | "invalid_cvc" => Msg::DeclineIncorrectCvc,
        "authentication_required" | "payment_intent_authentication_failure" | "authentication_failure" => {
            Msg::DeclineAuthentication
        }
        "processing_error" => Msg::DeclineProcessingError,
        "test_mode_live_card" => Msg::DeclineLiveCard,
        _ => Msg::DeclineGeneric,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodView {
    pub id: i64,
    pub kind: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    pub is_default: bool,
    pub autopay: bool,
    pub expired: bool,
}

impl MethodView {
    pub fn label(&self) -> String {
        method_label(&self.kind, &self.brand, &self.last4)
    }
    pub fn expiry(&self) -> Option<String> {
        Some(format!("{:02}/{}", self.exp_month?, self.exp_year? % 100))
    }
}

/// What the payer asked to pay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Selection {
    Invoices(Vec<i64>),
    /// Minor units, allocated to the oldest due first.
    Amount(i64),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanLine {
    pub invoice_id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    /// What this payment charges for the invoice (its discount taken off).
    pub amount: Money,
    /// The invoice's early-payment discount, earned by settling it in full
    /// by its deadline: a credit note for it follows the payment's success.
    #[serde(default)]
    pub discount: Option<LineDiscount>,
}

/// An early-payment discount taken on a line of a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineDiscount {
    pub amount: Money,
    pub percent_bp: i32,
    /// The last day that earns it.
    pub until: NaiveDate,
}

impl LineDiscount {
    /// "Escompte de 2 % pour paiement au plus tard le 30/11/2026".
    pub fn text(&self, locale: crate::domain::Locale) -> String {
        Msg::EarlyDiscountLine
            .text(locale)
            .replace("{percent}", &crate::domain::document::format_percent(self.percent_bp, locale))
            .replace("{date}", &locale.format_date(self.until))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub lines: Vec<PlanLine>,
    /// Paid beyond what is owed: kept as account credit.
    pub credit: Money,
    pub total: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GatewayInfo {
    pub sandbox: bool,
    pub publishable_key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub plan: Plan,
    pub methods: Vec<MethodView>,
    /// A fresh key: a double click or a retried post makes one payment.
    pub idempotency_key: String,
    pub gateway: GatewayInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentSummary {
    pub id: i64,
    pub reference: String,
    pub account_id: i64,
    pub account_name: String,
    pub status: PaymentStatus,
    pub amount: Money,
    pub refunded: Money,
    pub method_label: String,
    pub failure: Option<Msg>,
    pub action_url: Option<String>,
    pub source: String,
    pub gateway: String,
    /// Staff only.
    pub gateway_ref: Option<String>,
    pub disputed: bool,
    pub created_at: DateTime<Utc>,
    pub succeeded_at: Option<DateTime<Utc>>,
    /// Received outside the portal: how, on which day, with which bank or
    /// cheque reference; and why it was taken back, if it was.
    pub channel: Option<Channel>,
    pub received_on: Option<NaiveDate>,
    pub payer_reference: String,
    pub reversal_reason: Option<String>,
}

impl PaymentSummary {
    /// How it was paid, in `locale`: the card or account on file, or the
    /// channel of money received outside the portal.
    pub fn method(&self, locale: crate::domain::Locale) -> String {
        match self.channel {
            Some(c) => c.msg().text(locale).to_string(),
            None => self.method_label.clone(),
        }
    }

    /// The day the money arrived.
    pub fn paid_on(&self) -> NaiveDate {
        self.received_on.unwrap_or_else(|| self.succeeded_at.unwrap_or(self.created_at).date_naive())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AllocationView {
    pub invoice_id: i64,
    pub number: String,
    pub amount: Money,
    /// The early-payment discount taken with it (zero: none).
    #[serde(default)]
    pub discount: Option<Money>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub event_id: String,
    pub event_type: String,
    pub outcome: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefundView {
    pub id: i64,
    pub amount: Money,
    pub status: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentDetail {
    pub summary: PaymentSummary,
    pub allocations: Vec<AllocationView>,
    pub credit: Money,
    pub events: Vec<EventView>,
    pub refunds: Vec<RefundView>,
    /// Stripe mode, the payer only: the payment waits for the browser to
    /// confirm it with Stripe's Payment Element.
    pub confirm: Option<BrowserConfirm>,
}

/// What Stripe.js needs to confirm a PaymentIntent in the payer's browser.
/// The client secret is meant for that browser (Stripe's design); it is
/// never stored, logged, nor shown to staff.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrowserConfirm {
    pub publishable_key: String,
    pub client_secret: String,
}

pub const PAYMENTS_PAGE_SIZE: i64 = 25;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PaymentQuery {
    pub status: Option<PaymentStatus>,
    pub account_id: Option<i64>,
    pub search: Option<String>,
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentPage {
    pub items: Vec<PaymentSummary>,
    pub page: i64,
    /// Pages counted so far (a few ahead of this one), and whether there are more.
    pub page_count: i64,
    pub more: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MethodsPage {
    pub methods: Vec<MethodView>,
    pub gateway: GatewayInfo,
}

/// Parses the selection a pay form or link carries: `invoices` as
/// comma-separated ids, or `amount` in major units.
pub fn parse_selection(invoices: &str, amount: &str, currency: crate::domain::Currency) -> Result<Selection, AppError> {
    if !amount.trim().is_empty() {
        let m = Money::parse_major(amount, currency).map_err(|_| AppError::field("amount", Msg::InvalidAmount))?;
        return Ok(Selection::Amount(m.minor));
    }
    let ids = crate::invoices::parse_invoice_ids(invoices)?;
    Ok(Selection::Invoices(ids))
}

#[cfg(feature = "ssr")]
fn gateway_info(state: &crate::state::AppState) -> GatewayInfo {
    match state.gateway.mode() {
        gateway::GatewayMode::Sandbox => GatewayInfo { sandbox: true, publishable_key: None },
        gateway::GatewayMode::Stripe { publishable_key, .. } => {
            GatewayInfo { sandbox: false, publishable_key: Some(publishable_key) }
        }
    }
}

#[cfg(feature = "ssr")]
async fn client_account(
    state: &crate::state::AppState,
    principal: &crate::auth::ssr::Principal,
) -> Result<(i64, crate::domain::Currency), AppError> {
    let account_id = principal.require_client()?;
    let acc = ssr::account((&state.db).into(), account_id).await?;
    Ok((account_id, crate::invoices::ssr::parse_currency(&acc.currency)?))
}

/// What paying `invoices` (ids) or `amount` would charge, and with what.
#[server(endpoint = "payments/quote")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_quote(invoices: String, amount: String) -> Result<Quote, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let (account_id, currency) = client_account(&state, &principal).await?;
        let selection = parse_selection(&invoices, &amount, currency)?;
        let plan = ssr::plan(&state, account_id, &selection).await?;
        let methods = ssr::methods(&state, account_id).await?;
        Ok(Quote { plan, methods, idempotency_key: crate::auth::ssr::random_token(), gateway: gateway_info(&state) })
    })
    .await
}

crate::reads!(Quote, PaymentPage, PaymentDetail, MethodsPage, PayLinkPage, AuthView);

/// Pays: recomputes the plan from balances, refuses a total other than the
/// one confirmed, creates one payment per idempotency key, charges it.
/// Returns where to go next (the receipt, or 3-D Secure).
#[server(endpoint = "payments/pay")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn pay(
    invoices: String,
    amount: String,
    expected_total: i64,
    idempotency_key: String,
    method: String,
    #[server(default)] card_number: String,
    #[server(default)] card_expiry: String,
    #[server(default)] card_cvc: String,
    #[server(default)] save_card: Option<String>,
) -> Result<Done<Created<PaymentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let (account_id, currency) = client_account(&state, &principal).await?;
        let selection = parse_selection(&invoices, &amount, currency)?;
        let (method_id, one_off) = if method == "new" && state.gateway.as_sandbox().is_none() {
            // Stripe mode: the card or IBAN goes into Stripe's Payment Element on
            // the next page, never through us.
            (None, None)
        } else if method == "new" {
            let details = pages::ssr_new_card(&state, &card_number, &card_expiry, &card_cvc).await?;
            if save_card.is_some() {
                let (status, method_id) =
                    pages::ssr_save_tokenized(&state, account_id, &details, principal.user_id).await?;
                match status {
                    Some(err) => return Err(err),
                    None => (Some(method_id), None),
                }
            } else {
                (None, Some(details))
            }
        } else {
            let id: i64 = method.parse().map_err(|_| AppError::field("method", Msg::ChooseMethod))?;
            (Some(id), None)
        };
        let one_off_ref = one_off.as_ref().map(|d| d.gateway_ref.clone());
        let new = ssr::NewPayment {
            account_id,
            selection,
            expected_total: Some(expected_total),
            idempotency_key: &idempotency_key,
            method_id,
            one_off,
            source: "portal",
            actor: Some(principal.user_id),
        };
        let (payment_id, _) = ssr::create_payment(&state, &new).await?;
        let return_url = format!("{}/portal/payments/{payment_id}", state.auth.public_url);
        ssr::charge(&state, payment_id, one_off_ref.as_deref(), &return_url).await?;
        let (status, next) = next_step(&state, payment_id, &format!("/portal/payments/{payment_id}")).await?;
        Ok(Done::new(Created { id: payment_id, status }, next))
    })
    .await
}

/// The payment's status, and the 3-D Secure page if it waits for it, else
/// `receipt`.
#[cfg(feature = "ssr")]
async fn next_step(
    state: &crate::state::AppState,
    payment_id: i64,
    receipt: &str,
) -> Result<(PaymentStatus, String), AppError> {
    let url: Option<(String, String)> = crate::with_db!(&state.db, |pool| {
        sqlx::query_as("SELECT status, action_url FROM payments WHERE id = $1")
            .bind(payment_id)
            .fetch_optional(pool)
            .await
    })?;
    let (status, url) = url.ok_or(AppError::NotFound)?;
    let status = PaymentStatus::parse(&status)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("payment {payment_id}: unknown status {status:?}")))?;
    let next = if status == PaymentStatus::RequiresAction && !url.is_empty() {
        // Only ever our own sandbox page or the gateway's; never an open redirect.
        url.strip_prefix(&state.auth.public_url).map(str::to_string).unwrap_or(url)
    } else {
        receipt.to_string()
    };
    Ok((status, next))
}

/// The caller's payments (client: own account; staff: accounts in scope).
#[server(endpoint = "payments/list", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_payments(query: PaymentQuery) -> Result<PaymentPage, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let staff = principal.role.is_staff();
        ssr::list(&state, principal.scope(), &query, staff).await
    })
    .await
}

#[server(endpoint = "payments/detail")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_payment(id: i64) -> Result<PaymentDetail, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let staff = principal.role.is_staff();
        // Scope first: a payment outside it is a 404 before any gateway call.
        let detail = ssr::detail(&state, principal.scope(), id, staff).await?;
        let (changed, secret) = ssr::refresh_in_flight(&state, &detail.summary).await;
        let mut detail = if changed { ssr::detail(&state, principal.scope(), id, staff).await? } else { detail };
        if !staff {
            detail.confirm = browser_confirm(&state, secret);
        }
        Ok(detail)
    })
    .await
}

/// The Payment Element's inputs, in Stripe mode only.
#[cfg(feature = "ssr")]
fn browser_confirm(state: &crate::state::AppState, client_secret: Option<String>) -> Option<BrowserConfirm> {
    match (state.gateway.mode(), client_secret) {
        (gateway::GatewayMode::Stripe { publishable_key, .. }, Some(client_secret)) => {
            Some(BrowserConfirm { publishable_key, client_secret })
        }
        _ => None,
    }
}

#[server(endpoint = "payments/methods")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_methods() -> Result<MethodsPage, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let methods = ssr::methods(&state, account_id).await?;
        Ok(MethodsPage { methods, gateway: gateway_info(&state) })
    })
    .await
}

/// Saves a card (sandbox form) or a SEPA mandate (IBAN). Stripe mode saves
/// through Stripe.js and `finish_setup`.
#[server(endpoint = "payments/add_method")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn add_method(
    kind: String,
    #[server(default)] card_number: String,
    #[server(default)] card_expiry: String,
    #[server(default)] card_cvc: String,
    #[server(default)] iban: String,
    #[server(default)] holder: String,
) -> Result<Done, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let target = pages::ssr_add_method(
            &state,
            account_id,
            principal.user_id,
            &kind,
            &card_number,
            &card_expiry,
            &card_cvc,
            &iban,
            &holder,
        )
        .await?;
        Ok(Done::new((), target))
    })
    .await
}

/// Stripe mode: starts a SetupIntent for Stripe.js to confirm.
#[server(endpoint = "payments/start_setup")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn start_setup(kind: String) -> Result<String, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let kind = gateway::MethodKind::parse(&kind).ok_or_else(|| AppError::field("kind", Msg::ChooseMethod))?;
        let customer = ssr::customer_ref(&state, account_id).await?;
        let start = state.gateway.start_setup(&customer, kind).await.map_err(ssr::gateway_error)?;
        Ok(start.client_secret)
    })
    .await
}

/// Stripe mode: after Stripe.js confirmed a SetupIntent, record the method.
#[server(endpoint = "payments/finish_setup")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn finish_setup(setup_intent: String) -> Result<(), AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let customer = ssr::customer_ref(&state, account_id).await?;
        let status = state.gateway.setup_status(setup_intent.trim(), &customer).await.map_err(|e| {
            // Another account's SetupIntent (or a made-up id) is a 404.
            match e {
                gateway::GatewayError::Refused { code } if code == "resource_missing" => AppError::NotFound,
                e => ssr::gateway_error(e),
            }
        })?;
        match status {
            gateway::SetupStatus::Succeeded(details) => {
                ssr::save_method(&state, account_id, &details, Some(principal.user_id)).await?;
                Ok(())
            }
            gateway::SetupStatus::Pending => Err(AppError::Conflict(Msg::SetupPending)),
            gateway::SetupStatus::Failed { code } => Err(AppError::Refused(decline_msg(&code))),
        }
    })
    .await
}

/// The client gives up a payment waiting for authentication or for the
/// secure form; its invoices can be paid again at once.
#[server(endpoint = "payments/cancel")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn cancel_payment(id: i64) -> Result<Done<Created<PaymentStatus>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        ssr::cancel(&state, account_id, id, principal.user_id).await?;
        Ok(Done::new(Created { id, status: PaymentStatus::Failed }, format!("/portal/payments/{id}")))
    })
    .await
}

/// Remove, make default, enrol in autopay or stop autopay.
#[server(endpoint = "payments/method_action")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn method_action(method_id: i64, action: String) -> Result<Done<Msg>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let account_id = principal.require_client()?;
        let uid = principal.user_id;
        let msg = match action.as_str() {
            "remove" => ssr::remove_method(&state, account_id, method_id, uid).await.map(|_| Msg::MethodRemoved),
            "default" => ssr::set_default(&state, account_id, method_id, uid).await.map(|_| Msg::MethodDefaultSet),
            "autopay_on" => ssr::set_autopay(&state, account_id, Some(method_id), uid).await.map(|_| Msg::AutopayOn),
            "autopay_off" => ssr::set_autopay(&state, account_id, None, uid).await.map(|_| Msg::AutopayOff),
            _ => Err(AppError::Request("unknown action".into())),
        }?;
        Ok(Done::new(msg, "/portal/methods"))
    })
    .await
}

/// Owner: refunds part or all of a payment.
#[server(endpoint = "payments/refund")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn refund_payment(
    payment_id: i64,
    amount: String,
    #[server(default)] reason: String,
) -> Result<Done<Msg>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let detail = ssr::detail(&state, principal.scope(), payment_id, true).await?;
        let money = Money::parse_major(&amount, detail.summary.amount.currency)
            .map_err(|_| AppError::field("amount", Msg::InvalidAmount))?;
        let reason = crate::domain::Note::parse_max("reason", &reason, 500)?.into_string();
        ssr::refund(&state, principal.user_id, payment_id, money.minor, &reason).await?;
        Ok(Done::new(Msg::RefundDone, format!("/back/payments/{payment_id}")))
    })
    .await
}

/// Staff: methods on file for an account in scope (brand and last four).
#[server(endpoint = "payments/account_methods")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn account_methods(account_id: i64) -> Result<Vec<MethodView>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::methods_on_file(&state, principal.scope(), account_id).await
    })
    .await
}

/// Owner or the account's collector: a pay-by-link URL for one invoice.
#[server(endpoint = "payments/pay_link")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn create_pay_link(invoice_id: i64) -> Result<String, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        if principal.role == crate::domain::Role::Accountant {
            return Err(AppError::Forbidden);
        }
        let (_, url) = paylink::create(&state, principal.scope(), principal.user_id, invoice_id).await?;
        Ok(url)
    })
    .await
}

/// A pay link as staff see it: never its token.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayLinkView {
    pub id: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Neither revoked nor expired.
    pub live: bool,
    pub revoked: bool,
}

/// Staff in scope: the pay links of an invoice.
#[server(endpoint = "payments/pay_links")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn pay_links(invoice_id: i64) -> Result<Vec<PayLinkView>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        paylink::links(&state, principal.scope(), invoice_id).await
    })
    .await
}

/// Owner or the account's collector: turns a pay link off.
#[server(endpoint = "payments/revoke_pay_link")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn revoke_pay_link(link_id: i64) -> Result<(), AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        if principal.role == crate::domain::Role::Accountant {
            return Err(AppError::Forbidden);
        }
        paylink::revoke(&state, principal.scope(), principal.user_id, link_id).await
    })
    .await
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayLinkPage {
    pub company: String,
    pub invoice_number: String,
    pub account_name: String,
    pub due_date: NaiveDate,
    pub total: Money,
    pub amount_due: Money,
    /// What paying it now charges: the amount due, less its early-payment
    /// discount while that is earned.
    #[serde(default)]
    pub pay_now: Option<Money>,
    #[serde(default)]
    pub discount: Option<LineDiscount>,
    pub sandbox: bool,
    pub idempotency_key: String,
    /// The payment made from this page, when `payment` is in the URL.
    pub payment: Option<PaymentSummary>,
    /// Stripe mode: that payment waits for the Payment Element.
    pub confirm: Option<BrowserConfirm>,
}

/// Pay-by-link: what the link's recipient may see (that invoice only).
#[server(endpoint = "paylink/view")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn link_view(token: String, payment: Option<i64>) -> Result<PayLinkPage, AppError> {
    crate::answer::serve(async move {
        let state = crate::state::app_state()?;
        let (mut page, secret) = paylink::view(&state, &token, payment).await?;
        page.confirm = browser_confirm(&state, secret);
        Ok(page)
    })
    .await
}

/// Pay-by-link: pays that invoice with a card, no password.
#[server(endpoint = "paylink/pay")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn link_pay(
    token: String,
    idempotency_key: String,
    expected_total: i64,
    #[server(default)] card_number: String,
    #[server(default)] card_expiry: String,
    #[server(default)] card_cvc: String,
) -> Result<Done, AppError> {
    crate::answer::serve(async move {
        let state = crate::state::app_state()?;
        let target =
            paylink::pay(&state, &token, &idempotency_key, expected_total, &card_number, &card_expiry, &card_cvc)
                .await?;
        Ok(Done::new((), target))
    })
    .await
}

/// The sandbox's simulated 3-D Secure page: complete or fail.
#[server(endpoint = "sandbox/authenticate")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn sandbox_authenticate(id: String, approve: bool) -> Result<Done, AppError> {
    crate::answer::serve(async move {
        let state = crate::state::app_state()?;
        let sandbox = state.gateway.as_sandbox().ok_or(AppError::NotFound)?;
        let back = sandbox.authenticate(&id, approve).await.map_err(ssr::gateway_error)?;
        let back = back.ok_or(AppError::NotFound)?;
        events::deliver_sandbox_events(&state).await.map_err(AppError::internal)?;
        let target = back.strip_prefix(&state.auth.public_url).map(str::to_string).unwrap_or(back);
        let target = crate::auth::safe_next(Some(&target)).unwrap_or_else(|| "/".into());
        Ok(Done::new((), target))
    })
    .await
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthView {
    pub amount: Option<Money>,
}

#[server(endpoint = "sandbox/pending")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn sandbox_pending(id: String) -> Result<AuthView, AppError> {
    crate::answer::serve(async move {
        let state = crate::state::app_state()?;
        let sandbox = state.gateway.as_sandbox().ok_or(AppError::NotFound)?;
        let (amount, currency) =
            sandbox.pending_authentication(&id).await.map_err(ssr::gateway_error)?.ok_or(AppError::NotFound)?;
        let amount =
            crate::domain::Currency::parse(&currency).ok().filter(|_| amount > 0).map(|c| Money::new(amount, c));
        Ok(AuthView { amount })
    })
    .await
}
