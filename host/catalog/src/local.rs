//! Loading a catalog from directories for the local commands (`onething
//! run`, `form`, `plugin check`): the dictionary, the grants register,
//! every component in the plugins directory and every bundle in the
//! bundles directory, checked against each other as the service checks
//! them, the first fault stopping the load with its cause.
//!
//! Not for the service, which admits versions one by one and keeps
//! serving without a refused file ([`crate::Loader::start`]).

use std::path::Path;
use std::sync::Arc;

use onething_model::bundle::{Bundle, BundleError};
use onething_model::dictionary::{Dictionary, DictionaryError};
use onething_model::grants::{Grants, GrantsError};
use onething_runtime::{LoadError, Runtime};

use crate::loader::{LoaderError, SignaturePolicy};
use crate::snapshot::DuplicateDepartment;
use crate::source::{SourceDir, SourceError};
use crate::{Catalog, admission};

/// Why a local catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// A file or directory cannot be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The dictionary is refused.
    #[error(transparent)]
    Dictionary(#[from] DictionaryError),
    /// The plugins directory holds no component.
    #[error(
        "plugin directory {0} holds no .wasm components (build them with `cargo xtask build-plugins`)"
    )]
    NoPlugins(String),
    /// A component is refused.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// A component's signature is refused.
    #[error(transparent)]
    Signature(#[from] LoaderError),
    /// Two components claim one department.
    #[error(transparent)]
    Duplicate(#[from] DuplicateDepartment),
    /// A bundle is refused.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// A bundle file is not UTF-8.
    #[error("{0}: a bundle is UTF-8 TOML text")]
    NotText(String),
    /// The grants register is refused.
    #[error(transparent)]
    Grants(#[from] GrantsError),
}

/// Read and parse the data dictionary file.
pub fn load_dictionary(path: &Path) -> Result<Dictionary, LocalError> {
    let (dir, name) = SourceDir::of_file(path)?;
    let text = dir.read_to_string(&name)?;
    Ok(Dictionary::from_toml(&text, &path.display().to_string())?)
}

/// Read and check the grants register against the dictionary.
pub fn load_grants(path: &Path, dict: &Dictionary) -> Result<Grants, LocalError> {
    let (dir, name) = SourceDir::of_file(path)?;
    let text = dir.read_to_string(&name)?;
    Ok(Grants::from_toml(&text, &path.display().to_string(), dict)?)
}

/// Load every component of `plugins` (in file-name order) into a catalog
/// over `dict` and `grants`; with a policy, each must be signed as the
/// service would require (its `NAME.wasm.sig` valid for its own
/// department's key); each must read only what its grants give.
pub async fn load_plugins(
    runtime: &Runtime,
    plugins: &SourceDir,
    dict: Arc<Dictionary>,
    grants: Arc<Grants>,
    policy: Option<&SignaturePolicy>,
) -> Result<Catalog, LocalError> {
    let names = plugins.files_with("wasm")?;
    if names.is_empty() {
        return Err(LocalError::NoPlugins(plugins.path().display().to_string()));
    }
    let mut catalog = Catalog::new(dict.clone());
    catalog.replace_grants(grants);
    for name in names {
        let origin = plugins.shown(&name);
        let (bytes, signature) = plugins.read_component(&name)?;
        let signers = match policy {
            Some(policy) => admission::signers(policy, &bytes, signature.as_deref(), &origin)?,
            None => None,
        };
        let plugin = runtime.load_bytes(bytes, &origin, &dict).await?;
        admission::signed_by_its_department(&plugin, signers, &origin)?;
        admission::granted(catalog.grants(), &plugin)?;
        catalog.add_plugin(Arc::new(plugin))?;
    }
    Ok(catalog)
}

/// Add every bundle of `bundles` (in file-name order) to `catalog`; two
/// bundles with one id are refused.
pub fn load_bundles(catalog: &mut Catalog, bundles: &SourceDir) -> Result<(), LocalError> {
    for name in bundles.files_with("toml")? {
        let shown = bundles.shown(&name);
        let text = String::from_utf8(bundles.read(&name)?)
            .map_err(|_| LocalError::NotText(shown.clone()))?;
        let bundle = Bundle::from_toml(&text, &shown, catalog.dict(), catalog)?;
        admission::bundle_granted(catalog.grants(), &bundle)?;
        if let Some(other) = catalog.bundle(&bundle.id) {
            return Err(BundleError::Bundle {
                origin: shown,
                message: format!("id {} is already used by {}", bundle.id, other.origin),
            }
            .into());
        }
        catalog.replace_bundle(Arc::new(bundle));
    }
    Ok(())
}

/// The inputs of a local catalog.
#[derive(Debug, Clone, Copy)]
pub struct LocalPaths<'a> {
    /// The data dictionary.
    pub dictionary: &'a Path,
    /// The grants register.
    pub grants: &'a Path,
    /// The components.
    pub plugins: &'a Path,
    /// The bundles.
    pub bundles: &'a Path,
}

/// The dictionary, the grants, the plugins (signed per `policy`, when
/// given) and the bundles, checked together.
pub async fn load(
    runtime: &Runtime,
    paths: LocalPaths<'_>,
    policy: Option<&SignaturePolicy>,
) -> Result<Catalog, LocalError> {
    let dict = Arc::new(load_dictionary(paths.dictionary)?);
    let grants = Arc::new(load_grants(paths.grants, &dict)?);
    let mut catalog = load_plugins(
        runtime,
        &SourceDir::open(paths.plugins)?,
        dict,
        grants,
        policy,
    )
    .await?;
    let bundles = paths.bundles;
    load_bundles(&mut catalog, &SourceDir::open(bundles)?)?;
    Ok(catalog)
}

/// Whether `next` could serve in place of `catalog`'s dictionary: the
/// service's own check (every serving component, bundle and the register
/// against it), for `onething dictionary check` before a proposal is
/// uploaded. The refusal names each use it would break.
pub fn check_dictionary(next: &Dictionary, catalog: &Catalog) -> Result<(), LoaderError> {
    admission::dictionary(next, catalog).map(|_| ())
}
