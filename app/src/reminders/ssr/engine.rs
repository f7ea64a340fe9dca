//! The reminder job. Every instance runs it; for each account inside the
//! send window (in the account's time zone) it takes the account's ledger
//! lock, reads where each open invoice stands in the account's plan, and in
//! one transaction (shared by a batch of accounts on SQLite, each account
//! in its savepoint: see [`pace`]) records the step reached (`reminders`, keyed by account,
//! step and day; `reminder_invoices`, unique per invoice, step and cycle)
//! with what the step does: the e-mail in the outbox, or the collector's
//! task. Read and written under the lock, a step goes once even with two
//! instances, and an invoice paid, promised or disputed meanwhile is not
//! chased. Held invoices are not recorded: their step waits for the hold
//! to lift, and after downtime only the latest due step goes.

use super::super::rules::{self, Anchor, Channel, Progress, StepRule};
use super::super::template::{self, Facts, Line};
use super::super::Hold;
use super::dispatch::{self, Reach};
use super::links::{self, LinkAction};
use crate::audit::{AuditAction, AuditDetails};
use crate::auth::ssr::{audit, Audit};
use crate::collection::{DISPUTED_SQL, IN_FLIGHT_SQL, PROMISED_SQL};
use crate::db::Tx;
use crate::domain::{Currency, Locale, Money};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use crate::ledger;
use crate::legal::ssr::charges;
use crate::state::AppState;
use crate::{with_db, with_tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Days autopay keeps retrying a declined charge after the due date (the
/// payments job retries after 1, 3 and 7 days): no reminder meanwhile.
const AUTOPAY_RETRY_DAYS: i64 = 7;

/// Broken promises older than this are no longer answered.
const BROKEN_PROMISE_DAYS: i64 = 30;

/// How a pass goes through the accounts: `batch` accounts per transaction,
/// `parallel` transactions at once.
#[derive(Clone, Copy, Debug)]
pub struct Pace {
    pub batch: usize,
    pub parallel: usize,
}

/// SQLite has one writer: a transaction per account spends most of its
/// time beginning and committing, so the job plans 32 accounts per
/// transaction, each in its own savepoint (an account that fails is rolled
/// back alone and waits for the next pass); a batch holds the write lock
/// for about 0.1 s. PostgreSQL keeps a transaction per account (a batch
/// would hold every account's row lock until the last one is planned) and
/// plans four accounts side by side, each under its own lock: the
/// database, not the job, does the work, and it has more than one core.
pub fn pace(db: &crate::db::Db) -> Pace {
    match db {
        crate::db::Db::Sqlite(_) => Pace { batch: 32, parallel: 1 },
        crate::db::Db::Postgres(_) => Pace { batch: 1, parallel: 4 },
    }
}

/// One pass over every account a plan applies to that owes something;
/// answers how many reminders were recorded.
pub async fn run(state: &AppState) -> AppResult<usize> {
    run_paced(state, pace(&state.db)).await
}

/// [`run`] at another pace (benchmarks).
pub async fn run_paced(state: &AppState, pace: Pace) -> AppResult<usize> {
    use futures::StreamExt;
    let now = state.clock.now();
    let window = super::window(state).await?;
    let accounts: Vec<(i64, String)> = with_db!(&state.db, |pool| {
        sqlx::query_as(
            "SELECT a.id, a.time_zone FROM accounts a
             WHERE a.archived_at IS NULL AND NOT a.reminders_excluded
               AND (a.reminder_plan_id IS NOT NULL OR a.segment IN (SELECT segment FROM segment_reminder_plans))
               AND EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = a.id AND i.status = 'issued' AND i.balance_minor > 0)
             ORDER BY a.id",
        )
        .fetch_all(pool)
        .await
    })?;
    let due: Vec<(i64, NaiveDate)> = accounts
        .into_iter()
        .filter_map(|(id, zone)| {
            let local = now.with_timezone(&time_zone(&zone)).naive_local();
            window.contains(local).then_some((id, local.date()))
        })
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    // Plans are read once per pass (an edit applies from the next pass).
    let plans = load_plans(state).await?;
    let plans = &plans;
    // Owned chunks: a closure taking a borrowed slice makes the pass's
    // future not `Send` for every lifetime (the job loop needs `Send`).
    let chunks: Vec<Vec<(i64, NaiveDate)>> = due.chunks(pace.batch.max(1)).map(<[_]>::to_vec).collect();
    let recorded = futures::stream::iter(chunks)
        .map(|chunk| async move {
            match accounts_in_one(state, &chunk, now, plans).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(accounts = ?chunk, error = ?e, "reminders: accounts left for the next pass");
                    0
                }
            }
        })
        .buffer_unordered(pace.parallel.max(1))
        .fold(0, |total, n| async move { total + n })
        .await;
    Ok(recorded)
}

/// Every plan, read in one transaction.
async fn load_plans(state: &AppState) -> AppResult<Plans> {
    let mut tx = state.db.begin().await?;
    let ids: Vec<i64> = with_tx!(&mut tx, |c| sqlx::query_scalar("SELECT id FROM reminder_plans ORDER BY id")
        .fetch_all(&mut *c)
        .await)?;
    let mut plans = Plans::new();
    for id in ids {
        plans.insert(id, load_plan(&mut tx, id).await?);
    }
    tx.commit().await?;
    Ok(plans)
}

/// Plans `accounts` in one transaction; with more than one, each account
/// in a savepoint, so that one account's error leaves the others planned.
async fn accounts_in_one(
    state: &AppState,
    accounts: &[(i64, NaiveDate)],
    now: DateTime<Utc>,
    plans: &Plans,
) -> AppResult<usize> {
    let mut tx = state.db.begin().await?;
    let mut recorded = 0;
    if let [(id, today)] = accounts {
        recorded = account(state, &mut tx, *id, *today, now, plans).await?;
    } else {
        for &(id, today) in accounts {
            savepoint(&mut tx, "SAVEPOINT reminder_account").await?;
            match account(state, &mut tx, id, today, now, plans).await {
                Ok(n) => recorded += n,
                Err(e) => {
                    tracing::error!(account = id, error = ?e, "reminders: account left for the next pass");
                    savepoint(&mut tx, "ROLLBACK TO SAVEPOINT reminder_account").await?;
                }
            }
            savepoint(&mut tx, "RELEASE SAVEPOINT reminder_account").await?;
        }
    }
    tx.commit().await?;
    Ok(recorded)
}

async fn savepoint(tx: &mut Tx, sql: &'static str) -> AppResult<()> {
    with_tx!(tx, |c| sqlx::query(sql).execute(&mut *c).await.map(|_| ()))?;
    Ok(())
}

pub fn time_zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::Europe::Paris)
}

#[derive(sqlx::FromRow)]
pub(crate) struct AccountFacts {
    pub legal_name: String,
    pub language: String,
    pub currency: String,
    pub reminders_excluded: bool,
    pub reminders_paused_until: Option<NaiveDate>,
    pub insolvent_since: Option<NaiveDate>,
    pub plan_id: Option<i64>,
}

pub(crate) const ACCOUNT_SQL: &str =
    "SELECT a.legal_name, a.language, a.currency, a.reminders_excluded, a.reminders_paused_until,
            a.insolvent_since,
            COALESCE(a.reminder_plan_id, (SELECT s.plan_id FROM segment_reminder_plans s WHERE s.segment = a.segment))
                AS plan_id
     FROM accounts a WHERE a.id = $1";

impl AccountFacts {
    /// Why nothing goes for the whole account today, if anything.
    pub(crate) fn hold(&self, today: NaiveDate) -> Option<Hold> {
        if self.reminders_excluded {
            Some(Hold::Excluded)
        } else if self.insolvent_since.is_some_and(|d| d <= today) {
            Some(Hold::Insolvent)
        } else if self.reminders_paused_until.is_some_and(|d| d >= today) {
            Some(Hold::Paused)
        } else if self.plan_id.is_none() {
            Some(Hold::NoPlan)
        } else {
            None
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OpenInvoice {
    pub id: i64,
    pub number: String,
    pub due_date: NaiveDate,
    pub balance_minor: i64,
    pub promised: bool,
    pub disputed_minor: i64,
    pub in_flight_minor: i64,
    pub last_position: Option<i32>,
    pub last_on: Option<NaiveDate>,
}

impl OpenInvoice {
    pub(crate) fn progress(&self) -> Progress {
        Progress { last: self.last_position.zip(self.last_on).filter(|(p, _)| *p > 0) }
    }

    /// Why the invoice is not chased today, if it is not.
    pub(crate) fn hold(&self, autopay_since: Option<NaiveDate>, today: NaiveDate) -> Option<Hold> {
        if self.promised {
            Some(Hold::Promised)
        } else if self.disputed_minor > 0 {
            Some(Hold::Disputed)
        } else if self.in_flight_minor > 0 {
            Some(Hold::PaymentInFlight)
        } else if autopay_since
            .is_some_and(|since| self.due_date >= since && today <= self.due_date + Duration::days(AUTOPAY_RETRY_DAYS))
        {
            Some(Hold::Autopay)
        } else {
            None
        }
    }
}

pub(crate) async fn open_invoices(tx: &mut Tx, account_id: i64) -> AppResult<Vec<OpenInvoice>> {
    let sql = format!(
        "SELECT i.id, i.number, i.due_date, i.balance_minor, {PROMISED_SQL} AS promised,
                CAST({DISPUTED_SQL} AS BIGINT) AS disputed_minor, CAST({IN_FLIGHT_SQL} AS BIGINT) AS in_flight_minor,
                (SELECT MAX(ri.position) FROM reminder_invoices ri WHERE ri.invoice_id = i.id) AS last_position,
                (SELECT MAX(ri.reached_on) FROM reminder_invoices ri WHERE ri.invoice_id = i.id AND ri.position > 0)
                    AS last_on
         FROM invoices i WHERE i.account_id = $1 AND i.status = 'issued' AND i.balance_minor > 0
         ORDER BY i.due_date, i.id"
    );
    let rows = with_tx!(tx, |c| sqlx::query_as(&sql).bind(account_id).fetch_all(&mut *c).await)?;
    Ok(rows)
}

/// A step as stored.
#[derive(sqlx::FromRow)]
pub(crate) struct StepRow {
    pub plan_id: i64,
    pub id: i64,
    pub position: i32,
    pub anchor: String,
    pub offset_days: i32,
    pub channel: String,
    pub needs_approval: bool,
    pub late_charges: bool,
    pub attach_statement: bool,
}

pub(crate) async fn steps(tx: &mut Tx, plan_id: i64) -> AppResult<Vec<StepRule>> {
    let rows: Vec<StepRow> = with_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT plan_id, id, position, anchor, offset_days, channel, needs_approval, late_charges, attach_statement
             FROM reminder_steps WHERE plan_id = $1 ORDER BY position",
        )
        .bind(plan_id)
        .fetch_all(&mut *c)
        .await
    })?;
    rows.into_iter()
        .map(|r| {
            let unknown = || AppError::internal(anyhow::anyhow!("reminder step {} unreadable", r.id));
            Ok(StepRule {
                id: r.id,
                position: r.position,
                anchor: Anchor::parse(&r.anchor).ok_or_else(unknown)?,
                offset_days: r.offset_days,
                channel: Channel::parse(&r.channel).ok_or_else(unknown)?,
                needs_approval: r.needs_approval,
                late_charges: r.late_charges,
            })
        })
        .collect()
}

/// A plan as one pass of the job reads it, once: its minimum amount, its
/// steps and their own templates.
pub(crate) struct PlanData {
    min_amount: i64,
    steps: Vec<StepRule>,
    /// (step, language) → (subject, body).
    templates: HashMap<(i64, Locale), (String, String)>,
}

impl PlanData {
    fn template(&self, step_id: i64, locale: Locale) -> Option<(String, String)> {
        self.templates.get(&(step_id, locale)).cloned()
    }
}

/// The plans a pass has read (`None`: archived or gone).
type Plans = HashMap<i64, Option<PlanData>>;

async fn load_plan(tx: &mut Tx, plan_id: i64) -> AppResult<Option<PlanData>> {
    let Some(min_amount) = plan_minimum(tx, plan_id).await? else { return Ok(None) };
    let steps = steps(tx, plan_id).await?;
    let rows: Vec<(i64, String, String, String)> = with_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT t.step_id, t.language, t.subject, t.body FROM reminder_templates t
             JOIN reminder_steps s ON s.id = t.step_id WHERE s.plan_id = $1",
        )
        .bind(plan_id)
        .fetch_all(&mut *c)
        .await
    })?;
    let templates = rows
        .into_iter()
        .filter_map(|(step, language, subject, body)| Some(((step, Locale::parse(&language)?), (subject, body))))
        .collect();
    Ok(Some(PlanData { min_amount, steps, templates }))
}

/// The minimum amount of `plan_id` if it is active (`None`: archived or
/// gone, so it chases nothing).
pub(crate) async fn plan_minimum(tx: &mut Tx, plan_id: i64) -> AppResult<Option<i64>> {
    let plan: Option<(i64, bool)> = with_tx!(tx, |c| {
        sqlx::query_as("SELECT min_amount_minor, archived_at IS NOT NULL FROM reminder_plans WHERE id = $1")
            .bind(plan_id)
            .fetch_optional(&mut *c)
            .await
    })?;
    Ok(plan.and_then(|(min, archived)| (!archived).then_some(min)))
}

/// The account's autopay method's start, if it has one.
pub(crate) async fn autopay_since(tx: &mut Tx, account_id: i64) -> AppResult<Option<NaiveDate>> {
    let since: Option<Option<NaiveDate>> = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "SELECT autopay_since FROM payment_methods WHERE account_id = $1 AND autopay AND removed_at IS NULL",
        )
        .bind(account_id)
        .fetch_optional(&mut *c)
        .await
    })?;
    Ok(since.flatten())
}

/// One invoice a step is about to cover.
struct Item<'a> {
    invoice: &'a OpenInvoice,
    /// 0, or the broken promise answered.
    cycle: i64,
}

/// A promise broken lately, for one of its invoices.
struct Broken {
    promise_id: i64,
    invoice_id: i64,
    on: NaiveDate,
}

async fn broken_promises(
    tx: &mut Tx,
    account_id: i64,
    now: DateTime<Utc>,
) -> AppResult<(Vec<Broken>, HashSet<(i64, i64, i64)>)> {
    let since = now - Duration::days(BROKEN_PROMISE_DAYS);
    let rows: Vec<(i64, i64, DateTime<Utc>)> = with_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT p.id, pi.invoice_id, p.settled_at FROM promises p JOIN promise_invoices pi ON pi.promise_id = p.id
             WHERE p.account_id = $1 AND p.status = 'broken' AND p.settled_at >= $2",
        )
        .bind(account_id)
        .bind(since)
        .fetch_all(&mut *c)
        .await
    })?;
    if rows.is_empty() {
        // Most accounts: nothing to answer, and nothing to look up.
        return Ok((Vec::new(), HashSet::new()));
    }
    // (invoice, step, promise) already answered.
    let answered: Vec<(i64, i64, i64)> = with_tx!(tx, |c| {
        sqlx::query_as(
            "SELECT ri.invoice_id, ri.step_id, ri.cycle FROM reminder_invoices ri JOIN invoices i ON i.id = ri.invoice_id
             WHERE i.account_id = $1 AND ri.cycle > 0",
        )
        .bind(account_id)
        .fetch_all(&mut *c)
        .await
    })?;
    let broken =
        rows.into_iter().map(|(promise_id, invoice_id, at)| Broken { promise_id, invoice_id, on: at.date_naive() });
    Ok((broken.collect(), answered.into_iter().collect()))
}

/// What a step does for an account: the channel used, the reminder's
/// status, the task it leaves (if any) and why the channel changed.
fn outcome(step: &StepRule, reach: &Reach) -> (Channel, &'static str, Option<&'static str>, Option<Hold>) {
    // Nowhere to write: a letter for the collector to send.
    let letter = |why| (Channel::Letter, "task", Some("letter"), Some(why));
    match step.channel {
        Channel::Email if reach.email.trim().is_empty() => letter(Hold::NoAddress),
        Channel::Sms if reach.mobile.is_err() => letter(reach.mobile.clone().err().unwrap_or(Hold::NoAddress)),
        Channel::Email | Channel::Sms if step.needs_approval => (step.channel, "awaiting_approval", None, None),
        Channel::Email | Channel::Sms => (step.channel, "sent", None, None),
        Channel::Call => (Channel::Call, "task", Some("call"), None),
        Channel::Letter | Channel::FormalDemand => (step.channel, "task", Some("letter"), None),
        Channel::Task => (step.channel, "task", Some("task"), None),
    }
}

/// The account's due steps, each recorded with what it does; answers how
/// many reminders were recorded.
async fn account(
    state: &AppState,
    tx: &mut Tx,
    account_id: i64,
    today: NaiveDate,
    now: DateTime<Utc>,
    plans: &Plans,
) -> AppResult<usize> {
    // The ledger's lock: a payment, a promise or another instance waits.
    let lock = ledger::lock(tx, account_id).await?;
    let account: AccountFacts =
        with_tx!(tx, |c| sqlx::query_as(ACCOUNT_SQL).bind(account_id).fetch_one(&mut *c).await)?;
    let (None, Some(plan_id)) = (account.hold(today), account.plan_id) else { return Ok(0) };
    let Some(Some(plan)) = plans.get(&plan_id) else { return Ok(0) };
    let (min_amount, steps) = (plan.min_amount, &plan.steps);
    let invoices = open_invoices(tx, account_id).await?;
    let autopay = autopay_since(tx, account_id).await?;
    let (broken, answered) = broken_promises(tx, account_id, now).await?;
    let reach = dispatch::reach(tx, account_id).await?;

    let mut due: BTreeMap<i32, (StepRule, Vec<Item>)> = BTreeMap::new();
    for invoice in &invoices {
        if invoice.hold(autopay, today).is_some() {
            continue;
        }
        if let Some(step) = rules::due_step(steps, invoice.due_date, &invoice.progress(), today) {
            due.entry(step.position).or_insert((step, Vec::new())).1.push(Item { invoice, cycle: 0 });
        }
        for b in broken.iter().filter(|b| b.invoice_id == invoice.id) {
            for step in rules::broken_promise_steps(steps, b.on, today) {
                if !answered.contains(&(invoice.id, step.id, b.promise_id)) {
                    let item = Item { invoice, cycle: b.promise_id };
                    due.entry(step.position).or_insert((step, Vec::new())).1.push(item);
                }
            }
        }
    }
    let currency = crate::ledger::parse_currency(&account.currency)?;
    let locale = Locale::parse(&account.language).unwrap_or_default();
    let overdue: i64 = invoices.iter().filter(|i| i.due_date < today).map(|i| i.balance_minor).sum();
    let mut recorded = 0;
    for (step, items) in due.into_values() {
        let total: i64 = items.iter().map(|i| i.invoice.balance_minor).sum();
        // Below the minimum the step waits: a later invoice may raise it.
        if total < min_amount {
            continue;
        }
        let ids: Vec<i64> = items.iter().map(|i| i.invoice.id).collect();
        // The charges are worked out only for a step that posts them or
        // whose own text names them.
        let mentions =
            plan.template(step.id, locale).is_some_and(|(subject, body)| (subject + &body).contains("{late_charges}"));
        let late_charges = if step.late_charges || mentions {
            charges_sentence(tx, account_id, &ids, today, locale).await?
        } else {
            String::new()
        };
        let message = Facts {
            locale,
            contact: account.legal_name.clone(),
            account: account.legal_name.clone(),
            lines: items
                .iter()
                .map(|i| Line {
                    number: i.invoice.number.clone(),
                    due_date: i.invoice.due_date,
                    due: Money::new(i.invoice.balance_minor, currency),
                })
                .collect(),
            total: Money::new(total, currency),
            overdue: Money::new(overdue, currency),
            pay_link: links::url(state, account_id, &ids, LinkAction::Pay, now)?,
            promise_link: links::url(state, account_id, &ids, LinkAction::Promise, now)?,
            dispute_link: links::url(state, account_id, &ids, LinkAction::Dispute, now)?,
            late_charges,
        };
        let late_charges = step.late_charges;
        let r = Record { account_id, step, today, now, currency, reach: &reach, message, plan };
        let Some(reminder_id) = record(tx, &r, &items).await? else { continue };
        recorded += 1;
        if late_charges {
            // The step's invoices now owe their late charges (once per
            // invoice, kind and period; none for a consumer).
            let ctx = ledger::Ctx { on: state.clock.today(), now, actor: None, value_date: None };
            charges::apply(tx, &lock, Some(&ids), charges::By::Reminder(reminder_id), &ctx).await?;
        }
    }
    Ok(recorded)
}

struct Record<'a> {
    account_id: i64,
    step: StepRule,
    today: NaiveDate,
    now: DateTime<Utc>,
    currency: Currency,
    reach: &'a Reach,
    message: Facts,
    plan: &'a PlanData,
}

/// Records one step reached by `items` with what it does; `None` when
/// another instance recorded it first (nothing written).
async fn record(tx: &mut Tx, r: &Record<'_>, items: &[Item<'_>]) -> AppResult<Option<i64>> {
    let (channel, status, task, reason) = outcome(&r.step, r.reach);
    let key = format!("{}:{}:{}", r.account_id, r.step.id, r.today);
    let id: Option<i64> = with_tx!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO reminders (account_id, step_id, key, channel, status, reason, amount_minor, currency, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (key) DO NOTHING RETURNING id",
        )
        .bind(r.account_id)
        .bind(r.step.id)
        .bind(&key)
        .bind(channel.as_str())
        .bind(status)
        .bind(reason.map(Hold::as_str).unwrap_or(""))
        .bind(r.message.total.minor)
        .bind(r.currency.code())
        .bind(r.now)
        .fetch_optional(&mut *c)
        .await
    })?;
    let Some(id) = id else { return Ok(None) };
    cover(tx, id, r, items).await?;
    let details = AuditDetails::default()
        .amount(r.message.total)
        .invoices(r.message.lines.iter().map(|l| l.number.clone()))
        .code(channel.as_str())
        .note(reason.map(|h| h.as_str()).unwrap_or(""));
    let entry = Audit::new(None, AuditAction::ReminderRecorded, ("reminder", Some(id)));
    audit((&mut *tx).into(), r.now, entry.account(Some(r.account_id)).details(details)).await?;
    match (status, &r.reach.mobile) {
        ("sent", Ok(number)) if channel == Channel::Sms => {
            let body = sms_text(r.plan, r.step.id, &r.message);
            dispatch::sms(tx, r.now, id, r.account_id, number, &body).await?;
        }
        ("sent", _) => {
            let (subject, body) = message(r.plan, r.step.id, &r.message);
            dispatch::email(tx, r.now, id, r.account_id, &r.reach.email, (&subject, &body)).await?;
        }
        _ => {}
    }
    if matches!(channel, Channel::Letter | Channel::FormalDemand) || status == "awaiting_approval" {
        // The text as of today: a letter's PDF, or the e-mail staff approve.
        let (subject, body) = letter(r.plan, &r.step, channel, &r.message);
        with_tx!(tx, |c| {
            sqlx::query("UPDATE reminders SET letter_subject = $2, letter_body = $3 WHERE id = $1")
                .bind(id)
                .bind(&subject)
                .bind(&body)
                .execute(&mut *c)
                .await
                .map(|x| x.rows_affected())
        })?;
    }
    if let Some(kind) = task {
        let note = reason.map(|h| h.msg().text(r.message.locale)).unwrap_or("");
        with_tx!(tx, |c| {
            sqlx::query(
                "INSERT INTO collection_tasks (account_id, reminder_id, kind, due_on, status, note, created_at)
                 VALUES ($1, $2, $3, $4, 'open', $5, $6)",
            )
            .bind(r.account_id)
            .bind(id)
            .bind(kind)
            .bind(r.today)
            .bind(note)
            .bind(r.now)
            .execute(&mut *c)
            .await
            .map(|x| x.rows_affected())
        })?;
    }
    Ok(Some(id))
}

/// Rows of `reminder_invoices` written per statement (4 parameters each).
const COVER_BATCH: usize = 200;

/// Records the invoices the reminder covers, a batch of rows per statement:
/// one round trip per 200 invoices rather than per invoice.
async fn cover(tx: &mut Tx, reminder_id: i64, r: &Record<'_>, items: &[Item<'_>]) -> AppResult<()> {
    use std::fmt::Write;
    for chunk in items.chunks(COVER_BATCH) {
        let mut sql = String::from(
            "INSERT INTO reminder_invoices (reminder_id, invoice_id, step_id, cycle, position, reached_on, amount_minor) VALUES ",
        );
        for n in 0..chunk.len() {
            let p = 4 + 4 * n;
            let sep = if n == 0 { "" } else { ", " };
            let _ = write!(sql, "{sep}($1, ${p}, $2, ${}, ${}, $3, ${})", p + 1, p + 2, p + 3);
        }
        with_tx!(tx, |c| {
            let mut q = sqlx::query(&sql).bind(reminder_id).bind(r.step.id).bind(r.today);
            for item in chunk {
                let position = if item.cycle == 0 { r.step.position } else { 0 };
                q = q.bind(item.invoice.id).bind(item.cycle).bind(position).bind(item.invoice.balance_minor);
            }
            q.execute(&mut *c).await.map(|x| x.rows_affected())
        })?;
    }
    Ok(())
}

/// A letter's subject and body: the step's own template, else the default
/// letter, or the default formal demand. A letter replacing an e-mail for
/// want of an address takes the e-mail's template; one replacing a text
/// message the default letter (a text is too short for paper). A text
/// waiting for approval keeps its text as the body.
fn letter(plan: &PlanData, step: &StepRule, channel: Channel, facts: &Facts) -> (String, String) {
    if step.channel == Channel::FormalDemand || channel == Channel::FormalDemand {
        let own = plan.template(step.id, facts.locale);
        let (subject, body) = own.unwrap_or_else(|| {
            (
                Msg::FormalDemandSubject.text(facts.locale).to_string(),
                Msg::FormalDemandBody.text(facts.locale).to_string(),
            )
        });
        return (template::render(&subject, facts), template::render(&body, facts));
    }
    match (step.channel, channel) {
        (Channel::Sms, Channel::Sms) => {
            let subject = template::render(Msg::ReminderSubject.text(facts.locale), facts);
            (subject, sms_text(plan, step.id, facts))
        }
        (Channel::Sms, _) => default_message(facts),
        _ => message(plan, step.id, facts),
    }
}

fn default_message(facts: &Facts) -> (String, String) {
    (
        template::render(Msg::ReminderSubject.text(facts.locale), facts),
        template::render(Msg::ReminderBody.text(facts.locale), facts),
    )
}

/// A text message: the step's own template body, else the default one.
fn sms_text(plan: &PlanData, step_id: i64, facts: &Facts) -> String {
    let own = plan.template(step_id, facts.locale);
    let body = own.map(|(_, body)| body).unwrap_or_else(|| Msg::ReminderSms.text(facts.locale).to_string());
    template::render(&body, facts)
}

/// What the law adds to these invoices today, as the `{late_charges}`
/// sentence.
async fn charges_sentence(
    tx: &mut Tx,
    account_id: i64,
    ids: &[i64],
    today: NaiveDate,
    locale: Locale,
) -> AppResult<String> {
    let claim = crate::legal::ssr::claim::overdue(tx.into(), account_id, today).await?;
    let lines: Vec<_> = claim.lines.iter().filter(|l| ids.contains(&l.invoice_id)).collect();
    let Some(first) = lines.first() else { return Ok(String::new()) };
    let currency = first.principal.currency;
    let penalties = lines.iter().filter_map(|l| l.penalties).filter(|m| m.currency == currency).map(|m| m.minor).sum();
    let indemnities = lines.iter().filter_map(|l| l.indemnity).reduce(|a, b| Money::new(a.minor + b.minor, a.currency));
    Ok(template::late_charges_sentence(locale, Money::new(penalties, currency), indemnities, today))
}

/// The step's subject and body in the account's language (its own
/// template, else the default one), placeholders filled.
fn message(plan: &PlanData, step_id: i64, facts: &Facts) -> (String, String) {
    let own = plan.template(step_id, facts.locale);
    let (subject, body) = own.unwrap_or_else(|| {
        (Msg::ReminderSubject.text(facts.locale).to_string(), Msg::ReminderBody.text(facts.locale).to_string())
    });
    (template::render(&subject, facts), template::render(&body, facts))
}
