//! `relance seed-scale`: a merchant with a real-sized book, for benchmarks
//! (`scripts/bench-scale.sh`): by default 50,000 accounts, 1,000,000
//! invoices over three years and their ledger (payments in full and in
//! part, online payments, credit notes, fees, unapplied credit), promises
//! to pay and disputes. Deterministic (one seed), written in bulk in one
//! transaction (`write`), the accounts' stored balances then rebuilt from
//! the entries; checked with `verify-ledger`. Refuses a database that
//! already holds data.

mod write;

use app::db::Db;
use app::domain::{Locale, Role, Segment};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use write::{Batches, Entry, Invoice, UserRow};

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

    let staff = staff();
    let accounts = accounts(&mut rng, spec.accounts);
    let contacts = contacts(&accounts, staff.len());
    let counts = invoice_counts(&accounts, spec.invoices);

    // Staff, accounts (their collectors are staff), contacts (of accounts),
    // then each account's book: the order of the foreign keys.
    write::insert_users(&mut tx, &staff, password_hash, now).await?;
    write::insert_accounts(&mut tx, &accounts, now).await?;
    write::insert_users(&mut tx, &contacts, password_hash, now).await?;
    let report = ScaleReport { accounts: spec.accounts, users: staff.len() + contacts.len(), ..ScaleReport::default() };
    let mut book = Book { rng, today, rows: Batches::default(), ids: Ids::default(), report };
    for (a, count) in accounts.iter().zip(counts) {
        let mut open_total = 0;
        for _ in 0..count {
            open_total += book.invoice(a).max(0);
            if book.rows.invoices.len() >= BATCH || book.rows.entries.len() >= 4 * BATCH {
                book.report.entries += book.rows.entries.len();
                write::flush_all(&mut tx, &mut book.rows, now).await?;
            }
        }
        if open_total == 0 {
            book.maybe_overpayment(a);
        }
    }
    book.report.entries += book.rows.entries.len();
    write::flush_all(&mut tx, &mut book.rows, now).await?;
    write::finish(&mut tx).await?;
    tx.commit().await?;
    // The accounts' balances and collection figures, from what was written.
    app::ledger::balances::rebuild_accounts(db, today).await.map_err(|e| anyhow::anyhow!("balances: {e:?}"))?;
    // PostgreSQL plans from statistics and answers counts from indexes
    // alone once pages are marked visible: do now what autovacuum would do
    // some time after a million new rows.
    if let Db::Postgres(pool) = db {
        sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    }
    Ok(ScaleReport { invoices: book.ids.invoice as usize, payments: book.ids.payment as usize, ..book.report })
}

/// An owner, collectors, an accountant (ids 1..).
fn staff() -> Vec<UserRow> {
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
    users
}

fn accounts(rng: &mut StdRng, count: usize) -> Vec<Account> {
    let mut accounts = Vec::with_capacity(count);
    for i in 1..=count {
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
        let name = format!("{} {} {} {}", pick(rng, &FIRST), pick(rng, &SECOND), i, pick(rng, &FORMS));
        accounts.push(Account {
            id,
            code: format!("K{i:06}"),
            email: format!("factures{i}@client.test"),
            name,
            language,
            segment,
            collector: (!rng.gen_ratio(1, 10)).then(|| 2 + rng.gen_range(0..COLLECTORS as i64)),
            currency,
            terms: pick(rng, &[30, 30, 30, 45, 60]),
            habit,
        });
    }
    accounts
}

/// The first contact of the first `CONTACTS` accounts, ids after the staff's.
fn contacts(accounts: &[Account], staff: usize) -> Vec<UserRow> {
    accounts
        .iter()
        .take(CONTACTS)
        .enumerate()
        .map(|(k, a)| {
            (
                (staff + k + 1) as i64,
                format!("client{:05}@scale.test", a.id),
                format!("Contact {}", a.code),
                Role::Client.as_str(),
                Some(a.id),
                a.language.code(),
            )
        })
        .collect()
}

/// How many invoices each account gets: key accounts buy far more.
fn invoice_counts(accounts: &[Account], invoices: usize) -> Vec<usize> {
    let weight = |a: &Account| -> usize {
        match a.segment {
            Segment::Key => 24,
            Segment::Standard => 2,
            Segment::Small => 1,
        }
    };
    let total_weight: usize = accounts.iter().map(weight).sum();
    let mut counts: Vec<usize> = accounts.iter().map(|a| weight(a) * invoices / total_weight).collect();
    let short = invoices - counts.iter().sum::<usize>();
    let n = counts.len();
    for k in 0..short {
        counts[k % n] += 1;
    }
    counts
}

/// The share (percent) of an invoice past due that the client has paid by
/// today, from its habit, whether it is over 60 days late, and a roll in
/// 0..100.
fn share_paid(habit: Habit, long_late: bool, roll: i32) -> i64 {
    // (roll below, share paid), first match; past the last, nothing.
    let steps: &[(i32, i64)] = match (habit, long_late) {
        (Habit::Punctual, _) => &[(99, 100), (100, 50)],
        (Habit::Late, true) => &[(95, 100), (98, 40)],
        (Habit::Late, false) => &[(50, 100), (65, 50)],
        (Habit::Chronic, true) => &[(60, 100), (75, 30)],
        (Habit::Chronic, false) => &[(30, 100)],
    };
    steps.iter().find(|(below, _)| roll < *below).map_or(0, |(_, share)| *share)
}

/// The last id given, per table written with explicit ids.
#[derive(Default)]
struct Ids {
    invoice: i64,
    payment: i64,
    note: i64,
    promise: i64,
    dispute: i64,
}

/// The book being generated: the one random source, the ids, the rows
/// waiting to be written.
struct Book {
    rng: StdRng,
    today: NaiveDate,
    rows: Batches,
    ids: Ids,
    report: ScaleReport,
}

impl Book {
    /// One invoice of the account and what happened to it: paid (in full,
    /// in part, online), credited, charged the recovery indemnity, held by
    /// a promise or a dispute. Returns what is still owed on it.
    fn invoice(&mut self, a: &Account) -> i64 {
        let today = self.today;
        self.ids.invoice += 1;
        let invoice_id = self.ids.invoice;
        let issue = today - Duration::days(self.rng.gen_range(1..1_095));
        let due = issue + Duration::days(a.terms);
        let base: i64 = match a.segment {
            Segment::Key => 250_000,
            Segment::Standard => 60_000,
            Segment::Small => 15_000,
        };
        let total = base * self.rng.gen_range(10..300) / 100 + 100;
        let number = format!("F{}-{invoice_id:07}", issue.format("%Y"));
        let late = (today - due).num_days();
        // What the client has paid of it by today.
        let share = if late < 0 {
            if self.rng.gen_ratio(15, 100) {
                100
            } else {
                0
            }
        } else {
            share_paid(a.habit, late > 60, self.rng.gen_range(0..100))
        };
        self.rows.entries.push(Entry::new(a, Some(invoice_id), "invoice", total, issue, number.clone()));
        let mut balance = total;
        if share > 0 {
            let paid = total * share / 100;
            let on = (due + Duration::days(self.rng.gen_range(-10..40))).min(today).max(issue);
            self.pay(a, invoice_id, paid, on);
            balance -= paid;
        }
        // A credit note now and then, never above what is still owed.
        if balance > 0 && self.rng.gen_ratio(8, 1_000) {
            balance -= self.credit_note(a, invoice_id, balance, issue + Duration::days(5));
        }
        // The recovery indemnity on some invoices paid late or not at all.
        if late > 30 && balance > 0 && self.rng.gen_ratio(3, 100) {
            let on = due + Duration::days(31);
            self.rows.entries.push(Entry::new(a, Some(invoice_id), "fee", 4_000, on, "IND-40".into()));
            balance += 4_000;
        }
        if late > 0 && balance > 0 {
            self.maybe_hold(a, invoice_id, balance);
        } else if share > 0 && self.rng.gen_ratio(1, 100) {
            // A promise kept long ago.
            self.promise(a, invoice_id, due, total, "kept");
        }
        self.rows.invoices.push(Invoice {
            id: invoice_id,
            account: a.id,
            number,
            issue,
            due,
            currency: a.currency,
            total,
            balance,
        });
        self.rows.lines.push((invoice_id, total));
        balance
    }

    /// A payment of the invoice: one in twenty went through the portal.
    fn pay(&mut self, a: &Account, invoice_id: i64, paid: i64, on: NaiveDate) {
        let online = self.rng.gen_ratio(1, 20);
        let payment = online.then(|| {
            self.ids.payment += 1;
            let id = self.ids.payment;
            self.rows.payments.push((id, a.id, paid, a.currency, on));
            self.rows.allocations.push((id, invoice_id, paid));
            id
        });
        let reference = match payment {
            Some(p) => app::payments::payment_reference(p),
            None => format!("VIR-{invoice_id}"),
        };
        self.rows.entries.push(Entry { payment, ..Entry::new(a, Some(invoice_id), "payment", -paid, on, reference) });
    }

    /// A credit note of part or all of what is owed. Returns its amount.
    fn credit_note(&mut self, a: &Account, invoice_id: i64, owed: i64, on: NaiveDate) -> i64 {
        self.ids.note += 1;
        let id = self.ids.note;
        let amount = (owed * self.rng.gen_range(10..=100) / 100).max(1);
        let number = format!("AV-S{id:06}");
        self.rows.credit_notes.push((id, number.clone(), a.id, invoice_id, amount, a.currency, on));
        self.rows.entries.push(Entry {
            credit_note: Some(id),
            ..Entry::new(a, Some(invoice_id), "credit_note", -amount, on, number)
        });
        amount
    }

    /// Holds on some overdue invoices: a promise, or a dispute.
    fn maybe_hold(&mut self, a: &Account, invoice_id: i64, balance: i64) {
        let r = self.rng.gen_range(0..1_000);
        if r < 30 {
            let status = if r < 25 { "active" } else { "pending_approval" };
            let on = self.today + Duration::days(self.rng.gen_range(1..30));
            self.promise(a, invoice_id, on, balance, status);
        } else if r < 40 {
            self.ids.dispute += 1;
            let id = self.ids.dispute;
            let status = if r < 35 { "open" } else { "under_review" };
            self.rows.disputes.push((id, a.id, invoice_id, balance.min(balance / 2 + 1), a.currency, status));
            // Its first message, by the account's contact (or the owner's note).
            let author = if (a.id as usize) <= CONTACTS { 2 + COLLECTORS as i64 + a.id } else { 1 };
            self.rows.messages.push((id, author));
            self.report.disputes += 1;
        }
    }

    fn promise(&mut self, a: &Account, invoice_id: i64, on: NaiveDate, amount: i64, status: &'static str) {
        self.ids.promise += 1;
        let id = self.ids.promise;
        self.rows.promises.push((id, a.id, on, amount, a.currency, amount, status));
        self.rows.promise_invoices.push((id, invoice_id, amount));
        self.report.promises += 1;
    }

    /// Some accounts with nothing left to pay hold an overpayment.
    fn maybe_overpayment(&mut self, a: &Account) {
        if self.rng.gen_ratio(1, 20) {
            let credit = self.rng.gen_range(5_000..50_000);
            let on = self.today - Duration::days(self.rng.gen_range(1..200));
            self.rows.entries.push(Entry::new(a, None, "payment", -credit, on, format!("VIR-TROP-{}", a.id)));
        }
    }
}
