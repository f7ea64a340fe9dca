//! Server-side state shared by every request: database, clock, auth settings.

use crate::db::{Clock, Db};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Clock,
    pub auth: Arc<AuthConfig>,
    /// The payment gateway: the offline sandbox, or Stripe.
    pub gateway: Arc<dyn crate::payments::gateway::Gateway>,
    /// An SMTP server delivers the outbox. Without one, messages stay in it
    /// for the owner to read, and so never carry a live single-use link.
    pub mail_delivery: bool,
}

/// Settings the auth layer needs. The secret never appears in `Debug`.
pub struct AuthConfig {
    pub jwt_secret: Vec<u8>,
    pub session_ttl: chrono::Duration,
    /// Mark cookies `Secure` (behind HTTPS).
    pub cookie_secure: bool,
    /// The origin the portal is served from, e.g. `https://pay.example.com`;
    /// used for CSRF checks and for links in e-mails.
    pub public_url: String,
    /// Reverse proxies in front of the server: the client address is the
    /// one the outermost trusted proxy appended to `X-Forwarded-For`
    /// (otherwise every client would share the proxy's address, and its
    /// throttle). Values further left are the client's own claim.
    pub trusted_proxies: usize,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"[redacted]")
            .field("session_ttl", &self.session_ttl)
            .field("cookie_secure", &self.cookie_secure)
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

/// The state for the current request (server functions and SSR).
pub fn app_state() -> crate::error::AppResult<AppState> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("AppState missing from context")))
}
