//! E-mails to the other side of a dispute, through the outbox. Their text
//! is in `crate::mail::messages`; this picks the recipients and the link.
use super::*;
pub(super) use crate::mail::DisputeNotice as Notice;
use crate::mail::{DisputeFacts, Message};

/// What every e-mail about a dispute names.
pub(super) struct Facts {
    pub(super) id: i64,
    pub(super) account_id: i64,
    pub(super) dispute: DisputeFacts,
}

impl Facts {
    pub(super) fn of(row: &SummaryRow) -> AppResult<Facts> {
        Ok(Facts {
            id: row.id,
            account_id: row.account_id,
            dispute: DisputeFacts {
                invoice: row.invoice_number.clone(),
                amount: Money::new(row.amount_minor, parse_currency(&row.currency)?),
            },
        })
    }
}

/// The account's collector, or the owners when it has none.
pub(super) async fn notify_staff(tx: &mut Tx, state: &AppState, f: &Facts, kind: Notice, text: &str) -> AppResult<()> {
    let recipients = crate::mail::collector_or_owners(tx, f.account_id).await?;
    send(tx, state, f, kind, text, recipients, &format!("/back/disputes/{}", f.id)).await
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
    let kind = Notice::Proposed(Money::new(proposed, f.dispute.amount.currency));
    send(tx, state, f, kind, text, recipients, &format!("/back/disputes/{}", f.id)).await
}

/// The account's billing address, in its language.
pub(super) async fn notify_client(tx: &mut Tx, state: &AppState, f: &Facts, kind: Notice, text: &str) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    if acc.billing_email.is_empty() {
        return Ok(());
    }
    let locale = Locale::parse(&acc.language).unwrap_or_default();
    send(tx, state, f, kind, text, vec![(acc.billing_email, locale)], &format!("/portal/disputes/{}", f.id)).await
}

async fn send(
    tx: &mut Tx,
    state: &AppState,
    f: &Facts,
    notice: Notice,
    text: &str,
    recipients: Vec<(String, Locale)>,
    path: &str,
) -> AppResult<()> {
    let acc = account(Conn::Tx(tx), f.account_id).await?;
    let company = crate::mail::company_name(Conn::Tx(tx)).await?;
    let link = format!("{}{path}", state.auth.public_url);
    let message = Message::Dispute {
        notice,
        company: &company,
        account: &acc.legal_name,
        dispute: &f.dispute,
        text,
        link: &link,
    };
    for (email, locale) in recipients {
        crate::mail::send(tx, state.clock.now(), &email, locale, &message, Some(f.account_id)).await?;
    }
    Ok(())
}
