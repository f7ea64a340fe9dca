use super::writer::*;
use super::*;
use app::domain::{Currency, EntryKind, InvoiceState, Money};
use app::invoices::InvoiceSummary;
use chrono::NaiveDate;

const NUMBER: &str = "F-2026-0042";

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::Eur)
}

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).expect("valid date")
}

fn line(description: &str, quantity: i64, unit_minor: i64) -> InvoiceLine {
    let net = quantity * unit_minor;
    InvoiceLine {
        description: description.to_string(),
        quantity: Decimal::from(quantity),
        unit_price: eur(unit_minor),
        tax_rate_percent: Decimal::new(200, 1),
        net: eur(net),
        tax: eur(net / 5),
        vat: None,
    }
}

fn detail(lines: Vec<InvoiceLine>) -> InvoiceDetail {
    let subtotal: i64 = lines.iter().map(|l| l.net.minor).sum();
    let tax: i64 = lines.iter().map(|l| l.tax.minor).sum();
    let paid = 10_000;
    InvoiceDetail {
        summary: InvoiceSummary {
            id: 42,
            account_id: 7,
            account_name: "Boulangerie Dupré SARL".to_string(),
            number: NUMBER.to_string(),
            issue_date: date(2, 3),
            due_date: date(3, 5),
            total: eur(subtotal + tax),
            balance: eur(subtotal + tax - paid),
            disputed: eur(0),
            state: InvoiceState::PartiallyPaid,
        },
        lines,
        subtotal: eur(subtotal),
        tax: eur(tax),
        applied: vec![LedgerLine {
            id: 9,
            kind: EntryKind::Payment,
            amount: eur(paid),
            occurred_on: date(2, 20),
            reference: "VIR-0001".to_string(),
            invoice_number: Some(NUMBER.to_string()),
            memo: String::new(),
        }],
        history: Vec::new(),
        document: None,
    }
}

fn merchant() -> MerchantInfo {
    MerchantInfo {
        company_name: "Atelier Lumière".to_string(),
        legal_id: "SAS au capital de 10 000 €".to_string(),
        siren: "552100554".to_string(),
        vat_number: "FR96552100554".to_string(),
        address: "12 rue de la Paix\n75002 Paris".to_string(),
        email: "compta@atelier.example".to_string(),
        phone: "+33 1 23 45 67 89".to_string(),
    }
}

fn two_lines() -> InvoiceDetail {
    detail(vec![line("Création du site", 1, 250_000), line("Hébergement annuel", 12, 2_500)])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack.windows(needle.len()).filter(|w| *w == needle).count()
}

fn number_at(bytes: &[u8], at: usize) -> usize {
    let digits: String = bytes[at..].iter().take_while(|b| b.is_ascii_digit()).map(|&b| char::from(b)).collect();
    digits.parse().expect("a number")
}

/// Checks startxref, the xref table and the trailer; returns the object count.
fn check_structure(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-1.4\n%"), "header");
    assert!(pdf[10..14].iter().all(|&b| b >= 0x80), "binary comment line");
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "trailer ends with %%EOF");

    let startxref = pdf.windows(10).rposition(|w| w == b"startxref\n").expect("startxref");
    let xref = number_at(pdf, startxref + 10);
    assert!(pdf[xref..].starts_with(b"xref\n0 "), "startxref points at the xref table");
    let size = number_at(pdf, xref + 7);
    let first_entry = xref + 7 + size.to_string().len() + 1;
    assert_eq!(&pdf[first_entry..first_entry + 20], b"0000000000 65535 f \n");
    for object in 1..size {
        let entry = &pdf[first_entry + 20 * object..first_entry + 20 * (object + 1)];
        assert!(entry.ends_with(b" 00000 n \n"), "entry {object} is in use and 20 bytes long");
        let offset = number_at(entry, 0);
        assert_eq!(entry[10], b' ', "10-digit offset");
        let expected = format!("{object} 0 obj\n");
        assert!(pdf[offset..].starts_with(expected.as_bytes()), "xref entry {object} points at its object");
    }
    let trailer = &pdf[first_entry + 20 * size..];
    assert!(trailer.starts_with(b"trailer\n<<"), "trailer follows the table");
    assert!(find(trailer, format!("/Size {size} ").as_bytes()).is_some());
    assert!(find(trailer, b"/Root 1 0 R").is_some());
    assert!(find(trailer, b"/Info ").is_some());
    size - 1
}

/// The data of every stream, checking each `/Length` against `endstream`.
fn streams(pdf: &[u8]) -> Vec<&[u8]> {
    let mut found = Vec::new();
    let mut rest = pdf;
    while let Some(at) = find(rest, b"<< /Length ") {
        let length = number_at(rest, at + 11);
        let start = at + find(&rest[at..], b"stream\n").expect("stream keyword") + 7;
        let data = &rest[start..start + length];
        assert!(rest[start + length..].starts_with(b"\nendstream"), "/Length is exact");
        found.push(data);
        rest = &rest[start + length..];
    }
    found
}

fn page_count(pdf: &[u8]) -> usize {
    count(pdf, b"/Type /Page ")
}

#[test]
fn renders_a_well_formed_document() {
    let pdf = invoice_pdf(&merchant(), &two_lines(), Locale::Fr);
    let objects = check_structure(&pdf);
    // Catalog, page tree, two fonts, info, plus content and page per page.
    assert_eq!(objects, 5 + 2 * page_count(&pdf));
    assert_eq!(page_count(&pdf), 1);
    assert!(find(&pdf, b"/Count 1 ").is_some());
    assert!(find(&pdf, b"/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding").is_some());
    assert!(find(&pdf, b"/Producer (Relance)").is_some());
    assert_eq!(streams(&pdf).len(), 1);
}

#[test]
fn content_carries_number_and_win_ansi_text() {
    let pdf = invoice_pdf(&merchant(), &two_lines(), Locale::Fr);
    let content = streams(&pdf).concat();
    assert!(find(&content, b"(Facture F-2026-0042)").is_some());
    assert!(content.contains(&0xE9), "é is encoded as a single WinAnsi byte");
    assert!(find(&content, "é".as_bytes()).is_none(), "no UTF-8 leaks into the content");
    // 1 234,56 € style amounts: narrow no-break spaces become spaces, € is 0x80.
    assert!(find(&content, b"(2\x20500,00\x20\x80)").is_some());
    assert!(find(&content, b"(Paiement)").is_some());
    assert!(find(&content, b"(VIR-0001)").is_some());
    assert!(find(&content, b"(20\x20%)").is_some());
    assert!(find(&content, b"(1 / 1)").is_some());

    let english = invoice_pdf(&merchant(), &two_lines(), Locale::En);
    let content = streams(&english).concat();
    assert!(find(&content, b"(Invoice F-2026-0042)").is_some());
    assert!(find(&content, b"(\x802,500.00)").is_some());
    assert!(find(&content, b"(Issue date: Feb 3, 2026)").is_some());
}

/// An invoice written in Relance prints the buyer's identifiers and the
/// mentions French law asks for; a consumer gets no penalty mention.
#[test]
fn an_issued_invoice_carries_its_legal_mentions() {
    use app::domain::document::{EarlyPaymentDiscount, VatCategory};
    use app::invoicing::{Parties, Party};
    let mut d = two_lines();
    d.lines[1].vat = Some(VatCategory::ExemptFranchise);
    let buyer = Party {
        name: "Boulangerie Dupré SARL".into(),
        siren: Some("552100554".into()),
        vat_number: Some("FR96552100554".into()),
        address: "3 rue des Lilas".into(),
        postal_code: "69001".into(),
        city: "Lyon".into(),
        ..Default::default()
    };
    d.document = Some(app::invoices::DocumentFacts {
        parties: Parties { seller: Party::default(), buyer, buyer_kind: app::domain::CustomerKind::Business },
        early_discount: None,
        note: "Merci".into(),
    });
    let content = streams(&invoice_pdf(&merchant(), &d, Locale::Fr)).concat();
    assert!(find(&content, b"SIREN 552100554").is_some());
    assert!(find(&content, b"FR96552100554").is_some());
    assert!(find(&content, b"69001 Lyon").is_some());
    assert!(find(&content, b"TVA non applicable, art. 293 B du CGI").is_some());
    assert!(find(&content, b"Pas d'escompte pour paiement anticip").is_some());
    assert!(
        find(&content, b"40 \x80").is_some() || find(&content, b"40\xa0\x80").is_some(),
        "the \u{20ac}40 indemnity"
    );
    assert!(find(&content, b"(Merci)").is_some());

    let consumer = app::invoices::DocumentFacts {
        parties: Parties { buyer_kind: app::domain::CustomerKind::Consumer, ..Default::default() },
        early_discount: EarlyPaymentDiscount::new(200, 10),
        note: String::new(),
    };
    d.document = Some(consumer);
    let content = streams(&invoice_pdf(&merchant(), &d, Locale::En)).concat();
    assert!(find(&content, b"Late payment").is_none());
    assert!(find(&content, b"2% discount for payment within 10 days.").is_some());
}

#[test]
fn many_lines_flow_onto_more_pages() {
    let lines = (1..=80).map(|i| line(&format!("Prestation {i}"), i, 1_000)).collect();
    let pdf = invoice_pdf(&merchant(), &detail(lines), Locale::Fr);
    check_structure(&pdf);
    let pages = page_count(&pdf);
    assert!(pages >= 2, "80 lines need more than one page, got {pages}");
    assert!(find(&pdf, format!("/Count {pages} ").as_bytes()).is_some());
    let contents = streams(&pdf);
    assert_eq!(contents.len(), pages);
    let with_header = contents.iter().filter(|c| find(c, b"(Description)").is_some()).count();
    assert!(with_header >= 2, "the table header repeats on continuation pages");
    let all = contents.concat();
    assert!(find(&all, b"(Prestation 1)").is_some());
    assert!(find(&all, b"(Prestation 80)").is_some());
    assert!(find(&all, format!("(1 / {pages})").as_bytes()).is_some());
    assert!(find(&all, format!("({pages} / {pages})").as_bytes()).is_some());
}

#[test]
fn parentheses_and_backslashes_are_escaped() {
    let invoice = detail(vec![line(r"Support (niveau 2) \ urgent", 1, 100)]);
    let pdf = invoice_pdf(&merchant(), &invoice, Locale::Fr);
    check_structure(&pdf);
    let content = streams(&pdf).concat();
    assert!(find(&content, br"(Support \(niveau 2\) \\ urgent)").is_some());
}

#[test]
fn long_descriptions_are_cut_to_the_column() {
    let long = "Accompagnement ".repeat(20);
    let pdf = invoice_pdf(&merchant(), &detail(vec![line(&long, 1, 100)]), Locale::Fr);
    let content = streams(&pdf).concat();
    let start = find(&content, b"(Accompagnement").expect("description shown");
    let end = start + find(&content[start..], b") Tj").expect("end of string");
    let shown = &content[start + 1..end];
    assert!(shown.ends_with(b"..."));
    let (_, left, right) = COLUMNS[0];
    assert!(BODY.width(shown) <= right - left);

    let cut = truncate(b"abcdefghijklmnopqrstuvwxyz", BODY, 40.0);
    assert!(cut.ends_with(b"...") && BODY.width(&cut) <= 40.0);
    assert_eq!(truncate(b"short", BODY, 40.0), b"short");
}

#[test]
fn encodes_windows_1252() {
    assert_eq!(win_ansi("1\u{202f}234,56\u{a0}€"), b"1 234,56 \x80");
    assert_eq!(win_ansi("éèàçôûêëïîù"), b"\xE9\xE8\xE0\xE7\xF4\xFB\xEA\xEB\xEF\xEE\xF9");
    assert_eq!(win_ansi("œŒ«»’…"), b"\x9C\x8C\xAB\xBB\x92\x85");
    assert_eq!(win_ansi("→ 日本"), b"? ??");
    let mut out = Vec::new();
    push_literal(&mut out, br"a(b)c\d");
    assert_eq!(out, br"(a\(b\)c\\d)");
}

#[test]
fn widths_follow_helvetica_metrics() {
    assert_eq!(Font::Regular.glyph_width(b' '), 278);
    assert_eq!(Font::Regular.glyph_width(b'W'), 944);
    assert_eq!(Font::Regular.glyph_width(b'i'), 222);
    assert_eq!(Font::Bold.glyph_width(b'i'), 278);
    assert_eq!(Font::Regular.glyph_width(0xE9), 556);
    assert!((BODY.width(b"0000") - 4.0 * 556.0 * 9.0 / 1000.0).abs() < 1e-3);
    assert_eq!(num(595.0), "595");
    assert_eq!(num(0.92), "0.92");
    assert_eq!(num(12.5), "12.5");
    assert_eq!(text_string("Fé"), "<FEFF004600E9>");
}
