//! The catalog that serves now, behind one swap, and every bundle version
//! applications were submitted under.
//!
//! Readers take the current [`Catalog`] once per piece of work
//! ([`Serving::current`]); the loader replaces it whole
//! ([`Serving::publish`]). Attempts already started keep the plugin they
//! started with, and an application is driven by the bundle version it
//! was submitted with ([`Serving::bundle_version`]): from memory, or read
//! back from the store's version history after a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use onething_model::bundle::Bundle;
use onething_model::ids::{BundleId, Digest};
use onething_store::Store;
use onething_store::versions::VersionKind;

use crate::Catalog;

/// The serving catalog and the bundle versions ever served.
pub struct Serving {
    current: ArcSwap<Catalog>,
    bundle_versions: Mutex<HashMap<Digest, Arc<Bundle>>>,
    store: Arc<dyn Store>,
}

impl Serving {
    /// Serve `catalog`; `store` holds the version history.
    pub fn new(catalog: Catalog, store: Arc<dyn Store>) -> Self {
        let versions = catalog.bundles().map(|b| (b.digest, b.clone())).collect();
        Self {
            current: ArcSwap::from_pointee(catalog),
            bundle_versions: Mutex::new(versions),
            store,
        }
    }

    /// The catalog serving now. Hold it for one piece of work only: a
    /// swap does not change a catalog already taken.
    pub fn current(&self) -> Arc<Catalog> {
        self.current.load_full()
    }

    /// Serve `catalog` from now on.
    pub fn publish(&self, catalog: Catalog) {
        {
            let mut versions = self
                .bundle_versions
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for b in catalog.bundles() {
                versions.entry(b.digest).or_insert_with(|| b.clone());
            }
        }
        self.current.store(Arc::new(catalog));
    }

    /// The bundle version `digest` of bundle `id`: from memory, or read
    /// back from the store's history and resolved against the serving
    /// plugins (after a restart), or, for a history written before
    /// versions were stored, the bundle serving under that id.
    pub async fn bundle_version(&self, id: &BundleId, digest: &Digest) -> Option<Arc<Bundle>> {
        if let Some(b) = self
            .bundle_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(digest)
        {
            return Some(b.clone());
        }
        let cat = self.current();
        let stored = match self.store.version(VersionKind::Bundle, digest).await {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(bundle = %id, %digest, error = %e, "reading a bundle version");
                None
            }
        };
        let bundle = match stored {
            Some(v) => {
                let text = String::from_utf8_lossy(&v.bytes);
                match Bundle::from_toml(&text, &v.source, cat.dict(), &*cat) {
                    Ok(b) => Arc::new(b),
                    Err(e) => {
                        tracing::error!(bundle = %id, %digest, error = %e, "a bundle version applications were submitted with no longer resolves");
                        return None;
                    }
                }
            }
            None => cat.bundle(id).cloned()?,
        };
        self.bundle_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(*digest, bundle.clone());
        Some(bundle)
    }

    /// The store holding the version history.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
