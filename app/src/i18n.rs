//! Every user-visible string, in French and English. The macro makes a
//! missing translation a compile error rather than a blank on screen.

use crate::domain::Locale;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! messages {
    ($($key:ident => $fr:expr, $en:expr;)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Msg { $($key,)* }

        impl Msg {
            pub fn text(self, locale: Locale) -> &'static str {
                match (self, locale) {
                    $((Msg::$key, Locale::Fr) => $fr, (Msg::$key, Locale::En) => $en,)*
                }
            }
        }
    };
}

messages! {
    AppName => "Relance", "Relance";
    SkipToContent => "Aller au contenu", "Skip to content";
    // Authentication
    LoginTitle => "Connexion", "Sign in";
    LoginIntro => "Connectez-vous pour consulter vos factures et votre solde.", "Sign in to see your invoices and balance.";
    Email => "Adresse e-mail", "Email address";
    Password => "Mot de passe", "Password";
    SignIn => "Se connecter", "Sign in";
    SignOut => "Se déconnecter", "Sign out";
    ForgotPassword => "Mot de passe oublié ?", "Forgot your password?";
    BadCredentials => "Adresse e-mail ou mot de passe incorrect.", "Incorrect email address or password.";
    TooManyAttempts => "Trop de tentatives. Réessayez dans quelques minutes.", "Too many attempts. Please try again in a few minutes.";
    NotSignedIn => "Votre session a expiré. Veuillez vous reconnecter.", "Your session has ended. Please sign in again.";
    Forbidden => "Vous n'avez pas accès à cette page.", "You do not have access to this page.";
    NotFound => "Introuvable.", "Not found.";
    InternalError => "Une erreur inattendue s'est produite. Réessayez plus tard.", "Something went wrong on our side. Please try again later.";
    InvalidInput => "Veuillez corriger les champs signalés.", "Please correct the highlighted fields.";
    InvalidEmail => "Adresse e-mail invalide.", "Invalid email address.";
    EmailTaken => "Cette adresse e-mail est déjà utilisée.", "This email address is already in use.";
    PasswordTooShort => "Le mot de passe doit contenir au moins 10 caractères.", "Password must be at least 10 characters long.";
    PasswordsDiffer => "Les deux mots de passe ne correspondent pas.", "The two passwords do not match.";
    WrongCurrentPassword => "Le mot de passe actuel est incorrect.", "The current password is incorrect.";
    LinkInvalid => "Ce lien est invalide ou a expiré. Demandez-en un nouveau.", "This link is invalid or has expired. Please ask for a new one.";
    RequiredField => "Ce champ est obligatoire.", "This field is required.";
    Language => "Langue", "Language";
    SwitchLanguage => "English", "Français";
    // Password flows
    ChooseNewPassword => "Choisir un mot de passe", "Choose a password";
    NewPassword => "Nouveau mot de passe", "New password";
    ConfirmPassword => "Confirmer le mot de passe", "Confirm password";
    CurrentPassword => "Mot de passe actuel", "Current password";
    SavePassword => "Enregistrer le mot de passe", "Save password";
    PasswordSaved => "Mot de passe enregistré. Vous pouvez vous connecter.", "Password saved. You can now sign in.";
    PasswordChanged => "Mot de passe modifié. Vos autres sessions ont été fermées.", "Password changed. Your other sessions have been signed out.";
    ChangePassword => "Changer de mot de passe", "Change password";
    ResetTitle => "Réinitialiser le mot de passe", "Reset your password";
    ResetIntro => "Indiquez votre adresse e-mail : si un compte existe, vous recevrez un lien valable une heure.", "Enter your email address: if an account exists, you will receive a link valid for one hour.";
    SendResetLink => "Envoyer le lien", "Send the link";
    ResetSent => "Si un compte existe pour cette adresse, un e-mail vient d'être envoyé.", "If an account exists for this address, an email is on its way.";
    BackToLogin => "Retour à la connexion", "Back to sign in";
    // Portal
    Overview => "Vue d'ensemble", "Overview";
    Invoices => "Factures", "Invoices";
    BalanceDue => "Solde dû", "Balance due";
    OverdueAmount => "Montant en retard", "Overdue amount";
    NextDueDate => "Prochaine échéance", "Next due date";
    NothingDue => "Rien à payer", "Nothing due";
    OpenInvoices => "Factures ouvertes", "Open invoices";
    NoInvoices => "Aucune facture.", "No invoices.";
    SeeAllInvoices => "Voir toutes les factures", "See all invoices";
    CreditAvailable => "Avoir disponible", "Credit available";
    FilterOpen => "Ouvertes", "Open";
    FilterOverdue => "En retard", "Overdue";
    FilterPaid => "Payées", "Paid";
    FilterAll => "Toutes", "All";
    SortBy => "Trier par", "Sort by";
    SortDueAsc => "Échéance (plus ancienne)", "Due date (oldest)";
    SortDueDesc => "Échéance (plus récente)", "Due date (newest)";
    SortAmountDesc => "Montant (décroissant)", "Amount (highest)";
    SortNumber => "Numéro", "Number";
    Apply => "Appliquer", "Apply";
    Number => "Numéro", "Number";
    IssueDate => "Date d'émission", "Issue date";
    DueDate => "Échéance", "Due date";
    Amount => "Montant", "Amount";
    AmountDue => "Reste dû", "Amount due";
    Status => "Statut", "Status";
    StatePaid => "Payée", "Paid";
    StateOpen => "À payer", "Open";
    StatePartiallyPaid => "Partiellement payée", "Partially paid";
    StateOverdue => "En retard", "Overdue";
    StateVoid => "Annulée", "Void";
    InvoiceTitle => "Facture", "Invoice";
    Description => "Description", "Description";
    Quantity => "Quantité", "Quantity";
    UnitPrice => "Prix unitaire", "Unit price";
    TaxRate => "TVA", "VAT";
    NetAmount => "Montant HT", "Net amount";
    Subtotal => "Total HT", "Subtotal";
    TaxTotal => "Total TVA", "Tax";
    Total => "Total TTC", "Total";
    AmountsApplied => "Montants imputés", "Amounts applied";
    NothingApplied => "Aucun paiement ni avoir imputé.", "No payment or credit applied yet.";
    History => "Historique", "History";
    DownloadPdf => "Télécharger le PDF", "Download PDF";
    BackToInvoices => "Retour aux factures", "Back to invoices";
    EventIssued => "Facture émise", "Invoice issued";
    EventDue => "Date d'échéance", "Due date";
    EventOverdueSince => "En retard depuis le", "Overdue since";
    KindInvoice => "Facture", "Invoice";
    KindPayment => "Paiement", "Payment";
    KindCreditNote => "Avoir", "Credit note";
    KindFee => "Frais", "Fee";
    KindWriteOff => "Passage en perte", "Write-off";
    Date => "Date", "Date";
    Reference => "Référence", "Reference";
    Page => "Page", "Page";
    Previous => "Précédent", "Previous";
    Next => "Suivant", "Next";
    // Back-office
    Accounts => "Comptes clients", "Client accounts";
    Search => "Rechercher", "Search";
    SearchPlaceholder => "Nom, code ou e-mail", "Name, code or email";
    Segment => "Segment", "Segment";
    SegmentKey => "Grand compte", "Key account";
    SegmentStandard => "Standard", "Standard";
    SegmentSmall => "Petit compte", "Small";
    AnySegment => "Tous les segments", "All segments";
    Collector => "Chargé de recouvrement", "Collector";
    AnyCollector => "Tous les chargés", "All collectors";
    Unassigned => "Non attribué", "Unassigned";
    OnlyOverdue => "En retard uniquement", "Overdue only";
    Account => "Compte", "Account";
    Code => "Code", "Code";
    LegalName => "Raison sociale", "Legal name";
    Balance => "Solde", "Balance";
    Overdue => "En retard", "Overdue";
    NoAccounts => "Aucun compte ne correspond.", "No matching accounts.";
    Contacts => "Contacts", "Contacts";
    NoContacts => "Aucun contact.", "No contacts.";
    Ledger => "Grand livre", "Ledger";
    BillingEmail => "E-mail de facturation", "Billing email";
    Phone => "Téléphone", "Phone";
    PaymentTerms => "Conditions de paiement", "Payment terms";
    DaysNet => "jours", "days";
    CreditLimit => "Plafond de crédit", "Credit limit";
    AllInvoices => "Toutes les factures", "All invoices";
    Staff => "Équipe", "Staff";
    Name => "Nom", "Name";
    Role => "Rôle", "Role";
    RoleOwner => "Propriétaire", "Owner";
    RoleCollector => "Chargé de recouvrement", "Collector";
    RoleAccountant => "Comptable", "Accountant";
    RoleClient => "Contact client", "Client contact";
    Invite => "Inviter", "Invite";
    InvitationSent => "Invitation envoyée (valable 7 jours).", "Invitation sent (valid for 7 days).";
    InvitationPending => "Invitation en attente", "Invitation pending";
    Active => "Actif", "Active";
    AssignCollector => "Attribuer", "Assign";
    CollectorAssigned => "Chargé de recouvrement mis à jour.", "Collector updated.";
    Outbox => "Boîte d'envoi", "Outbox";
    OutboxIntro => "Messages sortants. Sans serveur SMTP configuré, ils restent ici.", "Outgoing messages. Without an SMTP server configured, they stay here.";
    Attempts => "Tentatives", "Attempts";
    MailPending => "En attente", "Pending";
    MailSent => "Envoyé", "Sent";
    MailFailed => "Échec", "Failed";
    NoMail => "Aucun message.", "No messages.";
    TotalOutstanding => "Encours total", "Total outstanding";
    TotalOverdue => "Total en retard", "Total overdue";
    Loading => "Chargement…", "Loading…";
    // Merchant settings
    Settings => "Paramètres", "Settings";
    SettingsIntro => "Identité de l'entreprise et valeurs par défaut des nouveaux comptes.", "Company identity and defaults for new accounts.";
    CompanyName => "Nom de l'entreprise", "Company name";
    LegalId => "Identifiant légal (SIRET, TVA…)", "Legal identifier (company no., VAT…)";
    Address => "Adresse", "Address";
    DefaultCurrency => "Devise par défaut", "Default currency";
    DefaultLanguage => "Langue par défaut", "Default language";
    PaymentTermsDays => "Délai de paiement (jours)", "Payment terms (days)";
    SettingsSaved => "Paramètres enregistrés.", "Settings saved.";
    InvalidCurrency => "Devise inconnue.", "Unknown currency.";
    InvalidTerms => "Entre 0 et 365 jours.", "Between 0 and 365 days.";
    TooLong => "Texte trop long.", "Text too long.";
    // User management
    Actions => "Actions", "Actions";
    Deactivate => "Désactiver", "Deactivate";
    Reactivate => "Réactiver", "Reactivate";
    Inactive => "Désactivé", "Deactivated";
    ResendInvitation => "Renvoyer l'invitation", "Resend invitation";
    SendPasswordReset => "Envoyer un lien de réinitialisation", "Send a password reset link";
    UserUpdated => "Utilisateur mis à jour.", "User updated.";
    LinkSent => "Lien envoyé (voir la boîte d'envoi).", "Link sent (see the outbox).";
    CannotChangeSelf => "Vous ne pouvez pas désactiver votre propre compte.", "You cannot deactivate your own account.";
    Save => "Enregistrer", "Save";
}

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
