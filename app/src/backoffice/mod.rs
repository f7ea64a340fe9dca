//! The back-office: accounts (scoped by role), invoices across accounts,
//! the team and invitations (owner), and the mail outbox (owner).

use crate::components::{kind_msg, role_msg, Amount, Day, ErrorMessage, Loaded, Page, Pager};
use crate::domain::{Locale, Money, Role, Segment};
use crate::error::AppError;
use crate::i18n::{t, use_locale, Msg};
use crate::invoices::{list_invoices, InvoiceFilter, InvoiceQuery, LedgerLine};
use crate::portal::{InvoiceTable, InvoicesBody};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};

mod filters;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use filters::{CollectorFilter, SegmentFilter};

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];
const OWNER: &[Role] = &[Role::Owner];

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountFilter {
    pub search: Option<String>,
    pub segment: Option<Segment>,
    /// `Some(0)` means unassigned.
    pub collector_id: Option<i64>,
    pub overdue_only: bool,
    /// Archived accounts instead of those in use.
    #[serde(default)]
    pub archived: bool,
    pub page: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: i64,
    pub code: String,
    pub legal_name: String,
    pub segment: Segment,
    pub collector_name: Option<String>,
    pub balance: Money,
    pub overdue: Money,
    /// Under disputes in progress: out of the overdue figure.
    pub disputed: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountsPage {
    pub items: Vec<AccountRow>,
    pub page: i64,
    /// Pages counted so far (a few ahead of this one), and whether there are more.
    pub page_count: i64,
    pub more: bool,
    /// Outstanding and overdue over the whole (filtered) scope, per currency.
    pub totals: Vec<(Money, Money)>,
    pub collectors: Vec<StaffRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffRef {
    pub id: i64,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub invitation_pending: bool,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub id: i64,
    pub code: String,
    pub legal_name: String,
    pub billing_email: String,
    pub billing_phone: String,
    pub address: String,
    pub language: Locale,
    pub segment: Segment,
    pub collector: Option<StaffRef>,
    pub payment_terms_days: i32,
    pub credit_limit: Money,
    pub balance: Money,
    pub overdue: Money,
    pub disputed: Money,
    pub contacts: Vec<ContactRow>,
    pub ledger: Vec<LedgerLine>,
    pub identity: crate::accounts::AccountIdentity,
    /// Owners may manage its contacts.
    pub can_manage: bool,
    /// The owner and the accountant edit the account and reassign it.
    pub can_edit: bool,
    /// Active collectors to choose from (owners only).
    pub assignable: Vec<StaffRef>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub account_name: Option<String>,
    pub invitation_pending: bool,
    pub active: bool,
}

/// One page of the outbox, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxListing {
    pub items: Vec<OutboxMessage>,
    pub page: i64,
    pub page_count: i64,
    pub more: bool,
}

crate::reads!(OutboxListing);

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: String,
    pub created_at: DateTime<Utc>,
}

pub fn segment_msg(s: Segment) -> Msg {
    match s {
        Segment::Key => Msg::SegmentKey,
        Segment::Standard => Msg::SegmentStandard,
        Segment::Small => Msg::SegmentSmall,
    }
}

crate::reads!(AccountsPage, AccountDetail);

#[server(endpoint = "back/accounts", input = server_fn::codec::Json)]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_accounts(filter: AccountFilter) -> Result<AccountsPage, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::list_accounts(&state, &principal, &filter).await
    })
    .await
}

#[server(endpoint = "back/account")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_account(id: i64) -> Result<AccountDetail, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::account_detail(&state, &principal, id).await
    })
    .await
}

/// One event of an account's timeline (its audit entries).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub details: crate::audit::AuditDetails,
}

/// Staff: what happened on an account, newest first.
#[server(endpoint = "back/timeline")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_timeline(account_id: i64) -> Result<Vec<TimelineEvent>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_staff()?;
        ssr::timeline(&state, principal.scope(), account_id, 200).await
    })
    .await
}

/// What an audit action means, for the timeline (`None`: a name this
/// version does not write).
pub fn action_msg(action: &str) -> Option<Msg> {
    crate::audit::AuditAction::parse(action).map(crate::audit::AuditAction::label)
}

#[component]
pub fn AccountTimeline(account_id: i64) -> impl IntoView {
    let events = Resource::new(move || account_id, get_timeline);
    view! {
            <section data-testid="account-timeline">
                <h2>{t(Msg::Timeline)}</h2>
                <Loaded resource=events view=move |v| match v {
    list if list.is_empty() => view! { <p class="muted">{t(Msg::NoEvents)}</p> }.into_any(),
    list => view! {
                                <ol class="timeline">
                                    {list.into_iter().map(|e| {
                                        let label = match action_msg(&e.action) {
                                            Some(m) => view! { <span>{t(m)}</span> }.into_any(),
                                            None => view! { <code>{e.action.clone()}</code> }.into_any(),
                                        };
                                        view! {
                                            <li data-testid="timeline-event" data-action=e.action.clone()>
                                                <Day date=e.at.date_naive()/> " — " {label}
                                                {move || {
                                                    let summary = e.details.summary(use_locale().get());
                                                    (!summary.is_empty()).then(|| view! { " " <span class="muted small">{summary}</span> })
                                                }}
                                                {(!e.actor.is_empty()).then(|| view! { " · " <span class="muted small">{e.actor.clone()}</span> })}
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any(),
    }/>
            </section>
        }
}

/// Owner or accountant: give an account to a collector (or to nobody).
#[server(endpoint = "back/assign_collector")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn assign_collector(account_id: i64, collector_id: Option<String>) -> Result<(), AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_bookkeeper()?;
        let collector = match collector_id.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) => Some(s.parse::<i64>().map_err(|_| AppError::field("collector_id", Msg::InvalidInput))?),
        };
        ssr::assign_collector(&state, &principal, account_id, collector).await
    })
    .await
}

#[server(endpoint = "back/team")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_team() -> Result<Vec<TeamMember>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        ssr::list_team(&state).await
    })
    .await
}

/// Owner only: invite a staff member, or a contact of a client account.
#[server(endpoint = "back/invite")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn invite_user(
    name: String,
    email: String,
    role: String,
    account_id: Option<String>,
    locale: String,
) -> Result<Msg, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let input = ssr::InviteInput::parse(&name, &email, &role, account_id.as_deref(), &locale)?;
        ssr::invite(&state, &principal, input).await
    })
    .await
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub id: i64,
    pub code: String,
    pub legal_name: String,
}

/// Owner only: every account, for the invitation form.
#[server(endpoint = "back/account_choices")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn account_choices() -> Result<Vec<AccountChoice>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        ssr::account_choices(&state).await
    })
    .await
}

/// What an owner can do to a user account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserOp {
    /// Send a password-reset link (or a fresh invitation if none was accepted).
    SendLink,
    Deactivate,
    Reactivate,
}

impl UserOp {
    pub fn parse(s: &str) -> Option<UserOp> {
        match s {
            "send_link" => Some(UserOp::SendLink),
            "deactivate" => Some(UserOp::Deactivate),
            "reactivate" => Some(UserOp::Reactivate),
            _ => None,
        }
    }
}

/// Owner only: send a link to, deactivate or reactivate a user.
/// Returns the message to show (link sent, or user updated).
#[server(endpoint = "back/user_action")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn user_action(user_id: i64, action: String) -> Result<Msg, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        let action = UserOp::parse(&action).ok_or_else(|| AppError::field("action", Msg::InvalidInput))?;
        ssr::user_action(&state, &principal, user_id, action).await
    })
    .await
}

#[server(endpoint = "back/outbox")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn list_outbox(page: i64) -> Result<OutboxListing, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        principal.require_owner()?;
        ssr::list_outbox(&state, page).await
    })
    .await
}

// ---- pages ------------------------------------------------------------------

#[component]
pub fn AccountsPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::Accounts>
            <AccountsBody/>
        </Page>
    }
}

#[component]
fn AccountsBody() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        AccountFilter {
            search: q.get("q").filter(|s| !s.trim().is_empty()),
            segment: q.get("segment").and_then(|s| Segment::parse(&s)),
            collector_id: q.get("collector").and_then(|s| s.parse().ok()),
            overdue_only: q.get("overdue").is_some_and(|v| v == "1"),
            archived: q.get("archived").is_some_and(|v| v == "1"),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    });
    let data = Resource::new(move || filter.get(), list_accounts);
    let locale = use_locale();
    let bookkeeper =
        crate::shell::PageCtx::current().viewer.is_some_and(|v| crate::accounts::pages::BOOKKEEPERS.contains(&v.role));
    view! {
        <div class="title-row">
            <h1>{t(Msg::Accounts)}</h1>
            {bookkeeper.then(|| view! { <a class="button primary" href="/back/accounts/new" data-testid="new-account">{t(Msg::NewAccount)}</a> })}
        </div>
        <Loaded resource=data view=move |p| {
                        let f = filter.get_untracked();
                        let base = format!(
                            "/back/accounts?q={}&segment={}&collector={}&overdue={}&archived={}",
                            crate::components::urlencode(f.search.as_deref().unwrap_or("")),
                            f.segment.map(|s| s.as_str()).unwrap_or(""),
                            f.collector_id.map(|c| c.to_string()).unwrap_or_default(),
                            if f.overdue_only { "1" } else { "" },
                            if f.archived { "1" } else { "" },
                        );
                        view! {
                            <section class="cards">
                                {p.totals.iter().map(|(out, over)| view! {
                                    <div class="card"><h2>{t(Msg::TotalOutstanding)}</h2><p class="big"><Amount money=*out/></p></div>
                                    <div class="card warn"><h2>{t(Msg::TotalOverdue)}</h2><p class="big"><Amount money=*over/></p></div>
                                }).collect_view()}
                            </section>
                            <form method="get" action="/back/accounts" class="controls" data-testid="account-filters">
                                <label>{t(Msg::Search)}
                                    <input type="search" name="q" value=f.search.clone().unwrap_or_default()
                                        placeholder=move || Msg::SearchPlaceholder.text(locale.get())/>
                                </label>
                                <SegmentFilter selected=f.segment/>
                                <CollectorFilter
                                    collectors=p.collectors.iter().map(|c| (c.id, c.name.clone())).collect()
                                    selected=f.collector_id/>
                                <label class="check">
                                    <input type="checkbox" name="overdue" value="1" checked=f.overdue_only/>
                                    {t(Msg::OnlyOverdue)}
                                </label>
                                <label class="check">
                                    <input type="checkbox" name="archived" value="1" checked=f.archived data-testid="filter-archived"/>
                                    {t(Msg::ShowArchived)}
                                </label>
                                <button type="submit">{t(Msg::Apply)}</button>
                            </form>
                            {if p.items.is_empty() {
                                view! { <p class="muted">{t(Msg::NoAccounts)}</p> }.into_any()
                            } else {
                                view! {
                                    <table class="data" data-testid="account-table">
                                        <thead><tr>
                                            <th scope="col">{t(Msg::Code)}</th>
                                            <th scope="col">{t(Msg::LegalName)}</th>
                                            <th scope="col">{t(Msg::Segment)}</th>
                                            <th scope="col">{t(Msg::Collector)}</th>
                                            <th scope="col" class="num">{t(Msg::Balance)}</th>
                                            <th scope="col" class="num">{t(Msg::Overdue)}</th>
                                            <th scope="col" class="num">{t(Msg::Disputed)}</th>
                                        </tr></thead>
                                        <tbody>
                                            {p.items.into_iter().map(|a| view! {
                                                <tr data-testid="account-row">
                                                    <td data-label=t(Msg::Code)>{a.code}</td>
                                                    <td data-label=t(Msg::LegalName)><a href=format!("/back/accounts/{}", a.id)>{a.legal_name}</a></td>
                                                    <td data-label=t(Msg::Segment)>{t(segment_msg(a.segment))}</td>
                                                    <td data-label=t(Msg::Collector)>{match a.collector_name {
                                                        Some(n) => view! { <span>{n}</span> }.into_any(),
                                                        None => view! { <span class="muted">{t(Msg::Unassigned)}</span> }.into_any(),
                                                    }}</td>
                                                    <td data-label=t(Msg::Balance) class="num"><Amount money=a.balance/></td>
                                                    <td data-label=t(Msg::Overdue) class="num" class:warn=a.overdue.is_positive()><Amount money=a.overdue/></td>
                                                    <td data-label=t(Msg::Disputed) class="num" data-testid="account-disputed">{a.disputed.is_positive().then(|| view! { <Amount money=a.disputed/> })}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                    <Pager page=p.page page_count=p.page_count more=p.more base=base/>
                                }.into_any()
                            }}
                        }.into_any()
                    }
        />
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::Account>
            <AccountBody/>
        </Page>
    }
}

#[component]
fn AccountBody() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let assign = ServerAction::<AssignCollector>::new();
    let changed = RwSignal::new(0_u32);
    let detail = Resource::new(move || (id(), assign.version().get(), changed.get()), |(id, _, _)| get_account(id));
    let invoices = Resource::new(id, |id| {
        list_invoices(InvoiceQuery { filter: InvoiceFilter::All, account_id: Some(id), ..Default::default() })
    });
    view! {
        <Loaded resource=detail view=move |a| {
                        let can_assign = a.can_edit;
                        let can_manage = a.can_manage;
                        let current = a.collector.as_ref().map(|c| c.id);
                        let idn = a.identity.clone();
                        view! {
                            <div class="title-row">
                                <h1>{a.legal_name.clone()} " " <small class="muted">{a.code.clone()}</small>
                                    {idn.archived.then(|| view! { " " <span class="badge void" data-testid="account-archived-badge">{t(Msg::ArchivedBadge)}</span> })}
                                </h1>
                                {a.can_edit.then(|| view! {
                                    <a class="button" href=format!("/back/accounts/{}/edit", a.id) data-testid="edit-account">{t(Msg::EditAccount)}</a>
                                })}
                            </div>
                            <section class="cards">
                                <div class="card"><h2>{t(Msg::Balance)}</h2><p class="big"><Amount money=a.balance/></p></div>
                                <div class="card" class:warn=a.overdue.is_positive()><h2>{t(Msg::Overdue)}</h2><p class="big"><Amount money=a.overdue/></p></div>
                                {a.disputed.is_positive().then(|| view! {
                                    <div class="card" data-testid="account-disputed-card"><h2>{t(Msg::Disputed)}</h2><p class="big"><Amount money=a.disputed/></p></div>
                                })}
                                <div class="card"><h2>{t(Msg::CreditLimit)}</h2><p class="big"><Amount money=a.credit_limit/></p></div>
                            </section>
                            <dl class="facts">
                                <div><dt>{t(Msg::Segment)}</dt><dd>{t(segment_msg(a.segment))}</dd></div>
                                <div><dt>{t(Msg::BillingEmail)}</dt><dd>{a.billing_email.clone()}</dd></div>
                                <div><dt>{t(Msg::Phone)}</dt><dd>{a.billing_phone.clone()}</dd></div>
                                <div><dt>{t(Msg::PaymentTerms)}</dt><dd data-testid="account-terms">{a.payment_terms_days} " "
                                    {t(if idn.terms_end_of_month { Msg::DaysEndOfMonth } else { Msg::DaysNet })}</dd></div>
                                <div><dt>{t(Msg::CustomerKindLabel)}</dt><dd>{t(match idn.kind {
                                    crate::domain::CustomerKind::Business => Msg::KindBusiness,
                                    crate::domain::CustomerKind::Consumer => Msg::KindConsumer,
                                })}</dd></div>
                                {idn.siren.clone().map(|v| view! { <div><dt>{t(Msg::SirenLabel)}</dt><dd data-testid="account-siren">{v}</dd></div> })}
                                {idn.siret.clone().map(|v| view! { <div><dt>{t(Msg::SiretLabel)}</dt><dd>{v}</dd></div> })}
                                {idn.vat_number.clone().map(|v| view! { <div><dt>{t(Msg::VatNumberLabel)}</dt><dd data-testid="account-vat">{v}</dd></div> })}
                                <div><dt>{t(Msg::PostalAddress)}</dt><dd>{a.address.clone()} " " {idn.postal_code.clone()} " " {idn.city.clone()} " " {idn.country.clone()}</dd></div>
                                {(!idn.billing_cc.is_empty()).then(|| view! { <div><dt>{t(Msg::BillingEmails)}</dt><dd>{idn.billing_cc.clone()}</dd></div> })}
                                {idn.external_id.clone().map(|v| view! { <div><dt>{t(Msg::ExternalId)}</dt><dd>{v}</dd></div> })}
                                {(!idn.notes.is_empty()).then(|| view! { <div><dt>{t(Msg::InternalNotes)}</dt><dd class="pre-line">{idn.notes.clone()}</dd></div> })}
                                <div><dt>{t(Msg::Language)}</dt><dd>{a.language.code().to_uppercase()}</dd></div>
                                <div><dt>{t(Msg::Collector)}</dt><dd data-testid="account-collector">{match a.collector.clone() {
                                    Some(c) => view! { <span>{c.name}</span> }.into_any(),
                                    None => view! { <span class="muted">{t(Msg::Unassigned)}</span> }.into_any(),
                                }}</dd></div>
                            </dl>
                            {can_assign.then(|| view! {
                                <ActionForm action=assign attr:class="controls">
                                    <input type="hidden" name="account_id" value=a.id.to_string()/>
                                    <label>{t(Msg::Collector)}
                                        <select name="collector_id">
                                            <option value="">{t(Msg::Unassigned)}</option>
                                            {a.assignable.iter().map(|c| view! {
                                                <option value=c.id.to_string() selected=current == Some(c.id)>{c.name.clone()}</option>
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <button type="submit">{t(Msg::AssignCollector)}</button>
                                    {move || match assign.value().get() {
                                        Some(Ok(())) => Some(view! { <span class="ok" role="status">{t(Msg::CollectorAssigned)}</span> }.into_any()),
                                        Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                                        None => None,
                                    }}
                                </ActionForm>
                            })}
                            {(!idn.archived).then(|| view! {
                                <crate::invoicing::pages::AccountDrafts account_id=a.id can_invoice=true/>
                                <crate::invoicing::pages::AccountRecurring account_id=a.id/>
                                <crate::payments::received::pages::RecordPaymentForm account_id=a.id/>
                            })}
                            <crate::payments::back::AccountPayments account_id=a.id/>
                            <crate::promises::pages::AccountPromises account_id=a.id/>
                            <crate::disputes::pages::DisputesOf account_id=a.id staff=true/>
                            <crate::reminders::pages::ReminderPanel account_id=a.id/>
                            <crate::legal::pages::ClaimPanel account_id=a.id owner=can_manage/>
                            <crate::statements::StatementForm base=format!("/back/accounts/{}/statement", a.id)/>
                            <AccountTimeline account_id=a.id/>
                            <section>
                                <h2>{t(Msg::Contacts)}</h2>
                                {if a.contacts.is_empty() {
                                    view! { <p class="muted">{t(Msg::NoContacts)}</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="contacts">
                                            {a.contacts.into_iter().map(|c| view! {
                                                <li data-testid="contact">
                                                    <strong>{c.name}</strong> " · " {c.email} " " {c.phone} " "
                                                    {c.invitation_pending.then(|| view! { <span class="badge open">{t(Msg::InvitationPending)}</span> })}
                                                    {(!c.active).then(|| view! { <span class="badge void">{t(Msg::Inactive)}</span> })}
                                                    {can_manage.then(|| view! { <UserActions user_id=c.id active=c.active pending=c.invitation_pending changed=changed/> })}
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            </section>
                            <section>
                                <h2>{t(Msg::Ledger)}</h2>
                                <LedgerTable lines=a.ledger/>
                            </section>
                        }.into_any()
                    }/>
        <section>
            <h2>{t(Msg::Invoices)}</h2>
            <Loaded resource=invoices view=move |p| {
                            let more = p.page_count > 1 || p.more;
                            let all_href = move || format!("/back/invoices?filter=all&account={}", id());
                            view! {
                                <InvoiceTable items=p.items base="/back/invoices" show_account=false/>
                                {more.then(|| view! { <p><a href=all_href>{t(Msg::SeeAllInvoices)}</a></p> })}
                            }.into_any()
                        }/>
        </section>
    }
}

#[component]
fn LedgerTable(lines: Vec<LedgerLine>) -> impl IntoView {
    view! {
        <table class="data" data-testid="ledger-table">
            <thead><tr>
                <th scope="col">{t(Msg::Date)}</th>
                <th scope="col">{t(Msg::Description)}</th>
                <th scope="col">{t(Msg::InvoiceTitle)}</th>
                <th scope="col">{t(Msg::Reference)}</th>
                <th scope="col" class="num">{t(Msg::Amount)}</th>
            </tr></thead>
            <tbody>
                {lines.into_iter().map(|l| view! {
                    <tr>
                        <td data-label=t(Msg::Date)><Day date=l.occurred_on/></td>
                        <td data-label=t(Msg::Description)>{t(kind_msg(l.kind))}</td>
                        <td data-label=t(Msg::InvoiceTitle)>{l.invoice_number.unwrap_or_default()}</td>
                        <td data-label=t(Msg::Reference)>{l.reference}</td>
                        <td data-label=t(Msg::Amount) class="num"><Amount money=l.amount/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn InvoicesPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::AllInvoices>
            <InvoicesBody path="/back/invoices" title=Msg::AllInvoices staff=true/>
        </Page>
    }
}

#[component]
pub fn TeamPage() -> impl IntoView {
    view! {
        <Page roles=OWNER title=Msg::Staff>
            <TeamBody/>
        </Page>
    }
}

#[component]
fn TeamBody() -> impl IntoView {
    let invite = ServerAction::<InviteUser>::new();
    let changed = RwSignal::new(0_u32);
    let team = Resource::new(move || (invite.version().get(), changed.get()), |_| list_team());
    let accounts = Resource::new(|| (), |_| account_choices());
    let err = move || invite.value().get().and_then(|r| r.err());
    view! {
        <h1>{t(Msg::Staff)}</h1>
        <Loaded resource=team view=move |members| view! {
                        <table class="data" data-testid="team-table">
                            <thead><tr>
                                <th scope="col">{t(Msg::Name)}</th>
                                <th scope="col">{t(Msg::Email)}</th>
                                <th scope="col">{t(Msg::Role)}</th>
                                <th scope="col">{t(Msg::Account)}</th>
                                <th scope="col">{t(Msg::Status)}</th>
                                <th scope="col">{t(Msg::Actions)}</th>
                            </tr></thead>
                            <tbody>
                                {members.into_iter().map(|m| {
                                    let status = if !m.active { Msg::Inactive } else if m.invitation_pending { Msg::InvitationPending } else { Msg::Active };
                                    view! {
                                        <tr data-testid="team-row">
                                            <td data-label=t(Msg::Name)>{m.name}</td>
                                            <td data-label=t(Msg::Email)>{m.email}</td>
                                            <td data-label=t(Msg::Role)>{t(role_msg(m.role))}</td>
                                            <td data-label=t(Msg::Account)>{m.account_name.unwrap_or_default()}</td>
                                            <td data-label=t(Msg::Status)>{t(status)}</td>
                                            <td data-label=t(Msg::Actions)><UserActions user_id=m.id active=m.active pending=m.invitation_pending changed=changed/></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()/>
        <section>
            <h2>{t(Msg::Invite)}</h2>
            {move || match invite.value().get() {
                Some(Ok(msg)) => Some(view! { <p class="alert ok" role="status">{t(msg)}</p> }.into_any()),
                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                None => None,
            }}
            <ActionForm action=invite attr:class="stack narrow" attr:data-testid="invite-form">
                <label>{t(Msg::Name)}<input name="name" required/>
                    <crate::components::FieldError error=Signal::derive(err) name="name"/>
                </label>
                <label>{t(Msg::Email)}<input type="email" name="email" required/>
                    <crate::components::FieldError error=Signal::derive(err) name="email"/>
                </label>
                <label>{t(Msg::Role)}
                    <select name="role">
                        <option value="client">{t(Msg::RoleClient)}</option>
                        <option value="collector">{t(Msg::RoleCollector)}</option>
                        <option value="accountant">{t(Msg::RoleAccountant)}</option>
                        <option value="owner">{t(Msg::RoleOwner)}</option>
                    </select>
                </label>
                <label>{t(Msg::Account)} " (" {t(Msg::RoleClient)} ")"
                    <Loaded resource=accounts quiet=true view=|items| view! {
                        <select name="account_id">
                            <option value="">"—"</option>
                            {items.into_iter().map(|a| view! {
                                <option value=a.id.to_string()>{format!("{} · {}", a.code, a.legal_name)}</option>
                            }).collect_view()}
                        </select>
                    }.into_any()/>
                    <crate::components::FieldError error=Signal::derive(err) name="account_id"/>
                </label>
                <label>{t(Msg::Language)}
                    <select name="locale"><option value="fr">"Français"</option><option value="en">"English"</option></select>
                </label>
                <button type="submit" class="primary">{t(Msg::Invite)}</button>
            </ActionForm>
        </section>
    }
}

/// Owner buttons for one user; each is a small form, so it works without wasm.
/// `changed` is bumped after each completed action so the list reloads.
#[component]
fn UserActions(user_id: i64, active: bool, pending: bool, changed: RwSignal<u32>) -> impl IntoView {
    let action = ServerAction::<UserAction>::new();
    // A link sent changes nothing on screen: keep its confirmation visible.
    Effect::new(move |_| {
        if let Some(Ok(Msg::UserUpdated)) = action.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let link_label = if pending { Msg::ResendInvitation } else { Msg::SendPasswordReset };
    let button = move |name: &'static str, label: Msg| {
        view! {
            <ActionForm action=action attr:class="inline">
                <input type="hidden" name="user_id" value=user_id.to_string()/>
                <input type="hidden" name="action" value=name/>
                <button type="submit" class="link" data-testid=format!("user-{name}")>{t(label)}</button>
            </ActionForm>
        }
    };
    view! {
        <span class="user-actions">
            {active.then(|| button("send_link", link_label))}
            {if active { button("deactivate", Msg::Deactivate) } else { button("reactivate", Msg::Reactivate) }}
            {move || match action.value().get() {
                Some(Ok(msg)) => Some(view! { <span class="ok" role="status">{t(msg)}</span> }.into_any()),
                Some(Err(e)) => Some(view! { <ErrorMessage error=e/> }.into_any()),
                None => None,
            }}
        </span>
    }
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    view! {
        <Page roles=OWNER title=Msg::Outbox>
            <OutboxBody/>
        </Page>
    }
}

#[component]
fn OutboxBody() -> impl IntoView {
    let page = crate::components::page_param("page");
    let data = Resource::new(move || page.get(), list_outbox);
    view! {
            <h1>{t(Msg::Outbox)}</h1>
            <p class="muted">{t(Msg::OutboxIntro)}</p>
            <Loaded resource=data view=move |v| match v {
    l if l.items.is_empty() => view! { <p class="muted">{t(Msg::NoMail)}</p> }.into_any(),
    l => view! {
                            <div class="outbox" data-testid="outbox">
                                {l.items.into_iter().map(|m| {
                                    let status = match m.status.as_str() { "sent" => Msg::MailSent, "failed" => Msg::MailFailed, _ => Msg::MailPending };
                                    view! {
                                        <details class="mail">
                                            <summary>
                                                <span class="badge">{t(status)}</span> " "
                                                <strong>{m.subject}</strong> " → " {m.to_address} " · "
                                                <Day date=m.created_at.date_naive()/>
                                            </summary>
                                            <pre>{m.body_text}</pre>
                                            {(!m.last_error.is_empty()).then(|| view! { <p class="muted">{t(Msg::Attempts)} ": " {m.attempts} " — " {m.last_error}</p> })}
                                        </details>
                                    }
                                }).collect_view()}
                            </div>
                            <Pager page=l.page page_count=l.page_count more=l.more base="/back/outbox".to_string()/>
                        }.into_any(),
    }/>
            <crate::reminders::texts::TextsOutbox/>
        }
}
