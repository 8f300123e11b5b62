//! Benchmark: what the host adds to a department's outgoing request. One
//! step of the 0.2.0 test component `calls-out` makes one GET to a
//! loopback server through the host (wasi:http, the outbound policy, the
//! breaker, the concurrency permit, the record), beside the same step
//! making no request and a plain reqwest GET to the same server, all in
//! the same run, interleaved round by round.
//!
//! The host's cost of one request is (step with a request − step without)
//! − plain reqwest; the target: the step's request at most 1.5 × the
//! plain one, and under 100 µs more.
//!
//! Run with `cargo bench -p onething --bench outbound` after `cargo xtask
//! build-plugins` (`BENCH_ROUNDS`, `BENCH_ITERS` to change the sizes,
//! `BENCH_WORKERS` the runtime's threads).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onething_catalog::local::load_dictionary;
use onething_model::call::{Field, StepRequest};
use onething_model::dictionary::FieldValue;
use onething_model::ids::{FieldKey, StepId};
use onething_runtime::capabilities::breaker::BreakerSettings;
use onething_runtime::capabilities::http::{Outbound, OutboundRecord, OutboundRecorder};
use onething_runtime::capabilities::outbound::{OutboundPolicies, OutboundToml, SecretStore};
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Limits, Plugin, Runtime};
use onething_store::memory::MemoryKv;

/// Counts the records, as a recorder that does no I/O.
#[derive(Default)]
struct Count(std::sync::atomic::AtomicU64);

impl OutboundRecorder for Count {
    fn record(&self, _: OutboundRecord) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

fn repo() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(answer: &str) -> StepRequest {
    StepRequest {
        application: "app-bench".into(),
        step: StepId::parse("fetch").expect("step"),
        idempotency_key: "k".into(),
        attempt: 1,
        fields: vec![Field {
            key: FieldKey::parse("testkit.answer").expect("key"),
            value: FieldValue::Text(answer.into()),
        }],
        materials: Vec::new(),
    }
}

async fn steps(plugin: &Plugin, request: &StepRequest, iters: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for _ in 0..iters {
        match plugin.handle(request).await? {
            Ok(_) => {}
            Err(e) => anyhow::bail!("the step failed: {e:?}"),
        }
    }
    Ok(started.elapsed() / iters as u32)
}

async fn plain(client: &reqwest::Client, url: &str, iters: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for _ in 0..iters {
        let body = client.get(url).send().await?.bytes().await?;
        assert_eq!(&body[..], b"ok");
    }
    Ok(started.elapsed() / iters as u32)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() -> anyhow::Result<()> {
    // As the service runs: a multi-threaded runtime (`BENCH_WORKERS`
    // threads, 2 unless set).
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(env_or("BENCH_WORKERS", 2).max(1))
        .enable_all()
        .build()?;
    // Steps run in tasks on the runtime's workers, as the service runs
    // them (not on the thread that blocks on the runtime, where every
    // task the request spawns would be woken across threads).
    rt.block_on(async { tokio::spawn(async_main()).await? })
}

/// The loopback system on a thread and runtime of its own: a department's
/// system is another party, whose work must not be done by (nor slow)
/// the host's workers.
fn start_system() -> anyhow::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let system = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        system.block_on(async move {
            let app =
                axum::Router::new().route("/system/ok", axum::routing::get(|| async { "ok" }));
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => {
                    let _ = axum::serve(listener, app).await;
                }
                Err(e) => eprintln!("the loopback system could not listen: {e}"),
            }
        })
    });
    Ok(addr)
}

async fn async_main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (rounds, iters) = (env_or("BENCH_ROUNDS", 7), env_or("BENCH_ITERS", 500));
    let addr = start_system()?;
    let url = format!("http://{addr}/system/ok");

    let outbound: OutboundToml = toml::from_str(&format!(
        "[calls-out]\nallow = [\"http://{addr}/system/\"]\nmax_requests_per_call = 4\n"
    ))?;
    let policies = OutboundPolicies::build(&outbound, &BTreeMap::new())
        .map_err(|f| anyhow::anyhow!("{f:?}"))?;
    let count = Arc::new(Count::default());
    let caps = Capabilities::new(
        Arc::new(FixedClock::new(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date"),
        )),
        Arc::new(MemoryKv::default()),
    )
    .with_outbound(Arc::new(Outbound::new(
        policies,
        SecretStore::default(),
        BTreeMap::new(),
        BreakerSettings::default(),
        count.clone(),
    )));
    let runtime = Runtime::new(Limits::default(), caps)?;
    let pooling = runtime.is_pooling();
    let wasm = repo().join("target/test-components/calls-out.wasm");
    let bytes = std::fs::read(&wasm).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e} (run `cargo xtask build-plugins` first)",
            wasm.display()
        )
    })?;
    let dict = load_dictionary(&repo().join("examples/dictionary.toml"))?;
    let plugin = runtime.load_bytes(bytes, "calls-out.wasm", &dict).await?;
    let with_call = request(&format!("1 GET {url}"));
    let without = request("0 GET -");
    let client = reqwest::Client::builder().no_proxy().build()?;

    // Warm: connections, the pool, the compiled code.
    steps(&plugin, &with_call, 50).await?;
    steps(&plugin, &without, 50).await?;
    plain(&client, &url, 50).await?;

    let (mut reqs, mut calls, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        reqs.push(plain(&client, &url, iters).await?);
        calls.push(steps(&plugin, &with_call, iters).await?);
        bare.push(steps(&plugin, &without, iters).await?);
    }
    let (req, call, step) = (median(reqs), median(calls), median(bare));
    let through_host = call.saturating_sub(step);
    let overhead = through_host.saturating_sub(req);
    println!(
        "outbound: {rounds} rounds of {iters}, medians per call, {} runtime threads, pooling allocator {}",
        env_or("BENCH_WORKERS", 2).max(1),
        if pooling {
            "on"
        } else {
            "off (instances allocated on demand)"
        }
    );
    println!(
        "  plain reqwest GET on loopback                : {:>8.1} µs",
        us(req)
    );
    println!(
        "  step without a request (fresh instance)      : {:>8.1} µs",
        us(step)
    );
    println!(
        "  step with one request through the host       : {:>8.1} µs",
        us(call)
    );
    println!(
        "  the request through the host (with − without): {:>8.1} µs",
        us(through_host)
    );
    println!(
        "  ratio request through the host / plain        : {:>8.2}x   (target ≤ 1.5x)",
        through_host.as_secs_f64() / req.as_secs_f64()
    );
    println!(
        "  host's overhead per request                   : {:>8.1} µs  (target < 100 µs)",
        us(overhead)
    );
    println!(
        "  requests recorded                             : {:>8}",
        count.0.load(std::sync::atomic::Ordering::Relaxed)
    );
    Ok(())
}
