//! Shared set-up of the host tests: the real components built from
//! plugins/ (by `cargo xtask build-plugins`) loaded once, and applications
//! run through the engine over the in-memory store, as `onething run`
//! does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use onething_catalog::{Catalog, Serving, local, source::SourceDir};
use onething_engine::{Engine, Metrics, RetryPolicy, RunReport, SubmitError};
use onething_model::application::{ApplicationDoc, sniff_media_type};
use onething_model::bundle::{Bundle, BundleError};
use onething_model::ids::{DepartmentId, Digest};
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Limits, Plugin, Runtime};
use onething_store::StoreOptions;
use onething_store::materials::MaterialMeta;
use onething_store::memory::{MemoryKv, MemoryStore};
use onething_store::prelude::*;
use tokio::sync::OnceCell;

pub use onething_testing::{component, repo};

/// The date the sample applications are written for.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date")
}

/// Tight limits for hostile components, the compiled components cached
/// under target/.
pub fn test_limits() -> Limits {
    Limits {
        memory_bytes: 96 << 20,
        call_timeout_ms: 1_000,
        max_output_bytes: 1 << 20,
        compile_cache_dir: Some(repo().join("target/onething-cache")),
        ..Limits::default()
    }
}

/// A runtime with test limits, every department plugin plus the testkit,
/// and the example bundles. The department key-value store is shared by
/// every test (so each business test registers its own enterprise name).
pub struct World {
    pub runtime: Runtime,
    pub catalog: Catalog,
}

static WORLD: OnceCell<World> = OnceCell::const_new();

/// The runtime the tests' simulated systems are served on: its own
/// worker threads, so they outlive any one test's runtime.
fn systems_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("simulated-systems")
            .enable_all()
            .build()
            .expect("the systems' runtime")
    })
}

/// Simulated systems of one's own (a site's, so what one site's
/// applications reserve and issue is not another's), stopped when
/// dropped.
pub struct LocalSystems {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// Their credentials.
    pub config: onething_systems::SystemsConfig,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LocalSystems {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Fresh simulated systems, on a port of their own.
pub fn fresh_systems() -> LocalSystems {
    let config = onething_systems::SystemsConfig::generated().expect("credentials");
    let systems = onething_systems::Systems::new(config.clone());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let task = systems_runtime().spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let _ = onething_systems::serve(listener, systems, std::future::pending()).await;
    });
    LocalSystems { base, config, task }
}

/// The simulated systems the host tests' world shares.
pub fn systems() -> &'static LocalSystems {
    static SYSTEMS: std::sync::OnceLock<LocalSystems> = std::sync::OnceLock::new();
    SYSTEMS.get_or_init(fresh_systems)
}

/// The example departments' outbound side, wired to [`systems`].
pub fn wired_outbound() -> onething_runtime::capabilities::http::Outbound {
    let s = systems();
    onething_testing::systems::outbound(&s.base, &s.config).expect("the wiring")
}

pub async fn world() -> &'static World {
    WORLD
        .get_or_init(|| async {
            let caps = Capabilities::new(
                Arc::new(FixedClock::new(today())),
                Arc::new(MemoryKv::default()),
            )
            .with_outbound(Arc::new(wired_outbound()));
            let runtime = Runtime::new(test_limits(), caps).expect("runtime");
            let dict = Arc::new(
                local::load_dictionary(&repo().join("examples/dictionary.toml"))
                    .expect("dictionary loads"),
            );
            let grants = Arc::new(
                onething_model::grants::Grants::from_toml(
                    &onething_testing::test_grants(),
                    "test grants",
                    &dict,
                )
                .expect("the test grants load"),
            );
            let mut catalog = local::load_plugins(
                &runtime,
                &SourceDir::open(&repo().join("target/plugins")).expect("plugins"),
                dict.clone(),
                grants,
                None,
            )
            .await
            .expect("department plugins load");
            let testkit = runtime
                .load_bytes(
                    std::fs::read(component("test-components", "testkit")).expect("read"),
                    "testkit.wasm",
                    &dict,
                )
                .await
                .expect("testkit loads");
            catalog
                .add_plugin(Arc::new(testkit))
                .expect("testkit is its own department");
            local::load_bundles(
                &mut catalog,
                &SourceDir::open(&repo().join("examples/bundles")).expect("bundles"),
            )
            .expect("example bundles load");
            World { runtime, catalog }
        })
        .await
}

impl World {
    pub fn dict(&self) -> &onething_model::dictionary::Dictionary {
        self.catalog.dict()
    }

    pub fn bundle(&self, id: &str) -> Arc<Bundle> {
        self.catalog
            .bundle_named(id)
            .cloned()
            .unwrap_or_else(|| panic!("bundle {id} is not loaded"))
    }

    pub fn plugin(&self, department: &str) -> &Arc<Plugin> {
        let d = DepartmentId::parse(department).expect("id");
        self.catalog
            .plugin(&d)
            .unwrap_or_else(|| panic!("department {department} is not loaded"))
    }

    /// A bundle written inline, checked against this world.
    pub fn inline_bundle(&self, toml: &str) -> Result<Bundle, BundleError> {
        Bundle::from_toml(toml, "inline.toml", self.dict(), &self.catalog)
    }

    /// A sample application document and its path.
    pub fn sample(&self, file: &str) -> (ApplicationDoc, PathBuf) {
        let path = repo().join("examples/applications").join(file);
        let text = std::fs::read_to_string(&path).expect("sample");
        (
            ApplicationDoc::from_json(&text, file).expect("sample parses"),
            path,
        )
    }

    /// Run a document through the engine over a fresh in-memory store,
    /// serving this world's catalog plus `bundle`: the report once the
    /// application is at rest (or refused with every problem). Material
    /// paths are read beside `base`.
    pub async fn run_doc(
        &self,
        bundle: &Bundle,
        application: &str,
        mut doc: ApplicationDoc,
        base: Option<&Path>,
    ) -> RunReport {
        // The document is run against `bundle`, whatever it names.
        doc.bundle = bundle.id.clone();
        let store = Arc::new(MemoryStore::new(StoreOptions::default()));
        for m in &mut doc.materials {
            let Some(rel) = m.path.take() else { continue };
            let dir = base.expect("a base directory for material paths");
            let bytes = std::fs::read(dir.join(&rel)).expect("material");
            let meta = MaterialMeta {
                digest: Digest::of(&bytes),
                media_type: sniff_media_type(&bytes).expect("pdf or png").to_owned(),
                size: bytes.len() as u64,
            };
            store
                .put_material(&meta, &bytes)
                .await
                .expect("store material");
            m.digest = Some(meta.digest.to_string());
            m.media_type = Some(meta.media_type);
            m.size = Some(meta.size);
        }
        let mut catalog = self.catalog.clone();
        catalog.replace_bundle(Arc::new(bundle.clone()));
        let store: Arc<dyn Store> = store;
        let engine = Engine::new(
            store.clone(),
            Arc::new(Serving::new(catalog, store)),
            RetryPolicy {
                max_attempts: 3,
                first_backoff_ms: 1,
                max_backoff_ms: 10,
                jitter: 0.0,
            },
            Arc::new(Metrics::new()),
        );
        match engine.submit_as(&doc, application.to_owned(), None).await {
            Err(SubmitError::Problems(problems)) => {
                RunReport::refused(application, bundle, problems)
            }
            Err(e) => panic!("submission failed: {e}"),
            Ok(_) => {
                let state = engine
                    .at_rest(application)
                    .await
                    .expect("store")
                    .expect("stored");
                RunReport::of(&state, bundle)
            }
        }
    }

    /// Run a document given as JSON text against `bundle`.
    pub async fn run_json(&self, bundle: &Bundle, application: &str, json: &str) -> RunReport {
        let doc = ApplicationDoc::from_json(json, "inline").expect("document parses");
        self.run_doc(bundle, application, doc, None).await
    }

    pub async fn run_sample(&self, file: &str, application: &str) -> RunReport {
        self.run_sample_with(file, application, &[]).await
    }

    /// Run a sample with some fields replaced (tests share one key-value
    /// store, so each business test registers its own enterprise name).
    pub async fn run_sample_with(
        &self,
        file: &str,
        application: &str,
        overrides: &[(&str, serde_json::Value)],
    ) -> RunReport {
        let (mut doc, path) = self.sample(file);
        for (k, v) in overrides {
            doc.fields.insert((*k).to_owned(), v.clone());
        }
        let bundle = self.bundle(doc.bundle.as_str());
        self.run_doc(&bundle, application, doc, path.parent()).await
    }
}

/// A one-step bundle over a testkit step.
pub fn testkit_bundle(step: &str) -> String {
    format!(
        r#"
id = "testkit-{step}"
title = {{ zh = "测试", en = "Test" }}
description = {{ zh = "测试", en = "Test" }}
time_limit_hours = 1
[[steps]]
department = "testkit"
step = "{step}"
"#
    )
}
