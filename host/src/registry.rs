//! The set of loaded department plugins, one per department, loaded from a
//! directory of `*.wasm` files.
//!
//! A registry is a snapshot a bundle run works against; hot loading
//! ([`crate::hotload`]) builds a new one and swaps it whole.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::bundle::Catalog;
use crate::dictionary::Dictionary;
use crate::ids::DepartmentId;
use crate::manifest::Manifest;
use crate::runtime::{LoadError, Plugin, Runtime};

/// Why a plugin directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The directory could not be read.
    #[error("cannot read plugin directory {dir}: {source}")]
    Io {
        /// The directory.
        dir: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The directory holds no components.
    #[error(
        "plugin directory {dir} holds no .wasm components (build them with `cargo xtask build-plugins`)"
    )]
    Empty {
        /// The directory.
        dir: String,
    },
    /// One component failed to load.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Two components claim one department.
    #[error(
        "{second} and {first} both declare department {department}; keep one component per department"
    )]
    Duplicate {
        /// The department.
        department: DepartmentId,
        /// The file loaded first.
        first: String,
        /// The file loaded second.
        second: String,
    },
}

/// Loaded plugins by department.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    plugins: BTreeMap<DepartmentId, Arc<Plugin>>,
}

impl Registry {
    /// Load every `*.wasm` in `dir`, in file-name order.
    pub async fn load_dir(
        runtime: &Runtime,
        dir: &Path,
        dict: &Dictionary,
    ) -> Result<Self, RegistryError> {
        let io = |source| RegistryError::Io {
            dir: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(RegistryError::Empty {
                dir: dir.display().to_string(),
            });
        }
        let mut registry = Self::default();
        for p in paths {
            let plugin = runtime.load_file(&p, dict).await?;
            registry.insert(plugin)?;
        }
        Ok(registry)
    }

    /// Add a plugin; refuses a second plugin for a department.
    pub fn insert(&mut self, plugin: Plugin) -> Result<(), RegistryError> {
        if let Some(existing) = self.plugins.get(plugin.department()) {
            return Err(RegistryError::Duplicate {
                department: plugin.department().clone(),
                first: existing.origin().to_owned(),
                second: plugin.origin().to_owned(),
            });
        }
        self.plugins
            .insert(plugin.department().clone(), Arc::new(plugin));
        Ok(())
    }

    /// Serve `plugin` for its department, in place of any other version.
    pub fn replace(&mut self, plugin: Arc<Plugin>) {
        self.plugins.insert(plugin.department().clone(), plugin);
    }

    /// The plugin of a department.
    pub fn get(&self, department: &DepartmentId) -> Option<&Arc<Plugin>> {
        self.plugins.get(department)
    }

    /// Every plugin, by department id.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.plugins.values()
    }
}

impl Catalog for Registry {
    fn manifest(&self, department: &DepartmentId) -> Option<&Manifest> {
        self.plugins.get(department).map(|p| p.manifest())
    }
}
