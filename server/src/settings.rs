//! Typed settings: defaults, then `RELANCE_*` environment variables (and
//! `DATABASE_URL`). Secrets are wrapped so `Debug` never prints them.

use anyhow::Context;
use std::path::PathBuf;

#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Debug)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: String,
    /// `starttls` (default), `tls` or `none` (local relays and test sinks).
    pub security: String,
}

/// Stripe keys; without them payments run in the offline sandbox.
#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub publishable_key: String,
    pub webhook_secret: Secret,
    /// Another API base (tests: a local server answering like Stripe).
    pub api_base: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    /// Database connections per instance (`RELANCE_DB_POOL_SIZE`; default 8
    /// on SQLite, 16 on PostgreSQL).
    pub db_pool_size: Option<u32>,
    pub data_dir: PathBuf,
    /// Address to bind, e.g. `127.0.0.1:3000` (`LEPTOS_SITE_ADDR`).
    pub bind: String,
    /// Where the compiled site (`/pkg`, assets) lives (`LEPTOS_SITE_ROOT`).
    pub site_root: String,
    pub public_url: String,
    pub jwt_secret: Option<Secret>,
    pub session_ttl_hours: i64,
    pub cookie_secure: bool,
    /// Reverse proxies in front of the server (`RELANCE_TRUSTED_PROXIES`,
    /// default 0): the client's address is the one the outermost of them
    /// added to `X-Forwarded-For`. `RELANCE_TRUST_PROXY_HEADERS=true` means 1.
    pub trusted_proxies: usize,
    pub seed_demo: Option<bool>,
    pub smtp: Option<SmtpSettings>,
    pub mail_poll_seconds: u64,
    pub json_logs: bool,
    /// Bearer token for `/metrics` (`RELANCE_METRICS_TOKEN`); without it
    /// only a client on this machine, not through a proxy, may scrape.
    pub metrics_token: Option<Secret>,
    pub stripe: Option<StripeSettings>,
    /// The offline payment sandbox chosen on purpose (`RELANCE_PAYMENTS_SANDBOX`).
    /// Without Stripe keys it is used only when asked for, or for a local
    /// demo (a loopback public URL): test money must never reach real
    /// invoices by default.
    pub payments_sandbox: Option<bool>,
    /// Text messages through Twilio (`RELANCE_TWILIO_*`); without it texts
    /// wait in the SMS outbox.
    pub sms: Option<TwilioSettings>,
    /// Seconds between SMS delivery rounds; 0 disables them (tests drive them).
    pub sms_poll_seconds: u64,
    /// Seconds between passes of the payments job (sandbox events,
    /// reconciliation, autopay, credit); 0 disables it (tests drive it).
    pub payments_poll_seconds: u64,
    /// Memory for the client's rendered documents (`RELANCE_PAGE_CACHE_MB`,
    /// default 32; 0 keeps none). See `page_cache`.
    pub page_cache_mb: u64,
    /// Render every kept page again and compare (`RELANCE_PAGE_CACHE_VERIFY`;
    /// the tests').
    pub page_cache_verify: bool,
    /// How long a session checked for a client document is trusted for the
    /// next ones (`RELANCE_SESSION_RECHECK_MS`, default 1000; 0: always read).
    pub session_recheck_ms: u64,
}

/// Twilio's Programmable Messaging.
#[derive(Clone, Debug)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: Secret,
    /// Sender: a number, an alphanumeric sender id or a Messaging Service sid.
    pub from: String,
    /// Another API address (a local stand-in for tests).
    pub api_base: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_bool(name: &str) -> anyhow::Result<Option<bool>> {
    env(name)
        .map(|v| match v.to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            other => anyhow::bail!("{name}: expected true or false, got {other:?}"),
        })
        .transpose()
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        let data_dir = PathBuf::from(env("RELANCE_DATA_DIR").unwrap_or_else(|| "data".into()));
        let bind = env("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let smtp = match env("RELANCE_SMTP_HOST") {
            None => None,
            Some(host) => Some(SmtpSettings {
                host,
                port: env("RELANCE_SMTP_PORT")
                    .map(|p| p.parse())
                    .transpose()
                    .context("RELANCE_SMTP_PORT")?
                    .unwrap_or(587),
                username: env("RELANCE_SMTP_USERNAME"),
                password: env("RELANCE_SMTP_PASSWORD").map(Secret::new),
                from: env("RELANCE_SMTP_FROM").unwrap_or_else(|| "Relance <no-reply@localhost>".into()),
                security: env("RELANCE_SMTP_SECURITY").unwrap_or_else(|| "starttls".into()),
            }),
        };
        Ok(Settings {
            db_pool_size: env("RELANCE_DB_POOL_SIZE")
                .map(|v| {
                    v.parse()
                        .ok()
                        .filter(|n| *n > 0)
                        .context("RELANCE_DB_POOL_SIZE: a number of connections, 1 or more")
                })
                .transpose()?,
            database_url: env("DATABASE_URL")
                .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("relance.db").display())),
            public_url: env("RELANCE_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}")),
            site_root: env("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            bind,
            data_dir,
            jwt_secret: env("RELANCE_JWT_SECRET").map(Secret::new),
            session_ttl_hours: env("RELANCE_SESSION_TTL_HOURS")
                .map(|v| v.parse())
                .transpose()
                .context("RELANCE_SESSION_TTL_HOURS")?
                .unwrap_or(12),
            cookie_secure: env_bool("RELANCE_COOKIE_SECURE")?
                .unwrap_or_else(|| env("RELANCE_PUBLIC_URL").is_some_and(|u| u.starts_with("https://"))),
            trusted_proxies: match env("RELANCE_TRUSTED_PROXIES") {
                Some(n) => n.parse().context("RELANCE_TRUSTED_PROXIES: a number of proxies (0, 1, 2…)")?,
                None => usize::from(env_bool("RELANCE_TRUST_PROXY_HEADERS")?.unwrap_or(false)),
            },
            seed_demo: env_bool("RELANCE_SEED_DEMO")?,
            smtp,
            mail_poll_seconds: env("RELANCE_MAIL_POLL_SECONDS")
                .map(|v| v.parse())
                .transpose()
                .context("RELANCE_MAIL_POLL_SECONDS")?
                .unwrap_or(10),
            json_logs: env_bool("RELANCE_JSON_LOGS")?.unwrap_or(false),
            metrics_token: env("RELANCE_METRICS_TOKEN").map(Secret::new),
            stripe: match env("RELANCE_STRIPE_SECRET_KEY") {
                None => None,
                Some(secret) => Some(StripeSettings {
                    secret_key: Secret::new(secret),
                    publishable_key: env("RELANCE_STRIPE_PUBLISHABLE_KEY")
                        .context("RELANCE_STRIPE_PUBLISHABLE_KEY is required with RELANCE_STRIPE_SECRET_KEY")?,
                    webhook_secret: Secret::new(
                        env("RELANCE_STRIPE_WEBHOOK_SECRET")
                            .context("RELANCE_STRIPE_WEBHOOK_SECRET is required with RELANCE_STRIPE_SECRET_KEY")?,
                    ),
                    api_base: env("RELANCE_STRIPE_API_BASE"),
                }),
            },
            sms: match env("RELANCE_TWILIO_ACCOUNT_SID") {
                None => None,
                Some(account_sid) => Some(TwilioSettings {
                    account_sid,
                    auth_token: Secret::new(
                        env("RELANCE_TWILIO_AUTH_TOKEN")
                            .context("RELANCE_TWILIO_AUTH_TOKEN is required with RELANCE_TWILIO_ACCOUNT_SID")?,
                    ),
                    from: env("RELANCE_TWILIO_FROM")
                        .context("RELANCE_TWILIO_FROM is required with RELANCE_TWILIO_ACCOUNT_SID")?,
                    api_base: env("RELANCE_TWILIO_API_BASE"),
                }),
            },
            sms_poll_seconds: env("RELANCE_SMS_POLL_SECONDS")
                .map(|v| v.parse())
                .transpose()
                .context("RELANCE_SMS_POLL_SECONDS")?
                .unwrap_or(10),
            payments_sandbox: env_bool("RELANCE_PAYMENTS_SANDBOX")?,
            payments_poll_seconds: env("RELANCE_PAYMENTS_POLL_SECONDS")
                .map(|v| v.parse())
                .transpose()
                .context("RELANCE_PAYMENTS_POLL_SECONDS")?
                .unwrap_or(5),
            page_cache_mb: env("RELANCE_PAGE_CACHE_MB")
                .map(|v| v.parse())
                .transpose()
                .context("RELANCE_PAGE_CACHE_MB: megabytes, 0 to keep no page")?
                .unwrap_or(32),
            page_cache_verify: env_bool("RELANCE_PAGE_CACHE_VERIFY")?.unwrap_or(false),
            session_recheck_ms: env("RELANCE_SESSION_RECHECK_MS")
                .map(|v| v.parse())
                .transpose()
                .context("RELANCE_SESSION_RECHECK_MS: milliseconds, 0 to read the session every time")?
                .unwrap_or(1000),
        })
    }

    /// Whether payments may run in the offline sandbox: asked for, or a
    /// local demo. Otherwise starting without Stripe keys is refused.
    pub fn sandbox_allowed(&self) -> anyhow::Result<()> {
        match self.payments_sandbox {
            Some(true) => Ok(()),
            None if self.is_local() => Ok(()),
            _ => anyhow::bail!(
                "no payment gateway: set RELANCE_STRIPE_SECRET_KEY, RELANCE_STRIPE_PUBLISHABLE_KEY and \
                 RELANCE_STRIPE_WEBHOOK_SECRET to take real payments, or RELANCE_PAYMENTS_SANDBOX=true to run the \
                 offline test mode on purpose (simulated payments would mark real invoices paid; every page then \
                 says \"test mode\")"
            ),
        }
    }

    /// Served for this machine only (the public URL is a loopback address).
    pub fn is_local(&self) -> bool {
        let host = self.public_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
        host == "localhost" || host.starts_with("127.") || self.public_url.contains("://[::1]")
    }

    /// The signing key: configured, or generated once and kept in the data
    /// directory so sessions survive a restart.
    pub fn jwt_secret_bytes(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(s) = &self.jwt_secret {
            anyhow::ensure!(s.expose().len() >= 32, "RELANCE_JWT_SECRET must be at least 32 characters");
            return Ok(s.expose().as_bytes().to_vec());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| format!("creating {}", self.data_dir.display()))?;
        let path = self.data_dir.join("jwt-secret");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            if existing.trim().len() >= 32 {
                return Ok(existing.trim().as_bytes().to_vec());
            }
        }
        let secret = app::auth::ssr::random_token();
        std::fs::write(&path, &secret).with_context(|| format!("writing {}", path.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(secret.into_bytes())
    }
}
