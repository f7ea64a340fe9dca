//! `/back/indicators`: the twelve months' charts, then every figure in a
//! table (the charts' text alternative, and what prints). The filter is
//! the query string, so every view is a link.

use super::chart::{value_text, IndicatorChart};
use super::{get_indicators, Indicator, Indicators, IndicatorsFilter};
use crate::backoffice::{CollectorFilter, SegmentFilter};
use crate::components::{Amount, Day, Loaded, Page};
use crate::domain::Role;
use crate::i18n::{t, use_locale, Msg};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

#[component]
pub fn IndicatorsPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::KpiTitle>
            <IndicatorsBody/>
        </Page>
    }
}

#[component]
fn IndicatorsBody() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        IndicatorsFilter::from_query(|k| q.get(k))
    });
    let data = Resource::new(move || filter.get(), get_indicators);
    view! {
        <h1>{t(Msg::KpiTitle)}</h1>
        <p class="muted">{t(Msg::KpiIntro)}</p>
        <Loaded resource=data view=move |r| view! { <Report r=r/> }.into_any()/>
    }
}

#[component]
fn Report(r: Indicators) -> impl IntoView {
    let locale = use_locale();
    let f = r.filter.clone();
    let months = r.months.clone();
    view! {
        <form method="get" action="/back/indicators" class="controls" data-testid="kpi-filters">
            <label>{t(Msg::Currency)}
                <select name="currency" data-testid="kpi-currency">
                    {r.currencies.iter().map(|c| view! {
                        <option value=c.code() selected=*c == r.currency>{c.code()}</option>
                    }).collect_view()}
                </select>
            </label>
            <SegmentFilter selected=f.segment/>
            <CollectorFilter collectors=r.collectors.clone() selected=f.collector_id/>
            <button type="submit">{t(Msg::Apply)}</button>
        </form>
        <p class="muted" data-testid="kpi-scope">
            {t(Msg::KpiFiguresIn)} " " <strong>{r.currency.code()}</strong> " — " {t(Msg::KpiAsOf)} " " <Day date=r.today/>
        </p>
        <section class="charts" data-currency=r.currency.code()>
            {Indicator::ALL.into_iter().map(|i| view! { <IndicatorChart indicator=i months=months.clone()/> }).collect_view()}
        </section>
        <h2 id="kpi-by-month">{t(Msg::KpiByMonth)}</h2>
        // Wider than the page on a laptop: it scrolls within its own box
        // (a region the keyboard can reach), never the page.
        <div class="scroll-x" role="region" aria-labelledby="kpi-by-month" tabindex="0">
        <table class="data kpi" data-testid="kpi-table">
            <thead><tr>
                <th scope="col">{t(Msg::KpiMonth)}</th>
                <th scope="col" class="num">{t(Msg::KpiSales)}</th>
                <th scope="col" class="num">{t(Msg::KpiReceivable)}</th>
                {Indicator::ALL.into_iter().map(|i| view! { <th scope="col" class="num">{t(i.msg())}</th> }).collect_view()}
            </tr></thead>
            <tbody>
                {move || { let locale = locale.get(); r.months.clone().into_iter().rev().map(|m| view! {
                    <tr data-testid="kpi-month" data-month=m.month.format("%Y-%m").to_string()>
                        <th scope="row">{locale.format_month(m.month)}</th>
                        <td class="num" data-label=t(Msg::KpiSales)><Amount money=m.sales/></td>
                        <td class="num" data-label=t(Msg::KpiReceivable)><Amount money=m.receivable/></td>
                        {Indicator::ALL.into_iter().map(|i| view! {
                            <td class="num" data-label=t(i.msg()) data-kpi=i.slug()>{value_text(m.value(i), i.unit(), locale)}</td>
                        }).collect_view()}
                    </tr>
                }).collect_view()}}
            </tbody>
        </table>
        </div>
    }
}
