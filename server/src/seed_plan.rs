//! The demo's example reminder plan: what a French B2B merchant typically
//! runs (a courtesy notice before the due date, a reminder after it, a
//! call, then a formal demand), given to no segment, so the demo chases
//! nobody until the owner assigns it on `/back/reminders`.

use app::db::Db;
use app::with_db;
use chrono::{DateTime, Utc};

pub const EXAMPLE_PLAN: &str = "Relance standard B2B (exemple)";

/// (anchor, days, channel, French subject and body, English subject and
/// body); empty texts use the default message.
const STEPS: [(&str, i32, &str, &str, &str, &str, &str); 4] = [
    (
        "due_date",
        -3,
        "email",
        "{account} : échéance dans 3 jours ({total})",
        "Bonjour,\n\nPetit rappel : les factures suivantes arrivent à échéance dans trois jours :\n{invoices}\n\nRégler en ligne : {pay_link}\n\nSi le règlement est déjà parti, merci de ne pas tenir compte de ce message.\n\nCordialement.",
        "{account}: due in 3 days ({total})",
        "Hello,\n\nA friendly reminder: the following invoices fall due in three days:\n{invoices}\n\nPay online: {pay_link}\n\nIf payment is already on its way, please disregard this message.\n\nKind regards.",
    ),
    ("due_date", 7, "email", "", "", "", ""),
    ("previous_step", 10, "call", "", "", "", ""),
    ("previous_step", 15, "formal_demand", "", "", "", ""),
];

pub async fn example(db: &Db, now: DateTime<Utc>) -> anyhow::Result<()> {
    with_db!(db, |pool| {
        async {
            let mut tx = pool.begin().await?;
            let plan: i64 = sqlx::query_scalar(
                "INSERT INTO reminder_plans (name, customer_kind, min_amount_minor, created_at, updated_at)
                 VALUES ($1, 'business', 5000, $2, $2) RETURNING id",
            )
            .bind(EXAMPLE_PLAN)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for (i, (anchor, days, channel, subject_fr, body_fr, subject_en, body_en)) in STEPS.iter().enumerate() {
                let step: i64 = sqlx::query_scalar(
                    "INSERT INTO reminder_steps (plan_id, position, anchor, offset_days, channel)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(plan)
                .bind(i as i32 + 1)
                .bind(*anchor)
                .bind(*days)
                .bind(*channel)
                .fetch_one(&mut *tx)
                .await?;
                for (language, subject, body) in [("fr", subject_fr, body_fr), ("en", subject_en, body_en)] {
                    if subject.is_empty() {
                        continue;
                    }
                    sqlx::query(
                        "INSERT INTO reminder_templates (step_id, language, subject, body) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(step)
                    .bind(language)
                    .bind(*subject)
                    .bind(*body)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
            Ok::<(), sqlx::Error>(())
        }
        .await
    })?;
    Ok(())
}
