//! Stripe's test cards and IBANs, and what each does in the sandbox.

/// What a test card or IBAN does, as at Stripe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Behaviour {
    Succeed,
    /// Saving fails and so does every charge.
    DeclineAlways(&'static str),
    /// Saving works; charges fail.
    DeclineCharge(&'static str),
    /// 3-D Secure on every transaction; off-session charges fail.
    Authenticate,
    SepaSucceed,
    SepaFail(&'static str),
}

impl Behaviour {
    pub(super) fn as_str(self) -> String {
        match self {
            Behaviour::Succeed => "succeed".into(),
            Behaviour::DeclineAlways(c) => format!("decline_always:{c}"),
            Behaviour::DeclineCharge(c) => format!("decline_charge:{c}"),
            Behaviour::Authenticate => "authenticate".into(),
            Behaviour::SepaSucceed => "sepa_succeed".into(),
            Behaviour::SepaFail(c) => format!("sepa_fail:{c}"),
        }
    }

    pub(super) fn parse(s: &str) -> Behaviour {
        let code = |c: &str| -> &'static str {
            match c {
                "insufficient_funds" => "insufficient_funds",
                "expired_card" => "expired_card",
                "incorrect_cvc" => "incorrect_cvc",
                _ => "card_declined",
            }
        };
        match s.split_once(':') {
            Some(("decline_always", c)) => Behaviour::DeclineAlways(code(c)),
            Some(("decline_charge", c)) => Behaviour::DeclineCharge(code(c)),
            Some(("sepa_fail", c)) => Behaviour::SepaFail(code(c)),
            _ => match s {
                "authenticate" => Behaviour::Authenticate,
                "sepa_succeed" => Behaviour::SepaSucceed,
                _ => Behaviour::Succeed,
            },
        }
    }
}

/// Stripe's documented test cards (https://docs.stripe.com/testing).
pub(super) fn card_behaviour(number: &str) -> Option<(&'static str, Behaviour)> {
    Some(match number {
        "4242424242424242" | "4000056655665556" => ("visa", Behaviour::Succeed),
        "5555555555554444" | "2223003122003222" | "5200828282828210" => ("mastercard", Behaviour::Succeed),
        "378282246310005" | "371449635398431" => ("amex", Behaviour::Succeed),
        "4000002500003155" | "4000002760003184" | "4000003800000446" => ("visa", Behaviour::Authenticate),
        "4000000000000002" => ("visa", Behaviour::DeclineAlways("card_declined")),
        "4000000000009995" => ("visa", Behaviour::DeclineAlways("insufficient_funds")),
        "4000000000000069" => ("visa", Behaviour::DeclineAlways("expired_card")),
        "4000000000000127" => ("visa", Behaviour::DeclineAlways("incorrect_cvc")),
        "4000000000000341" => ("visa", Behaviour::DeclineCharge("card_declined")),
        _ => return None,
    })
}

/// Stripe's SEPA test IBANs; any other valid IBAN succeeds.
pub(super) fn iban_behaviour(iban: &str) -> Behaviour {
    match iban {
        "DE62370400440532013001" | "AT591904300235473203" => Behaviour::SepaFail("insufficient_funds"),
        _ => Behaviour::SepaSucceed,
    }
}

pub fn luhn_ok(digits: &str) -> bool {
    if digits.len() < 12 || digits.len() > 19 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 13616 check (mod 97); `iban` without spaces, upper case.
pub fn iban_ok(iban: &str) -> bool {
    if iban.len() < 15 || iban.len() > 34 || !iban.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    if !head[..2].bytes().all(|b| b.is_ascii_uppercase()) || !head[2..].bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut rem: u32 = 0;
    for b in tail.bytes().chain(head.bytes()) {
        let v = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

/// A card typed into the sandbox's form, checked the way Stripe.js would.
#[derive(Debug, PartialEq, Eq)]
pub enum CardInputError {
    Number,
    Expiry,
    Cvc,
    /// A real card number: refused in test mode, as at Stripe.
    LiveCard,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_iban_checks() {
        assert!(luhn_ok("4242424242424242"));
        assert!(luhn_ok("4000002760003184"));
        assert!(!luhn_ok("4242424242424241"));
        assert!(!luhn_ok("42424242"));
        assert!(iban_ok("DE89370400440532013000"));
        assert!(iban_ok("FR1420041010050500013M02606"));
        assert!(!iban_ok("DE89370400440532013001x"));
        assert!(!iban_ok("DE00370400440532013000"));
    }

    #[test]
    fn test_cards_behave_as_at_stripe() {
        assert_eq!(card_behaviour("4242424242424242"), Some(("visa", Behaviour::Succeed)));
        assert_eq!(card_behaviour("4000000000000002"), Some(("visa", Behaviour::DeclineAlways("card_declined"))));
        assert_eq!(card_behaviour("4000002760003184"), Some(("visa", Behaviour::Authenticate)));
        assert_eq!(card_behaviour("4111111111111111"), None);
        for b in
            [Behaviour::Succeed, Behaviour::DeclineCharge("insufficient_funds"), Behaviour::SepaFail("card_declined")]
        {
            assert_eq!(Behaviour::parse(&b.as_str()), b);
        }
    }
}
