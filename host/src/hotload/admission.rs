//! The checks a version passes before it may serve, in order: signature
//! (when required, or when one is given), bytes and world and WIT version
//! and `describe()` against the dictionary (all in
//! [`crate::runtime::Runtime::load_bytes`]), the department named in the
//! request, the signer's department, and every serving bundle that uses
//! the department still resolving with the new manifest.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{BundleVersion, HotloadError, Serving, SignaturePolicy};
use crate::bundle::Bundle;
use crate::dictionary::Dictionary;
use crate::ids::DepartmentId;
use crate::manifest::Manifest;
use crate::runtime::{Plugin, Runtime};
use crate::signing::SigningError;

/// Check a component; the loaded plugin and the serving bundles that use
/// its department, resolved again against it.
#[allow(clippy::too_many_arguments)]
pub(super) async fn component(
    runtime: &Runtime,
    dict: &Dictionary,
    policy: &SignaturePolicy,
    serving: &Serving,
    bytes: &[u8],
    signature: Option<&str>,
    origin: &str,
    department: Option<&str>,
) -> Result<(Plugin, Vec<BundleVersion>), HotloadError> {
    let signers = match signature {
        Some(sig) if policy.required || !sig.trim().is_empty() => {
            Some(policy.trusted.verify(bytes, sig, origin)?)
        }
        _ if policy.required => {
            return Err(SigningError::Unsigned {
                component: origin.to_owned(),
                signature: if origin == "upload" {
                    "signature in the upload (the Onething-Signature header)".into()
                } else {
                    format!("{origin}.sig")
                },
            }
            .into());
        }
        _ => None,
    };
    let plugin = runtime.load_bytes(bytes.to_vec(), origin, dict).await?;
    if let Some(expected) = department
        && plugin.department().as_str() != expected
    {
        return Err(HotloadError::OtherDepartment {
            origin: origin.to_owned(),
            expected: expected.to_owned(),
            found: plugin.department().clone(),
        });
    }
    if let Some(signers) = signers
        && !signers.contains(plugin.department())
    {
        return Err(HotloadError::WrongKey {
            origin: origin.to_owned(),
            department: plugin.department().clone(),
            signed_by: signers
                .iter()
                .map(DepartmentId::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let bundles = bundles_with(dict, serving, &plugin)?;
    Ok((plugin, bundles))
}

/// The serving bundles that use `plugin`'s department, resolved again with
/// its manifest in place of the serving one. The first that no longer
/// resolves refuses the plugin.
pub(super) fn bundles_with(
    dict: &Dictionary,
    serving: &Serving,
    plugin: &Plugin,
) -> Result<Vec<BundleVersion>, HotloadError> {
    let mut manifests: BTreeMap<DepartmentId, Manifest> = serving
        .registry
        .plugins()
        .map(|p| (p.department().clone(), p.manifest().clone()))
        .collect();
    manifests.insert(plugin.department().clone(), plugin.manifest().clone());
    let mut out = Vec::new();
    for b in serving.bundles.values() {
        if !b.bundle.departments().contains(plugin.department()) {
            continue;
        }
        let bundle = Bundle::from_toml(&b.text, &b.origin, dict, &manifests).map_err(|e| {
            HotloadError::BreaksBundle {
                origin: plugin.origin().to_owned(),
                department: plugin.department().clone(),
                version: plugin.manifest().version.clone(),
                bundle: b.bundle.id.to_string(),
                message: e.to_string(),
            }
        })?;
        out.push(BundleVersion {
            text: b.text.clone(),
            origin: b.origin.clone(),
            bundle: Arc::new(bundle),
        });
    }
    Ok(out)
}
