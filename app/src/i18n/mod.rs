//! Every user-visible string, in French and English. The macro makes a
//! missing translation a compile error rather than a blank on screen.

use crate::domain::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! messages {
    ($($key:ident => $fr:expr, $en:expr;)*) => {
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Msg { $($key,)* }

        impl Msg {
            /// Every key, in declaration order: `Msg::X as usize` is its
            /// index in the tables below.
            pub(super) const ALL: &'static [Msg] = &[$(Msg::$key,)*];
            /// Each key's name, as it travels (JSON: `"InvalidInput"`).
            pub(super) const NAMES: &'static [&'static str] = &[$(stringify!($key),)*];
            pub(super) const FR: &'static [&'static str] = &[$($fr,)*];
            pub(super) const EN: &'static [&'static str] = &[$($en,)*];
        }
    };
}

// Tables rather than `match`es and derives: the browser's bundle carries
// about a thousand keys, and a derived `Deserialize` alone (a comparison
// per name, twice over) cost ~120 KB of wasm; these are data, a few
// instructions of code.
impl Msg {
    pub fn text(self, locale: Locale) -> &'static str {
        let table = match locale {
            Locale::Fr => Self::FR,
            Locale::En => Self::EN,
        };
        table[self as usize]
    }

    /// The key's name (`InvalidInput`).
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The key of a name, if there is one.
    pub fn from_name(name: &str) -> Option<Msg> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
    }
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Msg {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Msg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Msg, D::Error> {
        struct Name;
        impl serde::de::Visitor<'_> for Name {
            type Value = Msg;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a message key")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Msg, E> {
                Msg::from_name(v).ok_or_else(|| E::invalid_value(serde::de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_str(Name)
    }
}

mod messages;
pub use messages::Msg;

/// The locale of the current page, provided once by `App`.
#[derive(Clone, Copy)]
pub struct CurrentLocale(pub Signal<Locale>);

pub fn use_locale() -> Signal<Locale> {
    use_context::<CurrentLocale>().map(|c| c.0).unwrap_or_else(|| Signal::stored(Locale::Fr))
}

/// Translate a key reactively in the current locale.
pub fn t(msg: Msg) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    let locale = use_locale();
    move || msg.text(locale.get())
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_travels_by_its_name_and_finds_its_texts() {
        assert_eq!(Msg::ALL.len(), Msg::NAMES.len());
        assert_eq!((Msg::FR.len(), Msg::EN.len()), (Msg::ALL.len(), Msg::ALL.len()));
        for (i, &msg) in Msg::ALL.iter().enumerate() {
            assert_eq!(msg as usize, i);
            let json = serde_json::to_string(&msg).unwrap();
            assert_eq!(json, format!("\"{}\"", msg.name()));
            assert_eq!(format!("{msg:?}"), msg.name());
            assert_eq!(serde_json::from_str::<Msg>(&json).unwrap(), msg);
            assert_eq!(Msg::from_name(msg.name()), Some(msg));
        }
        assert_eq!(Msg::InvalidInput.name(), "InvalidInput");
        assert_eq!(Msg::ChannelLetter.text(Locale::Fr), "Courrier");
        assert_eq!(Msg::ChannelLetter.text(Locale::En), "Letter");
        assert!(serde_json::from_str::<Msg>("\"NoSuchKey\"").is_err());
        assert!(serde_json::from_str::<Msg>("3").is_err());
    }
}
