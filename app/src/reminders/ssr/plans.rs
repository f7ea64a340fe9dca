//! Plans in the database: listed for staff, created, archived and assigned
//! to segments by the owner, each write audited.

use super::engine::StepRow;
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit, Principal};
use crate::domain::{CustomerKind, Segment};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::reminders::plans::{NewPlan, PlanForm, PlanView, PlansPage, StepView};
use crate::reminders::rules::{Anchor, Channel};
use crate::state::AppState;
use crate::{with_db, with_tx};

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    name: String,
    customer_kind: String,
    min_amount_minor: i64,
}

/// Plans, their steps, the (step, language) of each template, and the
/// segments' plans.
type Rows = (Vec<PlanRow>, Vec<StepRow>, Vec<(i64, String)>, Vec<(String, i64)>);

pub async fn list(state: &AppState, principal: &Principal) -> AppResult<PlansPage> {
    principal.require_staff()?;
    let (plans, steps, templates, segments): Rows = with_db!(&state.db, |pool| {
        let plans = sqlx::query_as(
                "SELECT id, name, customer_kind, min_amount_minor FROM reminder_plans WHERE archived_at IS NULL ORDER BY name",
            )
            .fetch_all(pool)
            .await?;
        let steps = sqlx::query_as(
            "SELECT s.plan_id, s.id, s.position, s.anchor, s.offset_days, s.channel, s.needs_approval, s.late_charges,
                    s.attach_statement
                 FROM reminder_steps s JOIN reminder_plans p ON p.id = s.plan_id
                 WHERE p.archived_at IS NULL ORDER BY s.plan_id, s.position",
        )
        .fetch_all(pool)
        .await?;
        let templates = sqlx::query_as("SELECT step_id, language FROM reminder_templates ORDER BY language")
            .fetch_all(pool)
            .await?;
        let segments = sqlx::query_as("SELECT segment, plan_id FROM segment_reminder_plans").fetch_all(pool).await?;
        Ok::<_, sqlx::Error>((plans, steps, templates, segments))
    })?;
    let plans = plans
        .into_iter()
        .map(|p| PlanView {
            id: p.id,
            name: p.name,
            customer_kind: CustomerKind::parse(&p.customer_kind).unwrap_or_default(),
            min_amount_minor: p.min_amount_minor,
            steps: steps
                .iter()
                .filter(|s| s.plan_id == p.id)
                .filter_map(|s| {
                    Some(StepView {
                        position: s.position,
                        anchor: Anchor::parse(&s.anchor)?,
                        offset_days: s.offset_days,
                        channel: Channel::parse(&s.channel)?,
                        needs_approval: s.needs_approval,
                        late_charges: s.late_charges,
                        attach_statement: s.attach_statement,
                        templates: templates.iter().filter(|(id, _)| *id == s.id).map(|(_, l)| l.clone()).collect(),
                    })
                })
                .collect(),
        })
        .collect();
    let segments = Segment::ALL
        .into_iter()
        .map(|seg| (seg, segments.iter().find(|(s, _)| s == seg.as_str()).map(|(_, p)| *p)))
        .collect();
    Ok(PlansPage { plans, segments })
}

pub async fn create(state: &AppState, principal: &Principal, form: PlanForm) -> AppResult<i64> {
    principal.require_owner()?;
    let plan = NewPlan::try_from(form)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let taken: Option<i64> = with_tx!(&mut tx, |c| {
        sqlx::query_scalar("SELECT id FROM reminder_plans WHERE name = $1 AND archived_at IS NULL")
            .bind(&plan.name)
            .fetch_optional(&mut *c)
            .await
    })?;
    if taken.is_some() {
        return Err(AppError::field("name", Msg::PlanNameTaken));
    }
    let id: i64 = with_tx!(&mut tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO reminder_plans (name, customer_kind, min_amount_minor, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(&plan.name)
        .bind(plan.customer_kind.as_str())
        .bind(plan.min_amount_minor)
        .bind(now)
        .fetch_one(&mut *c)
        .await
    })?;
    for (i, step) in plan.steps.iter().enumerate() {
        let step_id: i64 = with_tx!(&mut tx, |c| {
            sqlx::query_scalar(
                "INSERT INTO reminder_steps (plan_id, position, anchor, offset_days, channel, needs_approval, late_charges,
                     attach_statement)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(id)
            .bind(i as i32 + 1)
            .bind(step.anchor.as_str())
            .bind(step.offset_days)
            .bind(step.channel.as_str())
            .bind(step.needs_approval)
            .bind(step.late_charges)
            .bind(step.attach_statement)
            .fetch_one(&mut *c)
            .await
        })?;
        for t in &step.templates {
            with_tx!(&mut tx, |c| {
                sqlx::query("INSERT INTO reminder_templates (step_id, language, subject, body) VALUES ($1, $2, $3, $4)")
                    .bind(step_id)
                    .bind(t.language)
                    .bind(&t.subject)
                    .bind(&t.body)
                    .execute(&mut *c)
                    .await
                    .map(|r| r.rows_affected())
            })?;
        }
    }
    let details = AuditDetails::default().note(plan.name.clone()).code(format!("{} steps", plan.steps.len()));
    let entry = Audit::new(Some(principal.user_id), AuditAction::ReminderPlanSaved, ("reminder_plan", Some(id)));
    audit((&mut tx).into(), now, entry.details(details)).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn archive(state: &AppState, principal: &Principal, id: i64) -> AppResult<()> {
    principal.require_owner()?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let moved = with_tx!(&mut tx, |c| {
        sqlx::query("UPDATE reminder_plans SET archived_at = $2, updated_at = $2 WHERE id = $1 AND archived_at IS NULL")
            .bind(id)
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    if moved == 0 {
        return Err(AppError::NotFound);
    }
    with_tx!(&mut tx, |c| {
        sqlx::query("DELETE FROM segment_reminder_plans WHERE plan_id = $1")
            .bind(id)
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    let entry = Audit::new(Some(principal.user_id), AuditAction::ReminderPlanArchived, ("reminder_plan", Some(id)));
    audit((&mut tx).into(), now, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// A plan named in a form: none (empty), or an active plan's id (else not
/// found), checked in `tx`.
async fn active_plan(tx: &mut crate::db::Tx, plan: &str) -> AppResult<Option<i64>> {
    let plan = match plan.trim() {
        "" => return Ok(None),
        id => id.parse::<i64>().map_err(|_| AppError::NotFound)?,
    };
    let active: Option<i64> = with_tx!(tx, |c| {
        sqlx::query_scalar("SELECT id FROM reminder_plans WHERE id = $1 AND archived_at IS NULL")
            .bind(plan)
            .fetch_optional(&mut *c)
            .await
    })?;
    active.ok_or(AppError::NotFound).map(Some)
}

/// An account's own plan (`plan` empty: its segment's) and whether it is
/// excluded from reminders.
pub async fn set_account(
    state: &AppState,
    principal: &Principal,
    account_id: i64,
    plan: &str,
    excluded: bool,
) -> AppResult<()> {
    principal.require_owner()?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let plan = active_plan(&mut tx, plan).await?;
    let changed = with_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE accounts SET reminder_plan_id = $2, reminders_excluded = $3 WHERE id = $1 AND archived_at IS NULL",
        )
        .bind(account_id)
        .bind(plan)
        .bind(excluded)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    if changed == 0 {
        return Err(AppError::NotFound);
    }
    let details = AuditDetails::default().code(if excluded { "account: excluded" } else { "account" });
    let entry = Audit::new(Some(principal.user_id), AuditAction::ReminderPlanAssigned, ("reminder_plan", plan));
    audit((&mut tx).into(), now, entry.account(Some(account_id)).details(details)).await?;
    tx.commit().await?;
    Ok(())
}

/// The plan a segment follows (`plan` empty: none).
pub async fn assign(state: &AppState, principal: &Principal, segment: &str, plan: &str) -> AppResult<()> {
    principal.require_owner()?;
    let segment = Segment::parse(segment.trim()).ok_or_else(|| AppError::field("segment", Msg::RequiredField))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let plan = active_plan(&mut tx, plan).await?;
    with_tx!(&mut tx, |c| {
        sqlx::query("DELETE FROM segment_reminder_plans WHERE segment = $1")
            .bind(segment.as_str())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected())
    })?;
    if let Some(plan) = plan {
        with_tx!(&mut tx, |c| {
            sqlx::query("INSERT INTO segment_reminder_plans (segment, plan_id) VALUES ($1, $2)")
                .bind(segment.as_str())
                .bind(plan)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
        })?;
    }
    let details = AuditDetails::default().code(segment.as_str());
    let entry = Audit::new(Some(principal.user_id), AuditAction::ReminderPlanAssigned, ("reminder_plan", plan));
    audit((&mut tx).into(), now, entry.details(details)).await?;
    tx.commit().await?;
    Ok(())
}
