//! Prefill consents as the host records them: what the applicant allowed
//! (which departments may fill which fields), what was filled in (kept
//! only as a digest of each value), and how an application submitted with
//! the consent records it (which prefilled fields the applicant kept and
//! which they changed).
//!
//! Not for asking departments: the engine does that.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ids::{BundleId, DepartmentId, FieldKey, StepRef};

/// One prefilled field of a submitted application.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefilledField {
    /// The key.
    pub key: FieldKey,
    /// The department that filled it.
    pub from: DepartmentId,
    /// Whether the submitted value differs from the prefilled one.
    pub corrected: bool,
}

/// A prefill consent as recorded with the application it was used for.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentUse {
    /// The consent's id (from the prefill answer).
    pub id: String,
    /// The departments the applicant allowed to prefill.
    pub departments: Vec<DepartmentId>,
    /// The fields they were allowed to fill.
    pub fields: Vec<FieldKey>,
    /// When it was given, ms since the epoch.
    pub granted_ms: i64,
    /// The fields that were prefilled, with the department that filled
    /// each and whether the applicant changed the value before submitting.
    pub prefilled: Vec<PrefilledField>,
}

/// One prefilled field as stored with the consent: the value itself is
/// kept only as a digest, to tell later whether the applicant changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefillRecord {
    /// The key.
    pub key: FieldKey,
    /// The department that filled it.
    pub from: DepartmentId,
    /// The step it was asked for.
    pub step: StepRef,
    /// Digest of the value's JSON.
    pub value_digest: String,
}

/// A consent as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// `consent-…`.
    pub id: String,
    /// The bundle it is for.
    pub bundle: BundleId,
    /// The departments allowed.
    pub departments: Vec<DepartmentId>,
    /// The fields allowed.
    pub fields: Vec<FieldKey>,
    /// When, ms since the epoch.
    pub granted_ms: i64,
    /// What was filled in.
    pub prefilled: Vec<PrefillRecord>,
    /// Who gave it (`issuer#subject`); only they may submit with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// The JSON digest of a value, to compare without keeping it.
pub fn value_digest(v: &serde_json::Value) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(v.to_string().as_bytes()))
    )
}

impl ConsentRecord {
    /// How an application submitted with this consent records it: which
    /// prefilled fields the applicant kept and which they changed.
    pub fn used_by(&self, form: &BTreeMap<FieldKey, serde_json::Value>) -> ConsentUse {
        ConsentUse {
            id: self.id.clone(),
            departments: self.departments.clone(),
            fields: self.fields.clone(),
            granted_ms: self.granted_ms,
            prefilled: self
                .prefilled
                .iter()
                .map(|p| PrefilledField {
                    key: p.key.clone(),
                    from: p.from.clone(),
                    corrected: form.get(&p.key).map(value_digest).as_ref() != Some(&p.value_digest),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> FieldKey {
        FieldKey::parse(k).expect("key")
    }

    #[test]
    fn a_changed_value_is_marked_corrected() {
        let ps = DepartmentId::parse("public-security").expect("id");
        let step = StepRef::parse("public-security/household-registration").expect("step");
        let record = ConsentRecord {
            id: "consent-1".into(),
            bundle: BundleId::parse("newborn").expect("id"),
            departments: vec![ps.clone()],
            fields: vec![key("household.address"), key("household.head_name")],
            granted_ms: 0,
            prefilled: vec![
                PrefillRecord {
                    key: key("household.address"),
                    from: ps.clone(),
                    step: step.clone(),
                    value_digest: value_digest(&serde_json::json!("厦门市湖里区")),
                },
                PrefillRecord {
                    key: key("household.head_name"),
                    from: ps,
                    step,
                    value_digest: value_digest(&serde_json::json!("林志远")),
                },
            ],
            owner: None,
        };
        let form = BTreeMap::from([
            (key("household.address"), serde_json::json!("厦门市思明区")),
            (key("household.head_name"), serde_json::json!("林志远")),
        ]);
        let used = record.used_by(&form);
        let corrected: Vec<(&str, bool)> = used
            .prefilled
            .iter()
            .map(|p| (p.key.as_str(), p.corrected))
            .collect();
        assert_eq!(
            corrected,
            [("household.address", true), ("household.head_name", false)]
        );
    }
}
