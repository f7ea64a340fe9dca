//! Every page of the site, and which part of the browser's bundle holds it.
//!
//! The wasm is split (`scripts/build-site.sh` runs `wasm-split-cli`): the
//! main part carries the runtime, the router, the shell and what every page
//! shares; each group below is a part of its own, loaded the first time the
//! router shows one of its pages. A client's browser never downloads the
//! back-office. The server renders every page in full as before and names
//! the parts a page needs in its `<head>` (`<link rel="preload">`, see
//! `shell::set_bundle_parts`), so the browser fetches them beside the main
//! part rather than after it.
//!
//! Pages are grouped, not one part each: with a part per page the splitter
//! cuts the code that pages share into hundreds of small files (about 900
//! for 42 pages, 90 to 440 requests for one page), each compressed on its
//! own. A group loads in a few requests, and moving between a group's pages
//! loads nothing more.
//!
//! Each page is a route type for `<Route view={Lazy::<pages::X>::new()}>`
//! in `shell::App`; a page that two paths show (an invoice, a dispute) is
//! one type.
//!
//! Some pages are **documents** ([`is_document`]): opened from the address
//! bar, a link or a form post, the server sends them without the bundle:
//! no wasm, no loader, no preloads, and none of the data a hydration
//! reads. They are what a client sees first (signing in, the overview, the
//! invoices, an invoice, the history) and hold nothing a script would add
//! to: links, GET filter forms and plain form posts, which the server
//! answers with a redirect. A client's first
//! visit is then the page and its stylesheet. The other pages hydrate as
//! above; moving from one of them to a document inside the app (the router
//! is running) still renders it in the browser from its part.

use leptos::prelude::*;
use leptos_router::LazyRoute;

macro_rules! parts {
    ($(
        $(#[$doc:meta])*
        $part:ident / $preload:ident, $which:ident {
            $($route:ident => $page:path,)*
        }
    )*) => {$(
        /// The pages of one part of the bundle (`#[lazy]` functions
        /// take plain arguments: an enum names the page).
        #[derive(Clone, Copy, Debug)]
        #[repr(u8)]
        pub enum $which {
            $($route,)*
        }

        $(#[$doc])*
        #[leptos::lazy]
        fn $part(page: $which) -> AnyView {
            match page {
                $($which::$route => $page().into_any(),)*
            }
        }

        $(
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $part($which::$route).await
                }

                // The router awaits this before it hydrates or renders the
                // page: the part is then loaded and `view` is ready at once.
                // Without it, hydration meets a page still loading where the
                // server's HTML has it rendered, and stops.
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*
    )*};
}

parts! {
    /// Signing in, a forgotten password, an invitation or reset link, changing the password: the pages of someone not yet in.
    auth_pages / __preload_auth_pages, AuthPage {
        Login => crate::auth::LoginPage,
        Forgot => crate::auth::ForgotPage,
        Token => crate::auth::TokenPage,
        Password => crate::auth::PasswordPage,
    }
    /// The client portal's first pages: what a client sees once signed in (the overview, the invoices, the history). The invoice page also serves the back-office.
    portal_pages / __preload_portal_pages, PortalPage {
        Overview => crate::portal::OverviewPage,
        PortalInvoices => crate::portal::InvoicesPage,
        PortalInvoice => crate::portal::InvoicePage,
        History => crate::portal::history::HistoryPage,
    }
    /// The client portal's payments: paying (one invoice, several, an amount), the payments made, a receipt, saved methods.
    pay_pages / __preload_pay_pages, PaymentPage {
        Pay => crate::payments::pages::PayPage,
        Payments => crate::payments::pages::PaymentsPage,
        Receipt => crate::payments::pages::ReceiptPage,
        Methods => crate::payments::pages::MethodsPage,
    }
    /// The client portal's promises and disputes. The dispute page also serves the back-office.
    hold_pages / __preload_hold_pages, HoldPage {
        Promise => crate::promises::pages::PromisePage,
        MyPromises => crate::promises::pages::MyPromisesPage,
        NewDispute => crate::disputes::pages::NewDisputePage,
        MyDisputes => crate::disputes::pages::MyDisputesPage,
        Dispute => crate::disputes::pages::DisputePage,
    }
    /// Paying by a link without an account, and the sandbox's card check.
    public_pages / __preload_public_pages, PublicPage {
        Link => crate::payments::pages::LinkPage,
        SandboxAuth => crate::payments::pages::SandboxAuthPage,
    }
    /// The back-office: staff pages, never downloaded by a client.
    back_pages / __preload_back_pages, BackPage {
        BackPromises => crate::promises::pages::BackPromisesPage,
        BackDisputes => crate::disputes::pages::BackDisputesPage,
        BackPayments => crate::payments::back::BackPaymentsPage,
        BackPayment => crate::payments::back::BackPaymentPage,
        BackAccounts => crate::backoffice::AccountsPage,
        NewAccount => crate::accounts::pages::NewAccountPage,
        BackAccount => crate::backoffice::AccountPage,
        EditAccount => crate::accounts::pages::EditAccountPage,
        NewDraft => crate::invoicing::pages::NewDraftPage,
        Draft => crate::invoicing::pages::DraftPage,
        NewRecurring => crate::invoicing::pages::NewRecurringPage,
        BackInvoices => crate::backoffice::InvoicesPage,
        Team => crate::backoffice::TeamPage,
        Outbox => crate::backoffice::OutboxPage,
        Imports => crate::imports::pages::ImportsPage,
        Import => crate::imports::pages::ImportPage,
        Settings => crate::settings::SettingsPage,
        Plans => crate::reminders::pages::PlansPage,
        Approvals => crate::reminders::approvals::ApprovalsPage,
        Calendar => crate::reminders::calendar::CalendarPage,
        ClaimsAtRisk => crate::legal::pages::ClaimsAtRiskPage,
        Rates => crate::legal::rates::RatesPage,
        Todo => crate::reminders::pages::TodoPage,
        Aging => crate::aging::pages::AgingPage,
        AgingInvoices => crate::aging::pages::AgingInvoicesPage,
        Exports => crate::exports::ExportsPage,
        Dashboard => crate::dashboard::DashboardPage,
        Indicators => crate::indicators::pages::IndicatorsPage,
    }
}

/// Whether the page at `path` (a request's path, without its query) is a
/// document: served without the wasm bundle (see the module's
/// documentation). The paths are those of `shell::App`'s routes
/// for the login page and the client portal's first pages; the back-office
/// path of an invoice (`/back/invoices/:id`) hydrates like the rest of the
/// back-office.
pub fn is_document(path: &str) -> bool {
    let path = match path.strip_suffix('/') {
        Some(p) if !p.is_empty() => p,
        _ => path,
    };
    match path {
        "/login" | "/portal" | "/portal/invoices" | "/portal/history" => true,
        _ => path
            .strip_prefix("/portal/invoices/")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())),
    }
}

#[cfg(test)]
mod tests {
    use super::is_document;

    #[test]
    fn the_client_s_first_pages_are_documents_and_no_other() {
        for path in ["/login", "/portal", "/portal/", "/portal/invoices", "/portal/invoices/42", "/portal/history"] {
            assert!(is_document(path), "{path}");
        }
        for path in [
            "/",
            "/forgot",
            "/portal/pay",
            "/portal/payments",
            "/portal/promises",
            "/portal/disputes/3",
            "/portal/invoices/42/pdf",
            "/portal/invoices/x",
            "/back/invoices/42",
            "/back",
            "/pay/abc",
            "/loginx",
        ] {
            assert!(!is_document(path), "{path}");
        }
    }
}
