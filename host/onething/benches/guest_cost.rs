//! Benchmark: what one fresh-instance call costs a department written in
//! Python or JavaScript, beside the same department in Rust, in one run.
//!
//! The three builds of the housing fund centre (`plugins/departments/
//! housing-fund` in Rust, `plugins/python/housing-fund` built with
//! componentize-py, `plugins/js/housing-fund` built with jco) each handle
//! the step `employer-account` through `Plugin::handle` with every
//! safeguard on: once answered by its system (one mocked POST through the
//! host's outbound side, as `onething test` mocks it) and once refused
//! before any request (`needs-more`). For each: the median wall time per
//! call, the ratio to Rust's, the minor page faults per call and the
//! linear memory the call reached.
//!
//! Before and after the reductions, in the same run: `python-cold` and
//! `js-cold` are the same departments built without the SDKs' warm-up
//! snapshot (`export(…, warm_up=False)`, `department(…, { warmUp: false
//! })`), `python` and `js` with it; and each guest build again with the
//! pool keeping its whole memory resident between calls
//! (`limits.pool_keep_resident_bytes` of 64 MiB, so a call resets the
//! pages it dirtied instead of faulting the snapshot in again). The
//! anatomy table gives what each build is made of (its footprint:
//! core instances, memories, tables) and the instructions (fuel) of one
//! call of each kind.
//!
//! Run with `cargo xtask bench --bench guest_cost` (it builds the
//! components first); `BENCH_BATCHES` and `BENCH_MS` (per batch) change
//! the sizes, `BENCH_ONLY=python,js` picks builds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use onething_catalog::local::load_dictionary;
use onething_model::call::{Field, StepOutcome, StepRequest};
use onething_model::dictionary::{Dictionary, FieldValue};
use onething_model::ids::{FieldKey, StepId};
use onething_runtime::capabilities::breaker::BreakerSettings;
use onething_runtime::capabilities::http::{MockAnswer, Outbound, Responder, SentRequest};
use onething_runtime::capabilities::outbound::{OutboundPolicies, OutboundToml, SecretStore};
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Footprint, Limits, Plugin, Runtime};
use onething_store::memory::MemoryKv;

const SYSTEM: &str = "https://gjj.xm.example/housing-fund/v1";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The housing fund's system, answering every account opening.
struct Opens;

impl Responder for Opens {
    fn answer(&self, request: &SentRequest) -> Option<MockAnswer> {
        (request.method == "POST").then(|| MockAnswer::Answer {
            status: 201,
            headers: vec![("content-type".into(), "application/json".into())],
            body: br#"{"account_number":"HF000000000001"}"#.to_vec(),
        })
    }
}

/// Minor page faults of this process so far (field 10 of
/// /proc/self/stat), or 0 where there is no /proc.
fn minor_faults() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    // The command name (field 2) may hold spaces: count after its ')'.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(7))
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

fn request(employees: i64) -> anyhow::Result<StepRequest> {
    let text = |k: &str, v: &str| -> anyhow::Result<Field> {
        Ok(Field {
            key: FieldKey::parse(k)?,
            value: FieldValue::Text(v.into()),
        })
    };
    Ok(StepRequest {
        application: "app-bench".into(),
        step: StepId::parse("employer-account")?,
        idempotency_key: "app-bench/employer-account".into(),
        attempt: 1,
        fields: vec![
            text("enterprise.uscc", "91350206MA2Y3K5P9T")?,
            text("enterprise.name", "厦门鹭岛茶业有限公司")?,
            Field {
                key: FieldKey::parse("enterprise.employee_count")?,
                value: FieldValue::Integer(employees),
            },
        ],
        materials: vec![],
    })
}

/// A runtime as `onething test` makes one for the housing fund: its
/// system's origin allowed, its base URL configured, every request
/// answered by [`Opens`].
fn runtime(limits: Limits) -> anyhow::Result<Runtime> {
    let outbound: OutboundToml =
        toml::from_str(&format!("[housing-fund]\nallow = [\"{SYSTEM}/\"]\n"))?;
    let policies = OutboundPolicies::build(&outbound, &BTreeMap::new())
        .map_err(|f| anyhow::anyhow!("{f:?}"))?;
    let config = BTreeMap::from([(
        "housing-fund".to_owned(),
        BTreeMap::from([("base_url".to_owned(), SYSTEM.to_owned())]),
    )]);
    let outbound = Outbound::new(
        policies,
        SecretStore::default(),
        config,
        BreakerSettings::default(),
        Arc::new(onething_runtime::capabilities::http::TracingRecorder),
    )
    .with_responder(Arc::new(Opens));
    let caps = Capabilities::new(
        Arc::new(FixedClock::new(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date"),
        )),
        Arc::new(MemoryKv::default()),
    )
    .with_outbound(Arc::new(outbound));
    Ok(Runtime::new(limits, caps)?)
}

/// One measured kind of call.
struct Figures {
    per_call: Duration,
    faults_per_call: f64,
    memory_bytes: usize,
}

/// Median per-call time over `batches` batches of about `batch` each,
/// the page faults per call over all of them, and the memory one call
/// reached.
async fn measure(
    plugin: &Plugin,
    req: &StepRequest,
    approved: bool,
    batches: usize,
    batch: Duration,
) -> anyhow::Result<Figures> {
    let call = || async {
        let m = plugin.handle_measured(req).await;
        match &m.result {
            Ok(Ok(outcome)) if matches!(outcome, StepOutcome::Approved(_)) == approved => {
                Ok(m.usage.memory_bytes)
            }
            other => Err(anyhow::anyhow!(
                "{} answered {other:?}, not the outcome benchmarked",
                plugin.manifest().version
            )),
        }
    };
    // Warm up, and size a batch from the warm calls.
    let started = Instant::now();
    let mut memory_bytes = 0;
    for _ in 0..5 {
        memory_bytes = call().await?;
    }
    let one = started.elapsed() / 5;
    let iters = (batch.as_nanos() / one.as_nanos().max(1)).clamp(5, 2_000) as u32;
    let faults_before = minor_faults();
    let mut per_iter = Vec::with_capacity(batches);
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..iters {
            call().await?;
        }
        per_iter.push(start.elapsed() / iters);
    }
    let faults = minor_faults().saturating_sub(faults_before);
    per_iter.sort();
    Ok(Figures {
        per_call: per_iter[batches / 2],
        faults_per_call: faults as f64 / (batches as f64 * f64::from(iters)),
        memory_bytes,
    })
}

/// One build of the department under one setting.
struct Row {
    build: String,
    setting: &'static str,
    approved: Figures,
    refused: Figures,
    load: Duration,
}

/// What a build is made of and executes: its footprint from its bytes,
/// and the instructions (fuel) of one approved and one refused call.
struct Anatomy {
    build: String,
    size: usize,
    footprint: Option<Footprint>,
    fuel: (Option<u64>, Option<u64>),
}

async fn anatomy(build: &str, bytes: &[u8], dict: &Dictionary) -> anyhow::Result<Anatomy> {
    let runtime = runtime(Limits {
        fuel: Some(u64::MAX / 2),
        ..Limits::default()
    })?;
    let plugin = runtime
        .load_bytes(bytes.to_vec(), &format!("{build}.wasm"), dict)
        .await?;
    let approved = plugin.handle_measured(&request(8)?).await.usage.fuel;
    let refused = plugin.handle_measured(&request(0)?).await.usage.fuel;
    Ok(Anatomy {
        build: build.to_owned(),
        size: bytes.len(),
        footprint: Footprint::of(bytes),
        fuel: (approved, refused),
    })
}

async fn row(
    build: &str,
    bytes: &[u8],
    setting: &'static str,
    limits: Limits,
    dict: &Dictionary,
    (batches, batch): (usize, Duration),
) -> anyhow::Result<Row> {
    let runtime = runtime(limits)?;
    let started = Instant::now();
    let plugin = runtime
        .load_bytes(bytes.to_vec(), &format!("{build}.wasm"), dict)
        .await?;
    let load = started.elapsed();
    let approved = measure(&plugin, &request(8)?, true, batches, batch).await?;
    let refused = measure(&plugin, &request(0)?, false, batches, batch).await?;
    Ok(Row {
        build: build.to_owned(),
        setting,
        approved,
        refused,
        load,
    })
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async_main())
}

async fn async_main() -> anyhow::Result<()> {
    // `cargo test` runs benches without `--bench`: then one small batch
    // of the Rust build only (the guests compile for tens of seconds in
    // a debug build), to show the benchmark still runs.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let sizes = if smoke {
        println!(
            "smoke run (cargo test): the Rust build only, sizes reduced, figures not meaningful; `cargo xtask bench --bench guest_cost` measures"
        );
        (1, Duration::from_millis(20))
    } else {
        (
            env_or("BENCH_BATCHES", 9) as usize,
            Duration::from_millis(env_or("BENCH_MS", 150)),
        )
    };
    let dict = load_dictionary(&repo().join("examples/dictionary.toml"))?;
    let builds = [
        ("rust", repo().join("target/plugins/housing-fund.wasm")),
        (
            "python-cold",
            repo().join("target/guests/python-cold/housing-fund.wasm"),
        ),
        (
            "python",
            repo().join("target/guests/python/housing-fund.wasm"),
        ),
        (
            "js-cold",
            repo().join("target/guests/js-cold/housing-fund.wasm"),
        ),
        ("js", repo().join("target/guests/js/housing-fund.wasm")),
    ];
    // Keeping every page a call touches resident: over the largest
    // memory a call of these builds reaches.
    let resident = Limits {
        pool_keep_resident_bytes: 64 << 20,
        ..Limits::default()
    };
    let mut rows = Vec::new();
    let mut anatomies = Vec::new();
    let only = if smoke {
        Some("rust".to_owned())
    } else {
        std::env::var("BENCH_ONLY").ok()
    };
    for (build, path) in &builds {
        if only
            .as_deref()
            .is_some_and(|o| !o.split(',').any(|b| b == *build))
        {
            continue;
        }
        let Ok(bytes) = std::fs::read(path) else {
            println!(
                "guest_cost: {build}: no {} (cargo xtask bench builds it)",
                path.display()
            );
            continue;
        };
        eprintln!("guest_cost: {build} ({} bytes)", bytes.len());
        anatomies.push(anatomy(build, &bytes, &dict).await?);
        rows.push(
            row(
                build,
                &bytes,
                "default pool",
                Limits::default(),
                &dict,
                sizes,
            )
            .await?,
        );
        if *build != "rust" {
            rows.push(
                row(
                    build,
                    &bytes,
                    "keep 64 MiB resident",
                    resident.clone(),
                    &dict,
                    sizes,
                )
                .await?,
            );
        }
    }
    let rust = rows
        .iter()
        .find(|r| r.build == "rust")
        .map(|r| (r.approved.per_call, r.refused.per_call));
    println!(
        "guest_cost: housing-fund employer-account, one fresh instance per call, median of {} batches of ~{} ms",
        sizes.0,
        sizes.1.as_millis()
    );
    println!(
        "  {:<11} {:<21} {:>10} {:>7} {:>8} {:>10} {:>7} {:>8} {:>9} {:>8}",
        "build",
        "setting",
        "approved",
        "× rust",
        "faults",
        "refused",
        "× rust",
        "faults",
        "memory",
        "load"
    );
    for r in &rows {
        let ratio = |d: Duration, base: Option<Duration>| {
            base.map_or("-".to_owned(), |b| {
                format!("{:.1}", d.as_secs_f64() / b.as_secs_f64())
            })
        };
        println!(
            "  {:<11} {:<21} {:>8.1}µs {:>7} {:>8.0} {:>8.1}µs {:>7} {:>8.0} {:>7.1}MB {:>7.2}s",
            r.build,
            r.setting,
            r.approved.per_call.as_secs_f64() * 1e6,
            ratio(r.approved.per_call, rust.map(|x| x.0)),
            r.approved.faults_per_call,
            r.refused.per_call.as_secs_f64() * 1e6,
            ratio(r.refused.per_call, rust.map(|x| x.1)),
            r.refused.faults_per_call,
            r.approved.memory_bytes as f64 / 1e6,
            r.load.as_secs_f64(),
        );
    }
    println!(
        "  {:<11} {:>9} {:>6} {:>6} {:>9} {:>14} {:>14}",
        "build", "size", "cores", "mems", "tables", "fuel approved", "fuel refused"
    );
    for a in &anatomies {
        let fuel =
            |f: Option<u64>| f.map_or("-".to_owned(), |f| format!("{:.2} M", f as f64 / 1e6));
        let (cores, mems, tables) = a
            .footprint
            .map_or(("-".into(), "-".into(), "-".into()), |f| {
                (
                    f.core_instances.to_string(),
                    f.memories.to_string(),
                    f.tables.to_string(),
                )
            });
        println!(
            "  {:<11} {:>7.1}MB {:>6} {:>6} {:>9} {:>14} {:>14}",
            a.build,
            a.size as f64 / 1e6,
            cores,
            mems,
            tables,
            fuel(a.fuel.0),
            fuel(a.fuel.1)
        );
    }
    println!("  goal: Python under 200 µs per call");
    Ok(())
}
