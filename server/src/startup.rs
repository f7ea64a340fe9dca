//! `Application::build` binds, reports its port and runs until stopped, so
//! `main` and the integration tests start the exact same server.

use crate::ops::jobs::{Jobs, Readiness, Stopper};
use crate::ops::metrics::Metrics;
use crate::settings::Settings;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, DefaultHeaders};
use actix_web::{web, App as ActixApp, HttpServer};
use app::db::{Clock, Db};
use app::state::{AppState, AuthConfig};
use leptos::prelude::*;
use leptos_actix::{generate_route_list, LeptosRoutes};
use std::net::TcpListener;
use std::sync::Arc;

pub struct Application {
    port: u16,
    server: Server,
    pub state: AppState,
    jobs: Jobs,
    readiness: Readiness,
}

impl Application {
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Application> {
        if settings.stripe.is_none() {
            settings.sandbox_allowed()?;
        }
        let db = Db::connect_with(&settings.database_url, settings.db_pool_size).await?;
        db.migrate().await?;
        // Figures made stale while the server was down (days passed, or the
        // ledger migration) are recomputed before anything is served.
        app::ledger::balances::roll(&db, clock.today()).await.map_err(|e| anyhow::anyhow!("rolling figures: {e:?}"))?;
        // Demo data only where it cannot be mistaken for a real installation:
        // asked for explicitly, or an SQLite database served on this machine.
        let seed = settings.seed_demo.unwrap_or(matches!(db, Db::Sqlite(_)) && settings.is_local());
        if seed {
            crate::users::seed_if_empty(&db, clock).await?;
        }
        let jwt_secret = settings.jwt_secret_bytes()?;
        let gateway: Arc<dyn app::payments::gateway::Gateway> = match &settings.stripe {
            Some(s) => Arc::new(crate::stripe::StripeGateway::new(
                s.secret_key.expose(),
                &s.publishable_key,
                s.webhook_secret.expose(),
                s.api_base.as_deref(),
            )?),
            None => {
                // The sandbox signs its events with a key derived from ours,
                // the same on every instance.
                let secret = app::auth::ssr::token_hash(&format!("sandbox-webhook:{}", hex_of(&jwt_secret)));
                Arc::new(app::payments::sandbox::Sandbox::new(
                    db.clone(),
                    clock,
                    secret.into_bytes(),
                    settings.public_url.clone(),
                ))
            }
        };
        let state = AppState {
            mail_delivery: settings.smtp.is_some(),
            gateway,
            db,
            clock,
            auth: Arc::new(AuthConfig {
                jwt_secret,
                session_ttl: chrono::Duration::hours(settings.session_ttl_hours),
                cookie_secure: settings.cookie_secure,
                public_url: settings.public_url.clone(),
                trusted_proxies: settings.trusted_proxies,
            }),
        };
        let metrics = Arc::new(Metrics::new(settings.metrics_token.clone()));
        let jobs = Jobs::new(metrics.clone());
        let readiness = Readiness::default();
        crate::maintenance::spawn(&jobs, state.clone());
        if settings.payments_poll_seconds > 0 {
            crate::maintenance::spawn_payments(&jobs, state.clone(), settings.payments_poll_seconds);
        }
        if let Some(smtp) = settings.smtp.clone() {
            crate::mailer::spawn(&jobs, state.clone(), smtp, settings.mail_poll_seconds)?;
        }
        let sms: Option<Arc<dyn crate::sms::SmsProvider>> = match &settings.sms {
            None => None,
            Some(t) => Some(Arc::new(crate::sms::Twilio::new(
                &t.account_sid,
                t.auth_token.clone(),
                &t.from,
                t.api_base.as_deref(),
            )?)),
        };
        if let (Some(provider), true) = (&sms, settings.sms_poll_seconds > 0) {
            crate::sms::spawn(&jobs, state.clone(), provider.clone(), settings.sms_poll_seconds);
        }

        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let site = crate::assets::Site::open(&settings.site_root);
        if let Some((loader, parts)) = site.parts() {
            app::shell::set_bundle_parts(loader, parts);
        }
        let leptos_options = LeptosOptions::builder()
            .output_name(site.bundle_name())
            .site_root(settings.site_root.clone())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .build();
        let server_state = state.clone();
        let routes = route_list();
        let metrics_data = web::Data::from(metrics);
        let readiness_data = web::Data::new(readiness.clone());
        let page_cache = web::Data::new(crate::page_cache::PageCache::new(
            settings.page_cache_mb,
            settings.page_cache_verify,
            std::time::Duration::from_millis(settings.session_recheck_ms),
        ));
        let server = HttpServer::new(move || {
            let routes = routes.clone();
            let opts = leptos_options.clone();
            let ctx_state = server_state.clone();
            let mut app = ActixApp::new();
            if let Some(provider) = sms.clone() {
                app = app.app_data(web::Data::new(provider));
            }
            app.app_data(web::Data::new(server_state.clone()))
                .app_data(web::Data::new(opts.clone()))
                .app_data(metrics_data.clone())
                .app_data(readiness_data.clone())
                .app_data(page_cache.clone())
                // Inside request_context: the caller and page version are known.
                .wrap(from_fn(crate::page_cache::serve))
                .wrap(from_fn(crate::middleware::request_context))
                .wrap(Compress::default())
                .wrap(crate::middleware::security_headers())
                .wrap(DefaultHeaders::new())
                // Outermost: times everything else.
                .wrap(from_fn(crate::ops::metrics::track))
                .app_data(web::Data::new(site.clone()))
                .route("/pkg/{name}", get_or_head().to(crate::assets::pkg))
                .configure(crate::routes::configure)
                .leptos_routes_with_context(
                    routes,
                    move || provide_context(ctx_state.clone()),
                    move || app::shell(opts.clone()),
                )
                .route("/{file}", get_or_head().to(crate::assets::public))
        })
        .listen(listener)?
        // Signals are `main`'s (ops::jobs::signal): a stop also stops the
        // jobs and turns readiness off first.
        .disable_signals()
        .shutdown_timeout(crate::ops::jobs::REQUEST_GRACE_SECONDS)
        .run();
        Ok(Application { port, server, state, jobs, readiness })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// What stops this application gracefully ([`Stopper::stop`]).
    pub fn stopper(&self) -> Stopper {
        Stopper { server: self.server.handle(), jobs: self.jobs.clone(), readiness: self.readiness.clone() }
    }

    /// The background jobs (tests add their own passes).
    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// Serves until stopped, then waits for the job passes under way and
    /// closes the database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        if !self.jobs.finish(crate::ops::jobs::JOB_GRACE).await {
            tracing::warn!("stopping: a job pass was still running after the grace period");
        }
        self.state.db.close().await;
        tracing::info!("stopped");
        served
    }
}

/// GET, and HEAD for caches and link checkers (actix sends a HEAD answer's
/// headers, Content-Length included, without its body).
fn get_or_head() -> actix_web::Route {
    use actix_web::guard;
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The Leptos routes, generated once per process before anything is served.
///
/// Generating them renders the app with resource loading suspended through a
/// process-wide flag; a page whose resource first polls meanwhile would wait
/// forever (leptos issue #4773). Workers used to generate their own list as
/// they started, while other workers already served pages.
fn route_list() -> Vec<leptos_actix::ActixRouteListing> {
    static ROUTES: std::sync::Mutex<Option<Vec<leptos_actix::ActixRouteListing>>> = std::sync::Mutex::new(None);
    let mut routes = ROUTES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    routes.get_or_insert_with(|| generate_route_list(app::App)).clone()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Logs to stdout: human-readable by default, JSON in production.
pub fn init_tracing(json: bool) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    if json {
        let _ = fmt().json().with_env_filter(filter).try_init();
    } else {
        let _ = fmt().with_env_filter(filter).try_init();
    }
}
