//! The demo plan: deterministic, consistent, and as described.

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
