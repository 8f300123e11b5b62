//! Benchmark: time from upload to serving for each example component,
//! with a cold and a warm compile cache, measured in the same run.
//!
//! "Upload to serving" is the whole admission: digest, Wasm compile (or a
//! compile-cache hit), world and WIT checks, `describe()` against the
//! dictionary, re-resolving every serving bundle that uses the department,
//! storing the version and its history in SQLite, and the atomic swap of
//! the serving catalog. It ends when new attempts use the new version.
//!
//! - cold: a fresh compile cache; the component has never been compiled.
//! - warm: a restarted host (fresh process state, fresh store) on the same
//!   cache directory, uploading the same component: the compiled artifact
//!   is found on disk by content digest and wasmtime version.
//!
//! Each round uploads a new build of every component (a custom section
//! appended, so the digest is new and no earlier round's cache helps),
//! declaring a new version (the host refuses a second build under a
//! version it holds).
//! `cargo bench -p onething --bench hotload` (after `cargo xtask
//! build-plugins`); BENCH_ROUNDS (default 5; 1 under `cargo test`, where
//! it is only a smoke run).

use std::sync::Arc;
use std::time::{Duration, Instant};

use onething_catalog::{Catalog, Loader, Origin, Serving, SignaturePolicy, SourceDir, Submission};
use onething_engine::{Engine, Metrics, RetryPolicy};
use onething_model::ids::Digest;
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Limits, Runtime};
use onething_store::{Store, StoreOptions};
use onething_store_sqlite::SqliteStore;
use onething_testing::repo;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A host as `onething serve` builds it, on `cache` and a fresh store.
async fn host(cache: &std::path::Path) -> anyhow::Result<(Arc<Loader>, Engine, tempfile::TempDir)> {
    let data = tempfile::tempdir()?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(data.path(), StoreOptions::default())?);
    let limits = Limits {
        compile_cache_dir: Some(cache.to_owned()),
        ..Limits::default()
    };
    let caps = Capabilities::new(
        Arc::new(FixedClock::new(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date"),
        )),
        store.kv(),
    );
    let runtime = Runtime::new(limits, caps)?;
    let dict = Arc::new(onething_catalog::local::load_dictionary(
        &repo().join("examples/dictionary.toml"),
    )?);
    let serving = Arc::new(Serving::new(Catalog::new(dict), store.clone()));
    let loader = Arc::new(Loader::new(
        runtime,
        store.clone(),
        SignaturePolicy::default(),
        serving.clone(),
    ));
    loader
        .start(
            &SourceDir::open(&repo().join("target/plugins"))?,
            &SourceDir::open(&repo().join("examples/bundles"))?,
            &onething_catalog::source::SourceFile::open(&repo().join("examples/grants.toml"))?,
            &onething_catalog::source::SourceFile::open(&repo().join("examples/dictionary.toml"))?,
        )
        .await?;
    let engine = Engine::new(
        store,
        serving,
        RetryPolicy::default(),
        Arc::new(Metrics::new()),
    );
    Ok((loader, engine, data))
}

async fn upload(loader: &Loader, engine: &Engine, bytes: Vec<u8>) -> anyhow::Result<Duration> {
    let digest = Digest::of(&bytes);
    let started = Instant::now();
    let submission = Submission::Component {
        bytes,
        signature: None,
        department: None,
    };
    let outcome = loader
        .admit(submission, &Origin::upload("bench"), true)
        .await?;
    let took = started.elapsed();
    anyhow::ensure!(
        outcome.active && outcome.changed,
        "not activated: {outcome:?}"
    );
    let serving = engine.catalog().plugins().any(|p| *p.digest() == digest);
    anyhow::ensure!(serving, "the engine does not serve {digest}");
    Ok(took)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async_main())
}

async fn async_main() -> anyhow::Result<()> {
    // Under `cargo test` (no `--bench`): one round, to check it works.
    let smoke = !std::env::args().any(|a| a == "--bench");
    if smoke {
        println!(
            "smoke run (cargo test): one round, figures not meaningful; `cargo bench` measures"
        );
    }
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 1 } else { 5 });
    let dir = repo().join("target/plugins");
    let mut components: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .map(|p| {
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            std::fs::read(&p).map(|b| (name, b))
        })
        .collect::<Result<_, _>>()?;
    components.sort();
    anyhow::ensure!(
        !components.is_empty(),
        "no components in {} (cargo xtask build-plugins)",
        dir.display()
    );

    let mut cold: Vec<Vec<f64>> = vec![Vec::new(); components.len()];
    let mut warm: Vec<Vec<f64>> = vec![Vec::new(); components.len()];
    for round in 0..rounds {
        let cache = tempfile::tempdir()?;
        let builds: Vec<Vec<u8>> = components
            .iter()
            .map(|(_, b)| {
                let tagged = onething_testing::tagged_build(b, &format!("round-{round}"));
                onething_testing::another_version(&tagged, "1.0.0", "1.0.1")
            })
            .collect();
        {
            let (loader, engine, _data) = host(cache.path()).await?;
            for (i, b) in builds.iter().enumerate() {
                cold[i].push(ms(upload(&loader, &engine, b.clone()).await?));
            }
        }
        {
            let (loader, engine, _data) = host(cache.path()).await?;
            for (i, b) in builds.iter().enumerate() {
                warm[i].push(ms(upload(&loader, &engine, b.clone()).await?));
            }
        }
    }
    println!("upload to serving, median of {rounds} rounds (ms)");
    println!(
        "{:<22} {:>9} {:>10} {:>10} {:>12}",
        "component", "size KiB", "cold", "warm", "warm/cold"
    );
    let (mut all_cold, mut all_warm) = (Vec::new(), Vec::new());
    for (i, (name, bytes)) in components.iter().enumerate() {
        let (c, w) = (median(cold[i].clone()), median(warm[i].clone()));
        all_cold.extend(cold[i].iter().copied());
        all_warm.extend(warm[i].iter().copied());
        println!(
            "{name:<22} {:>9.0} {c:>10.1} {w:>10.1} {:>12.2}",
            bytes.len() as f64 / 1024.0,
            w / c
        );
    }
    let worst_warm = all_warm.iter().copied().fold(0.0, f64::max);
    println!(
        "all components: cold median {:.1} ms, warm median {:.1} ms (ratio {:.2}), warm worst {:.1} ms; target: warm under 200 ms",
        median(all_cold.clone()),
        median(all_warm.clone()),
        median(all_warm) / median(all_cold),
        worst_warm
    );
    Ok(())
}
