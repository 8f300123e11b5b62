//! `onething serve`: the service. Loads the config and the dictionary;
//! opens the store; admits the plugins and bundles (the directories' files
//! and the versions the store's history says are active); resumes
//! unfinished applications; watches the directories for new versions;
//! serves the HTTP API until SIGTERM or Ctrl-C. Then, within
//! `shutdown_grace_secs` whatever clients do: live event streams end with
//! a `shutdown` event, no connection is accepted, requests under way may
//! finish, the steps under way finish or are safely parked, and whatever
//! is still open when the grace runs out is dropped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use std::io::Write as _;

use anyhow::Context as _;
use onething_api::{ApiState, Closing, RequestLimits, router};
use onething_catalog::source::SourceFile;
use onething_catalog::watch::{Watched, watch};
use onething_catalog::{Catalog, Loader, Serving, SourceDir};
use onething_engine::outbound::AuditRecorder;
use onething_engine::{Engine, Metrics};
use onething_runtime::Runtime;
use onething_runtime::capabilities::{Capabilities, clock};
use onething_store::{Store, StoreOptions};

use crate::config::Config;

/// Arguments of `onething serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The config file (onething.toml); without it the examples are served.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (overrides the config), e.g. 127.0.0.1:0.
    #[arg(long, value_name = "ADDR")]
    listen: Option<std::net::SocketAddr>,
    /// Data directory (overrides the config).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The store (overrides `[store] url`): `sqlite` for the file in the
    /// data directory, or postgres://user@host:port/database.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// Pin the plugins' clock to this date (YYYY-MM-DD): for demos and
    /// tests with dated sample applications, never in production.
    #[arg(long, value_name = "DATE")]
    today: Option<chrono::NaiveDate>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let demo = args.config.is_none();
    let mut config = match &args.config {
        Some(p) => Config::load(p)?,
        None => {
            let mut c = Config::default();
            tracing::warn!(
                "no --config: serving the examples with component signatures NOT required and a development identity issuer (a demo, not a deployment)"
            );
            c.signatures.required = false;
            c
        }
    };
    if let Some(l) = args.listen {
        config.listen = l;
    }
    if let Some(d) = args.data_dir {
        config.data_dir = d;
    }
    // Relative paths (the defaults, --data-dir) against the current
    // directory: wasmtime's compile cache takes absolute paths only.
    config
        .make_absolute()
        .map_err(|e| anyhow::anyhow!("config: {e}"))?;
    if config.limits.compile_cache_dir.is_none() {
        config.limits.compile_cache_dir = Some(config.data_dir.join("compile-cache"));
    }
    let key_path = config.audit.signing_key_path(&config.data_dir);
    let checkpoint_key = crate::host_key::read_or_create(&key_path).with_context(|| {
        format!(
            "the audit signing key ([audit] signing_key = {})",
            key_path.display()
        )
    })?;
    let options = StoreOptions {
        checkpoint_key: Some(onething_store::CheckpointKey(checkpoint_key)),
        ..StoreOptions::default()
    };
    if let Some(url) = args.store {
        config.store.url = Some(url);
    }
    let opened = crate::store::open(&config.store, &config.data_dir, options).await?;
    if let Some(cache) = &config.limits.compile_cache_dir {
        // Made before wasmtime is handed its path.
        cap_std::fs::Dir::create_ambient_dir_all(cache, cap_std::ambient_authority())
            .with_context(|| format!("creating the compile cache {}", cache.display()))?;
    }
    let store: Arc<dyn Store> = opened.store;
    if let Some(d) = args.today {
        tracing::warn!(today = %d, "the plugins' clock is pinned (--today)");
    }
    // The demo (no --config): the example departments call simulated
    // systems started here, as `onething run` does.
    let _systems = if demo && !config.has_outbound() {
        let local = super::systems::start_in_process().await?;
        config.wire_systems(&onething_systems::wiring::example_departments(
            &local.base,
            &local.config,
            &onething_systems::wiring::Credentials::Named,
        ))?;
        tracing::warn!(systems = %local.base, "no --config: the departments call simulated systems started in-process");
        Some(local)
    } else {
        None
    };
    let metrics = Arc::new(Metrics::new());
    let recorder = AuditRecorder::spawn(store.clone(), metrics.clone());
    let outbound = Arc::new(config.outbound(recorder)?);
    let caps = Capabilities::new(clock::pinned_or_system(args.today), store.kv())
        .with_outbound(outbound.clone());
    let dict = Arc::new(onething_catalog::local::load_dictionary(
        &config.dictionary,
    )?);
    let runtime = Runtime::new(config.limits.clone(), caps)?;
    metrics.watch_output_drops(runtime.output_drops());
    let policy = config
        .signatures
        .policy()
        .map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let plugins_dir = Arc::new(SourceDir::open(&config.plugins_dir)?);
    let bundles_dir = Arc::new(SourceDir::open(&config.bundles_dir)?);
    let grants_file =
        Arc::new(SourceFile::open(&config.grants).with_context(|| {
            format!("the grants register (grants = {})", config.grants.display())
        })?);
    let dictionary_file = Arc::new(SourceFile::open(&config.dictionary).with_context(|| {
        format!(
            "the data dictionary (dictionary = {})",
            config.dictionary.display()
        )
    })?);
    let serving = Arc::new(Serving::new(Catalog::new(dict.clone()), store.clone()));
    let loader = Arc::new(Loader::new(runtime, store.clone(), policy, serving.clone()));
    let started = loader
        .start(&plugins_dir, &bundles_dir, &grants_file, &dictionary_file)
        .await?;
    // Serves what the shared history says is active when another host
    // (on the same database) activates or rolls back a version.
    let _follower =
        loader.spawn_history_follower(Duration::from_millis(config.store.catalog_poll_ms));
    let engine = Engine::with_settings(store.clone(), serving, config.engine_settings(), metrics);
    engine.watch_systems(outbound);
    let watched = Watched {
        plugins: plugins_dir.clone(),
        bundles: bundles_dir.clone(),
        grants: grants_file.clone(),
        dictionary: dictionary_file.clone(),
    };
    let _watch = match watch(loader.clone(), watched, &started) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the plugin and bundle directories; upload versions through /admin instead");
            None
        }
    };
    let resumed = engine.resume().await?;
    // Renews this host's leases and takes over the applications of a
    // host that stopped (several hosts on one database).
    let _lease_keeper = engine.spawn_lease_keeper();
    let sweeper = {
        let engine = engine.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                if let Err(e) = engine.sweep_deadlines().await {
                    tracing::warn!(error = %e, "deadline sweep failed");
                }
            }
        })
    };
    let (closing_tx, closing_rx) = tokio::sync::watch::channel(false);
    if demo && config.identity.dev_issuer.is_none() {
        config.identity.dev_issuer = Some(config.data_dir.join("dev-issuer"));
    }
    let verifier = Arc::new(identity_verifier(&config).await?);
    let _jwks_refresh = verifier.spawn_refresh();
    if verifier.is_empty() {
        tracing::warn!(
            "no identity issuer is configured ([identity]): applicant endpoints refuse every request"
        );
    }
    let auth = Arc::new(onething_api::Authenticator::new(
        config.operators.clone(),
        config.officers.clone(),
        Some(verifier.clone()),
    ));
    let state = ApiState {
        engine: engine.clone(),
        auth,
        rates: Arc::new(onething_api::rate::RateLimits::new(
            config.rate_limits.clone(),
        )),
        anonymous_catalogue: config.anonymous_catalogue,
        loader: Some(loader.clone()),
        limits: RequestLimits {
            json_bytes: config.max_body_bytes,
            material_bytes: config.max_material_bytes,
            component_bytes: config.max_component_bytes,
            header_bytes: config.http.max_header_bytes,
            headers: config.http.max_headers,
        },
        closing: Closing::follow(closing_rx),
        stream_poll: Duration::from_millis(config.store.stream_poll_ms),
    };
    let api = router(state);
    let app = if config.pages.enabled {
        let dev_issuer = match &config.identity.dev_issuer {
            Some(dir) => Some(Arc::new(
                onething_identity::dev::DevIssuer::open(dir)
                    .with_context(|| format!("the development issuer in {}", dir.display()))?,
            )),
            None => None,
        };
        onething_pages::router(
            onething_pages::Pages::new(api, dev_issuer, config.pages.settings())
                .context("loading the pages' templates")?,
        )
    } else {
        api
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    if config.operators.is_empty() {
        tracing::warn!("no operators configured: /admin endpoints refuse every request");
    }
    // One line on stdout that scripts and tests wait for. A reader that
    // has gone must not stop the service, so a failed write is ignored.
    let _ = writeln!(
        std::io::stdout(),
        "onething listening on http://{addr} (store {}, {} plugins, {} bundles, {resumed} resumed, pooling {}, signatures {})",
        opened.shown,
        engine.catalog().plugins().count(),
        engine.catalog().bundles().count(),
        if loader.runtime().is_pooling() {
            "on"
        } else {
            "off"
        },
        if loader.signatures_required() {
            "required"
        } else {
            "not required"
        }
    );
    let grace = Duration::from_secs(config.shutdown_grace_secs);
    let signalled = async move {
        shutdown_signal().await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: ending live streams, draining connections, finishing steps under way"
        );
        let _ = closing_tx.send(true);
    };
    // The server drains (for at most the grace) once signalled; the steps
    // under way get the same grace, counted from the signal too.
    let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
    let server = onething_api::server::serve(
        listener,
        app,
        config.http.clone(),
        engine.metrics().clone(),
        async move {
            signalled.await;
            let _ = stopped_tx.send(());
        },
        grace,
    );
    let engine_stop = {
        let engine = engine.clone();
        async move {
            if stopped_rx.await.is_ok() {
                engine.shutdown(grace).await;
            }
        }
    };
    let (served, ()) = tokio::join!(server, engine_stop);
    let stopped = served.context("serving HTTP")?;
    if stopped.dropped_connections > 0 {
        tracing::warn!(
            dropped = stopped.dropped_connections,
            "connections still open after the grace were dropped"
        );
    }
    sweeper.abort();
    drop(_watch);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The trusted issuers of the config, and its development issuer (made
/// when it does not exist yet), with their keys.
async fn identity_verifier(config: &Config) -> anyhow::Result<onething_identity::Verifier> {
    let mut issuers = config.identity.issuers.clone();
    if let Some(dir) = &config.identity.dev_issuer {
        let dev = onething_identity::dev::DevIssuer::open_or_create(dir)
            .with_context(|| format!("the development issuer in {}", dir.display()))?;
        tracing::warn!(
            dir = %dir.display(),
            "trusting a DEVELOPMENT identity issuer: anyone holding its key mints tokens (`onething identity token --issuer {}`); never in a deployment",
            dir.display()
        );
        issuers.push(dev.config());
    }
    Ok(onething_identity::Verifier::load(issuers).await?)
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
