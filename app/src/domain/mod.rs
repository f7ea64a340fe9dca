//! Pure domain types, shared by the server and the browser (compiles to wasm).

pub mod identity;
pub mod ledger;
pub mod locale;
pub mod money;

pub use identity::{EmailAddress, Role, Segment};
pub use ledger::{EntryKind, InvoiceState};
pub use locale::Locale;
pub use money::{Currency, Money, MoneyError};
