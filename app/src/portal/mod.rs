//! The client portal: overview, invoice list and invoice detail. The detail
//! page also serves the back-office (same data, scoped by the caller).

pub mod history;

use crate::components::{kind_msg, Amount, Day, Loaded, Page, Pager, StatusBadge};
use crate::domain::Role;
use crate::i18n::{t, Msg};
use crate::invoices::{
    get_invoice, get_overview, list_invoices, HistoryEvent, InvoiceFilter, InvoiceQuery, InvoiceSort, InvoiceSummary,
};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_location, use_params_map, use_query_map};

const CLIENT: &[Role] = &[Role::Client];
const EVERYONE: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant, Role::Client];

#[component]
pub fn OverviewPage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::Overview>
            <OverviewBody/>
        </Page>
    }
}

#[component]
fn OverviewBody() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <Loaded resource=overview view=move |o| {
                        let has_credit = o.credit.is_positive();
                        view! {
                            <h1>{o.legal_name.clone()}</h1>
                            <section class="cards" aria-label="summary">
                                <div class="card" data-testid="balance-due">
                                    <h2>{t(Msg::BalanceDue)}</h2>
                                    <p class="big"><Amount money=o.balance/></p>
                                </div>
                                <div class="card" class:warn=o.overdue.is_positive() data-testid="overdue-amount">
                                    <h2>{t(Msg::OverdueAmount)}</h2>
                                    <p class="big"><Amount money=o.overdue/></p>
                                </div>
                                <div class="card" data-testid="next-due">
                                    <h2>{t(Msg::NextDueDate)}</h2>
                                    <p class="big">{match o.next_due {
                                        Some(d) => view! { <Day date=d/> }.into_any(),
                                        None => view! { <span>{t(Msg::NothingDue)}</span> }.into_any(),
                                    }}</p>
                                </div>
                                {o.disputed.is_positive().then(|| view! {
                                    <div class="card" data-testid="disputed-total">
                                        <h2>{t(Msg::Disputed)}</h2>
                                        <p class="big"><Amount money=o.disputed/></p>
                                        <p><a href="/portal/disputes">{t(Msg::Disputes)}</a></p>
                                    </div>
                                })}
                                {has_credit.then(|| view! {
                                    <div class="card">
                                        <h2>{t(Msg::CreditAvailable)}</h2>
                                        <p class="big"><Amount money=o.credit/></p>
                                    </div>
                                })}
                            </section>
                            <crate::payments::pages::PayControls open=o.open_invoices.clone()/>
                            <section>
                                <h2>{t(Msg::OpenInvoices)}</h2>
                                <InvoiceTable items=o.open_invoices base="/portal/invoices" show_account=false/>
                                <p><A href="/portal/invoices?filter=all">{t(Msg::SeeAllInvoices)}</A></p>
                            </section>
                        }
                        .into_any()
                    }/>
    }
}

#[component]
pub fn InvoiceTable(items: Vec<InvoiceSummary>, base: &'static str, show_account: bool) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">{t(Msg::NoInvoices)}</p> }.into_any();
    }
    view! {
        <table class="data" data-testid="invoice-table">
            <thead>
                <tr>
                    <th scope="col">{t(Msg::Number)}</th>
                    {show_account.then(|| view! { <th scope="col">{t(Msg::Account)}</th> })}
                    <th scope="col">{t(Msg::IssueDate)}</th>
                    <th scope="col">{t(Msg::DueDate)}</th>
                    <th scope="col" class="num">{t(Msg::Amount)}</th>
                    <th scope="col" class="num">{t(Msg::AmountDue)}</th>
                    <th scope="col">{t(Msg::Status)}</th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|i| {
                    let href = format!("{base}/{}", i.id);
                    view! {
                        <tr data-testid="invoice-row">
                            <td data-label=t(Msg::Number)><a href=href>{i.number.clone()}</a></td>
                            {show_account.then(|| view! {
                                <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", i.account_id)>{i.account_name.clone()}</a></td>
                            })}
                            <td data-label=t(Msg::IssueDate)><Day date=i.issue_date/></td>
                            <td data-label=t(Msg::DueDate)><Day date=i.due_date/></td>
                            <td data-label=t(Msg::Amount) class="num"><Amount money=i.total/></td>
                            <td data-label=t(Msg::AmountDue) class="num"><Amount money=i.balance/></td>
                            <td data-label=t(Msg::Status)><StatusBadge status=i.state/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Reads filter, sort and page from the query string.
pub fn invoice_query_from_url() -> Memo<InvoiceQuery> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        InvoiceQuery {
            filter: q.get("filter").and_then(|f| InvoiceFilter::parse(&f)).unwrap_or_default(),
            sort: q.get("sort").and_then(|s| InvoiceSort::parse(&s)).unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
            account_id: q.get("account").and_then(|a| a.parse().ok()),
            search: q.get("q").filter(|s| !s.trim().is_empty()),
        }
    })
}

pub fn filter_msg(f: InvoiceFilter) -> Msg {
    match f {
        InvoiceFilter::Open => Msg::FilterOpen,
        InvoiceFilter::Overdue => Msg::FilterOverdue,
        InvoiceFilter::Paid => Msg::FilterPaid,
        InvoiceFilter::All => Msg::FilterAll,
    }
}

pub fn sort_msg(s: InvoiceSort) -> Msg {
    match s {
        InvoiceSort::DueAsc => Msg::SortDueAsc,
        InvoiceSort::DueDesc => Msg::SortDueDesc,
        InvoiceSort::AmountDesc => Msg::SortAmountDesc,
        InvoiceSort::Number => Msg::SortNumber,
    }
}

/// Filter tabs and a sort selector; a GET form, so it works without wasm.
#[component]
pub fn InvoiceControls(query: Memo<InvoiceQuery>, path: &'static str, with_search: bool) -> impl IntoView {
    let current = move || query.get();
    view! {
        <nav class="tabs" aria-label="filters">
            {InvoiceFilter::ALL.into_iter().map(|f| {
                let href = move || current().href(path, f);
                view! {
                    <a href=href class:active=move || current().filter == f
                       aria-current=move || (current().filter == f).then_some("page")
                       data-testid=format!("filter-{}", f.as_str())>{t(filter_msg(f))}</a>
                }
            }).collect_view()}
        </nav>
        <form method="get" action=path class="controls">
            <input type="hidden" name="filter" value=move || current().filter.as_str()/>
            {move || current().account_id.map(|a| view! { <input type="hidden" name="account" value=a.to_string()/> })}
            {with_search.then(|| view! {
                <label>{t(Msg::Search)}
                    <input type="search" name="q" value=move || current().search.unwrap_or_default()/>
                </label>
            })}
            <label>{t(Msg::SortBy)}
                <select name="sort" data-testid="sort">
                    {InvoiceSort::ALL.into_iter().map(|s| view! {
                        <option value=s.as_str() selected=move || current().sort == s>{t(sort_msg(s))}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">{t(Msg::Apply)}</button>
        </form>
    }
}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    view! {
        <Page roles=CLIENT title=Msg::Invoices>
            <InvoicesBody path="/portal/invoices" title=Msg::Invoices staff=false/>
        </Page>
    }
}

/// The invoice list with its filters: clients see their own
/// (`/portal/invoices`), staff see every account in scope, with search.
#[component]
pub fn InvoicesBody(path: &'static str, title: Msg, staff: bool) -> impl IntoView {
    let query = invoice_query_from_url();
    let data = Resource::new(move || query.get(), list_invoices);
    view! {
        <h1>{t(title)}</h1>
        <InvoiceControls query=query path=path with_search=staff/>
        <Loaded resource=data view=move |p| {
                        let q = query.get_untracked();
                        let base = q.href(path, q.filter);
                        let detail_base = if staff { "/back/invoices" } else { "/portal/invoices" };
                        let export = staff.then(|| (q.href("/back/invoices.csv", q.filter), q.href("/back/invoices.xlsx", q.filter)));
                        view! {
                            {export.map(|(csv, xlsx)| view! {
                                <p class="actions" data-testid="invoice-export">{t(Msg::ExportList)} " : "
                                    <a href=csv rel="external" download data-testid="invoice-export-csv">"CSV"</a> " · "
                                    <a href=xlsx rel="external" download data-testid="invoice-export-xlsx">"Excel"</a>
                                </p>
                            })}
                            <InvoiceTable items=p.items base=detail_base show_account=staff/>
                            <Pager page=p.page page_count=p.page_count more=p.more base=base/>
                        }.into_any()
                    }/>
    }
}

/// Invoice detail for clients (`/portal/invoices/:id`) and staff
/// (`/back/invoices/:id`).
#[component]
pub fn InvoicePage() -> impl IntoView {
    view! {
        <Page roles=EVERYONE title=Msg::InvoiceTitle>
            <InvoiceBody/>
        </Page>
    }
}

#[component]
fn InvoiceBody() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    let back =
        if location.pathname.get_untracked().starts_with("/back") { "/back/invoices" } else { "/portal/invoices" };
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let detail = Resource::new(id, get_invoice);
    let role = crate::shell::PageCtx::current().viewer.map(|v| v.role);
    let staff = role.is_some_and(|r| r.is_staff());
    let can_link = matches!(role, Some(Role::Owner) | Some(Role::Collector));
    let locale = crate::i18n::use_locale();
    view! {
        <p><a href=back>"← " {t(Msg::BackToInvoices)}</a></p>
        <Loaded resource=detail view=move |d| {
                        let s = d.summary.clone();
                        let einvoice = d.document.is_some() && !d.lines.is_empty();
                        view! {
                            <div class="title-row">
                                <h1>{t(Msg::InvoiceTitle)} " " <span data-testid="invoice-number">{s.number.clone()}</span></h1>
                                <StatusBadge status=s.state/>
                                <a class="button" href=format!("/invoices/{}/pdf", s.id) data-testid="download-pdf" download>{t(Msg::DownloadPdf)}</a>
                                {einvoice.then(|| view! {
                                    <a class="button" href=format!("/invoices/{}/einvoice/facturx", s.id) rel="external" data-testid="download-facturx" download title=t(Msg::EInvoiceHint)>"Factur-X"</a>
                                    <a class="button" href=format!("/invoices/{}/einvoice/ubl", s.id) rel="external" data-testid="download-ubl" download title=t(Msg::EInvoiceHint)>"UBL"</a>
                                    <a class="button" href=format!("/invoices/{}/einvoice/cii", s.id) rel="external" data-testid="download-cii" download title=t(Msg::EInvoiceHint)>"CII"</a>
                                })}
                                {(!staff && s.balance.is_positive()).then(|| view! {
                                    <a class="button primary" href=format!("/portal/pay?invoices={}", s.id) data-testid="pay-invoice">{t(Msg::PayThisInvoice)}</a>
                                    <a class="button" href=format!("/portal/promise?inv={}", s.id) data-testid="promise-invoice">{t(Msg::PromiseThese)}</a>
                                    <a class="button" href=format!("/portal/dispute?inv={}", s.id) data-testid="dispute-invoice">{t(Msg::DisputeThis)}</a>
                                })}
                            </div>
                            {(can_link && s.balance.is_positive()).then(|| view! { <crate::payments::back::PayLinkButton invoice_id=s.id/> })}
                            {staff.then(|| view! { <crate::invoicing::pages::SendInvoiceButton invoice_id=s.id/> })}
                            {matches!(role, Some(Role::Owner) | Some(Role::Accountant)).then(|| view! { <crate::invoicing::pages::CreditNoteForm invoice_id=s.id/> })}
                            {(role == Some(Role::Owner) && s.balance.is_positive()).then(|| view! { <crate::invoicing::pages::WriteOffForm invoice_id=s.id/> })}
                            <dl class="facts">
                                <div><dt>{t(Msg::Account)}</dt><dd>{s.account_name.clone()}</dd></div>
                                <div><dt>{t(Msg::IssueDate)}</dt><dd><Day date=s.issue_date/></dd></div>
                                <div><dt>{t(Msg::DueDate)}</dt><dd><Day date=s.due_date/></dd></div>
                                <div><dt>{t(Msg::AmountDue)}</dt><dd data-testid="amount-due"><Amount money=s.balance/></dd></div>
                                {s.disputed.is_positive().then(|| view! {
                                    <div><dt>{t(Msg::Disputed)}</dt><dd data-testid="invoice-disputed"><Amount money=s.disputed/></dd></div>
                                })}
                            </dl>
                            {d.early_offer.map(|o| view! {
                                <p class="alert ok" role="note" data-testid="early-offer">{move || {
                                    let l = locale.get();
                                    Msg::EarlyDiscountOffer
                                        .text(l)
                                        .replace("{date}", &l.format_date(o.discount.until))
                                        .replace("{amount}", &o.pay.format(l))
                                        .replace("{percent}", &crate::domain::document::format_percent(o.discount.percent_bp, l))
                                }}</p>
                            })}
                            {staff.then(|| view! { <crate::legal::pages::PrescriptionPanel invoice_id=s.id/> })}
                            <crate::legal::pages::InvoiceChargesNotice invoice_id=s.id/>
                            <crate::disputes::pages::DisputesOf invoice_id=s.id staff=staff/>
                            <table class="data lines">
                                <thead><tr>
                                    <th scope="col">{t(Msg::Description)}</th>
                                    <th scope="col" class="num">{t(Msg::Quantity)}</th>
                                    <th scope="col" class="num">{t(Msg::UnitPrice)}</th>
                                    <th scope="col" class="num">{t(Msg::TaxRate)}</th>
                                    <th scope="col" class="num">{t(Msg::NetAmount)}</th>
                                </tr></thead>
                                <tbody>
                                    {d.lines.into_iter().map(|l| view! {
                                        <tr>
                                            <td data-label=t(Msg::Description)>{l.description}</td>
                                            <td data-label=t(Msg::Quantity) class="num">{l.quantity.to_string()}</td>
                                            <td data-label=t(Msg::UnitPrice) class="num"><Amount money=l.unit_price/></td>
                                            <td data-label=t(Msg::TaxRate) class="num">{format!("{} %", l.tax_rate_percent)}</td>
                                            <td data-label=t(Msg::NetAmount) class="num"><Amount money=l.net/></td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                                <tfoot>
                                    <tr><th colspan="4" scope="row">{t(Msg::Subtotal)}</th><td class="num"><Amount money=d.subtotal/></td></tr>
                                    <tr><th colspan="4" scope="row">{t(Msg::TaxTotal)}</th><td class="num"><Amount money=d.tax/></td></tr>
                                    <tr class="total"><th colspan="4" scope="row">{t(Msg::Total)}</th><td class="num"><Amount money=s.total/></td></tr>
                                </tfoot>
                            </table>
                            <section>
                                <h2>{t(Msg::AmountsApplied)}</h2>
                                {if d.applied.is_empty() {
                                    view! { <p class="muted">{t(Msg::NothingApplied)}</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="data">
                                            <thead><tr>
                                                <th scope="col">{t(Msg::Date)}</th>
                                                <th scope="col">{t(Msg::Description)}</th>
                                                <th scope="col">{t(Msg::Reference)}</th>
                                                <th scope="col" class="num">{t(Msg::Amount)}</th>
                                            </tr></thead>
                                            <tbody>
                                                {d.applied.into_iter().map(|e| view! {
                                                    <tr>
                                                        <td data-label=t(Msg::Date)><Day date=e.occurred_on/></td>
                                                        <td data-label=t(Msg::Description)>{t(kind_msg(e.kind))}</td>
                                                        <td data-label=t(Msg::Reference)>{e.reference.clone()} {e.credit_note_id.map(|c| view! {
                                                            " " <a href=format!("/credit-notes/{c}/pdf") rel="external" download data-testid="applied-credit-note-pdf">"PDF"</a>
                                                            {einvoice.then(|| view! {
                                                                " " <a href=format!("/credit-notes/{c}/einvoice/facturx") rel="external" download data-testid="credit-note-facturx" title=t(Msg::EInvoiceHint)>"Factur-X"</a>
                                                                " " <a href=format!("/credit-notes/{c}/einvoice/ubl") rel="external" download data-testid="credit-note-ubl" title=t(Msg::EInvoiceHint)>"UBL"</a>
                                                            })}
                                                        })}</td>
                                                        <td data-label=t(Msg::Amount) class="num"><Amount money=e.amount/></td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                            </section>
                            <section>
                                <h2>{t(Msg::History)}</h2>
                                <ol class="timeline">
                                    {d.history.into_iter().map(|h| match h {
                                        HistoryEvent::Issued(date) => view! { <li><Day date=date/> " — " {t(Msg::EventIssued)}</li> }.into_any(),
                                        HistoryEvent::Due(date) => view! { <li><Day date=date/> " — " {t(Msg::EventDue)}</li> }.into_any(),
                                        HistoryEvent::OverdueSince(date) => view! { <li class="warn"><Day date=date/> " — " {t(Msg::EventOverdueSince)}</li> }.into_any(),
                                        HistoryEvent::Entry(e) => view! {
                                            <li><Day date=e.occurred_on/> " — " {t(kind_msg(e.kind))} " " <Amount money=e.amount/></li>
                                        }.into_any(),
                                    }).collect_view()}
                                </ol>
                            </section>
                        }.into_any()
                    }/>
    }
}
