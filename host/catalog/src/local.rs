//! Loading a catalog from directories for the local commands (`onething
//! run`, `form`, `plugin check`): the dictionary, every component in the
//! plugins directory and every bundle in the bundles directory, checked
//! against each other, the first fault stopping the load with its cause.
//!
//! Not for the service, which admits versions one by one and keeps
//! serving without a refused file ([`crate::Loader::start`]).

use std::path::Path;
use std::sync::Arc;

use onething_model::bundle::{Bundle, BundleError};
use onething_model::dictionary::{Dictionary, DictionaryError};
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
}

/// Read and parse the data dictionary file.
pub fn load_dictionary(path: &Path) -> Result<Dictionary, LocalError> {
    let (dir, name) = SourceDir::of_file(path)?;
    let text = dir.read_to_string(&name)?;
    Ok(Dictionary::from_toml(&text, &path.display().to_string())?)
}

/// Load every component of `plugins` (in file-name order) into a catalog
/// over `dict`; with a policy, each must be signed as the service would
/// require (its `NAME.wasm.sig` valid for its own department's key).
pub async fn load_plugins(
    runtime: &Runtime,
    plugins: &SourceDir,
    dict: Arc<Dictionary>,
    policy: Option<&SignaturePolicy>,
) -> Result<Catalog, LocalError> {
    let names = plugins.files_with("wasm")?;
    if names.is_empty() {
        return Err(LocalError::NoPlugins(plugins.path().display().to_string()));
    }
    let mut catalog = Catalog::new(dict.clone());
    for name in names {
        let origin = plugins.shown(&name);
        let (bytes, signature) = plugins.read_component(&name)?;
        let signers = match policy {
            Some(policy) => admission::signers(policy, &bytes, signature.as_deref(), &origin)?,
            None => None,
        };
        let plugin = runtime.load_bytes(bytes, &origin, &dict).await?;
        admission::signed_by_its_department(&plugin, signers, &origin)?;
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

/// The dictionary, the plugins (signed per `policy`, when given) and the
/// bundles, checked together.
pub async fn load(
    runtime: &Runtime,
    dictionary: &Path,
    plugins: &Path,
    bundles: &Path,
    policy: Option<&SignaturePolicy>,
) -> Result<Catalog, LocalError> {
    let dict = Arc::new(load_dictionary(dictionary)?);
    let mut catalog = load_plugins(runtime, &SourceDir::open(plugins)?, dict, policy).await?;
    load_bundles(&mut catalog, &SourceDir::open(bundles)?)?;
    Ok(catalog)
}
