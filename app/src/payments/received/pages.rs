//! The record-a-payment form (account page) and the reversal form
//! (payment page), for the owner and the accountant.

use super::{get_receive_sheet, Channel, RecordPayment, ReversePayment};
use crate::components::follow_target as follow;
use crate::components::{Amount, Day, ErrorMessage, FieldError, Loaded};
use crate::domain::Role;
use crate::i18n::{t, use_locale, Msg};
use leptos::prelude::*;

/// Whether the viewer keeps the books (owner or accountant): the forms
/// are offered to them; the server refuses everyone else anyway.
pub fn viewer_keeps_books() -> bool {
    let role = crate::shell::PageCtx::current().viewer.as_ref().map(|v| v.role);
    matches!(role, Some(Role::Owner | Role::Accountant))
}

/// On the account page: a transfer, cheque, cash or terminal payment
/// received, put on the oldest invoices or on chosen ones.
#[component]
pub fn RecordPaymentForm(account_id: i64) -> impl IntoView {
    if !viewer_keeps_books() {
        return ().into_any();
    }
    let sheet = Resource::new(move || account_id, get_receive_sheet);
    let action = ServerAction::<RecordPayment>::new();
    follow!(action);
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <details class="card" data-testid="record-payment">
            <summary>{t(Msg::RecordPayment)}</summary>
            <Loaded resource=sheet quiet=true view=move |s| view! {
                <ActionForm action=action attr:class="stack" attr:data-testid="record-payment-form">
                    <p class="muted small">{t(Msg::RecordPaymentHint)}</p>
                    <input type="hidden" name="form[account_id]" value=s.account_id.to_string()/>
                    <input type="hidden" name="form[idempotency_key]" value=s.idempotency_key.clone()/>
                    <div class="controls">
                        <label>{t(Msg::PaymentChannel)}
                            <select name="form[channel]" data-testid="received-channel">
                                {Channel::ALL.into_iter().map(|c| view! { <option value=c.as_str()>{t(c.msg())}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>{t(Msg::ReceivedOn)}
                            <input type="date" name="form[received_on]" value=s.today.to_string() max=s.today.to_string() required data-testid="received-on"/>
                        </label>
                        <label>{t(Msg::Amount)}
                            <input name="form[amount]" inputmode="decimal" size="10" required data-testid="received-amount"/>
                        </label>
                        <label>{t(Msg::PayerReference)}
                            <input name="form[reference]" maxlength="140" size="24" data-testid="received-reference"/>
                        </label>
                    </div>
                    <FieldError error=Signal::derive(err) name="channel"/>
                    <FieldError error=Signal::derive(err) name="received_on"/>
                    <FieldError error=Signal::derive(err) name="amount"/>
                    <FieldError error=Signal::derive(err) name="reference"/>
                    {(!s.open.is_empty()).then(|| view! {
                        <table class="data" data-testid="received-parts">
                            <thead><tr>
                                <th scope="col">{t(Msg::Number)}</th>
                                <th scope="col">{t(Msg::DueDate)}</th>
                                <th scope="col" class="num">{t(Msg::Balance)}</th>
                                <th scope="col">{t(Msg::AmountForInvoice)}</th>
                            </tr></thead>
                            <tbody>
                                {s.open.iter().enumerate().map(|(i, o)| {
                                    let field = super::PartForm::field(o.id);
                                    view! {
                                        <tr>
                                            <td data-label=t(Msg::Number)>{o.number.clone()}</td>
                                            <td data-label=t(Msg::DueDate)><Day date=o.due_date/></td>
                                            <td data-label=t(Msg::Balance) class="num"><Amount money=o.balance/></td>
                                            <td data-label=t(Msg::AmountForInvoice)>
                                                <input type="hidden" name=format!("form[parts][{i}][invoice_id]") value=o.id.to_string()/>
                                                <input name=format!("form[parts][{i}][amount]") inputmode="decimal" size="9"
                                                    aria-label=format!("{} — {}", o.number, Msg::AmountForInvoice.text(use_locale().get_untracked())) data-testid=format!("part-{}", o.number)/>
                                                <FieldError error=Signal::derive(err) name=field/>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                    {s.more_open.then(|| view! { <p class="muted small">{t(Msg::MoreOpenInvoices)}</p> })}
                    <button type="submit" class="primary" data-testid="record-payment-submit" disabled=move || action.pending().get()>{t(Msg::Record)}</button>
                    {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
                </ActionForm>
            }.into_any()/>
        </details>
    }
    .into_any()
}

/// On a recorded payment's page: the bank took it back.
#[component]
pub fn ReversePaymentForm(payment_id: i64) -> impl IntoView {
    let action = ServerAction::<ReversePayment>::new();
    follow!(action);
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <details class="card" data-testid="reverse-payment">
            <summary>{t(Msg::ReversePayment)}</summary>
            <ActionForm action=action attr:class="stack narrow" attr:data-testid="reverse-payment-form">
                <p class="muted small">{t(Msg::ReverseHint)}</p>
                <input type="hidden" name="payment_id" value=payment_id.to_string()/>
                <label>{t(Msg::Reason)}
                    <textarea name="reason" rows="2" maxlength="500" required data-testid="reverse-reason"></textarea>
                </label>
                <FieldError error=Signal::derive(err) name="reason"/>
                <button type="submit" data-testid="reverse-submit" disabled=move || action.pending().get()>{t(Msg::ReversePayment)}</button>
                {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            </ActionForm>
        </details>
    }
}
