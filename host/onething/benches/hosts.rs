//! Benchmark: one host on SQLite, one host on PostgreSQL, and two hosts
//! on one PostgreSQL database, in one run. Newborn applications (6 steps
//! each, the departments calling their simulated systems) are submitted
//! to the engine directly (no HTTP: the HTTP layer is the same for every
//! store, and the `service` bench measures it) with a bounded number in
//! flight, round robin over the hosts; each host drives what it took
//! (it holds the lease). "Two hosts" are two engines in this process,
//! each with its own runtime, catalog and host id, sharing the database
//! as two processes would. Prints completed applications per second and
//! p50/p99 of completion (submit to final), beside the SQLite host's, and
//! what one store read costs on each backend.
//!
//! On two cores the figures are about overhead, not scale: a second host
//! adds no core, only a second engine contending for the same two.
//!
//! `cargo xtask bench` (which starts a throwaway PostgreSQL server) or
//! `ONETHING_TEST_POSTGRES=postgres://… cargo bench -p onething --bench
//! hosts` (after `cargo xtask build-plugins`). Sizes: BENCH_APPS (default
//! 1000), BENCH_CONCURRENCY (default 16). Under `cargo test` it is a
//! smoke run: 60 applications, a debug build, figures meaningless.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onething_catalog::{Catalog, Serving, local};
use onething_engine::{Engine, LeaseSettings, Metrics, Settings};
use onething_model::application::{ApplicationDoc, sniff_media_type};
use onething_model::ids::Digest;
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Limits, Runtime};
use onething_store::materials::MaterialMeta;
use onething_store::{CheckpointKey, Store, StoreOptions};
use onething_store_postgres::PostgresStore;
use onething_store_sqlite::SqliteStore;
use onething_testing::repo;
use serde_json::{Value, json};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn options() -> StoreOptions {
    StoreOptions {
        audit: true,
        checkpoint_key: Some(CheckpointKey(ed25519_dalek::SigningKey::from_bytes(
            &[42u8; 32],
        ))),
    }
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async { tokio::spawn(async_main()).await? })
}

/// What one run measured.
struct Figures {
    completed: usize,
    wall: Duration,
    p50: Duration,
    p99: Duration,
}

async fn async_main() -> anyhow::Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    if smoke {
        println!("smoke run (cargo test): sizes reduced, figures not meaningful");
    }
    let n = env_usize("BENCH_APPS", if smoke { 60 } else { 1000 });
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    let server = std::env::var("ONETHING_TEST_POSTGRES").map_err(|_| {
        anyhow::anyhow!(
            "ONETHING_TEST_POSTGRES is not set: run `cargo xtask bench`, which starts a throwaway PostgreSQL server, or set it to a server's URL"
        )
    })?;
    let limits = Limits {
        compile_cache_dir: Some(repo().join("target/onething-cache")),
        ..Limits::default()
    };
    let systems = onething_testing::systems::start().await?;
    let sample_path = repo().join("examples/applications/newborn.json");
    let sample: Value = serde_json::from_str(&std::fs::read_to_string(&sample_path)?)?;
    println!(
        "hosts: {n} newborn applications (6 steps each), {concurrency} in flight, engine without HTTP, audit log on"
    );

    let dir = tempfile::tempdir()?;
    let sqlite: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path(), options())?);
    let one_sqlite = run(
        std::slice::from_ref(&sqlite),
        n,
        concurrency,
        &limits,
        &systems,
        &sample,
        &sample_path,
    )
    .await?;
    report("1 host, SQLite", &one_sqlite, n, None);

    let db1 = Database::fresh(&server).await?;
    let pg: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db1.url, options()).await?);
    let one_pg = run(
        std::slice::from_ref(&pg),
        n,
        concurrency,
        &limits,
        &systems,
        &sample,
        &sample_path,
    )
    .await?;
    report("1 host, PostgreSQL", &one_pg, n, Some(&one_sqlite));

    let db2 = Database::fresh(&server).await?;
    let a: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db2.url, options()).await?);
    let b: Arc<dyn Store> = Arc::new(PostgresStore::connect(&db2.url, options()).await?);
    let two_pg = run(
        &[a, b],
        n,
        concurrency,
        &limits,
        &systems,
        &sample,
        &sample_path,
    )
    .await?;
    report("2 hosts, PostgreSQL", &two_pg, n, Some(&one_sqlite));

    // Where the time goes: one read of an application's events, alone.
    let reads = if smoke { 50 } else { 2000 };
    for (name, store) in [("SQLite", &sqlite), ("PostgreSQL", &pg)] {
        let id = store
            .list(None, false, 1)
            .await?
            .first()
            .map(|s| s.id.clone())
            .unwrap_or_default();
        let started = Instant::now();
        for _ in 0..reads {
            store.events(&id, 0).await?;
        }
        println!(
            "  one read of an application's events, {name:<10}: {:>7.1} µs",
            started.elapsed().as_secs_f64() * 1e6 / reads as f64
        );
    }
    for store in [&sqlite, &pg] {
        let verified = store
            .verify_audit(&onething_store::audit::VerifyOptions::default())
            .await?;
        anyhow::ensure!(verified.is_ok(), "the audit chain is broken: {verified:?}");
    }
    Ok(())
}

fn report(name: &str, f: &Figures, n: usize, baseline: Option<&Figures>) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let rate = f.completed as f64 / f.wall.as_secs_f64();
    let ratio = baseline
        .map(|b| {
            let base = b.completed as f64 / b.wall.as_secs_f64();
            format!("; {:.2}x the SQLite host's rate", rate / base)
        })
        .unwrap_or_default();
    println!(
        "  {name:<20}: {:>5} of {n} final in {:>6.2} s = {rate:>6.0}/s; completion p50/p99 {:>7.1}/{:>7.1} ms{ratio}",
        f.completed,
        f.wall.as_secs_f64(),
        ms(f.p50),
        ms(f.p99),
    );
}

/// `n` applications over one engine per store in `stores` (all on one
/// database when they are several), `concurrency` in flight.
async fn run(
    stores: &[Arc<dyn Store>],
    n: usize,
    concurrency: usize,
    limits: &Limits,
    systems: &onething_testing::systems::Simulated,
    sample: &Value,
    sample_path: &std::path::Path,
) -> anyhow::Result<Figures> {
    let mut engines = Vec::new();
    let mut runtimes = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let (engine, runtime) =
            engine_over(store.clone(), &format!("bench-host-{i}"), limits, systems).await?;
        engines.push(engine);
        runtimes.push(runtime);
    }
    let body = with_stored_materials(sample, sample_path, &*stores[0]).await?;
    // Final instants, from every engine's live updates.
    let finals: Arc<(Mutex<HashMap<String, Instant>>, tokio::sync::Notify)> = Arc::default();
    for engine in &engines {
        let mut rx = engine.subscribe();
        let finals = finals.clone();
        tokio::spawn(async move {
            while let Ok(u) = rx.recv().await {
                if u.status.is_final() || u.status == onething_model::state::AppStatus::Manual {
                    finals
                        .0
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .entry(u.application.clone())
                        .or_insert_with(Instant::now);
                    finals.1.notify_waiters();
                }
            }
        });
    }
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await?;
        let engine = engines[i % engines.len()].clone();
        let doc: ApplicationDoc = serde_json::from_value(vary(&body, i))?;
        let finals = finals.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let submitted = Instant::now();
            let (id, _) = engine
                .submit(&doc, None)
                .await
                .map_err(|e| anyhow::anyhow!("submit: {e}"))?;
            loop {
                let notified = finals.1.notified();
                let at = finals
                    .0
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&id)
                    .copied();
                if let Some(at) = at {
                    return Ok::<_, anyhow::Error>(at.saturating_duration_since(submitted));
                }
                let _ = tokio::time::timeout(Duration::from_millis(200), notified).await;
            }
        });
    }
    let mut latencies = Vec::new();
    while let Some(done) = tasks.join_next().await {
        latencies.push(done??);
    }
    let wall = started.elapsed();
    latencies.sort();
    drop((engines, runtimes));
    Ok(Figures {
        completed: latencies.len(),
        wall,
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    })
}

/// Newborns spread over 160 birth dates (an office issues a bounded
/// number of ID numbers per date).
fn vary(base: &Value, i: usize) -> Value {
    let mut doc = base.clone();
    let born = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
        + chrono::Days::new((i % 160) as u64);
    doc["fields"]["child.birth_date"] = json!(born.format("%Y-%m-%d").to_string());
    doc
}

/// One host: an engine over `store` named `host`, serving the example
/// bundles with every department plugin, wired to the simulated systems.
async fn engine_over(
    store: Arc<dyn Store>,
    host: &str,
    limits: &Limits,
    systems: &onething_testing::systems::Simulated,
) -> anyhow::Result<(Engine, Runtime)> {
    let outbound = onething_testing::systems::outbound(&systems.base, &systems.config)
        .map_err(anyhow::Error::msg)?;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
    let caps = Capabilities::new(Arc::new(FixedClock::new(today)), store.kv())
        .with_outbound(Arc::new(outbound));
    let runtime = Runtime::new(limits.clone(), caps)?;
    let (dictionary, grants, plugins, bundles) = (
        repo().join("examples/dictionary.toml"),
        repo().join("examples/grants.toml"),
        repo().join("target/plugins"),
        repo().join("examples/bundles"),
    );
    let paths = local::LocalPaths {
        dictionary: &dictionary,
        grants: &grants,
        plugins: &plugins,
        bundles: &bundles,
    };
    let catalog: Catalog = local::load(&runtime, paths, None).await?;
    let settings = Settings {
        lease: LeaseSettings {
            host: host.to_owned(),
            ..LeaseSettings::default()
        },
        ..Settings::default()
    };
    let engine = Engine::with_settings(
        store.clone(),
        Arc::new(Serving::new(catalog, store)),
        settings,
        Arc::new(Metrics::new()),
    );
    Ok((engine, runtime))
}

/// The sample with its materials stored and referenced by digest.
async fn with_stored_materials(
    sample: &Value,
    sample_path: &std::path::Path,
    store: &dyn Store,
) -> anyhow::Result<Value> {
    let mut body = sample.clone();
    for m in body["materials"].as_array_mut().into_iter().flatten() {
        let bytes = std::fs::read(
            sample_path
                .parent()
                .expect("dir")
                .join(m["path"].as_str().unwrap_or("")),
        )?;
        let meta = MaterialMeta {
            digest: Digest::of(&bytes),
            media_type: sniff_media_type(&bytes)
                .unwrap_or("application/pdf")
                .to_owned(),
            size: bytes.len() as u64,
        };
        store.put_material(&meta, &bytes).await?;
        *m = json!({ "code": m["code"], "digest": meta.digest, "media_type": meta.media_type, "size": meta.size });
    }
    Ok(body)
}

/// A fresh database on the server, dropped with it (best effort).
struct Database {
    server: String,
    name: String,
    url: String,
}

async fn connect(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

impl Database {
    async fn fresh(server: &str) -> anyhow::Result<Self> {
        let name = format!("onething_bench_{}", uuid::Uuid::now_v7().simple());
        connect(server)
            .await?
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let config: tokio_postgres::Config = server.parse()?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres");
        Ok(Self {
            server: server.to_owned(),
            url: format!("postgres://{user}@{host}:{port}/{name}"),
            name,
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (server, name) = (self.server.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async {
                    if let Ok(client) = connect(&server).await {
                        let _ = client
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                });
            }
        })
        .join();
    }
}
