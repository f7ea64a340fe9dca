//! The record-a-payment form parsed once, and the rules that need no
//! database: which channels exist, which dates are allowed, how the
//! amounts typed against invoices must add up.

use super::{PartForm, ReceivedForm};
use crate::domain::{Currency, Money, Note};
use crate::error::{AppError, AppResult};
use crate::i18n::Msg;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// How money received outside the portal came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Transfer,
    Cheque,
    Cash,
    CardTerminal,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Channel::Transfer, Channel::Cheque, Channel::Cash, Channel::CardTerminal];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Transfer => "transfer",
            Channel::Cheque => "cheque",
            Channel::Cash => "cash",
            Channel::CardTerminal => "card_terminal",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn msg(self) -> Msg {
        match self {
            Channel::Transfer => Msg::ChannelTransfer,
            Channel::Cheque => Msg::ChannelCheque,
            Channel::Cash => Msg::ChannelCash,
            Channel::CardTerminal => Msg::ChannelCardTerminal,
        }
    }

    /// Whether money this way can be taken back by the bank: a cheque
    /// bounces, a transfer is recalled, a terminal payment is charged back.
    /// Cash cannot (a mistake in cash is corrected by a refund or a note).
    pub fn reversible(self) -> bool {
        self != Channel::Cash
    }
}

/// A reference as long as a SEPA remittance text.
pub const MAX_REFERENCE: usize = 140;

/// How far back a payment may be dated: a typo guard (a year typed 2062
/// or 1926), well beyond what a bookkeeper catches up on.
pub const MAX_AGE_DAYS: i64 = 3 * 366;

/// A payment received, every field checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub amount: Money,
    /// The bank's reference, the cheque's number: required for a cheque.
    pub reference: String,
    /// The invoices it pays and how much of each, in the order typed;
    /// empty: the oldest due first. What they do not take is credit.
    pub parts: Vec<(i64, i64)>,
    pub idempotency_key: String,
}

impl PartForm {
    /// The form's field for this invoice's amount.
    pub fn field(invoice_id: i64) -> String {
        format!("part.{invoice_id}")
    }
}

impl TryFrom<(ReceivedForm, Currency, NaiveDate)> for Received {
    type Error = AppError;

    /// `today` by the application clock: a payment is not received in the future.
    fn try_from((f, currency, today): (ReceivedForm, Currency, NaiveDate)) -> AppResult<Received> {
        let mut problems: Vec<(String, Msg)> = Vec::new();
        let channel = Channel::parse(f.channel.trim());
        if channel.is_none() {
            problems.push(("channel".into(), Msg::ChooseChannel));
        }
        let received_on = match NaiveDate::parse_from_str(f.received_on.trim(), "%Y-%m-%d") {
            Ok(d) if d > today => {
                problems.push(("received_on".into(), Msg::ReceivedInFuture));
                None
            }
            Ok(d) if (today - d).num_days() > MAX_AGE_DAYS => {
                problems.push(("received_on".into(), Msg::ReceivedTooOld));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(("received_on".into(), Msg::InvalidDate));
                None
            }
        };
        let amount = Money::parse_major(&f.amount, currency)
            .ok()
            .filter(|m| m.minor > 0 && m.minor <= crate::payments::MAX_AMOUNT_MINOR);
        if amount.is_none() {
            problems.push(("amount".into(), Msg::InvalidAmount));
        }
        let reference = match Note::parse_max("reference", &f.reference, MAX_REFERENCE) {
            Ok(r) => r.into_string(),
            Err(_) => {
                problems.push(("reference".into(), Msg::TooLong));
                String::new()
            }
        };
        if channel == Some(Channel::Cheque) && reference.is_empty() && !problems.iter().any(|(f, _)| f == "reference") {
            problems.push(("reference".into(), Msg::ChequeNumberRequired));
        }
        let mut parts: Vec<(i64, i64)> = Vec::new();
        for part in f.parts.iter().filter(|p| !p.amount.trim().is_empty()) {
            match Money::parse_major(&part.amount, currency).ok().filter(|m| m.minor > 0) {
                Some(m) if !parts.iter().any(|(id, _)| *id == part.invoice_id) => {
                    parts.push((part.invoice_id, m.minor))
                }
                _ => problems.push((PartForm::field(part.invoice_id), Msg::InvalidAmount)),
            }
        }
        if let Some(amount) = amount {
            let planned = parts.iter().try_fold(0_i64, |sum, (_, p)| sum.checked_add(*p));
            if planned.is_none_or(|p| p > amount.minor) {
                problems.push(("amount".into(), Msg::PartsExceedAmount));
            }
        }
        let key = f.idempotency_key.trim();
        if key.is_empty() || key.len() > 100 {
            problems.push(("idempotency_key".into(), Msg::InvalidInput));
        }
        match (channel, received_on, amount) {
            (Some(channel), Some(received_on), Some(amount)) if problems.is_empty() => {
                Ok(Received { channel, received_on, amount, reference, parts, idempotency_key: key.to_string() })
            }
            _ => Err(AppError::Validation(problems)),
        }
    }
}

/// Whether a payment may be reversed: only money recorded by staff, once
/// received and not yet reversed, by a channel the bank can take back.
pub fn check_reversible(status: &str, channel: Option<Channel>) -> Result<(), Msg> {
    match channel {
        None => Err(Msg::ReverseOnlyStaff),
        Some(c) if !c.reversible() => Err(Msg::CashNotReversible),
        Some(_) if status == "reversed" => Err(Msg::AlreadyReversed),
        Some(_) if status != "succeeded" => Err(Msg::ReverseOnlyStaff),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap()
    }

    fn form() -> ReceivedForm {
        ReceivedForm {
            account_id: 7,
            channel: "transfer".into(),
            received_on: "2026-11-30".into(),
            amount: "1 200,50".into(),
            reference: "VIR SEPA 123".into(),
            parts: Vec::new(),
            idempotency_key: "k1".into(),
        }
    }

    fn parse(f: ReceivedForm) -> AppResult<Received> {
        Received::try_from((f, Currency::Eur, today()))
    }

    fn fields(err: AppError) -> Vec<(String, Msg)> {
        match err {
            AppError::Validation(v) => v,
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_transfer_for_the_oldest_invoices() {
        let r = parse(form()).unwrap();
        assert_eq!(r.channel, Channel::Transfer);
        assert_eq!(r.amount.minor, 120_050);
        assert_eq!(r.received_on, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert!(r.parts.is_empty());
        assert_eq!(r.reference, "VIR SEPA 123");
    }

    #[test]
    fn chosen_invoices_keep_their_order_and_blank_rows_are_skipped() {
        let mut f = form();
        f.parts = vec![
            PartForm { invoice_id: 3, amount: "200".into() },
            PartForm { invoice_id: 9, amount: " ".into() },
            PartForm { invoice_id: 1, amount: "1000.50".into() },
        ];
        assert_eq!(parse(f).unwrap().parts, vec![(3, 20_000), (1, 100_050)]);
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let f = ReceivedForm {
            account_id: 7,
            channel: "bitcoin".into(),
            received_on: "2026-12-03".into(),
            amount: "-5".into(),
            reference: "x".repeat(141),
            parts: vec![PartForm { invoice_id: 4, amount: "abc".into() }],
            idempotency_key: String::new(),
        };
        let got = fields(parse(f).unwrap_err());
        let want = [
            ("channel", Msg::ChooseChannel),
            ("received_on", Msg::ReceivedInFuture),
            ("amount", Msg::InvalidAmount),
            ("reference", Msg::TooLong),
            ("part.4", Msg::InvalidAmount),
            ("idempotency_key", Msg::InvalidInput),
        ];
        for (field, msg) in want {
            assert!(got.contains(&(field.to_string(), msg)), "{field} missing from {got:?}");
        }
    }

    #[test]
    fn dates_today_and_back_three_years_are_accepted() {
        for (date, ok) in [("2026-12-02", true), ("2023-12-02", true), ("2023-11-01", false), ("02/12/2026", false)] {
            let mut f = form();
            f.received_on = date.into();
            assert_eq!(parse(f).is_ok(), ok, "{date}");
        }
    }

    #[test]
    fn a_cheque_needs_its_number() {
        let mut f = form();
        f.channel = "cheque".into();
        f.reference = "  ".into();
        assert_eq!(fields(parse(f).unwrap_err()), vec![("reference".into(), Msg::ChequeNumberRequired)]);
    }

    #[test]
    fn parts_may_not_add_up_to_more_than_the_payment() {
        let mut f = form();
        f.amount = "100".into();
        f.parts =
            vec![PartForm { invoice_id: 1, amount: "60".into() }, PartForm { invoice_id: 2, amount: "40".into() }];
        assert!(parse(f.clone()).is_ok());
        f.parts[1].amount = "40.01".into();
        assert_eq!(fields(parse(f).unwrap_err()), vec![("amount".into(), Msg::PartsExceedAmount)]);
    }

    #[test]
    fn the_same_invoice_twice_is_refused() {
        let mut f = form();
        f.parts = vec![PartForm { invoice_id: 1, amount: "6".into() }, PartForm { invoice_id: 1, amount: "4".into() }];
        assert_eq!(fields(parse(f).unwrap_err()), vec![("part.1".into(), Msg::InvalidAmount)]);
    }

    #[test]
    fn what_may_be_reversed() {
        assert_eq!(check_reversible("succeeded", Some(Channel::Cheque)), Ok(()));
        assert_eq!(check_reversible("succeeded", Some(Channel::Transfer)), Ok(()));
        assert_eq!(check_reversible("succeeded", Some(Channel::Cash)), Err(Msg::CashNotReversible));
        assert_eq!(check_reversible("reversed", Some(Channel::Cheque)), Err(Msg::AlreadyReversed));
        assert_eq!(check_reversible("succeeded", None), Err(Msg::ReverseOnlyStaff));
    }
}
