//! The demo's fixed data: the merchant, its staff, the companies, names,
//! addresses and the catalogue the invoices are drawn from.

use super::*;

pub(super) const SEED: u64 = 2026;
pub(super) const CURRENCY: Currency = Currency::Eur;
/// About 18 months of history.
pub(super) const HISTORY_DAYS: i64 = 547;
pub(super) const TARGET_INVOICES: i64 = 1500;
/// Indemnité forfaitaire pour frais de recouvrement (40 €).
pub(super) const LATE_FEE_MINOR: i64 = 4000;
pub(super) const VOID_COUNT: usize = 6;
pub(super) const CREDIT_NOTE_COUNT: usize = 15;
pub(super) const FEE_COUNT: usize = 10;
pub(super) const WRITE_OFF_COUNT: usize = 2;
/// Unapplied overpayments, one per account, on the first punctual accounts.
pub(super) const OVERPAYMENTS: [i64; 3] = [15_000, 8_250, 32_000];
/// How long ago each "new" account started buying (the last accounts).
pub(super) const NEW_ACCOUNT_DAYS: [i64; 5] = [120, 95, 75, 60, 45];

pub(super) const MERCHANT_NAME: &str = "Atelier Lumière SAS";
/// A SIREN with a valid key, and the French VAT number it gives.
pub(super) const MERCHANT_SIREN: &str = "732829320";
pub(super) const MERCHANT_VAT: &str = "FR44732829320";
pub(super) const MERCHANT_LEGAL_ID: &str = "SAS au capital de 50 000 € · RCS Lyon 732 829 320";
pub(super) const MERCHANT_ADDRESS: &str = "12 rue des Tanneurs, 69001 Lyon";
pub(super) const MERCHANT_EMAIL: &str = "compta@atelier-lumiere.fr";
pub(super) const MERCHANT_PHONE: &str = "+33 4 72 00 00 00";
pub(super) const MERCHANT_TERMS_DAYS: i32 = 30;

/// Staff, in insertion order; collectors are referred to by index.
pub(super) const STAFF: [(&str, &str, Role, Locale); 4] = [
    ("owner@relance.demo", "Sophie Lefèvre", Role::Owner, Locale::Fr),
    ("camille@relance.demo", "Camille Martin", Role::Collector, Locale::Fr),
    ("james@relance.demo", "James Wilson", Role::Collector, Locale::En),
    ("paul@relance.demo", "Paul Bernard", Role::Accountant, Locale::Fr),
];
pub(super) const CAMILLE: usize = 1;
pub(super) const JAMES: usize = 2;

/// Accounts C0001.. in order. The last `NEW_ACCOUNT_DAYS.len()` are new clients.
pub(super) const COMPANIES: [(&str, Locale, Segment); 60] = [
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

pub(super) const LEGAL_SUFFIXES: [&str; 5] = [" SARL", " SAS", " SA", " Ltd", " LLP"];

pub(super) const FR_FIRST: [&str; 20] = [
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
pub(super) const FR_LAST: [&str; 20] = [
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
pub(super) const EN_FIRST: [&str; 14] = [
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
pub(super) const EN_LAST: [&str; 14] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Davies", "Evans", "Roberts", "Walker", "Wright", "Robinson",
    "Thompson", "Hughes", "Clarke",
];

pub(super) const FR_STREETS: [&str; 12] = [
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
pub(super) const FR_CITIES: [(&str, &str); 12] = [
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
pub(super) const EN_STREETS: [&str; 8] = [
    "High Street",
    "Wharf Road",
    "Station Road",
    "King Street",
    "Queen's Parade",
    "Mill Lane",
    "Church Street",
    "Harbour Way",
];
pub(super) const EN_CITIES: [(&str, &str); 8] = [
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
pub(super) enum Qty {
    One,
    Hours,
    Units,
}

pub(super) struct Item {
    pub(super) fr: &'static str,
    pub(super) en: &'static str,
    /// Unit price range in minor units.
    pub(super) price: (i64, i64),
    pub(super) qty: Qty,
    pub(super) tax_rate_bp: i32,
    pub(super) weight: u32,
}

pub(super) const CATALOGUE: [Item; 13] = [
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
