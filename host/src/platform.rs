//! Where the host finds its inputs, and loading them together: the data
//! dictionary, the plugin directory and the bundle directory, checked
//! against each other.
//!
//! The defaults point into this repository (the examples and the plugins
//! built by `cargo xtask build-plugins`), so an integrator in a clone runs
//! `onething run examples/applications/newborn.json` with no flags.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::bundle::{self, Bundle};
use crate::capabilities::Capabilities;
use crate::dictionary::Dictionary;
use crate::ids::BundleId;
use crate::registry::Registry;
use crate::runtime::{Limits, Runtime};

/// The repository this binary was built from.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The default on-disk cache of compiled components.
pub fn default_compile_cache() -> PathBuf {
    repo_root().join("target/onething-cache")
}

/// Default limits with the on-disk compile cache, for the local commands
/// (`run`, `form`, `plugin check`).
pub fn local_limits() -> crate::runtime::Limits {
    crate::runtime::Limits {
        compile_cache_dir: Some(default_compile_cache()),
        ..crate::runtime::Limits::default()
    }
}

/// Paths to the host's inputs.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The data dictionary.
    pub dictionary: PathBuf,
    /// Directory of department components.
    pub plugins: PathBuf,
    /// Directory of bundle files.
    pub bundles: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        let root = repo_root();
        Self {
            dictionary: root.join("examples/dictionary.toml"),
            plugins: root.join("target/plugins"),
            bundles: root.join("examples/bundles"),
        }
    }
}

/// Dictionary, runtime, plugins and bundles, loaded and checked together.
pub struct Platform {
    /// The data dictionary.
    pub dict: Dictionary,
    /// The sandbox.
    pub runtime: Runtime,
    /// Loaded plugins.
    pub registry: Registry,
    /// Loaded bundles.
    pub bundles: Vec<Bundle>,
}

impl Platform {
    /// Load everything; the first fault stops loading with its cause.
    pub async fn load(paths: &Paths, limits: Limits, caps: Capabilities) -> anyhow::Result<Self> {
        let dict = Dictionary::load(&paths.dictionary)?;
        let runtime = Runtime::new(limits, caps)?;
        let registry = Registry::load_dir(&runtime, &paths.plugins, &dict).await?;
        let bundles = bundle::load_dir(&paths.bundles, &dict, &registry)
            .with_context(|| format!("loading bundles from {}", paths.bundles.display()))?;
        Ok(Self {
            dict,
            runtime,
            registry,
            bundles,
        })
    }

    /// A bundle by id.
    pub fn bundle(&self, id: &BundleId) -> Option<&Bundle> {
        self.bundles.iter().find(|b| &b.id == id)
    }
}
