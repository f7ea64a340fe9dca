//! Pure domain types, shared by the server and the browser (compiles to wasm).

pub mod calendar;
pub mod company;
pub mod credit;
pub mod document;
pub mod identity;
pub mod late_charges;
pub mod ledger;
pub mod locale;
pub mod money;
pub mod phone;
pub mod text;

pub use calendar::{Holiday, HolidayCalendar, SendWindow};
pub use company::{Country, CustomerKind, PaymentTerms, Siren, Siret, VatNumber};
pub use document::{DraftLine, EarlyPaymentDiscount, LineProblem, LineTotals, Totals, VatBreakdown, VatCategory};
pub use identity::{like_pattern, search_key, EmailAddress, Role, Segment};
pub use late_charges::{Jurisdiction, LateChargeError, RateKind, RateTable};
pub use ledger::{EntryKind, InvoiceState};
pub use locale::Locale;
pub use money::{Currency, Money, MoneyError};
pub use text::Note;
