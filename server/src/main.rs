//! The `relance` command: serve the portal, migrate, seed demo data, create users.

use anyhow::Context;
use app::db::{Clock, Db};
use app::domain::{EmailAddress, Locale, Role};
use clap::{Parser, Subcommand};
use server::settings::Settings;
use server::startup::{init_tracing, Application};

// Rendering a page is mostly small allocations (Leptos's view tree, the
// HTML being built): with glibc's allocator they were a third of a page's
// instructions under load (callgrind, the client's overview).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "relance", version, about = "Relance: accounts-receivable portal")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal (default). Creates, migrates and, on SQLite, seeds the database on first start.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo merchant, accounts, invoices and users (skipped if data exists).
    SeedDemo,
    /// Fill an empty database with a real-sized book for benchmarks (50,000
    /// accounts, 1,000,000 invoices by default); every scale user's password
    /// is `relance-scale`.
    SeedScale {
        #[arg(long, default_value_t = 50_000)]
        accounts: usize,
        #[arg(long, default_value_t = 1_000_000)]
        invoices: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Run the payments job's pass N times and print how long each took
    /// (p50 / p99), for benchmarks.
    TimeJobs {
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// Import generated files through the import pipeline and print how
    /// long it took (benchmarks): 1,000 accounts, then `rows` invoices.
    TimeImport {
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
    },
    /// Run the reminder job over the book (after `time-import`) and print
    /// its planning throughput (benchmarks; gives every segment a plan).
    TimeReminders,
    /// Time the aging report beside the bare GROUP BY over the same rows
    /// (benchmarks, after `seed-scale`; read-only).
    TimeAging {
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// Recompute every stored balance from the ledger entries and check each
    /// payment, refund and credit note was posted as recorded; exits 1,
    /// naming the rows, on any difference.
    VerifyLedger,
    /// Print a fresh invitation (or, once the user has a password, reset)
    /// link for a user: how links reach people when no mail server is set.
    Link {
        /// The user's login e-mail
        #[arg(long)]
        email: String,
    },
    /// Copy the SQLite database to a new file while the portal serves (a
    /// consistent snapshot, checked before this says it is done). On
    /// PostgreSQL, use pg_dump.
    Backup {
        /// The backup file to write (must not exist)
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a backup in place of the SQLite database (the server stopped;
    /// the database replaced is kept beside it). On PostgreSQL, use pg_restore.
    Restore {
        /// The backup file to restore
        #[arg(long)]
        from: std::path::PathBuf,
    },
    /// Create a staff user or a contact of a client account.
    CreateUser {
        /// Login e-mail address
        #[arg(long)]
        email: String,
        /// Full name shown in the portal
        #[arg(long)]
        name: String,
        /// owner, collector, accountant or client
        #[arg(long)]
        role: String,
        /// Client account code (for --role client), e.g. C0001
        #[arg(long)]
        account: Option<String>,
        /// fr or en
        #[arg(long)]
        locale: Option<String>,
        /// Environment variable holding the new password (at least 10 characters)
        #[arg(long, default_value = "RELANCE_NEW_PASSWORD")]
        password_env: String,
    },
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    init_tracing(settings.json_logs);
    if settings.database_url.starts_with("sqlite:") {
        std::fs::create_dir_all(&settings.data_dir)
            .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    }
    let clock = Clock::System;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings.clone(), clock).await?;
            tracing::info!(
                port = app.port(),
                backend = app.state.db.backend(),
                "Relance listening on {}",
                settings.public_url
            );
            let stopper = app.stopper();
            tokio::spawn(async move {
                server::ops::jobs::signal().await;
                tracing::info!("stopping: finishing the requests in flight and the job passes under way");
                stopper.stop().await;
            });
            app.run_until_stopped().await?;
        }
        Command::Backup { to } => {
            let db = Db::connect(&settings.database_url).await?;
            let done = server::ops::backup::backup(&db, &to).await?;
            db.close().await;
            println!("backup written to {} ({} bytes), integrity checked", done.path.display(), done.bytes);
        }
        Command::Restore { from } => {
            let done = server::ops::backup::restore(&from, &settings.database_url).await?;
            if let Some(aside) = &done.replaced {
                println!("the database replaced is kept as {}", aside.display());
            }
            println!("{} restored to {} ({} bytes)", from.display(), done.path.display(), done.bytes);
        }
        Command::Migrate => {
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            println!("migrations applied ({})", db.backend());
        }
        Command::SeedDemo => {
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            server::users::seed_if_empty(&db, clock).await?;
            println!("demo data ready; password for every demo login: {}", server::seed::DEMO_PASSWORD);
        }
        Command::SeedScale { accounts, invoices, seed } => {
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            let hash = tokio::task::spawn_blocking(|| {
                app::auth::ssr::hash_password_blocking(server::seed_scale::SCALE_PASSWORD)
            })
            .await??;
            let started = std::time::Instant::now();
            let spec = server::seed_scale::ScaleSpec { accounts, invoices, seed };
            let report = server::seed_scale::seed_scale(&db, clock.now(), spec, &hash).await?;
            println!(
                "seeded {} accounts, {} invoices, {} ledger entries, {} online payments, {} promises, {} disputes, {} users in {:.1}s",
                report.accounts,
                report.invoices,
                report.entries,
                report.payments,
                report.promises,
                report.disputes,
                report.users,
                started.elapsed().as_secs_f64()
            );
        }
        Command::TimeJobs { runs } => {
            let mut settings = settings.clone();
            settings.bind = "127.0.0.1:0".into();
            settings.payments_poll_seconds = 0;
            settings.smtp = None;
            let app = Application::build(settings, clock).await?;
            let mut total: Vec<f64> = Vec::with_capacity(runs);
            let mut steps: Vec<(&'static str, Vec<f64>)> = Vec::new();
            for _ in 0..runs.max(1) {
                let started = std::time::Instant::now();
                let timed = app::payments::jobs::run_once_timed(&app.state).await;
                total.push(started.elapsed().as_secs_f64() * 1000.0);
                for app::payments::jobs::StepRun { name, took, .. } in timed {
                    match steps.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, v)) => v.push(took.as_secs_f64() * 1000.0),
                        None => steps.push((name, vec![took.as_secs_f64() * 1000.0])),
                    }
                }
            }
            let pct = |v: &mut Vec<f64>, q: f64| {
                v.sort_by(f64::total_cmp);
                v[((v.len() - 1) as f64 * q).round() as usize]
            };
            for (name, v) in &mut steps {
                println!("  {name}: p50 {:.1} ms, p99 {:.1} ms", pct(v, 0.5), pct(v, 0.99));
            }
            println!(
                "payments job pass: p50 {:.1} ms, p99 {:.1} ms ({} runs)",
                pct(&mut total, 0.5),
                pct(&mut total, 0.99),
                total.len()
            );
        }
        Command::TimeImport { rows } => {
            let mut settings = settings.clone();
            settings.bind = "127.0.0.1:0".into();
            settings.payments_poll_seconds = 0;
            settings.smtp = None;
            let app = Application::build(settings, clock).await?;
            server::bench_import::run(&app.state, rows).await?;
        }
        Command::TimeReminders => {
            let mut settings = settings.clone();
            settings.bind = "127.0.0.1:0".into();
            settings.payments_poll_seconds = 0;
            settings.smtp = None;
            let app = Application::build(settings, clock).await?;
            server::bench_reminders::run(&app.state).await?;
        }
        Command::TimeAging { runs } => {
            let mut settings = settings.clone();
            settings.bind = "127.0.0.1:0".into();
            settings.payments_poll_seconds = 0;
            settings.smtp = None;
            let app = Application::build(settings, clock).await?;
            server::bench_aging::run(&app.state, runs).await?;
        }
        Command::VerifyLedger => {
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            let report = app::ledger::verify::run(&db, clock.today()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            for problem in &report.problems {
                println!("{problem}");
            }
            println!(
                "{} accounts, {} invoices, {} ledger entries checked: {} difference(s); {} account(s) with figures to roll",
                report.accounts,
                report.invoices,
                report.entries,
                report.problems.len(),
                report.stale_accounts
            );
            if !report.is_clean() {
                std::process::exit(1);
            }
        }
        Command::Link { email } => {
            let email = EmailAddress::parse(&email).context("invalid e-mail address")?;
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            let path = app::auth::ssr::admin_link(&db, clock.now(), &email)
                .await
                .map_err(|e| anyhow::anyhow!("no active user with that e-mail address ({e:?})"))?;
            println!("{}{path}", settings.public_url.trim_end_matches('/'));
        }
        Command::CreateUser { email, name, role, account, locale, password_env } => {
            let email = EmailAddress::parse(&email).context("invalid e-mail address")?;
            let role = Role::parse(&role).context("role must be owner, collector, accountant or client")?;
            let locale = locale.as_deref().map(|l| Locale::parse(l).context("locale must be fr or en")).transpose()?;
            let password = std::env::var(&password_env)
                .with_context(|| format!("set the new user's password in the {password_env} environment variable"))?;
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            let user = server::users::NewUser { email, name, role, account_code: account, locale };
            let id = server::users::create_user(&db, clock, user, &password).await?;
            println!("user {id} created");
        }
    }
    Ok(())
}
