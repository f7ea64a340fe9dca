//! `relance seed-scale`: a merchant with a real-sized book, for benchmarks
//! (`scripts/bench-scale.sh`): by default 50,000 accounts, 1,000,000
//! invoices over three years and their ledger (payments in full and in
//! part, online payments, credit notes, fees, unapplied credit), promises
//! to pay and disputes. Deterministic (one seed), written in bulk in one
//! transaction with the stored balances computed alongside, then checked
//! with `verify-ledger`. Refuses a database that already holds data.

use anyhow::Context;
use app::db::{Db, Tx};
use app::domain::{Locale, Role, Segment};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The password of every scale user (a benchmark database, never a real one).
pub const SCALE_PASSWORD: &str = "relance-scale";
pub const COLLECTORS: usize = 20;
/// Accounts whose first contact can sign in (`client00001@scale.test`…).
pub const CONTACTS: usize = 5_000;

#[derive(Clone, Copy, Debug)]
pub struct ScaleSpec {
    pub accounts: usize,
    pub invoices: usize,
    pub seed: u64,
}

impl Default for ScaleSpec {
    fn default() -> Self {
        ScaleSpec { accounts: 50_000, invoices: 1_000_000, seed: 42 }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScaleReport {
    pub accounts: usize,
    pub invoices: usize,
    pub entries: usize,
    pub payments: usize,
    pub promises: usize,
    pub disputes: usize,
    pub users: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Habit {
    Punctual,
    Late,
    Chronic,
}

struct Account {
    id: i64,
    code: String,
    name: String,
    email: String,
    language: Locale,
    segment: Segment,
    collector: Option<i64>,
    currency: &'static str,
    terms: i64,
    habit: Habit,
    balance: i64,
    unapplied: i64,
}

struct Invoice {
    id: i64,
    account: i64,
    number: String,
    issue: NaiveDate,
    due: NaiveDate,
    currency: &'static str,
    total: i64,
    balance: i64,
}

struct Entry {
    account: i64,
    invoice: Option<i64>,
    kind: &'static str,
    amount: i64,
    currency: &'static str,
    on: NaiveDate,
    reference: String,
    payment: Option<i64>,
    credit_note: Option<i64>,
}

/// A user: id, e-mail, name, role, client account, language.
type UserRow = (i64, String, String, &'static str, Option<i64>, &'static str);

/// Rows waiting to be written, a batch per table.
#[derive(Default)]
struct Batches {
    invoices: Vec<Invoice>,
    entries: Vec<Entry>,
    payments: Vec<(i64, i64, i64, &'static str, NaiveDate)>,
    allocations: Vec<(i64, i64, i64)>,
    credit_notes: Vec<(i64, String, i64, i64, i64, &'static str, NaiveDate)>,
    promises: Vec<(i64, i64, NaiveDate, i64, &'static str, i64, &'static str)>,
    promise_invoices: Vec<(i64, i64, i64)>,
    disputes: Vec<(i64, i64, i64, i64, &'static str, &'static str)>,
    messages: Vec<(i64, i64)>,
}

const BATCH: usize = 1_000;

const FIRST: [&str; 24] = [
    "Atelier",
    "Boulangerie",
    "Cabinet",
    "Garage",
    "Maison",
    "Transports",
    "Hôtel",
    "Pharmacie",
    "Librairie",
    "Imprimerie",
    "Menuiserie",
    "Brasserie",
    "Clinique",
    "Agence",
    "Domaine",
    "Laboratoires",
    "Studio",
    "Comptoir",
    "Harbour",
    "Northgate",
    "Meridian",
    "Kingsbridge",
    "Westbrook",
    "Sterling",
];
const SECOND: [&str; 24] = [
    "Dupont",
    "Morel",
    "Girard",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Chevalier",
    "Blanchard",
    "Mercier",
    "Perrin",
    "Roche",
    "Lemaire",
    "Moreau",
    "Garnier",
    "Bertrand",
    "Leroy",
    "Dumas",
    "Vidal",
    "Martin",
    "Aubert",
    "Renaud",
    "Colin",
    "Gauthier",
    "Vasseur",
];
const FORMS: [&str; 5] = ["SARL", "SAS", "SA", "Ltd", "& Fils"];

/// Inserts rows in multi-row statements, on the transaction of either
/// backend, then empties the batch.
macro_rules! flush {
    ($tx:expr, $head:expr, $rows:expr, |$b:ident, $r:ident| $push:block) => {
        if !$rows.is_empty() {
            match $tx {
                Tx::Sqlite(t) => {
                    let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new($head);
                    qb.push_values($rows.iter(), |mut $b, $r| $push);
                    qb.build().execute(&mut **t).await?;
                }
                Tx::Postgres(t) => {
                    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new($head);
                    qb.push_values($rows.iter(), |mut $b, $r| $push);
                    qb.build().execute(&mut **t).await?;
                }
            }
            $rows.clear();
        }
    };
}

async fn flush_invoices(tx: &mut Tx, rows: &mut Vec<Invoice>, now: DateTime<Utc>) -> anyhow::Result<()> {
    flush!(
        tx,
        "INSERT INTO invoices (id, account_id, number, issue_date, due_date, currency, subtotal_minor, tax_minor, \
                total_minor, status, created_at, balance_minor) ",
        rows,
        |b, r| {
            let net = r.total * 100 / 120;
            b.push_bind(r.id)
                .push_bind(r.account)
                .push_bind(r.number.clone())
                .push_bind(r.issue)
                .push_bind(r.due)
                .push_bind(r.currency)
                .push_bind(net)
                .push_bind(r.total - net)
                .push_bind(r.total)
                .push_bind("issued")
                .push_bind(now)
                .push_bind(r.balance);
        }
    );
    Ok(())
}

async fn flush_lines(tx: &mut Tx, rows: &mut Vec<(i64, i64)>) -> anyhow::Result<()> {
    flush!(
        tx,
        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, unit_price_minor, \
                tax_rate_bp, net_minor, tax_minor) ",
        rows,
        |b, r| {
            let net = r.1 * 100 / 120;
            b.push_bind(r.0)
                .push_bind(1_i32)
                .push_bind("Prestations du mois")
                .push_bind(1000_i64)
                .push_bind(net)
                .push_bind(2000_i32)
                .push_bind(net)
                .push_bind(r.1 - net);
        }
    );
    Ok(())
}

async fn flush_entries(tx: &mut Tx, rows: &mut Vec<Entry>, now: DateTime<Utc>) -> anyhow::Result<()> {
    flush!(
        tx,
        "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, \
                reference, payment_id, credit_note_id, created_at) ",
        rows,
        |b, r| {
            b.push_bind(r.account)
                .push_bind(r.invoice)
                .push_bind(r.kind)
                .push_bind(r.amount)
                .push_bind(r.currency)
                .push_bind(r.on)
                .push_bind(r.reference.clone())
                .push_bind(r.payment)
                .push_bind(r.credit_note)
                .push_bind(now);
        }
    );
    Ok(())
}

async fn flush_all(
    tx: &mut Tx,
    b: &mut Batches,
    lines: &mut Vec<(i64, i64)>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    flush_invoices(tx, &mut b.invoices, now).await?;
    flush_lines(tx, lines).await?;
    let pays = &mut b.payments;
    flush!(
        tx,
        "INSERT INTO payments (id, account_id, idempotency_key, gateway, gateway_ref, method_label, amount_minor, \
                currency, status, source, created_at, updated_at, succeeded_at) ",
        pays,
        |q, r| {
            let at = r.4.and_hms_opt(10, 0, 0).expect("valid time").and_utc();
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(format!("scale-{}", r.0))
                .push_bind("sandbox")
                .push_bind(format!("pi_scale_{}", r.0))
                .push_bind("Visa •••• 4242")
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind("succeeded")
                .push_bind("portal")
                .push_bind(at)
                .push_bind(at)
                .push_bind(at);
        }
    );
    let allocs = &mut b.allocations;
    flush!(tx, "INSERT INTO payment_allocations (payment_id, invoice_id, amount_minor) ", allocs, |q, r| {
        q.push_bind(r.0).push_bind(r.1).push_bind(r.2);
    });
    let notes = &mut b.credit_notes;
    flush!(
        tx,
        "INSERT INTO credit_notes (id, number, account_id, invoice_id, amount_minor, currency, issued_on, \
                created_at) ",
        notes,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1.clone())
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(r.6)
                .push_bind(now);
        }
    );
    flush_entries(tx, &mut b.entries, now).await?;
    let promises = &mut b.promises;
    flush!(
        tx,
        "INSERT INTO promises (id, account_id, promised_date, amount_minor, currency, balance_at_promise_minor, \
                status, source, created_at, updated_at) ",
        promises,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(r.6)
                .push_bind("portal")
                .push_bind(now)
                .push_bind(now);
        }
    );
    let pis = &mut b.promise_invoices;
    flush!(tx, "INSERT INTO promise_invoices (promise_id, invoice_id, balance_minor) ", pis, |q, r| {
        q.push_bind(r.0).push_bind(r.1).push_bind(r.2);
    });
    let disputes = &mut b.disputes;
    flush!(
        tx,
        "INSERT INTO disputes (id, account_id, invoice_id, reason, scope, amount_minor, currency, status, \
                created_at, updated_at) ",
        disputes,
        |q, r| {
            q.push_bind(r.0)
                .push_bind(r.1)
                .push_bind(r.2)
                .push_bind("damaged")
                .push_bind("amount")
                .push_bind(r.3)
                .push_bind(r.4)
                .push_bind(r.5)
                .push_bind(now)
                .push_bind(now);
        }
    );
    let messages = &mut b.messages;
    flush!(tx, "INSERT INTO dispute_messages (dispute_id, author_id, kind, body, created_at) ", messages, |q, r| {
        q.push_bind(r.0)
            .push_bind(r.1)
            .push_bind("message")
            .push_bind("Marchandise abîmée à la réception.")
            .push_bind(now);
    });
    Ok(())
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

/// Fills an empty database. Returns what it wrote.
pub async fn seed_scale(
    db: &Db,
    now: DateTime<Utc>,
    spec: ScaleSpec,
    password_hash: &str,
) -> anyhow::Result<ScaleReport> {
    let today = now.date_naive();
    let mut rng = StdRng::seed_from_u64(spec.seed);
    let mut tx = db.begin().await?;
    let existing: i64 = app::with_tx!(&mut tx, |c| {
        sqlx::query_scalar("SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM accounts)")
            .fetch_one(&mut *c)
            .await
    })?;
    anyhow::ensure!(existing == 0, "seed-scale fills an empty database only (this one has users or accounts)");
    app::with_tx!(&mut tx, |c| {
        sqlx::query(
            "INSERT INTO merchant (id, company_name, legal_id, address, email, phone, default_currency, default_locale,
                 payment_terms_days, updated_at)
             VALUES (1, 'Grossiste Échelle SAS', 'SIRET 552 100 554 00012', '1 quai du Commerce, 69002 Lyon',
                 'compta@echelle.test', '', 'EUR', 'fr', 30, $1)",
        )
        .bind(now)
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;

    // Staff: an owner, collectors, an accountant (ids 1..).
    let mut users: Vec<UserRow> = Vec::new();
    users.push((1, "owner@scale.test".into(), "Olivia Owner".into(), Role::Owner.as_str(), None, "fr"));
    for k in 1..=COLLECTORS {
        let id = 1 + k as i64;
        users.push((
            id,
            format!("collector{k:02}@scale.test"),
            format!("Collector {k:02}"),
            Role::Collector.as_str(),
            None,
            "fr",
        ));
    }
    users.push((
        2 + COLLECTORS as i64,
        "accountant@scale.test".into(),
        "Anna Accountant".into(),
        Role::Accountant.as_str(),
        None,
        "fr",
    ));

    // Accounts.
    let mut accounts = Vec::with_capacity(spec.accounts);
    for i in 1..=spec.accounts {
        let id = i as i64;
        let language = if rng.gen_ratio(85, 100) { Locale::Fr } else { Locale::En };
        let currency = match (language, rng.gen_range(0..100)) {
            (Locale::En, 0..=59) => "GBP",
            (Locale::En, 60..=79) => "USD",
            _ => "EUR",
        };
        let segment = match rng.gen_range(0..100) {
            0..=4 => Segment::Key,
            5..=64 => Segment::Standard,
            _ => Segment::Small,
        };
        let habit = match rng.gen_range(0..100) {
            0..=59 => Habit::Punctual,
            60..=89 => Habit::Late,
            _ => Habit::Chronic,
        };
        let name = format!("{} {} {} {}", pick(&mut rng, &FIRST), pick(&mut rng, &SECOND), i, pick(&mut rng, &FORMS));
        accounts.push(Account {
            id,
            code: format!("K{i:06}"),
            email: format!("factures{i}@client.test"),
            name,
            language,
            segment,
            collector: (!rng.gen_ratio(1, 10)).then(|| 2 + rng.gen_range(0..COLLECTORS as i64)),
            currency,
            terms: pick(&mut rng, &[30, 30, 30, 45, 60]),
            habit,
            balance: 0,
            unapplied: 0,
        });
    }
    for a in accounts.iter().take(CONTACTS.min(spec.accounts)) {
        let id = users.len() as i64 + 1;
        users.push((
            id,
            format!("client{:05}@scale.test", a.id),
            format!("Contact {}", a.code),
            Role::Client.as_str(),
            Some(a.id),
            a.language.code(),
        ));
    }

    // How many invoices each account gets: key accounts buy far more.
    let weight = |a: &Account| -> usize {
        match a.segment {
            Segment::Key => 24,
            Segment::Standard => 2,
            Segment::Small => 1,
        }
    };
    let total_weight: usize = accounts.iter().map(weight).sum();
    let mut counts: Vec<usize> = accounts.iter().map(|a| weight(a) * spec.invoices / total_weight).collect();
    let mut short = spec.invoices - counts.iter().sum::<usize>();
    let mut k = 0;
    while short > 0 {
        let n = counts.len();
        counts[k % n] += 1;
        short -= 1;
        k += 1;
    }

    let mut b = Batches::default();
    let mut lines: Vec<(i64, i64)> = Vec::new();
    let mut report = ScaleReport { accounts: spec.accounts, users: users.len(), ..ScaleReport::default() };
    let (mut invoice_id, mut payment_id, mut note_id, mut promise_id, mut dispute_id) = (0i64, 0i64, 0i64, 0i64, 0i64);

    // Staff, accounts (their collectors are staff), contacts (of accounts),
    // then each account's book: the order of the foreign keys.
    {
        let staff = 2 + COLLECTORS;
        let rows = &mut accounts.iter().collect::<Vec<_>>();
        for chunk in users[..staff].chunks(BATCH) {
            let mut chunk = chunk.to_vec();
            flush!(
                &mut tx,
                "INSERT INTO users (id, email, name, password_hash, role, account_id, locale, active, created_at) ",
                chunk,
                |q, u| {
                    q.push_bind(u.0)
                        .push_bind(u.1.clone())
                        .push_bind(u.2.clone())
                        .push_bind(password_hash)
                        .push_bind(u.3)
                        .push_bind(u.4)
                        .push_bind(u.5)
                        .push_bind(true)
                        .push_bind(now);
                }
            );
        }
        for chunk in rows.chunks(BATCH) {
            let mut chunk = chunk.to_vec();
            flush!(
                &mut tx,
                "INSERT INTO accounts (id, code, legal_name, billing_email, language, segment, collector_id, \
                        payment_terms_days, credit_limit_minor, currency, search_text, created_at) ",
                chunk,
                |q, a| {
                    q.push_bind(a.id)
                        .push_bind(a.code.clone())
                        .push_bind(a.name.clone())
                        .push_bind(a.email.clone())
                        .push_bind(a.language.code())
                        .push_bind(a.segment.as_str())
                        .push_bind(a.collector)
                        .push_bind(a.terms as i32)
                        .push_bind(5_000_000_i64)
                        .push_bind(a.currency)
                        .push_bind(app::domain::search_key(&a.code, &a.name, &a.email))
                        .push_bind(now);
                }
            );
        }
        for chunk in users[staff..].chunks(BATCH) {
            let mut chunk = chunk.to_vec();
            flush!(
                &mut tx,
                "INSERT INTO users (id, email, name, password_hash, role, account_id, locale, active, created_at) ",
                chunk,
                |q, u| {
                    q.push_bind(u.0)
                        .push_bind(u.1.clone())
                        .push_bind(u.2.clone())
                        .push_bind(password_hash)
                        .push_bind(u.3)
                        .push_bind(u.4)
                        .push_bind(u.5)
                        .push_bind(true)
                        .push_bind(now);
                }
            );
        }
    }

    for (a, count) in accounts.iter_mut().zip(counts) {
        let mut open_total = 0;
        for _ in 0..count {
            invoice_id += 1;
            let issue = today - Duration::days(rng.gen_range(1..1_095));
            let due = issue + Duration::days(a.terms);
            let base: i64 = match a.segment {
                Segment::Key => 250_000,
                Segment::Standard => 60_000,
                Segment::Small => 15_000,
            };
            let total = base * rng.gen_range(10..300) / 100 + 100;
            let number = format!("F{}-{invoice_id:07}", issue.format("%Y"));
            let mut entries_paid = 0;
            let late = (today - due).num_days();
            // What the client has paid of it by today.
            let share: i64 = if late < 0 {
                if rng.gen_ratio(15, 100) {
                    100
                } else {
                    0
                }
            } else {
                let r = rng.gen_range(0..100);
                match (a.habit, late > 60) {
                    (Habit::Punctual, _) => {
                        if r < 99 {
                            100
                        } else {
                            50
                        }
                    }
                    (Habit::Late, true) => {
                        if r < 95 {
                            100
                        } else if r < 98 {
                            40
                        } else {
                            0
                        }
                    }
                    (Habit::Late, false) => {
                        if r < 50 {
                            100
                        } else if r < 65 {
                            50
                        } else {
                            0
                        }
                    }
                    (Habit::Chronic, true) => {
                        if r < 60 {
                            100
                        } else if r < 75 {
                            30
                        } else {
                            0
                        }
                    }
                    (Habit::Chronic, false) => {
                        if r < 30 {
                            100
                        } else {
                            0
                        }
                    }
                }
            };
            b.entries.push(Entry {
                account: a.id,
                invoice: Some(invoice_id),
                kind: "invoice",
                amount: total,
                currency: a.currency,
                on: issue,
                reference: number.clone(),
                payment: None,
                credit_note: None,
            });
            let mut balance = total;
            if share > 0 {
                let paid = total * share / 100;
                let on = (due + Duration::days(rng.gen_range(-10..40))).min(today).max(issue);
                // One payment in twenty went through the portal.
                let online = rng.gen_ratio(1, 20);
                let payment = online.then(|| {
                    payment_id += 1;
                    b.payments.push((payment_id, a.id, paid, a.currency, on));
                    b.allocations.push((payment_id, invoice_id, paid));
                    payment_id
                });
                let reference = match payment {
                    Some(p) => app::payments::payment_reference(p),
                    None => format!("VIR-{invoice_id}"),
                };
                b.entries.push(Entry {
                    account: a.id,
                    invoice: Some(invoice_id),
                    kind: "payment",
                    amount: -paid,
                    currency: a.currency,
                    on,
                    reference,
                    payment,
                    credit_note: None,
                });
                balance -= paid;
                entries_paid += 1;
            }
            // A credit note now and then, never above what is still owed.
            if balance > 0 && rng.gen_ratio(8, 1_000) {
                note_id += 1;
                let amount = (balance * rng.gen_range(10..=100) / 100).max(1);
                let number = format!("AV-S{note_id:06}");
                b.credit_notes.push((
                    note_id,
                    number.clone(),
                    a.id,
                    invoice_id,
                    amount,
                    a.currency,
                    issue + Duration::days(5),
                ));
                b.entries.push(Entry {
                    account: a.id,
                    invoice: Some(invoice_id),
                    kind: "credit_note",
                    amount: -amount,
                    currency: a.currency,
                    on: issue + Duration::days(5),
                    reference: number,
                    payment: None,
                    credit_note: Some(note_id),
                });
                balance -= amount;
            }
            // The recovery indemnity on some invoices paid late or not at all.
            if late > 30 && balance > 0 && rng.gen_ratio(3, 100) {
                b.entries.push(Entry {
                    account: a.id,
                    invoice: Some(invoice_id),
                    kind: "fee",
                    amount: 4_000,
                    currency: a.currency,
                    on: due + Duration::days(31),
                    reference: "IND-40".into(),
                    payment: None,
                    credit_note: None,
                });
                balance += 4_000;
            }
            // Holds on some overdue invoices: a promise, or a dispute.
            if late > 0 && balance > 0 {
                let r = rng.gen_range(0..1_000);
                if r < 30 {
                    promise_id += 1;
                    let status = if r < 25 { "active" } else { "pending_approval" };
                    b.promises.push((
                        promise_id,
                        a.id,
                        today + Duration::days(rng.gen_range(1..30)),
                        balance,
                        a.currency,
                        balance,
                        status,
                    ));
                    b.promise_invoices.push((promise_id, invoice_id, balance));
                    report.promises += 1;
                } else if r < 40 {
                    dispute_id += 1;
                    let status = if r < 35 { "open" } else { "under_review" };
                    b.disputes.push((dispute_id, a.id, invoice_id, balance.min(balance / 2 + 1), a.currency, status));
                    // Its first message, by the account's contact (or the owner's note).
                    let author = if (a.id as usize) <= CONTACTS { 2 + COLLECTORS as i64 + a.id } else { 1 };
                    b.messages.push((dispute_id, author));
                    report.disputes += 1;
                }
            } else if entries_paid > 0 && rng.gen_ratio(1, 100) {
                // A promise kept long ago.
                promise_id += 1;
                b.promises.push((promise_id, a.id, due, total, a.currency, total, "kept"));
                b.promise_invoices.push((promise_id, invoice_id, total));
                report.promises += 1;
            }
            open_total += balance.max(0);
            a.balance += balance;
            b.invoices.push(Invoice {
                id: invoice_id,
                account: a.id,
                number,
                issue,
                due,
                currency: a.currency,
                total,
                balance,
            });
            lines.push((invoice_id, total));
            if b.invoices.len() >= BATCH || b.entries.len() >= 4 * BATCH {
                report.entries += b.entries.len();
                flush_all(&mut tx, &mut b, &mut lines, now).await?;
            }
        }
        // Some accounts with nothing left to pay hold an overpayment.
        if open_total == 0 && rng.gen_ratio(1, 20) {
            let credit = rng.gen_range(5_000..50_000);
            b.entries.push(Entry {
                account: a.id,
                invoice: None,
                kind: "payment",
                amount: -credit,
                currency: a.currency,
                on: today - Duration::days(rng.gen_range(1..200)),
                reference: format!("VIR-TROP-{}", a.id),
                payment: None,
                credit_note: None,
            });
            a.unapplied -= credit;
            a.balance -= credit;
        }
    }
    report.entries += b.entries.len();
    flush_all(&mut tx, &mut b, &mut lines, now).await?;
    report.invoices = invoice_id as usize;
    report.payments = payment_id as usize;

    // The stored account balances, computed alongside.
    for chunk in accounts.chunks(BATCH) {
        let mut rows: Vec<(i64, i64, i64)> = chunk.iter().map(|a| (a.id, a.balance, a.unapplied)).collect();
        // One statement per chunk: a VALUES list joined on id.
        match &mut tx {
            Tx::Sqlite(t) => {
                let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new("WITH v (id, balance, unapplied) AS (");
                qb.push_values(rows.iter(), |mut q, r| {
                    q.push_bind(r.0).push_bind(r.1).push_bind(r.2);
                });
                qb.push(") UPDATE accounts SET balance_minor = (SELECT balance FROM v WHERE v.id = accounts.id), \
                         unapplied_minor = (SELECT unapplied FROM v WHERE v.id = accounts.id) WHERE id IN (SELECT id FROM v)");
                qb.build().execute(&mut **t).await?;
            }
            Tx::Postgres(t) => {
                let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(
                    "UPDATE accounts SET balance_minor = v.balance, \
                    unapplied_minor = v.unapplied FROM (",
                );
                qb.push_values(rows.iter(), |mut q, r| {
                    q.push_bind(r.0).push_bind(r.1).push_bind(r.2);
                });
                qb.push(") AS v (id, balance, unapplied) WHERE accounts.id = v.id");
                qb.build().execute(&mut **t).await?;
            }
        }
        rows.clear();
    }
    // A promise is kept by money received after it was made: its mark is
    // the last entry of its account when it was made (here, all of them).
    app::with_tx!(&mut tx, |c| {
        sqlx::query(
            "UPDATE promises SET ledger_mark = COALESCE((SELECT MAX(e.id) FROM ledger_entries e
                 WHERE e.account_id = promises.account_id), 0)",
        )
        .execute(&mut *c)
        .await
        .map(|r| r.rows_affected())
    })?;
    // Explicit ids were written: PostgreSQL's sequences move past them.
    if let Tx::Postgres(t) = &mut tx {
        for table in ["users", "accounts", "invoices", "payments", "credit_notes", "promises", "disputes"] {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT MAX(id) FROM {table}), 1))"
            ))
            .execute(&mut **t)
            .await
            .with_context(|| format!("moving the sequence of {table}"))?;
        }
    }
    tx.commit().await?;
    // Collection figures (overdue, disputed) from the stored balances.
    app::ledger::balances::refresh_all(db, today).await.map_err(|e| anyhow::anyhow!("figures: {e:?}"))?;
    // PostgreSQL plans from statistics and answers counts from indexes
    // alone once pages are marked visible: do now what autovacuum would do
    // some time after a million new rows.
    if let Db::Postgres(pool) = db {
        sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    }
    Ok(report)
}
