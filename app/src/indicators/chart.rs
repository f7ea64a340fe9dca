//! One indicator over twelve months as an SVG bar chart, drawn on the
//! server: readable without JavaScript, printable, and described for
//! screen readers (the SVG's title and description list every month's
//! figure; each bar has its own title, the hover text). Its formula is in
//! a tooltip, shown on hover and on keyboard focus and read as the
//! button's description.

use super::{Indicator, MonthFigures, Unit};
use crate::domain::Locale;
use crate::i18n::{t, use_locale, Msg};
use chrono::Datelike;
use leptos::prelude::*;
use rust_decimal::Decimal;

const WIDTH: i64 = 360;
const HEIGHT: i64 = 170;
/// The plot's top and bottom (labels above the bars, months below).
const TOP: i64 = 18;
const BASE: i64 = 148;
const LEFT: i64 = 4;
const SLOT: i64 = (WIDTH - 2 * LEFT) / 12;
const BAR: i64 = SLOT - 8;

/// A figure with its unit (`39,6 j`, `77.8%`), or a dash for none.
pub fn value_text(value: Option<Decimal>, unit: Unit, locale: Locale) -> String {
    let Some(v) = value else { return "—".into() };
    let number = locale.format_decimal(v);
    match (unit, locale) {
        (Unit::Days, _) => format!("{number}\u{a0}{}", Msg::KpiDaysUnit.text(locale)),
        (Unit::Percent, Locale::Fr) => format!("{number}\u{a0}%"),
        (Unit::Percent, Locale::En) => format!("{number}%"),
    }
}

/// The bars' scale: 100 for a percentage, else the largest figure.
fn scale(indicator: Indicator, months: &[MonthFigures]) -> Decimal {
    let largest = months.iter().filter_map(|m| m.value(indicator)).max().unwrap_or(Decimal::ZERO);
    match indicator.unit() {
        Unit::Percent => largest.max(Decimal::ONE_HUNDRED),
        Unit::Days => largest.max(Decimal::ONE),
    }
}

#[component]
pub fn IndicatorChart(indicator: Indicator, months: Vec<MonthFigures>) -> impl IntoView {
    let locale = use_locale();
    move || draw(indicator, months.clone(), locale.get())
}

fn draw(indicator: Indicator, months: Vec<MonthFigures>, locale: Locale) -> impl IntoView {
    let slug = indicator.slug();
    let (title_id, desc_id, tip_id) = (format!("{slug}-title"), format!("{slug}-desc"), format!("{slug}-tip"));
    let unit = indicator.unit();
    let latest = months.last().map(|m| {
        // The current month so far: say up to when.
        let partial = m.end.succ_opt().is_some_and(|next| next.month() == m.end.month());
        let mut when = locale.format_month(m.month);
        if partial {
            when = format!("{when} ({} {})", Msg::KpiUpTo.text(locale), locale.format_date(m.end));
        }
        (when, m.value(indicator))
    });
    let description = months
        .iter()
        .map(|m| format!("{} : {}", locale.format_month(m.month), value_text(m.value(indicator), unit, locale)))
        .collect::<Vec<_>>()
        .join(" ; ");
    let max = scale(indicator, &months);
    let plot = Decimal::from(BASE - TOP);
    let bars = months
        .into_iter()
        .enumerate()
        .map(|(k, m)| {
            let x = LEFT + k as i64 * SLOT + (SLOT - BAR) / 2;
            let centre = x + BAR / 2;
            let value = m.value(indicator);
            let height = value.map(|v| (v.max(Decimal::ZERO) * plot / max).round_dp(1)).unwrap_or(Decimal::ZERO);
            let y = Decimal::from(BASE) - height;
            let text = value_text(value, unit, locale);
            let label = value.map(|v| locale.format_decimal(v)).unwrap_or_else(|| "—".into());
            let month = locale.format_month(m.month);
            view! {
                <g class="bar">
                    <title>{format!("{month} : {text}")}</title>
                    <rect x=x y=y.to_string() width=BAR height=height.to_string() rx="2"></rect>
                    <text x=centre y=(y - Decimal::from(4)).to_string() text-anchor="middle" class="value">{label}</text>
                    <text x=centre y=BASE + 14 text-anchor="middle" class="month">{locale.month_short(m.month)}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart card" data-testid=format!("kpi-{slug}")>
            <figcaption>
                <h2>{t(indicator.msg())}
                    " "
                    <span class="tip">
                        <button type="button" class="tip-button" aria-label=t(Msg::KpiFormula) aria-describedby=tip_id.clone()>"?"</button>
                        <span role="tooltip" id=tip_id class="tip-text">{t(indicator.formula())}</span>
                    </span>
                </h2>
                {latest.map(|(when, value)| view! {
                    <p class="big" data-testid="kpi-latest">{value_text(value, unit, locale)}</p>
                    <p class="muted small">{when}</p>
                })}
            </figcaption>
            <svg class="kpi-chart" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
                aria-labelledby=title_id.clone() aria-describedby=desc_id.clone() preserveAspectRatio="xMidYMid meet">
                <title id=title_id.clone()>{t(indicator.msg())}</title>
                <desc id=desc_id.clone()>{description}</desc>
                <line x1=LEFT y1=BASE x2=WIDTH - LEFT y2=BASE class="axis"></line>
                {bars}
            </svg>
        </figure>
    }
}
