//! Legal deadlines on screen: the prescription panel of an invoice (staff)
//! with the interruption form, and `/back/prescription`, the claims near
//! prescription.

use super::{get_claims_at_risk, get_prescription, InterruptionKind, RecordInterruption};
use crate::components::{follow_target as follow, Amount, Day, ErrorMessage, FieldError, Loaded, Page};
use crate::domain::{CustomerKind, Role};
use crate::i18n::{t, Msg};
use leptos::prelude::*;

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

/// An invoice's prescription date, what interrupted it, and the form to
/// record an interruption.
#[component]
pub fn PrescriptionPanel(invoice_id: i64) -> impl IntoView {
    let action = ServerAction::<RecordInterruption>::new();
    follow!(action);
    let data = Resource::new(move || (invoice_id, action.version().get()), |(id, _)| get_prescription(id));
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <section data-testid="prescription">
            <h2>{t(Msg::Prescription)}</h2>
            <Loaded resource=data view=move |p| view! {
                <dl class="facts">
                    <div>
                        <dt>{t(Msg::PrescriptionDate)}</dt>
                        <dd data-testid="prescription-date" data-date=p.date.to_string()><Day date=p.date/></dd>
                    </div>
                    <div>
                        <dt>{t(Msg::PrescriptionRule)}</dt>
                        <dd>{t(match p.customer {
                            CustomerKind::Business => Msg::PrescriptionBusiness,
                            CustomerKind::Consumer => Msg::PrescriptionConsumer,
                        })}</dd>
                    </div>
                </dl>
                {(!p.interruptions.is_empty()).then(|| view! {
                    <ul data-testid="interruptions">
                        {p.interruptions.into_iter().map(|i| view! {
                            <li data-testid="interruption"><Day date=i.occurred_on/> " — " {t(i.kind.msg())}
                                {(!i.note.is_empty()).then(|| view! { " · " {i.note.clone()} })}
                                {(!i.recorded_by.is_empty()).then(|| view! { " " <span class="muted small">"(" {i.recorded_by.clone()} ")"</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                })}
            }.into_any()/>
            <details class="card" data-testid="interruption-form-box">
                <summary>{t(Msg::RecordInterruption)}</summary>
                <p class="muted small">{t(Msg::InterruptionHint)}</p>
                <ActionForm action=action attr:class="stack narrow" attr:data-testid="interruption-form">
                    <input type="hidden" name="invoice_id" value=invoice_id.to_string()/>
                    <label>{t(Msg::InterruptionKindLabel)}
                        <select name="kind" required data-testid="interruption-kind">
                            {InterruptionKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{t(k.msg())}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>{t(Msg::Date)}
                        <input type="date" name="occurred_on" required data-testid="interruption-date"/>
                    </label>
                    <FieldError error=Signal::derive(err) name="occurred_on"/>
                    <label>{t(Msg::Note)}
                        <textarea name="note" rows="2" maxlength="1000" data-testid="interruption-note"></textarea>
                    </label>
                    <button type="submit" data-testid="interruption-save">{t(Msg::Save)}</button>
                </ActionForm>
                {move || err().filter(|e| !matches!(e, crate::error::AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
            </details>
        </section>
    }
}

/// `/back/prescription`: open claims within six months of prescription.
#[component]
pub fn ClaimsAtRiskPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::ClaimsAtRisk>
            <ClaimsAtRiskBody/>
        </Page>
    }
}

#[component]
fn ClaimsAtRiskBody() -> impl IntoView {
    let claims = Resource::new(|| (), |_| get_claims_at_risk());
    view! {
        <h1>{t(Msg::ClaimsAtRisk)}</h1>
        <p class="muted">{t(Msg::ClaimsAtRiskIntro)}</p>
        <Loaded resource=claims view=move |list| {
            if list.is_empty() {
                return view! { <p class="muted" data-testid="claims-empty">{t(Msg::NoClaimsAtRisk)}</p> }.into_any();
            }
            view! {
                <table class="data" data-testid="claims-at-risk">
                    <thead><tr>
                        <th scope="col">{t(Msg::Invoice)}</th>
                        <th scope="col">{t(Msg::Account)}</th>
                        <th scope="col">{t(Msg::DueDate)}</th>
                        <th scope="col" class="num">{t(Msg::AmountDue)}</th>
                        <th scope="col">{t(Msg::PrescriptionDate)}</th>
                        <th scope="col" class="num">{t(Msg::DaysLeft)}</th>
                    </tr></thead>
                    <tbody>
                        {list.into_iter().map(|c| view! {
                            <tr data-testid="claim-at-risk" data-number=c.number.clone() class:warn=c.days_left < 0>
                                <td data-label=t(Msg::Invoice)><a href=format!("/back/invoices/{}", c.invoice_id)>{c.number.clone()}</a></td>
                                <td data-label=t(Msg::Account)><a href=format!("/back/accounts/{}", c.account_id)>{c.account_name.clone()}</a></td>
                                <td data-label=t(Msg::DueDate)><Day date=c.due_date/></td>
                                <td data-label=t(Msg::AmountDue) class="num"><Amount money=c.balance/></td>
                                <td data-label=t(Msg::PrescriptionDate)><Day date=c.prescription/></td>
                                <td data-label=t(Msg::DaysLeft) class="num">{c.days_left}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }/>
    }
}

/// An overdue account's claim: principal, penalties to date and indemnity
/// per invoice, with the CSV for an *injonction de payer* petition.
#[component]
pub fn ClaimPanel(account_id: i64, #[prop(optional)] owner: bool) -> impl IntoView {
    let apply = ServerAction::<super::claim::ApplyLateCharges>::new();
    let claim = Resource::new(move || (account_id, apply.version().get()), |(id, _)| super::claim::get_claim(id));
    let applied = move || apply.value().get().and_then(|r| r.ok()).is_some();
    let failed = move || apply.value().get().and_then(|r| r.err());
    view! {
        <section data-testid="claim">
            <h2>{t(Msg::ClaimTitle)}</h2>
            <Loaded resource=claim view=move |c| {
                if c.lines.is_empty() {
                    return view! { <p class="muted" data-testid="claim-empty">{t(Msg::NoOverdueInvoices)}</p> }.into_any();
                }
                let rule = match c.rule {
                    super::claim::ClaimRule::FranceBusiness => Msg::ClaimRuleFrance,
                    super::claim::ClaimRule::UkBusiness => Msg::ClaimRuleUk,
                    super::claim::ClaimRule::Consumer => Msg::ClaimRuleConsumer,
                };
                view! {
                    <p class="muted small">{t(rule)} " " {t(Msg::ClaimAsOf)} " " <Day date=c.as_of/></p>
                    <table class="data" data-testid="claim-table">
                        <thead><tr>
                            <th scope="col">{t(Msg::Invoice)}</th>
                            <th scope="col">{t(Msg::DueDate)}</th>
                            <th scope="col" class="num">{t(Msg::DaysLate)}</th>
                            <th scope="col" class="num">{t(Msg::ClaimPrincipal)}</th>
                            <th scope="col" class="num">{t(Msg::ClaimPenalties)}</th>
                            <th scope="col" class="num">{t(Msg::ClaimIndemnity)}</th>
                        </tr></thead>
                        <tbody>
                            {c.lines.into_iter().map(|l| {
                                let rates = l.periods.iter().map(|p| format!("{} → {} : {} %", p.from, p.to, p.percent)).collect::<Vec<_>>().join("\n");
                                view! {
                                    <tr data-testid="claim-line" data-number=l.number.clone()>
                                        <td data-label=t(Msg::Invoice)><a href=format!("/back/invoices/{}", l.invoice_id)>{l.number.clone()}</a></td>
                                        <td data-label=t(Msg::DueDate)><Day date=l.due_date/></td>
                                        <td data-label=t(Msg::DaysLate) class="num">{l.days_late}</td>
                                        <td data-label=t(Msg::ClaimPrincipal) class="num"><Amount money=l.principal/>
                                            {(l.charged.minor > 0).then(|| view! {
                                                <br/><span class="muted small" data-testid="claim-charged">"+ " <Amount money=l.charged/> " " {t(Msg::ClaimCharged)}</span>
                                            })}
                                        </td>
                                        <td data-label=t(Msg::ClaimPenalties) class="num" title=rates>{match l.penalties {
                                            Some(m) => view! { <Amount money=m/> }.into_any(),
                                            None => view! { <span class="warn">{t(Msg::ClaimRateMissing)}</span> }.into_any(),
                                        }}</td>
                                        <td data-label=t(Msg::ClaimIndemnity) class="num">{match l.indemnity {
                                            Some(m) => view! { <Amount money=m/> }.into_any(),
                                            None => view! { <span>"—"</span> }.into_any(),
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                        <tfoot><tr class="total">
                            <th scope="row" colspan="3">{t(Msg::Total)}</th>
                            <td data-label=t(Msg::ClaimPrincipal) class="num" data-testid="claim-principal"><Amount money=c.principal/></td>
                            <td data-label=t(Msg::ClaimPenalties) class="num" data-testid="claim-penalties"><Amount money=c.penalties/></td>
                            <td data-label=t(Msg::ClaimIndemnity) class="num">{match c.indemnities {
                                Some(m) => view! { <Amount money=m/> }.into_any(),
                                None => view! { <span>"—"</span> }.into_any(),
                            }}</td>
                        </tr></tfoot>
                    </table>
                    <p><a class="button" href=format!("/back/accounts/{}/claim.csv", c.account_id) rel="external" download data-testid="claim-csv">{t(Msg::DownloadClaimCsv)}</a>
                        " " <a href="/back/rates" class="small">{t(Msg::ReferenceRates)}</a></p>
                    {(owner && c.rule != super::claim::ClaimRule::Consumer).then(|| view! {
                        <ActionForm action=apply attr:class="inline" attr:data-testid="apply-charges">
                            <input type="hidden" name="account_id" value=c.account_id.to_string()/>
                            <button type="submit" class="secondary" data-testid="apply-charges-button">{t(Msg::ApplyLateCharges)}</button>
                            <span class="muted small">" " {t(Msg::ApplyLateChargesHint)}</span>
                        </ActionForm>
                    })}
                }.into_any()
            }/>
            {move || applied().then(|| view! { <p class="notice" role="status" data-testid="charges-applied">{t(Msg::LateChargesAppliedNotice)}</p> })}
            {move || failed().map(|e| view! { <ErrorMessage error=e/> })}
        </section>
    }
}

/// What the law adds to an overdue invoice today, on its page (its client
/// and staff): penalties with their rate, the fixed indemnity, and what was
/// already added to its balance.
#[component]
pub fn InvoiceChargesNotice(invoice_id: i64) -> impl IntoView {
    let charges = Resource::new(move || invoice_id, super::claim::get_invoice_charges);
    view! {
        <Loaded resource=charges view=move |list| {
            list.into_iter().map(|c| {
                let law = match c.rule {
                    super::claim::ClaimRule::UkBusiness => Msg::LateChargesLawUk,
                    _ => Msg::LateChargesLawFr,
                };
                view! {
                    <section class="card warn" data-testid="invoice-charges" aria-labelledby="invoice-charges-title">
                        <h2 id="invoice-charges-title">{t(Msg::LateChargesTitle)}</h2>
                        <p class="small">{t(law)} " " {t(Msg::ClaimAsOf)} " " <Day date=c.as_of/> " · " {c.days_late} " " {t(Msg::DaysLate)}</p>
                        <dl class="facts">
                            <div><dt>{t(Msg::ClaimPenalties)} {c.percent.clone().map(|p| format!(" ({p} %)"))}</dt>
                                <dd data-testid="invoice-penalties">{match c.penalties {
                                    Some(m) => view! { <Amount money=m/> }.into_any(),
                                    None => view! { <span class="warn">{t(Msg::ClaimRateMissing)}</span> }.into_any(),
                                }}</dd></div>
                            {c.indemnity.map(|m| view! {
                                <div><dt>{t(Msg::ClaimIndemnity)}</dt><dd data-testid="invoice-indemnity"><Amount money=m/></dd></div>
                            })}
                            {(c.charged.minor > 0).then(|| view! {
                                <div><dt>{t(Msg::ClaimCharged)}</dt><dd data-testid="invoice-charged"><Amount money=c.charged/></dd></div>
                            })}
                        </dl>
                    </section>
                }
            }).collect_view().into_any()
        }/>
    }
}
