//! Invoice arithmetic and balance derivation: the pure rules. Entries are
//! immutable; the balances derived from them are stored by the ledger's
//! writer (`crate::ledger`) and verified against them.

use super::money::{round_minor, sum, Currency, Money, MoneyError};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    Invoice,
    Payment,
    CreditNote,
    Fee,
    WriteOff,
    /// Money given back to the client: the debt grows again.
    Refund,
    /// A refund that failed after it was posted: the debt goes back down.
    RefundReversal,
    /// Unapplied credit moved onto an invoice: a pair of entries of opposite
    /// signs (credit side without invoice, invoice side negative).
    CreditApplied,
    /// Money received, then taken back (a bounced cheque, a recalled
    /// transfer): the debt the payment settled is owed again.
    PaymentReversal,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Invoice => "invoice",
            EntryKind::Payment => "payment",
            EntryKind::CreditNote => "credit_note",
            EntryKind::Fee => "fee",
            EntryKind::WriteOff => "write_off",
            EntryKind::Refund => "refund",
            EntryKind::RefundReversal => "refund_reversal",
            EntryKind::CreditApplied => "credit_applied",
            EntryKind::PaymentReversal => "payment_reversal",
        }
    }

    pub fn parse(s: &str) -> Option<EntryKind> {
        [
            EntryKind::Invoice,
            EntryKind::Payment,
            EntryKind::CreditNote,
            EntryKind::Fee,
            EntryKind::WriteOff,
            EntryKind::Refund,
            EntryKind::RefundReversal,
            EntryKind::CreditApplied,
            EntryKind::PaymentReversal,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Invoices, fees, refunds and reversed payments increase the debt;
    /// everything else reduces it (a credit transfer is signed by the
    /// caller, see `CreditApplied`).
    pub fn increases_debt(self) -> bool {
        matches!(self, EntryKind::Invoice | EntryKind::Fee | EntryKind::Refund | EntryKind::PaymentReversal)
    }

    /// Signs a positive magnitude the way the ledger stores it.
    pub fn signed(self, magnitude: Money) -> Result<Money, MoneyError> {
        if magnitude.minor <= 0 {
            return Err(MoneyError::Invalid);
        }
        if self.increases_debt() {
            Ok(magnitude)
        } else {
            magnitude.checked_neg()
        }
    }
}

/// One invoice line's amounts: net = quantity × unit price, tax = net × rate,
/// each rounded half away from zero to the minor unit.
pub fn line_amounts(quantity_milli: i64, unit_price_minor: i64, tax_rate_bp: i32) -> Result<(i64, i64), MoneyError> {
    let qty = Decimal::new(quantity_milli, 3);
    let net = qty.checked_mul(Decimal::from(unit_price_minor)).ok_or(MoneyError::Overflow)?;
    let net = round_minor(net)?;
    let tax = Decimal::from(net).checked_mul(tax_rate(tax_rate_bp)).ok_or(MoneyError::Overflow)?;
    Ok((net, round_minor(tax)?))
}

/// A tax rate stored in basis points (2000 = 20 %), as a fraction.
pub fn tax_rate(bp: i32) -> Decimal {
    Decimal::new(bp.into(), 4)
}

/// A rate in basis points as a percentage for display: 2000 -> "20", 550 -> "5.5".
pub fn tax_rate_percent(bp: i32) -> Decimal {
    Decimal::new(bp.into(), 2).normalize()
}

/// Balance of a set of signed ledger amounts in one currency.
pub fn balance(currency: Currency, entries: &[Money]) -> Result<Money, MoneyError> {
    sum(currency, entries.iter().copied())
}

/// Spreads `amount` over invoices in the order given (oldest due first),
/// each up to what it still owes. Returns the allocations (invoice id,
/// amount > 0) and what is left over, which becomes account credit.
pub fn allocate(amount: i64, owed: &[(i64, i64)]) -> (Vec<(i64, i64)>, i64) {
    let mut left = amount.max(0);
    let mut out = Vec::new();
    for &(invoice, due) in owed {
        if left == 0 {
            break;
        }
        let take = due.min(left);
        if take > 0 {
            out.push((invoice, take));
            left -= take;
        }
    }
    (out, left)
}

/// Where an invoice stands for the person reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceState {
    Paid,
    Open,
    PartiallyPaid,
    Overdue,
    /// Still owed, covered by an active promise to pay: collection paused.
    Promised,
    /// What is still owed is all under a dispute in progress: out of
    /// collection until the owner decides.
    Disputed,
    Void,
}

impl InvoiceState {
    /// `balance` is what remains due on the invoice; `total` its amount.
    pub fn derive(void: bool, total_minor: i64, balance_minor: i64, due: NaiveDate, today: NaiveDate) -> Self {
        if void {
            InvoiceState::Void
        } else if balance_minor <= 0 {
            InvoiceState::Paid
        } else if due < today {
            InvoiceState::Overdue
        } else if balance_minor < total_minor {
            InvoiceState::PartiallyPaid
        } else {
            InvoiceState::Open
        }
    }

    /// The state once an active promise to pay is taken into account: an
    /// invoice still owed under a promise is *promised*, not overdue.
    pub fn promised(self, promised: bool) -> Self {
        match self {
            InvoiceState::Open | InvoiceState::PartiallyPaid | InvoiceState::Overdue if promised => {
                InvoiceState::Promised
            }
            other => other,
        }
    }

    /// The state once disputes in progress are taken into account: an
    /// invoice whose whole remaining balance is disputed is *disputed*.
    /// A partly disputed invoice keeps its state; its figures leave the
    /// disputed part out.
    pub fn disputed(self, disputed_minor: i64, balance_minor: i64) -> Self {
        match self {
            InvoiceState::Open | InvoiceState::PartiallyPaid | InvoiceState::Overdue | InvoiceState::Promised
                if balance_minor > 0 && disputed_minor >= balance_minor =>
            {
                InvoiceState::Disputed
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_amounts_round_half_away_from_zero() {
        // 1.5 × 0.33 € = 0.495 € -> 0.50 €; 20 % VAT -> 0.10 €
        assert_eq!(line_amounts(1500, 33, 2000), Ok((50, 10)));
        // 3 × 19.99 € at 5.5 % -> 59.97 €, tax 3.298... -> 3.30 €
        assert_eq!(line_amounts(3000, 1999, 550), Ok((5997, 330)));
        assert_eq!(line_amounts(1000, -1000, 2000), Ok((-1000, -200)));
        assert_eq!(tax_rate_percent(550).to_string(), "5.5");
        assert_eq!(tax_rate_percent(2000).to_string(), "20");
    }

    #[test]
    fn invoice_state_follows_balance_and_dates() {
        let d = |day| NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        assert_eq!(InvoiceState::derive(false, 100, 0, d(1), d(22)), InvoiceState::Paid);
        assert_eq!(InvoiceState::derive(false, 100, 100, d(21), d(22)), InvoiceState::Overdue);
        assert_eq!(InvoiceState::derive(false, 100, 100, d(22), d(22)), InvoiceState::Open);
        assert_eq!(InvoiceState::derive(false, 100, 40, d(23), d(22)), InvoiceState::PartiallyPaid);
        assert_eq!(InvoiceState::derive(true, 100, 100, d(1), d(22)), InvoiceState::Void);
        let overdue = InvoiceState::derive(false, 100, 100, d(21), d(22));
        assert_eq!(overdue.disputed(100, 100), InvoiceState::Disputed);
        assert_eq!(overdue.disputed(40, 100), InvoiceState::Overdue, "partly disputed keeps its state");
        assert_eq!(InvoiceState::Paid.disputed(100, 0), InvoiceState::Paid);
    }

    #[test]
    fn signing_follows_entry_kind() {
        let m = Money::new(500, Currency::Eur);
        assert_eq!(EntryKind::Invoice.signed(m).unwrap().minor, 500);
        assert_eq!(EntryKind::Payment.signed(m).unwrap().minor, -500);
        assert!(EntryKind::Payment.signed(Money::new(0, Currency::Eur)).is_err());
    }

    #[test]
    fn allocation_pays_oldest_first_and_keeps_the_rest() {
        let owed = [(1, 300), (2, 500), (3, 200)];
        assert_eq!(allocate(600, &owed), (vec![(1, 300), (2, 300)], 0));
        assert_eq!(allocate(1100, &owed), (vec![(1, 300), (2, 500), (3, 200)], 100));
        assert_eq!(allocate(0, &owed), (vec![], 0));
        assert_eq!(allocate(50, &[(1, 0), (2, 80)]), (vec![(2, 50)], 0));
    }

    proptest! {
        /// Allocations never exceed what an invoice owes, and with the
        /// remainder they add up to the amount paid.
        #[test]
        fn allocation_conserves_money(amount in 0i64..10_000_000, dues in proptest::collection::vec(0i64..1_000_000, 0..20)) {
            let owed: Vec<(i64, i64)> = dues.iter().enumerate().map(|(i, d)| (i as i64, *d)).collect();
            let (parts, rest) = allocate(amount, &owed);
            prop_assert_eq!(parts.iter().map(|p| p.1).sum::<i64>() + rest, amount);
            for (id, part) in &parts {
                let due = owed.iter().find(|o| o.0 == *id).unwrap().1;
                prop_assert!(*part > 0 && *part <= due);
            }
            prop_assert!(rest == 0 || parts.iter().map(|p| p.1).sum::<i64>() == owed.iter().map(|o| o.1).sum::<i64>());
        }

        /// Invoicing amounts and then paying exactly them always settles the balance,
        /// and a partial payment leaves exactly the remainder.
        #[test]
        fn paying_invoices_settles_balance(totals in proptest::collection::vec(1i64..10_000_000, 1..20), paid_share in 0u8..=100) {
            let mut entries = Vec::new();
            for t in &totals {
                entries.push(EntryKind::Invoice.signed(Money::new(*t, Currency::Eur)).unwrap());
            }
            let owed: i64 = totals.iter().sum();
            let paid = owed * i64::from(paid_share) / 100;
            if paid > 0 {
                entries.push(EntryKind::Payment.signed(Money::new(paid, Currency::Eur)).unwrap());
            }
            let b = balance(Currency::Eur, &entries).unwrap();
            prop_assert_eq!(b.minor, owed - paid);
            prop_assert!(b.minor >= 0);
        }

        #[test]
        fn line_tax_never_exceeds_net(qty in 1i64..1_000_000, price in 0i64..10_000_000, bp in 0i32..=10_000) {
            let (net, tax) = line_amounts(qty, price, bp).unwrap();
            prop_assert!(net >= 0 && tax >= 0 && tax <= net);
        }
    }
}
