//! What is loaded: the dictionary, the data-sharing register, one plugin
//! per department and the bundles, as one immutable snapshot
//! ([`Catalog`]).
//!
//! A snapshot is what a piece of work runs against; the serving snapshot
//! is replaced whole ([`crate::Serving`]) when a version is activated, so
//! work already under way keeps the snapshot it started with.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use onething_model::bundle::{Bundle, ManifestSource};
use onething_model::dictionary::Dictionary;
use onething_model::grants::Grants;
use onething_model::ids::{BundleId, DepartmentId};
use onething_model::manifest::Manifest;
use onething_runtime::Plugin;

/// Two components claim one department.
#[derive(Debug, thiserror::Error)]
#[error(
    "{second} and {first} both declare department {department}; keep one component per department"
)]
pub struct DuplicateDepartment {
    /// The department.
    pub department: DepartmentId,
    /// Where the first came from.
    pub first: String,
    /// Where the second came from.
    pub second: String,
}

/// The dictionary, grants, plugins and bundles that serve together.
#[derive(Clone)]
pub struct Catalog {
    dict: Arc<Dictionary>,
    /// Whether `dict` was put in by the loader (false: the one a service
    /// reads before its start, which serves as no version yet).
    dict_loaded: bool,
    grants: Option<Arc<Grants>>,
    plugins: BTreeMap<DepartmentId, Arc<Plugin>>,
    bundles: BTreeMap<BundleId, Arc<Bundle>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("dictionary", &self.dict.version())
            .field("grants", &self.grants.as_ref().map(|g| g.digest.short()))
            .field("plugins", &self.plugins.keys().collect::<Vec<_>>())
            .field("bundles", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Catalog {
    /// Nothing loaded but the dictionary (and a register granting nothing).
    pub fn new(dict: Arc<Dictionary>) -> Self {
        Self {
            dict,
            dict_loaded: false,
            grants: None,
            plugins: BTreeMap::new(),
            bundles: BTreeMap::new(),
        }
    }

    /// The data dictionary.
    pub fn dict(&self) -> &Arc<Dictionary> {
        &self.dict
    }

    /// The data-sharing register (one granting nothing before any is
    /// loaded).
    pub fn grants(&self) -> &Grants {
        static NONE: LazyLock<Grants> = LazyLock::new(Grants::empty);
        self.grants.as_deref().unwrap_or(&NONE)
    }

    /// The register serving, if one was loaded.
    pub fn grants_loaded(&self) -> Option<&Arc<Grants>> {
        self.grants.as_ref()
    }

    /// Serve `dict` in place of the dictionary before (with the bundles
    /// and register resolved again against it: see the loader).
    pub fn replace_dictionary(&mut self, dict: Arc<Dictionary>) {
        self.dict = dict;
        self.dict_loaded = true;
    }

    /// The dictionary serving as a version (none before the loader put
    /// one in: the one given to [`Catalog::new`] is checked against, but
    /// a start still admits and activates its file like any other).
    pub fn dict_loaded(&self) -> Option<&Arc<Dictionary>> {
        self.dict_loaded.then_some(&self.dict)
    }

    /// Serve `grants` in place of the register before.
    pub fn replace_grants(&mut self, grants: Arc<Grants>) {
        self.grants = Some(grants);
    }

    /// The plugin serving a department.
    pub fn plugin(&self, department: &DepartmentId) -> Option<&Arc<Plugin>> {
        self.plugins.get(department)
    }

    /// Every plugin, by department id.
    pub fn plugins(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.plugins.values()
    }

    /// A bundle by id.
    pub fn bundle(&self, id: &BundleId) -> Option<&Arc<Bundle>> {
        self.bundles.get(id)
    }

    /// A bundle by id as text (an id from a path or a document).
    pub fn bundle_named(&self, id: &str) -> Option<&Arc<Bundle>> {
        BundleId::parse(id)
            .ok()
            .and_then(|id| self.bundles.get(&id))
    }

    /// Every bundle, by id.
    pub fn bundles(&self) -> impl Iterator<Item = &Arc<Bundle>> {
        self.bundles.values()
    }

    /// Add a plugin; refuses a second plugin for a department.
    pub fn add_plugin(&mut self, plugin: Arc<Plugin>) -> Result<(), DuplicateDepartment> {
        if let Some(existing) = self.plugins.get(plugin.department()) {
            return Err(DuplicateDepartment {
                department: plugin.department().clone(),
                first: existing.origin().to_owned(),
                second: plugin.origin().to_owned(),
            });
        }
        self.plugins.insert(plugin.department().clone(), plugin);
        Ok(())
    }

    /// Serve `plugin` for its department, in place of any other version.
    pub fn replace_plugin(&mut self, plugin: Arc<Plugin>) {
        self.plugins.insert(plugin.department().clone(), plugin);
    }

    /// Serve `bundle` under its id, in place of any other version.
    pub fn replace_bundle(&mut self, bundle: Arc<Bundle>) {
        self.bundles.insert(bundle.id.clone(), bundle);
    }

    /// The manifests of the plugins, with `plugin`'s in place of its
    /// department's: what bundles would resolve against if it served.
    pub fn manifests_with(&self, plugin: &Plugin) -> BTreeMap<DepartmentId, Manifest> {
        let mut manifests: BTreeMap<DepartmentId, Manifest> = self
            .plugins
            .values()
            .map(|p| (p.department().clone(), p.manifest().clone()))
            .collect();
        manifests.insert(plugin.department().clone(), plugin.manifest().clone());
        manifests
    }
}

impl ManifestSource for Catalog {
    fn manifest(&self, department: &DepartmentId) -> Option<&Manifest> {
        self.plugins.get(department).map(|p| p.manifest())
    }
}
