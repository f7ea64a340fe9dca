//! `/back/dashboard`: where the cash is, for the owner (everything) and
//! each collector (their accounts): per currency, what is owed and overdue,
//! the aging bar, the cash expected over the next four weeks (due dates and
//! promises, less disputes) and the cash collected this month against last;
//! then the most overdue accounts, broken promises, disputes waiting, and
//! what reminders sent in the last 30 days brought in.
//!
//! It updates by itself: while open, the page asks every few seconds for
//! a version of the figures (one cheap query) and reloads them when it
//! changed, so a payment landing shows without a reload.

use crate::aging::AgingRow;
use crate::components::{Amount, Day, Loaded, Page};
use crate::domain::{Money, Role};
use crate::error::AppError;
use crate::i18n::{t, Msg};
use crate::reminders::rules::Channel;
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod ssr;

const DASHBOARD_ROLES: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];
/// How often an open dashboard asks whether its figures changed.
const POLL_SECONDS: u64 = 5;

/// One currency's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrencyFigures {
    /// Today's aging total for the currency (buckets, promised, disputed).
    pub aging: AgingRow,
    /// Four weeks from today: (first day, amount expected).
    pub expected: Vec<(NaiveDate, Money)>,
    pub collected_this_month: Money,
    pub collected_last_month: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopAccount {
    pub id: i64,
    pub name: String,
    pub overdue: Money,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenPromise {
    pub account_id: i64,
    pub account_name: String,
    pub promised_date: NaiveDate,
    pub amount: Money,
}

/// What one step of the reminder plans did over the last 30 days: the
/// reminders it sent, and of those, how many were followed by a payment
/// from their account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepFigures {
    pub position: i32,
    pub channel: Channel,
    pub sent: i64,
    pub paid_after: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub today: NaiveDate,
    pub currencies: Vec<CurrencyFigures>,
    pub top_overdue: Vec<TopAccount>,
    /// Broken in the last 30 days, the latest first (five at most), and how many.
    pub broken_promises: Vec<BrokenPromise>,
    pub broken_count: i64,
    pub disputes_waiting: i64,
    /// Reminders sent in the last 30 days, and the payments their accounts
    /// made after them (per currency).
    pub reminders_sent: i64,
    pub paid_after_reminders: Vec<Money>,
    /// The same, step by step (first reminders, second, …).
    pub reminder_steps: Vec<StepFigures>,
    /// Changes when a figure may have: see `dashboard_version`.
    pub version: String,
}

crate::reads!(Dashboard);

/// The dashboard (staff, within their scope).
#[server(endpoint = "dashboard/get")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_dashboard() -> Result<Dashboard, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::dashboard(&state, &principal).await
    })
    .await
}

/// What the dashboard's figures are made of, as one string: it changes when
/// money is posted, a payment moves, or a promise or dispute does.
#[server(endpoint = "dashboard/version")]
pub async fn dashboard_version() -> Result<String, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::version(&state).await
    })
    .await
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Page roles=DASHBOARD_ROLES title=Msg::DashboardTitle>
            <DashboardBody/>
        </Page>
    }
}

#[component]
fn DashboardBody() -> impl IntoView {
    // Bumped when the server's version differs from the figures shown.
    let refresh = RwSignal::new(0u32);
    let shown = StoredValue::new(String::new());
    let data = Resource::new(move || refresh.get(), |_| get_dashboard());
    Effect::new(move |_| {
        if let Some(Ok(d)) = data.get() {
            shown.set_value(d.version);
        }
    });
    // In the browser only: ask for the version every few seconds.
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                leptos::task::spawn_local(async move {
                    if let Ok(v) = dashboard_version().await {
                        if !shown.get_value().is_empty() && v != shown.get_value() {
                            shown.set_value(v);
                            refresh.update(|n| *n += 1);
                        }
                    }
                });
            },
            std::time::Duration::from_secs(POLL_SECONDS),
        );
        if let Ok(handle) = handle {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <h1>{t(Msg::DashboardTitle)}</h1>
        <Loaded resource=data view=move |d| view! { <Figures d=d/> }.into_any()/>
    }
}

#[component]
fn Figures(d: Dashboard) -> impl IntoView {
    view! {
        <div data-testid="dashboard" data-version=d.version.clone()>
            {if d.currencies.is_empty() {
                view! { <p class="muted">{t(Msg::AgingNothingOwed)}</p> }.into_any()
            } else {
                d.currencies.into_iter().map(|c| view! { <CurrencyBlock c=c/> }).collect_view().into_any()
            }}
            <section class="cards">
                <div class="card" data-testid="dash-disputes">
                    <h2>{t(Msg::DisputesWaiting)}</h2>
                    <p class="big"><a href="/back/disputes">{d.disputes_waiting}</a></p>
                </div>
                <div class="card" data-testid="dash-broken">
                    <h2>{t(Msg::BrokenPromises30)}</h2>
                    <p class="big"><a href="/back/promises">{d.broken_count}</a></p>
                </div>
                <div class="card" data-testid="dash-reminders">
                    <h2>{t(Msg::RemindersSent30)}</h2>
                    <p class="big">{d.reminders_sent}</p>
                    <p>{t(Msg::PaidAfterReminders)} " "
                        {if d.paid_after_reminders.is_empty() {
                            view! { <span>"—"</span> }.into_any()
                        } else {
                            d.paid_after_reminders.into_iter().map(|m| view! { <Amount money=m/> " " }).collect_view().into_any()
                        }}
                    </p>
                    {(!d.reminder_steps.is_empty()).then(|| view! {
                        <table class="data compact" data-testid="dash-reminder-steps">
                            <thead><tr>
                                <th scope="col">{t(Msg::ReminderStep)}</th>
                                <th scope="col" class="num">{t(Msg::RemindersSentShort)}</th>
                                <th scope="col" class="num">{t(Msg::FollowedByPayment)}</th>
                            </tr></thead>
                            <tbody>
                                {d.reminder_steps.into_iter().map(|s| view! {
                                    <tr>
                                        <th scope="row">{s.position} " — " {t(s.channel.msg())}</th>
                                        <td class="num" data-label=t(Msg::RemindersSentShort)>{s.sent}</td>
                                        <td class="num" data-label=t(Msg::FollowedByPayment)>{s.paid_after}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    })}
                </div>
            </section>
            <section>
                <h2>{t(Msg::TopOverdueAccounts)}</h2>
                {if d.top_overdue.is_empty() {
                    view! { <p class="muted">{t(Msg::NothingOverdue)}</p> }.into_any()
                } else {
                    view! {
                        <table class="data" data-testid="dash-top-overdue">
                            <thead><tr><th scope="col">{t(Msg::Account)}</th><th scope="col" class="num">{t(Msg::Overdue)}</th></tr></thead>
                            <tbody>
                                {d.top_overdue.into_iter().map(|a| view! {
                                    <tr>
                                        <th scope="row"><a href=format!("/back/accounts/{}", a.id)>{a.name}</a></th>
                                        <td class="num" data-label=t(Msg::Overdue)><Amount money=a.overdue/></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>
            {(!d.broken_promises.is_empty()).then(|| view! {
                <section>
                    <h2>{t(Msg::BrokenPromises30)}</h2>
                    <ul data-testid="dash-broken-list">
                        {d.broken_promises.into_iter().map(|b| view! {
                            <li><a href=format!("/back/accounts/{}", b.account_id)>{b.account_name}</a> " — "
                                <Amount money=b.amount/> " " <span class="muted">{t(Msg::PromisedFor)} " " <Day date=b.promised_date/></span></li>
                        }).collect_view()}
                    </ul>
                </section>
            })}
        </div>
    }
}

#[component]
fn CurrencyBlock(c: CurrencyFigures) -> impl IntoView {
    let code = c.aging.currency.code();
    let overdue = c.aging.overdue();
    let expected_total = Money::new(c.expected.iter().map(|(_, m)| m.minor).sum(), c.aging.currency);
    let max_week = c.expected.iter().map(|(_, m)| m.minor).max().unwrap_or(0).max(1);
    view! {
        <section class="cards" data-testid="dash-currency" data-currency=code>
            <div class="card">
                <h2>{t(Msg::TotalOutstanding)} " " {code}</h2>
                <p class="big" data-testid="dash-receivable" data-minor=c.aging.total.minor.to_string()><Amount money=c.aging.total/></p>
                <p>{t(Msg::TotalOverdue)} " " <span data-testid="dash-overdue"><Amount money=overdue/></span></p>
                <crate::aging::pages::AgingBar total=c.aging.clone()/>
            </div>
            <div class="card">
                <h2>{t(Msg::ExpectedFourWeeks)}</h2>
                <p class="big" data-testid="dash-expected"><Amount money=expected_total/></p>
                <ul class="bars" aria-label=t(Msg::ExpectedFourWeeks)>
                    {c.expected.into_iter().map(|(week, m)| {
                        let pct = (m.minor.max(0) as i128 * 100 / max_week as i128) as i64;
                        view! {
                            <li>
                                <span class="bar-label"><Day date=week/></span>
                                <span class="bar" style=format!("width: {pct}%")></span>
                                <span class="bar-value"><Amount money=m/></span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
            <div class="card">
                <h2>{t(Msg::CollectedThisMonth)}</h2>
                <p class="big" data-testid="dash-collected" data-minor=c.collected_this_month.minor.to_string()><Amount money=c.collected_this_month/></p>
                <p>{t(Msg::CollectedLastMonth)} " " <Amount money=c.collected_last_month/></p>
            </div>
        </section>
    }
}
