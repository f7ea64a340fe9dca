//! E-mails to the other side of a dispute, through the outbox.
use super::*;

// ------------------------------------------------------------ notices

pub(super) enum Notice {
    Opened,
    ClientWrote,
    StaffWrote,
    InfoRequested,
    Approved(Money, String),
    Rejected,
    Withdrawn,
    Closed,
}

/// What every e-mail about a dispute names.
pub(super) struct Facts {
    pub(super) id: i64,
    pub(super) account_id: i64,
    pub(super) invoice: String,
    pub(super) amount: Money,
}

impl Facts {
    pub(super) fn of(row: &SummaryRow) -> AppResult<Facts> {
        Ok(Facts {
            id: row.id,
            account_id: row.account_id,
            invoice: row.invoice_number.clone(),
            amount: Money::new(row.amount_minor, parse_currency(&row.currency)?),
        })
    }
}

pub(super) fn quote(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        let t: String = text.chars().take(1500).collect();
        format!("\n« {t} »\n")
    }
}

/// Subject and body of an e-mail about a dispute.
pub(super) fn message(
    locale: Locale,
    kind: &Notice,
    company: &str,
    account: &str,
    f: &Facts,
    text: &str,
    link: &str,
) -> (String, String) {
    let (inv, amount, q) = (&f.invoice, f.amount.format(locale), quote(text));
    match (locale, kind) {
        (Locale::Fr, Notice::Opened) => (
            format!("Nouveau litige : {account}, facture {inv}"),
            format!("{account} conteste {amount} sur la facture {inv}.\n{q}\nCe montant est suspendu du recouvrement pendant l'examen.\n{link}\n"),
        ),
        (Locale::En, Notice::Opened) => (
            format!("New dispute: {account}, invoice {inv}"),
            format!("{account} disputes {amount} of invoice {inv}.\n{q}\nThis amount is out of collection while it is reviewed.\n{link}\n"),
        ),
        (Locale::Fr, Notice::ClientWrote) => (
            format!("Litige {inv} : nouveau message de {account}"),
            format!("{account} a écrit au sujet du litige sur la facture {inv}.\n{q}\n{link}\n"),
        ),
        (Locale::En, Notice::ClientWrote) => (
            format!("Dispute {inv}: new message from {account}"),
            format!("{account} wrote about the dispute on invoice {inv}.\n{q}\n{link}\n"),
        ),
        (Locale::Fr, Notice::StaffWrote) => (
            format!("{company} : réponse à votre litige (facture {inv})"),
            format!("Bonjour,\n\nNous avons répondu à votre contestation de la facture {inv}.\n{q}\nSuivre le litige : {link}\n"),
        ),
        (Locale::En, Notice::StaffWrote) => (
            format!("{company}: reply to your dispute (invoice {inv})"),
            format!("Hello,\n\nWe replied about your dispute of invoice {inv}.\n{q}\nFollow the dispute: {link}\n"),
        ),
        (Locale::Fr, Notice::InfoRequested) => (
            format!("{company} : informations demandées (litige facture {inv})"),
            format!("Bonjour,\n\nPour examiner votre contestation de la facture {inv}, nous avons besoin d'informations complémentaires.\n{q}\nRépondre : {link}\n"),
        ),
        (Locale::En, Notice::InfoRequested) => (
            format!("{company}: information requested (dispute, invoice {inv})"),
            format!("Hello,\n\nTo review your dispute of invoice {inv}, we need more information.\n{q}\nReply: {link}\n"),
        ),
        (Locale::Fr, Notice::Approved(credited, number)) => (
            format!("{company} : litige accepté (facture {inv})"),
            format!("Bonjour,\n\nVotre contestation de {amount} sur la facture {inv} est acceptée pour {}. L'avoir {number} est déduit de votre solde.\n{q}\n{link}\n", credited.format(locale)),
        ),
        (Locale::En, Notice::Approved(credited, number)) => (
            format!("{company}: dispute accepted (invoice {inv})"),
            format!("Hello,\n\nYour dispute of {amount} on invoice {inv} is accepted for {}. Credit note {number} is deducted from your balance.\n{q}\n{link}\n", credited.format(locale)),
        ),
        (Locale::Fr, Notice::Rejected) => (
            format!("{company} : litige refusé (facture {inv})"),
            format!("Bonjour,\n\nVotre contestation de {amount} sur la facture {inv} n'a pas été acceptée.\nMotif : {text}\n\nCe montant reste dû. {link}\n"),
        ),
        (Locale::En, Notice::Rejected) => (
            format!("{company}: dispute not accepted (invoice {inv})"),
            format!("Hello,\n\nYour dispute of {amount} on invoice {inv} was not accepted.\nReason: {text}\n\nThis amount remains due. {link}\n"),
        ),
        (Locale::Fr, Notice::Withdrawn) => (
            format!("Litige retiré : {account}, facture {inv}"),
            format!("{account} a retiré sa contestation de la facture {inv} : le montant revient dans le recouvrement.\n{link}\n"),
        ),
        (Locale::En, Notice::Withdrawn) => (
            format!("Dispute withdrawn: {account}, invoice {inv}"),
            format!("{account} withdrew its dispute of invoice {inv}: the amount is back in collection.\n{link}\n"),
        ),
        (Locale::Fr, Notice::Closed) => (
            format!("Litige clos : facture {inv}"),
            format!("Le litige sur la facture {inv} est clos.\n{link}\n"),
        ),
        (Locale::En, Notice::Closed) => (
            format!("Dispute closed: invoice {inv}"),
            format!("The dispute on invoice {inv} is closed.\n{link}\n"),
        ),
    }
}

/// The account's collector, or the owners when it has none.
pub(super) async fn notify_staff(tx: &mut Tx, state: &AppState, f: &Facts, kind: Notice, text: &str) -> AppResult<()> {
    let recipients = crate::mail::collector_or_owners(tx, f.account_id).await?;
    send(tx, state, f, &kind, text, recipients, &format!("/back/disputes/{}", f.id)).await
}

/// A collector's proposal: the owners decide.
pub(super) async fn notify_owners(
    tx: &mut Tx,
    state: &AppState,
    f: &Facts,
    proposed: i64,
    text: &str,
) -> AppResult<()> {
    let recipients = crate::mail::owners(tx).await?;
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    let link = format!("{}/back/disputes/{}", state.auth.public_url, f.id);
    let proposed = Money::new(proposed, f.amount.currency);
    for (email, locale) in recipients {
        let (p, a, q) = (proposed.format(locale), f.amount.format(locale), quote(text));
        let (inv, name) = (&f.invoice, &acc.legal_name);
        let (subject, body) = match locale {
            Locale::Fr => (
                format!("Litige à trancher : {name}, facture {inv}"),
                format!("Une résolution est proposée pour le litige de {name} sur la facture {inv} ({a} contestés) : accorder {p}.\n{q}\nDécider : {link}\n"),
            ),
            Locale::En => (
                format!("Dispute to decide: {name}, invoice {inv}"),
                format!("A resolution is proposed for {name}'s dispute on invoice {inv} ({a} disputed): grant {p}.\n{q}\nDecide: {link}\n"),
            ),
        };
        crate::mail::enqueue_tx(tx, state.clock.now(), &email, &subject, &body, Some(f.account_id)).await?;
    }
    Ok(())
}

/// The account's billing address, in its language.
pub(super) async fn notify_client(tx: &mut Tx, state: &AppState, f: &Facts, kind: Notice, text: &str) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    if acc.billing_email.is_empty() {
        return Ok(());
    }
    let locale = Locale::parse(&acc.language).unwrap_or_default();
    send(tx, state, f, &kind, text, vec![(acc.billing_email, locale)], &format!("/portal/disputes/{}", f.id)).await
}

pub(super) async fn send(
    tx: &mut Tx,
    state: &AppState,
    f: &Facts,
    kind: &Notice,
    text: &str,
    recipients: Vec<(String, Locale)>,
    path: &str,
) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    let company = crate::mail::company_name(crate::db::Conn::Tx(tx)).await?;
    let link = format!("{}{path}", state.auth.public_url);
    for (email, locale) in recipients {
        let (subject, body) = message(locale, kind, &company, &acc.legal_name, f, text, &link);
        crate::mail::enqueue_tx(tx, state.clock.now(), &email, &subject, &body, Some(f.account_id)).await?;
    }
    Ok(())
}
