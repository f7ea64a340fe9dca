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
    // Payments
    LinkExpired => "Ce lien de paiement a expiré. Demandez-en un nouveau.", "This payment link has expired. Please ask for a new one.";
    KindRefund => "Remboursement", "Refund";
    KindCreditApplied => "Avoir imputé", "Credit applied";
    Payments => "Paiements", "Payments";
    PaymentMethods => "Moyens de paiement", "Payment methods";
    PaymentMethod => "Moyen de paiement", "Payment method";
    PaymentTitle => "Paiement", "Payment";
    PayTitle => "Payer", "Pay";
    PayOnline => "Payer en ligne", "Pay online";
    SelectInvoicesToPay => "Factures à régler", "Invoices to pay";
    PaySelected => "Payer la sélection", "Pay selected";
    PayAnAmount => "Ou payer un montant :", "Or pay an amount:";
    Continue => "Continuer", "Continue";
    PayThisInvoice => "Payer cette facture", "Pay this invoice";
    PayWith => "Payer avec", "Pay with";
    NewCard => "Une nouvelle carte", "A new card";
    NewMethodSecure => "Une nouvelle carte ou un prélèvement SEPA (formulaire sécurisé Stripe)", "A new card or SEPA debit (Stripe's secure form)";
    DisputeAlreadyOpen => "Un litige est déjà en cours sur cette facture.", "A dispute is already open on this invoice.";
    DisputeDecided => "Ce litige a déjà été tranché.", "This dispute has already been decided.";
    PromisePolicy => "Promesses de paiement", "Promises to pay";
    PromiseMaxDays => "Jours maximum entre aujourd'hui et la date promise", "Most days between today and the promised date";
    PromiseMaxPerInvoice => "Promesses par facture avant validation obligatoire", "Promises per invoice before approval is required";
    OutOfRange => "Valeur hors des limites permises.", "Value outside the allowed range.";
    StatePromised => "Promise", "Promised";
    Promises => "Promesses de paiement", "Promises to pay";
    PromiseTitle => "Promettre une date de paiement", "Promise a payment date";
    PromiseIntro => "Vous ne pouvez pas payer tout de suite ? Indiquez quand vous paierez : nous suspendons les relances de ces factures jusqu'à cette date.", "Cannot pay right now? Tell us when you will: we pause reminders for these invoices until that date.";
    PromiseThese => "Promettre une date", "Promise a date";
    PromisedDate => "Date promise", "Promised date";
    PromisedAmount => "Montant promis", "Promised amount";
    PromiseAmountHint => "Laissez vide pour le montant total dû.", "Leave empty for the whole amount due.";
    Note => "Commentaire", "Note";
    PromiseSubmit => "Envoyer ma promesse", "Send my promise";
    PromisesExplained => "Tant qu'une promesse est en cours, ses factures ne sont pas relancées. À la date promise, elle est tenue si le montant est payé, sinon elle est rompue et les factures reviennent en recouvrement.", "While a promise runs, its invoices are not chased. On the promised date it is kept if the amount is paid; otherwise it is broken and the invoices return to collection.";
    NoPromises => "Aucune promesse.", "No promises.";
    PromiseByPhone => "(par téléphone)", "(by phone)";
    CancelPromise => "Annuler la promesse", "Cancel the promise";
    Approve => "Accepter", "Approve";
    Reject => "Refuser", "Reject";
    QueueDueToday => "À échéance aujourd'hui", "Due today";
    QueueBroken => "Rompues", "Broken";
    QueuePending => "À valider", "To approve";
    RecordPromise => "Noter une promesse faite par téléphone", "Record a promise made by phone";
    PromisePending => "À valider", "Awaiting approval";
    PromiseActive => "En cours", "Active";
    PromiseKept => "Tenue", "Kept";
    PromiseBroken => "Rompue", "Broken";
    PromiseCancelled => "Annulée", "Cancelled";
    PromiseRejected => "Refusée", "Rejected";
    PromiseDateInvalid => "Indiquez une date valide.", "Enter a valid date.";
    PromiseDateOutOfRange => "Cette date est hors des limites permises (à partir d'aujourd'hui, dans la limite fixée par le créancier).", "This date is outside the allowed range (from today, up to the limit the creditor set).";
    PromiseAmountInvalid => "Le montant promis doit être positif et ne pas dépasser le montant dû.", "The promised amount must be positive and no more than the amount due.";
    PromiseInvoiceSettled => "Cette facture est déjà réglée.", "This invoice is already paid.";
    PromiseAlreadyMade => "Une promesse est déjà en cours pour l'une de ces factures.", "A promise is already running for one of these invoices.";
    PromiseNotOpen => "Cette promesse n'est plus en cours.", "This promise is no longer running.";
    PromiseNotPending => "Cette promesse n'attend plus de décision.", "This promise no longer awaits a decision.";
    ReceiptTitle => "Reçu de paiement", "Payment receipt";
    DownloadReceipt => "Télécharger le reçu (PDF)", "Download the receipt (PDF)";
    AmountPaid => "Montant payé", "Amount paid";
    PaidOn => "Payé le", "Paid on";
    PaymentCanceled => "Paiement annulé.", "Payment cancelled.";
    PaymentNotCancelable => "Ce paiement ne peut plus être annulé.", "This payment can no longer be cancelled.";
    CancelPayment => "Annuler ce paiement", "Cancel this payment";
    SeeMyPayments => "Voir mes paiements", "See my payments";
    CompletePayment => "Finaliser le paiement", "Complete the payment";
    SecureFormText => "Saisissez votre carte ou votre IBAN dans le formulaire sécurisé de Stripe : ces données ne passent pas par nos serveurs.", "Enter your card or IBAN in Stripe's secure form: these details never pass through our servers.";
    SaveCardForLater => "Enregistrer cette carte pour mes prochains paiements", "Save this card for future payments";
    PayConfirmText => "{amount} seront débités ; ce paiement règle : {invoices}.", "{amount} will be charged; this payment settles: {invoices}.";
    PayNow => "Payer", "Pay";
    ManageMethods => "Gérer mes moyens de paiement", "Manage my payment methods";
    BackToOverview => "Retour à l'accueil", "Back to overview";
    KeptAsCredit => "Conservé en avoir sur votre compte", "Kept as credit on your account";
    Settles => "Factures réglées", "Invoices settled";
    PaymentThanks => "Paiement reçu. Merci ! Un reçu vous a été envoyé par e-mail.", "Payment received. Thank you! A receipt has been e-mailed to you.";
    PaymentProcessingText => "Paiement en cours de traitement (un prélèvement SEPA prend quelques jours). Cette page se met à jour toute seule.", "Payment processing (a SEPA debit takes a few days). This page updates by itself.";
    PaymentNeedsAction => "Votre banque demande une authentification.", "Your bank asks you to authenticate.";
    ContinueAuthentication => "Continuer l'authentification", "Continue authentication";
    NoBalanceChanged => "Aucun montant n'a été débité et votre solde n'a pas changé.", "Nothing was charged and your balance has not changed.";
    Refunded => "Remboursé", "Refunded";
    NoPayments => "Aucun paiement pour l'instant.", "No payments yet.";
    PayStatusPending => "En attente", "Pending";
    PayStatusAction => "Authentification requise", "Needs authentication";
    PayStatusProcessing => "En cours", "Processing";
    PayStatusSucceeded => "Réussi", "Succeeded";
    PayStatusFailed => "Échoué", "Failed";
    TestModeTitle => "Mode test.", "Test mode.";
    TestModeText => "Aucun argent réel n'est débité. Cartes de test : 4242 4242 4242 4242 (acceptée), 4000 0000 0000 0002 (refusée), 4000 0027 6000 3184 (3-D Secure) ; IBAN de test : FR14 2004 1010 0505 0001 3M02 606.", "No real money moves. Test cards: 4242 4242 4242 4242 (succeeds), 4000 0000 0000 0002 (declined), 4000 0027 6000 3184 (3-D Secure); test IBAN: FR14 2004 1010 0505 0001 3M02 606.";
    CardNumber => "Numéro de carte", "Card number";
    CardExpiry => "Expiration (MM/AA)", "Expiry (MM/YY)";
    CardCvc => "Cryptogramme", "Security code";
    CardNumberInvalid => "Ce numéro de carte n'est pas valide.", "This card number is not valid.";
    CardExpiryInvalid => "Date d'expiration invalide ou dépassée.", "The expiry date is invalid or past.";
    CardCvcInvalid => "Cryptogramme invalide.", "Invalid security code.";
    IbanInvalid => "Cet IBAN n'est pas valide.", "This IBAN is not valid.";
    AccountHolder => "Titulaire du compte", "Account holder";
    AddCard => "Ajouter une carte", "Add a card";
    AddSepa => "Ajouter un mandat de prélèvement SEPA", "Add a SEPA Direct Debit mandate";
    SaveCard => "Enregistrer la carte", "Save card";
    AcceptMandate => "Accepter le mandat", "Accept the mandate";
    SepaMandateText => "En fournissant votre IBAN et en acceptant ce mandat, vous autorisez le créancier et son prestataire de paiement à envoyer des instructions à votre banque pour débiter votre compte. Vous pouvez demander un remboursement à votre banque dans les 8 semaines suivant le débit.", "By providing your IBAN and accepting this mandate, you authorise the creditor and its payment provider to send instructions to your bank to debit your account. You can ask your bank for a refund within 8 weeks of the debit.";
    NoMethods => "Aucun moyen de paiement enregistré.", "No saved payment methods.";
    MethodSaved => "Moyen de paiement enregistré.", "Payment method saved.";
    MethodRemoved => "Moyen de paiement supprimé.", "Payment method removed.";
    MethodDefaultSet => "Moyen de paiement par défaut modifié.", "Default payment method changed.";
    MethodExpired => "Ce moyen de paiement a expiré.", "This payment method has expired.";
    MethodsOnFile => "Moyens de paiement enregistrés", "Methods on file";
    Default => "Par défaut", "Default";
    MakeDefault => "Utiliser par défaut", "Make default";
    Remove => "Supprimer", "Remove";
    Expired => "Expirée", "Expired";
    Expires => "Expire", "Expires";
    Autopay => "Paiement automatique", "Autopay";
    UseForAutopay => "Payer automatiquement à l'échéance", "Pay automatically on due dates";
    StopAutopay => "Arrêter le paiement automatique", "Stop autopay";
    AutopayOn => "Paiement automatique activé : chaque facture sera débitée à son échéance.", "Autopay is on: each invoice will be charged on its due date.";
    AutopayOff => "Paiement automatique arrêté.", "Autopay stopped.";
    AutopayExplained => "Avec le paiement automatique, chaque nouvelle facture est débitée une fois, à son échéance, sur le moyen choisi. En cas d'échec, vous êtes prévenu par e-mail.", "With autopay, each new invoice is charged once, on its due date, to the chosen method. If a charge fails, you are told by e-mail.";
    ChooseMethod => "Choisissez un moyen de paiement.", "Choose a payment method.";
    SelectInvoices => "Choisissez au moins une facture à régler.", "Choose at least one invoice to pay.";
    InvalidAmount => "Saisissez un montant positif.", "Enter a positive amount.";
    NothingToPay => "Rien à payer : aucune facture n'est ouverte.", "Nothing to pay: no invoice is open.";
    InvoiceNotPayable => "Cette facture est déjà réglée ou un paiement est en cours.", "This invoice is already paid or a payment is in progress.";
    AmountChanged => "Le montant dû a changé depuis l'affichage de la page. Vérifiez le nouveau montant.", "The amount due changed since the page was shown. Please check the new amount.";
    GatewayUnavailable => "Le service de paiement ne répond pas. Rien n'a été débité deux fois ; réessayez dans un instant.", "The payment service is not answering. Nothing was charged twice; please try again shortly.";
    UseSecureForm => "Les numéros de carte se saisissent dans le formulaire sécurisé.", "Card numbers are entered in the secure form.";
    SaveNeedsAuthentication => "Cette carte demande une authentification : ajoutez-la depuis « Moyens de paiement ».", "This card needs authentication: add it from “Payment methods”.";
    SetupPending => "L'enregistrement attend encore votre confirmation.", "Saving still waits for your confirmation.";
    DeclineGeneric => "Votre carte a été refusée.", "Your card was declined.";
    DeclineInsufficientFunds => "Votre carte a été refusée : provision insuffisante.", "Your card was declined: insufficient funds.";
    DeclineExpiredCard => "Votre carte a expiré.", "Your card has expired.";
    DeclineIncorrectCvc => "Le cryptogramme de votre carte est incorrect.", "Your card's security code is incorrect.";
    DeclineAuthentication => "L'authentification de la carte a échoué ou n'a pas pu être faite.", "Card authentication failed or could not be completed.";
    DeclineProcessingError => "Une erreur est survenue lors du traitement de la carte. Réessayez.", "An error occurred while processing your card. Please try again.";
    DeclineLiveCard => "Votre carte a été refusée : le mode test n'accepte que les cartes de test.", "Your card was declined: test mode only accepts test cards.";
    Authentication3ds => "Authentification 3-D Secure (test)", "3-D Secure authentication (test)";
    Authentication3dsText => "Page de test imitant celle de votre banque. Montant :", "A test page standing in for your bank's. Amount:";
    CompleteAuthentication => "Valider l'authentification", "Complete authentication";
    FailAuthentication => "Faire échouer", "Fail authentication";
    InvoiceSettled => "Cette facture est réglée. Merci !", "This invoice is paid. Thank you!";
    CreatePayLink => "Créer un lien de paiement", "Create a pay link";
    Refund => "Rembourser", "Refund";
    Refunds => "Remboursements", "Refunds";
    NoRefunds => "Aucun remboursement.", "No refunds.";
    RefundDone => "Remboursement effectué.", "Refund done.";
    RefundFailed => "Le remboursement a été refusé par le prestataire.", "The refund was refused by the payment provider.";
    RefundNotPossible => "Seul un paiement réussi peut être remboursé.", "Only a succeeded payment can be refunded.";
    RefundTooLarge => "Montant supérieur à ce qui reste remboursable.", "The amount exceeds what can still be refunded.";
    Reason => "Motif", "Reason";
    Source => "Origine", "Source";
    GatewayReference => "Référence prestataire", "Gateway reference";
    FailureReason => "Motif d'échec", "Failure reason";
    EventHistory => "Historique des événements", "Event history";
    ChargeDisputed => "Contesté auprès de la banque", "Disputed with the bank";
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
