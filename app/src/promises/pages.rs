//! Promise pages: the client promises a date (`/portal/promise?inv=…`) and
//! follows its promises (`/portal/promises`); staff work the queues
//! (`/back/promises`) and record a promise made by phone on the account
//! page. Every form is a plain POST that works without wasm.

use super::*;
use crate::components::{
    page_param, Amount, Day, ErrorMessage, FieldError, Loaded, Page, Pager, QueueTabs, Status, StatusBadge, Tone,
};
use crate::domain::Role;
use crate::i18n::{t, use_locale};
use leptos_router::hooks::use_query_map;

const CLIENT: &[Role] = &[Role::Client];
const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

use crate::components::follow_target as follow;

impl Status for PromiseStatus {
    const TESTID: &'static str = "promise-status";

    fn tone(self) -> Tone {
        match self {
            PromiseStatus::Kept => Tone::Good,
            PromiseStatus::Broken | PromiseStatus::Rejected => Tone::Bad,
            PromiseStatus::Cancelled => Tone::Void,
            PromiseStatus::Active | PromiseStatus::PendingApproval => Tone::Open,
        }
    }

    fn label(self) -> Msg {
        self.msg()
    }
}

// ---------------------------------------------------------------- client

#[component]
pub fn PromisePage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::PromiseTitle>
            <PromiseBody/>
        </Page>
    }
}

#[component]
fn PromiseBody() -> impl IntoView {
    let query = use_query_map();
    let invoices = move || {
        let q = query.read();
        let mut ids = q.get_all("inv").unwrap_or_default();
        if let Some(list) = q.get("invoices") {
            ids.push(list);
        }
        ids.join(",")
    };
    let quote = Resource::new(invoices, get_promise_quote);
    let action = ServerAction::<CreatePromise>::new();
    follow!(action);
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <h1>{t(Msg::PromiseTitle)}</h1>
        <p class="muted">{t(Msg::PromiseIntro)}</p>
        <Loaded resource=quote on_error=|e| view! { <ErrorMessage error=e/> <p><a href="/portal">{t(Msg::BackToOverview)}</a></p> }.into_any() view=move |q| {
                        let total = q.total;
                        view! {
                            <table class="data" data-testid="promise-invoices">
                                <thead><tr>
                                    <th scope="col">{t(Msg::Number)}</th>
                                    <th scope="col">{t(Msg::DueDate)}</th>
                                    <th scope="col" class="num">{t(Msg::AmountDue)}</th>
                                </tr></thead>
                                <tbody>
                                    {q.invoices.iter().map(|l| view! {
                                        <tr><td data-label=t(Msg::Number)>{l.number.clone()}</td><td data-label=t(Msg::DueDate)><Day date=l.due_date/></td><td data-label=t(Msg::AmountDue) class="num"><Amount money=l.balance/></td></tr>
                                    }).collect_view()}
                                </tbody>
                                <tfoot><tr class="total"><th colspan="2" scope="row">{t(Msg::Total)}</th>
                                    <td class="num"><Amount money=total/></td></tr></tfoot>
                            </table>
                            {move || error().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
                            <ActionForm action=action attr:class="stack narrow" attr:data-testid="promise-form">
                                <input type="hidden" name="invoices" value=invoices()/>
                                <label>{t(Msg::PromisedDate)}
                                    <input type="date" name="promised_date" required min=q.today.to_string() max=q.latest_date.to_string() data-testid="promise-date"/>
                                </label>
                                <FieldError error=Signal::derive(error) name="promised_date"/>
                                <label>{t(Msg::PromisedAmount)}
                                    <input name="amount" inputmode="decimal" placeholder=move || total.format(use_locale().get()) data-testid="promise-amount"/>
                                </label>
                                <p class="muted small">{t(Msg::PromiseAmountHint)}</p>
                                <FieldError error=Signal::derive(error) name="amount"/>
                                <label>{t(Msg::Note)} <textarea name="note" rows="2" maxlength="1000"></textarea></label>
                                <button type="submit" class="primary" data-testid="promise-submit" disabled=move || action.pending().get()>{t(Msg::PromiseSubmit)}</button>
                            </ActionForm>
                        }.into_any()
                    }
        />
    }
}

#[component]
pub fn MyPromisesPage() -> impl IntoView {
    let cancel = ServerAction::<CancelPromise>::new();
    follow!(cancel);
    let page = page_param("page");
    let data = Resource::new(
        move || (page.get(), cancel.version().get()),
        |(page, _)| list_promises(PromiseQuery { page, ..Default::default() }),
    );
    view! {
        <Page roles=CLIENT title=Msg::Promises>
            <h1>{t(Msg::Promises)}</h1>
            <p class="muted">{t(Msg::PromisesExplained)}</p>
            {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
            <Loaded resource=data view=move |p: PromiseListing| view! {
                <PromiseTable items=p.items staff=false cancel=Some(cancel) decide=None/>
                <Pager page=p.page page_count=p.page_count more=p.more base="/portal/promises".to_string()/>
            }.into_any()/>
        </Page>
    }
}

/// Promises as a table; the client may cancel its open ones, staff decide
/// pending ones.
#[component]
fn PromiseTable(
    items: Vec<PromiseView>,
    staff: bool,
    cancel: Option<ServerAction<CancelPromise>>,
    decide: Option<ServerAction<DecidePromise>>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted" data-testid="no-promises">{t(Msg::NoPromises)}</p> }.into_any();
    }
    view! {
        <table class="data" data-testid="promises-table">
            <thead><tr>
                {staff.then(|| view! { <th scope="col">{t(Msg::Account)}</th> })}
                <th scope="col">{t(Msg::PromisedDate)}</th>
                <th scope="col">{t(Msg::Invoices)}</th>
                <th scope="col" class="num">{t(Msg::Amount)}</th>
                <th scope="col">{t(Msg::Status)}</th>
                <th scope="col"><span class="visually-hidden">{t(Msg::Actions)}</span></th>
            </tr></thead>
            <tbody>
                {items.into_iter().map(|p| {
                    let id = p.id;
                    let numbers = p.invoices.iter().map(|i| i.number.clone()).collect::<Vec<_>>().join(", ");
                    let pending = p.status == PromiseStatus::PendingApproval;
                    view! {
                        <tr data-testid="promise-row">
                            {staff.then(|| view! { <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", p.account_id)>{p.account_name.clone()}</a></td> })}
                            <td data-label=t(Msg::PromisedDate)><Day date=p.promised_date/></td>
                            <td data-label=t(Msg::Invoices)>{numbers}</td>
                            <td data-label=t(Msg::Amount) class="num"><Amount money=p.amount/></td>
                            <td data-label=t(Msg::Status)>
                                <StatusBadge status=p.status/>
                                {(p.source == PromiseSource::Staff).then(|| view! { " " <span class="muted small">{t(Msg::PromiseByPhone)}</span> })}
                                {(!p.decision_note.is_empty()).then(|| view! { <div class="muted small">{t(Msg::Reason)} ": " {p.decision_note.clone()}</div> })}
                                {(!p.note.is_empty()).then(|| view! { <div class="muted small">{p.note.clone()}</div> })}
                            </td>
                            <td class="actions">
                                {cancel.filter(|_| p.status.cancellable()).map(|action| view! {
                                    <ActionForm action=action attr:class="inline">
                                        <input type="hidden" name="id" value=id.to_string()/>
                                        <button type="submit" class="link" data-testid="promise-cancel">{t(Msg::CancelPromise)}</button>
                                    </ActionForm>
                                })}
                                {decide.filter(|_| pending).map(|action| view! {
                                    <ActionForm action=action attr:class="inline">
                                        <input type="hidden" name="id" value=id.to_string()/>
                                        <input type="hidden" name="approve" value="true"/>
                                        <button type="submit" class="link" data-testid="promise-approve">{t(Msg::Approve)}</button>
                                    </ActionForm>
                                    <ActionForm action=action attr:class="inline">
                                        <input type="hidden" name="id" value=id.to_string()/>
                                        <input type="hidden" name="approve" value="false"/>
                                        <input name="reason" required maxlength="1000" placeholder=move || Msg::Reason.text(use_locale().get())/>
                                        <button type="submit" class="link" data-testid="promise-reject">{t(Msg::Reject)}</button>
                                    </ActionForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

// ---------------------------------------------------------------- staff

#[component]
pub fn BackPromisesPage() -> impl IntoView {
    let query = use_query_map();
    let queue = move || query.read().get("queue").unwrap_or_else(|| "due_today".into());
    let page = page_param("page");
    let decide = ServerAction::<DecidePromise>::new();
    follow!(decide);
    let data = Resource::new(
        move || (queue(), page.get(), decide.version().get()),
        |(queue, page, _)| async move {
            let q = match queue.as_str() {
                "active" => PromiseQuery { status: Some(PromiseStatus::Active), page, ..Default::default() },
                "all" => PromiseQuery { page, ..Default::default() },
                other => match PromiseQueue::parse(other) {
                    Some(queue) => PromiseQuery { queue: Some(queue), page, ..Default::default() },
                    // An unknown tab is not "all": say so.
                    None => return Err(AppError::field("queue", Msg::UnknownList)),
                },
            };
            list_promises(q).await
        },
    );
    view! {
        <Page roles=STAFF title=Msg::Promises>
            <h1>{t(Msg::Promises)}</h1>
            <QueueTabs
                tabs=vec![
                    ("due_today", Msg::QueueDueToday, None),
                    ("broken", Msg::QueueBroken, None),
                    ("pending", Msg::QueuePending, None),
                    ("active", Msg::PromiseActive, None),
                    ("all", Msg::FilterAll, None),
                ]
                current=Signal::derive(queue)
                href=|key| format!("/back/promises?queue={key}")
                testid="promise-queues"
            />
            {move || decide.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e with_fields=true/> })}
            <Loaded resource=data with_fields=true view=move |p| {
                            let base = format!("/back/promises?queue={}", queue());
                            view! {
                                <PromiseTable items=p.items staff=true cancel=None decide=Some(decide)/>
                                <Pager page=p.page page_count=p.page_count more=p.more base=base/>
                            }.into_any()
                        }
            />
        </Page>
    }
}

/// On the back-office account page: its promises, and (owner or its
/// collector) a form to record one made by phone.
#[component]
pub fn AccountPromises(account_id: i64) -> impl IntoView {
    let role = crate::shell::PageCtx::current().viewer.as_ref().map(|v| v.role);
    let can_record = matches!(role, Some(Role::Owner | Role::Collector));
    let record = ServerAction::<RecordPromise>::new();
    follow!(record);
    let decide = ServerAction::<DecidePromise>::new();
    follow!(decide);
    let cancel = ServerAction::<CancelPromise>::new();
    follow!(cancel);
    let page = page_param("promises_page");
    let data = Resource::new(
        move || (page.get(), decide.version().get(), cancel.version().get()),
        move |(page, _, _)| list_promises(PromiseQuery { account_id: Some(account_id), page, ..Default::default() }),
    );
    let open = Resource::new(
        move || account_id,
        |account_id| {
            crate::invoices::list_invoices(crate::invoices::InvoiceQuery {
                filter: crate::invoices::InvoiceFilter::Open,
                account_id: Some(account_id),
                ..Default::default()
            })
        },
    );
    let error = move || record.value().get().and_then(|r| r.err());
    view! {
        <section data-testid="account-promises">
            <h2>{t(Msg::Promises)}</h2>
            // A refused cancellation or decision (another tab settled it
            // first, a rejection without its reason) says so here.
            {move || cancel.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e with_fields=true/> })}
            {move || decide.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e with_fields=true/> })}
            <Loaded resource=data view=move |p: PromiseListing| view! {
                <PromiseTable items=p.items staff=false cancel=can_record.then_some(cancel) decide=can_record.then_some(decide)/>
                <Pager page=p.page page_count=p.page_count more=p.more base=format!("/back/accounts/{account_id}") param="promises_page"/>
            }.into_any()/>
            // The invoices' own section shows a failure to list them.
            {can_record.then(|| view! { <Loaded resource=open quiet=true on_error=|_| ().into_any() view=move |p| {
                // Invoices already under a promise cannot take another one.
                let open: Vec<(i64, String)> =
                    p.items.into_iter().filter(|i| i.state != crate::domain::InvoiceState::Promised).map(|i| (i.id, i.number)).collect();
                (!open.is_empty()).then(|| view! {
                <details>
                    <summary>{t(Msg::RecordPromise)}</summary>
                    {move || error().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
                    <ActionForm action=record attr:class="stack narrow" attr:data-testid="record-promise-form">
                        <input type="hidden" name="account_id" value=account_id.to_string()/>
                        <fieldset>
                            <legend>{t(Msg::Invoices)}</legend>
                            {open.iter().map(|(id, number)| view! {
                                <label class="choice"><input type="radio" name="invoices" value=id.to_string()/> " " {number.clone()}</label>
                            }).collect_view()}
                        </fieldset>
                        <FieldError error=Signal::derive(error) name="invoices"/>
                        <label>{t(Msg::PromisedDate)} <input type="date" name="promised_date" required/></label>
                        <FieldError error=Signal::derive(error) name="promised_date"/>
                        <label>{t(Msg::PromisedAmount)} <input name="amount" inputmode="decimal"/></label>
                        <FieldError error=Signal::derive(error) name="amount"/>
                        <label>{t(Msg::Note)} <textarea name="note" rows="2" maxlength="1000"></textarea></label>
                        <button type="submit" class="primary" data-testid="record-promise-submit">{t(Msg::RecordPromise)}</button>
                    </ActionForm>
                </details>
                }).into_any()
            }/> })}
        </section>
    }
}
