//! Free text typed by someone (a note, a reason, a message): trimmed, and
//! refused past its limit with a field error, never cut.

use crate::error::{AppError, AppResult};
use crate::i18n::Msg;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Note(String);

impl Note {
    /// The default limit, in characters.
    pub const MAX_CHARS: usize = 1000;

    pub fn parse(field: &str, text: &str) -> AppResult<Note> {
        Self::parse_max(field, text, Self::MAX_CHARS)
    }

    /// At most `max` characters (as the form's `maxlength` says).
    pub fn parse_max(field: &str, text: &str, max: usize) -> AppResult<Note> {
        let text = text.trim();
        if text.chars().count() > max {
            return Err(AppError::field(field, Msg::TooLong));
        }
        Ok(Note(text.to_string()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for Note {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_past_its_limit_never_cut() {
        assert_eq!(Note::parse("note", &"é".repeat(1000)).unwrap().as_ref().chars().count(), 1000);
        assert_eq!(Note::parse("note", &"é".repeat(1001)), Err(AppError::field("note", Msg::TooLong)));
        assert_eq!(Note::parse_max("body", "  abc  ", 3).unwrap().as_ref(), "abc");
        assert_eq!(Note::parse_max("body", "abcd", 3), Err(AppError::field("body", Msg::TooLong)));
        assert!(Note::parse("note", "   ").unwrap().is_empty());
    }
}
