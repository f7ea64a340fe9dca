//! The draft invoice page (new and saved), an account's drafts, and the
//! credit-note form of an issued invoice.

use super::{
    get_draft, list_drafts, list_recurring, CreditInvoice, DeleteDraft, DraftEditor, DraftForm, IssueDraft, LineForm,
    SaveDraft, SaveRecurring, SendInvoice, StopRecurring, WriteOff,
};
use crate::components::follow_target as follow;
use crate::components::{Amount, Day, ErrorMessage, FieldError, Loaded, Page};
use crate::domain::document::{format_percent, no_discount_mention, VatCategory};
use crate::domain::{Money, Role};
use crate::i18n::{t, use_locale, Msg};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

/// Spare rows the form offers below the lines (without JavaScript too).
const SPARE_ROWS: usize = 3;

/// The label of a VAT category (rate or exemption) as the forms and PDFs show it.
pub fn vat_msg(v: VatCategory) -> Msg {
    match v {
        VatCategory::Standard20 => Msg::Vat20,
        VatCategory::Intermediate10 => Msg::Vat10,
        VatCategory::Reduced5_5 => Msg::Vat5_5,
        VatCategory::Reduced2_1 => Msg::Vat2_1,
        VatCategory::Zero => Msg::Vat0,
        VatCategory::ExemptFranchise => Msg::VatFranchise,
        VatCategory::ExemptOther => Msg::VatExempt,
        VatCategory::ReverseCharge => Msg::VatReverseCharge,
        VatCategory::IntraEu => Msg::VatIntraEu,
        VatCategory::Export => Msg::VatExport,
    }
}

/// `/back/accounts/:id/invoices/new`
#[component]
pub fn NewDraftPage() -> impl IntoView {
    let params = use_params_map();
    let account = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let editor = Resource::new(account, |account| get_draft(None, Some(account)));
    view! {
        <Page roles=STAFF title=Msg::NewInvoice>
            <Loaded resource=editor view=|e| view! { <DraftView editor=e/> }.into_any()/>
        </Page>
    }
}

/// `/back/drafts/:id`
#[component]
pub fn DraftPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let editor = Resource::new(id, |id| get_draft(Some(id), None));
    view! {
        <Page roles=STAFF title=Msg::DraftInvoice>
            <Loaded resource=editor view=|e| view! { <DraftView editor=e/> }.into_any()/>
        </Page>
    }
}

#[component]
fn DraftView(editor: DraftEditor) -> impl IntoView {
    let save = ServerAction::<SaveDraft>::new();
    let issue = ServerAction::<IssueDraft>::new();
    let delete = ServerAction::<DeleteDraft>::new();
    follow!(save);
    follow!(issue);
    follow!(delete);
    let err = move || save.value().get().and_then(|r| r.err());
    let field = move |name: String| view! { <FieldError error=Signal::derive(err) name=name/> };
    let a = editor.account.clone();
    let currency = a.currency;
    let DraftForm { issue_date, due_date, discount_percent, discount_days, note, lines } = editor.form;
    let locale = use_locale();
    view! {
        <p><a href=format!("/back/accounts/{}", a.id)>"← " {a.legal_name.clone()}</a></p>
        <h1>{t(if editor.id.is_some() { Msg::DraftInvoice } else { Msg::NewInvoice })} " "
            <small class="muted">{a.legal_name.clone()} " · " {a.code.clone()}</small></h1>
        <p class="muted">{t(Msg::DraftIntro)}</p>
        {move || err().map(|e| view! { <ErrorMessage error=e/> })}
        {view! { <ActionForm action=save attr:class="stack" attr:data-testid="draft-form">
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string()/> })}
            <input type="hidden" name="account_id" value=a.id.to_string()/>
            <div class="controls">
                <label>{t(Msg::IssueDate)}
                    <input type="date" name="form[issue_date]" value=issue_date data-testid="draft-issue-date"/>
                    <span class="muted small">{t(Msg::IssueDateHint)}</span>
                    {field("issue_date".into())}
                </label>
                <label>{t(Msg::DueDate)}
                    <input type="date" name="form[due_date]" value=due_date data-testid="draft-due-date"/>
                    <span class="muted small">{t(Msg::DueDateHint)} " " <Day date=editor.due_by_terms/></span>
                    {field("due_date".into())}
                </label>
            </div>
            <LineRows lines=lines error=Signal::derive(err)/>
            <fieldset>
                <legend>{t(Msg::EarlyPaymentDiscount)}</legend>
                <div class="controls">
                    <label>{t(Msg::DiscountPercent)}
                        <input name="form[discount_percent]" inputmode="decimal" size="4" value=discount_percent/></label>
                    <label>{t(Msg::DiscountDays)}
                        <input type="number" name="form[discount_days]" min="1" max="365" value=discount_days/></label>
                </div>
                <span class="muted small">{move || no_discount_mention(locale.get())} " " {t(Msg::DiscountHint)}</span>
                {field("discount".into())}
            </fieldset>
            <label>{t(Msg::InvoiceNote)}
                <textarea name="form[note]" rows="2" maxlength="2000">{note}</textarea>
                {field("note".into())}
            </label>
            <button type="submit" class="primary" data-testid="save-draft" disabled=move || save.pending().get()>{t(Msg::SaveDraft)}</button>
        </ActionForm> }.into_any()}
        {editor.totals.map(|totals| {
            let money = move |minor: i64| Money::new(minor, currency);
            view! {
                <section data-testid="draft-totals">
                    <h2>{t(Msg::Totals)}</h2>
                    <table class="data">
                        <tbody>
                            <tr><th scope="row">{t(Msg::Subtotal)}</th><td class="num" data-testid="draft-subtotal"><Amount money=money(totals.subtotal_minor)/></td></tr>
                            {totals.vat.iter().map(|g| {
                                let (rate, category) = (g.rate_bp, g.category);
                                view! {
                                    <tr><th scope="row">{t(Msg::TaxRate)} " " {move || format_percent(rate, locale.get())} " %"
                                        {move || category.mention(locale.get()).map(|m| view! { <br/><span class="muted small">{m}</span> })}</th>
                                        <td class="num"><Amount money=money(g.tax_minor)/></td></tr>
                                }
                            }).collect_view()}
                            <tr class="total"><th scope="row">{t(Msg::Total)}</th><td class="num" data-testid="draft-total"><Amount money=money(totals.total_minor)/></td></tr>
                        </tbody>
                    </table>
                </section>
            }
            .into_any()
        })}
        {editor.id.map(|id| view! {
            <div class="controls">
                <ActionForm action=issue attr:class="inline" attr:data-testid="issue-form">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="primary" data-testid="issue-draft" disabled=move || issue.pending().get()>{t(Msg::IssueInvoice)}</button>
                </ActionForm>
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" data-testid="delete-draft">{t(Msg::DeleteDraft)}</button>
                </ActionForm>
            </div>
            <p class="muted small">{t(Msg::IssueWarning)}</p>
            {move || issue.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e with_fields=true/> })}
        }
        .into_any())}
    }
}

/// The lines of a draft or a template: the saved ones, then spare rows
/// (more with "Add a line").
#[component]
fn LineRows(lines: Vec<LineForm>, #[prop(into)] error: Signal<Option<crate::error::AppError>>) -> impl IntoView {
    let rows = RwSignal::new(lines.len() + SPARE_ROWS);
    let locale = use_locale();
    let field = move |name: String| view! { <FieldError error=error name=name/> };
    view! {
            <table class="data lines" data-testid="draft-lines">
                <thead><tr>
                    <th scope="col">{t(Msg::Description)}</th>
                    <th scope="col">{t(Msg::Quantity)}</th>
                    <th scope="col">{t(Msg::Unit)}</th>
                    <th scope="col">{t(Msg::UnitPriceExclTax)}</th>
                    <th scope="col">{t(Msg::LineDiscount)}</th>
                    <th scope="col">{t(Msg::TaxRate)}</th>
                </tr></thead>
                <tbody>
                    {move || (0..rows.get()).map(|i| {
                        let l = lines.get(i).cloned().unwrap_or_else(|| LineForm {
                            vat: VatCategory::Standard20.as_str().into(),
                            ..Default::default()
                        });
                        let name = move |f: &str| format!("form[lines][{i}][{f}]");
                        let chosen = VatCategory::parse(&l.vat).unwrap_or(VatCategory::Standard20);
                        view! {
                            <tr data-testid="draft-line">
                                <td data-label=t(Msg::Description)><input name=name("description") maxlength="500" value=l.description.clone() aria-label=move || Msg::Description.text(locale.get())/>
                                    {field(format!("lines.{i}.description"))}</td>
                                <td data-label=t(Msg::Quantity)><input name=name("quantity") inputmode="decimal" size="6" value=l.quantity.clone() aria-label=move || Msg::Quantity.text(locale.get())/>
                                    {field(format!("lines.{i}.quantity"))}</td>
                                <td data-label=t(Msg::Unit)><input name=name("unit") maxlength="20" size="5" value=l.unit.clone() aria-label=move || Msg::Unit.text(locale.get())/></td>
                                <td data-label=t(Msg::UnitPriceExclTax)><input name=name("unit_price") inputmode="decimal" size="9" value=l.unit_price.clone() aria-label=move || Msg::UnitPriceExclTax.text(locale.get())/>
                                    {field(format!("lines.{i}.unit_price"))}</td>
                                <td data-label=t(Msg::LineDiscount)><input name=name("discount") inputmode="decimal" size="4" value=l.discount.clone() placeholder="%" aria-label=move || Msg::LineDiscount.text(locale.get())/>
                                    {field(format!("lines.{i}.discount"))}</td>
                                <td data-label=t(Msg::TaxRate)><select name=name("vat") aria-label=move || Msg::TaxRate.text(locale.get())>
                                    {VatCategory::ALL.into_iter().map(|v| view! {
                                        <option value=v.as_str() selected=v == chosen>{t(vat_msg(v))}</option>
                                    }).collect_view()}
                                </select>{field(format!("lines.{i}.vat"))}</td>
                            </tr>
                        }
                        .into_any()
                    }).collect_view()}
                </tbody>
            </table>
            {field("lines".into())}
            <p><button type="button" data-testid="add-line" on:click=move |_| rows.update(|n| *n += 1)>{t(Msg::AddLine)}</button></p>
    }
}

/// An account's drafts, with the way to start one.
#[component]
pub fn AccountDrafts(account_id: i64, can_invoice: bool) -> impl IntoView {
    let drafts = Resource::new(move || account_id, list_drafts);
    view! {
        <section data-testid="account-drafts">
            <div class="title-row">
                <h2>{t(Msg::Drafts)}</h2>
                {can_invoice.then(|| view! {
                    <a class="button primary" href=format!("/back/accounts/{account_id}/invoices/new") data-testid="new-invoice">{t(Msg::NewInvoice)}</a>
                })}
            </div>
            <Loaded resource=drafts view=move |list| if list.is_empty() {
                view! { <p class="muted">{t(Msg::NoDrafts)}</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {list.into_iter().map(|d| view! {
                            <li data-testid="draft-row"><a href=format!("/back/drafts/{}", d.id)>{t(Msg::DraftInvoice)} " #" {d.id}</a>
                                " · " <Amount money=d.total/> " · " <Day date=d.updated_at.date_naive()/></li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }/>
        </section>
    }
}

/// Owner or accountant, on an issued invoice: a credit note for all that
/// may still be credited or part of it, with its reason.
#[component]
pub fn CreditNoteForm(invoice_id: i64) -> impl IntoView {
    let credit = ServerAction::<CreditInvoice>::new();
    follow!(credit);
    let err = move || credit.value().get().and_then(|r| r.err());
    view! {
        <details class="card" data-testid="credit-note">
            <summary>{t(Msg::IssueCreditNote)}</summary>
            <ActionForm action=credit attr:class="stack narrow" attr:data-testid="credit-form">
                <input type="hidden" name="invoice_id" value=invoice_id.to_string()/>
                <label>{t(Msg::Amount)}
                    <input name="amount" inputmode="decimal" data-testid="credit-amount"/>
                    <span class="muted small">{t(Msg::CreditAmountHint)}</span>
                </label>
                <FieldError error=Signal::derive(err) name="amount"/>
                <label>{t(Msg::Reason)}
                    <textarea name="reason" rows="2" maxlength="500" required data-testid="credit-reason"></textarea>
                </label>
                <FieldError error=Signal::derive(err) name="reason"/>
                <button type="submit" data-testid="credit-submit">{t(Msg::IssueCreditNote)}</button>
                {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            </ActionForm>
        </details>
    }
}

/// Owner only, on an issued invoice that still owes: writes off a bad
/// debt, all of it or part, with its reason.
#[component]
pub fn WriteOffForm(invoice_id: i64) -> impl IntoView {
    let action = ServerAction::<WriteOff>::new();
    follow!(action);
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <details class="card" data-testid="write-off">
            <summary>{t(Msg::WriteOff)}</summary>
            <ActionForm action=action attr:class="stack narrow" attr:data-testid="write-off-form">
                <input type="hidden" name="invoice_id" value=invoice_id.to_string()/>
                <label>{t(Msg::Amount)}
                    <input name="amount" inputmode="decimal" data-testid="write-off-amount"/>
                    <span class="muted small">{t(Msg::WriteOffHint)}</span>
                </label>
                <FieldError error=Signal::derive(err) name="amount"/>
                <label>{t(Msg::Reason)}
                    <textarea name="reason" rows="2" maxlength="500" required data-testid="write-off-reason"></textarea>
                </label>
                <FieldError error=Signal::derive(err) name="reason"/>
                <button type="submit" data-testid="write-off-submit">{t(Msg::WriteOff)}</button>
                {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            </ActionForm>
        </details>
    }
}

/// Staff who may invoice the account: sends the invoice by e-mail.
#[component]
pub fn SendInvoiceButton(invoice_id: i64) -> impl IntoView {
    let action = ServerAction::<SendInvoice>::new();
    follow!(action);
    let query = leptos_router::hooks::use_query_map();
    let sent = move || query.read().get("sent").is_some_and(|v| v == "1");
    view! {
        <ActionForm action=action attr:class="inline" attr:data-testid="send-invoice-form">
            <input type="hidden" name="invoice_id" value=invoice_id.to_string()/>
            <button type="submit" data-testid="send-invoice" disabled=move || action.pending().get()>{t(Msg::SendInvoice)}</button>
        </ActionForm>
        {move || sent().then(|| view! { <p class="alert ok" role="status" data-testid="invoice-sent">{t(Msg::InvoiceSentNote)}</p> })}
        {move || action.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
    }
}

fn frequency_msg(f: super::rules::Frequency) -> Msg {
    match f {
        super::rules::Frequency::Monthly => Msg::Monthly,
        super::rules::Frequency::Quarterly => Msg::Quarterly,
        super::rules::Frequency::Yearly => Msg::Yearly,
    }
}

/// `/back/accounts/:id/recurring/new`: lines and a schedule.
#[component]
pub fn NewRecurringPage() -> impl IntoView {
    let params = use_params_map();
    let account = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let editor = Resource::new(account, |account| get_draft(None, Some(account)));
    view! {
        <Page roles=STAFF title=Msg::NewRecurring>
            <Loaded resource=editor view=|e| view! { <RecurringForm editor=e/> }.into_any()/>
        </Page>
    }
}

#[component]
fn RecurringForm(editor: DraftEditor) -> impl IntoView {
    let save = ServerAction::<SaveRecurring>::new();
    follow!(save);
    let err = move || save.value().get().and_then(|r| r.err());
    let field = move |name: &'static str| view! { <FieldError error=Signal::derive(err) name=name/> };
    let a = editor.account;
    view! {
        <p><a href=format!("/back/accounts/{}", a.id)>"← " {a.legal_name.clone()}</a></p>
        <h1>{t(Msg::NewRecurring)} " " <small class="muted">{a.legal_name.clone()} " · " {a.code.clone()}</small></h1>
        <p class="muted">{t(Msg::RecurringIntro)}</p>
        {move || err().map(|e| view! { <ErrorMessage error=e/> })}
        {view! { <ActionForm action=save attr:class="stack" attr:data-testid="recurring-form">
            <input type="hidden" name="account_id" value=a.id.to_string()/>
            <div class="controls">
                <label>{t(Msg::Frequency)}
                    <select name="frequency" data-testid="recurring-frequency">
                        {super::rules::Frequency::ALL.into_iter().map(|f| view! {
                            <option value=f.as_str()>{t(frequency_msg(f))}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{t(Msg::StartDate)}
                    <input type="date" name="start_date" data-testid="recurring-start"/>
                    {field("start_date")}
                </label>
                <label>{t(Msg::EndDate)}
                    <input type="date" name="end_date"/>
                    {field("end_date")}
                </label>
            </div>
            <LineRows lines=editor.form.lines error=Signal::derive(err)/>
            <label>{t(Msg::InvoiceNote)}
                <textarea name="form[note]" rows="2" maxlength="2000"></textarea>
            </label>
            <button type="submit" class="primary" data-testid="save-recurring" disabled=move || save.pending().get()>{t(Msg::SaveRecurring)}</button>
        </ActionForm> }.into_any()}
    }
}

/// An account's recurring invoices, with the way to start one and to stop
/// each.
#[component]
pub fn AccountRecurring(account_id: i64) -> impl IntoView {
    let stop = ServerAction::<StopRecurring>::new();
    let list = Resource::new(move || (account_id, stop.version().get()), |(account_id, _)| list_recurring(account_id));
    view! {
        <section data-testid="account-recurring">
            <div class="title-row">
                <h2>{t(Msg::RecurringInvoices)}</h2>
                <a class="button" href=format!("/back/accounts/{account_id}/recurring/new") data-testid="new-recurring">{t(Msg::NewRecurring)}</a>
            </div>
            <Loaded resource=list view=move |items| if items.is_empty() {
                view! { <p class="muted">{t(Msg::NoRecurring)}</p> }.into_any()
            } else {
                view! {
                    <table class="data">
                        <thead><tr>
                            <th scope="col">{t(Msg::Frequency)}</th>
                            <th scope="col">{t(Msg::NextInvoice)}</th>
                            <th scope="col" class="num">{t(Msg::IssuedSoFar)}</th>
                            <th scope="col" class="num">{t(Msg::Total)}</th>
                            <th scope="col"></th>
                        </tr></thead>
                        <tbody>
                            {items.into_iter().map(|r| {
                                let active = r.status == super::RecurringStatus::Active;
                                view! {
                                    <tr data-testid="recurring-row">
                                        <td data-label=t(Msg::Frequency)>{t(frequency_msg(r.frequency))}</td>
                                        <td data-label=t(Msg::NextInvoice)>{if active { view! { <Day date=r.next_date/> }.into_any() } else { view! { <span class="badge void">{t(Msg::Stopped)}</span> }.into_any() }}</td>
                                        <td data-label=t(Msg::IssuedSoFar) class="num" data-testid="recurring-issued">{r.issued}</td>
                                        <td data-label=t(Msg::Total) class="num"><Amount money=r.total/></td>
                                        <td>{active.then(|| view! {
                                            <ActionForm action=stop attr:class="inline">
                                                <input type="hidden" name="id" value=r.id.to_string()/>
                                                <button type="submit" class="link" data-testid="stop-recurring">{t(Msg::StopRecurring)}</button>
                                            </ActionForm>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }/>
        </section>
    }
}
