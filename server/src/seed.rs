//! Demo data: a lighting workshop in Lyon, its staff, 60 client accounts and
//! 18 months of invoices, payments and adjustments. The data is planned as
//! pure, deterministic Rust (`plan_demo`) and written in one transaction.

use app::db::Db;
use app::domain::ledger::line_amounts;
use app::domain::{Currency, EntryKind, Locale, MoneyError, Role, Segment};
use app::with_db;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::HashMap;

pub const DEMO_PASSWORD: &str = "relance-demo";

/// Demo sign-ins (e-mail, role); all use `DEMO_PASSWORD`.
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("owner@relance.demo", "owner"),
    ("camille@relance.demo", "collector"),
    ("james@relance.demo", "collector"),
    ("paul@relance.demo", "accountant"),
    ("client@relance.demo", "client"),
    ("client2@relance.demo", "client"),
];

/// What `seed_demo` wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedReport {
    pub accounts: usize,
    pub invoices: usize,
    pub ledger_entries: usize,
    pub users: usize,
}

// ---- fixed data ------------------------------------------------------------

const SEED: u64 = 2026;
const CURRENCY: Currency = Currency::Eur;
/// About 18 months of history.
const HISTORY_DAYS: i64 = 547;
const TARGET_INVOICES: i64 = 1500;
/// Indemnité forfaitaire pour frais de recouvrement (40 €).
const LATE_FEE_MINOR: i64 = 4000;
const VOID_COUNT: usize = 6;
const CREDIT_NOTE_COUNT: usize = 15;
const FEE_COUNT: usize = 10;
const WRITE_OFF_COUNT: usize = 2;
/// Unapplied overpayments, one per account, on the first punctual accounts.
const OVERPAYMENTS: [i64; 3] = [15_000, 8_250, 32_000];
/// How long ago each "new" account started buying (the last accounts).
const NEW_ACCOUNT_DAYS: [i64; 5] = [120, 95, 75, 60, 45];

const MERCHANT_NAME: &str = "Atelier Lumière SAS";
/// A SIREN with a valid key, and the French VAT number it gives.
const MERCHANT_SIREN: &str = "732829320";
const MERCHANT_VAT: &str = "FR44732829320";
const MERCHANT_LEGAL_ID: &str = "SAS au capital de 50 000 € · RCS Lyon 732 829 320";
const MERCHANT_ADDRESS: &str = "12 rue des Tanneurs, 69001 Lyon";
const MERCHANT_EMAIL: &str = "compta@atelier-lumiere.fr";
const MERCHANT_PHONE: &str = "+33 4 72 00 00 00";
const MERCHANT_TERMS_DAYS: i32 = 30;

/// Staff, in insertion order; collectors are referred to by index.
const STAFF: [(&str, &str, Role, Locale); 4] = [
    ("owner@relance.demo", "Sophie Lefèvre", Role::Owner, Locale::Fr),
    ("camille@relance.demo", "Camille Martin", Role::Collector, Locale::Fr),
    ("james@relance.demo", "James Wilson", Role::Collector, Locale::En),
    ("paul@relance.demo", "Paul Bernard", Role::Accountant, Locale::Fr),
];
const CAMILLE: usize = 1;
const JAMES: usize = 2;

/// Accounts C0001.. in order. The last `NEW_ACCOUNT_DAYS.len()` are new clients.
const COMPANIES: [(&str, Locale, Segment); 60] = [
    ("Boulangerie Dupont SARL", Locale::Fr, Segment::Standard),
    ("Harbour Logistics Ltd", Locale::En, Segment::Key),
    ("Transports Morel SA", Locale::Fr, Segment::Key),
    ("Hôtel Beaulieu SAS", Locale::Fr, Segment::Key),
    ("Cabinet Girard & Associés SARL", Locale::Fr, Segment::Standard),
    ("Pharmacie du Parc SARL", Locale::Fr, Segment::Small),
    ("Brasserie des Terreaux SAS", Locale::Fr, Segment::Standard),
    ("Northgate Retail Ltd", Locale::En, Segment::Standard),
    ("Garage Lambert SARL", Locale::Fr, Segment::Small),
    ("Menuiserie Fontaine SARL", Locale::Fr, Segment::Small),
    ("Groupe Vasseur Industrie SA", Locale::Fr, Segment::Key),
    ("Librairie Rousseau SARL", Locale::Fr, Segment::Small),
    ("Clinique Saint-Exupéry SAS", Locale::Fr, Segment::Key),
    ("Pemberton & Hale LLP", Locale::En, Segment::Standard),
    ("Imprimerie Chevalier SAS", Locale::Fr, Segment::Standard),
    ("Fromagerie Blanchard SARL", Locale::Fr, Segment::Small),
    ("Bureau d'Études Mercier SAS", Locale::Fr, Segment::Standard),
    ("Ateliers Perrin SA", Locale::Fr, Segment::Standard),
    ("Café Bellecour SARL", Locale::Fr, Segment::Small),
    ("Thistle Hospitality Ltd", Locale::En, Segment::Key),
    ("Domaine Roche-Martel SAS", Locale::Fr, Segment::Standard),
    ("Électricité Lemaire SARL", Locale::Fr, Segment::Standard),
    ("Agence Moreau Immobilier SAS", Locale::Fr, Segment::Standard),
    ("Kingsbridge Engineering Ltd", Locale::En, Segment::Standard),
    ("Restaurant Le Gourmet Lyonnais SARL", Locale::Fr, Segment::Small),
    ("Laboratoires Garnier-Faure SA", Locale::Fr, Segment::Key),
    ("Salon Élégance SARL", Locale::Fr, Segment::Small),
    ("Maison Bertrand Décoration SAS", Locale::Fr, Segment::Standard),
    ("Old Mill Studios Ltd", Locale::En, Segment::Small),
    ("Plomberie Leroy SARL", Locale::Fr, Segment::Small),
    ("Architectes Dumas & Roux SARL", Locale::Fr, Segment::Standard),
    ("Cinéma Le Rex SAS", Locale::Fr, Segment::Standard),
    ("Fleurs de Saône SARL", Locale::Fr, Segment::Small),
    ("Brightwater Foods Ltd", Locale::En, Segment::Standard),
    ("École des Pentes SAS", Locale::Fr, Segment::Standard),
    ("Compagnie Théâtrale Vérane SAS", Locale::Fr, Segment::Standard),
    ("Auberge du Vieux Moulin SARL", Locale::Fr, Segment::Small),
    ("Sterling Events Ltd", Locale::En, Segment::Standard),
    ("Galeries Marchand SA", Locale::Fr, Segment::Key),
    ("Optique Vidal SARL", Locale::Fr, Segment::Small),
    ("Cave Martin & Fils SARL", Locale::Fr, Segment::Small),
    ("Meridian Software Ltd", Locale::En, Segment::Standard),
    ("Institut Lacroix Formation SAS", Locale::Fr, Segment::Standard),
    ("Bijouterie Aubert SARL", Locale::Fr, Segment::Small),
    ("Hartley & Sons Ltd", Locale::En, Segment::Small),
    ("Galerie d'Art Guérin SARL", Locale::Fr, Segment::Standard),
    ("Cabinet Dentaire Renaud SARL", Locale::Fr, Segment::Standard),
    ("Highland Crafts Ltd", Locale::En, Segment::Standard),
    ("Coopérative Beaujolaise SA", Locale::Fr, Segment::Standard),
    ("Résidence Les Tilleuls SAS", Locale::Fr, Segment::Standard),
    ("Westbrook Consulting Ltd", Locale::En, Segment::Standard),
    ("Papeterie Colin SARL", Locale::Fr, Segment::Small),
    ("Centre Sportif Gauthier SAS", Locale::Fr, Segment::Standard),
    ("Riverside Dental Practice Ltd", Locale::En, Segment::Standard),
    ("Boucherie Picard SARL", Locale::Fr, Segment::Small),
    ("Studio Noé Design SAS", Locale::Fr, Segment::Standard),
    ("Oakfield Property Ltd", Locale::En, Segment::Standard),
    ("Crêperie Ty Breizh SARL", Locale::Fr, Segment::Small),
    ("Lumen Coworking SAS", Locale::Fr, Segment::Standard),
    ("Fenwick Print Ltd", Locale::En, Segment::Small),
];

const LEGAL_SUFFIXES: [&str; 5] = [" SARL", " SAS", " SA", " Ltd", " LLP"];

const FR_FIRST: [&str; 20] = [
    "Julien",
    "Nathalie",
    "Thomas",
    "Isabelle",
    "Nicolas",
    "Claire",
    "Antoine",
    "Sandrine",
    "Mathieu",
    "Élodie",
    "Laurent",
    "Céline",
    "Olivier",
    "Aurélie",
    "François",
    "Hélène",
    "Sébastien",
    "Valérie",
    "Guillaume",
    "Chloé",
];
const FR_LAST: [&str; 20] = [
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Roux",
    "Vincent",
    "Fournier",
    "Girard",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Chevalier",
    "Faure",
];
const EN_FIRST: [&str; 14] = [
    "Emily",
    "Jack",
    "Sophie",
    "Harry",
    "Charlotte",
    "George",
    "Amelia",
    "Thomas",
    "Olivia",
    "William",
    "Grace",
    "Hannah",
    "Daniel",
    "Lucy",
];
const EN_LAST: [&str; 14] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Davies", "Evans", "Roberts", "Walker", "Wright", "Robinson",
    "Thompson", "Hughes", "Clarke",
];

const FR_STREETS: [&str; 12] = [
    "rue de la République",
    "avenue Jean Jaurès",
    "quai Saint-Antoine",
    "rue Garibaldi",
    "boulevard des Belges",
    "rue Victor Hugo",
    "rue Mercière",
    "cours Lafayette",
    "rue du Président Carnot",
    "chemin des Vignes",
    "rue Pasteur",
    "allée des Tilleuls",
];
const FR_CITIES: [(&str, &str); 12] = [
    ("69002", "Lyon"),
    ("69003", "Lyon"),
    ("69006", "Lyon"),
    ("69100", "Villeurbanne"),
    ("38000", "Grenoble"),
    ("42000", "Saint-Étienne"),
    ("74000", "Annecy"),
    ("71000", "Mâcon"),
    ("26000", "Valence"),
    ("73000", "Chambéry"),
    ("01000", "Bourg-en-Bresse"),
    ("75011", "Paris"),
];
const EN_STREETS: [&str; 8] = [
    "High Street",
    "Wharf Road",
    "Station Road",
    "King Street",
    "Queen's Parade",
    "Mill Lane",
    "Church Street",
    "Harbour Way",
];
const EN_CITIES: [(&str, &str); 8] = [
    ("London", "EC1V 2NX"),
    ("Manchester", "M1 3BN"),
    ("Bristol", "BS1 4RN"),
    ("Leeds", "LS1 5AB"),
    ("Edinburgh", "EH2 4AD"),
    ("Birmingham", "B3 2HJ"),
    ("Glasgow", "G1 1XQ"),
    ("Cambridge", "CB2 1TN"),
];

#[derive(Clone, Copy)]
enum Qty {
    One,
    Hours,
    Units,
}

struct Item {
    fr: &'static str,
    en: &'static str,
    /// Unit price range in minor units.
    price: (i64, i64),
    qty: Qty,
    tax_rate_bp: i32,
    weight: u32,
}

const CATALOGUE: [Item; 13] = [
    Item {
        fr: "Maintenance mensuelle de l'éclairage",
        en: "Monthly lighting maintenance",
        price: (15_000, 60_000),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 14,
    },
    Item {
        fr: "Heures de conseil",
        en: "Consulting hours",
        price: (8_000, 14_000),
        qty: Qty::Hours,
        tax_rate_bp: 2000,
        weight: 14,
    },
    Item {
        fr: "Installation sur site",
        en: "On-site installation",
        price: (40_000, 250_000),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 6,
    },
    Item {
        fr: "Luminaires LED",
        en: "LED light fittings",
        price: (4_500, 38_000),
        qty: Qty::Units,
        tax_rate_bp: 2000,
        weight: 12,
    },
    Item {
        fr: "Déplacement technicien",
        en: "Technician travel",
        price: (2_000, 9_000),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 10,
    },
    Item {
        fr: "Étude d'éclairage",
        en: "Lighting design study",
        price: (60_000, 250_000),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 4,
    },
    Item {
        fr: "Formation du personnel",
        en: "Staff training",
        price: (35_000, 120_000),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 4,
    },
    Item {
        fr: "Location de matériel scénique (jours)",
        en: "Stage lighting hire (days)",
        price: (12_000, 95_000),
        qty: Qty::Units,
        tax_rate_bp: 2000,
        weight: 6,
    },
    Item {
        fr: "Intervention d'urgence",
        en: "Emergency call-out",
        price: (18_000, 45_000),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 5,
    },
    Item {
        fr: "Abonnement télésurveillance",
        en: "Remote monitoring subscription",
        price: (4_900, 19_900),
        qty: Qty::One,
        tax_rate_bp: 2000,
        weight: 8,
    },
    Item {
        fr: "Rénovation énergétique de l'éclairage (logement)",
        en: "Energy-saving lighting renovation (housing)",
        price: (20_000, 180_000),
        qty: Qty::One,
        tax_rate_bp: 550,
        weight: 2,
    },
    Item {
        fr: "Travaux d'entretien (locaux d'habitation)",
        en: "Maintenance works (residential premises)",
        price: (10_000, 80_000),
        qty: Qty::One,
        tax_rate_bp: 1000,
        weight: 3,
    },
    Item {
        fr: "Catalogue technique imprimé",
        en: "Printed technical catalogue",
        price: (2_000, 4_500),
        qty: Qty::Units,
        tax_rate_bp: 550,
        weight: 2,
    },
];

// ---- the plan -----------------------------------------------------------------

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
enum Plot {
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
enum Seq {
    Fixed,
    Transfer,
    CreditNote,
}

type Row = (PlannedEntry, Seq);

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

fn days(n: i64) -> Duration {
    Duration::days(n)
}

fn pick<T: Copy>(rng: &mut StdRng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}

fn weekday_on_or_before(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => date - days(1),
        Weekday::Sun => date - days(2),
        _ => date,
    }
}

/// Lower-case ASCII with dashes: "Bureau d'Études" -> "bureau-d-etudes".
fn slugify(text: &str) -> String {
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
fn company_slug(legal_name: &str) -> String {
    let name = LEGAL_SUFFIXES.iter().find_map(|suffix| legal_name.strip_suffix(*suffix)).unwrap_or(legal_name);
    slugify(name)
}

fn office_phone(rng: &mut StdRng, language: Locale) -> String {
    // Numbers from the ranges reserved for fiction (ARCEP, Ofcom).
    match language {
        Locale::Fr => format!("+33 4 65 71 {:02} {:02}", rng.gen_range(0..100), rng.gen_range(0..100)),
        Locale::En => format!("+44 20 7946 0{:03}", rng.gen_range(0..1000)),
    }
}

fn mobile_phone(rng: &mut StdRng, language: Locale) -> String {
    match language {
        Locale::Fr => format!("+33 6 39 98 {:02} {:02}", rng.gen_range(0..100), rng.gen_range(0..100)),
        Locale::En => format!("+44 7700 900{:03}", rng.gen_range(0..1000)),
    }
}

fn postal_address(rng: &mut StdRng, language: Locale) -> String {
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

fn plan_staff() -> Vec<PlannedUser> {
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

fn plan_accounts(rng: &mut StdRng) -> Vec<PlannedAccount> {
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
fn plan_contacts(rng: &mut StdRng, accounts: &[PlannedAccount]) -> Vec<PlannedUser> {
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

fn segment_weight(segment: Segment) -> i64 {
    match segment {
        Segment::Key => 500,
        Segment::Standard => 145,
        Segment::Small => 65,
    }
}

fn plan_lines(rng: &mut StdRng, account: &PlannedAccount) -> Result<Vec<PlannedLine>, MoneyError> {
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
fn plan_invoices(
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
fn assign(rng: &mut StdRng, plots: &mut [Plot], count: usize, plot: Plot, eligible: impl Fn(usize) -> bool) {
    let mut candidates: Vec<usize> = (0..plots.len()).filter(|&i| plots[i] == Plot::Normal && eligible(i)).collect();
    candidates.shuffle(rng);
    for &i in candidates.iter().take(count) {
        plots[i] = plot;
    }
}

fn choose_plots(
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
fn schedule(
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

fn entry(
    account: usize,
    invoice: Option<usize>,
    kind: EntryKind,
    amount_minor: i64,
    occurred_on: NaiveDate,
) -> PlannedEntry {
    PlannedEntry { account, invoice, kind, amount_minor, occurred_on, reference: String::new(), memo: String::new() }
}

/// A payment of `amount` (> 0) by transfer, card or cheque.
fn push_payment(
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

fn settle(
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

fn kind_rank(kind: EntryKind) -> u8 {
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

fn plan_ledger(
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
fn credit_note_series(entries: &[PlannedEntry]) -> Vec<(i32, i64)> {
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

// ---- writing it ---------------------------------------------------------------

const INSERT_USER: &str =
    "INSERT INTO users (email, name, password_hash, role, account_id, locale, phone, active, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id";

/// Seeds the demo data into an empty database (no merchant, user or
/// account); otherwise returns Ok(None) and writes nothing. One transaction.
pub async fn seed_demo(db: &Db, now: DateTime<Utc>, password_hash: &str) -> anyhow::Result<Option<SeedReport>> {
    let plan = plan_demo(now.date_naive())?;
    let currency = CURRENCY.code();
    let report = with_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let existing: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM merchant) + (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM accounts)",
        )
        .fetch_one(&mut *tx)
        .await?;
        if existing > 0 {
            tx.rollback().await?;
            Ok::<_, sqlx::Error>(None)
        } else {
            sqlx::query(
                "INSERT INTO merchant (id, company_name, legal_id, address, email, phone, default_currency, \
                 default_locale, payment_terms_days, updated_at, siren, vat_number) \
                 VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(MERCHANT_NAME)
            .bind(MERCHANT_LEGAL_ID)
            .bind(MERCHANT_ADDRESS)
            .bind(MERCHANT_EMAIL)
            .bind(MERCHANT_PHONE)
            .bind(currency)
            .bind(Locale::Fr.code())
            .bind(MERCHANT_TERMS_DAYS)
            .bind(now)
            .bind(MERCHANT_SIREN)
            .bind(MERCHANT_VAT)
            .execute(&mut *tx)
            .await?;

            let mut staff_ids: Vec<i64> = Vec::with_capacity(plan.staff.len());
            for user in &plan.staff {
                let id: i64 = sqlx::query_scalar(INSERT_USER)
                    .bind(&user.email)
                    .bind(&user.name)
                    .bind(user.has_password.then_some(password_hash))
                    .bind(user.role.as_str())
                    .bind(None::<i64>)
                    .bind(user.locale.code())
                    .bind(&user.phone)
                    .bind(true)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                staff_ids.push(id);
            }

            let mut account_ids: Vec<i64> = Vec::with_capacity(plan.accounts.len());
            for account in &plan.accounts {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO accounts (code, legal_name, billing_email, billing_phone, address, language, segment, \
                     collector_id, payment_terms_days, credit_limit_minor, currency, created_at, search_text) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(&account.code)
                .bind(&account.legal_name)
                .bind(&account.billing_email)
                .bind(&account.billing_phone)
                .bind(&account.address)
                .bind(account.language.code())
                .bind(account.segment.as_str())
                .bind(account.collector.map(|i| staff_ids[i]))
                .bind(account.payment_terms_days)
                .bind(account.credit_limit_minor)
                .bind(currency)
                .bind(now)
                .bind(app::domain::search_key(&account.code, &account.legal_name, &account.billing_email))
                .fetch_one(&mut *tx)
                .await?;
                account_ids.push(id);
            }

            for contact in &plan.contacts {
                sqlx::query(INSERT_USER)
                    .bind(&contact.email)
                    .bind(&contact.name)
                    .bind(contact.has_password.then_some(password_hash))
                    .bind(contact.role.as_str())
                    .bind(contact.account.map(|i| account_ids[i]))
                    .bind(contact.locale.code())
                    .bind(&contact.phone)
                    .bind(true)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }

            let mut invoice_ids: Vec<i64> = Vec::with_capacity(plan.invoices.len());
            for invoice in &plan.invoices {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO invoices (account_id, number, issue_date, due_date, currency, subtotal_minor, \
                     tax_minor, total_minor, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(account_ids[invoice.account])
                .bind(&invoice.number)
                .bind(invoice.issue_date)
                .bind(invoice.due_date)
                .bind(currency)
                .bind(invoice.subtotal_minor)
                .bind(invoice.tax_minor)
                .bind(invoice.total_minor)
                .bind(if invoice.void { "void" } else { "issued" })
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                for (position, line) in (1_i32..).zip(&invoice.lines) {
                    sqlx::query(
                        "INSERT INTO invoice_lines (invoice_id, position, description, quantity_milli, \
                         unit_price_minor, tax_rate_bp, net_minor, tax_minor) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id)
                    .bind(position)
                    .bind(&line.description)
                    .bind(line.quantity_milli)
                    .bind(line.unit_price_minor)
                    .bind(line.tax_rate_bp)
                    .bind(line.net_minor)
                    .bind(line.tax_minor)
                    .execute(&mut *tx)
                    .await?;
                }
                invoice_ids.push(id);
            }

            for e in &plan.entries {
                sqlx::query(
                    "INSERT INTO ledger_entries (account_id, invoice_id, kind, amount_minor, currency, occurred_on, \
                     reference, memo, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
                )
                .bind(account_ids[e.account])
                .bind(e.invoice.map(|i| invoice_ids[i]))
                .bind(e.kind.as_str())
                .bind(e.amount_minor)
                .bind(currency)
                .bind(e.occurred_on)
                .bind(&e.reference)
                .bind(&e.memo)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            // The credit notes above were numbered in the staff's series:
            // the next one issued follows them.
            for (year, last) in credit_note_series(&plan.entries) {
                sqlx::query("INSERT INTO number_series (series, year, last_number) VALUES ('credit_note', $1, $2)")
                    .bind(year)
                    .bind(last)
                    .execute(&mut *tx)
                    .await?;
            }

            tx.commit().await?;
            Ok::<_, sqlx::Error>(Some(SeedReport {
                accounts: plan.accounts.len(),
                invoices: plan.invoices.len(),
                ledger_entries: plan.entries.len(),
                users: plan.staff.len() + plan.contacts.len(),
            }))
        }
    })?;
    if report.is_some() {
        // The entries were written directly: the stored balances follow.
        app::ledger::balances::rebuild(db, now.date_naive()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::InvoiceState;
    use std::collections::HashSet;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn plan_is_deterministic() {
        let today = date(2026, 11, 22);
        assert_eq!(plan_demo(today).unwrap(), plan_demo(today).unwrap());
    }

    #[test]
    fn slugs_are_ascii() {
        assert_eq!(company_slug("Bureau d'Études Mercier SAS"), "bureau-d-etudes-mercier");
        assert_eq!(company_slug("Cave Martin & Fils SARL"), "cave-martin-fils");
        assert_eq!(company_slug("Harbour Logistics Ltd"), "harbour-logistics");
        assert_eq!(slugify("Hélène"), "helene");
    }

    #[test]
    fn plan_is_consistent() {
        for today in [date(2026, 11, 22), date(2027, 3, 1), date(2026, 1, 3)] {
            check_plan(&plan_demo(today).unwrap(), today);
        }
    }

    fn check_plan(plan: &DemoPlan, today: NaiveDate) {
        // Accounts and people.
        assert_eq!(plan.accounts.len(), 60);
        let codes: HashSet<_> = plan.accounts.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes.len(), plan.accounts.len(), "codes unique");
        assert_eq!(plan.accounts[0].code, "C0001");
        assert_eq!(plan.accounts[0].legal_name, "Boulangerie Dupont SARL");
        assert_eq!(plan.accounts[0].collector, Some(CAMILLE));
        assert_eq!(plan.accounts[1].legal_name, "Harbour Logistics Ltd");
        assert_eq!(plan.accounts[1].segment, Segment::Key);
        assert_eq!(plan.accounts[1].collector, Some(JAMES));
        let users: Vec<&PlannedUser> = plan.staff.iter().chain(&plan.contacts).collect();
        let emails: HashSet<_> = users.iter().map(|u| u.email.as_str()).collect();
        assert_eq!(emails.len(), users.len(), "emails unique");
        for u in &users {
            assert!(app::domain::EmailAddress::parse(&u.email).is_some(), "{}", u.email);
            assert_eq!(u.role == Role::Client, u.account.is_some());
        }
        for (email, role) in DEMO_LOGINS {
            let u = users.iter().find(|u| u.email == *email).expect("demo login exists");
            assert_eq!(u.role.as_str(), *role);
            assert!(u.has_password);
        }
        assert_eq!(plan.contacts.iter().filter(|c| !c.has_password).count(), 5);
        for a in &plan.accounts {
            assert!(app::domain::EmailAddress::parse(&a.billing_email).is_some(), "{}", a.billing_email);
        }

        // Invoices.
        let n = plan.invoices.len();
        assert!((1400..=1600).contains(&n), "{n} invoices");
        let numbers: HashSet<_> = plan.invoices.iter().map(|i| i.number.as_str()).collect();
        assert_eq!(numbers.len(), n, "numbers unique");
        for inv in &plan.invoices {
            assert!(inv.number.starts_with(&format!("F-{}-", inv.issue_date.year())), "{}", inv.number);
            assert_eq!(inv.number.len(), "F-2026-00001".len());
            assert!(inv.issue_date <= today && inv.due_date >= inv.issue_date);
            assert!((1..=4).contains(&inv.lines.len()));
            let mut net = 0;
            let mut tax = 0;
            for l in &inv.lines {
                assert_eq!(l.quantity_milli % 500, 0);
                assert!((2_000..=250_000).contains(&l.unit_price_minor));
                assert!([2000, 1000, 550].contains(&l.tax_rate_bp));
                assert_eq!(
                    line_amounts(l.quantity_milli, l.unit_price_minor, l.tax_rate_bp).unwrap(),
                    (l.net_minor, l.tax_minor)
                );
                net += l.net_minor;
                tax += l.tax_minor;
            }
            assert_eq!((inv.subtotal_minor, inv.tax_minor, inv.total_minor), (net, tax, net + tax));
        }
        assert!((3..=10).contains(&plan.invoices.iter().filter(|i| i.void).count()));

        // Ledger: signs, dates, running balances per invoice never negative.
        let mut invoice_balance = vec![0i64; n];
        let mut invoice_entries = vec![0usize; n];
        let mut account_balance = vec![0i64; plan.accounts.len()];
        let mut unapplied = vec![0i64; plan.accounts.len()];
        let mut kinds: HashMap<&str, usize> = HashMap::new();
        let mut previous = NaiveDate::MIN;
        for e in &plan.entries {
            assert!(e.occurred_on <= today, "{e:?} after today");
            assert!(e.occurred_on >= previous, "entries sorted by date");
            previous = e.occurred_on;
            assert_eq!(e.kind.increases_debt(), e.amount_minor > 0, "{e:?}");
            assert_ne!(e.amount_minor, 0);
            *kinds.entry(e.kind.as_str()).or_insert(0) += 1;
            account_balance[e.account] += e.amount_minor;
            match e.invoice {
                Some(i) => {
                    let inv = &plan.invoices[i];
                    assert!(!inv.void, "no entries on void invoices");
                    assert_eq!(inv.account, e.account);
                    assert!(e.occurred_on >= inv.issue_date);
                    if e.kind == EntryKind::Invoice {
                        assert_eq!(e.amount_minor, inv.total_minor);
                        assert_eq!(e.occurred_on, inv.issue_date);
                        assert_eq!(e.reference, inv.number);
                    }
                    if e.kind == EntryKind::Fee {
                        assert_eq!(e.amount_minor, LATE_FEE_MINOR);
                    }
                    invoice_entries[i] += 1;
                    invoice_balance[i] += e.amount_minor;
                    assert!(invoice_balance[i] >= 0, "{} over-settled", inv.number);
                }
                None => {
                    assert_eq!(e.kind, EntryKind::Payment);
                    unapplied[e.account] -= e.amount_minor;
                }
            }
            if e.kind == EntryKind::CreditNote {
                assert!(e.reference.starts_with("AV-"), "{}", e.reference);
            }
        }
        for (i, inv) in plan.invoices.iter().enumerate() {
            assert_eq!(inv.void, invoice_entries[i] == 0);
        }
        for (a, balance) in account_balance.iter().enumerate() {
            assert!(*balance >= -unapplied[a], "{} balance {balance}", plan.accounts[a].code);
        }
        assert!((10..=20).contains(&kinds["credit_note"]));
        assert!((5..=15).contains(&kinds["fee"]));
        assert!((1..=2).contains(&kinds["write_off"]));
        assert!((2..=3).contains(&unapplied.iter().filter(|u| **u > 0).count()));

        // Invoice states as the portal shows them.
        let state = |i: usize| {
            let inv = &plan.invoices[i];
            InvoiceState::derive(inv.void, inv.total_minor, invoice_balance[i], inv.due_date, today)
        };
        let overdue = (0..n).filter(|&i| state(i) == InvoiceState::Overdue).count();
        assert!(overdue >= 20, "only {overdue} overdue");
        assert!((0..n).filter(|&i| state(i) == InvoiceState::Paid).count() > n / 2);

        // Chronic payers leave old invoices open.
        let old_chronic: Vec<usize> = (0..n)
            .filter(|&i| {
                let inv = &plan.invoices[i];
                !inv.void && plan.accounts[inv.account].profile == Profile::Chronic && inv.issue_date < today - days(30)
            })
            .collect();
        let open = old_chronic.iter().filter(|&&i| invoice_balance[i] > 0).count();
        assert!(open * 100 >= old_chronic.len() * 25, "{open}/{} chronic open", old_chronic.len());

        // Scenario accounts.
        let of = move |account: usize| (0..n).filter(move |&i| plan.invoices[i].account == account);
        assert_eq!(plan.accounts[0].profile, Profile::Late);
        let c1_open = of(0)
            .filter(|&i| matches!(state(i), InvoiceState::Open | InvoiceState::Overdue | InvoiceState::PartiallyPaid))
            .count();
        assert!(c1_open >= 2);
        assert!(of(0).any(|i| state(i) == InvoiceState::Overdue));
        assert!(of(0).any(|i| state(i) == InvoiceState::Paid));
        assert_eq!(plan.accounts[1].profile, Profile::Punctual);
        assert!(of(1).any(|i| state(i) == InvoiceState::Open && plan.invoices[i].due_date >= today));
        assert!(!of(1).any(|i| state(i) == InvoiceState::Overdue));
    }
}
