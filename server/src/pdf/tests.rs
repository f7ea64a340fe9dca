use super::canvas::*;
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
            credit_note_id: None,
            memo: String::new(),
        }],
        history: Vec::new(),
        document: None,
        early_offer: None,
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

/// Every text run of an invoice as rendered (with its payments), page by page.
fn texts(detail: &InvoiceDetail, locale: Locale) -> Vec<Vec<String>> {
    let (_, pages) = render(&merchant(), Msg::InvoiceTitle.text(locale), detail, true, locale);
    pages.iter().map(|p| p.texts().into_iter().map(str::to_string).collect()).collect()
}

fn all_text(detail: &InvoiceDetail, locale: Locale) -> String {
    texts(detail, locale).concat().join("\n")
}

fn load(pdf: &[u8]) -> lopdf::Document {
    lopdf::Document::load_mem(pdf).expect("a PDF lopdf reads")
}

/// The XMP metadata packet of a document.
fn xmp(doc: &lopdf::Document) -> String {
    let id = doc.catalog().unwrap().get(b"Metadata").unwrap().as_reference().unwrap();
    let stream = doc.get_object(id).unwrap().as_stream().unwrap();
    assert!(stream.dict.get(b"Filter").is_err(), "PDF/A: the metadata stream is not filtered");
    String::from_utf8(stream.content.clone()).unwrap()
}

#[test]
fn renders_a_pdf_a_document_with_its_font_embedded() {
    let pdf = invoice_pdf(&merchant(), &two_lines(), Locale::Fr).unwrap();
    assert!(pdf.starts_with(b"%PDF-1.7"), "header");
    assert!(pdf[9..14].iter().filter(|&&b| b >= 0x80).count() >= 4, "binary comment line");
    let doc = load(&pdf);
    assert_eq!(doc.get_pages().len(), 1);
    let meta = xmp(&doc);
    assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"), "{meta}");
    assert!(meta.contains("<pdfaid:conformance>B</pdfaid:conformance>"), "{meta}");
    assert!(meta.contains("Facture F-2026-0042"), "title in the XMP");
    assert!(!meta.contains("factur-x"), "a plain PDF declares no Factur-X");
    // The fonts are embedded (TrueType outlines), not referenced by name.
    let embedded =
        doc.objects.values().filter_map(|o| o.as_dict().ok()).filter(|d| d.get(b"FontFile2").is_ok()).count();
    assert!(embedded >= 2, "regular and bold embedded, got {embedded}");
    assert!(doc.catalog().unwrap().get(b"OutputIntents").is_ok(), "PDF/A output intent");
}

#[test]
fn text_prints_in_the_reader_language() {
    let fr = all_text(&two_lines(), Locale::Fr);
    assert!(fr.contains("Facture F-2026-0042"));
    assert!(fr.contains("Création du site"), "accents kept as they are");
    // 1 234,56 € style amounts: every kind of space prints as a space.
    assert!(fr.contains("2 500,00 €"), "{fr}");
    assert!(fr.contains("Paiement") && fr.contains("VIR-0001"));
    assert!(fr.contains("20 %"));
    assert!(fr.contains("1 / 1"));

    let en = all_text(&two_lines(), Locale::En);
    assert!(en.contains("Invoice F-2026-0042"));
    assert!(en.contains("€2,500.00"));
    assert!(en.contains("Issue date: Feb 3, 2026"));
}

/// Names beyond Latin-1 print with their own letters (the old writer
/// printed '?'), and only characters the font lacks become '?'.
#[test]
fn central_european_and_turkish_names_print() {
    let mut d = two_lines();
    d.summary.account_name = "Łódź Spółka, Žluťoučký kůň s.r.o., İstanbul Çiçekçilik Şti.".into();
    d.lines[0].description = "Zażółć gęślą jaźń 日本".into();
    let text = all_text(&d, Locale::Fr);
    assert!(text.contains("Łódź Spółka"), "{text}");
    assert!(text.contains("Zażółć gęślą jaźń ??"), "{text}");
    let pdf = invoice_pdf(&merchant(), &d, Locale::Fr).unwrap();
    let extracted = load(&pdf).extract_text(&[1]).unwrap_or_default();
    assert!(extracted.contains("Łódź Spółka"), "ToUnicode maps back: {extracted}");
    assert_eq!(printable("a\tb\u{202f}c\u{a0}€", Font::Regular), "a b c €");
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
    let content = all_text(&d, Locale::Fr);
    assert!(content.contains("SIREN 552100554"));
    assert!(content.contains("FR96552100554"));
    assert!(content.contains("69001 Lyon"));
    assert!(content.contains("TVA non applicable, art. 293 B du CGI"));
    assert!(content.contains("Pas d'escompte pour paiement anticip"));
    assert!(content.contains("40 €"), "the \u{20ac}40 indemnity: {content}");
    assert!(content.lines().any(|l| l == "Merci"));

    let consumer = app::invoices::DocumentFacts {
        parties: Parties { buyer_kind: app::domain::CustomerKind::Consumer, ..Default::default() },
        early_discount: EarlyPaymentDiscount::new(200, 10),
        note: String::new(),
    };
    d.document = Some(consumer);
    let content = all_text(&d, Locale::En);
    assert!(!content.contains("Late payment"));
    assert!(content.contains("2% discount for payment within 10 days."));
}

#[test]
fn many_lines_flow_onto_more_pages() {
    let lines = (1..=80).map(|i| line(&format!("Prestation {i}"), i, 1_000)).collect();
    let d = detail(lines);
    let pages = texts(&d, Locale::Fr);
    let n = pages.len();
    assert!(n >= 2, "80 lines need more than one page, got {n}");
    let with_header = pages.iter().filter(|p| p.iter().any(|t| t == "Description")).count();
    assert!(with_header >= 2, "the table header repeats on continuation pages");
    let all = pages.concat();
    assert!(all.iter().any(|t| t == "Prestation 1"));
    assert!(all.iter().any(|t| t == "Prestation 80"));
    assert!(all.iter().any(|t| *t == format!("1 / {n}")));
    assert!(all.iter().any(|t| *t == format!("{n} / {n}")));
    let pdf = invoice_pdf(&merchant(), &d, Locale::Fr).unwrap();
    assert_eq!(load(&pdf).get_pages().len(), n);
}

#[test]
fn long_descriptions_are_cut_to_the_column() {
    let long = "Accompagnement ".repeat(20);
    let all = texts(&detail(vec![line(&long, 1, 100)]), Locale::Fr).concat();
    let shown = all.iter().find(|t| t.starts_with("Accompagnement")).expect("description shown");
    assert!(shown.ends_with("..."));
    let (_, left, right) = COLUMNS[0];
    assert!(BODY.width(shown) <= right - left);

    let cut = truncate("abcdefghijklmnopqrstuvwxyz", BODY, 40.0);
    assert!(cut.ends_with("...") && BODY.width(&cut) <= 40.0);
    assert_eq!(truncate("short", BODY, 40.0), "short");
}

#[test]
fn widths_follow_the_embedded_font() {
    // DejaVu Sans: 2048 units per em; 'W' is wider than 'i'.
    let style = Style { font: Font::Regular, size: 10.0, gray: 0.0 };
    assert!(style.width("W") > 2.0 * style.width("i"));
    assert!((style.width("ii") - 2.0 * style.width("i")).abs() < 1e-4);
    let bold = Style { font: Font::Bold, ..style };
    assert!(bold.width("Relance") > style.width("Relance"));
}

/// The Factur-X PDF is the invoice as issued (no payments) with its CII
/// attached and declared; reading it back gives the same figures.
#[test]
fn facturx_carries_the_invoice_xml_and_reads_back_to_the_same_figures() {
    let mut d = two_lines();
    d.document = Some(app::invoices::DocumentFacts {
        parties: app::invoicing::Parties {
            seller: app::invoicing::Party {
                name: "Atelier Lumière".into(),
                country: "FR".into(),
                ..Default::default()
            },
            buyer: app::invoicing::Party {
                name: "Łódź Spółka".into(),
                siren: Some("552100554".into()),
                country: "FR".into(),
                ..Default::default()
            },
            buyer_kind: app::domain::CustomerKind::Business,
        },
        early_discount: None,
        note: String::new(),
    });
    let expected = app::einvoice::from_invoice(&d).expect("an e-invoice");
    let pdf = facturx_pdf(&merchant(), &d, Locale::Fr).unwrap().expect("Factur-X");
    let doc = load(&pdf);
    let meta = xmp(&doc);
    assert!(meta.contains("<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"), "{meta}");
    assert!(meta.contains("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"));
    assert!(meta.contains("<pdfaid:part>3</pdfaid:part>"));
    assert!(doc.catalog().unwrap().get(b"AF").is_ok(), "associated file listed on the catalog");
    let xml = app::einvoice::facturx::embedded_xml(&pdf).expect("embedded XML");
    let back = app::einvoice::read_any(&xml).expect("valid CII");
    assert_eq!(back, expected);

    let (_, pages) = render(&merchant(), Msg::InvoiceTitle.text(Locale::Fr), &d, false, Locale::Fr);
    let shown: Vec<&str> = pages.iter().flat_map(|p| p.texts()).collect();
    assert!(!shown.contains(&"VIR-0001"), "the issued document lists no payment");
    assert!(!shown.contains(&"3 260,00 €") && shown.contains(&"3 360,00 €"), "due: the whole total");

    // Without lines or parties there is no e-invoice, so no Factur-X.
    assert!(facturx_pdf(&merchant(), &two_lines(), Locale::Fr).unwrap().is_none());
    // A PDF without an attachment is refused by the reader.
    let plain = invoice_pdf(&merchant(), &d, Locale::Fr).unwrap();
    assert_eq!(app::einvoice::facturx::embedded_xml(&plain), Err(app::einvoice::facturx::FacturXError::NoInvoiceXml));
}

fn credit_note(vat: Vec<app::domain::VatBreakdown>, parties: Option<app::invoicing::Parties>) -> CreditNoteDoc {
    let amount: i64 = vat.iter().map(|g| g.base_minor + g.tax_minor).sum();
    CreditNoteDoc {
        id: 3,
        number: "AV-2026-00003".into(),
        issued_on: date(3, 20),
        amount: eur(if vat.is_empty() { 5_000 } else { amount }),
        account_name: "Łódź Spółka".into(),
        account_address: "ul. Piotrkowska 1\n90-001 Łódź".into(),
        invoice_number: NUMBER.into(),
        invoice_issue_date: date(2, 3),
        invoice_total: eur(336_000),
        dispute_reason: None,
        note: "Remise commerciale".into(),
        vat,
        parties,
    }
}

/// A credit note prints the VAT it takes back per rate and, as Factur-X,
/// carries a 381 naming the invoice it corrects.
#[test]
fn a_credit_note_shows_its_vat_and_travels_as_a_381() {
    use app::domain::document::VatCategory;
    use app::domain::VatBreakdown;
    let vat = vec![
        VatBreakdown { category: VatCategory::Standard20, rate_bp: 2000, base_minor: 5_000, tax_minor: 1_000 },
        VatBreakdown { category: VatCategory::ExemptFranchise, rate_bp: 0, base_minor: 1_000, tax_minor: 0 },
    ];
    let parties = app::invoicing::Parties {
        seller: app::invoicing::Party { name: "Atelier Lumière".into(), country: "FR".into(), ..Default::default() },
        buyer: app::invoicing::Party {
            name: "Łódź Spółka".into(),
            siren: Some("552100554".into()),
            country: "FR".into(),
            ..Default::default()
        },
        buyer_kind: app::domain::CustomerKind::Business,
    };
    let c = credit_note(vat, Some(parties));
    let (_, pages) = render_credit_note(&merchant(), &c, Locale::Fr);
    let shown: Vec<&str> = pages.iter().flat_map(|p| p.texts()).collect();
    for text in ["50,00 €", "10,00 €", "60,00 €", "70,00 €", "Total HT", "Total TVA", "Remise commerciale"] {
        assert!(shown.contains(&text), "{text} in {shown:?}");
    }
    assert!(shown.iter().any(|t| t.contains("293 B")), "the exemption's mention: {shown:?}");
    let pdf = credit_note_facturx_pdf(&merchant(), &c, Locale::Fr).unwrap().expect("Factur-X");
    if let Ok(dir) = std::env::var("RELANCE_PDF_DUMP") {
        std::fs::write(format!("{dir}/credit-note.pdf"), &pdf).unwrap();
    }
    let xml = app::einvoice::facturx::embedded_xml(&pdf).expect("embedded XML");
    let back = app::einvoice::read_any(&xml).expect("valid CII");
    assert_eq!(back.kind, app::einvoice::DocKind::CreditNote);
    assert_eq!(back.preceding.map(|p| p.number), Some(NUMBER.to_string()));
    assert_eq!((back.tax_exclusive_minor, back.tax_minor, back.tax_inclusive_minor), (6_000, 1_000, 7_000));

    // Without VAT groups (an invoice imported from totals): the amount only, no Factur-X.
    let plain = credit_note(Vec::new(), None);
    assert!(credit_note_facturx_pdf(&merchant(), &plain, Locale::Fr).unwrap().is_none());
    let (_, pages) = render_credit_note(&merchant(), &plain, Locale::En);
    let shown: Vec<&str> = pages.iter().flat_map(|p| p.texts()).collect();
    assert!(shown.contains(&"€50.00") && !shown.contains(&"Subtotal"), "{shown:?}");
}
