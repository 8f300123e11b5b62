//! A version that passed its checks, ready to serve ([`Candidate`]), what
//! serves for a subject, and when an admitted version becomes active
//! ([`Activate`]).

use std::sync::Arc;

use onething_model::bundle::Bundle;
use onething_model::dictionary::Dictionary;
use onething_model::grants::Grants;
use onething_model::ids::Digest;
use onething_runtime::Plugin;
use onething_store::versions::{DICTIONARY_SUBJECT, GRANTS_SUBJECT, VersionKind};

use crate::Catalog;

/// A version that passed its checks, ready to serve.
#[derive(Clone)]
pub(super) enum Candidate {
    /// A department's component.
    Component {
        /// The loaded plugin.
        plugin: Arc<Plugin>,
        /// The serving bundles that use its department, resolved with it.
        bundles: Vec<Arc<Bundle>>,
    },
    /// A bundle definition.
    Bundle(Arc<Bundle>),
    /// The data-sharing register.
    Grants(Arc<Grants>),
    /// The data dictionary.
    Dictionary {
        /// The dictionary.
        dict: Arc<Dictionary>,
        /// Every serving bundle, resolved again against it.
        bundles: Vec<Arc<Bundle>>,
        /// The serving register, checked again against it.
        grants: Option<Arc<Grants>>,
    },
}

impl Candidate {
    pub(super) fn kind(&self) -> VersionKind {
        match self {
            Candidate::Component { .. } => VersionKind::Plugin,
            Candidate::Bundle(_) => VersionKind::Bundle,
            Candidate::Grants(_) => VersionKind::Grants,
            Candidate::Dictionary { .. } => VersionKind::Dictionary,
        }
    }

    pub(super) fn subject(&self) -> String {
        match self {
            Candidate::Component { plugin, .. } => plugin.department().to_string(),
            Candidate::Bundle(b) => b.id.to_string(),
            Candidate::Grants(_) => GRANTS_SUBJECT.to_owned(),
            Candidate::Dictionary { .. } => DICTIONARY_SUBJECT.to_owned(),
        }
    }

    pub(super) fn digest(&self) -> Digest {
        match self {
            Candidate::Component { plugin, .. } => *plugin.digest(),
            Candidate::Bundle(b) => b.digest,
            Candidate::Grants(g) => g.digest,
            Candidate::Dictionary { dict, .. } => dict.digest(),
        }
    }

    pub(super) fn version(&self) -> String {
        match self {
            Candidate::Component { plugin, .. } => plugin.manifest().version.clone(),
            Candidate::Bundle(b) => b.digest.short(),
            Candidate::Grants(g) => g.digest.short(),
            Candidate::Dictionary { dict, .. } => dict.version().to_owned(),
        }
    }

    /// Whether `catalog` serves this very version.
    pub(super) fn serves_in(&self, catalog: &Catalog) -> bool {
        serving_digest(catalog, self.kind(), &self.subject()) == Some(self.digest())
    }

    /// Put it in `catalog`, with what changes with it.
    pub(super) fn apply(self, catalog: &mut Catalog) {
        match self {
            Candidate::Component { plugin, bundles } => {
                catalog.replace_plugin(plugin);
                for b in bundles {
                    catalog.replace_bundle(b);
                }
            }
            Candidate::Bundle(b) => catalog.replace_bundle(b),
            Candidate::Grants(g) => catalog.replace_grants(g),
            Candidate::Dictionary {
                dict,
                bundles,
                grants,
            } => {
                catalog.replace_dictionary(dict);
                for b in bundles {
                    catalog.replace_bundle(b);
                }
                if let Some(g) = grants {
                    catalog.replace_grants(g);
                }
            }
        }
    }
}

/// The digest serving for a subject in `catalog`.
pub(super) fn serving_digest(
    catalog: &Catalog,
    kind: VersionKind,
    subject: &str,
) -> Option<Digest> {
    match kind {
        VersionKind::Plugin => catalog
            .plugins()
            .find(|p| p.department().as_str() == subject)
            .map(|p| *p.digest()),
        VersionKind::Bundle => catalog.bundle_named(subject).map(|b| b.digest),
        VersionKind::Grants => catalog
            .grants_loaded()
            .filter(|_| subject == GRANTS_SUBJECT)
            .map(|g| g.digest),
        VersionKind::Dictionary => catalog
            .dict_loaded()
            .filter(|_| subject == DICTIONARY_SUBJECT)
            .map(|d| d.digest()),
    }
}

/// How an admitted version becomes active.
#[derive(Debug, Clone, Copy)]
pub(super) enum Activate {
    /// Always.
    Yes,
    /// Never: admitted only.
    No,
    /// Only when it has not been seen before, or its subject's history
    /// names no active version (a start: the history decides for known
    /// versions).
    IfNew,
}

impl Activate {
    pub(super) fn activates(self, known: bool, history_has_active: impl FnOnce() -> bool) -> bool {
        match self {
            Activate::Yes => true,
            Activate::No => false,
            Activate::IfNew => !known || !history_has_active(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_activates_only_what_the_history_does_not_decide() {
        assert!(Activate::Yes.activates(true, || true));
        assert!(!Activate::No.activates(false, || false));
        // Never seen: activated.
        assert!(Activate::IfNew.activates(false, || true));
        // Seen, and the history names an active version: the history decides.
        assert!(!Activate::IfNew.activates(true, || true));
        // Seen, but nothing active in the history: activated.
        assert!(Activate::IfNew.activates(true, || false));
    }
}
