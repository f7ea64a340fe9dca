//! Who is who: roles and e-mail addresses, parsed once at the boundary.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Collector,
    Accountant,
    Client,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Collector => "collector",
            Role::Accountant => "accountant",
            Role::Client => "client",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "owner" => Some(Role::Owner),
            "collector" => Some(Role::Collector),
            "accountant" => Some(Role::Accountant),
            "client" => Some(Role::Client),
            _ => None,
        }
    }

    pub fn is_staff(self) -> bool {
        !matches!(self, Role::Client)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Segment {
    Key,
    Standard,
    Small,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::Key, Segment::Standard, Segment::Small];

    pub fn as_str(self) -> &'static str {
        match self {
            Segment::Key => "key",
            Segment::Standard => "standard",
            Segment::Small => "small",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// A syntactically plausible, normalised (trimmed, lower-case) e-mail address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Option<EmailAddress> {
        let s = input.trim().to_lowercase();
        let (local, domain) = s.split_once('@')?;
        let ok = !local.is_empty()
            && local.len() <= 64
            && s.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
            && !domain.contains('@');
        ok.then_some(EmailAddress(s))
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// The text an account is found by: code, name and e-mail, lower-cased in
/// Rust (full Unicode), stored in `accounts.search_text`.
pub fn search_key(code: &str, legal_name: &str, billing_email: &str) -> String {
    format!("{code} {legal_name} {billing_email}").to_lowercase()
}

/// A `LIKE ... ESCAPE '\'` pattern matching `search` anywhere, lower-cased
/// the same way as `search_key`; empty when there is nothing to search.
pub fn like_pattern(search: Option<&str>) -> String {
    match search.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let mut pattern = String::from("%");
            for c in s.to_lowercase().chars() {
                if matches!(c, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            pattern
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn search_folds_unicode_and_escapes_wildcards() {
        assert_eq!(search_key("C0001", "ÉLECTRICITÉ Martin", "A@B.fr"), "c0001 électricité martin a@b.fr");
        assert_eq!(like_pattern(Some(" Électricité ")), "%électricité%");
        assert_eq!(like_pattern(Some("F_2025%")), "%f\\_2025\\%%");
        assert_eq!(like_pattern(Some("  ")), "");
        assert_eq!(like_pattern(None), "");
    }

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(EmailAddress::parse(" Anne@Example.FR ").unwrap().as_ref(), "anne@example.fr");
        for bad in ["", "anne", "anne@", "@x.fr", "a@b", "a@.fr", "a b@x.fr", "a@x..fr", "a@b@c.fr"] {
            assert!(EmailAddress::parse(bad).is_none(), "{bad} accepted");
        }
    }

    proptest! {
        #[test]
        fn parsed_email_is_stable(s in "[a-z0-9.]{1,20}@[a-z]{1,10}\\.[a-z]{2,5}") {
            let e = EmailAddress::parse(&s).unwrap();
            prop_assert_eq!(EmailAddress::parse(e.as_ref()).unwrap(), e);
        }
    }
}
