//! The merchant's send window (`/back/reminders`): the weekdays and hours,
//! in each account's own time zone, when reminders go out, and the public
//! holidays skipped. Staff read it; the owner changes it.

use crate::answer::Done;
use crate::components::{follow_target as follow, ErrorMessage, FieldError, Loaded};
use crate::domain::calendar::HolidayCalendar;
use crate::error::AppError;
use crate::i18n::{t, Msg};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The window as the form shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowView {
    /// Monday first.
    pub days: [bool; 7],
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    /// `HolidayCalendar::as_str`.
    pub calendar: String,
    pub can_edit: bool,
}

crate::reads!(WindowView);

fn calendar_msg(c: HolidayCalendar) -> Msg {
    match c {
        HolidayCalendar::France => Msg::HolidaysFrance,
        HolidayCalendar::FranceAlsaceMoselle => Msg::HolidaysAlsaceMoselle,
        HolidayCalendar::EnglandWales => Msg::HolidaysEnglandWales,
        HolidayCalendar::None => Msg::HolidaysNone,
    }
}

const DAYS: [Msg; 7] =
    [Msg::Monday, Msg::Tuesday, Msg::Wednesday, Msg::Thursday, Msg::Friday, Msg::Saturday, Msg::Sunday];

/// The send window (staff).
#[server(endpoint = "reminders/window")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_window() -> Result<WindowView, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        let w = super::ssr::window(&state).await?;
        Ok(WindowView {
            days: w.days,
            start: w.start.format("%H:%M").to_string(),
            end: w.end.format("%H:%M").to_string(),
            calendar: w.calendar.as_str().to_string(),
            can_edit: principal.role == crate::domain::Role::Owner,
        })
    })
    .await
}

/// The form as typed: `days` are the ticked weekdays (`0` Monday … `6`
/// Sunday), times `HH:MM`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WindowForm {
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
    pub calendar: String,
}

/// Changes the send window (the owner).
#[server(endpoint = "reminders/save_window")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn save_window(#[server(default)] form: WindowForm) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::save_window(&state, &principal, &form).await?;
        Ok(Done::new((), "/back/reminders?window=1".to_string()))
    })
    .await
}

/// The window's form (read-only for staff other than the owner).
#[component]
pub fn SendWindowForm() -> impl IntoView {
    let action = ServerAction::<SaveWindow>::new();
    follow!(action);
    let window = Resource::new(move || action.version().get(), |_| get_window());
    let err = move || action.value().get().and_then(|r| r.err());
    // Saved in place, or by the form's plain post (redirected here with `?window=1`).
    let query = leptos_router::hooks::use_query_map();
    let saved = move || {
        action.value().get().and_then(|r| r.ok()).is_some() || query.read().get("window").as_deref() == Some("1")
    };
    view! {
        {move || saved().then(|| view! { <p class="notice" role="status" data-testid="window-saved">{t(Msg::SendWindowSaved)}</p> })}
        <details class="card" data-testid="send-window">
            <summary>{t(Msg::SendWindow)}</summary>
            <p class="muted small">{t(Msg::SendWindowHint)}</p>
            <Loaded resource=window view=move |w| {
                let disabled = !w.can_edit;
                view! {
                    <ActionForm action=action attr:class="stack narrow" attr:data-testid="send-window-form">
                        <fieldset disabled=disabled>
                            <legend>{t(Msg::SendDays)}</legend>
                            {DAYS.iter().enumerate().map(|(i, msg)| view! {
                                <label class="check"><input type="checkbox" name=format!("form[days][{i}]") value=i.to_string() checked=w.days[i] data-testid=format!("window-day-{i}")/> {t(*msg)}</label>
                            }).collect_view()}
                        </fieldset>
                        <FieldError error=Signal::derive(err) name="form.days"/>
                        <label>{t(Msg::SendFrom)} <input type="time" name="form[start]" value=w.start.clone() required disabled=disabled data-testid="window-start"/></label>
                        <label>{t(Msg::SendUntil)} <input type="time" name="form[end]" value=w.end.clone() required disabled=disabled data-testid="window-end"/></label>
                        <FieldError error=Signal::derive(err) name="form.end"/>
                        <label>{t(Msg::HolidayCalendarLabel)}
                            <select name="form[calendar]" disabled=disabled data-testid="window-calendar">
                                {HolidayCalendar::ALL.into_iter().map(|c| view! {
                                    <option value=c.as_str() selected=c.as_str() == w.calendar>{t(calendar_msg(c))}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        {w.can_edit.then(|| view! { <button type="submit" data-testid="window-save">{t(Msg::Save)}</button> })}
                    </ActionForm>
                }.into_any()
            }/>
            {move || err().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
        </details>
    }
}
