//! The account page's reminder panel: the plan that applies, why the next
//! reminder will or will not go for each open invoice, what was recorded,
//! and the pause form.

use super::plans::{get_plans, ArchivePlan, AssignPlan, CreatePlan, SetAccountPlan};
use super::rules::{Anchor, Channel};
use super::todo::{get_todo, CompleteTask};
use super::{get_reminder_status, Hold, PauseReminders};
use crate::components::follow_target as follow;
use crate::components::{Amount, Day, ErrorMessage, FieldError, Loaded};
use crate::domain::Role;
use crate::i18n::{t, Msg};
use leptos::prelude::*;

/// Staff in scope see it; the owner and the account's collector may pause.
#[component]
pub fn ReminderPanel(account_id: i64) -> impl IntoView {
    let status = Resource::new(move || account_id, get_reminder_status);
    let role = crate::shell::PageCtx::current().viewer.map(|v| v.role);
    let can_pause = matches!(role, Some(Role::Owner) | Some(Role::Collector));
    let is_owner = role == Some(Role::Owner);
    view! {
        <section data-testid="reminders">
            <h2>{t(Msg::RemindersTitle)}</h2>
            <Loaded resource=status view=move |s| {
                let paused = s.paused_until;
                view! {
                    <dl class="facts">
                        <div><dt>{t(Msg::ReminderPlan)}</dt><dd data-testid="reminder-plan">{s.plan.clone().unwrap_or_else(|| "—".into())}</dd></div>
                        {s.hold.map(|h| view! {
                            <div><dt>{t(Msg::ReminderHeld)}</dt><dd class="warn" data-testid="reminder-account-hold" data-hold=h.as_str()>{t(h.msg())}
                                {(h == Hold::Paused).then(|| view! { " — " {s.paused_reason.clone()} })}
                            </dd></div>
                        })}
                        {paused.map(|d| view! { <div><dt>{t(Msg::PausedUntil)}</dt><dd><Day date=d/></dd></div> })}
                    </dl>
                    <table class="data">
                        <thead><tr>
                            <th scope="col">{t(Msg::Invoice)}</th>
                            <th scope="col">{t(Msg::DueDate)}</th>
                            <th scope="col" class="num">{t(Msg::AmountDue)}</th>
                            <th scope="col">{t(Msg::ReminderNext)}</th>
                        </tr></thead>
                        <tbody>
                            {s.invoices.into_iter().map(|i| {
                                let next = match (i.hold, i.next) {
                                    (Some(h), _) => view! { <span class="warn" data-hold=h.as_str()>{t(Msg::ReminderHeld)} " : " {t(h.msg())}</span> }.into_any(),
                                    (None, Some(n)) => view! {
                                        <span>{t(Msg::ReminderStep)} " " {n.position} " · " {t(n.channel.msg())} " · "
                                            {if n.due_now { view! { <strong>{t(Msg::ReminderDueNow)}</strong> }.into_any() } else { view! { <Day date=n.day/> }.into_any() }}
                                        </span>
                                    }.into_any(),
                                    (None, None) => view! { <span class="muted">{t(Msg::ReminderNone)}</span> }.into_any(),
                                };
                                view! {
                                    <tr data-testid="reminder-invoice" data-number=i.number.clone()>
                                        <td data-label=t(Msg::Invoice)><a href=format!("/back/invoices/{}", i.invoice_id)>{i.number.clone()}</a></td>
                                        <td data-label=t(Msg::DueDate)><Day date=i.due_date/></td>
                                        <td data-label=t(Msg::AmountDue) class="num"><Amount money=i.balance/></td>
                                        <td data-label=t(Msg::ReminderNext)>{next}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <h3>{t(Msg::ReminderHistory)}</h3>
                    {if s.recorded.is_empty() {
                        view! { <p class="muted">{t(Msg::NoRemindersYet)}</p> }.into_any()
                    } else {
                        view! {
                            <ol class="timeline">
                                {s.recorded.into_iter().map(|r| view! {
                                    <li data-testid="reminder-recorded" data-status=r.status.clone()>
                                        <Day date=r.at.date_naive()/> " — " {t(Msg::ReminderStep)} " " {r.position} " · " {t(r.channel.msg())}
                                        " · " {r.invoices.join(", ")} " · " <Amount money=r.amount/>
                                        {r.reason.map(|h| view! { " " <span class="muted small">"(" {t(h.msg())} ")"</span> })}
                                        {(r.status == "sent" || matches!(r.channel, Channel::Letter | Channel::FormalDemand)).then(|| view! {
                                            " " <a href=format!("/reminders/{}/pdf", r.id) rel="external" download data-testid="reminder-pdf">"PDF"</a>
                                        })}
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any()
                    }}
                    {can_pause.then(|| view! { <PauseForm account_id=account_id paused=paused.is_some()/> })}
                    {is_owner.then(|| view! { <AccountPlanForm account_id=account_id own_plan=s.own_plan_id excluded=s.excluded plans=s.plans.clone()/> })}
                }.into_any()
            }/>
            // Beside the status, not inside it: a resource created while
            // another one's view renders would hydrate out of order.
            <h3>{t(Msg::ReminderCalendar)}</h3>
            <super::calendar::ReminderCalendar account_id=Some(account_id)/>
        </section>
    }
}

#[component]
fn PauseForm(account_id: i64, paused: bool) -> impl IntoView {
    let action = ServerAction::<PauseReminders>::new();
    follow!(action);
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        {if paused {
            view! {
                <ActionForm action=action attr:class="inline" attr:data-testid="resume-reminders-form">
                    <input type="hidden" name="account_id" value=account_id.to_string()/>
                    <input type="hidden" name="until" value=""/>
                    <button type="submit" data-testid="resume-reminders">{t(Msg::ResumeReminders)}</button>
                </ActionForm>
            }.into_any()
        } else {
            view! {
                <details class="card" data-testid="pause-reminders">
                    <summary>{t(Msg::PauseReminders)}</summary>
                    <ActionForm action=action attr:class="stack narrow" attr:data-testid="pause-reminders-form">
                        <input type="hidden" name="account_id" value=account_id.to_string()/>
                        <label>{t(Msg::PausedUntil)}
                            <input type="date" name="until" required data-testid="pause-until"/>
                        </label>
                        <FieldError error=Signal::derive(err) name="until"/>
                        <label>{t(Msg::Reason)}
                            <textarea name="reason" rows="2" maxlength="300" required data-testid="pause-reason"></textarea>
                        </label>
                        <FieldError error=Signal::derive(err) name="reason"/>
                        <button type="submit" data-testid="pause-submit">{t(Msg::PauseReminders)}</button>
                    </ActionForm>
                </details>
            }.into_any()
        }}
        {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
    }
}

/// The owner: the account's own plan (or its segment's) and whether it is
/// left out of reminders.
#[component]
fn AccountPlanForm(account_id: i64, own_plan: Option<i64>, excluded: bool, plans: Vec<(i64, String)>) -> impl IntoView {
    let action = ServerAction::<SetAccountPlan>::new();
    follow!(action);
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <details class="card" data-testid="account-plan">
            <summary>{t(Msg::AccountPlan)}</summary>
            <ActionForm action=action attr:class="stack narrow" attr:data-testid="account-plan-form">
                <input type="hidden" name="account_id" value=account_id.to_string()/>
                <label>{t(Msg::ReminderPlan)}
                    <select name="plan_id" data-testid="account-plan-select">
                        <option value="" selected=own_plan.is_none()>{t(Msg::SegmentPlan)}</option>
                        {plans.into_iter().map(|(id, name)| view! {
                            <option value=id.to_string() selected=own_plan == Some(id)>{name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="check">
                    <input type="checkbox" name="excluded" value="on" checked=excluded data-testid="account-excluded"/>
                    " " {t(Msg::ExcludeFromReminders)}
                </label>
                <button type="submit" data-testid="account-plan-save">{t(Msg::Save)}</button>
            </ActionForm>
            {move || err().map(|e| view! { <ErrorMessage error=e/> })}
        </details>
    }
}

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

/// Spare step rows the new-plan form offers (without JavaScript too).
const STEP_ROWS: usize = 5;

fn anchor_msg(a: Anchor) -> Msg {
    match a {
        Anchor::DueDate => Msg::AnchorDueDate,
        Anchor::PreviousStep => Msg::AnchorPreviousStep,
        Anchor::BrokenPromise => Msg::AnchorBrokenPromise,
    }
}

/// `/back/reminders`: the plans, the segments' plans, and (the owner) a new
/// plan.
#[component]
pub fn PlansPage() -> impl IntoView {
    view! {
        <crate::components::Page roles=STAFF title=Msg::ReminderPlans>
            <PlansBody/>
        </crate::components::Page>
    }
}

#[component]
fn PlansBody() -> impl IntoView {
    let create = ServerAction::<CreatePlan>::new();
    let archive = ServerAction::<ArchivePlan>::new();
    let assign = ServerAction::<AssignPlan>::new();
    follow!(create);
    follow!(archive);
    follow!(assign);
    let data = Resource::new(
        move || (create.version().get(), archive.version().get(), assign.version().get()),
        |_| get_plans(),
    );
    let owner = crate::shell::PageCtx::current().viewer.map(|v| v.role) == Some(Role::Owner);
    view! {
        <h1>{t(Msg::ReminderPlans)}</h1>
        <p class="muted">{t(Msg::ReminderPlansIntro)}</p>
        <p>
            <a href="/back/reminders/calendar" data-testid="calendar-link">{t(Msg::ReminderCalendar)}</a> " · "
            <a href="/back/prescription" data-testid="claims-link">{t(Msg::ClaimsAtRisk)}</a> " · "
            <a href="/back/reminders/approvals" data-testid="approvals-link">{t(Msg::Approvals)}</a>
        </p>
        <super::preview::TemplatePreviewForm/>
        <super::window::SendWindowForm/>
        <Loaded resource=data view=move |page| {
            let plans = page.plans.clone();
            view! {
                {if page.plans.is_empty() {
                    view! { <p class="muted" data-testid="no-plans">{t(Msg::NoPlansYet)}</p> }.into_any()
                } else {
                    view! {
                        <div class="cards">
                            {page.plans.into_iter().map(|p| view! {
                                <section class="card" data-testid="plan" data-name=p.name.clone()>
                                    <h2>{p.name.clone()}</h2>
                                    <ol>
                                        {p.steps.into_iter().map(|s| view! {
                                            <li data-testid="plan-step">
                                                {t(s.channel.msg())} " — " {s.offset_days} " " {t(anchor_msg(s.anchor))}
                                                {s.needs_approval.then(|| view! { " · " {t(Msg::NeedsApproval)} })}
                                                {s.late_charges.then(|| view! { " · " {t(Msg::StepLateCharges)} })}
                                                {s.attach_statement.then(|| view! { " · " {t(Msg::StepAttachStatement)} })}
                                                {(!s.templates.is_empty()).then(|| view! { " · " <span class="muted small">{s.templates.join(", ")}</span> })}
                                            </li>
                                        }).collect_view()}
                                    </ol>
                                    {owner.then(|| view! {
                                        <ActionForm action=archive attr:class="inline">
                                            <input type="hidden" name="id" value=p.id.to_string()/>
                                            <button type="submit" data-testid="archive-plan">{t(Msg::ArchivePlan)}</button>
                                        </ActionForm>
                                    })}
                                </section>
                            }).collect_view()}
                        </div>
                    }.into_any()
                }}
                <section>
                    <h2>{t(Msg::SegmentPlans)}</h2>
                    <table class="data">
                        <tbody>
                            {page.segments.into_iter().map(|(segment, current)| {
                                let plans = plans.clone();
                                view! {
                                    <tr data-testid="segment-plan" data-segment=segment.as_str()>
                                        <th scope="row">{t(crate::backoffice::segment_msg(segment))}</th>
                                        <td>{if owner {
                                            view! {
                                                <ActionForm action=assign attr:class="inline">
                                                    <input type="hidden" name="segment" value=segment.as_str()/>
                                                    <select name="plan_id" aria-label=t(Msg::ReminderPlan) data-testid=format!("plan-for-{}", segment.as_str())>
                                                        <option value="" selected=current.is_none()>{t(Msg::NoPlanOption)}</option>
                                                        {plans.iter().map(|p| view! {
                                                            <option value=p.id.to_string() selected=current == Some(p.id)>{p.name.clone()}</option>
                                                        }).collect_view()}
                                                    </select>
                                                    <button type="submit" data-testid=format!("assign-{}", segment.as_str())>{t(Msg::Assign)}</button>
                                                </ActionForm>
                                            }.into_any()
                                        } else {
                                            let name = current.and_then(|id| plans.iter().find(|p| p.id == id).map(|p| p.name.clone()));
                                            view! { <span>{name.unwrap_or_else(|| "—".into())}</span> }.into_any()
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </section>
            }.into_any()
        }/>
        {move || assign.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
        {move || archive.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorMessage error=e/> })}
        {owner.then(|| view! { <NewPlanForm action=create/> })}
    }
}

#[component]
fn NewPlanForm(action: ServerAction<CreatePlan>) -> impl IntoView {
    let err = move || action.value().get().and_then(|r| r.err());
    let placeholders = crate::reminders::template::PLACEHOLDERS.join(" ");
    view! {
        <section class="card" data-testid="new-plan">
            <h2>{t(Msg::NewPlan)}</h2>
            <ActionForm action=action attr:class="stack" attr:data-testid="new-plan-form">
                <label>{t(Msg::PlanName)}
                    <input name="form[name]" required maxlength="80" data-testid="plan-name"/>
                </label>
                <FieldError error=Signal::derive(err) name="name"/>
                <label>{t(Msg::CustomerKindLabel)}
                    <select name="form[customer_kind]">
                        <option value="business">{t(Msg::KindBusiness)}</option>
                        <option value="consumer">{t(Msg::KindConsumer)}</option>
                    </select>
                </label>
                <label>{t(Msg::MinAmount)}
                    <input name="form[min_amount]" inputmode="decimal" data-testid="plan-min"/>
                </label>
                <FieldError error=Signal::derive(err) name="min_amount"/>
                <FieldError error=Signal::derive(err) name="steps"/>
                <p class="muted small">{t(Msg::Placeholders)} " " <code>{placeholders.clone()}</code></p>
                {(0..STEP_ROWS).map(|i| {
                    let name = move |f: &str| format!("form[steps][{i}][{f}]");
                    let field = move |f: &str| format!("steps.{i}.{f}");
                    view! {
                        <fieldset data-testid=format!("step-{i}")>
                            <legend>{t(Msg::ReminderStep)} " " {i + 1}</legend>
                            <div class="row">
                                <label>{t(Msg::Channel)}
                                    <select name=name("channel") data-testid=format!("step-{i}-channel")>
                                        {[Channel::Email, Channel::Call, Channel::Task, Channel::Letter].into_iter().map(|c| view! {
                                            <option value=c.as_str()>{t(c.msg())}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>{t(Msg::StepDays)}
                                    <input name=name("offset_days") inputmode="numeric" size="5" data-testid=format!("step-{i}-days")/>
                                </label>
                                <label>{t(Msg::CountedFrom)}
                                    <select name=name("anchor") data-testid=format!("step-{i}-anchor")>
                                        {Anchor::ALL.into_iter().map(|a| view! {
                                            <option value=a.as_str() selected=a == if i == 0 { Anchor::DueDate } else { Anchor::PreviousStep }>{t(anchor_msg(a))}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label class="check"><input type="checkbox" name=name("needs_approval") value="on"/> {t(Msg::NeedsApproval)}</label>
                                <label class="check"><input type="checkbox" name=name("late_charges") value="on"/> {t(Msg::StepLateCharges)}</label>
                                <label class="check"><input type="checkbox" name=name("attach_statement") value="on" data-testid=format!("step-{i}-statement")/> {t(Msg::StepAttachStatement)}</label>
                            </div>
                            <FieldError error=Signal::derive(err) name=field("offset_days")/>
                            <FieldError error=Signal::derive(err) name=field("anchor")/>
                            <FieldError error=Signal::derive(err) name=field("channel")/>
                            <FieldError error=Signal::derive(err) name=field("attach_statement")/>
                            <details>
                                <summary>{t(Msg::TemplateFr)}</summary>
                                <label>{t(Msg::Subject)} <input name=name("subject_fr") maxlength="200"/></label>
                                <FieldError error=Signal::derive(err) name=field("subject_fr")/>
                                <label>{t(Msg::Body)} <textarea name=name("body_fr") rows="6"></textarea></label>
                                <FieldError error=Signal::derive(err) name=field("body_fr")/>
                            </details>
                            <details>
                                <summary>{t(Msg::TemplateEn)}</summary>
                                <label>{t(Msg::Subject)} <input name=name("subject_en") maxlength="200"/></label>
                                <FieldError error=Signal::derive(err) name=field("subject_en")/>
                                <label>{t(Msg::Body)} <textarea name=name("body_en") rows="6"></textarea></label>
                                <FieldError error=Signal::derive(err) name=field("body_en")/>
                            </details>
                        </fieldset>
                    }
                }).collect_view()}
                <button type="submit" class="primary" data-testid="create-plan">{t(Msg::CreatePlan)}</button>
                {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            </ActionForm>
        </section>
    }
}

/// `/back/todo`: today's calls, letters and tasks (the owner and collectors).
#[component]
pub fn TodoPage() -> impl IntoView {
    view! {
        <crate::components::Page roles=&[Role::Owner, Role::Collector] title=Msg::Todo>
            <TodoBody/>
        </crate::components::Page>
    }
}

#[component]
fn TodoBody() -> impl IntoView {
    let done = ServerAction::<CompleteTask>::new();
    follow!(done);
    let items = Resource::new(move || done.version().get(), |_| get_todo());
    let err = move || done.value().get().and_then(|r| r.err());
    view! {
        <h1>{t(Msg::Todo)}</h1>
        <p class="muted">{t(Msg::TodoIntro)}</p>
        <p>
            <a href="/back/reminders/calendar">{t(Msg::ReminderCalendar)}</a> " · "
            <a href="/back/prescription">{t(Msg::ClaimsAtRisk)}</a> " · "
            <a href="/back/reminders/approvals">{t(Msg::Approvals)}</a>
        </p>
        {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
        <Loaded resource=items view=move |list| {
            if list.is_empty() {
                return view! { <p class="muted" data-testid="todo-empty">{t(Msg::TodoEmpty)}</p> }.into_any();
            }
            let letters = list.iter().any(|i| i.kind == crate::reminders::todo::TaskKind::Letter && i.reminder_id.is_some());
            view! {
                {letters.then(|| view! {
                    <p><a class="button" href="/back/letters.pdf" rel="external" download data-testid="letters-batch">{t(Msg::DownloadLetters)}</a></p>
                })}
                <ol class="cards" data-testid="todo">
                    {list.into_iter().map(|i| view! {
                        <li class="card" data-testid="todo-item" data-kind=i.kind.as_str()>
                            <h2>
                                {t(i.kind.msg())} " — " <a href=format!("/back/accounts/{}", i.account_id)>{i.account_name.clone()}</a>
                            </h2>
                            <dl class="facts">
                                <div><dt>{t(Msg::Overdue)}</dt><dd><Amount money=i.overdue/></dd></div>
                                <div><dt>{t(Msg::DaysLate)}</dt><dd>{i.days_late}</dd></div>
                                {(!i.phone.is_empty()).then(|| view! {
                                    <div><dt>{t(Msg::Phone)}</dt><dd><a href=format!("tel:{}", i.phone)>{i.phone.clone()}</a></dd></div>
                                })}
                                <div><dt>{t(Msg::DueDate)}</dt><dd><Day date=i.due_on/></dd></div>
                            </dl>
                            {(!i.note.is_empty()).then(|| view! { <p class="muted">{i.note.clone()}</p> })}
                            {i.reminder_id.filter(|_| i.kind == crate::reminders::todo::TaskKind::Letter).map(|r| view! {
                                <p><a href=format!("/reminders/{r}/pdf") rel="external" download data-testid="letter-pdf">{t(Msg::DownloadPdf)}</a></p>
                            })}
                            <ActionForm action=done attr:class="stack narrow" attr:data-testid="task-outcome">
                                <input type="hidden" name="id" value=i.id.to_string()/>
                                <fieldset>
                                    <legend>{t(Msg::Outcome)}</legend>
                                    {crate::reminders::todo::Outcome::ALL.into_iter().map(|o| view! {
                                        <label class="check">
                                            <input type="radio" name="outcome" value=o.as_str() required data-testid=format!("outcome-{}", o.as_str())/>
                                            " " {t(o.msg())}
                                        </label>
                                    }).collect_view()}
                                </fieldset>
                                <label>{t(Msg::PromisedOn)} <input type="date" name="promised_on" data-testid="promised-on"/></label>
                                <label>{t(Msg::CallBackOn)} <input type="date" name="call_back_on" data-testid="call-back-on"/></label>
                                <label>{t(Msg::Note)} <textarea name="note" rows="2" maxlength="1000" data-testid="task-note"></textarea></label>
                                <button type="submit" data-testid="task-done">{t(Msg::Save)}</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }/>
        <FieldError error=Signal::derive(err) name="call_back_on"/>
        <FieldError error=Signal::derive(err) name="promised_on"/>
    }
}
