//! What an import file's columns can mean, guessing them from a header
//! row, and each row parsed to a domain type. Pure: no database.

use super::{Mapping, RowProblem};
use crate::accounts::AccountForm;
use crate::domain::document::{parse_quantity, DraftLine, VatCategory};
use crate::domain::{Currency, Money};
use crate::i18n::Msg;
use crate::payments::Channel;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Accounts,
    Invoices,
    Payments,
}

impl ImportKind {
    pub const ALL: [ImportKind; 3] = [ImportKind::Accounts, ImportKind::Invoices, ImportKind::Payments];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Accounts => "accounts",
            ImportKind::Invoices => "invoices",
            ImportKind::Payments => "payments",
        }
    }

    pub fn parse(s: &str) -> Option<ImportKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            ImportKind::Accounts => Msg::ImportAccounts,
            ImportKind::Invoices => Msg::ImportInvoices,
            ImportKind::Payments => Msg::ImportPayments,
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            ImportKind::Accounts => ACCOUNT_FIELDS,
            ImportKind::Invoices => INVOICE_FIELDS,
            ImportKind::Payments => PAYMENT_FIELDS,
        }
    }
}

/// A field a column can be mapped to: its key, its label, whether a file
/// must have it, and header names that mean it (lower case, no accents).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: Msg,
    pub required: bool,
    pub synonyms: &'static [&'static str],
}

const fn field(key: &'static str, label: Msg, required: bool, synonyms: &'static [&'static str]) -> Field {
    Field { key, label, required, synonyms }
}

/// The account form's fields (an import row is parsed as the form is).
pub const ACCOUNT_FIELDS: &[Field] = &[
    field("external_id", Msg::ExternalId, false, &["external id", "external_id", "id externe", "identifiant", "id"]),
    field("code", Msg::AccountCode, false, &["code", "code client", "customer code", "account code", "compte"]),
    field(
        "legal_name",
        Msg::LegalName,
        true,
        &["legal name", "name", "raison sociale", "nom", "client", "customer", "societe", "company"],
    ),
    field("kind", Msg::CustomerKindLabel, false, &["kind", "type", "type de client"]),
    field("siren", Msg::SirenLabel, false, &["siren"]),
    field("siret", Msg::SiretLabel, false, &["siret"]),
    field(
        "vat_number",
        Msg::VatNumberLabel,
        false,
        &["vat", "vat number", "tva", "tva intracommunautaire", "numero de tva", "n tva"],
    ),
    field(
        "billing_emails",
        Msg::BillingEmails,
        true,
        &["email", "e-mail", "billing email", "emails", "courriel", "e-mail de facturation", "adresse e-mail"],
    ),
    field("phone", Msg::Phone, false, &["phone", "telephone", "tel"]),
    field("address", Msg::PostalAddress, false, &["address", "adresse", "street", "rue"]),
    field("postal_code", Msg::PostalCode, false, &["postal code", "zip", "code postal", "cp"]),
    field("city", Msg::City, false, &["city", "ville", "town"]),
    field("country", Msg::CountryLabel, false, &["country", "pays"]),
    field("language", Msg::Language, false, &["language", "langue", "lang"]),
    field("currency", Msg::CurrencyLabel, false, &["currency", "devise", "monnaie"]),
    field("segment", Msg::Segment, false, &["segment"]),
    field(
        "terms_days",
        Msg::PaymentTerms,
        false,
        &["terms", "payment terms", "delai de paiement", "conditions de paiement", "jours"],
    ),
    field("terms_basis", Msg::TermsBasis, false, &["terms basis", "end of month", "fin de mois"]),
    field(
        "credit_limit",
        Msg::CreditLimit,
        false,
        &["credit limit", "plafond", "encours autorise", "limite de credit"],
    ),
    field("notes", Msg::InternalNotes, false, &["notes", "note", "commentaire", "comments"]),
];

/// Invoices: one row per invoice, or one row per line (rows with the same
/// number make one invoice).
pub const INVOICE_FIELDS: &[Field] = &[
    field(
        "number",
        Msg::InvoiceNumber,
        true,
        &["number", "invoice number", "invoice", "numero", "numero de facture", "n facture", "facture", "invoice no"],
    ),
    field(
        "account",
        Msg::ImportAccountRef,
        true,
        &["account", "customer", "client", "code client", "customer code", "compte", "external id", "siren"],
    ),
    field(
        "issue_date",
        Msg::IssueDate,
        true,
        &["issue date", "date", "invoice date", "date de facture", "date d'emission", "date emission"],
    ),
    field("due_date", Msg::DueDate, false, &["due date", "due", "echeance", "date d'echeance", "date echeance"]),
    field("subtotal", Msg::Subtotal, false, &["subtotal", "net", "total ht", "montant ht", "ht", "net amount"]),
    field("tax", Msg::TaxTotal, false, &["tax", "vat amount", "tva", "montant tva", "total tva"]),
    field("total", Msg::Total, false, &["total", "total ttc", "montant ttc", "ttc", "amount", "montant", "gross"]),
    field(
        "line_description",
        Msg::Description,
        false,
        &["description", "designation", "libelle", "line", "ligne", "item"],
    ),
    field("line_quantity", Msg::Quantity, false, &["quantity", "quantite", "qty", "qte"]),
    field("line_unit_price", Msg::UnitPrice, false, &["unit price", "prix unitaire", "pu ht", "price", "prix"]),
    field("line_vat", Msg::TaxRate, false, &["vat rate", "taux de tva", "taux tva", "taux", "rate"]),
];

pub const PAYMENT_FIELDS: &[Field] = &[
    field(
        "account",
        Msg::ImportAccountRef,
        true,
        &["account", "customer", "client", "code client", "customer code", "compte", "external id", "siren"],
    ),
    field(
        "received_on",
        Msg::ReceivedOn,
        true,
        &[
            "date",
            "received on",
            "payment date",
            "date de paiement",
            "date de reglement",
            "date reception",
            "date valeur",
        ],
    ),
    field("amount", Msg::Amount, true, &["amount", "montant", "paid", "montant regle", "credit"]),
    field(
        "channel",
        Msg::PaymentChannel,
        false,
        &["channel", "method", "payment method", "moyen de paiement", "mode de reglement", "mode"],
    ),
    field(
        "reference",
        Msg::PayerReference,
        false,
        &["reference", "ref", "libelle", "bank reference", "numero de cheque", "cheque"],
    ),
    field(
        "invoice",
        Msg::InvoiceNumber,
        false,
        &["invoice", "invoice number", "facture", "numero de facture", "n facture"],
    ),
];

/// A header as compared: lower case, accents and punctuation folded.
pub fn fold(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            '_' | '-' | '.' | '°' | 'º' | '/' => ' ',
            c => c,
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.trim_end().to_string()
}

/// The headers as one key: a remembered mapping applies to files with
/// the same header row.
pub fn signature(headers: &[String]) -> String {
    headers.iter().map(|h| fold(h)).collect::<Vec<_>>().join("|")
}

/// A mapping guessed from the headers: a field's own key, then its
/// synonyms, each column used once, the first fields first.
pub fn guess(kind: ImportKind, headers: &[String]) -> Mapping {
    let folded: Vec<String> = headers.iter().map(|h| fold(h)).collect();
    let mut mapping = Mapping::new();
    let mut used = vec![false; headers.len()];
    for pass in 0..2 {
        for f in kind.fields() {
            if mapping.contains_key(f.key) {
                continue;
            }
            let wanted: Vec<String> =
                if pass == 0 { vec![fold(f.key)] } else { f.synonyms.iter().map(|s| fold(s)).collect() };
            if let Some(i) = (0..folded.len()).find(|&i| !used[i] && wanted.contains(&folded[i])) {
                used[i] = true;
                mapping.insert(f.key.to_string(), i);
            }
        }
    }
    mapping
}

/// A remembered mapping, kept only where its columns still exist.
pub fn restrict(kind: ImportKind, mapping: &Mapping, columns: usize) -> Mapping {
    mapping
        .iter()
        .filter(|(k, i)| **i < columns && kind.fields().iter().any(|f| f.key == k.as_str()))
        .map(|(k, i)| (k.clone(), *i))
        .collect()
}

/// The required fields left unmapped, as problems of the header row.
pub fn missing(kind: ImportKind, mapping: &Mapping) -> Vec<RowProblem> {
    let mut out: Vec<RowProblem> = kind
        .fields()
        .iter()
        .filter(|f| f.required && !mapping.contains_key(f.key))
        .map(|f| RowProblem { row: 1, field: f.key.to_string(), msg: Msg::ColumnRequired, detail: String::new() })
        .collect();
    if kind == ImportKind::Invoices && !mapping.contains_key("total") && !mapping.contains_key("line_description") {
        out.push(RowProblem { row: 1, field: "total".into(), msg: Msg::TotalOrLinesRequired, detail: String::new() });
    }
    out
}

/// One row's cells by field.
pub struct Cells<'a> {
    pub row: usize,
    pub cells: &'a [String],
    pub mapping: &'a Mapping,
}

impl Cells<'_> {
    /// The cell of a field, trimmed; `None` when unmapped.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.mapping.get(key).map(|&i| self.cells.get(i).map(|s| s.trim()).unwrap_or(""))
    }

    /// The cell of a field, empty when unmapped.
    pub fn text(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }

    pub fn problem(&self, field: &str, msg: Msg) -> RowProblem {
        RowProblem { row: self.row, field: field.to_string(), msg, detail: String::new() }
    }

    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A date as bookkeeping files write them: `2026-12-31`, `31/12/2026`,
/// `31.12.2026`, `31-12-2026` (day first: French and British files).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let s = s.split(['T', ' ']).next().unwrap_or(s);
    ["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .filter(|d| (1990..=2100).contains(&chrono::Datelike::year(d)))
}

/// An amount as files write them: `1 200,50`, `1200.50`, `1,200.50`,
/// `1.200,50`, `€ 12`: the last separator is the decimal one when two
/// kinds appear.
pub fn parse_amount(s: &str, currency: Currency) -> Option<Money> {
    let cleaned: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '€' | '$' | '£' | '\u{202f}' | '\u{a0}'))
        .collect();
    let cleaned = match (cleaned.rfind(','), cleaned.rfind('.')) {
        (Some(c), Some(d)) if c > d => cleaned.replace('.', ""),
        (Some(_), Some(_)) => cleaned.replace(',', ""),
        _ => cleaned,
    };
    Money::parse_major(&cleaned, currency).ok()
}

/// A VAT rate as files write it (`20`, `20 %`, `5,5`, `0.2`) or a
/// category's code (`standard_20`, `reverse_charge`).
pub fn parse_vat(s: &str) -> Option<VatCategory> {
    if let Some(c) = VatCategory::parse(s) {
        return Some(c);
    }
    let cleaned = s.trim().trim_end_matches('%').trim().replace(',', ".");
    let mut rate: Decimal = cleaned.parse().ok()?;
    if rate < Decimal::ONE && !rate.is_zero() {
        rate *= Decimal::from(100);
    }
    let bp: i32 = (rate * Decimal::from(100)).round().try_into().ok()?;
    [
        VatCategory::Standard20,
        VatCategory::Intermediate10,
        VatCategory::Reduced5_5,
        VatCategory::Reduced2_1,
        VatCategory::Zero,
    ]
    .into_iter()
    .find(|c| c.rate_bp() == bp)
}

/// A payment channel as files write it, in French or English; empty:
/// a bank transfer (what French businesses mostly pay by).
pub fn parse_channel(s: &str) -> Option<Channel> {
    let f = fold(s);
    Some(match f.as_str() {
        "" | "transfer" | "bank transfer" | "virement" | "vir" | "sepa" | "wire" => Channel::Transfer,
        "cheque" | "check" | "chq" | "chq bancaire" => Channel::Cheque,
        "cash" | "especes" | "esp" | "liquide" => Channel::Cash,
        "card" | "carte" | "cb" | "card terminal" | "tpe" | "carte bancaire" => Channel::CardTerminal,
        other => Channel::parse(other)?,
    })
}

/// The account form from a row: the mapped cells over `base` (the matched
/// account's values, or the merchant's defaults for a new one). Unmapped
/// fields keep the base's value.
pub fn account_form(c: &Cells, base: &AccountForm) -> AccountForm {
    let mut f = base.clone();
    let slots: [(&str, &mut String); 20] = [
        ("external_id", &mut f.external_id),
        ("code", &mut f.code),
        ("legal_name", &mut f.legal_name),
        ("kind", &mut f.kind),
        ("siren", &mut f.siren),
        ("siret", &mut f.siret),
        ("vat_number", &mut f.vat_number),
        ("billing_emails", &mut f.billing_emails),
        ("phone", &mut f.phone),
        ("address", &mut f.address),
        ("postal_code", &mut f.postal_code),
        ("city", &mut f.city),
        ("country", &mut f.country),
        ("language", &mut f.language),
        ("currency", &mut f.currency),
        ("segment", &mut f.segment),
        ("terms_days", &mut f.terms_days),
        ("terms_basis", &mut f.terms_basis),
        ("credit_limit", &mut f.credit_limit),
        ("notes", &mut f.notes),
    ];
    for (key, slot) in slots {
        if let Some(v) = c.get(key) {
            *slot = v.to_string();
        }
    }
    // Spreadsheets write `business`/`consumer` their own way.
    f.kind = match fold(&f.kind).as_str() {
        "b2c" | "particulier" | "consumer" | "individual" => "consumer".into(),
        "" => String::new(),
        _ => "business".into(),
    };
    f.terms_basis = match fold(&f.terms_basis).as_str() {
        "end of month" | "end_of_month" | "fin de mois" | "fdm" | "oui" | "yes" | "true" | "1" => "end_of_month".into(),
        _ => "net".into(),
    };
    f
}

/// One invoice row: the invoice's own fields, and a line when the file
/// has lines.
#[derive(Clone, Debug, PartialEq)]
pub struct InvoiceRow {
    pub row: usize,
    pub number: String,
    pub account: String,
    pub issue_date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    /// Without lines: the totals (tax and subtotal optional).
    pub total: Option<i64>,
    pub subtotal: Option<i64>,
    pub tax: Option<i64>,
    pub line: Option<DraftLine>,
}

/// Parses an invoice row in the account's currency (`None`: the account
/// is not known, amounts are checked later). Problems are pushed.
pub fn invoice_row(c: &Cells, currency: Currency, problems: &mut Vec<RowProblem>) -> Option<InvoiceRow> {
    let before = problems.len();
    let number = c.text("number").to_string();
    if number.is_empty() {
        problems.push(c.problem("number", Msg::RequiredField));
    } else if number.chars().count() > 60 {
        problems.push(c.problem("number", Msg::TooLong));
    } else if crate::invoicing::rules::is_own_number(&number) {
        problems.push(c.problem("number", Msg::NumberInOwnSeries));
    }
    let account = c.text("account").to_string();
    if account.is_empty() {
        problems.push(c.problem("account", Msg::RequiredField));
    }
    let issue_date = parse_date(c.text("issue_date"));
    if issue_date.is_none() {
        problems.push(c.problem("issue_date", Msg::InvalidDate));
    }
    let due_date = match c.text("due_date") {
        "" => None,
        s => match parse_date(s) {
            Some(d) if issue_date.is_none_or(|i| d >= i) => Some(d),
            Some(_) => {
                problems.push(c.problem("due_date", Msg::DueBeforeIssue));
                None
            }
            None => {
                problems.push(c.problem("due_date", Msg::InvalidDate));
                None
            }
        },
    };
    let mut amount = |key: &str| match c.text(key) {
        "" => None,
        s => match parse_amount(s, currency) {
            Some(m) if m.minor >= 0 => Some(m.minor),
            Some(_) => {
                problems.push(c.problem(key, Msg::NegativeNotImported));
                None
            }
            None => {
                problems.push(c.problem(key, Msg::AmountInvalid));
                None
            }
        },
    };
    let (total, subtotal, tax) = (amount("total"), amount("subtotal"), amount("tax"));
    let line = if c.mapping.contains_key("line_description") {
        let description = c.text("line_description");
        if description.is_empty() {
            problems.push(c.problem("line_description", Msg::RequiredField));
        }
        let quantity = match c.text("line_quantity") {
            "" => Some(1000),
            q => parse_quantity(q),
        };
        if quantity.is_none() {
            problems.push(c.problem("line_quantity", Msg::QuantityInvalid));
        }
        let price = parse_amount(c.text("line_unit_price"), currency);
        if price.is_none() {
            problems.push(c.problem("line_unit_price", Msg::AmountInvalid));
        }
        let vat = parse_vat(c.text("line_vat"));
        if vat.is_none() {
            problems.push(c.problem("line_vat", Msg::VatRateInvalid));
        }
        match (quantity, price, vat) {
            (Some(quantity_milli), Some(price), Some(vat)) => Some(DraftLine {
                description: description.chars().take(500).collect(),
                quantity_milli,
                unit: String::new(),
                unit_price_minor: price.minor,
                discount_bp: 0,
                vat,
            }),
            _ => None,
        }
    } else {
        if total.is_none() && !problems[before..].iter().any(|p| p.field == "total") {
            problems.push(c.problem("total", Msg::RequiredField));
        }
        if let (Some(t), Some(s), Some(x)) = (total, subtotal, tax) {
            if s.checked_add(x) != Some(t) {
                problems.push(c.problem("total", Msg::TotalsDisagree));
            }
        }
        None
    };
    if problems.len() > before {
        return None;
    }
    Some(InvoiceRow { row: c.row, number, account, issue_date: issue_date?, due_date, total, subtotal, tax, line })
}

/// One payment row.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentRow {
    pub row: usize,
    pub account: String,
    pub received_on: NaiveDate,
    pub amount: Money,
    pub channel: Channel,
    pub reference: String,
    pub invoice: Option<String>,
}

impl PaymentRow {
    /// What makes a payment the same one when a file comes again.
    pub fn key(&self, account_id: i64) -> String {
        use std::fmt::Write;
        let mut k = format!("import:{account_id}:{}:{}:{}", self.received_on, self.amount.minor, self.channel.as_str());
        let _ = write!(k, ":{}:{}", self.reference, self.invoice.as_deref().unwrap_or(""));
        k
    }
}

pub fn payment_row(
    c: &Cells,
    currency: Currency,
    today: NaiveDate,
    problems: &mut Vec<RowProblem>,
) -> Option<PaymentRow> {
    let before = problems.len();
    let account = c.text("account").to_string();
    if account.is_empty() {
        problems.push(c.problem("account", Msg::RequiredField));
    }
    let received_on = parse_date(c.text("received_on"));
    match received_on {
        None => problems.push(c.problem("received_on", Msg::InvalidDate)),
        Some(d) if d > today => problems.push(c.problem("received_on", Msg::ReceivedInFuture)),
        Some(_) => {}
    }
    let amount = parse_amount(c.text("amount"), currency)
        .filter(|m| m.minor > 0 && m.minor <= crate::payments::MAX_AMOUNT_MINOR);
    if amount.is_none() {
        problems.push(c.problem("amount", Msg::InvalidAmount));
    }
    let channel = parse_channel(c.text("channel"));
    if channel.is_none() {
        problems.push(c.problem("channel", Msg::ChooseChannel));
    }
    let reference = c.text("reference");
    if reference.chars().count() > crate::payments::received::rules::MAX_REFERENCE {
        problems.push(c.problem("reference", Msg::TooLong));
    }
    let invoice = Some(c.text("invoice").to_string()).filter(|s| !s.is_empty());
    if problems.len() > before {
        return None;
    }
    Some(PaymentRow {
        row: c.row,
        account,
        received_on: received_on?,
        amount: amount?,
        channel: channel?,
        reference: reference.to_string(),
        invoice,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn headers_are_folded() {
        assert_eq!(fold("  Numéro de facture "), "numero de facture");
        assert_eq!(fold("N° Facture"), "n facture");
        assert_eq!(fold("Date_d'échéance"), "date d'echeance");
    }

    #[test]
    fn a_french_invoice_export_is_mapped() {
        let h = headers(&["N° facture", "Code client", "Date", "Échéance", "Total HT", "TVA", "Total TTC"]);
        let m = guess(ImportKind::Invoices, &h);
        assert_eq!(m.get("number"), Some(&0));
        assert_eq!(m.get("account"), Some(&1));
        assert_eq!(m.get("issue_date"), Some(&2));
        assert_eq!(m.get("due_date"), Some(&3));
        assert_eq!(m.get("subtotal"), Some(&4));
        assert_eq!(m.get("tax"), Some(&5));
        assert_eq!(m.get("total"), Some(&6));
        assert!(missing(ImportKind::Invoices, &m).is_empty());
    }

    #[test]
    fn required_columns_are_named() {
        let m = guess(ImportKind::Payments, &headers(&["Montant", "Whatever"]));
        let missing: Vec<String> = missing(ImportKind::Payments, &m).into_iter().map(|p| p.field).collect();
        assert_eq!(missing, ["account", "received_on"]);
        let m = guess(ImportKind::Invoices, &headers(&["number", "account", "issue_date"]));
        assert_eq!(missing_fields(&m), ["total"]);
    }

    fn missing_fields(m: &Mapping) -> Vec<String> {
        missing(ImportKind::Invoices, m).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn a_remembered_mapping_keeps_existing_columns_only() {
        let m: Mapping = [("number".to_string(), 0), ("total".to_string(), 9), ("bogus".to_string(), 1)].into();
        assert_eq!(restrict(ImportKind::Invoices, &m, 3), [("number".to_string(), 0)].into());
    }

    #[test]
    fn dates_and_amounts_as_files_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        for s in ["2026-03-31", "31/03/2026", "31.03.2026", "31-03-2026", "2026-03-31T00:00:00"] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("03/31/2026"), None);
        assert_eq!(parse_date("31/03/26"), None);
        for (s, minor) in
            [("1 200,50", 120_050), ("1200.5", 120_050), ("1,200.50", 120_050), ("1.200,50", 120_050), ("€12", 1_200)]
        {
            assert_eq!(parse_amount(s, Currency::Eur).map(|m| m.minor), Some(minor), "{s}");
        }
        assert_eq!(parse_amount("12,345", Currency::Eur), None, "three decimals in euros");
        assert_eq!(parse_amount("abc", Currency::Eur), None);
    }

    #[test]
    fn vat_rates_and_channels_as_files_write_them() {
        assert_eq!(parse_vat("20"), Some(VatCategory::Standard20));
        assert_eq!(parse_vat("20 %"), Some(VatCategory::Standard20));
        assert_eq!(parse_vat("5,5"), Some(VatCategory::Reduced5_5));
        assert_eq!(parse_vat("0.1"), Some(VatCategory::Intermediate10));
        assert_eq!(parse_vat("reverse_charge"), Some(VatCategory::ReverseCharge));
        assert_eq!(parse_vat("19"), None);
        assert_eq!(parse_channel("Virement"), Some(Channel::Transfer));
        assert_eq!(parse_channel(""), Some(Channel::Transfer));
        assert_eq!(parse_channel("Chèque"), Some(Channel::Cheque));
        assert_eq!(parse_channel("Espèces"), Some(Channel::Cash));
        assert_eq!(parse_channel("CB"), Some(Channel::CardTerminal));
        assert_eq!(parse_channel("pigeon"), None);
    }

    fn cells(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_invoice_row_without_lines() {
        let m = guess(
            ImportKind::Invoices,
            &headers(&["number", "account", "issue_date", "due_date", "subtotal", "tax", "total"]),
        );
        let row = cells(&["2025-118", "C-1", "15/11/2026", "15/12/2026", "100", "20", "120"]);
        let mut problems = Vec::new();
        let r = invoice_row(&Cells { row: 2, cells: &row, mapping: &m }, Currency::Eur, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((r.total, r.subtotal, r.tax), (Some(12_000), Some(10_000), Some(2_000)));
        // Totals that disagree, a due date before the issue date, our own series.
        let row = cells(&["F-2026-00001", "C-1", "15/11/2026", "01/11/2026", "100", "20", "121"]);
        let _ = invoice_row(&Cells { row: 3, cells: &row, mapping: &m }, Currency::Eur, &mut problems);
        let got: Vec<(usize, &str, Msg)> = problems.iter().map(|p| (p.row, p.field.as_str(), p.msg)).collect();
        assert_eq!(
            got,
            [
                (3, "number", Msg::NumberInOwnSeries),
                (3, "due_date", Msg::DueBeforeIssue),
                (3, "total", Msg::TotalsDisagree)
            ]
        );
    }

    #[test]
    fn an_invoice_row_with_a_line() {
        let m = guess(
            ImportKind::Invoices,
            &headers(&["Numéro", "Client", "Date", "Désignation", "Quantité", "Prix unitaire", "Taux TVA"]),
        );
        let row = cells(&["A-7", "C-1", "2026-11-02", "Conseil", "2,5", "80", "20"]);
        let mut problems = Vec::new();
        let r = invoice_row(&Cells { row: 2, cells: &row, mapping: &m }, Currency::Eur, &mut problems).unwrap();
        let line = r.line.unwrap();
        assert_eq!((line.quantity_milli, line.unit_price_minor, line.vat), (2_500, 8_000, VatCategory::Standard20));
        let row = cells(&["A-7", "C-1", "2026-11-02", "", "x", "80", "17"]);
        assert!(invoice_row(&Cells { row: 3, cells: &row, mapping: &m }, Currency::Eur, &mut problems).is_none());
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["line_description", "line_quantity", "line_vat"]);
    }

    #[test]
    fn a_payment_row_and_its_key() {
        let m = guess(ImportKind::Payments, &headers(&["Client", "Date", "Montant", "Mode", "Référence", "Facture"]));
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        let row = cells(&["C-1", "01/12/2026", "1 000,00", "Chèque", "CHQ 0042", "2025-118"]);
        let mut problems = Vec::new();
        let p = payment_row(&Cells { row: 2, cells: &row, mapping: &m }, Currency::Eur, today, &mut problems).unwrap();
        assert_eq!((p.amount.minor, p.channel), (100_000, Channel::Cheque));
        assert_eq!(p.key(7), "import:7:2026-12-01:100000:cheque:CHQ 0042:2025-118");
        let row = cells(&["C-1", "03/12/2026", "-5", "troc", "", ""]);
        assert!(payment_row(&Cells { row: 3, cells: &row, mapping: &m }, Currency::Eur, today, &mut problems).is_none());
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["received_on", "amount", "channel"]);
    }

    #[test]
    fn an_account_row_keeps_unmapped_fields() {
        let m = guess(ImportKind::Accounts, &headers(&["Raison sociale", "SIREN", "Type", "Fin de mois"]));
        let base = AccountForm { billing_emails: "a@b.example".into(), city: "Lyon".into(), ..Default::default() };
        let row = cells(&["Dupont SA", "732 829 320", "Particulier", "oui"]);
        let f = account_form(&Cells { row: 2, cells: &row, mapping: &m }, &base);
        assert_eq!(f.legal_name, "Dupont SA");
        assert_eq!(f.siren, "732 829 320");
        assert_eq!(f.kind, "consumer");
        assert_eq!(f.terms_basis, "end_of_month");
        assert_eq!((f.billing_emails.as_str(), f.city.as_str()), ("a@b.example", "Lyon"));
    }
}
