//! Back-office: payments list (filters) and detail (status, method, gateway
//! reference, allocations, refunds, event history), owner refunds, methods
//! on file for an account, pay-by-link for an invoice.

use super::pages::PaymentsTable;
use super::*;
use crate::components::{Amount, Day, ErrorMessage, Loaded, Page};
use crate::domain::Role;
use crate::i18n::{t, use_locale};
use leptos_router::hooks::{use_params_map, use_query_map};

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

#[component]
pub fn BackPaymentsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let search = move || query.read().get("q").unwrap_or_default();
    view! {
        <Page roles=STAFF title=Msg::Payments>
            <h1>{t(Msg::Payments)}</h1>
            <form method="get" action="/back/payments" class="controls">
                <label>{t(Msg::Search)} <input type="search" name="q" value=search/></label>
                <label>{t(Msg::Status)}
                    <select name="status" data-testid="payment-status-filter">
                        <option value="">{t(Msg::FilterAll)}</option>
                        {PaymentStatus::ALL.into_iter().map(|s| view! {
                            <option value=s.as_str() selected=move || status() == s.as_str()>{t(s.msg())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">{t(Msg::Apply)}</button>
            </form>
            <PaymentsTable account_id=None base="/back/payments" staff=true/>
        </Page>
    }
}

#[component]
pub fn BackPaymentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let refund = ServerAction::<RefundPayment>::new();
    let detail = Resource::new(move || (id(), refund.version().get()), |(id, _)| get_payment(id));
    let ctx = crate::shell::PageCtx::current();
    let is_owner = ctx.viewer.as_ref().map(|v| v.role) == Some(Role::Owner);
    view! {
        <Page roles=STAFF title=Msg::PaymentTitle>
            <p><a href="/back/payments">"← " {t(Msg::Payments)}</a></p>
            <Loaded resource=detail view=move |d| {
                            let s = d.summary.clone();
                            let refundable = s.status == PaymentStatus::Succeeded && s.channel.is_none() && s.refunded.minor < s.amount.minor;
                            let reversible = s.status == PaymentStatus::Succeeded && s.channel.is_some_and(|c| c.reversible())
                                && super::received::pages::viewer_keeps_books();
                            let method = s.method(use_locale().get_untracked());
                            view! {
                                <div class="title-row">
                                    <h1>{t(Msg::PaymentTitle)} " " <span data-testid="payment-reference">{s.reference.clone()}</span></h1>
                                    <crate::components::StatusBadge status=s.status/>
                                    {s.disputed.then(|| view! { <span class="badge overdue">{t(Msg::ChargeDisputed)}</span> })}
                                </div>
                                <dl class="facts">
                                    <div><dt>{t(Msg::Account)}</dt><dd><a href=format!("/back/accounts/{}", s.account_id)>{s.account_name.clone()}</a></dd></div>
                                    <div><dt>{t(Msg::Amount)}</dt><dd data-testid="payment-amount"><Amount money=s.amount/></dd></div>
                                    <div><dt>{t(Msg::Refunded)}</dt><dd><Amount money=s.refunded/></dd></div>
                                    <div><dt>{t(Msg::PaymentMethod)}</dt><dd data-testid="payment-method">{method}</dd></div>
                                    <div><dt>{t(Msg::Date)}</dt><dd><Day date=s.paid_on()/></dd></div>
                                    {(!s.payer_reference.is_empty()).then(|| view! { <div><dt>{t(Msg::PayerReference)}</dt><dd data-testid="payer-reference">{s.payer_reference.clone()}</dd></div> })}
                                    {s.reversal_reason.clone().map(|r| view! { <div><dt>{t(Msg::ReversedBecause)}</dt><dd data-testid="reversal-reason">{r}</dd></div> })}
                                    <div><dt>{t(Msg::Source)}</dt><dd>{s.source.clone()}</dd></div>
                                    <div><dt>{t(Msg::GatewayReference)}</dt><dd data-testid="gateway-ref"><code>{s.gateway.clone()} " " {s.gateway_ref.clone().unwrap_or_default()}</code></dd></div>
                                    {s.failure.map(|m| view! { <div><dt>{t(Msg::FailureReason)}</dt><dd>{t(m)}</dd></div> })}
                                </dl>
                                {(s.status == PaymentStatus::Succeeded).then(|| view! {
                                    <p><a href=format!("/payments/{}/receipt.pdf", s.id) rel="external" download data-testid="receipt-pdf">{t(Msg::DownloadReceipt)}</a></p>
                                })}
                                <h2>{t(Msg::Settles)}</h2>
                                <table class="data">
                                    <tbody>
                                        {d.allocations.into_iter().map(|a| view! {
                                            <tr><td data-label=t(Msg::Invoice)><a href=format!("/back/invoices/{}", a.invoice_id)>{a.number}</a></td><td data-label=t(Msg::Amount) class="num"><Amount money=a.amount/>
                                                {a.discount.map(|d| view! { <br/><small class="muted">{t(Msg::DiscountTaken)} " " <Amount money=d/></small> })}
                                            </td></tr>
                                        }).collect_view()}
                                        {d.credit.is_positive().then(|| view! { <tr><td>{t(Msg::KeptAsCredit)}</td><td data-label=t(Msg::Amount) class="num"><Amount money=d.credit/></td></tr> })}
                                    </tbody>
                                </table>
                                <h2>{t(Msg::Refunds)}</h2>
                                {if d.refunds.is_empty() { view! { <p class="muted">{t(Msg::NoRefunds)}</p> }.into_any() } else { view! {
                                    <table class="data" data-testid="refunds"><tbody>
                                        {d.refunds.into_iter().map(|r| view! {
                                            <tr><td data-label=t(Msg::Date)><Day date=r.created_at.date_naive()/></td><td data-label=t(Msg::Amount) class="num"><Amount money=r.amount/></td><td data-label=t(Msg::Status)>{r.status}</td><td data-label=t(Msg::Reason)>{r.reason}</td></tr>
                                        }).collect_view()}
                                    </tbody></table>
                                }.into_any() }}
                                {reversible.then(|| view! { <super::received::pages::ReversePaymentForm payment_id=s.id/> })}
                                {(is_owner && refundable).then(|| view! {
                                    <ActionForm action=refund attr:class="controls" attr:data-testid="refund-form">
                                        <input type="hidden" name="payment_id" value=s.id.to_string()/>
                                        <label>{t(Msg::Amount)} <input name="amount" inputmode="decimal" size="10" required/></label>
                                        <label>{t(Msg::Reason)} <input name="reason" size="30"/></label>
                                        <button type="submit">{t(Msg::Refund)}</button>
                                        {move || refund.value().get().map(|r| match r {
                                            Ok(done) => view! { <span class="ok" role="status">{t(done.value)}</span> }.into_any(),
                                            Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
                                        })}
                                    </ActionForm>
                                })}
                                <h2>{t(Msg::EventHistory)}</h2>
                                <table class="data" data-testid="payment-events">
                                    <tbody>
                                        {d.events.into_iter().map(|e| view! {
                                            <tr><td>{e.received_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td><td><code>{e.event_type}</code></td><td>{e.outcome}</td><td><code>{e.event_id}</code></td></tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }/>
        </Page>
    }
}

/// For the account page: methods on file and the account's payments.
#[component]
pub fn AccountPayments(account_id: i64) -> impl IntoView {
    let methods = Resource::new(move || account_id, account_methods);
    view! {
        <section>
            <h2>{t(Msg::MethodsOnFile)}</h2>
            <Loaded resource=methods quiet=true view=move |v| match v {
                        list if list.is_empty() => view! { <p class="muted">{t(Msg::NoMethods)}</p> }.into_any(),
                        list => view! {
                            <ul data-testid="methods-on-file">
                                {list.into_iter().map(|m| view! {
                                    <li>{m.label()} " " {m.expiry().unwrap_or_default()} " "
                                        {m.is_default.then(|| view! { <span class="badge paid">{t(Msg::Default)}</span> })}
                                        {m.autopay.then(|| view! { <span class="badge open">{t(Msg::Autopay)}</span> })}</li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
            }/>
            <h2>{t(Msg::Payments)}</h2>
            <PaymentsTable account_id=Some(account_id) base="/back/payments" staff=false/>
        </section>
    }
}

/// On the staff invoice page: a pay-by-link URL to send to the client
/// (shown once), and the invoice's links, each of which can be turned off.
#[component]
pub fn PayLinkButton(invoice_id: i64) -> impl IntoView {
    let action = ServerAction::<CreatePayLink>::new();
    let revoke = ServerAction::<RevokePayLink>::new();
    let links = Resource::new(move || (action.version().get(), revoke.version().get()), move |_| pay_links(invoice_id));
    view! {
        <ActionForm action=action attr:class="controls" attr:data-testid="pay-link-form">
            <input type="hidden" name="invoice_id" value=invoice_id.to_string()/>
            <button type="submit">{t(Msg::CreatePayLink)}</button>
            {move || action.value().get().map(|r| match r {
                Ok(url) => view! {
                    <input readonly size="60" value=url data-testid="pay-link"/>
                    <span class="hint">{t(Msg::PayLinkOnce)}</span>
                }.into_any(),
                Err(e) => view! { <ErrorMessage error=e/> }.into_any(),
            })}
        </ActionForm>
        <Loaded resource=links quiet=true view=move |v| match v {
                list if list.is_empty() => ().into_any(),
                list => view! {
                    <table class="data" data-testid="pay-links">
                        <caption>{t(Msg::PayLinks)}</caption>
                        <thead><tr>
                            <th scope="col">{t(Msg::CreatedBy)}</th>
                            <th scope="col">{t(Msg::Date)}</th>
                            <th scope="col">{t(Msg::ExpiresOn)}</th>
                            <th scope="col">{t(Msg::Status)}</th>
                            <th scope="col"></th>
                        </tr></thead>
                        <tbody>
                            {list.into_iter().map(|l| {
                                let state = if l.live { Msg::PayLinkLive } else if l.revoked { Msg::PayLinkRevoked } else { Msg::PayLinkExpired };
                                view! {
                                    <tr>
                                        <td data-label=t(Msg::CreatedBy)>{l.created_by.clone()}</td>
                                        <td data-label=t(Msg::Date)><Day date=l.created_at.date_naive()/></td>
                                        <td data-label=t(Msg::ExpiresOn)><Day date=l.expires_at.date_naive()/></td>
                                        <td data-label=t(Msg::Status)>{t(state)}</td>
                                        <td>{l.live.then(|| view! {
                                            <ActionForm action=revoke attr:class="inline">
                                                <input type="hidden" name="link_id" value=l.id.to_string()/>
                                                <button type="submit" class="link">{t(Msg::RevokePayLink)}</button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
        }/>
    }
}
