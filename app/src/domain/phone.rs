//! Phone numbers for text messages: the free-text number on an account,
//! read as an E.164 number (`+33612345678`) the SMS provider accepts. A
//! national number (`06 12 34 56 78`) takes the account's country code.

/// Calling codes of the countries whose national numbers start with a
/// trunk `0` that E.164 drops.
const TRUNK_ZERO: [(&str, &str); 12] = [
    ("FR", "33"),
    ("BE", "32"),
    ("CH", "41"),
    ("DE", "49"),
    ("GB", "44"),
    ("IE", "353"),
    ("IT", "39"),
    ("NL", "31"),
    ("AT", "43"),
    ("PT", "351"),
    ("LU", "352"),
    ("MC", "377"),
];

/// `raw` as E.164, or `None` when it is no dialable number: empty, letters,
/// too short or too long, or national without a known country code.
pub fn e164(raw: &str, country: &str) -> Option<String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed.chars().any(|c| !(c.is_ascii_digit() || " .-()/+".contains(c))) {
        return None;
    }
    let plus = trimmed.starts_with('+');
    if trimmed[usize::from(plus)..].contains('+') {
        return None;
    }
    let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if let Some(rest) = digits.strip_prefix('0') {
        let (_, code) = TRUNK_ZERO.iter().find(|(c, _)| c.eq_ignore_ascii_case(country.trim()))?;
        format!("{code}{rest}")
    } else {
        return None;
    };
    // E.164: a country code not starting with 0, at most 15 digits.
    let dialable = (8..=15).contains(&international.len()) && !international.starts_with('0');
    dialable.then(|| format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::e164;

    #[test]
    fn national_and_international_numbers_read_as_e164() {
        assert_eq!(e164("06 12 34 56 78", "FR").as_deref(), Some("+33612345678"));
        assert_eq!(e164("06.12.34.56.78", "fr").as_deref(), Some("+33612345678"));
        assert_eq!(e164("+33 6 12 34 56 78", "GB").as_deref(), Some("+33612345678"));
        assert_eq!(e164("0033612345678", "DE").as_deref(), Some("+33612345678"));
        assert_eq!(e164("07700 900123", "GB").as_deref(), Some("+447700900123"));
        assert_eq!(e164("+1 (415) 555-0100", "FR").as_deref(), Some("+14155550100"));
    }

    #[test]
    fn what_is_no_number_is_refused() {
        for raw in
            ["", "  ", "appeler le standard", "06 12", "+0612345678", "0612345678", "+33 6 12+34", "+1234567890123456"]
        {
            let country = if raw == "0612345678" { "US" } else { "FR" };
            assert_eq!(e164(raw, country), None, "{raw:?}");
        }
    }
}
