//! The checks a version passes before it may serve, in order: signature
//! (when required, or when one is given), bytes and world and contract
//! version and `describe()` against the dictionary (all in
//! [`onething_runtime::Runtime::load_bytes`]), the department named in the
//! request, the signer's department, and every serving bundle that uses
//! the department still resolving with the new manifest; and every read
//! its manifest declares given to its department by the data-sharing
//! register ([`granted`]). A bundle must resolve against the serving
//! plugins, within the grants; a register must still grant every read of
//! what serves ([`covers_serving`]); a dictionary must keep every entry
//! what serves uses, unbroken ([`dictionary`]).

use std::sync::Arc;

use onething_model::bundle::Bundle;
use onething_model::dictionary::Dictionary;
use onething_model::grants::Grants;
use onething_model::ids::DepartmentId;
use onething_runtime::signing::SigningError;
use onething_runtime::{Plugin, Runtime};

use crate::Catalog;
use crate::loader::{LoaderError, SignaturePolicy};

/// The departments whose trusted keys signed `bytes`: `None` when no
/// signature is required and none is given; a refusal when one is
/// required and missing, or given and not valid for any trusted key.
pub(crate) fn signers(
    policy: &SignaturePolicy,
    bytes: &[u8],
    signature: Option<&str>,
    origin: &str,
) -> Result<Option<Vec<DepartmentId>>, LoaderError> {
    match signature {
        Some(sig) if policy.required || !sig.trim().is_empty() => {
            Ok(Some(policy.trusted.verify(bytes, sig, origin)?))
        }
        _ if policy.required => Err(SigningError::Unsigned {
            component: origin.to_owned(),
            signature: if origin == "upload" {
                "signature in the upload (the Onething-Signature header)".into()
            } else {
                format!("{origin}.sig")
            },
        }
        .into()),
        _ => Ok(None),
    }
}

/// Refuse a component signed by another department's key.
pub(crate) fn signed_by_its_department(
    plugin: &Plugin,
    signers: Option<Vec<DepartmentId>>,
    origin: &str,
) -> Result<(), LoaderError> {
    match signers {
        Some(signers) if !signers.contains(plugin.department()) => Err(LoaderError::WrongKey {
            origin: origin.to_owned(),
            department: plugin.department().clone(),
            signed_by: signers
                .iter()
                .map(DepartmentId::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        }),
        _ => Ok(()),
    }
}

/// Check a component; the loaded plugin and the serving bundles that use
/// its department, resolved again against it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn component(
    runtime: &Runtime,
    dict: &Dictionary,
    policy: &SignaturePolicy,
    serving: &Catalog,
    bytes: &[u8],
    signature: Option<&str>,
    origin: &str,
    department: Option<&str>,
) -> Result<(Plugin, Vec<Arc<Bundle>>), LoaderError> {
    let signers = signers(policy, bytes, signature, origin)?;
    let plugin = runtime.load_bytes(bytes.to_vec(), origin, dict).await?;
    if let Some(expected) = department
        && plugin.department().as_str() != expected
    {
        return Err(LoaderError::OtherDepartment {
            origin: origin.to_owned(),
            expected: expected.to_owned(),
            found: plugin.department().clone(),
        });
    }
    signed_by_its_department(&plugin, signers, origin)?;
    granted(serving.grants(), &plugin)?;
    let bundles = bundles_with(dict, serving, &plugin)?;
    Ok((plugin, bundles))
}

/// Refuse a component whose manifest reads a field no grant gives its
/// department, naming each read.
pub(crate) fn granted(grants: &Grants, plugin: &Plugin) -> Result<(), LoaderError> {
    let missing = grants.ungranted(plugin.manifest());
    if missing.is_empty() {
        return Ok(());
    }
    Err(LoaderError::Ungranted {
        origin: plugin.origin().to_owned(),
        department: Some(plugin.department().clone()),
        faults: missing
            .iter()
            .map(|m| format!("{m} (in {})", grants.origin))
            .collect(),
    })
}

/// Refuse a bundle one of whose steps reads a field no grant gives the
/// step's department.
pub(crate) fn bundle_granted(grants: &Grants, bundle: &Bundle) -> Result<(), LoaderError> {
    let faults: Vec<String> = bundle
        .steps
        .iter()
        .flat_map(|s| {
            s.spec
                .reads
                .iter()
                .filter(|need| {
                    grants
                        .grant_for(&s.reference.department, &need.key)
                        .is_none()
                })
                .map(move |need| {
                    format!(
                        "step {} reads {}, which no grant gives department {}",
                        s.reference, need.key, s.reference.department
                    )
                })
        })
        .collect();
    if faults.is_empty() {
        return Ok(());
    }
    Err(LoaderError::Ungranted {
        origin: format!("bundle {} ({})", bundle.id, bundle.origin),
        department: None,
        faults,
    })
}

/// Refuse a register that would take away a grant what serves needs:
/// every read of every serving component and bundle must stay granted.
pub(crate) fn covers_serving(grants: &Grants, serving: &Catalog) -> Result<(), LoaderError> {
    let mut faults = Vec::new();
    for plugin in serving.plugins() {
        for m in grants.ungranted(plugin.manifest()) {
            faults.push(format!(
                "{m}: serving {} {} needs it (roll it back or grant the field first)",
                plugin.department(),
                plugin.manifest().version
            ));
        }
    }
    if faults.is_empty() {
        return Ok(());
    }
    Err(LoaderError::Ungranted {
        origin: grants.origin.clone(),
        department: None,
        faults,
    })
}

/// The serving bundles that use `plugin`'s department, resolved again with
/// its manifest in place of the serving one. The first that no longer
/// resolves refuses the plugin.
pub(crate) fn bundles_with(
    dict: &Dictionary,
    serving: &Catalog,
    plugin: &Plugin,
) -> Result<Vec<Arc<Bundle>>, LoaderError> {
    let manifests = serving.manifests_with(plugin);
    let mut out = Vec::new();
    for b in serving.bundles() {
        if !b.departments().contains(plugin.department()) {
            continue;
        }
        let bundle = Bundle::from_toml(&b.text, &b.origin, dict, &manifests).map_err(|e| {
            LoaderError::BreaksBundle {
                origin: plugin.origin().to_owned(),
                department: plugin.department().clone(),
                version: plugin.manifest().version.clone(),
                bundle: b.id.to_string(),
                message: e.to_string(),
            }
        })?;
        out.push(Arc::new(bundle));
    }
    Ok(out)
}

/// What serves, resolved again against a new dictionary.
pub(crate) struct Resolved {
    /// Every serving bundle.
    pub bundles: Vec<Arc<Bundle>>,
    /// The serving register, if one is loaded.
    pub grants: Option<Arc<Grants>>,
}

/// Check a new dictionary against what serves: every serving component's
/// manifest must still find the keys and materials it uses, none changed
/// in a breaking way (its type, a choice taken away, who may supply it);
/// every serving bundle must resolve again against it, and the register
/// must still name only keys it has. Every fault at once, each naming the
/// component or bundle; on success, the bundles and register resolved
/// again against it.
pub(crate) fn dictionary(next: &Dictionary, serving: &Catalog) -> Result<Resolved, LoaderError> {
    let changes = next.changes_from(serving.dict());
    let mut faults = Vec::new();
    for plugin in serving.plugins() {
        for use_broken in plugin.manifest().broken_by(next, &changes) {
            faults.push(format!(
                "department {} {}: {use_broken}",
                plugin.department(),
                plugin.manifest().version
            ));
        }
    }
    let mut bundles = Vec::new();
    for b in serving.bundles() {
        let mut needs: Vec<String> = Vec::new();
        for s in &b.steps {
            let uses = s
                .spec
                .reads
                .iter()
                .map(|r| r.key.as_str())
                .chain(s.spec.writes.iter().map(|w| w.as_str()));
            for key in uses {
                if next.field_by_name(key).is_none() && !needs.iter().any(|n| n == key) {
                    needs.push(key.to_owned());
                }
            }
        }
        if !needs.is_empty() {
            faults.push(format!(
                "bundle {} needs {}, which it removes",
                b.id,
                needs.join(", ")
            ));
            continue;
        }
        match Bundle::from_toml(&b.text, &b.origin, next, serving) {
            Ok(again) => bundles.push(Arc::new(again)),
            Err(e) => faults.push(format!("bundle {} would no longer resolve: {e}", b.id)),
        }
    }
    let grants = match serving.grants_loaded() {
        Some(g) => match Grants::from_toml(&g.text, &g.origin, next) {
            Ok(again) => Some(Arc::new(again)),
            Err(e) => {
                faults.push(format!("the grants register would no longer load: {e}"));
                None
            }
        },
        None => None,
    };
    if faults.is_empty() {
        Ok(Resolved { bundles, grants })
    } else {
        Err(LoaderError::BreaksServing {
            origin: next.origin().to_owned(),
            version: next.version().to_owned(),
            faults,
        })
    }
}
