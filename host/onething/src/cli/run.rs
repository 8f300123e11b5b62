//! `onething run`: applications through their bundles, locally, with the
//! service's own engine over the in-memory store: the same notification,
//! the same plans, retries, manual queue and outcomes as `onething serve`,
//! printed step by step as the events happen, or as a JSON report.
//!
//! With `--config`, it takes the service's configuration: its dictionary,
//! plugins and bundles, its limits and retry policy, and its signature
//! policy (every component must then be signed by its department's key, as
//! the service would require). Without it, the repository's examples with
//! signatures not required, as `onething serve` without a config.
//!
//! The departments that call their own systems (contract 0.2.0) reach the
//! simulated ones: started in-process on a loopback port, unless
//! `--systems` names running ones (`onething systems serve`) or the
//! config has `[outbound]` tables of its own.
//!
//! Material files beside a document are read through its directory
//! (cap-std: a path that leaves it is refused), stored once by digest and
//! referenced like uploads.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use onething_catalog::Serving;
use onething_catalog::source::SourceDir;
use onething_engine::outbound::AuditRecorder;
use onething_engine::{Engine, Metrics, RunReport, SubmitError};
use onething_model::application::{ApplicationDoc, sniff_media_type};
use onething_model::ids::Digest;
use onething_model::state::AppStatus;
use onething_runtime::Runtime;
use onething_runtime::capabilities::{Capabilities, clock};
use onething_store::materials::MaterialMeta;
use onething_store::memory::MemoryStore;
use onething_store::{Store, StoreOptions};

use super::{PathArgs, render};
use crate::config::Config;

/// Arguments of `onething run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The application documents (JSON).
    application: Vec<PathBuf>,
    #[command(flatten)]
    paths: PathArgs,
    /// Print a machine-readable report instead of progress.
    #[arg(long)]
    json: bool,
    /// Pin the plugins' clock to this date (YYYY-MM-DD), for reproducible runs.
    #[arg(long, value_name = "DATE")]
    today: Option<NaiveDate>,
    /// The service's config file (onething.toml): its paths, limits, retry
    /// policy and signature policy (flags given here win over its paths).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The simulated department systems to call (`onething systems
    /// serve`), e.g. http://127.0.0.1:8090; without it (and without
    /// `[outbound]` tables in the config) they are started in-process.
    #[arg(long, value_name = "URL")]
    systems: Option<String>,
    /// The credentials file of the systems named by `--systems`.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "systems.toml",
        requires = "systems"
    )]
    systems_credentials: PathBuf,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.application.is_empty() {
        bail!("name at least one application file, e.g. examples/applications/newborn.json");
    }
    let mut config = match args.config.as_deref() {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let paths = match args.config {
        Some(_) => args.paths.resolve_over(config.paths()),
        None => args.paths.resolve(),
    };
    let limits = match args.config {
        Some(_) => {
            let mut limits = config.limits.clone();
            if limits.compile_cache_dir.is_none() {
                limits.compile_cache_dir = super::local_limits().compile_cache_dir;
            }
            limits
        }
        None => super::local_limits(),
    };
    let settings = match args.config {
        Some(_) => config.engine_settings(),
        None => Default::default(),
    };
    let policy = match args.config {
        Some(_) => Some(
            config
                .signatures
                .policy()
                .map_err(|e| anyhow::anyhow!("config: {e}"))?,
        ),
        None => None,
    };
    let (engine, _systems) = local_engine(
        &mut config,
        &paths,
        limits,
        settings,
        policy.as_ref(),
        args.today,
        args.systems
            .as_deref()
            .map(|base| (base, args.systems_credentials.as_path())),
        !args.json,
    )
    .await?;
    let mut all_completed = true;
    let mut reports = Vec::new();
    for (n, path) in args.application.iter().enumerate() {
        let (doc, base) = read_document(path)?;
        let cat = engine.catalog();
        let bundle = cat.bundle(&doc.bundle).cloned().with_context(|| {
            let known: Vec<&str> = cat.bundles().map(|b| b.id.as_str()).collect();
            format!(
                "{}: bundle {} is not loaded (known: {})",
                path.display(),
                doc.bundle,
                known.join(", ")
            )
        })?;
        let doc = store_materials(&engine, doc, &base, path).await?;
        let id = application_id(path, n);
        if !args.json {
            render::header(&bundle, &id, path);
        }
        let started = std::time::Instant::now();
        let progress = (!args.json).then(|| render::follow(&engine, &id));
        let report = match engine.submit_as(&doc, id.clone(), None).await {
            Err(SubmitError::Problems(problems)) => RunReport::refused(&id, &bundle, problems),
            Err(e) => return Err(e.into()),
            Ok(_) => {
                let state = engine
                    .at_rest(&id)
                    .await?
                    .with_context(|| format!("application {id} vanished from the store"))?;
                RunReport::of(&state, &bundle)
            }
        };
        if let Some(progress) = progress {
            progress.finish(&engine).await;
            render::summary(&report, started.elapsed());
        }
        all_completed &= report.status == AppStatus::Completed;
        reports.push(report);
    }
    if args.json {
        let out = if reports.len() == 1 {
            serde_json::to_string_pretty(&reports[0])?
        } else {
            serde_json::to_string_pretty(&reports)?
        };
        outln!("{out}");
    }
    Ok(if all_completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The engine `onething run` drives over the in-memory store, and the
/// simulated department systems it started in-process (kept running
/// while it is held): the departments reach the config's own
/// `[outbound]` tables when it has them, else the running systems
/// `systems` names (their base URL and credentials file), else systems
/// started here. Shared with `onething test`'s bundle cases.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn local_engine(
    config: &mut Config,
    paths: &crate::paths::Paths,
    limits: onething_runtime::Limits,
    settings: onething_engine::Settings,
    policy: Option<&onething_catalog::SignaturePolicy>,
    today: Option<NaiveDate>,
    systems: Option<(&str, &Path)>,
    say: bool,
) -> anyhow::Result<(Engine, Option<super::systems::InProcess>)> {
    let started = if config.has_outbound() {
        None
    } else {
        let (base, credentials, running) = match systems {
            Some((base, credentials)) => (
                base.to_owned(),
                super::systems::credentials_at(credentials)?,
                None,
            ),
            None => {
                let local = super::systems::start_in_process().await?;
                (local.base.clone(), local.config.clone(), Some(local))
            }
        };
        let wiring = onething_systems::wiring::example_departments(
            &base,
            &credentials,
            &onething_systems::wiring::Credentials::Named,
        );
        config.wire_systems(&wiring)?;
        if say {
            let how = if running.is_some() {
                "started in-process"
            } else {
                "running"
            };
            eprintln!("departments' systems: the simulated ones at {base} ({how})");
        }
        running
    };
    let store = Arc::new(MemoryStore::new(StoreOptions::default()));
    let metrics = Arc::new(Metrics::new());
    let mut caps = Capabilities::new(clock::pinned_or_system(today), store.kv());
    let recorder = AuditRecorder::spawn(store.clone(), metrics.clone());
    caps = caps.with_outbound(Arc::new(config.outbound(recorder)?));
    let runtime = Runtime::new(limits, caps)?;
    let catalog = onething_catalog::local::load(&runtime, paths.local(), policy).await?;
    let store: Arc<dyn Store> = store;
    let serving = Arc::new(Serving::new(catalog, store.clone()));
    Ok((
        Engine::with_settings(store, serving, settings, metrics),
        started,
    ))
}

/// The document, and its directory (where its material paths point).
fn read_document(path: &Path) -> anyhow::Result<(ApplicationDoc, SourceDir)> {
    let (dir, name) = SourceDir::of_file(path)?;
    let text = dir.read_to_string(&name)?;
    let doc = ApplicationDoc::from_json(&text, &path.display().to_string())?;
    Ok((doc, dir))
}

/// Store every material given by path (read within the document's
/// directory) and reference it by digest, as an upload would.
pub(crate) async fn store_materials(
    engine: &Engine,
    mut doc: ApplicationDoc,
    base: &SourceDir,
    path: &Path,
) -> anyhow::Result<ApplicationDoc> {
    for m in &mut doc.materials {
        let Some(rel) = m.path.take() else { continue };
        let bytes = base
            .read_relative(&rel)
            .with_context(|| format!("{}: material {}", path.display(), m.code))?;
        let Some(media_type) = sniff_media_type(&bytes) else {
            bail!(
                "{}: material {}: {} is not a PDF, PNG or JPEG file",
                path.display(),
                m.code,
                base.shown(&rel)
            );
        };
        let meta = MaterialMeta {
            digest: Digest::of(&bytes),
            media_type: media_type.to_owned(),
            size: bytes.len() as u64,
        };
        engine.store().put_material(&meta, &bytes).await?;
        m.digest = Some(meta.digest.to_string());
        m.media_type = Some(meta.media_type);
        m.size = Some(meta.size);
    }
    Ok(doc)
}

fn application_id(path: &Path, n: usize) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("application");
    format!("local-{}-{stem}", n + 1)
}
