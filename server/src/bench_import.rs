//! `relance time-import`: generated files through the import pipeline
//! (the same functions the pages call: store, plan, write), timed. For
//! benchmarks, not CI: the target is 100,000 invoice rows in under 60 s on
//! SQLite.

use anyhow::Context;
use app::imports::rules::{guess, ImportKind};
use app::imports::ssr;
use app::state::AppState;
use app::with_db;
use std::fmt::Write;
use std::time::Instant;

const ACCOUNTS: usize = 1_000;

async fn timed(state: &AppState, actor: i64, kind: ImportKind, name: &str, file: String) -> anyhow::Result<()> {
    let started = Instant::now();
    let created =
        ssr::store(state, actor, kind, name, file.into_bytes()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let stored = started.elapsed();
    let table = ssr::table_of(state, created.id).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mapping = guess(kind, &table.headers);
    let outcome =
        ssr::run(state, actor, created.id, kind, &table, &mapping).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let total = started.elapsed();
    if outcome.problem_count > 0 {
        anyhow::bail!("{name}: {} problem(s), first: {:?}", outcome.problem_count, outcome.problems.first());
    }
    println!(
        "{name}: {} rows ({} new, {} unchanged): read and stored {:.1} s, checked and written {:.1} s, total {:.1} s ({:.0} rows/s)",
        outcome.rows,
        outcome.created,
        outcome.unchanged,
        stored.as_secs_f64(),
        (total - stored).as_secs_f64(),
        total.as_secs_f64(),
        outcome.rows as f64 / total.as_secs_f64()
    );
    Ok(())
}

pub async fn run(state: &AppState, rows: usize) -> anyhow::Result<()> {
    let actor: Option<i64> = with_db!(&state.db, |pool| {
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'owner' ORDER BY id LIMIT 1").fetch_optional(pool).await
    })?;
    let actor = actor.context("no owner: run `relance seed-demo` (or create one) first")?;
    let mut accounts = String::from("Identifiant;Raison sociale;E-mail;Ville\n");
    for i in 0..ACCOUNTS {
        let _ = writeln!(accounts, "BENCH-{i:04};Client de mesure {i} SARL;compta{i}@bench.example;Lyon");
    }
    timed(state, actor, ImportKind::Accounts, "accounts.csv", accounts).await?;
    let run = state.clock.now().timestamp();
    let today = state.clock.today();
    let mut invoices = String::from("Numéro;Client;Date;Total HT;TVA;Total TTC\n");
    for i in 0..rows {
        let net = 10_000 + (i as i64 * 7_919) % 500_000;
        let (tax, date) = (net / 5, today - chrono::Duration::days((i % 300) as i64));
        let _ = writeln!(
            invoices,
            "B{run}-{i:06};BENCH-{:04};{};{},{:02};{},{:02};{},{:02}",
            i % ACCOUNTS,
            date.format("%d/%m/%Y"),
            net / 100,
            net % 100,
            tax / 100,
            tax % 100,
            (net + tax) / 100,
            (net + tax) % 100
        );
    }
    timed(state, actor, ImportKind::Invoices, "invoices.csv", invoices).await?;
    Ok(())
}
