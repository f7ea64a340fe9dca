//! UI pieces shared by the portal and the back-office.

use crate::domain::{EntryKind, InvoiceState, Money, Role};
use crate::error::AppError;
use crate::i18n::{t, use_locale, Msg};
use crate::shell::{PageCtx, Viewer};
use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};
use leptos_router::hooks::use_location;

/// A page of the signed-in area: checks who is viewing before rendering
/// anything (the server functions behind it check again).
#[component]
pub fn Page(roles: &'static [Role], title: Msg, children: ChildrenFn) -> impl IntoView {
    let ctx = PageCtx::current();
    let locale = ctx.locale;
    let location = use_location();
    match ctx.viewer {
        None => {
            let search = location.search.get_untracked();
            let pathname = location.pathname.get_untracked();
            let next =
                if search.is_empty() { pathname } else { format!("{pathname}?{}", search.trim_start_matches('?')) };
            let path = format!("/login?next={}", urlencode(&next));
            view! { <Redirect path=path/> }.into_any()
        }
        Some(viewer) => {
            let allowed = roles.contains(&viewer.role);
            view! {
                <Title text=title.text(locale)/>
                <Layout viewer=viewer>
                    {if allowed { children().into_any() } else { view! { <ErrorMessage error=AppError::Forbidden/> }.into_any() }}
                </Layout>
            }
            .into_any()
        }
    }
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[component]
pub fn Layout(viewer: Viewer, children: Children) -> impl IntoView {
    let is_staff = viewer.role.is_staff();
    let is_owner = viewer.role == Role::Owner;
    let keeps_books = matches!(viewer.role, Role::Owner | Role::Accountant);
    let collects = matches!(viewer.role, Role::Owner | Role::Collector);
    let role_label = role_msg(viewer.role);
    let test_mode = PageCtx::current().test_mode;
    view! {
        <a class="skip" href="#main">{t(Msg::SkipToContent)}</a>
        {test_mode.then(|| view! { <TestModeBar/> })}
        <header class="topbar">
            <a class="brand" href=if is_staff { "/back/accounts" } else { "/portal" }>"Relance"</a>
            <nav aria-label="main">
                {if is_staff {
                    view! {
                        <A href="/back/dashboard">{t(Msg::DashboardTitle)}</A>
                        <A href="/back/accounts">{t(Msg::Accounts)}</A>
                        <A href="/back/invoices">{t(Msg::Invoices)}</A>
                        <A href="/back/aging">{t(Msg::AgingTitle)}</A>
                        <A href="/back/indicators">{t(Msg::KpiTitle)}</A>
                        <A href="/back/payments">{t(Msg::Payments)}</A>
                        <A href="/back/promises">{t(Msg::Promises)}</A>
                        <A href="/back/disputes">{t(Msg::Disputes)}</A>
                        <A href="/back/reminders">{t(Msg::RemindersTitle)}</A>
                        {collects.then(|| view! { <A href="/back/todo">{t(Msg::Todo)}</A> })}
                        {keeps_books.then(|| view! {
                            <A href="/back/imports">{t(Msg::Imports)}</A>
                            <A href="/back/exports">{t(Msg::ExportsNav)}</A>
                        })}
                        {is_owner.then(|| view! {
                            <A href="/back/team">{t(Msg::Staff)}</A>
                            <A href="/back/outbox">{t(Msg::Outbox)}</A>
                            <A href="/back/settings">{t(Msg::Settings)}</A>
                        })}
                    }.into_any()
                } else {
                    view! {
                        <A href="/portal" exact=true>{t(Msg::Overview)}</A>
                        <A href="/portal/invoices">{t(Msg::Invoices)}</A>
                        <A href="/portal/payments">{t(Msg::Payments)}</A>
                        <A href="/portal/methods">{t(Msg::PaymentMethods)}</A>
                        <A href="/portal/promises">{t(Msg::Promises)}</A>
                        <A href="/portal/disputes">{t(Msg::Disputes)}</A>
                        <A href="/portal/history">{t(Msg::History)}</A>
                    }.into_any()
                }}
            </nav>
            <div class="user">
                <span class="who" data-testid="viewer-name">{viewer.name.clone()}</span>
                <span class="role">{t(role_label)}</span>
                <LanguageSwitch/>
                <a href="/settings/password">{t(Msg::ChangePassword)}</a>
                <form method="post" action="/logout" class="inline">
                    <button type="submit" class="link">{t(Msg::SignOut)}</button>
                </form>
            </div>
        </header>
        <main id="main">{children()}</main>
    }
}

/// Shown on every page while payments run in the offline sandbox: nobody
/// should mistake simulated payments for real ones.
#[component]
pub fn TestModeBar() -> impl IntoView {
    view! { <div class="test-mode-bar" role="note" data-testid="test-mode-bar">{t(Msg::TestModeBar)}</div> }
}

/// A plain form so it works before (and without) the wasm bundle.
#[component]
pub fn LanguageSwitch() -> impl IntoView {
    let locale = use_locale();
    let location = use_location();
    let back = move || {
        let search = location.search.get();
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{}", location.pathname.get(), search)
        }
    };
    view! {
        <form method="post" action="/lang" class="inline lang-switch">
            <input type="hidden" name="locale" value=move || locale.get().other().code()/>
            <input type="hidden" name="back" value=back/>
            <button type="submit" class="link" data-testid="switch-language" lang=move || locale.get().other().code()>
                {move || Msg::SwitchLanguage.text(locale.get())}
            </button>
        </form>
    }
}

pub fn role_msg(role: Role) -> Msg {
    match role {
        Role::Owner => Msg::RoleOwner,
        Role::Collector => Msg::RoleCollector,
        Role::Accountant => Msg::RoleAccountant,
        Role::Client => Msg::RoleClient,
    }
}

pub fn state_msg(state: InvoiceState) -> Msg {
    match state {
        InvoiceState::Paid => Msg::StatePaid,
        InvoiceState::Open => Msg::StateOpen,
        InvoiceState::PartiallyPaid => Msg::StatePartiallyPaid,
        InvoiceState::Overdue => Msg::StateOverdue,
        InvoiceState::Promised => Msg::StatePromised,
        InvoiceState::Disputed => Msg::StateDisputed,
        InvoiceState::Void => Msg::StateVoid,
    }
}

pub fn kind_msg(kind: EntryKind) -> Msg {
    match kind {
        EntryKind::Invoice => Msg::KindInvoice,
        EntryKind::Payment => Msg::KindPayment,
        EntryKind::CreditNote => Msg::KindCreditNote,
        EntryKind::Fee => Msg::KindFee,
        EntryKind::WriteOff => Msg::KindWriteOff,
        EntryKind::Refund => Msg::KindRefund,
        EntryKind::RefundReversal => Msg::KindRefundReversal,
        EntryKind::PaymentReversal => Msg::KindPaymentReversal,
        EntryKind::CreditApplied => Msg::KindCreditApplied,
    }
}

/// What a ledger entry's kind (as stored) is, in words (files and
/// documents; an unknown kind as it is).
pub fn kind_text(kind: &str, locale: crate::domain::Locale) -> String {
    crate::domain::ledger::EntryKind::parse(kind)
        .map(|k| kind_msg(k).text(locale).to_string())
        .unwrap_or_else(|| kind.to_string())
}

/// How a status looks (its badge's colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Settled in the merchant's favour: paid, kept, approved.
    Good,
    /// Running normally.
    Open,
    /// Needs attention but is not lost: partly paid, disputed.
    Partial,
    /// Late, failed, broken, rejected.
    Bad,
    /// Over without effect: void, cancelled, closed.
    Void,
}

/// A status that a badge can show.
pub trait Status: Copy + Send + Sync + 'static {
    fn tone(self) -> Tone;
    fn label(self) -> Msg;
    /// The badge's `data-testid`.
    const TESTID: &'static str;
}

/// One badge for every status: invoices, payments, promises, disputes.
#[component]
pub fn StatusBadge<S: Status>(status: S) -> impl IntoView {
    let class = match status.tone() {
        Tone::Good => "badge paid",
        Tone::Open => "badge open",
        Tone::Partial => "badge partial",
        Tone::Bad => "badge overdue",
        Tone::Void => "badge void",
    };
    view! { <span class=class data-testid=S::TESTID>{t(status.label())}</span> }
}

impl Status for InvoiceState {
    const TESTID: &'static str = "invoice-state";

    fn tone(self) -> Tone {
        match self {
            InvoiceState::Paid => Tone::Good,
            InvoiceState::Open | InvoiceState::Promised => Tone::Open,
            InvoiceState::PartiallyPaid | InvoiceState::Disputed => Tone::Partial,
            InvoiceState::Overdue => Tone::Bad,
            InvoiceState::Void => Tone::Void,
        }
    }

    fn label(self) -> Msg {
        state_msg(self)
    }
}

/// A resource's content once loaded: "Loading…" meanwhile, the error's
/// message if it failed, else `view` of the value.
///
/// `quiet` shows nothing while loading (a section of a page that appears
/// when it has something); `with_fields` lists a validation error's field
/// messages; `on_error` replaces the error's view (a message with a way
/// back, or nothing).
#[component]
pub fn Loaded<T, F>(
    resource: Resource<Result<T, AppError>>,
    view: F,
    #[prop(optional)] quiet: bool,
    #[prop(optional)] with_fields: bool,
    #[prop(optional)] on_error: Option<fn(AppError) -> AnyView>,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> AnyView + Clone + Send + Sync + 'static,
{
    let fallback = move || (!quiet).then(|| view! { <p>{t(Msg::Loading)}</p> });
    view! {
        <Suspense fallback=fallback>
            {move || {
                let view = view.clone();
                Suspend::new(async move {
                    match resource.await {
                        Err(e) => match on_error {
                            Some(show) => show(e),
                            None => view! { <ErrorMessage error=e with_fields=with_fields/> }.into_any(),
                        },
                        Ok(value) => view(value),
                    }
                })
            }}
        </Suspense>
    }
}

/// Tabs over one list's queues or filters: links (they work without wasm),
/// the current one marked for assistive technology.
#[component]
pub fn QueueTabs(
    /// `(key, label, count)`: the count is shown when given.
    tabs: Vec<(&'static str, Msg, Option<i64>)>,
    #[prop(into)] current: Signal<String>,
    /// The link of a tab, from its key.
    href: fn(&str) -> String,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <nav class="tabs" data-testid=testid>
            {tabs.into_iter().map(|(key, label, count)| {
                let is = move || current.get() == key;
                view! {
                    <a href=href(key) class=move || if is() { "tab current" } else { "tab" }
                        aria-current=move || is().then_some("page") data-testid=format!("queue-{key}")>
                        {t(label)} {count.map(|n| format!(" ({n})"))}</a>
                }
            }).collect_view()}
        </nav>
    }
}

#[component]
pub fn Amount(money: Money) -> impl IntoView {
    let locale = use_locale();
    view! { <span class="amount">{move || money.format(locale.get())}</span> }
}

#[component]
pub fn Day(date: NaiveDate) -> impl IntoView {
    let locale = use_locale();
    view! { <time datetime=date.to_string()>{move || locale.get().format_date(date)}</time> }
}

/// An error's headline. A form shows each field's message under its input;
/// a page without those inputs (a link's query was refused) passes
/// `with_fields` so that the messages are shown here instead.
#[component]
pub fn ErrorMessage(error: AppError, #[prop(optional)] with_fields: bool) -> impl IntoView {
    let msg = error.message();
    let unauthorized = matches!(error, AppError::Unauthorized);
    let fields = match (&error, with_fields) {
        (AppError::Validation(fields), true) => fields.iter().map(|(_, m)| *m).collect(),
        _ => Vec::new(),
    };
    view! {
        <div class="alert error" role="alert">
            {if fields.is_empty() {
                view! { <p>{t(msg)}</p> }.into_any()
            } else {
                fields.into_iter().map(|m| view! { <p>{t(m)}</p> }).collect_view().into_any()
            }}
            {unauthorized.then(|| view! { <a href="/login">{t(Msg::SignIn)}</a> })}
        </div>
    }
}

/// Shows a field's validation message under an input. Each message is an
/// alert: a screen reader says it as it appears, not only the headline.
pub fn field_error(err: &Option<AppError>, field: &str) -> Option<Msg> {
    err.as_ref().and_then(|e| e.field_message(field))
}

/// The validation message of field `name`, when `error` names it.
#[component]
pub fn FieldError(#[prop(into)] error: Signal<Option<AppError>>, #[prop(into)] name: String) -> impl IntoView {
    move || {
        field_error(&error.get(), &name)
            .map(|m| view! { <span class="field-error" role="alert" data-testid=format!("error-{name}")>{t(m)}</span> })
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_actix::ResponseOptions>() {
        res.set_status(actix_web::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main id="main" class="narrow">
            <h1>"404"</h1>
            <p>{t(Msg::NotFound)}</p>
            <a href="/">"Relance"</a>
        </main>
    }
}

/// A page-number query parameter (1 when absent or not a number).
pub fn page_param(name: &'static str) -> Memo<i64> {
    let query = leptos_router::hooks::use_query_map();
    Memo::new(move |_| query.read().get(name).and_then(|p| p.parse().ok()).unwrap_or(1))
}

/// Previous / next links that keep the other query parameters.
#[component]
pub fn Pager(
    page: i64,
    page_count: i64,
    /// More pages than counted (lists count a few pages ahead, not a
    /// million rows): shown as "40+".
    #[prop(optional)]
    more: bool,
    base: String,
    /// The query parameter carrying the page, when a page shows several
    /// lists (`page` by default).
    #[prop(optional)]
    param: Option<&'static str>,
) -> impl IntoView {
    let sep = if base.contains('?') { "&" } else { "?" };
    let param = param.unwrap_or("page");
    let prev = (page > 1).then(|| format!("{base}{sep}{param}={}", page - 1));
    let next = (page < page_count || more).then(|| format!("{base}{sep}{param}={}", page + 1));
    let plus = if more { "+" } else { "" };
    view! {
        <nav class="pager" aria-label="pagination">
            {prev.map(|href| view! { <a href=href rel="prev">{t(Msg::Previous)}</a> })}
            <span>{t(Msg::Page)} " " {page} " / " {page_count} {plus}</span>
            {next.map(|href| view! { <a href=href rel="next">{t(Msg::Next)}</a> })}
        </nav>
    }
}

/// After a server action succeeds with a target path, load that page in
/// full (fresh data, and the same page the no-JS redirect shows). Nothing
/// on the server side: the redirect there is `leptos_actix::redirect`.
macro_rules! follow_target {
    ($action:expr) => {
        #[cfg(feature = "hydrate")]
        {
            let action = $action;
            Effect::new(move |_| {
                if let Some(Ok(done)) = action.value().get() {
                    if let Some(next) = $crate::answer::Answer::next(&done) {
                        let _ = window().location().assign(next);
                    }
                }
            });
        }
    };
}
pub(crate) use follow_target;
