//! The reminder calendar on screen: what the plans will do in the next
//! 30 days, on an account's page and for the whole portfolio
//! (`/back/reminders/calendar`), day by day.

use super::get_reminder_calendar;
use crate::components::{Amount, Day, Loaded, Page};
use crate::domain::Role;
use crate::i18n::{t, Msg};
use leptos::prelude::*;

/// `/back/reminders/calendar`: every account in the caller's scope.
#[component]
pub fn CalendarPage() -> impl IntoView {
    view! {
        <Page roles=&[Role::Owner, Role::Collector, Role::Accountant] title=Msg::ReminderCalendar>
            <h1>{t(Msg::ReminderCalendar)}</h1>
            <p class="muted">{t(Msg::ReminderCalendarIntro)}</p>
            <ReminderCalendar account_id=None/>
        </Page>
    }
}

/// The planned reminders of one account (`Some`) or of the portfolio.
#[component]
pub fn ReminderCalendar(account_id: Option<i64>) -> impl IntoView {
    let planned = Resource::new(move || account_id, get_reminder_calendar);
    let portfolio = account_id.is_none();
    view! {
        <Loaded resource=planned view=move |list| {
            if list.is_empty() {
                return view! { <p class="muted" data-testid="calendar-empty">{t(Msg::ReminderCalendarEmpty)}</p> }.into_any();
            }
            view! {
                <table class="data" data-testid="reminder-calendar">
                    <caption class="muted small">{t(Msg::ReminderCalendar)}</caption>
                    <thead><tr>
                        <th scope="col">{t(Msg::Date)}</th>
                        {portfolio.then(|| view! { <th scope="col">{t(Msg::Account)}</th> })}
                        <th scope="col">{t(Msg::ReminderStep)}</th>
                        <th scope="col">{t(Msg::Invoices)}</th>
                        <th scope="col" class="num">{t(Msg::AmountDue)}</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|p| view! {
                            <tr data-testid="planned-reminder" data-channel=p.channel.as_str() data-day=p.day.to_string()>
                                <td data-label=t(Msg::Date)><Day date=p.day/></td>
                                {portfolio.then(|| view! {
                                    <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", p.account_id)>{p.account_name.clone()}</a></td>
                                })}
                                <td data-label=t(Msg::ReminderStep)>{p.position} " · " {t(p.channel.msg())}</td>
                                <td data-label=t(Msg::Invoices)>{p.invoices.join(", ")}</td>
                                <td data-label=t(Msg::AmountDue) class="num"><Amount money=p.amount/></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }/>
    }
}
