//! Reminder plans as the owner writes them: the form (a name, the legal
//! regime, a minimum amount, step rows with optional templates), parsed
//! once into a `NewPlan`; and the plans as the page lists them.

use super::rules::{Anchor, Channel};
use crate::answer::{Created, Done};
use crate::domain::{CustomerKind, Segment};
use crate::error::AppError;
use crate::i18n::Msg;
use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// At most this many steps in a plan.
pub const MAX_STEPS: usize = 12;

/// One step row of the form, as typed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepForm {
    pub anchor: String,
    pub offset_days: String,
    pub channel: String,
    /// A checkbox: present when ticked.
    pub needs_approval: Option<String>,
    /// A checkbox: the step posts the late charges accrued.
    pub late_charges: Option<String>,
    /// A checkbox: the step's e-mail carries the account's statement.
    pub attach_statement: Option<String>,
    pub subject_fr: String,
    pub body_fr: String,
    pub subject_en: String,
    pub body_en: String,
}

impl StepForm {
    fn is_blank(&self) -> bool {
        self.offset_days.trim().is_empty()
            && [&self.subject_fr, &self.body_fr, &self.subject_en, &self.body_en].iter().all(|s| s.trim().is_empty())
    }
}

/// The plan form; rows are `form[steps][0][offset_days]` and so on.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanForm {
    pub name: String,
    pub customer_kind: String,
    /// In the accounts' currency, `12,50`; empty: 0.
    pub min_amount: String,
    pub steps: Vec<StepForm>,
}

/// A step's own message in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    pub language: &'static str,
    pub subject: String,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewStep {
    pub anchor: Anchor,
    pub offset_days: i32,
    pub channel: Channel,
    pub needs_approval: bool,
    pub late_charges: bool,
    pub attach_statement: bool,
    pub templates: Vec<Template>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPlan {
    pub name: String,
    pub customer_kind: CustomerKind,
    pub min_amount_minor: i64,
    pub steps: Vec<NewStep>,
}

/// Minor units of a decimal amount with at most two decimals.
fn minor(text: &str) -> Option<i64> {
    let d: Decimal = text.trim().replace(',', ".").replace([' ', '\u{a0}', '\u{202f}'], "").parse().ok()?;
    let scaled = d * Decimal::from(100);
    (scaled.fract().is_zero() && d >= Decimal::ZERO).then(|| scaled.trunc().try_into().ok()).flatten()
}

impl TryFrom<PlanForm> for NewPlan {
    type Error = AppError;

    fn try_from(f: PlanForm) -> Result<NewPlan, AppError> {
        let mut problems: Vec<(String, Msg)> = Vec::new();
        let name = f.name.trim().to_string();
        if name.is_empty() {
            problems.push(("name".into(), Msg::RequiredField));
        } else if name.chars().count() > 80 {
            problems.push(("name".into(), Msg::TooLong));
        }
        let customer_kind = CustomerKind::parse(f.customer_kind.trim()).unwrap_or_default();
        let min_amount_minor = match f.min_amount.trim() {
            "" => 0,
            text => minor(text).unwrap_or_else(|| {
                problems.push(("min_amount".into(), Msg::InvalidAmount));
                0
            }),
        };
        let mut steps = Vec::new();
        for (i, s) in f.steps.iter().enumerate().filter(|(_, s)| !s.is_blank()) {
            let field = |name: &str| format!("steps.{i}.{name}");
            let anchor = Anchor::parse(s.anchor.trim());
            let channel = Channel::parse(s.channel.trim());
            if anchor.is_none() {
                problems.push((field("anchor"), Msg::RequiredField));
            }
            if channel.is_none() {
                problems.push((field("channel"), Msg::RequiredField));
            }
            // A statement goes with an e-mail; no other channel carries a file.
            if s.attach_statement.is_some() && channel.is_some_and(|c| c != Channel::Email) {
                problems.push((field("attach_statement"), Msg::StatementNeedsEmail));
            }
            let offset = s.offset_days.trim().parse::<i32>().ok().filter(|d| match anchor {
                Some(Anchor::DueDate) => (-365..=3650).contains(d),
                _ => (0..=3650).contains(d),
            });
            if offset.is_none() {
                problems.push((field("offset_days"), Msg::StepDaysInvalid));
            }
            let mut templates = Vec::new();
            for (language, subject, body) in [("fr", &s.subject_fr, &s.body_fr), ("en", &s.subject_en, &s.body_en)] {
                let (subject, body) = (subject.trim(), body.trim());
                match (subject.is_empty(), body.is_empty()) {
                    (true, true) => {}
                    (false, false) if subject.chars().count() <= 200 && body.chars().count() <= 5000 => {
                        templates.push(Template { language, subject: subject.into(), body: body.into() })
                    }
                    (false, false) => problems.push((field(&format!("body_{language}")), Msg::TooLong)),
                    (true, false) => problems.push((field(&format!("subject_{language}")), Msg::RequiredField)),
                    (false, true) => problems.push((field(&format!("body_{language}")), Msg::RequiredField)),
                }
            }
            if let (Some(anchor), Some(channel), Some(offset_days)) = (anchor, channel, offset) {
                steps.push(NewStep {
                    anchor,
                    offset_days,
                    channel,
                    needs_approval: s.needs_approval.is_some(),
                    late_charges: s.late_charges.is_some(),
                    attach_statement: s.attach_statement.is_some(),
                    templates,
                });
            }
        }
        if problems.is_empty() && steps.is_empty() {
            problems.push(("steps".into(), Msg::PlanNeedsAStep));
        }
        if steps.len() > MAX_STEPS {
            problems.push(("steps".into(), Msg::TooManySteps));
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(problems));
        }
        Ok(NewPlan { name, customer_kind, min_amount_minor, steps })
    }
}

/// A step as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    pub position: i32,
    pub anchor: Anchor,
    pub offset_days: i32,
    pub channel: Channel,
    pub needs_approval: bool,
    pub late_charges: bool,
    pub attach_statement: bool,
    /// Languages with a template of their own.
    pub templates: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanView {
    pub id: i64,
    pub name: String,
    pub customer_kind: CustomerKind,
    pub min_amount_minor: i64,
    pub steps: Vec<StepView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlansPage {
    pub plans: Vec<PlanView>,
    /// Each segment and the plan it follows.
    pub segments: Vec<(Segment, Option<i64>)>,
}

crate::reads!(PlansPage);

/// The active plans and the segments' assignments (staff).
#[server(endpoint = "reminders/plans")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn get_plans() -> Result<PlansPage, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::plans::list(&state, &principal).await
    })
    .await
}

/// Creates a plan (the owner).
#[server(endpoint = "reminders/create_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn create_plan(form: PlanForm) -> Result<Done<Created<()>>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let id = super::ssr::plans::create(&state, &principal, form).await?;
        Ok(Done::new(Created { id, status: () }, "/back/reminders"))
    })
    .await
}

/// Archives a plan (the owner): it chases no more; its history stays.
#[server(endpoint = "reminders/archive_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(plan = id)))]
pub async fn archive_plan(id: i64) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::plans::archive(&state, &principal, id).await?;
        Ok(Done::new((), "/back/reminders"))
    })
    .await
}

/// The plan a segment follows (the owner); an empty plan: none.
#[server(endpoint = "reminders/assign")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info")))]
pub async fn assign_plan(segment: String, #[server(default)] plan_id: String) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        super::ssr::plans::assign(&state, &principal, &segment, &plan_id).await?;
        Ok(Done::new((), "/back/reminders"))
    })
    .await
}

/// An account's own plan (`plan_id` empty: its segment's) and whether it
/// is left out of reminders altogether (the owner).
#[server(endpoint = "reminders/account_plan")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip_all, err(level = "info"), fields(account = account_id)))]
pub async fn set_account_plan(
    account_id: i64,
    #[server(default)] plan_id: String,
    #[server(default)] excluded: Option<String>,
) -> Result<Done<()>, AppError> {
    crate::answer::serve(async move {
        let (state, principal) = crate::auth::ssr_context().await?;
        let excluded = excluded.is_some_and(|v| !v.is_empty() && v != "false");
        super::ssr::plans::set_account(&state, &principal, account_id, &plan_id, excluded).await?;
        Ok(Done::new((), format!("/back/accounts/{account_id}")))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(anchor: &str, offset: &str, channel: &str) -> StepForm {
        StepForm { anchor: anchor.into(), offset_days: offset.into(), channel: channel.into(), ..Default::default() }
    }

    #[test]
    fn a_plan_parses_with_its_steps_and_templates() {
        let mut first = step("due_date", "-3", "email");
        first.subject_fr = "Rappel {account}".into();
        first.body_fr = "Bonjour {contact}".into();
        let form = PlanForm {
            name: " Standard ".into(),
            customer_kind: "business".into(),
            min_amount: "12,50".into(),
            steps: vec![first, StepForm::default(), step("previous_step", "10", "call")],
        };
        let plan = NewPlan::try_from(form).unwrap();
        assert_eq!((plan.name.as_str(), plan.min_amount_minor), ("Standard", 1250));
        assert_eq!(plan.steps.len(), 2, "the blank row is skipped");
        assert_eq!(
            plan.steps[0].templates,
            [Template { language: "fr", subject: "Rappel {account}".into(), body: "Bonjour {contact}".into() }]
        );
        assert_eq!((plan.steps[1].anchor, plan.steps[1].channel), (Anchor::PreviousStep, Channel::Call));
    }

    #[test]
    fn each_problem_is_named_on_its_field() {
        let mut half = step("due_date", "7", "email");
        half.subject_en = "Reminder".into();
        let form = PlanForm {
            name: String::new(),
            customer_kind: "business".into(),
            min_amount: "-1".into(),
            steps: vec![step("previous_step", "-2", "email"), step("sometime", "3", "fax"), half],
        };
        let Err(AppError::Validation(fields)) = NewPlan::try_from(form) else { panic!("refused") };
        let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            ["name", "min_amount", "steps.0.offset_days", "steps.1.anchor", "steps.1.channel", "steps.2.body_en"]
        );
        let Err(AppError::Validation(fields)) = NewPlan::try_from(PlanForm { name: "x".into(), ..Default::default() })
        else {
            panic!("refused")
        };
        assert_eq!(fields, [("steps".to_string(), Msg::PlanNeedsAStep)]);
    }
}
