//! Every e-mail the portal sends, per message and language: one table, so
//! a message missing a language (or a language missing a message) does not
//! compile. Callers pass typed facts; amounts and dates are formatted here,
//! in the recipient's language. Each message has a test below that reads
//! its subject, body, link and language.

use crate::domain::{Locale, Money};
use chrono::NaiveDate;

/// A message ready for the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// What a promise e-mail names.
#[derive(Clone, Debug, PartialEq)]
pub struct PromiseFacts {
    pub date: NaiveDate,
    pub amount: Money,
    /// Its invoices' numbers, comma-separated.
    pub numbers: String,
}

/// What a dispute e-mail names.
#[derive(Clone, Debug, PartialEq)]
pub struct DisputeFacts {
    pub invoice: String,
    /// The amount disputed.
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PromiseNotice {
    /// To staff: a client's promise beyond the policy's count.
    NeedsApproval,
    /// To staff: the date passed without the money.
    Broken,
    /// To the client: staff recorded its promise made by phone.
    Recorded,
    /// To the client: its own promise, as made in the portal.
    Confirmed,
    /// To staff: a client promised in the portal.
    Made,
    /// To the client: staff approved its pending promise.
    Approved,
    /// To the client: staff rejected it (with the reason).
    Rejected,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DisputeNotice {
    /// To staff: a client opened a dispute.
    Opened,
    /// To staff: the client wrote in the thread.
    ClientWrote,
    /// To the client: staff replied.
    StaffWrote,
    /// To the client: staff need more information.
    InfoRequested,
    /// To the client: accepted for this amount, by this credit note.
    Approved(Money, String),
    /// To the client: not accepted (the text is the reason).
    Rejected,
    /// To staff: the client withdrew it.
    Withdrawn,
    /// To either side: closed.
    Closed,
    /// To the owners: a collector proposes to grant this amount.
    Proposed(Money),
}

/// Every message. `company` is the merchant's name, `account` the client
/// account's, `link` an absolute URL.
#[derive(Clone, Debug, PartialEq)]
pub enum Message<'a> {
    PasswordReset {
        name: &'a str,
        link: &'a str,
    },
    Invitation {
        name: &'a str,
        company: &'a str,
        link: &'a str,
    },
    Receipt {
        company: &'a str,
        reference: &'a str,
        amount: Money,
        link: &'a str,
    },
    PaymentFailed {
        company: &'a str,
        reference: &'a str,
        amount: Money,
        reason: &'a str,
        link: &'a str,
    },
    /// Money received outside the portal, taken back by the bank (a
    /// bounced cheque, a recalled transfer): what it paid is owed again.
    PaymentReversed {
        company: &'a str,
        reference: &'a str,
        amount: Money,
        reason: &'a str,
        link: &'a str,
    },
    Promise {
        notice: PromiseNotice,
        company: &'a str,
        account: &'a str,
        promise: &'a PromiseFacts,
        reason: &'a str,
        link: &'a str,
    },
    Dispute {
        notice: DisputeNotice,
        company: &'a str,
        account: &'a str,
        dispute: &'a DisputeFacts,
        text: &'a str,
        link: &'a str,
    },
    /// An issued invoice, its PDF attached; `pay_link` when it still owes.
    Invoice {
        company: &'a str,
        number: &'a str,
        total: Money,
        due: chrono::NaiveDate,
        pay_link: Option<&'a str>,
        portal_link: &'a str,
    },
}

/// A client's or staff's text, quoted in a message (at most 1,500
/// characters of it).
fn quote(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        let t: String = text.chars().take(1500).collect();
        format!("\n« {t} »\n")
    }
}

impl Message<'_> {
    pub fn render(&self, locale: Locale) -> Rendered {
        let (subject, body) = match self {
            Message::PasswordReset { name, link } => reset(locale, name, link),
            Message::Invitation { name, company, link } => invitation(locale, name, company, link),
            Message::Receipt { company, reference, amount, link } => receipt(locale, company, reference, *amount, link),
            Message::PaymentFailed { company, reference, amount, reason, link } => {
                payment_failed(locale, company, reference, *amount, reason, link)
            }
            Message::PaymentReversed { company, reference, amount, reason, link } => {
                payment_reversed(locale, company, reference, *amount, reason, link)
            }
            Message::Promise { notice, company, account, promise, reason, link } => {
                promise_message(locale, notice, company, account, promise, reason, link)
            }
            Message::Dispute { notice, company, account, dispute, text, link } => {
                dispute_message(locale, notice, company, account, dispute, text, link)
            }
            Message::Invoice { company, number, total, due, pay_link, portal_link } => {
                invoice(locale, company, number, *total, *due, *pay_link, portal_link)
            }
        };
        Rendered { subject, body }
    }
}

fn invoice(
    locale: Locale,
    company: &str,
    number: &str,
    total: Money,
    due: chrono::NaiveDate,
    pay_link: Option<&str>,
    portal_link: &str,
) -> (String, String) {
    let (total, due) = (total.format(locale), locale.format_date(due));
    match locale {
        Locale::Fr => {
            let pay = pay_link.map(|l| format!("Payer en ligne (carte ou prélèvement) : {l}\n")).unwrap_or_default();
            (
                format!("{company} : facture {number}"),
                format!("Bonjour,\n\nVeuillez trouver ci-joint notre facture {number} d'un montant de {total}, à régler au plus tard le {due}.\n\n{pay}Votre espace client (factures, paiements, questions) : {portal_link}\n\nCordialement,\n{company}\n"),
            )
        }
        Locale::En => {
            let pay = pay_link.map(|l| format!("Pay online (card or direct debit): {l}\n")).unwrap_or_default();
            (
                format!("{company}: invoice {number}"),
                format!("Hello,\n\nPlease find attached our invoice {number} for {total}, due by {due}.\n\n{pay}Your customer area (invoices, payments, questions): {portal_link}\n\nKind regards,\n{company}\n"),
            )
        }
    }
}

fn reset(locale: Locale, name: &str, link: &str) -> (String, String) {
    match locale {
        Locale::Fr => (
            "Relance : réinitialisation de votre mot de passe".into(),
            format!("Bonjour {name},\n\nPour choisir un nouveau mot de passe, ouvrez ce lien (valable une heure, une seule fois) :\n{link}\n\nSi vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n"),
        ),
        Locale::En => (
            "Relance: reset your password".into(),
            format!("Hello {name},\n\nTo choose a new password, open this link (valid for one hour, once):\n{link}\n\nIf you did not ask for this, you can ignore this message.\n"),
        ),
    }
}

fn invitation(locale: Locale, name: &str, company: &str, link: &str) -> (String, String) {
    match locale {
        Locale::Fr => (
            format!("{company} vous invite sur Relance"),
            format!("Bonjour {name},\n\n{company} vous a ouvert un accès à Relance. Choisissez votre mot de passe avec ce lien (valable 7 jours) :\n{link}\n"),
        ),
        Locale::En => (
            format!("{company} invited you to Relance"),
            format!("Hello {name},\n\n{company} has given you access to Relance. Choose your password with this link (valid for 7 days):\n{link}\n"),
        ),
    }
}

fn receipt(locale: Locale, company: &str, reference: &str, amount: Money, link: &str) -> (String, String) {
    let amount = amount.format(locale);
    match locale {
        Locale::Fr => (
            format!("{company} : reçu de paiement {reference}"),
            format!("Bonjour,\n\nNous avons bien reçu votre paiement {reference} de {amount}. Merci !\n\nLe détail (factures réglées) : {link}\n"),
        ),
        Locale::En => (
            format!("{company}: payment receipt {reference}"),
            format!("Hello,\n\nWe have received your payment {reference} of {amount}. Thank you!\n\nDetails (invoices settled): {link}\n"),
        ),
    }
}

fn payment_failed(
    locale: Locale,
    company: &str,
    reference: &str,
    amount: Money,
    reason: &str,
    link: &str,
) -> (String, String) {
    let amount = amount.format(locale);
    match locale {
        Locale::Fr => (
            format!("{company} : votre paiement {reference} n'a pas abouti"),
            format!("Bonjour,\n\nLe paiement {reference} de {amount} n'a pas abouti : {reason}\nVotre solde n'a pas changé. Vous pouvez payer avec un autre moyen : {link}\n"),
        ),
        Locale::En => (
            format!("{company}: your payment {reference} did not go through"),
            format!("Hello,\n\nThe payment {reference} of {amount} did not go through: {reason}\nYour balance has not changed. You can pay with another method: {link}\n"),
        ),
    }
}

fn payment_reversed(
    locale: Locale,
    company: &str,
    reference: &str,
    amount: Money,
    reason: &str,
    link: &str,
) -> (String, String) {
    let amount = amount.format(locale);
    match locale {
        Locale::Fr => (
            format!("{company} : votre paiement {reference} a été rejeté"),
            format!("Bonjour,\n\nLe paiement {reference} de {amount} nous a été retourné par la banque ({reason}).\nLes factures qu'il réglait sont de nouveau dues. Votre compte : {link}\n"),
        ),
        Locale::En => (
            format!("{company}: your payment {reference} was returned"),
            format!("Hello,\n\nThe payment {reference} of {amount} was returned by the bank ({reason}).\nThe invoices it paid are due again. Your account: {link}\n"),
        ),
    }
}

fn promise_message(
    locale: Locale,
    kind: &PromiseNotice,
    company: &str,
    account: &str,
    n: &PromiseFacts,
    reason: &str,
    link: &str,
) -> (String, String) {
    let date = locale.format_date(n.date);
    let amount = n.amount.format(locale);
    let numbers = &n.numbers;
    match (locale, kind) {
        (Locale::Fr, PromiseNotice::NeedsApproval) => (
            format!("Promesse de paiement à valider : {account}"),
            format!("{account} promet de payer {amount} le {date} (factures {numbers}).\nCes factures ont déjà reçu le nombre de promesses permis : validez ou refusez celle-ci.\n{link}\n"),
        ),
        (Locale::En, PromiseNotice::NeedsApproval) => (
            format!("Promise to pay to approve: {account}"),
            format!("{account} promises to pay {amount} on {date} (invoices {numbers}).\nThese invoices already received the allowed number of promises: approve or reject this one.\n{link}\n"),
        ),
        (Locale::Fr, PromiseNotice::Broken) => (
            format!("Promesse non tenue : {account}"),
            format!("La promesse de {account} de payer {amount} le {date} (factures {numbers}) n'a pas été tenue.\nCes factures reviennent dans le recouvrement.\n{link}\n"),
        ),
        (Locale::En, PromiseNotice::Broken) => (
            format!("Broken promise: {account}"),
            format!("{account}'s promise to pay {amount} on {date} (invoices {numbers}) was not kept.\nThese invoices are back in collection.\n{link}\n"),
        ),
        (Locale::Fr, PromiseNotice::Recorded) => (
            format!("{company} : votre promesse de paiement"),
            format!("Bonjour,\n\nNous avons noté votre promesse de payer {amount} le {date} (factures {numbers}). Merci !\n\nVos promesses : {link}\n"),
        ),
        (Locale::En, PromiseNotice::Recorded) => (
            format!("{company}: your promise to pay"),
            format!("Hello,\n\nWe have recorded your promise to pay {amount} on {date} (invoices {numbers}). Thank you!\n\nYour promises: {link}\n"),
        ),
        (Locale::Fr, PromiseNotice::Approved) => (
            format!("{company} : promesse de paiement acceptée"),
            format!("Bonjour,\n\nVotre promesse de payer {amount} le {date} (factures {numbers}) est acceptée.\n\n{link}\n"),
        ),
        (Locale::En, PromiseNotice::Approved) => (
            format!("{company}: promise to pay accepted"),
            format!("Hello,\n\nYour promise to pay {amount} on {date} (invoices {numbers}) is accepted.\n\n{link}\n"),
        ),
        (Locale::Fr, PromiseNotice::Rejected) => (
            format!("{company} : promesse de paiement refusée"),
            format!("Bonjour,\n\nVotre promesse de payer {amount} le {date} (factures {numbers}) n'a pas été acceptée.\nMotif : {reason}\n\n{link}\n"),
        ),
        (Locale::En, PromiseNotice::Rejected) => (
            format!("{company}: promise to pay not accepted"),
            format!("Hello,\n\nYour promise to pay {amount} on {date} (invoices {numbers}) was not accepted.\nReason: {reason}\n\n{link}\n"),
        ),
        (Locale::Fr, PromiseNotice::Confirmed) => (
            format!("{company} : votre promesse de paiement"),
            format!("Bonjour,\n\nVous avez promis de payer {amount} le {date} (factures {numbers}). Merci !\nCes factures ne feront pas l'objet de relance d'ici là.\n\nVos promesses : {link}\n"),
        ),
        (Locale::En, PromiseNotice::Confirmed) => (
            format!("{company}: your promise to pay"),
            format!("Hello,\n\nYou promised to pay {amount} on {date} (invoices {numbers}). Thank you!\nThese invoices will not be chased until then.\n\nYour promises: {link}\n"),
        ),
        (Locale::Fr, PromiseNotice::Made) => (
            format!("Promesse de paiement : {account}"),
            format!("{account} promet de payer {amount} le {date} (factures {numbers}).\nLe recouvrement de ces factures est suspendu jusqu'à cette date.\n{link}\n"),
        ),
        (Locale::En, PromiseNotice::Made) => (
            format!("Promise to pay: {account}"),
            format!("{account} promises to pay {amount} on {date} (invoices {numbers}).\nCollection of these invoices is paused until then.\n{link}\n"),
        ),
    }
}

fn dispute_message(
    locale: Locale,
    kind: &DisputeNotice,
    company: &str,
    account: &str,
    f: &DisputeFacts,
    text: &str,
    link: &str,
) -> (String, String) {
    let (inv, amount, q) = (&f.invoice, f.amount.format(locale), quote(text));
    match (locale, kind) {
        (Locale::Fr, DisputeNotice::Opened) => (
            format!("Nouveau litige : {account}, facture {inv}"),
            format!("{account} conteste {amount} sur la facture {inv}.\n{q}\nCe montant est suspendu du recouvrement pendant l'examen.\n{link}\n"),
        ),
        (Locale::En, DisputeNotice::Opened) => (
            format!("New dispute: {account}, invoice {inv}"),
            format!("{account} disputes {amount} of invoice {inv}.\n{q}\nThis amount is out of collection while it is reviewed.\n{link}\n"),
        ),
        (Locale::Fr, DisputeNotice::ClientWrote) => (
            format!("Litige {inv} : nouveau message de {account}"),
            format!("{account} a écrit au sujet du litige sur la facture {inv}.\n{q}\n{link}\n"),
        ),
        (Locale::En, DisputeNotice::ClientWrote) => (
            format!("Dispute {inv}: new message from {account}"),
            format!("{account} wrote about the dispute on invoice {inv}.\n{q}\n{link}\n"),
        ),
        (Locale::Fr, DisputeNotice::StaffWrote) => (
            format!("{company} : réponse à votre litige (facture {inv})"),
            format!("Bonjour,\n\nNous avons répondu à votre contestation de la facture {inv}.\n{q}\nSuivre le litige : {link}\n"),
        ),
        (Locale::En, DisputeNotice::StaffWrote) => (
            format!("{company}: reply to your dispute (invoice {inv})"),
            format!("Hello,\n\nWe replied about your dispute of invoice {inv}.\n{q}\nFollow the dispute: {link}\n"),
        ),
        (Locale::Fr, DisputeNotice::InfoRequested) => (
            format!("{company} : informations demandées (litige facture {inv})"),
            format!("Bonjour,\n\nPour examiner votre contestation de la facture {inv}, nous avons besoin d'informations complémentaires.\n{q}\nRépondre : {link}\n"),
        ),
        (Locale::En, DisputeNotice::InfoRequested) => (
            format!("{company}: information requested (dispute, invoice {inv})"),
            format!("Hello,\n\nTo review your dispute of invoice {inv}, we need more information.\n{q}\nReply: {link}\n"),
        ),
        (Locale::Fr, DisputeNotice::Approved(credited, number)) => (
            format!("{company} : litige accepté (facture {inv})"),
            format!("Bonjour,\n\nVotre contestation de {amount} sur la facture {inv} est acceptée pour {}. L'avoir {number} est déduit de votre solde.\n{q}\n{link}\n", credited.format(locale)),
        ),
        (Locale::En, DisputeNotice::Approved(credited, number)) => (
            format!("{company}: dispute accepted (invoice {inv})"),
            format!("Hello,\n\nYour dispute of {amount} on invoice {inv} is accepted for {}. Credit note {number} is deducted from your balance.\n{q}\n{link}\n", credited.format(locale)),
        ),
        (Locale::Fr, DisputeNotice::Rejected) => (
            format!("{company} : litige refusé (facture {inv})"),
            format!("Bonjour,\n\nVotre contestation de {amount} sur la facture {inv} n'a pas été acceptée.\nMotif : {text}\n\nCe montant reste dû. {link}\n"),
        ),
        (Locale::En, DisputeNotice::Rejected) => (
            format!("{company}: dispute not accepted (invoice {inv})"),
            format!("Hello,\n\nYour dispute of {amount} on invoice {inv} was not accepted.\nReason: {text}\n\nThis amount remains due. {link}\n"),
        ),
        (Locale::Fr, DisputeNotice::Withdrawn) => (
            format!("Litige retiré : {account}, facture {inv}"),
            format!("{account} a retiré sa contestation de la facture {inv} : le montant revient dans le recouvrement.\n{link}\n"),
        ),
        (Locale::En, DisputeNotice::Withdrawn) => (
            format!("Dispute withdrawn: {account}, invoice {inv}"),
            format!("{account} withdrew its dispute of invoice {inv}: the amount is back in collection.\n{link}\n"),
        ),
        (Locale::Fr, DisputeNotice::Closed) => (
            format!("Litige clos : facture {inv}"),
            format!("Le litige sur la facture {inv} est clos.\n{link}\n"),
        ),
        (Locale::En, DisputeNotice::Closed) => (
            format!("Dispute closed: invoice {inv}"),
            format!("The dispute on invoice {inv} is closed.\n{link}\n"),
        ),
        (Locale::Fr, DisputeNotice::Proposed(granted)) => (
            format!("Litige à trancher : {account}, facture {inv}"),
            format!("Une résolution est proposée pour le litige de {account} sur la facture {inv} ({amount} contestés) : accorder {}.\n{q}\nDécider : {link}\n", granted.format(locale)),
        ),
        (Locale::En, DisputeNotice::Proposed(granted)) => (
            format!("Dispute to decide: {account}, invoice {inv}"),
            format!("A resolution is proposed for {account}'s dispute on invoice {inv} ({amount} disputed): grant {}.\n{q}\nDecide: {link}\n", granted.format(locale)),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

    const LINK: &str = "https://pay.example/x/42";

    fn eur(minor: i64) -> Money {
        Money::new(minor, Currency::Eur)
    }

    fn promise() -> PromiseFacts {
        PromiseFacts { date: "2026-12-15".parse().unwrap(), amount: eur(120_050), numbers: "F-1, F-2".into() }
    }

    fn dispute() -> DisputeFacts {
        DisputeFacts { invoice: "F-7".into(), amount: eur(30_000) }
    }

    /// Renders in both languages and checks what every message must carry:
    /// the subject and body words of its language (and none of the other's
    /// greeting), its link, and each fact given.
    fn check(m: &Message<'_>, fr: (&str, &str), en: (&str, &str), facts: &[(&str, &str)]) {
        for (locale, (subject, body), other) in [(Locale::Fr, fr, "Hello"), (Locale::En, en, "Bonjour")] {
            let r = m.render(locale);
            assert!(r.subject.contains(subject), "{locale:?} subject {:?} lacks {subject:?}", r.subject);
            assert!(r.body.contains(body), "{locale:?} body lacks {body:?}:\n{}", r.body);
            assert!(!r.body.contains(other), "{locale:?} body in the wrong language:\n{}", r.body);
            assert!(r.body.contains(LINK), "{locale:?} body lacks the link:\n{}", r.body);
            assert!(!r.subject.contains('\n'), "a subject is one line: {:?}", r.subject);
            for (f, e) in facts {
                let want = if locale == Locale::Fr { f } else { e };
                assert!(r.body.contains(want) || r.subject.contains(want), "{locale:?} lacks {want:?}:\n{}", r.body);
            }
        }
    }

    #[test]
    fn invoice() {
        let due = "2026-12-31".parse().unwrap();
        let m = Message::Invoice {
            company: "Acme",
            number: "F-2026-00042",
            total: eur(120_050),
            due,
            pay_link: Some(LINK),
            portal_link: "https://relance.example/portal",
        };
        check(
            &m,
            ("Acme : facture F-2026-00042", "ci-joint"),
            ("Acme: invoice F-2026-00042", "Please find attached"),
            &[
                ("1\u{202f}200,50\u{a0}€", "€1,200.50"),
                ("31\u{a0}déc.\u{a0}2026", "Dec 31, 2026"),
                ("/portal", "/portal"),
            ],
        );
        // Paid already: a copy without a pay link.
        let copy = Message::Invoice {
            company: "Acme",
            number: "F-2026-00042",
            total: eur(120_050),
            due,
            pay_link: None,
            portal_link: "https://relance.example/portal",
        };
        assert!(!copy.render(Locale::Fr).body.contains("Payer en ligne"));
    }

    #[test]
    fn password_reset() {
        let m = Message::PasswordReset { name: "Anne", link: LINK };
        check(&m, ("mot de passe", "Bonjour Anne"), ("reset your password", "Hello Anne"), &[]);
    }

    #[test]
    fn invitation() {
        let m = Message::Invitation { name: "Anne", company: "Acme", link: LINK };
        check(&m, ("Acme vous invite", "7 jours"), ("Acme invited you", "7 days"), &[]);
    }

    #[test]
    fn receipt() {
        let m = Message::Receipt { company: "Acme", reference: "PAY-000042", amount: eur(120_050), link: LINK };
        check(
            &m,
            ("reçu de paiement PAY-000042", "bien reçu"),
            ("payment receipt PAY-000042", "We have received"),
            &[("1\u{202f}200,50\u{a0}€", "€1,200.50")],
        );
    }

    #[test]
    fn payment_failed() {
        let m = Message::PaymentFailed {
            company: "Acme",
            reference: "PAY-000042",
            amount: eur(5_000),
            reason: "card declined",
            link: LINK,
        };
        check(
            &m,
            ("n'a pas abouti", "Votre solde n'a pas changé"),
            ("did not go through", "Your balance has not changed"),
            &[("card declined", "card declined"), ("50,00\u{a0}€", "€50.00")],
        );
    }

    #[test]
    fn payment_reversed() {
        let m = Message::PaymentReversed {
            company: "Acme",
            reference: "P-000042",
            amount: eur(5_000),
            reason: "chèque sans provision",
            link: LINK,
        };
        check(
            &m,
            ("P-000042 a été rejeté", "de nouveau dues"),
            ("P-000042 was returned", "due again"),
            &[("chèque sans provision", "chèque sans provision"), ("50,00\u{a0}€", "€50.00")],
        );
    }

    fn promise_msg(notice: PromiseNotice, reason: &str, fr: (&str, &str), en: (&str, &str)) {
        let facts = promise();
        let m = Message::Promise { notice, company: "Acme", account: "Dupont SA", promise: &facts, reason, link: LINK };
        check(
            &m,
            fr,
            en,
            &[
                ("F-1, F-2", "F-1, F-2"),
                ("15\u{a0}déc.\u{a0}2026", "Dec 15, 2026"),
                ("1\u{202f}200,50\u{a0}€", "€1,200.50"),
            ],
        );
    }

    #[test]
    fn promise_needs_approval() {
        promise_msg(
            PromiseNotice::NeedsApproval,
            "",
            ("à valider : Dupont SA", "validez ou refusez"),
            ("to approve: Dupont SA", "approve or reject"),
        );
    }

    #[test]
    fn promise_broken() {
        promise_msg(
            PromiseNotice::Broken,
            "",
            ("non tenue : Dupont SA", "reviennent dans le recouvrement"),
            ("Broken promise: Dupont SA", "back in collection"),
        );
    }

    #[test]
    fn promise_recorded() {
        promise_msg(
            PromiseNotice::Recorded,
            "",
            ("Acme : votre promesse", "Nous avons noté"),
            ("Acme: your promise", "We have recorded"),
        );
    }

    #[test]
    fn promise_confirmed() {
        promise_msg(
            PromiseNotice::Confirmed,
            "",
            ("Acme : votre promesse", "Vous avez promis"),
            ("Acme: your promise", "You promised"),
        );
    }

    #[test]
    fn promise_made() {
        promise_msg(
            PromiseNotice::Made,
            "",
            ("Promesse de paiement : Dupont SA", "est suspendu"),
            ("Promise to pay: Dupont SA", "is paused"),
        );
    }

    #[test]
    fn promise_approved() {
        promise_msg(PromiseNotice::Approved, "", ("acceptée", "est acceptée"), ("accepted", "is accepted"));
    }

    #[test]
    fn promise_rejected() {
        promise_msg(
            PromiseNotice::Rejected,
            "Too late",
            ("refusée", "Motif : Too late"),
            ("not accepted", "Reason: Too late"),
        );
    }

    fn dispute_msg(notice: DisputeNotice, text: &str, fr: (&str, &str), en: (&str, &str)) {
        let facts = dispute();
        let m = Message::Dispute { notice, company: "Acme", account: "Dupont SA", dispute: &facts, text, link: LINK };
        let mut expected = vec![("F-7", "F-7")];
        if !text.is_empty() {
            expected.push((text, text));
        }
        check(&m, fr, en, &expected);
    }

    #[test]
    fn dispute_opened() {
        dispute_msg(
            DisputeNotice::Opened,
            "Wrong quantity",
            ("Nouveau litige : Dupont SA", "conteste 300,00\u{a0}€"),
            ("New dispute: Dupont SA", "disputes €300.00"),
        );
    }

    #[test]
    fn dispute_client_wrote() {
        dispute_msg(
            DisputeNotice::ClientWrote,
            "Here is the delivery note",
            ("nouveau message de Dupont SA", "a écrit"),
            ("new message from Dupont SA", "wrote about"),
        );
    }

    #[test]
    fn dispute_staff_wrote() {
        dispute_msg(
            DisputeNotice::StaffWrote,
            "We are checking",
            ("Acme : réponse à votre litige", "Suivre le litige"),
            ("Acme: reply to your dispute", "Follow the dispute"),
        );
    }

    #[test]
    fn dispute_info_requested() {
        dispute_msg(
            DisputeNotice::InfoRequested,
            "Send the delivery note",
            ("informations demandées", "Répondre"),
            ("information requested", "Reply"),
        );
    }

    #[test]
    fn dispute_approved() {
        dispute_msg(
            DisputeNotice::Approved(eur(10_000), "AV-000003".into()),
            "",
            ("litige accepté", "acceptée pour 100,00\u{a0}€. L'avoir AV-000003"),
            ("dispute accepted", "accepted for €100.00. Credit note AV-000003"),
        );
    }

    #[test]
    fn dispute_rejected() {
        dispute_msg(
            DisputeNotice::Rejected,
            "Delivered in full",
            ("litige refusé", "Motif : Delivered in full"),
            ("dispute not accepted", "Reason: Delivered in full"),
        );
    }

    #[test]
    fn dispute_withdrawn() {
        dispute_msg(
            DisputeNotice::Withdrawn,
            "",
            ("Litige retiré : Dupont SA", "revient dans le recouvrement"),
            ("Dispute withdrawn: Dupont SA", "back in collection"),
        );
    }

    #[test]
    fn dispute_closed() {
        dispute_msg(DisputeNotice::Closed, "", ("Litige clos", "est clos"), ("Dispute closed", "is closed"));
    }

    #[test]
    fn dispute_proposed() {
        dispute_msg(
            DisputeNotice::Proposed(eur(7_500)),
            "Half the pallets",
            ("Litige à trancher : Dupont SA", "accorder 75,00\u{a0}€"),
            ("Dispute to decide: Dupont SA", "grant €75.00"),
        );
    }
}
