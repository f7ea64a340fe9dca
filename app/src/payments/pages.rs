//! Client pages: pay (one invoice, several, or an amount), receipt, payment
//! history, saved methods; the pay-by-link page and the sandbox's 3-D
//! Secure page. Every form is a plain POST that works without wasm.

use super::*;
use crate::components::{Amount, Day, ErrorMessage, FieldError, Loaded, Page};
use crate::domain::Role;
use crate::i18n::{t, use_locale};
use leptos_router::hooks::{use_params_map, use_query_map};

const CLIENT: &[Role] = &[Role::Client];

#[component]
pub fn TestModeBanner() -> impl IntoView {
    view! {
        <div class="alert test-mode" role="note" data-testid="test-mode">
            <strong>{t(Msg::TestModeTitle)}</strong> " " {t(Msg::TestModeText)}
        </div>
    }
}

/// The sandbox's card form, each input with its message when `error`
/// (the submitting action's) refuses it.
#[component]
fn CardFields(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <fieldset class="card-fields">
            <label>{t(Msg::CardNumber)}
                <input name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242" data-testid="card-number"/>
            </label>
            <FieldError error=error name="card_number"/>
            <div class="row">
                <label>{t(Msg::CardExpiry)}
                    <input name="card_expiry" autocomplete="cc-exp" placeholder=t(Msg::CardExpiryPlaceholder) size="6" data-testid="card-expiry"/>
                </label>
                <label>{t(Msg::CardCvc)}
                    <input name="card_cvc" inputmode="numeric" autocomplete="cc-csc" size="4" data-testid="card-cvc"/>
                </label>
            </div>
            <FieldError error=error name="card_expiry"/>
            <FieldError error=error name="card_cvc"/>
        </fieldset>
    }
}

/// The error a server action returned last, if any.
fn action_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

// ---------------------------------------------------------------- pay

#[component]
pub fn PayPage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::PayTitle>
            <PayBody/>
        </Page>
    }
}

#[component]
fn PayBody() -> impl IntoView {
    let query = use_query_map();
    let selection = move || {
        let q = query.read();
        let mut invoices = q.get_all("inv").unwrap_or_default();
        if let Some(list) = q.get("invoices") {
            invoices.push(list);
        }
        (invoices.join(","), q.get("amount").unwrap_or_default())
    };
    let quote = Resource::new(selection, |(invoices, amount)| get_quote(invoices, amount));
    let pay_action = ServerAction::<Pay>::new();
    crate::components::follow_target!(pay_action);
    let locale = use_locale();
    view! {
        <h1>{t(Msg::PayTitle)}</h1>
        <Loaded resource=quote on_error=|e| {
                        // Held by a payment in progress: show where it is.
                        let in_flight = e == AppError::Conflict(Msg::InvoiceNotPayable);
                        view! {
                            <ErrorMessage error=e with_fields=true/>
                            <p>
                                {in_flight.then(|| view! { <a href="/portal/payments" data-testid="see-payments">{t(Msg::SeeMyPayments)}</a> " · " })}
                                <a href="/portal">{t(Msg::BackToOverview)}</a>
                            </p>
                        }.into_any()
                    } view=move |q| {
                        let (invoices, amount) = selection();
                        let total = q.plan.total;
                        let has_methods = !q.methods.is_empty();
                        let default_id = q.methods.iter().find(|m| m.is_default && !m.expired).map(|m| m.id);
                        let numbers = q.plan.lines.iter().map(|l| l.number.clone()).collect::<Vec<_>>().join(", ");
                        let sandbox = q.gateway.sandbox;
                        view! {
                            {sandbox.then(|| view! { <TestModeBanner/> })}
                            <table class="data" data-testid="pay-plan">
                                <thead><tr>
                                    <th scope="col">{t(Msg::Number)}</th>
                                    <th scope="col">{t(Msg::DueDate)}</th>
                                    <th scope="col" class="num">{t(Msg::Amount)}</th>
                                </tr></thead>
                                <tbody>
                                    {q.plan.lines.iter().map(|l| {
                                        let full = Money::new(l.amount.minor + l.discount.map_or(0, |d| d.amount.minor), l.amount.currency);
                                        view! {
                                            <tr><td data-label=t(Msg::Number)>{l.number.clone()}</td><td data-label=t(Msg::DueDate)><Day date=l.due_date/></td><td data-label=t(Msg::Amount) class="num"><Amount money=full/></td></tr>
                                            {l.discount.map(|d| view! {
                                                <tr class="discount" data-testid="pay-discount">
                                                    <td colspan="2">{move || d.text(locale.get())}</td>
                                                    <td data-label=t(Msg::Amount) class="num"><Amount money=Money::new(-d.amount.minor, d.amount.currency)/></td>
                                                </tr>
                                            })}
                                        }
                                    }).collect_view()}
                                    {q.plan.credit.is_positive().then(|| view! {
                                        <tr><td colspan="2">{t(Msg::KeptAsCredit)}</td><td data-label=t(Msg::Amount) class="num"><Amount money=q.plan.credit/></td></tr>
                                    })}
                                </tbody>
                                <tfoot><tr class="total"><th colspan="2" scope="row">{t(Msg::Total)}</th>
                                    <td class="num" data-testid="pay-total"><Amount money=total/></td></tr></tfoot>
                            </table>
                            {move || pay_action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                            <ActionForm action=pay_action attr:class="stack narrow" attr:data-testid="pay-form">
                                <input type="hidden" name="invoices" value=invoices.clone()/>
                                <input type="hidden" name="amount" value=amount.clone()/>
                                <input type="hidden" name="expected_total" value=total.minor.to_string()/>
                                <input type="hidden" name="idempotency_key" value=q.idempotency_key.clone()/>
                                <fieldset>
                                    <legend>{t(Msg::PayWith)}</legend>
                                    {q.methods.iter().map(|m| {
                                        let label = m.label();
                                        let expiry = m.expiry();
                                        view! {
                                            <label class="choice">
                                                <input type="radio" name="method" value=m.id.to_string() checked=default_id == Some(m.id) disabled=m.expired/>
                                                " " {label} " " {expiry.map(|e| view! { <span class="muted">{e}</span> })}
                                                {m.expired.then(|| view! { <span class="badge void">{t(Msg::Expired)}</span> })}
                                            </label>
                                        }
                                    }).collect_view()}
                                    {if sandbox {
                                        view! {
                                            <label class="choice">
                                                <input type="radio" name="method" value="new" checked=!has_methods || default_id.is_none() data-testid="method-new"/>
                                                " " {t(Msg::NewCard)}
                                            </label>
                                            <CardFields error=action_error(pay_action)/>
                                            <label class="choice"><input type="checkbox" name="save_card" value="on"/> " " {t(Msg::SaveCardForLater)}</label>
                                        }.into_any()
                                    } else {
                                        // Stripe: the next page holds Stripe's Payment Element.
                                        view! {
                                            <label class="choice">
                                                <input type="radio" name="method" value="new" checked=!has_methods || default_id.is_none() data-testid="method-new"/>
                                                " " {t(Msg::NewMethodSecure)}
                                            </label>
                                        }.into_any()
                                    }}
                                </fieldset>
                                <p class="confirm" data-testid="pay-confirm">
                                    {move || Msg::PayConfirmText.text(locale.get()).replace("{amount}", &total.format(locale.get())).replace("{invoices}", &numbers)}
                                </p>
                                <button type="submit" class="primary" data-testid="pay-submit" disabled=move || pay_action.pending().get()>
                                    {move || format!("{} {}", Msg::PayNow.text(locale.get()), total.format(locale.get()))}
                                </button>
                            </ActionForm>
                            <p><a href="/portal/methods">{t(Msg::ManageMethods)}</a></p>
                        }.into_any()
                    }
        />
    }
}

/// The pay-selection box of the overview: tick invoices, or enter an amount.
#[component]
pub fn PayControls(open: Vec<crate::invoices::InvoiceSummary>) -> impl IntoView {
    if open.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="pay-box" data-testid="pay-box">
            <h2>{t(Msg::PayOnline)}</h2>
            <form method="get" action="/portal/pay" class="stack">
                <fieldset>
                    <legend>{t(Msg::SelectInvoicesToPay)}</legend>
                    {open.into_iter().map(|i| view! {
                        <label class="choice">
                            <input type="checkbox" name="inv" value=i.id.to_string() data-testid=format!("select-{}", i.number)/>
                            " " {i.number.clone()} " — " <Amount money=i.balance/> " · " <Day date=i.due_date/>
                        </label>
                    }).collect_view()}
                </fieldset>
                <button type="submit" class="primary" data-testid="pay-selected">{t(Msg::PaySelected)}</button>
                " "
                <button type="submit" formaction="/portal/promise" data-testid="promise-selected">{t(Msg::PromiseThese)}</button>
            </form>
            <form method="get" action="/portal/pay" class="controls">
                <label>{t(Msg::PayAnAmount)} <input name="amount" inputmode="decimal" size="10" data-testid="pay-amount"/></label>
                <button type="submit">{t(Msg::Continue)}</button>
            </form>
        </section>
    }
    .into_any()
}

// ---------------------------------------------------------------- receipt & history

#[component]
pub fn ReceiptPage() -> impl IntoView {
    view! {
        <Page roles=&[Role::Client, Role::Owner, Role::Collector, Role::Accountant] title=Msg::PaymentTitle>
            <ReceiptBody/>
        </Page>
    }
}

#[component]
fn ReceiptBody() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new(id, get_payment);
    view! {
        <Loaded resource=detail view=move |d| view! { <PaymentReceipt detail=d/> }.into_any()/>
    }
}

/// The payer's way out of a payment waiting for them.
#[component]
fn CancelPaymentForm(id: i64) -> impl IntoView {
    let action = ServerAction::<CancelPayment>::new();
    crate::components::follow_target!(action);
    view! {
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
        <ActionForm action=action attr:class="inline">
            <input type="hidden" name="id" value=id.to_string()/>
            <button type="submit" class="link" data-testid="payment-cancel">{t(Msg::CancelPayment)}</button>
        </ActionForm>
    }
}

#[component]
pub fn PaymentReceipt(detail: PaymentDetail) -> impl IntoView {
    let s = detail.summary.clone();
    let is_client = crate::shell::PageCtx::current().viewer.as_ref().map(|v| v.role) == Some(Role::Client);
    let waiting = matches!(s.status, PaymentStatus::Pending | PaymentStatus::Processing);
    let method = s.method(use_locale().get_untracked());
    view! {
        {waiting.then(|| view! { <leptos_meta::Meta http_equiv="refresh" content="5"/> })}
        <div class="title-row">
            <h1>{t(Msg::PaymentTitle)} " " <span data-testid="payment-reference">{s.reference.clone()}</span></h1>
            <crate::components::StatusBadge status=s.status/>
        </div>
        {match s.status {
            PaymentStatus::Succeeded => view! {
                <p class="alert ok" role="status" data-testid="payment-succeeded">{t(Msg::PaymentThanks)}</p>
                <p><a href=format!("/payments/{}/receipt.pdf", s.id) rel="external" download data-testid="receipt-pdf">{t(Msg::DownloadReceipt)}</a></p>
            }.into_any(),
            PaymentStatus::Processing | PaymentStatus::Pending => view! { <p class="alert" role="status">{t(Msg::PaymentProcessingText)}</p> }.into_any(),
            PaymentStatus::RequiresAction => view! {
                {match detail.confirm.clone() {
                    Some(confirm) => view! {
                        <StripeConfirm confirm=confirm return_path=format!("/portal/payments/{}", s.id) amount=s.amount/>
                    }.into_any(),
                    None => view! {
                        <p class="alert" role="status">{t(Msg::PaymentNeedsAction)} " "
                            {s.action_url.clone().map(|u| view! { <a href=u>{t(Msg::ContinueAuthentication)}</a> })}</p>
                    }.into_any(),
                }}
                {is_client.then(|| view! { <CancelPaymentForm id=s.id/> })}
            }.into_any(),
            PaymentStatus::Failed => view! {
                <p class="alert error" role="alert" data-testid="payment-failed">{t(s.failure.unwrap_or(Msg::DeclineGeneric))} " " {t(Msg::NoBalanceChanged)}</p>
            }.into_any(),
            PaymentStatus::Reversed => view! {
                <p class="alert error" role="alert" data-testid="payment-reversed">{t(Msg::ReversedBecause)} {s.reversal_reason.clone().unwrap_or_default()}</p>
            }.into_any(),
        }}
        <dl class="facts">
            <div><dt>{t(Msg::Amount)}</dt><dd data-testid="payment-amount"><Amount money=s.amount/></dd></div>
            <div><dt>{t(Msg::Date)}</dt><dd><Day date=s.paid_on()/></dd></div>
            {(!method.is_empty()).then(|| view! { <div><dt>{t(Msg::PaymentMethod)}</dt><dd data-testid="payment-method">{method.clone()}</dd></div> })}
            {(!s.payer_reference.is_empty()).then(|| view! { <div><dt>{t(Msg::PayerReference)}</dt><dd>{s.payer_reference.clone()}</dd></div> })}
            {s.refunded.is_positive().then(|| view! { <div><dt>{t(Msg::Refunded)}</dt><dd><Amount money=s.refunded/></dd></div> })}
        </dl>
        <h2>{t(Msg::Settles)}</h2>
        <table class="data" data-testid="payment-allocations">
            <thead><tr><th scope="col">{t(Msg::Number)}</th><th scope="col" class="num">{t(Msg::Amount)}</th></tr></thead>
            <tbody>
                {detail.allocations.into_iter().map(|a| view! {
                    <tr><td data-label=t(Msg::Number)>{a.number}</td><td data-label=t(Msg::Amount) class="num"><Amount money=a.amount/>
                        {a.discount.map(|d| view! { <br/><small class="muted" data-testid="payment-discount">{t(Msg::DiscountTaken)} " " <Amount money=d/></small> })}
                    </td></tr>
                }).collect_view()}
                {detail.credit.is_positive().then(|| view! {
                    <tr><td>{t(Msg::KeptAsCredit)}</td><td data-label=t(Msg::Amount) class="num"><Amount money=detail.credit/></td></tr>
                })}
            </tbody>
        </table>
    }
}

impl crate::components::Status for PaymentStatus {
    const TESTID: &'static str = "payment-status";

    fn tone(self) -> crate::components::Tone {
        use crate::components::Tone;
        match self {
            PaymentStatus::Succeeded => Tone::Good,
            PaymentStatus::Failed | PaymentStatus::Reversed => Tone::Bad,
            _ => Tone::Open,
        }
    }

    fn label(self) -> Msg {
        self.msg()
    }
}

#[component]
pub fn PaymentsPage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::Payments>
            <h1>{t(Msg::Payments)}</h1>
            <PaymentsTable account_id=None base="/portal/payments" staff=false/>
        </Page>
    }
}

#[component]
pub fn PaymentsTable(account_id: Option<i64>, base: &'static str, staff: bool) -> impl IntoView {
    let query = use_query_map();
    let q = move || {
        let q = query.read();
        PaymentQuery {
            status: q.get("status").and_then(|s| PaymentStatus::parse(&s)),
            account_id: account_id.or_else(|| q.get("account").and_then(|a| a.parse().ok())),
            search: q.get("q").filter(|s| !s.trim().is_empty()),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    };
    let data = Resource::new(q, list_payments);
    view! {
            <Loaded resource=data view=move |v| match v {
    p if p.items.is_empty() => view! { <p class="muted">{t(Msg::NoPayments)}</p> }.into_any(),
    p => {
                            let cur = q();
                            let mut href = format!("{base}?");
                            if let Some(s) = cur.status { href.push_str(&format!("status={}&", s.as_str())); }
                            if let Some(s) = cur.search.as_deref() { href.push_str(&format!("q={}&", crate::components::urlencode(s))); }
                            view! {
                                <table class="data" data-testid="payments-table">
                                    <thead><tr>
                                        <th scope="col">{t(Msg::Reference)}</th>
                                        {staff.then(|| view! { <th scope="col">{t(Msg::Account)}</th> })}
                                        <th scope="col">{t(Msg::Date)}</th>
                                        <th scope="col">{t(Msg::PaymentMethod)}</th>
                                        <th scope="col" class="num">{t(Msg::Amount)}</th>
                                        <th scope="col">{t(Msg::Status)}</th>
                                    </tr></thead>
                                    <tbody>
                                        {p.items.into_iter().map(|s| view! {
                                            <tr data-testid="payment-row">
                                                <td data-label=t(Msg::Reference)><a href=format!("{base}/{}", s.id)>{s.reference.clone()}</a></td>
                                                {staff.then(|| view! { <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", s.account_id)>{s.account_name.clone()}</a></td> })}
                                                <td data-label=t(Msg::Date)><Day date=s.paid_on()/></td>
                                                <td data-label=t(Msg::PaymentMethod)>{s.method(use_locale().get_untracked())}</td>
                                                <td data-label=t(Msg::Amount) class="num"><Amount money=s.amount/></td>
                                                <td data-label=t(Msg::Status)><crate::components::StatusBadge status=s.status/></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <crate::components::Pager page=p.page page_count=p.page_count more=p.more base=href/>
                            }.into_any()
                        },
    }/>
        }
}

// ---------------------------------------------------------------- methods

#[component]
pub fn MethodsPage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::PaymentMethods>
            <MethodsBody/>
        </Page>
    }
}

#[component]
fn MethodsBody() -> impl IntoView {
    let add = ServerAction::<AddMethod>::new();
    let act = ServerAction::<MethodAction>::new();
    let data = Resource::new(move || (add.version().get(), act.version().get()), |_| get_methods());
    let query = use_query_map();
    let added = move || query.read().get("added").is_some();
    view! {
        <h1>{t(Msg::PaymentMethods)}</h1>
        {move || added().then(|| view! { <p class="alert ok" role="status">{t(Msg::MethodSaved)}</p> })}
        {move || act.value().get().map(|r| match r {
            Ok(done) => view! { <p class="alert ok" role="status">{t(done.value)}</p> }.into_any(),
            Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
        })}
        <Loaded resource=data view=move |page| {
                        let sandbox = page.gateway.sandbox;
                        view! {
                            {sandbox.then(|| view! { <TestModeBanner/> })}
                            {if page.methods.is_empty() {
                                view! { <p class="muted">{t(Msg::NoMethods)}</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="methods" data-testid="methods">
                                        {page.methods.into_iter().map(|m| {
                                            let id = m.id;
                                            let button = move |name: &'static str, label: Msg| view! {
                                                <ActionForm action=act attr:class="inline">
                                                    <input type="hidden" name="method_id" value=id.to_string()/>
                                                    <input type="hidden" name="action" value=name/>
                                                    <button type="submit" class="link" data-testid=format!("method-{name}")>{t(label)}</button>
                                                </ActionForm>
                                            };
                                            view! {
                                                <li data-testid="method">
                                                    <strong>{m.label()}</strong> " "
                                                    {m.expiry().map(|e| view! { <span class="muted">{t(Msg::Expires)} " " {e}</span> })} " "
                                                    {m.is_default.then(|| view! { <span class="badge paid">{t(Msg::Default)}</span> })} " "
                                                    {m.autopay.then(|| view! { <span class="badge open" data-testid="autopay-badge">{t(Msg::Autopay)}</span> })}
                                                    {m.expired.then(|| view! { <span class="badge void">{t(Msg::Expired)}</span> })}
                                                    <span class="actions">
                                                        {(!m.is_default).then(|| button("default", Msg::MakeDefault))}
                                                        {if m.autopay { button("autopay_off", Msg::StopAutopay).into_any() } else if !m.expired { button("autopay_on", Msg::UseForAutopay).into_any() } else { ().into_any() }}
                                                        {button("remove", Msg::Remove)}
                                                    </span>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    <p class="muted">{t(Msg::AutopayExplained)}</p>
                                }.into_any()
                            }}
                            {move || add.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                            {if sandbox {
                                view! {
                                    <div class="two-col">
                                        <ActionForm action=add attr:class="stack" attr:data-testid="add-card-form">
                                            <h2>{t(Msg::AddCard)}</h2>
                                            <input type="hidden" name="kind" value="card"/>
                                            <CardFields error=action_error(add)/>
                                            <button type="submit" class="primary" data-testid="add-card-submit">{t(Msg::SaveCard)}</button>
                                        </ActionForm>
                                        <ActionForm action=add attr:class="stack" attr:data-testid="add-sepa-form">
                                            <h2>{t(Msg::AddSepa)}</h2>
                                            <input type="hidden" name="kind" value="sepa_debit"/>
                                            <label>{t(Msg::AccountHolder)} <input name="holder" autocomplete="name"/></label>
                                            <FieldError error=action_error(add) name="holder"/>
                                            <label>"IBAN" <input name="iban" placeholder="FR14 2004 1010 0505 0001 3M02 606" data-testid="iban"/></label>
                                            <FieldError error=action_error(add) name="iban"/>
                                            <p class="muted small">{t(Msg::SepaMandateText)}</p>
                                            <button type="submit" class="primary">{t(Msg::AcceptMandate)}</button>
                                        </ActionForm>
                                    </div>
                                }.into_any()
                            } else {
                                let kind = if query.read_untracked().get("add").as_deref() == Some("sepa_debit") { "sepa_debit" } else { "card" };
                                view! { <StripeSetup publishable_key=page.gateway.publishable_key.unwrap_or_default() kind=kind/> }.into_any()
                            }}
                        }.into_any()
                    }/>
    }
}

/// Stripe mode: Stripe's Payment Element, mounted by `/stripe-setup.js`
/// (card numbers and IBANs go from the browser to Stripe, never to us).
#[component]
fn StripeSetup(publishable_key: String, kind: &'static str) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let locale = use_locale();
    let tab = move |k: &'static str, label: Msg| {
        let current = k == kind;
        view! {
            // A full load: Stripe's element is mounted by a page script.
            <a href=format!("/portal/methods?add={k}") rel="external" class=if current { "tab current" } else { "tab" }
                aria-current=current.then_some("page")>{t(label)}</a>
        }
    };
    view! {
        <section class="stack narrow" id="stripe-setup" data-testid="stripe-setup"
            data-publishable-key=publishable_key data-kind=kind data-locale=move || locale.get().code()
            data-error-text=move || Msg::InternalError.text(locale.get())>
            <nav class="tabs">{tab("card", Msg::AddCard)} {tab("sepa_debit", Msg::AddSepa)}</nav>
            {(kind == "sepa_debit").then(|| view! { <p class="muted small">{t(Msg::SepaMandateText)}</p> })}
            <div id="payment-element"></div>
            <button type="button" class="primary" id="stripe-setup-submit" data-testid="stripe-setup-submit">
                {t(if kind == "sepa_debit" { Msg::AcceptMandate } else { Msg::SaveCard })}
            </button>
            <p id="stripe-setup-error" class="alert error" role="alert" hidden></p>
        </section>
        <script src="https://js.stripe.com/v3/" nonce=nonce.clone()></script>
        <script src="/stripe-setup.js" nonce=nonce></script>
    }
}

/// Stripe mode: confirms a payment with Stripe's Payment Element, mounted
/// by `/stripe-pay.js`. The payer comes back to `return_path`, which asks
/// Stripe where the payment stands.
#[component]
fn StripeConfirm(confirm: BrowserConfirm, return_path: String, amount: Money) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let locale = use_locale();
    view! {
        <section class="stack narrow" id="stripe-pay" data-testid="stripe-pay"
            data-publishable-key=confirm.publishable_key data-client-secret=confirm.client_secret
            data-return-path=return_path data-locale=move || locale.get().code()
            data-error-text=move || Msg::InternalError.text(locale.get())>
            <h2>{t(Msg::CompletePayment)}</h2>
            <p class="muted">{t(Msg::SecureFormText)}</p>
            <div id="stripe-pay-element"></div>
            <button type="button" class="primary" id="stripe-pay-submit" data-testid="stripe-pay-submit">
                {move || format!("{} {}", Msg::PayNow.text(locale.get()), amount.format(locale.get()))}
            </button>
            <p id="stripe-pay-error" class="alert error" role="alert" hidden></p>
        </section>
        <script src="https://js.stripe.com/v3/" nonce=nonce.clone()></script>
        <script src="/stripe-pay.js" nonce=nonce></script>
    }
}

// ---------------------------------------------------------------- pay by link

#[component]
pub fn LinkPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let payment = move || query.read().get("payment").and_then(|p| p.parse::<i64>().ok());
    let data = Resource::new(move || (token(), payment()), |(token, payment)| link_view(token, payment));
    let action = ServerAction::<LinkPay>::new();
    crate::components::follow_target!(action);
    let locale = use_locale();
    view! {
        <leptos_meta::Title text=move || Msg::PayTitle.text(locale.get())/>
        <main id="main" class="auth-card wide">
            <div class="lang-corner"><crate::components::LanguageSwitch/></div>
            <Loaded resource=data on_error=|e| view! { <h1>"Relance"</h1> <ErrorMessage error=e/> }.into_any() view=move |v| {
                            let due = v.amount_due;
                            let pay_now = v.pay_now.unwrap_or(due);
                            view! {
                                <h1>{v.company.clone()}</h1>
                                {v.sandbox.then(|| view! { <TestModeBanner/> })}
                                <dl class="facts">
                                    <div><dt>{t(Msg::InvoiceTitle)}</dt><dd data-testid="link-invoice">{v.invoice_number.clone()}</dd></div>
                                    <div><dt>{t(Msg::Account)}</dt><dd>{v.account_name.clone()}</dd></div>
                                    <div><dt>{t(Msg::DueDate)}</dt><dd><Day date=v.due_date/></dd></div>
                                    <div><dt>{t(Msg::AmountDue)}</dt><dd data-testid="link-amount-due"><Amount money=due/></dd></div>
                                    {v.discount.map(|d| view! {
                                        <div><dt>{move || d.text(locale.get())}</dt><dd data-testid="link-discount"><Amount money=Money::new(-d.amount.minor, d.amount.currency)/></dd></div>
                                    })}
                                </dl>
                                {v.payment.clone().map(|p| view! {
                                    <p class="alert" role="status" data-testid="link-payment-status">
                                        <crate::components::StatusBadge status=p.status/> " " {p.reference.clone()} " "
                                        {p.failure.map(|m| view! { <span>{t(m)}</span> })}
                                    </p>
                                })}
                                {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                                {if let Some(confirm) = v.confirm.clone() {
                                    let back = format!("/pay/{}?payment={}", token(), v.payment.as_ref().map(|p| p.id).unwrap_or_default());
                                    let amount = v.payment.as_ref().map_or(pay_now, |p| p.amount);
                                    view! { <StripeConfirm confirm=confirm return_path=back amount=amount/> }.into_any()
                                } else if due.is_positive() {
                                    let sandbox = v.sandbox;
                                    view! {
                                        <ActionForm action=action attr:class="stack" attr:data-testid="link-pay-form">
                                            <input type="hidden" name="token" value=token()/>
                                            <input type="hidden" name="idempotency_key" value=v.idempotency_key.clone()/>
                                            <input type="hidden" name="expected_total" value=pay_now.minor.to_string()/>
                                            {sandbox.then(|| view! { <CardFields error=action_error(action)/> })}
                                            <button type="submit" class="primary" data-testid="link-pay-submit">
                                                {move || format!("{} {}", Msg::PayNow.text(locale.get()), pay_now.format(locale.get()))}
                                            </button>
                                        </ActionForm>
                                    }.into_any()
                                } else {
                                    view! { <p class="alert ok" role="status" data-testid="link-paid">{t(Msg::InvoiceSettled)}</p> }.into_any()
                                }}
                            }.into_any()
                        }
            />
        </main>
    }
}

// ---------------------------------------------------------------- sandbox 3-D Secure

#[component]
pub fn SandboxAuthPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, sandbox_pending);
    let action = ServerAction::<SandboxAuthenticate>::new();
    crate::components::follow_target!(action);
    view! {
        <main id="main" class="auth-card">
            <TestModeBanner/>
            <h1>{t(Msg::Authentication3ds)}</h1>
            <Loaded resource=data view=move |v| view! {
                            <p>{t(Msg::Authentication3dsText)} " " {v.amount.map(|a| view! { <strong><Amount money=a/></strong> })}</p>
                            <div class="row">
                                <ActionForm action=action>
                                    <input type="hidden" name="id" value=id()/>
                                    <input type="hidden" name="approve" value="true"/>
                                    <button type="submit" class="primary" data-testid="3ds-complete">{t(Msg::CompleteAuthentication)}</button>
                                </ActionForm>
                                <ActionForm action=action>
                                    <input type="hidden" name="id" value=id()/>
                                    <input type="hidden" name="approve" value="false"/>
                                    <button type="submit" data-testid="3ds-fail">{t(Msg::FailAuthentication)}</button>
                                </ActionForm>
                            </div>
                        }.into_any()/>
        </main>
    }
}

// ---------------------------------------------------------------- server helpers

/// Parses `MM/YY` (or `MM/YYYY`): a month 1–12 and a plausible year, so
/// no later arithmetic on them can overflow.
pub fn parse_expiry(s: &str) -> Option<(i32, i32)> {
    let (m, y) = s.trim().split_once('/')?;
    let m: i32 = m.trim().parse().ok()?;
    let y: i32 = y.trim().parse().ok()?;
    ((1..=12).contains(&m) && ((0..100).contains(&y) || (2000..=2100).contains(&y))).then_some((m, y))
}

/// A card typed into the sandbox form, tokenized (the sandbox plays
/// Stripe.js). In Stripe mode card numbers never reach us: refused.
#[cfg(feature = "ssr")]
pub async fn ssr_new_card(
    state: &crate::state::AppState,
    number: &str,
    expiry: &str,
    cvc: &str,
) -> Result<gateway::MethodDetails, AppError> {
    use super::sandbox::CardInputError;
    let Some(sandbox) = state.gateway.as_sandbox() else {
        return Err(AppError::Refused(Msg::UseSecureForm));
    };
    let Some((m, y)) = parse_expiry(expiry) else {
        return Err(AppError::field("card_expiry", Msg::CardExpiryInvalid));
    };
    match sandbox.tokenize_card(number, m, y, cvc.trim()).await.map_err(ssr::gateway_error)? {
        Ok(d) => Ok(d),
        Err(CardInputError::Number) => Err(AppError::field("card_number", Msg::CardNumberInvalid)),
        Err(CardInputError::Expiry) => Err(AppError::field("card_expiry", Msg::CardExpiryInvalid)),
        Err(CardInputError::Cvc) => Err(AppError::field("card_cvc", Msg::CardCvcInvalid)),
        Err(CardInputError::LiveCard) => Err(AppError::Refused(Msg::DeclineLiveCard)),
    }
}

/// Saves a tokenized sandbox method on the account's customer. Returns an
/// error to show (declined, needs authentication) or the method id.
#[cfg(feature = "ssr")]
pub async fn ssr_save_tokenized(
    state: &crate::state::AppState,
    account_id: i64,
    details: &gateway::MethodDetails,
    actor: i64,
) -> Result<(Option<AppError>, i64), AppError> {
    let sandbox = state.gateway.as_sandbox().ok_or(AppError::Refused(Msg::UseSecureForm))?;
    let customer = ssr::customer_ref(state, account_id).await?;
    let (_, status, _) =
        sandbox.setup_with(&customer, &details.gateway_ref, account_id).await.map_err(ssr::gateway_error)?;
    match status {
        gateway::SetupStatus::Succeeded(d) => {
            let id = ssr::save_method(state, account_id, &d, Some(actor)).await?;
            Ok((None, id))
        }
        gateway::SetupStatus::Failed { code } => Ok((Some(AppError::Refused(decline_msg(&code))), 0)),
        gateway::SetupStatus::Pending => Ok((Some(AppError::Refused(Msg::SaveNeedsAuthentication)), 0)),
    }
}

#[cfg(feature = "ssr")]
#[allow(clippy::too_many_arguments)]
pub async fn ssr_add_method(
    state: &crate::state::AppState,
    account_id: i64,
    actor: i64,
    kind: &str,
    number: &str,
    expiry: &str,
    cvc: &str,
    iban: &str,
    holder: &str,
) -> Result<String, AppError> {
    let sandbox = state.gateway.as_sandbox().ok_or(AppError::Refused(Msg::UseSecureForm))?;
    let details = match kind {
        "card" => ssr_new_card(state, number, expiry, cvc).await?,
        "sepa_debit" => {
            if holder.trim().is_empty() {
                return Err(AppError::field("holder", Msg::RequiredField));
            }
            sandbox
                .tokenize_iban(iban)
                .await
                .map_err(ssr::gateway_error)?
                .ok_or(AppError::field("iban", Msg::IbanInvalid))?
        }
        _ => return Err(AppError::field("kind", Msg::ChooseMethod)),
    };
    let customer = ssr::customer_ref(state, account_id).await?;
    let (setup_id, status, url) =
        sandbox.setup_with(&customer, &details.gateway_ref, account_id).await.map_err(ssr::gateway_error)?;
    match status {
        gateway::SetupStatus::Succeeded(d) => {
            ssr::save_method(state, account_id, &d, Some(actor)).await?;
            Ok("/portal/methods?added=1".into())
        }
        gateway::SetupStatus::Failed { code } => Err(AppError::Refused(decline_msg(&code))),
        gateway::SetupStatus::Pending => {
            // 3-D Secure at setup: the sandbox's page, then back here.
            sandbox
                .set_return_url(&setup_id, &format!("{}/portal/methods?added=1", state.auth.public_url))
                .await
                .map_err(ssr::gateway_error)?;
            let url = url.unwrap_or_default();
            Ok(url.strip_prefix(&state.auth.public_url).map(str::to_string).unwrap_or(url))
        }
    }
}
