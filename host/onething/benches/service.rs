//! Benchmark: newborn applications through the service on the durable
//! SQLite store, over loopback HTTP, with a bounded load generator.
//! Prints completed applications per second and p50/p99 latency of submit
//! (HTTP round trip) and of completion (submit to last step recorded),
//! beside a baseline measured in the same run: the same applications
//! through the same engine over the in-memory store (what `onething run`
//! does: no HTTP, no SQLite).
//!
//! The service runs as deployed (audit log, a bearer token on every
//! request), without authentication, with a token never seen before on
//! every submission, and without the audit log, in rounds (BENCH_PAIRS,
//! default 2; the order turned every other round), to show what
//! authentication and the audit log cost.
//!
//! `cargo xtask bench` or `cargo bench -p onething --bench service`
//! (after `cargo xtask build-plugins`). Sizes: BENCH_APPS (default 2000),
//! BENCH_CONCURRENCY (default 16). Under `cargo test` (no `--bench`
//! argument) it is a smoke run: 200 applications, one pair, a debug
//! build — it checks the bench works, its figures mean nothing.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use onething_api::{ApiState, Closing, RequestLimits, router};
use onething_catalog::{Catalog, Serving, local};
use onething_engine::{Engine, Metrics, RetryPolicy};
use onething_model::application::{ApplicationDoc, sniff_media_type};
use onething_model::ids::Digest;
use onething_model::state::AppStatus;
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Limits, Runtime};
use onething_store::materials::MaterialMeta;
use onething_store::memory::MemoryStore;
use onething_store::{Store, StoreOptions};
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
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 28).expect("date")
}

/// Newborns spread over 160 birth dates: a household registration office
/// issues at most 500 ID numbers per birth date and sex, as in life.
fn vary(base: &Value, i: usize) -> Value {
    let mut doc = base.clone();
    let born = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
        + chrono::Days::new((i % 160) as u64);
    doc["fields"]["child.birth_date"] = json!(born.format("%Y-%m-%d").to_string());
    doc
}

fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async_main())
}

async fn async_main() -> anyhow::Result<()> {
    let smoke = !std::env::args().any(|a| a == "--bench");
    if smoke {
        println!(
            "smoke run (cargo test): sizes reduced, figures not meaningful; `cargo bench` measures"
        );
    }
    let n = env_usize("BENCH_APPS", if smoke { 200 } else { 2000 });
    let concurrency = env_usize("BENCH_CONCURRENCY", 16);
    let direct = std::env::var_os("BENCH_DIRECT").is_some();
    let limits = Limits {
        compile_cache_dir: Some(repo().join("target/onething-cache")),
        ..Limits::default()
    };
    let sample_path = repo().join("examples/applications/newborn.json");
    let sample: Value = serde_json::from_str(&std::fs::read_to_string(&sample_path)?)?;

    // Baseline: the same engine over the in-memory store, no HTTP.
    let store = Arc::new(MemoryStore::new(StoreOptions::default()));
    let (engine, runtime, _systems) = engine_over(store.clone(), &limits).await?;
    let body = with_stored_materials(&sample, &sample_path, &*store).await?;
    let mut updates = engine.subscribe();
    let started = Instant::now();
    let mut pending = std::collections::HashSet::new();
    let mut done = 0usize;
    for chunk in (0..n).collect::<Vec<_>>().chunks(concurrency) {
        for &i in chunk {
            let doc: ApplicationDoc = serde_json::from_value(vary(&body, i))?;
            let (id, _) = engine
                .submit(&doc, None)
                .await
                .map_err(|e| anyhow::anyhow!("submit: {e}"))?;
            pending.insert(id);
        }
        // Wait for this chunk, as the service bench's submitters do.
        while !pending.is_empty() {
            let u = updates.recv().await?;
            if u.status != AppStatus::Running && pending.remove(&u.application) {
                anyhow::ensure!(
                    u.status == AppStatus::Completed,
                    "local run did not complete: {:?}",
                    u.status
                );
                done += 1;
            }
        }
    }
    let local_rate = done as f64 / started.elapsed().as_secs_f64();
    drop((engine, runtime));

    // The service, with the audit log and without it, alternating.
    let pairs = env_usize("BENCH_PAIRS", if smoke { 1 } else { 2 });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "service: {n} newborn applications (6 steps each), {concurrency} concurrent submitters, SQLite store, loopback HTTP"
    );
    // Each round runs the service four ways back to back (the order turned
    // every other round): as deployed (audit log, one applicant's token on
    // every request, verified once and then remembered), without
    // authentication, with a fresh token on every submission (each one
    // verified: the worst case for the token cache), without the audit log.
    let mut full_rates = Vec::new();
    let (mut auth_costs, mut fresh_costs, mut audit_costs) = (Vec::new(), Vec::new(), Vec::new());
    for pair in 0..pairs {
        let mut runs = vec![
            Mode::Deployed,
            Mode::NoAuthentication,
            Mode::FreshTokens,
            Mode::NoAuditLog,
        ];
        if pair % 2 == 1 {
            runs.reverse();
        }
        let mut rates = HashMap::new();
        for mode in runs {
            let f = service_run(n, concurrency, direct, mode, &limits, &sample_path).await?;
            println!(
                "  {:<18}: {:>5} of {n} completed in {:>5.2} s = {:>6.0}/s; submit p50/p99 {:>6.2}/{:>6.2} ms; completion p50/p99 {:>7.2}/{:>7.2} ms; {} audit records (chain verified)",
                mode.name(),
                f.completed,
                f.wall.as_secs_f64(),
                f.rate,
                ms(f.submit.0),
                ms(f.submit.1),
                ms(f.completion.0),
                ms(f.completion.1),
                f.audit_records,
            );
            rates.insert(mode.name(), f.rate);
        }
        let rate = |m: Mode| rates.get(m.name()).copied().unwrap_or(f64::NAN);
        full_rates.push(rate(Mode::Deployed));
        auth_costs.push((1.0 - rate(Mode::Deployed) / rate(Mode::NoAuthentication)) * 100.0);
        fresh_costs.push((1.0 - rate(Mode::FreshTokens) / rate(Mode::NoAuthentication)) * 100.0);
        audit_costs.push((1.0 - rate(Mode::Deployed) / rate(Mode::NoAuditLog)) * 100.0);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let shown = |v: &[f64]| {
        v.iter()
            .map(|c| format!("{c:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rate_full = median(&mut full_rates);
    println!(
        "  throughput as deployed    : {rate_full:>8.0} completed applications/s (median of {pairs})"
    );
    let (auth_shown, fresh_shown, audit_shown) =
        (shown(&auth_costs), shown(&fresh_costs), shown(&audit_costs));
    println!(
        "  authentication and scoping: {:>7.1} % of throughput, median of each round's own ({auth_shown} %); target <= 5 %",
        median(&mut auth_costs),
    );
    println!(
        "  ... a new token every time: {:>7.1} % of throughput, median of each round's own ({fresh_shown} %)",
        median(&mut fresh_costs),
    );
    println!(
        "  audit log                 : {:>7.1} % of throughput, median of each round's own ({audit_shown} %); target < 10 %",
        median(&mut audit_costs),
    );
    // Verification on its own, in the same process: small next to the
    // noise between runs, so measured directly too and set against the
    // wall time one application takes at the deployed rate.
    let (fresh, remembered) = token_verification(if smoke { 100 } else { 2000 })?;
    let per_application = 1.0 / rate_full;
    println!(
        "  verifying a token         : {:>7.1} µs new, {:>5.2} µs remembered; a new one is {:.1} % of the wall time per application as deployed",
        fresh.as_secs_f64() * 1e6,
        remembered.as_secs_f64() * 1e6,
        fresh.as_secs_f64() / per_application * 100.0,
    );
    println!(
        "  baseline (the engine over the in-memory store, as onething run): {local_rate:>8.0} applications/s"
    );
    println!(
        "  ratio service (as deployed) / baseline: {:>8.2}",
        rate_full / local_rate
    );
    println!("  target: >= 1000 completed applications/s");
    Ok(())
}

/// `n` tokens of the sample's applicant, each with its own expiry (so its
/// own signature): none is answered from the verified-token memory.
fn distinct_tokens(
    issuer: &onething_identity::dev::DevIssuer,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    (0..n)
        .map(|i| {
            let claims = onething_identity::dev::TokenClaims {
                subject: "bench-mother".into(),
                id_number: Some("350203199003071527".into()),
                ..Default::default()
            };
            Ok(issuer.mint(&claims, Duration::from_secs(3601 + i as u64))?)
        })
        .collect()
}

/// The time one bearer token takes to verify: a token never seen (its
/// signature checked) and one already verified (answered from memory).
fn token_verification(n: usize) -> anyhow::Result<(Duration, Duration)> {
    let issuer_dir = tempfile::tempdir()?;
    let issuer = onething_identity::dev::DevIssuer::create(issuer_dir.path())?;
    let tokens = distinct_tokens(&issuer, n)?;
    let verifier = onething_identity::Verifier::with_keys(issuer.config(), issuer.jwks());
    let verify_all = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        for t in &tokens {
            verifier.verify(t).map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        Ok(started.elapsed() / n.max(1) as u32)
    };
    let fresh = verify_all()?;
    let remembered = verify_all()?;
    Ok((fresh, remembered))
}

/// How a run of the service is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The audit log on, a bearer token (a JWT) verified on every request.
    Deployed,
    /// The audit log on, every request taken as the sample's applicant
    /// without a token: what verification and scoping cost.
    NoAuthentication,
    /// As deployed, but every submission carries a token the service has
    /// not seen (same applicant, another expiry), so each one is verified
    /// and nothing comes from the verified-token cache.
    FreshTokens,
    /// Tokens on, the audit log off: what the audit log costs.
    NoAuditLog,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Deployed => "as deployed",
            Mode::NoAuthentication => "no authentication",
            Mode::FreshTokens => "a new token each",
            Mode::NoAuditLog => "no audit log",
        }
    }
}

/// What one run of the service measured.
struct Figures {
    completed: u64,
    wall: Duration,
    rate: f64,
    submit: (Duration, Duration),
    completion: (Duration, Duration),
    audit_records: u64,
}

/// The engine over `store`, serving the example bundles with every
/// department plugin, the plugins' clock pinned, the departments wired to
/// their simulated systems (started here, on loopback); and the runtime
/// and the systems, which must outlive every call.
async fn engine_over(
    store: Arc<dyn Store>,
    limits: &Limits,
) -> anyhow::Result<(Engine, Runtime, onething_testing::systems::Simulated)> {
    let systems = onething_testing::systems::start().await?;
    let outbound = onething_testing::systems::outbound(&systems.base, &systems.config)
        .map_err(anyhow::Error::msg)?;
    let caps = Capabilities::new(Arc::new(FixedClock::new(today())), store.kv())
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
    let engine = Engine::new(
        store.clone(),
        Arc::new(Serving::new(catalog, store)),
        RetryPolicy::default(),
        Arc::new(Metrics::new()),
    );
    Ok((engine, runtime, systems))
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

/// One run of the service over a fresh store, with or without the audit log.
async fn service_run(
    n: usize,
    concurrency: usize,
    direct: bool,
    mode: Mode,
    limits: &Limits,
    sample_path: &std::path::Path,
) -> anyhow::Result<Figures> {
    // The service: SQLite store, engine, axum on loopback.
    let dir = tempfile::tempdir()?;
    let audit = mode != Mode::NoAuditLog;
    // As deployed: checkpoints signed with the host's key.
    let checkpoint_key =
        onething_store::CheckpointKey(ed25519_dalek::SigningKey::from_bytes(&[42u8; 32]));
    let sqlite = SqliteStore::open(
        dir.path(),
        StoreOptions {
            audit,
            checkpoint_key: Some(checkpoint_key),
        },
    )?;
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let (engine, runtime, _systems) = engine_over(store.clone(), limits).await?;
    // The sample's applicant, with a token from a development issuer.
    let issuer_dir = tempfile::tempdir()?;
    let issuer = onething_identity::dev::DevIssuer::create(issuer_dir.path())?;
    let token = issuer.mint(
        &onething_identity::dev::TokenClaims {
            subject: "bench-mother".into(),
            id_number: Some("350203199003071527".into()),
            ..Default::default()
        },
        Duration::from_secs(3600),
    )?;
    // For FreshTokens: one token per submission, each with its own expiry
    // (so its own signature), minted before the clock starts.
    let fresh_tokens: Arc<Vec<String>> = Arc::new(if mode == Mode::FreshTokens {
        distinct_tokens(&issuer, n)?
    } else {
        Vec::new()
    });
    let verifier = Arc::new(onething_identity::Verifier::with_keys(
        issuer.config(),
        issuer.jwks(),
    ));
    let auth = match mode {
        Mode::NoAuthentication => onething_api::Authenticator::taking_everyone_as(
            verifier
                .verify(&token)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        _ => onething_api::Authenticator::new(Vec::new(), Vec::new(), Some(verifier)),
    };
    let app = router(ApiState {
        engine: engine.clone(),
        auth: Arc::new(auth),
        // One person submits everything here.
        rates: Arc::new(onething_api::rate::RateLimits::new(
            onething_api::rate::RateSettings {
                per_subject_per_minute: u32::MAX,
                per_address_per_minute: u32::MAX,
                burst: u32::MAX,
            },
        )),
        anonymous_catalogue: false,
        loader: None,
        limits: RequestLimits::default(),
        closing: Closing::never(),
        stream_poll: std::time::Duration::from_secs(1),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    // The service's own server, with its default connection limits.
    let metrics = engine.metrics().clone();
    tokio::spawn(async move {
        onething_api::server::serve(
            listener,
            app,
            onething_api::server::HttpSettings::default(),
            metrics,
            std::future::pending(),
            Duration::from_secs(1),
        )
        .await
    });

    // Completion instants, from the engine's live updates.
    let submitted_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (finished_tx, finished) = tokio::sync::oneshot::channel::<HashMap<String, Instant>>();
    {
        let mut rx = engine.subscribe();
        tokio::spawn(async move {
            let mut completed_at: HashMap<String, Instant> = HashMap::new();
            while let Ok(u) = rx.recv().await {
                if u.status.is_final() || u.status == AppStatus::Manual {
                    completed_at
                        .entry(u.application.clone())
                        .or_insert_with(Instant::now);
                    if completed_at.len() == n {
                        let _ = finished_tx.send(completed_at);
                        return;
                    }
                }
            }
        });
    }

    // Materials once, then N submissions with bounded concurrency.
    let mut headers = reqwest::header::HeaderMap::new();
    if mode != Mode::NoAuthentication {
        headers.insert(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {token}").parse()?,
        );
    }
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    let applicant = onething_model::party::Applicant {
        owner: format!("{}#bench-mother", onething_identity::dev::DEV_ISSUER),
        id_number: Some("350203199003071527".into()),
    };
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(sample_path)?)?;
    for m in body["materials"].as_array_mut().into_iter().flatten() {
        let bytes = std::fs::read(
            sample_path
                .parent()
                .expect("dir")
                .join(m["path"].as_str().unwrap_or("")),
        )?;
        let media = sniff_media_type(&bytes).unwrap_or("application/pdf");
        let meta: Value = client
            .post(format!("{base}/api/materials"))
            .header("content-type", media)
            .body(bytes)
            .send()
            .await?
            .json()
            .await?;
        *m = json!({ "code": m["code"], "digest": meta["digest"], "media_type": meta["media_type"], "size": meta["size"] });
    }
    let submit_lat: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await?;
        let body = vary(&body, i);
        let (client, base, submit_lat, submitted_at) = (
            client.clone(),
            base.clone(),
            submit_lat.clone(),
            submitted_at.clone(),
        );
        let engine = engine.clone();
        let applicant = applicant.clone();
        let fresh_token = fresh_tokens.get(i).cloned();
        tasks.spawn(async move {
            let t = Instant::now();
            let id = if direct {
                // Diagnostic: the engine without HTTP.
                let doc: ApplicationDoc = serde_json::from_value(body)?;
                let r = engine.submit(&doc, Some(&applicant)).await;
                drop(permit);
                Some(r.map_err(|e| anyhow::anyhow!("submit: {e}"))?.0)
            } else {
                let mut request = client.post(format!("{base}/api/applications"));
                if let Some(t) = &fresh_token {
                    request = request.bearer_auth(t);
                }
                let r = request.json(&body).send().await;
                drop(permit);
                let r = r.map_err(|e| anyhow::anyhow!("submit: {e}"))?;
                anyhow::ensure!(r.status() == 202, "submit answered {}", r.status());
                let v: Value = r.json().await?;
                v["id"].as_str().map(str::to_owned)
            };
            let lat = t.elapsed();
            if let Some(id) = id
                && let Ok(mut m) = submitted_at.lock()
            {
                m.insert(id, t);
            }
            if let Ok(mut l) = submit_lat.lock() {
                l.push(lat);
            }
            Ok::<_, anyhow::Error>(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let completed_at = tokio::time::timeout(Duration::from_secs(600), finished)
        .await
        .map_err(|_| anyhow::anyhow!("not every application finished in 600 s"))??;
    let wall = started.elapsed();
    let counts = store.counts().await?;
    let completed = counts
        .iter()
        .find(|(s, _)| *s == AppStatus::Completed)
        .map_or(0, |(_, c)| *c);
    let rate = completed as f64 / wall.as_secs_f64();
    let mut sl = submit_lat.lock().map(|v| v.clone()).unwrap_or_default();
    let submitted = submitted_at.lock().map(|m| m.clone()).unwrap_or_default();
    let mut cl: Vec<Duration> = completed_at
        .iter()
        .filter_map(|(id, done)| {
            submitted
                .get(id)
                .map(|s| done.saturating_duration_since(*s))
        })
        .collect();
    sl.sort();
    cl.sort();
    let audit_records = match store.verify_audit(&Default::default()).await? {
        Ok(v) => v.records,
        Err(broken) => anyhow::bail!("the audit log is broken after the run: {broken}"),
    };
    drop(runtime);
    Ok(Figures {
        completed,
        wall,
        rate,
        submit: (percentile(&sl, 0.5), percentile(&sl, 0.99)),
        completion: (percentile(&cl, 0.5), percentile(&cl, 0.99)),
        audit_records,
    })
}
