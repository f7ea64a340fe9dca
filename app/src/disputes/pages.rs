//! Dispute pages: the client opens one from an invoice
//! (`/portal/dispute?inv=…`) and follows its disputes (`/portal/disputes`,
//! `/portal/disputes/:id`); staff work the queues (`/back/disputes`) and
//! one dispute (`/back/disputes/:id`). The forms that carry files post
//! `multipart/form-data` to their server function: through wasm when it
//! is loaded, as a plain form otherwise.

use super::*;
use crate::components::{
    field_error, page_param, Amount, Day, ErrorMessage, Loaded, Page, Pager, QueueTabs, Status, StatusBadge, Tone,
};
use crate::domain::Role;
use crate::i18n::{t, use_locale};
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use wasm_bindgen::JsCast;
use web_sys::FormData;

const CLIENT: &[Role] = &[Role::Client];
const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];
const EVERYONE: &[Role] = &[Role::Client, Role::Owner, Role::Collector, Role::Accountant];

use crate::components::follow_target as follow;

/// A form whose submission (files included) goes through `action`.
type UploadAction = Action<FormData, Result<DisputeDone, AppError>>;

fn open_action() -> UploadAction {
    Action::new_local(|data: &FormData| open_dispute(data.clone().into()))
}

fn post_action() -> UploadAction {
    Action::new_local(|data: &FormData| post_dispute_message(data.clone().into()))
}

#[component]
fn UploadForm(action: UploadAction, endpoint: &'static str, testid: &'static str, children: Children) -> impl IntoView {
    let submit = move |ev: web_sys::SubmitEvent| {
        ev.prevent_default();
        if let Some(form) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok()) {
            if let Ok(data) = FormData::new_with_form(&form) {
                action.dispatch_local(data);
            }
        }
    };
    view! {
        <form method="post" action=endpoint enctype="multipart/form-data" class="stack narrow" data-testid=testid on:submit=submit>
            {children()}
        </form>
    }
}

fn attachment_input() -> impl IntoView {
    view! {
        <label>{t(Msg::Attachments)}
            <input type="file" name="attachments" multiple accept="application/pdf,image/png,image/jpeg,image/webp" data-testid="dispute-files"/>
        </label>
        <p class="muted small">{t(Msg::AttachmentsHint)}</p>
    }
}

fn shown_error(error: Option<AppError>) -> Option<impl IntoView> {
    error.filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })
}

fn field(error: &Option<AppError>, name: &str) -> Option<impl IntoView> {
    field_error(error, name)
        .map(|m| view! { <span class="field-error" role="alert" data-testid=format!("error-{name}")>{t(m)}</span> })
}

impl Status for DisputeStatus {
    const TESTID: &'static str = "dispute-status";

    fn tone(self) -> Tone {
        match self {
            DisputeStatus::Approved | DisputeStatus::PartiallyApproved => Tone::Good,
            DisputeStatus::Rejected => Tone::Bad,
            DisputeStatus::Closed => Tone::Void,
            DisputeStatus::Open | DisputeStatus::UnderReview => Tone::Partial,
        }
    }

    fn label(self) -> Msg {
        self.msg()
    }
}

// ---------------------------------------------------------------- client

#[component]
pub fn NewDisputePage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::DisputeTitle>
            <NewDisputeBody/>
        </Page>
    }
}

#[component]
fn NewDisputeBody() -> impl IntoView {
    let query = use_query_map();
    let invoice = move || query.read().get("inv").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new(invoice, crate::invoices::get_invoice);
    let action = open_action();
    follow!(action);
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <h1>{t(Msg::DisputeTitle)}</h1>
        <p class="muted">{t(Msg::DisputeIntro)}</p>
        <Loaded resource=detail on_error=|e| view! { <ErrorMessage error=e/> <p><a href="/portal">{t(Msg::BackToOverview)}</a></p> }.into_any() view=move |d| {
                        let s = d.summary.clone();
                        view! {
                            <dl class="facts">
                                <div><dt>{t(Msg::Invoice)}</dt><dd><a href=format!("/portal/invoices/{}", s.id)>{s.number.clone()}</a></dd></div>
                                <div><dt>{t(Msg::Total)}</dt><dd><Amount money=s.total/></dd></div>
                                <div><dt>{t(Msg::AmountDue)}</dt><dd><Amount money=s.balance/></dd></div>
                            </dl>
                            {move || shown_error(error())}
                            <UploadForm action=action endpoint="/api/disputes/open" testid="dispute-form">
                                <input type="hidden" name="invoice_id" value=s.id.to_string()/>
                                <label>{t(Msg::DisputeReason)}
                                    <select name="reason" required data-testid="dispute-reason">
                                        <option value="">{t(Msg::ChooseOne)}</option>
                                        {DisputeReason::ALL.into_iter().map(|r| view! { <option value=r.as_str()>{t(r.msg())}</option> }).collect_view()}
                                    </select>
                                </label>
                                {move || field(&error(), "reason")}
                                <fieldset>
                                    <legend>{t(Msg::DisputeWhat)}</legend>
                                    <label class="choice"><input type="radio" name="scope" value="invoice" checked data-testid="scope-invoice"/> " " {t(Msg::DisputeWholeInvoice)}</label>
                                    <label class="choice"><input type="radio" name="scope" value="lines" data-testid="scope-lines"/> " " {t(Msg::DisputeSomeLines)}</label>
                                    <ul class="plain indent">
                                        {d.lines.iter().enumerate().map(|(i, l)| {
                                            let gross = Money::new(l.net.minor + l.tax.minor, l.net.currency);
                                            view! {
                                                <li><label class="choice"><input type="checkbox" name="line" value=(i + 1).to_string() data-testid="dispute-line"/>
                                                    " " {l.description.clone()} " — " <Amount money=gross/></label></li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                    {move || field(&error(), "lines")}
                                    <label class="choice"><input type="radio" name="scope" value="amount" data-testid="scope-amount"/> " " {t(Msg::DisputeAnAmount)}</label>
                                    <input name="amount" inputmode="decimal" class="indent" aria-label=move || Msg::DisputedAmount.text(use_locale().get()) data-testid="dispute-amount"/>
                                    {move || field(&error(), "amount")}
                                </fieldset>
                                <label>{t(Msg::Message)}
                                    <textarea name="message" rows="4" maxlength="5000" required data-testid="dispute-message"></textarea>
                                </label>
                                {move || field(&error(), "message")}
                                {attachment_input()}
                                {move || field(&error(), "attachments")}
                                <button type="submit" class="primary" data-testid="dispute-submit" disabled=move || action.pending().get()>{t(Msg::DisputeSubmit)}</button>
                            </UploadForm>
                        }.into_any()
                    }
        />
    }
}

#[component]
pub fn MyDisputesPage() -> impl IntoView {
    let page = page_param("page");
    let data = Resource::new(
        move || page.get(),
        |page| list_disputes(DisputeQuery { queue: Some(DisputeQueue::All), page, ..Default::default() }),
    );
    view! {
        <Page roles=CLIENT title=Msg::Disputes>
            <h1>{t(Msg::Disputes)}</h1>
            <p class="muted">{t(Msg::DisputesExplained)}</p>
            <Loaded resource=data view=|l: DisputeListing| view! {
                <DisputeTable items=l.items staff=false/>
                <Pager page=l.page page_count=l.page_count base="/portal/disputes".to_string()/>
            }.into_any()/>
        </Page>
    }
}

/// Disputes as a table, each linking to its page.
#[component]
pub fn DisputeTable(items: Vec<DisputeSummary>, staff: bool) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted" data-testid="no-disputes">{t(Msg::NoDisputes)}</p> }.into_any();
    }
    let base = if staff { "/back/disputes" } else { "/portal/disputes" };
    view! {
        <table class="data" data-testid="disputes-table">
            <thead><tr>
                {staff.then(|| view! { <th scope="col">{t(Msg::Account)}</th> })}
                <th scope="col">{t(Msg::Invoice)}</th>
                <th scope="col">{t(Msg::DisputeReason)}</th>
                <th scope="col" class="num">{t(Msg::DisputedAmount)}</th>
                <th scope="col">{t(Msg::Status)}</th>
                <th scope="col">{t(Msg::OpenedOn)}</th>
                {staff.then(|| view! { <th scope="col" class="num">{t(Msg::AgeDays)}</th> })}
            </tr></thead>
            <tbody>
                {items.into_iter().map(|d| view! {
                    <tr data-testid="dispute-row">
                        {staff.then(|| view! { <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", d.account_id)>{d.account_name.clone()}</a></td> })}
                        <td data-label=t(Msg::Invoice)><a href=format!("{base}/{}", d.id) data-testid="dispute-link">{d.invoice_number.clone()}</a></td>
                        <td data-label=t(Msg::DisputeReason)>{t(d.reason.msg())}</td>
                        <td data-label=t(Msg::DisputedAmount) class="num"><Amount money=d.amount/></td>
                        <td data-label=t(Msg::Status)>
                            <StatusBadge status=d.status/>
                            {d.approved.is_positive().then(|| view! { " " <span class="muted small">{t(Msg::Credited)} " " <Amount money=d.approved/></span> })}
                            {(staff && d.status.in_progress()).then(|| d.proposed.map(|p| view! { <div class="muted small">{t(Msg::Proposed)} " " <Amount money=p/></div> })).flatten()}
                        </td>
                        <td data-label=t(Msg::OpenedOn)><Day date=d.created_at.date_naive()/></td>
                        {staff.then(|| view! { <td data-label=t(Msg::AgeDays) class="num">{d.age_days}</td> })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

// ---------------------------------------------------------------- one dispute

#[component]
pub fn DisputePage() -> impl IntoView {
    view! {
        <Page roles=EVERYONE title=Msg::Dispute>
            <DisputeBody/>
        </Page>
    }
}

#[component]
fn DisputeBody() -> impl IntoView {
    let params = use_params_map();
    let staff_path = use_location().pathname.get_untracked().starts_with("/back");
    let back = if staff_path { "/back/disputes" } else { "/portal/disputes" };
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let post = post_action();
    let decide = ServerAction::<DecideDispute>::new();
    let close = ServerAction::<CloseDispute>::new();
    follow!(post);
    follow!(decide);
    follow!(close);
    let detail = Resource::new(id, get_dispute);
    let post_error = move || post.value().get().and_then(|r| r.err());
    let decide_error = move || decide.value().get().and_then(|r| r.err());
    view! {
        <p><a href=back>"← " {t(Msg::Disputes)}</a></p>
        <Loaded resource=detail view=move |d| {
                        let s = d.summary.clone();
                        let staff = staff_path;
                        let invoice_href = if staff { format!("/back/invoices/{}", s.invoice_id) } else { format!("/portal/invoices/{}", s.invoice_id) };
                        let disputed = s.amount;
                        view! {
                            <div class="title-row">
                                <h1>{t(Msg::Dispute)} " — " {t(Msg::Invoice)} " " {s.invoice_number.clone()}</h1>
                                <StatusBadge status=s.status/>
                            </div>
                            <dl class="facts">
                                {staff.then(|| view! { <div><dt>{t(Msg::Account)}</dt><dd><a href=format!("/back/accounts/{}", s.account_id)>{s.account_name.clone()}</a></dd></div> })}
                                <div><dt>{t(Msg::Invoice)}</dt><dd><a href=invoice_href>{s.invoice_number.clone()}</a></dd></div>
                                <div><dt>{t(Msg::DisputeReason)}</dt><dd>{t(s.reason.msg())}</dd></div>
                                <div><dt>{t(Msg::DisputedAmount)}</dt><dd data-testid="disputed-amount"><Amount money=s.amount/></dd></div>
                                <div><dt>{t(Msg::OpenedOn)}</dt><dd><Day date=s.created_at.date_naive()/> {staff.then(|| view! { " (" {s.age_days} " " {t(Msg::Days)} ")" })}</dd></div>
                                {(staff && s.status.in_progress()).then(|| s.proposed.map(|p| view! {
                                    <div><dt>{t(Msg::Proposed)}</dt><dd data-testid="proposed-amount"><Amount money=p/></dd></div>
                                })).flatten()}
                                {s.status.decided().then(|| view! { <div><dt>{t(Msg::Credited)}</dt><dd data-testid="approved-amount"><Amount money=s.approved/></dd></div> })}
                            </dl>
                            {(!d.lines.is_empty()).then(|| view! {
                                <h2>{t(Msg::DisputedLines)}</h2>
                                <ul data-testid="disputed-lines">
                                    {d.lines.iter().map(|l| view! { <li>{l.description.clone()} " — " <Amount money=l.gross/></li> }).collect_view()}
                                </ul>
                            })}
                            {d.credit_note.clone().map(|c| view! {
                                <div class="notice success" data-testid="credit-note">
                                    {t(Msg::CreditNote)} " " <strong data-testid="credit-note-number">{c.number.clone()}</strong> " — " <Amount money=c.amount/> " — " <Day date=c.issued_on/>
                                    " " <a class="button" href=format!("/credit-notes/{}/pdf", c.id) download data-testid="credit-note-pdf">{t(Msg::DownloadPdf)}</a>
                                </div>
                            })}
                            {(!d.decision_note.is_empty()).then(|| view! {
                                <p data-testid="decision-note"><strong>{t(Msg::DecisionNote)} ": "</strong> {d.decision_note.clone()}</p>
                            })}
                            <h2>{t(Msg::Thread)}</h2>
                            <ol class="thread" data-testid="dispute-thread">
                                {d.messages.iter().map(|m| thread_item(m.clone())).collect_view()}
                            </ol>
                            {d.can_post.then(|| view! {
                                <section>
                                    <h2>{t(if staff { Msg::Reply } else { Msg::AddMessage })}</h2>
                                    {move || shown_error(post_error())}
                                    <UploadForm action=post endpoint="/api/disputes/post" testid="dispute-post-form">
                                        <input type="hidden" name="id" value=s.id.to_string()/>
                                        {d.can_review.then(|| view! {
                                            <fieldset>
                                                <legend>{t(Msg::MessageKindLabel)}</legend>
                                                <label class="choice"><input type="radio" name="kind" value="message" checked/> " " {t(Msg::KindMessage)}</label>
                                                <label class="choice"><input type="radio" name="kind" value="info_request" data-testid="kind-info"/> " " {t(Msg::KindInfoRequest)}</label>
                                                <label class="choice"><input type="radio" name="kind" value="proposal" data-testid="kind-proposal"/> " " {t(Msg::KindProposal)}</label>
                                                <input name="amount" inputmode="decimal" class="indent" placeholder=move || disputed.format(use_locale().get())
                                                    aria-label=move || Msg::ProposedAmount.text(use_locale().get()) data-testid="proposal-amount"/>
                                                {move || field(&post_error(), "amount")}
                                            </fieldset>
                                        })}
                                        <label>{t(Msg::Message)}
                                            <textarea name="body" rows="3" maxlength="5000" data-testid="dispute-body"></textarea>
                                        </label>
                                        {move || field(&post_error(), "body")}
                                        {attachment_input()}
                                        {move || field(&post_error(), "attachments")}
                                        <button type="submit" class="primary" data-testid="dispute-send" disabled=move || post.pending().get()>{t(Msg::Send)}</button>
                                    </UploadForm>
                                </section>
                            })}
                            {d.can_decide.then(|| view! {
                                <section data-testid="dispute-decide">
                                    <h2>{t(Msg::Decide)}</h2>
                                    {move || shown_error(decide_error())}
                                    <ActionForm action=decide attr:class="stack narrow" attr:data-testid="dispute-decide-form">
                                        <input type="hidden" name="id" value=s.id.to_string()/>
                                        <label class="choice"><input type="radio" name="decision" value="approve" checked data-testid="decision-approve"/> " " {t(Msg::ApproveDispute)}</label>
                                        <label class="indent">{t(Msg::ApprovedAmount)}
                                            <input name="amount" inputmode="decimal" placeholder=move || disputed.format(use_locale().get()) data-testid="decision-amount"/>
                                        </label>
                                        <p class="muted small indent">{t(Msg::ApprovedAmountHint)}</p>
                                        {move || field(&decide_error(), "amount")}
                                        <label class="choice"><input type="radio" name="decision" value="reject" data-testid="decision-reject"/> " " {t(Msg::RejectDispute)}</label>
                                        <label>{t(Msg::DecisionNote)}
                                            <textarea name="note" rows="2" maxlength="2000" data-testid="decision-note-input"></textarea>
                                        </label>
                                        {move || field(&decide_error(), "note")}
                                        <button type="submit" class="primary" data-testid="decision-submit" disabled=move || decide.pending().get()>{t(Msg::RecordDecision)}</button>
                                    </ActionForm>
                                </section>
                            })}
                            {d.can_close.then(|| {
                                let label = if !staff && s.status.in_progress() { Msg::WithdrawDispute } else { Msg::CloseDispute };
                                view! {
                                    {move || close.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
                                    <ActionForm action=close attr:class="inline">
                                        <input type="hidden" name="id" value=s.id.to_string()/>
                                        <button type="submit" data-testid="dispute-close">{t(label)}</button>
                                    </ActionForm>
                                }
                            })}
                        }.into_any()
                    }/>
    }
}

fn thread_item(m: ThreadMessage) -> impl IntoView {
    let class = match (m.kind, m.author_is_staff) {
        (MessageKind::Status, _) => "event",
        (MessageKind::Proposal, _) => "staff internal",
        (_, true) => "staff",
        (_, false) => "client",
    };
    let status_text = match (m.kind, m.body.as_str()) {
        (MessageKind::Status, "under_review") => Some(Msg::EventUnderReview),
        (MessageKind::Status, "withdrawn") => Some(Msg::EventWithdrawn),
        (MessageKind::Status, "closed") => Some(Msg::EventClosed),
        _ => None,
    };
    let label = match m.kind {
        MessageKind::InfoRequest => Some(Msg::KindInfoRequest),
        MessageKind::Proposal => Some(Msg::KindProposal),
        MessageKind::Decision => Some(Msg::DecisionNote),
        _ => None,
    };
    let body = m.body.clone();
    view! {
        <li class=class data-testid="thread-item" data-kind=m.kind.as_str()>
            <div class="meta"><strong>{m.author_name.clone()}</strong> " — " <Day date=m.created_at.date_naive()/>
                {label.map(|l| view! { " — " <em>{t(l)}</em> })}</div>
            {match status_text {
                Some(msg) => view! { <p>{t(msg)}</p> }.into_any(),
                None => view! { <p class="body">{body}</p> }.into_any(),
            }}
            {(!m.attachments.is_empty()).then(|| view! {
                <ul class="attachments">
                    {m.attachments.iter().map(|a| view! {
                        <li><a href=format!("/disputes/attachments/{}", a.id) data-testid="attachment-link">{a.file_name.clone()}</a>
                            " " <span class="muted small">{format!("({} ko)", (a.size_bytes + 1023) / 1024)}</span></li>
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
}

// ---------------------------------------------------------------- staff

#[component]
pub fn BackDisputesPage() -> impl IntoView {
    let query = use_query_map();
    let queue = move || query.read().get("queue").unwrap_or_else(|| "in_progress".into());
    let page = page_param("page");
    let data = Resource::new(
        move || (queue(), page.get()),
        |(queue, page)| async move {
            // An unknown tab is not "all": say so.
            let queue = DisputeQueue::parse(&queue).ok_or(AppError::field("queue", Msg::UnknownList))?;
            list_disputes(DisputeQuery { queue: Some(queue), page, ..Default::default() }).await
        },
    );
    view! {
        <Page roles=STAFF title=Msg::Disputes>
            <h1>{t(Msg::Disputes)}</h1>
            <Loaded resource=data with_fields=true view=move |l| {
                            let current = queue();
                            let base = format!("/back/disputes?queue={current}");
                            view! {
                                <QueueTabs
                                    tabs=l.counts.iter().map(|(q, n)| (q.as_str(), q.msg(), Some(*n))).collect()
                                    current=Signal::stored(current)
                                    href=|key| format!("/back/disputes?queue={key}")
                                    testid="dispute-queues"
                                />
                                <DisputeTable items=l.items staff=true/>
                                <Pager page=l.page page_count=l.page_count base=base/>
                            }.into_any()
                        }
            />
        </Page>
    }
}

/// On the back-office account page and the invoice page: the disputes of
/// an account or of an invoice.
#[component]
pub fn DisputesOf(
    #[prop(optional)] account_id: Option<i64>,
    #[prop(optional)] invoice_id: Option<i64>,
    staff: bool,
) -> impl IntoView {
    // Its own page parameter: the page around it has lists of its own.
    let page = page_param("disputes_page");
    let path = leptos_router::hooks::use_location().pathname;
    let data = Resource::new(
        move || (account_id, invoice_id, page.get()),
        |(account_id, invoice_id, page)| {
            list_disputes(DisputeQuery { queue: Some(DisputeQueue::All), account_id, invoice_id, page })
        },
    );
    view! {
        <Loaded resource=data quiet=true view=move |v| match v {
                    l if l.items.is_empty() && invoice_id.is_some() => ().into_any(),
                    l => view! {
                        <section data-testid="disputes-of">
                            <h2>{t(Msg::Disputes)}</h2>
                            <DisputeTable items=l.items staff=staff/>
                            {(l.page_count > 1).then(|| view! {
                                <Pager page=l.page page_count=l.page_count base=path.get_untracked() param="disputes_page"/>
                            })}
                        </section>
                    }.into_any(),
        }/>
    }
}
