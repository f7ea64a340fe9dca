//! `/back/aging`, the aging report, and `/back/aging/invoices`, the
//! invoices behind one of its cells. Both read their filter from the query
//! string, so every view is a link (bookmarked, shared, exported).

use super::{get_aging, get_aging_cell, AgingCell, AgingFilter, AgingReport, AgingRow, Bucket, GroupBy, RowKey};
use crate::backoffice::{segment_msg, CollectorFilter, SegmentFilter};
use crate::components::{urlencode, Amount, Day, Loaded, Page, Pager};
use crate::domain::{Currency, Money, Role};
use crate::i18n::{t, use_locale, Msg};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

#[component]
pub fn AgingPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::AgingTitle>
            <AgingBody/>
        </Page>
    }
}

/// A link to the invoices of one cell.
fn cell_href(filter: &AgingFilter, key: Option<String>, bucket: Option<Bucket>, currency: Currency) -> String {
    format!(
        "/back/aging/invoices?{}&key={}&bucket={}&in={}",
        filter.query(),
        urlencode(&key.unwrap_or_default()),
        bucket.map(|b| b.as_str()).unwrap_or(""),
        currency.code()
    )
}

#[component]
fn AgingBody() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        AgingFilter::from_query(|k| q.get(k))
    });
    let data = Resource::new(
        move || filter.get(),
        |f| async move {
            match f {
                Ok(f) => get_aging(f).await,
                Err(e) => Err(e),
            }
        },
    );
    view! {
        <div class="title-row">
            <h1>{t(Msg::AgingTitle)}</h1>
        </div>
        <p class="muted">{t(Msg::AgingIntro)}</p>
        <Loaded resource=data with_fields=true view=move |r| view! { <Report report=r/> }.into_any()/>
    }
}

#[component]
fn Report(report: AgingReport) -> impl IntoView {
    let f = report.filter.clone();
    let query = f.query();
    let account_rows = f.group == GroupBy::Account;
    let base = format!("/back/aging?{query}");
    view! {
        <form method="get" action="/back/aging" class="controls" data-testid="aging-filters">
            <label>{t(Msg::AgingAsOf)}
                <input type="date" name="as_of" value=report.as_of.to_string() data-testid="aging-as-of"/>
            </label>
            <label>{t(Msg::AgingGroupBy)}
                <select name="group" data-testid="aging-group">
                    {GroupBy::ALL.into_iter().map(|g| view! {
                        <option value=g.as_str() selected=f.group == g>{t(g.msg())}</option>
                    }).collect_view()}
                </select>
            </label>
            <SegmentFilter selected=f.segment/>
            <CollectorFilter collectors=report.collectors.clone() selected=f.collector_id/>
            <label>{t(Msg::Currency)}
                <select name="currency">
                    <option value="">{t(Msg::AnyCurrency)}</option>
                    {Currency::ALL.into_iter().map(|c| view! {
                        <option value=c.code() selected=f.currency == Some(c)>{c.code()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">{t(Msg::Apply)}</button>
        </form>
        <p class="actions">
            <a class="button" href=format!("/back/aging.csv?{query}") rel="external" download data-testid="aging-csv">{t(Msg::ExportCsv)}</a>
            " "
            <a class="button" href=format!("/back/aging.xlsx?{query}") rel="external" download data-testid="aging-xlsx">{t(Msg::ExportXlsx)}</a>
        </p>
        {if report.totals.is_empty() {
            view! { <p class="muted" data-testid="aging-empty">{t(Msg::AgingNothingOwed)}</p> }.into_any()
        } else {
            view! {
                <section class="cards">
                    {report.totals.iter().map(|total| view! { <TotalCard total=total.clone()/> }).collect_view()}
                </section>
                <table class="data aging" data-testid="aging-table">
                    <caption class="muted">{t(Msg::AgingAsOf)} " " <Day date=report.as_of/></caption>
                    <thead><tr>
                        <th scope="col">{t(f.group.msg())}</th>
                        <th scope="col">{t(Msg::Currency)}</th>
                        {Bucket::ALL.into_iter().map(|b| view! { <th scope="col" class="num">{t(b.msg())}</th> }).collect_view()}
                        <th scope="col" class="num">{t(Msg::AgingTotal)}</th>
                        <th scope="col" class="num">{t(Msg::Promised)}</th>
                        <th scope="col" class="num">{t(Msg::Disputed)}</th>
                        <th scope="col" class="num">{t(Msg::UnappliedCredit)}</th>
                    </tr></thead>
                    <tbody>
                        {report.rows.into_iter().map(|row| {
                            let key = row.key.param();
                            let data_key = key.clone();
                            view! {
                                <tr data-testid="aging-row" data-key=data_key>
                                    <th scope="row" data-label=t(f.group.msg())><RowName row=row.clone() link=account_rows/></th>
                                    <Cells row=row filter=f.clone() key=Some(key)/>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                    <tfoot>
                        {report.totals.into_iter().map(|row| {
                            let code = row.currency.code();
                            view! {
                            <tr data-testid="aging-total" data-currency=code>
                                <th scope="row">{t(Msg::AgingTotal)}</th>
                                <Cells row=row filter=f.clone() key=None/>
                            </tr>
                            }
                        }).collect_view()}
                    </tfoot>
                </table>
                <Pager page=report.page page_count=report.page_count base=base/>
            }.into_any()
        }}
    }
}

#[component]
fn RowName(row: AgingRow, link: bool) -> impl IntoView {
    match row.key {
        RowKey::Account { id, code, name } if link => {
            view! { <a href=format!("/back/accounts/{id}")>{name}</a> " " <span class="muted small">{code}</span> }
                .into_any()
        }
        RowKey::Account { name, .. } => view! { <span>{name}</span> }.into_any(),
        RowKey::Segment(s) => view! { <span>{t(segment_msg(s))}</span> }.into_any(),
        RowKey::Collector(Some((_, name))) => view! { <span>{name}</span> }.into_any(),
        RowKey::Collector(None) => view! { <span class="muted">{t(Msg::Unassigned)}</span> }.into_any(),
        RowKey::Currency => view! { <span>{row.currency.code()}</span> }.into_any(),
    }
}

/// A row's cells after its name: each bucket a link to its invoices.
#[component]
fn Cells(row: AgingRow, filter: AgingFilter, key: Option<String>) -> impl IntoView {
    let currency = row.currency;
    let link = move |m: Money, bucket: Option<Bucket>, label: Msg, testid: &'static str| {
        let href = cell_href(&filter, key.clone(), bucket, currency);
        let name = bucket.map(|b| b.as_str()).unwrap_or("total");
        view! {
            <td class="num" data-label=t(label) data-testid=testid data-bucket=name data-minor=m.minor.to_string()>
                {if m.is_zero() {
                    view! { <span class="muted">"—"</span> }.into_any()
                } else {
                    view! { <a href=href><Amount money=m/></a> }.into_any()
                }}
            </td>
        }
    };
    let quiet = |m: Money, label: Msg, testid: &'static str| {
        view! {
            <td class="num" data-label=t(label) data-testid=testid data-minor=m.minor.to_string()>
                {(!m.is_zero()).then(|| view! { <Amount money=m/> })}
            </td>
        }
    };
    view! {
        <td data-label=t(Msg::Currency)>{currency.code()}</td>
        {Bucket::ALL.into_iter().zip(row.buckets.clone()).map(|(b, m)| link(m, Some(b), b.msg(), "aging-cell")).collect_view()}
        {link(row.total, None, Msg::AgingTotal, "aging-row-total")}
        {quiet(row.promised, Msg::Promised, "aging-promised")}
        {quiet(row.disputed, Msg::Disputed, "aging-disputed")}
        {quiet(row.credit, Msg::UnappliedCredit, "aging-credit")}
    }
}

/// A currency's total and overdue, and its aging bar.
#[component]
fn TotalCard(total: AgingRow) -> impl IntoView {
    let overdue = total.overdue();
    let code = total.currency.code();
    view! {
        <div class="card" data-testid="aging-card" data-currency=code>
            <h2>{t(Msg::TotalOutstanding)} " " {code}</h2>
            <p class="big"><Amount money=total.total/></p>
            <p>{t(Msg::TotalOverdue)} " " <Amount money=overdue/></p>
            <AgingBar total=total/>
        </div>
    }
}

/// The aging bar of a currency's total: an SVG drawn on the server,
/// readable without the script, with its figures as its text alternative.
#[component]
pub fn AgingBar(total: AgingRow) -> impl IntoView {
    let locale = use_locale();
    let sum = total.total.minor.max(1) as i128;
    let mut x = 0i128;
    let bars = total
        .buckets
        .iter()
        .enumerate()
        .filter(|(_, m)| m.minor > 0)
        .map(|(i, m)| {
            let width = (m.minor as i128 * 1000) / sum;
            let at = x;
            x += width;
            view! { <rect class=format!("bucket-{i}") x=at.to_string() y="0" width=width.to_string() height="24"/> }
        })
        .collect_view();
    let buckets = total.buckets.clone();
    let description = move || {
        Bucket::ALL
            .into_iter()
            .zip(&buckets)
            .map(|(b, m)| format!("{} : {}", b.msg().text(locale.get()), m.format(locale.get())))
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    view! {
        <svg class="aging-bar" viewBox="0 0 1000 24" preserveAspectRatio="none" role="img" aria-label=description>
            {bars}
        </svg>
    }
}

#[component]
pub fn AgingInvoicesPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::AgingInvoices>
            <CellBody/>
        </Page>
    }
}

#[component]
fn CellBody() -> impl IntoView {
    let query = use_query_map();
    let cell = Memo::new(move |_| {
        let q = query.read();
        let filter = AgingFilter::from_query(|k| q.get(k))?;
        let currency = q
            .get("in")
            .and_then(|c| Currency::parse(&c).ok())
            .ok_or(crate::error::AppError::field("in", Msg::InvalidInput))?;
        Ok(AgingCell {
            filter,
            key: q.get("key").filter(|k| !k.is_empty()),
            bucket: q.get("bucket").and_then(|b| Bucket::parse(&b)),
            currency,
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        })
    });
    let data = Resource::new(
        move || cell.get(),
        |c| async move {
            match c {
                Ok(c) => get_aging_cell(c).await,
                Err(e) => Err(e),
            }
        },
    );
    view! {
        <h1>{t(Msg::AgingInvoices)}</h1>
        <Loaded resource=data with_fields=true view=move |list| {
            let Ok(c) = cell.get_untracked() else { return ().into_any() };
            let back = format!("/back/aging?{}", c.filter.query());
            let base = cell_href(&c.filter, c.key.clone(), c.bucket, c.currency);
            view! {
                <p>
                    <a href=back data-testid="aging-back">{t(Msg::AgingBack)}</a>
                </p>
                <dl class="facts">
                    <div><dt>{t(Msg::AgingAsOf)}</dt><dd><Day date=list.as_of/></dd></div>
                    <div><dt>{t(Msg::AgingBucket)}</dt><dd data-testid="aging-cell-bucket">{match c.bucket {
                        Some(b) => t(b.msg()).into_any(),
                        None => t(Msg::AgingTotal).into_any(),
                    }}</dd></div>
                    <div><dt>{t(Msg::InvoiceCount)}</dt><dd data-testid="aging-cell-count">{list.count}</dd></div>
                    <div><dt>{t(Msg::AgingTotal)}</dt><dd data-testid="aging-cell-total"><Amount money=list.total/></dd></div>
                </dl>
                {if list.items.is_empty() {
                    view! { <p class="muted">{t(Msg::NoInvoices)}</p> }.into_any()
                } else {
                    view! {
                        <table class="data" data-testid="aging-invoices">
                            <thead><tr>
                                <th scope="col">{t(Msg::Invoice)}</th>
                                <th scope="col">{t(Msg::Account)}</th>
                                <th scope="col">{t(Msg::IssueDate)}</th>
                                <th scope="col">{t(Msg::DueDate)}</th>
                                <th scope="col" class="num">{t(Msg::DaysLate)}</th>
                                <th scope="col" class="num">{t(Msg::AmountDue)}</th>
                                <th scope="col">{t(Msg::Status)}</th>
                            </tr></thead>
                            <tbody>
                                {list.items.into_iter().map(|i| view! {
                                    <tr data-testid="aging-invoice" data-number=i.number.clone()>
                                        <td data-label=t(Msg::Invoice)><a href=format!("/back/invoices/{}", i.id)>{i.number.clone()}</a></td>
                                        <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", i.account_id)>{i.account_name.clone()}</a></td>
                                        <td data-label=t(Msg::IssueDate)><Day date=i.issue_date/></td>
                                        <td data-label=t(Msg::DueDate)><Day date=i.due_date/></td>
                                        <td data-label=t(Msg::DaysLate) class="num">{i.days_past_due.max(0)}</td>
                                        <td data-label=t(Msg::AmountDue) class="num"><Amount money=i.balance/></td>
                                        <td data-label=t(Msg::Status)>
                                            {i.promised.then(|| view! { <span class="badge">{t(Msg::Promised)}</span> " " })}
                                            {i.disputed.is_positive().then(|| view! {
                                                <span class="badge warn">{t(Msg::Disputed)} " " <Amount money=i.disputed/></span>
                                            })}
                                        </td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        <Pager page=list.page page_count=list.page_count base=base/>
                    }.into_any()
                }}
            }.into_any()
        }/>
    }
}
