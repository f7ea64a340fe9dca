//! The plan: users, accounts, invoices and ledger entries, worked out as
//! pure, deterministic Rust from a seeded generator and today's date.

use super::*;

/// How an account pays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Pays in full 0-5 days before or on the due date.
    Punctual,
    /// Pays 5-60 days after the due date, sometimes in two instalments.
    Late,
    /// About 40 % of invoices older than 30 days stay unpaid or partly paid.
    Chronic,
    /// Started buying in the last few months.
    New,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// Index into `DemoPlan::accounts`, for clients.
    pub account: Option<usize>,
    pub locale: Locale,
    pub phone: String,
    /// False for a contact whose invitation is pending (NULL password hash).
    pub has_password: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedAccount {
    pub code: String,
    pub legal_name: String,
    pub billing_email: String,
    pub billing_phone: String,
    pub address: String,
    pub language: Locale,
    pub segment: Segment,
    /// Index into `DemoPlan::staff`.
    pub collector: Option<usize>,
    pub payment_terms_days: i32,
    pub credit_limit_minor: i64,
    pub profile: Profile,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedLine {
    pub description: String,
    pub quantity_milli: i64,
    pub unit_price_minor: i64,
    pub tax_rate_bp: i32,
    pub net_minor: i64,
    pub tax_minor: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedInvoice {
    /// Index into `DemoPlan::accounts`.
    pub account: usize,
    pub number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub subtotal_minor: i64,
    pub tax_minor: i64,
    pub total_minor: i64,
    pub void: bool,
    pub lines: Vec<PlannedLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedEntry {
    /// Index into `DemoPlan::accounts`.
    pub account: usize,
    /// Index into `DemoPlan::invoices`.
    pub invoice: Option<usize>,
    pub kind: EntryKind,
    /// Signed as stored: invoice/fee > 0, everything else < 0.
    pub amount_minor: i64,
    pub occurred_on: NaiveDate,
    pub reference: String,
    pub memo: String,
}

/// Everything `seed_demo` writes, in insertion order. Entries are sorted by date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoPlan {
    pub staff: Vec<PlannedUser>,
    pub accounts: Vec<PlannedAccount>,
    pub contacts: Vec<PlannedUser>,
    pub invoices: Vec<PlannedInvoice>,
    pub entries: Vec<PlannedEntry>,
}

/// What happens to one invoice beyond its account's usual behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Plot {
    Normal,
    /// Scenario invoices kept open whatever the profile.
    Unpaid,
    Void,
    Credit,
    Fee,
    WriteOff,
}

/// How a ledger reference is numbered once entries are in date order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Seq {
    Fixed,
    Transfer,
    CreditNote,
}

pub(super) type Row = (PlannedEntry, Seq);

/// Plans the whole demo data set for `today`. Deterministic: the same day
/// always yields the same plan.
pub fn plan_demo(today: NaiveDate) -> Result<DemoPlan, MoneyError> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let staff = plan_staff();
    let accounts = plan_accounts(&mut rng);
    let contacts = plan_contacts(&mut rng, &accounts);
    let (mut invoices, mut plots) = plan_invoices(&mut rng, &accounts, today)?;
    choose_plots(&mut rng, &accounts, &mut invoices, &mut plots, today);
    let entries = plan_ledger(&mut rng, &accounts, &invoices, &plots, today);
    Ok(DemoPlan { staff, accounts, contacts, invoices, entries })
}

pub(super) fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub(super) fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

pub(super) fn weekday_on_or_before(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date - days(1),
        Weekday::Sun => date - days(2),
        _ => date,
    }
}

/// Lower-case ASCII with dashes: "Bureau d'Études" -> "bureau-d-etudes".
pub(super) fn slugify(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'à' | 'â' | 'ä' | 'á' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'î' | 'ï' | 'í' => "i",
            'ô' | 'ö' | 'ó' => "o",
            'ù' | 'û' | 'ü' | 'ú' => "u",
            'ç' => "c",
            'œ' => "oe",
            'æ' => "ae",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if mapped != "-" {
            out.push_str(mapped);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// A company's slug without its legal form: "Transports Morel SA" -> "transports-morel".
pub(super) fn company_slug(legal_name: &str) -> String {
    let name = LEGAL_SUFFIXES.iter().find_map(|suffix| legal_name.strip_suffix(*suffix)).unwrap_or(legal_name);
    slugify(name)
}

pub(super) fn office_phone(rng: &mut StdRng, language: Locale) -> String {
    // Numbers from the ranges reserved for fiction (ARCEP, Ofcom).
    match language {
        Locale::Fr => format!("+33 4 65 71 {:02} {:02}", rng.gen_range(0..100), rng.gen_range(0..100)),
        Locale::En => format!("+44 20 7946 0{:03}", rng.gen_range(0..1000)),
    }
}

pub(super) fn mobile_phone(rng: &mut StdRng, language: Locale) -> String {
    match language {
        Locale::Fr => format!("+33 6 39 98 {:02} {:02}", rng.gen_range(0..100), rng.gen_range(0..100)),
        Locale::En => format!("+44 7700 900{:03}", rng.gen_range(0..1000)),
    }
}

pub(super) fn postal_address(rng: &mut StdRng, language: Locale) -> String {
    let number = rng.gen_range(1..=148);
    match language {
        Locale::Fr => {
            let (postcode, city) = pick(rng, &FR_CITIES);
            format!("{number} {}, {postcode} {city}", pick(rng, &FR_STREETS))
        }
        Locale::En => {
            let (city, postcode) = pick(rng, &EN_CITIES);
            format!("{number} {}, {city} {postcode}", pick(rng, &EN_STREETS))
        }
    }
}

pub(super) fn plan_staff() -> Vec<PlannedUser> {
    STAFF
        .iter()
        .map(|&(email, name, role, locale)| PlannedUser {
            email: email.to_string(),
            name: name.to_string(),
            role,
            account: None,
            locale,
            phone: String::new(),
            has_password: true,
        })
        .collect()
}

pub(super) fn plan_accounts(rng: &mut StdRng) -> Vec<PlannedAccount> {
    let others = COMPANIES.len() - 2;
    let mut collectors = [vec![Some(CAMILLE); 24], vec![Some(JAMES); 24], vec![None; 10]].concat();
    collectors.resize(others, None);
    collectors.shuffle(rng);
    let established = others - NEW_ACCOUNT_DAYS.len();
    let mut profiles = [vec![Profile::Punctual; 27], vec![Profile::Late; 17], vec![Profile::Chronic; 9]].concat();
    profiles.resize(established, Profile::Punctual);
    profiles.shuffle(rng);

    COMPANIES
        .iter()
        .enumerate()
        .map(|(i, &(name, language, segment))| {
            let (collector, profile) = match i {
                0 => (Some(CAMILLE), Profile::Late),
                1 => (Some(JAMES), Profile::Punctual),
                _ => (collectors[i - 2], profiles.get(i - 2).copied().unwrap_or(Profile::New)),
            };
            let payment_terms_days = match segment {
                Segment::Key => {
                    if rng.gen_bool(0.5) {
                        45
                    } else {
                        60
                    }
                }
                Segment::Standard => 30,
                Segment::Small => {
                    if rng.gen_bool(0.3) {
                        15
                    } else {
                        30
                    }
                }
            };
            let credit_limit_minor: i64 = match segment {
                Segment::Key => rng.gen_range(50..=80),
                Segment::Standard => rng.gen_range(10..=25),
                Segment::Small => rng.gen_range(3..=8),
            } * 100_000;
            let mailbox = match language {
                Locale::Fr => "compta",
                Locale::En => "accounts",
            };
            PlannedAccount {
                code: format!("C{:04}", i + 1),
                legal_name: name.to_string(),
                billing_email: format!("{mailbox}@{}.example", company_slug(name)),
                billing_phone: office_phone(rng, language),
                address: postal_address(rng, language),
                language,
                segment,
                collector,
                payment_terms_days,
                credit_limit_minor,
                profile,
            }
        })
        .collect()
}

/// One client contact per account; the new accounts' contacts are still invited.
pub(super) fn plan_contacts(rng: &mut StdRng, accounts: &[PlannedAccount]) -> Vec<PlannedUser> {
    let mut contacts = vec![
        PlannedUser {
            email: "client@relance.demo".to_string(),
            name: "Marie Dupont".to_string(),
            role: Role::Client,
            account: Some(0),
            locale: Locale::Fr,
            phone: mobile_phone(rng, Locale::Fr),
            has_password: true,
        },
        PlannedUser {
            email: "client2@relance.demo".to_string(),
            name: "Oliver Grant".to_string(),
            role: Role::Client,
            account: Some(1),
            locale: Locale::En,
            phone: mobile_phone(rng, Locale::En),
            has_password: true,
        },
    ];
    for (i, account) in accounts.iter().enumerate().skip(2) {
        let (first, last) = match account.language {
            Locale::Fr => (pick(rng, &FR_FIRST), pick(rng, &FR_LAST)),
            Locale::En => (pick(rng, &EN_FIRST), pick(rng, &EN_LAST)),
        };
        contacts.push(PlannedUser {
            email: format!("{}.{}@{}.example", slugify(first), slugify(last), company_slug(&account.legal_name)),
            name: format!("{first} {last}"),
            role: Role::Client,
            account: Some(i),
            locale: account.language,
            phone: mobile_phone(rng, account.language),
            has_password: account.profile != Profile::New,
        });
    }
    contacts
}

pub(super) fn segment_weight(segment: Segment) -> i64 {
    match segment {
        Segment::Key => 500,
        Segment::Standard => 145,
        Segment::Small => 65,
    }
}

pub(super) fn plan_lines(rng: &mut StdRng, account: &PlannedAccount) -> Result<Vec<PlannedLine>, MoneyError> {
    let count = match rng.gen_range(0..10) {
        0..=3 => 1,
        4..=6 => 2,
        7..=8 => 3,
        _ => 4,
    };
    let total_weight: u32 = CATALOGUE.iter().map(|item| item.weight).sum();
    let mut used: Vec<usize> = Vec::with_capacity(count);
    let mut lines = Vec::with_capacity(count);
    while lines.len() < count {
        let mut roll = rng.gen_range(0..total_weight);
        let mut chosen = 0;
        for (i, item) in CATALOGUE.iter().enumerate() {
            if roll < item.weight {
                chosen = i;
                break;
            }
            roll -= item.weight;
        }
        if used.contains(&chosen) {
            continue;
        }
        used.push(chosen);
        let item = &CATALOGUE[chosen];
        let (low, mut high) = item.price;
        if account.segment == Segment::Small {
            high = low + (high - low) / 2;
        }
        let unit_price_minor = rng.gen_range(low / 100..=high / 100) * 100;
        let quantity_milli: i64 = match item.qty {
            Qty::One => 1000,
            Qty::Hours => {
                let max_half_hours = if account.segment == Segment::Key { 48 } else { 24 };
                rng.gen_range(2..=max_half_hours) * 500
            }
            Qty::Units => {
                let max = match account.segment {
                    Segment::Key => 24,
                    Segment::Standard => 12,
                    Segment::Small => 6,
                };
                rng.gen_range(1..=max) * 1000
            }
        };
        let (net_minor, tax_minor) = line_amounts(quantity_milli, unit_price_minor, item.tax_rate_bp)?;
        let description = match account.language {
            Locale::Fr => item.fr,
            Locale::En => item.en,
        };
        lines.push(PlannedLine {
            description: description.to_string(),
            quantity_milli,
            unit_price_minor,
            tax_rate_bp: item.tax_rate_bp,
            net_minor,
            tax_minor,
        });
    }
    Ok(lines)
}

/// Spreads about `TARGET_INVOICES` invoices over each account's active
/// period, adds the scenario invoices of C0001/C0002, and numbers them per
/// year in issue order.
pub(super) fn plan_invoices(
    rng: &mut StdRng,
    accounts: &[PlannedAccount],
    today: NaiveDate,
) -> Result<(Vec<PlannedInvoice>, Vec<Plot>), MoneyError> {
    let mut new_seen = 0;
    let active: Vec<i64> = accounts
        .iter()
        .map(|a| {
            if a.profile == Profile::New {
                let d = NEW_ACCOUNT_DAYS[new_seen % NEW_ACCOUNT_DAYS.len()];
                new_seen += 1;
                d
            } else {
                HISTORY_DAYS
            }
        })
        .collect();
    let weights: Vec<i64> =
        accounts.iter().zip(&active).map(|(a, &span)| segment_weight(a.segment) * span / HISTORY_DAYS).collect();
    let total_weight: i64 = weights.iter().sum::<i64>().max(1);

    // (issue date, account, scenario invoice kept unpaid)
    let mut drafts: Vec<(NaiveDate, usize, bool)> = Vec::new();
    for (account, (&weight, &span)) in weights.iter().zip(&active).enumerate() {
        let n = ((TARGET_INVOICES * weight + total_weight / 2) / total_weight).max(2);
        let start = today - days(span);
        for i in 0..n {
            let low = i * span / n;
            let high = ((i + 1) * span / n).max(low + 1);
            drafts.push((weekday_on_or_before(start + days(rng.gen_range(low..high))), account, false));
        }
    }
    // C0001: one invoice overdue today, one not yet due. C0002: one not yet due.
    drafts.push((weekday_on_or_before(today - days(52)), 0, true));
    drafts.push((weekday_on_or_before(today - days(9)), 0, true));
    drafts.push((weekday_on_or_before(today - days(6)), 1, true));
    drafts.sort_by_key(|&(issue, account, _)| (issue, account));

    let mut sequences: HashMap<i32, u32> = HashMap::new();
    let mut invoices = Vec::with_capacity(drafts.len());
    let mut plots = Vec::with_capacity(drafts.len());
    for (issue_date, account, pinned) in drafts {
        let acct = &accounts[account];
        let lines = plan_lines(rng, acct)?;
        let subtotal_minor: i64 = lines.iter().map(|l| l.net_minor).sum();
        let tax_minor: i64 = lines.iter().map(|l| l.tax_minor).sum();
        let seq = sequences.entry(issue_date.year()).or_insert(0);
        *seq += 1;
        invoices.push(PlannedInvoice {
            account,
            number: format!("F-{}-{:05}", issue_date.year(), *seq),
            issue_date,
            due_date: issue_date + days(i64::from(acct.payment_terms_days)),
            subtotal_minor,
            tax_minor,
            total_minor: subtotal_minor + tax_minor,
            void: false,
            lines,
        });
        plots.push(if pinned { Plot::Unpaid } else { Plot::Normal });
    }
    Ok((invoices, plots))
}

/// Marks `count` random eligible invoices (still `Normal`) with `plot`.
pub(super) fn assign(rng: &mut StdRng, plots: &mut [Plot], count: usize, plot: Plot, eligible: impl Fn(usize) -> bool) {
    let mut candidates: Vec<usize> = (0..plots.len()).filter(|&i| plots[i] == Plot::Normal && eligible(i)).collect();
    candidates.shuffle(rng);
    for &i in candidates.iter().take(count) {
        plots[i] = plot;
    }
}

pub(super) fn choose_plots(
    rng: &mut StdRng,
    accounts: &[PlannedAccount],
    invoices: &mut [PlannedInvoice],
    plots: &mut [Plot],
    today: NaiveDate,
) {
    // Write-offs: the oldest invoice of the first chronic payers.
    let chronic = accounts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.profile == Profile::Chronic)
        .map(|(i, _)| i)
        .take(WRITE_OFF_COUNT);
    for account in chronic {
        if let Some(i) = (0..invoices.len()).find(|&i| invoices[i].account == account && plots[i] == Plot::Normal) {
            plots[i] = Plot::WriteOff;
        }
    }
    let inv: &[PlannedInvoice] = &*invoices;
    assign(rng, plots, VOID_COUNT, Plot::Void, |_| true);
    assign(rng, plots, CREDIT_NOTE_COUNT, Plot::Credit, |i| inv[i].issue_date <= today - days(10));
    assign(rng, plots, FEE_COUNT, Plot::Fee, |i| {
        matches!(accounts[inv[i].account].profile, Profile::Late | Profile::Chronic)
            && inv[i].due_date <= today - days(25)
    });
    for (invoice, plot) in invoices.iter_mut().zip(plots.iter()) {
        invoice.void = *plot == Plot::Void;
    }
}

/// Payment dates for one invoice, with the share paid (percent of what is
/// owed then) or `None` for "the rest". Dates may lie in the future: those
/// payments have not happened yet.
pub(super) fn schedule(
    rng: &mut StdRng,
    profile: Profile,
    invoice: &PlannedInvoice,
    today: NaiveDate,
    min_delay: i64,
) -> Vec<(NaiveDate, Option<i64>)> {
    let at = |delay: i64| (invoice.due_date + days(delay)).max(invoice.issue_date);
    match profile {
        Profile::Punctual => vec![(at(-rng.gen_range(0..=5)), None)],
        Profile::Late => {
            let delay = rng.gen_range(5..=60).max(min_delay);
            if rng.gen_bool(0.3) {
                vec![(at(delay / 3), Some(rng.gen_range(30..=70))), (at(delay), None)]
            } else {
                vec![(at(delay), None)]
            }
        }
        Profile::Chronic => {
            if invoice.issue_date < today - days(30) && rng.gen_bool(0.4) {
                if rng.gen_bool(0.5) {
                    Vec::new()
                } else {
                    vec![(at(rng.gen_range(10..=45)), Some(rng.gen_range(20..=60)))]
                }
            } else {
                let delay = rng.gen_range(15..=90).max(min_delay);
                if rng.gen_bool(0.4) {
                    vec![(at(delay / 2), Some(rng.gen_range(25..=60))), (at(delay), None)]
                } else {
                    vec![(at(delay), None)]
                }
            }
        }
        Profile::New => vec![(at(rng.gen_range(-5..=20).max(min_delay)), None)],
    }
}

pub(super) fn entry(
    account: usize,
    invoice: Option<usize>,
    kind: EntryKind,
    amount_minor: i64,
    occurred_on: NaiveDate,
) -> PlannedEntry {
    PlannedEntry { account, invoice, kind, amount_minor, occurred_on, reference: String::new(), memo: String::new() }
}

/// A payment of `amount` (> 0) by transfer, card or cheque.
pub(super) fn push_payment(
    rng: &mut StdRng,
    rows: &mut Vec<Row>,
    account: (usize, &PlannedAccount),
    invoice: Option<usize>,
    amount: i64,
    on: NaiveDate,
) {
    let (index, acct) = account;
    let base = entry(index, invoice, EntryKind::Payment, -amount, on);
    let row = if acct.segment == Segment::Small && amount < 150_000 && rng.gen_bool(0.35) {
        (PlannedEntry { reference: format!("CB-{:06}", rng.gen_range(0..1_000_000)), ..base }, Seq::Fixed)
    } else if acct.language == Locale::Fr && acct.segment != Segment::Key && rng.gen_bool(0.08) {
        (PlannedEntry { reference: format!("CHQ-{:07}", rng.gen_range(0..10_000_000)), ..base }, Seq::Fixed)
    } else {
        (base, Seq::Transfer)
    };
    rows.push(row);
}

pub(super) fn settle(
    rng: &mut StdRng,
    rows: &mut Vec<Row>,
    today: NaiveDate,
    index: usize,
    invoice: &PlannedInvoice,
    acct: &PlannedAccount,
    plot: Plot,
) {
    if invoice.void {
        return;
    }
    let account = invoice.account;
    let french = acct.language == Locale::Fr;
    let target = Some(index);
    rows.push((
        PlannedEntry {
            reference: invoice.number.clone(),
            ..entry(account, target, EntryKind::Invoice, invoice.total_minor, invoice.issue_date)
        },
        Seq::Fixed,
    ));
    let mut owed = invoice.total_minor;
    // Payments come after any credit note or fee on the invoice.
    let mut floor = invoice.issue_date;
    let mut min_delay = 0;
    match plot {
        Plot::Normal => {}
        Plot::Void | Plot::Unpaid => return,
        Plot::WriteOff => {
            let small = rng.gen_range(300..=4_500).min(owed / 2);
            let paid_on = (invoice.due_date + days(rng.gen_range(20..=60))).min(today);
            push_payment(rng, rows, (account, acct), target, owed - small, paid_on);
            let on = (paid_on + days(rng.gen_range(120..=200))).min(today);
            let memo =
                if french { "Solde irrécouvrable passé en perte" } else { "Irrecoverable balance written off" };
            rows.push((
                PlannedEntry {
                    reference: invoice.number.clone(),
                    memo: memo.to_string(),
                    ..entry(account, target, EntryKind::WriteOff, -small, on)
                },
                Seq::Fixed,
            ));
            return;
        }
        Plot::Credit => {
            let credit = owed * rng.gen_range(5..=25) / 100;
            let on = (invoice.issue_date + days(rng.gen_range(3..=20))).min(today);
            let reasons: [&str; 4] = if french {
                ["Remise commerciale", "Prestation non réalisée", "Erreur de quantité", "Geste commercial"]
            } else {
                ["Trade discount", "Service not delivered", "Quantity correction", "Goodwill gesture"]
            };
            let memo = format!("{} — {}", pick(rng, &reasons), invoice.number);
            rows.push((
                PlannedEntry { memo, ..entry(account, target, EntryKind::CreditNote, -credit, on) },
                Seq::CreditNote,
            ));
            owed -= credit;
            floor = on;
        }
        Plot::Fee => {
            let on = (invoice.due_date + days(rng.gen_range(15..=20))).min(today);
            let memo = if french {
                "Indemnité forfaitaire pour frais de recouvrement (40 €)"
            } else {
                "Fixed debt recovery fee (€40)"
            };
            rows.push((
                PlannedEntry {
                    reference: invoice.number.clone(),
                    memo: memo.to_string(),
                    ..entry(account, target, EntryKind::Fee, LATE_FEE_MINOR, on)
                },
                Seq::Fixed,
            ));
            owed += LATE_FEE_MINOR;
            floor = on;
            min_delay = 25;
        }
    }
    for (on, share) in schedule(rng, acct.profile, invoice, today, min_delay) {
        let on = on.max(floor);
        if on > today || owed <= 0 {
            break;
        }
        let amount = match share {
            Some(percent) => {
                let part = owed * percent / 100;
                let part = part - part % 100;
                if part <= 0 || part >= owed {
                    continue;
                }
                part
            }
            None => owed,
        };
        push_payment(rng, rows, (account, acct), target, amount, on);
        owed -= amount;
    }
}

pub(super) fn kind_rank(kind: EntryKind) -> u8 {
    match kind {
        EntryKind::Invoice => 0,
        EntryKind::Fee => 1,
        EntryKind::CreditNote => 2,
        EntryKind::Payment => 3,
        EntryKind::WriteOff => 4,
        EntryKind::CreditApplied => 5,
        EntryKind::Refund => 6,
        EntryKind::RefundReversal => 7,
        EntryKind::PaymentReversal => 8,
    }
}

pub(super) fn plan_ledger(
    rng: &mut StdRng,
    accounts: &[PlannedAccount],
    invoices: &[PlannedInvoice],
    plots: &[Plot],
    today: NaiveDate,
) -> Vec<PlannedEntry> {
    let mut rows: Vec<Row> = Vec::new();
    for (index, (invoice, &plot)) in invoices.iter().zip(plots).enumerate() {
        settle(rng, &mut rows, today, index, invoice, &accounts[invoice.account], plot);
    }
    // Unapplied overpayments on a few punctual accounts.
    let punctual: Vec<usize> =
        accounts.iter().enumerate().skip(2).filter(|(_, a)| a.profile == Profile::Punctual).map(|(i, _)| i).collect();
    for (&account, amount) in punctual.iter().zip(OVERPAYMENTS) {
        let on = today - days(rng.gen_range(3..=40));
        let memo = match accounts[account].language {
            Locale::Fr => "Virement reçu sans référence de facture",
            Locale::En => "Transfer received without an invoice reference",
        };
        rows.push((
            PlannedEntry { memo: memo.to_string(), ..entry(account, None, EntryKind::Payment, -amount, on) },
            Seq::Transfer,
        ));
    }

    // Chronological order, then number transfers and credit notes per year.
    rows.sort_by_key(|(e, _)| (e.occurred_on, kind_rank(e.kind), e.invoice.unwrap_or(usize::MAX)));
    let mut counters: HashMap<(&'static str, i32), u32> = HashMap::new();
    rows.into_iter()
        .map(|(mut e, seq)| {
            let prefix = match seq {
                Seq::Fixed => return e,
                Seq::Transfer => "VIR",
                Seq::CreditNote => "AV",
            };
            let year = e.occurred_on.year();
            let n = counters.entry((prefix, year)).or_insert(0);
            *n += 1;
            e.reference = format!("{prefix}-{year}-{:05}", *n);
            e
        })
        .collect()
}

/// The last credit-note number of each year among the entries.
pub(super) fn credit_note_series(entries: &[PlannedEntry]) -> Vec<(i32, i64)> {
    let mut last: std::collections::BTreeMap<i32, i64> = std::collections::BTreeMap::new();
    for e in entries.iter().filter(|e| e.kind == EntryKind::CreditNote) {
        let year = e.occurred_on.year();
        if let Some(n) = app::invoicing::rules::Series::CreditNote.sequence_of(year, &e.reference) {
            let slot = last.entry(year).or_insert(0);
            *slot = (*slot).max(n);
        }
    }
    last.into_iter().collect()
}
