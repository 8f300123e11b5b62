//! Shared set-up of the host tests: the real components built from
//! plugins/ (by `cargo xtask build-plugins`), loaded once per test binary.

#![allow(dead_code, missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use onething::application::{ApplicationDoc, Contents, read_contents};
use onething::bundle::{self, Bundle};
use onething::capabilities::{Capabilities, FixedClock, MemoryKv};
use onething::dictionary::Dictionary;
use onething::registry::Registry;
use onething::run::{RetryPolicy, RunReport, Runner};
use onething::runtime::{Limits, Plugin, Runtime};
use tokio::sync::OnceCell;

pub fn repo() -> PathBuf {
    onething::platform::repo_root()
}

/// The date the sample applications are written for.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).expect("a real date")
}

pub fn component(dir: &str, name: &str) -> PathBuf {
    let p = repo().join("target").join(dir).join(format!("{name}.wasm"));
    assert!(
        p.exists(),
        "{} is missing: run `cargo xtask build-plugins` first",
        p.display()
    );
    p
}

/// Dictionary, a runtime with tight test limits, every department plugin
/// plus the testkit, and the example bundles.
pub struct World {
    pub dict: Dictionary,
    pub runtime: Runtime,
    pub registry: Registry,
    pub bundles: Vec<Bundle>,
}

pub fn test_limits() -> Limits {
    Limits {
        memory_bytes: 96 << 20,
        call_timeout_ms: 1_000,
        max_output_bytes: 1 << 20,
        compile_cache_dir: Some(onething::platform::default_compile_cache()),
        ..Limits::default()
    }
}

static WORLD: OnceCell<World> = OnceCell::const_new();

pub async fn world() -> &'static World {
    WORLD
        .get_or_init(|| async {
            let dict = Dictionary::load(&repo().join("examples/dictionary.toml"))
                .expect("dictionary loads");
            let caps = Capabilities {
                clock: Arc::new(FixedClock::new(today())),
                kv: Arc::new(MemoryKv::default()),
            };
            let runtime = Runtime::new(test_limits(), caps).expect("runtime");
            let mut registry = Registry::load_dir(&runtime, &repo().join("target/plugins"), &dict)
                .await
                .expect("department plugins load");
            let testkit = runtime
                .load_file(&component("test-components", "testkit"), &dict)
                .await
                .expect("testkit loads");
            registry
                .insert(testkit)
                .expect("testkit is its own department");
            let bundles = bundle::load_dir(&repo().join("examples/bundles"), &dict, &registry)
                .expect("example bundles load");
            World {
                dict,
                runtime,
                registry,
                bundles,
            }
        })
        .await
}

impl World {
    pub fn bundle(&self, id: &str) -> &Bundle {
        self.bundles
            .iter()
            .find(|b| b.id.as_str() == id)
            .unwrap_or_else(|| panic!("bundle {id} is not loaded"))
    }

    pub fn plugin(&self, department: &str) -> &Arc<Plugin> {
        let d = onething::ids::DepartmentId::parse(department).expect("id");
        self.registry
            .get(&d)
            .unwrap_or_else(|| panic!("department {department} is not loaded"))
    }

    /// A bundle written inline, checked against this world.
    pub fn inline_bundle(&self, toml: &str) -> Result<Bundle, bundle::BundleError> {
        Bundle::from_toml(toml, "inline.toml", &self.dict, &self.registry)
    }

    pub fn contents(&self, bundle: &Bundle, json: &str) -> Contents {
        let doc = ApplicationDoc::from_json(json, "inline").expect("document parses");
        read_contents(
            &doc,
            bundle,
            &self.dict,
            Some(&repo().join("examples/applications")),
        )
    }

    pub fn sample(&self, file: &str) -> (ApplicationDoc, PathBuf) {
        let path = repo().join("examples/applications").join(file);
        (ApplicationDoc::load(&path).expect("sample parses"), path)
    }

    pub async fn run(&self, bundle: &Bundle, application: &str, contents: &Contents) -> RunReport {
        let runner = Runner {
            registry: &self.registry,
            dict: &self.dict,
            retry: RetryPolicy {
                max_attempts: 3,
                first_backoff: std::time::Duration::from_millis(1),
            },
        };
        runner.run(bundle, application, contents, &|_| {}).await
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
        let bundle = self
            .bundles
            .iter()
            .find(|b| b.id == doc.bundle)
            .expect("sample's bundle is loaded");
        let contents = read_contents(&doc, bundle, &self.dict, path.parent());
        self.run(bundle, application, &contents).await
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
