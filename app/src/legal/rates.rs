//! The reference rates late charges are computed from (`/back/rates`):
//! the table shipped with Relance and the rows the owner added, each with
//! its source, the one in force today marked. Staff read it; the owner
//! adds a rate published since (an ECB decision, the half-yearly French
//! legal rate, a Bank Rate change) or a correction.

use crate::answer::Done;
use crate::components::{follow_target as follow, Day, ErrorMessage, FieldError, Loaded, Page};
use crate::domain::{RateKind, Role};
use crate::error::AppError;
use crate::i18n::{t, Msg};
use chrono::NaiveDate;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

const STAFF: &[Role] = &[Role::Owner, Role::Collector, Role::Accountant];

/// One published value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateView {
    /// `RateKind::as_str`.
    pub kind: String,
    pub valid_from: NaiveDate,
    /// In percent, as printed (`2.15`).
    pub percent: String,
    pub source: String,
    /// Who added it; `None` for a shipped row.
    pub added_by: Option<String>,
    pub in_force: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceRates {
    pub rows: Vec<RateView>,
    /// The caller may add a rate (the owner).
    pub can_add: bool,
}

crate::reads!(ReferenceRates);

fn kind_msg(kind: RateKind) -> Msg {
    match kind {
        RateKind::EcbMainRefinancing => Msg::RateEcb,
        RateKind::FrenchLegalProfessional => Msg::RateFrenchLegal,
        RateKind::BoeBase => Msg::RateBoe,
    }
}

/// The reference rates (staff).
#[server(endpoint = "legal/rates")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_reference_rates() -> Result<ReferenceRates, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::rates::list(&state, &principal).await
    })
    .await
}

/// Adds a published rate (the owner).
#[server(endpoint = "legal/add_rate")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn add_reference_rate(
    #[server(default)] kind: String,
    #[server(default)] valid_from: String,
    #[server(default)] percent: String,
    #[server(default)] source: String,
) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::rates::add(&state, &principal, &kind, &valid_from, &percent, &source).await?;
        Ok(Done::new((), "/back/rates?added=1".to_string()))
    })
    .await
}

/// `/back/rates`.
#[component]
pub fn RatesPage() -> impl IntoView {
    view! {
        <Page roles=STAFF title=Msg::ReferenceRates>
            <RatesBody/>
        </Page>
    }
}

#[component]
fn RatesBody() -> impl IntoView {
    let action = ServerAction::<AddReferenceRate>::new();
    follow!(action);
    let rates = Resource::new(move || action.version().get(), |_| get_reference_rates());
    let err = move || action.value().get().and_then(|r| r.err());
    view! {
        <h1>{t(Msg::ReferenceRates)}</h1>
        <p class="muted">{t(Msg::ReferenceRatesIntro)}</p>
        <Loaded resource=rates view=move |r| view! {
            <table class="data" data-testid="reference-rates">
                <thead><tr>
                    <th scope="col">{t(Msg::RateKindLabel)}</th>
                    <th scope="col">{t(Msg::ValidFrom)}</th>
                    <th scope="col" class="num">{t(Msg::RatePercent)}</th>
                    <th scope="col">{t(Msg::RateSource)}</th>
                </tr></thead>
                <tbody>
                    {r.rows.into_iter().map(|row| {
                        let label = RateKind::parse(&row.kind).map(|k| t(kind_msg(k)));
                        view! {
                            <tr data-testid="reference-rate" data-kind=row.kind.clone() data-from=row.valid_from.to_string() class:current=row.in_force>
                                <td data-label=t(Msg::RateKindLabel)>{label} {row.in_force.then(|| view! { " " <span class="badge" data-testid="rate-in-force">{t(Msg::InForce)}</span> })}</td>
                                <td data-label=t(Msg::ValidFrom)><Day date=row.valid_from/></td>
                                <td data-label=t(Msg::RatePercent) class="num">{row.percent.clone()} " %"</td>
                                <td data-label=t(Msg::RateSource) class="small">{row.source.clone()}
                                    {row.added_by.clone().map(|by| view! { " " <span class="muted">"(" {t(Msg::AddedBy)} " " {by} ")"</span> })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {r.can_add.then(|| view! {
                <details class="card" data-testid="rate-form-box">
                    <summary>{t(Msg::AddReferenceRate)}</summary>
                    <ActionForm action=action attr:class="stack narrow" attr:data-testid="rate-form">
                        <label>{t(Msg::RateKindLabel)}
                            <select name="kind" required data-testid="rate-kind">
                                {RateKind::ALL.into_iter().map(|k| view! { <option value=k.as_str()>{t(kind_msg(k))}</option> }).collect_view()}
                            </select>
                        </label>
                        <label>{t(Msg::ValidFrom)}
                            <input type="date" name="valid_from" required data-testid="rate-from"/>
                        </label>
                        <FieldError error=Signal::derive(err) name="valid_from"/>
                        <label>{t(Msg::RatePercent)}
                            <input type="text" name="percent" inputmode="decimal" required data-testid="rate-percent"/>
                        </label>
                        <FieldError error=Signal::derive(err) name="percent"/>
                        <label>{t(Msg::RateSource)}
                            <input type="text" name="source" maxlength="300" required data-testid="rate-source"/>
                        </label>
                        <FieldError error=Signal::derive(err) name="source"/>
                        <button type="submit" data-testid="rate-save">{t(Msg::Save)}</button>
                    </ActionForm>
                    {move || err().filter(|e| !matches!(e, AppError::Validation(_))).map(|e| view! { <ErrorMessage error=e/> })}
                </details>
            })}
        }.into_any()/>
    }
}
