//! Where the host finds its inputs when nothing says otherwise, resolved
//! at run time, never from the build checkout:
//!
//! - the dictionary, grants register, plugins and bundles: the
//!   repository's layout, relative to the current directory
//!   (`examples/dictionary.toml`, `examples/grants.toml`,
//!   `target/plugins`, `examples/bundles`), so an integrator in a clone
//!   runs `onething run examples/applications/newborn.json` with no flags;
//! - with a config file: its settings, relative to the file's directory;
//! - the service's data: `onething-data` in the current directory;
//! - compiled components: the per-user cache directory,
//!   `$XDG_CACHE_HOME/onething/compiled` (on Linux usually
//!   `~/.cache/onething/compiled`), or `target/onething-cache` when the
//!   system has none; the service keeps its own under its data directory.
//!
//! Paths handed to wasmtime (the compile cache) must be absolute:
//! [`absolute`] makes them so against the current directory.

use std::path::{Path, PathBuf};

/// Paths to the host's inputs.
#[derive(Debug, Clone)]
pub struct Paths {
    /// The data dictionary.
    pub dictionary: PathBuf,
    /// The data-sharing register.
    pub grants: PathBuf,
    /// Directory of department components.
    pub plugins: PathBuf,
    /// Directory of bundle files.
    pub bundles: PathBuf,
}

impl Default for Paths {
    fn default() -> Self {
        Self {
            dictionary: PathBuf::from("examples/dictionary.toml"),
            grants: PathBuf::from("examples/grants.toml"),
            plugins: PathBuf::from("target/plugins"),
            bundles: PathBuf::from("examples/bundles"),
        }
    }
}

impl Paths {
    /// As the local catalog loader takes them.
    pub fn local(&self) -> onething_catalog::local::LocalPaths<'_> {
        onething_catalog::local::LocalPaths {
            dictionary: &self.dictionary,
            grants: &self.grants,
            plugins: &self.plugins,
            bundles: &self.bundles,
        }
    }
}

/// The default data directory of the service.
pub fn default_data_dir() -> PathBuf {
    PathBuf::from("onething-data")
}

/// The per-user cache of compiled components, for the local commands
/// (absolute when the current directory can be known).
pub fn user_compile_cache() -> PathBuf {
    let cache = dirs::cache_dir().map_or_else(
        || PathBuf::from("target/onething-cache"),
        |d| d.join("onething").join("compiled"),
    );
    absolute(&cache).unwrap_or(cache)
}

/// `path` made absolute against the current directory (unchanged when it
/// is absolute already; `..` and symbolic links are kept as they are).
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    std::path::absolute(path)
}
