//! Prefill with consent: the applicant asks the departments of a bundle to
//! fill in what they already hold, after a consent that names the
//! departments and the fields.
//!
//! Only consented departments are asked, each only for steps of the bundle
//! that read a consented field, and each is sent only the fields the
//! applicant typed that the step declared it reads. What comes back is
//! kept only for consented fields the step reads, valid by the dictionary;
//! anything else is dropped and said so. The consent and every flow (the
//! lookup sent, the fields returned) go into the audit log, keys only.
//! The values are returned to the applicant, who may correct them before
//! submitting; the application then records the consent, which fields were
//! prefilled by whom, and which the applicant changed.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::audit::{Action, Entry, Flow};
use crate::bindings::{types, value_from_wit, value_to_wit};
use crate::bundle::Bundle;
use crate::dictionary::Dictionary;
use crate::engine::state::{ConsentUse, PrefilledField};
use crate::ids::FieldKey;
use crate::registry::Registry;

/// The applicant's consent, as given in a prefill request.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The departments allowed to fill fields in.
    pub departments: Vec<String>,
    /// The fields they may fill.
    pub fields: Vec<String>,
}

/// A prefill request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefillRequest {
    /// The consent; a request without one is refused.
    pub consent: Option<Consent>,
    /// What the applicant has typed so far, by dictionary key.
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// One prefilled field as stored with the consent: the value itself is
/// kept only as a digest, to tell later whether the applicant changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefillRecord {
    /// The key.
    pub key: String,
    /// The department that filled it.
    pub from: String,
    /// The step it was asked for.
    pub step: String,
    /// Digest of the value's JSON.
    pub value_digest: String,
}

/// A consent as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRecord {
    /// `consent-…`.
    pub id: String,
    /// The bundle it is for.
    pub bundle: String,
    /// The departments allowed.
    pub departments: Vec<String>,
    /// The fields allowed.
    pub fields: Vec<String>,
    /// When, ms since the epoch.
    pub granted_ms: i64,
    /// What was filled in.
    pub prefilled: Vec<PrefillRecord>,
}

impl ConsentRecord {
    /// How an application submitted with this consent records it: which
    /// prefilled fields the applicant kept and which they changed.
    pub fn used_by(&self, form: &BTreeMap<String, serde_json::Value>) -> ConsentUse {
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
                    corrected: form.get(&p.key).map(value_digest) != Some(p.value_digest.clone()),
                })
                .collect(),
        }
    }
}

/// A value the applicant sees, with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct PrefilledValue {
    /// The value.
    pub value: serde_json::Value,
    /// The department that holds it.
    pub from: String,
    /// The step it was asked for.
    pub step: String,
}

/// What one department said.
#[derive(Debug, Clone, Serialize)]
pub struct Asked {
    /// The department.
    pub department: String,
    /// The step.
    pub step: String,
    /// Keys it filled in.
    pub filled: Vec<String>,
    /// Keys it returned that were not kept, each with why.
    pub dropped: Vec<String>,
    /// The call failed (the department is then simply not heard).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The answer to a prefill request.
#[derive(Debug, Clone, Serialize)]
pub struct Prefilled {
    /// The consent's id: submit the application with `"consent": id`.
    pub consent: String,
    /// The values, by key, for the applicant to check and correct.
    pub fields: BTreeMap<String, PrefilledValue>,
    /// Each department asked.
    pub asked: Vec<Asked>,
}

/// Why a prefill request was refused. Nothing is asked or stored.
#[derive(Debug, thiserror::Error)]
pub enum PrefillError {
    /// No consent was given.
    #[error(
        "prefill needs the applicant's consent: give \"consent\": {{\"departments\": [...], \"fields\": [...]}} naming the departments and the fields they may fill"
    )]
    NoConsent,
    /// The consent or the fields name something wrong.
    #[error("{0}")]
    Invalid(String),
}

/// The JSON digest of a value, to compare without keeping it.
pub fn value_digest(v: &serde_json::Value) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(v.to_string().as_bytes()))
    )
}

/// Check a consent against a bundle: every department has a step in it,
/// every field is on its form (read by a step, not issued by one).
fn check_consent(
    bundle: &Bundle,
    dict: &Dictionary,
    consent: &Consent,
) -> Result<(), PrefillError> {
    if consent.departments.is_empty() || consent.fields.is_empty() {
        return Err(PrefillError::Invalid(
            "the consent must name at least one department and one field".into(),
        ));
    }
    let departments: BTreeSet<String> = bundle
        .departments()
        .iter()
        .map(ToString::to_string)
        .collect();
    for d in &consent.departments {
        if !departments.contains(d) {
            return Err(PrefillError::Invalid(format!(
                "consent names department {d}, which has no step in bundle {}; its departments are: {}",
                bundle.id,
                departments.iter().cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    for f in &consent.fields {
        let key = FieldKey::parse(f)
            .map_err(|e| PrefillError::Invalid(format!("consent field {f}: {e}")))?;
        if dict.field(&key).is_none() {
            return Err(PrefillError::Invalid(format!(
                "consent field {f} is not in the data dictionary"
            )));
        }
        let read = bundle
            .steps
            .iter()
            .any(|s| s.spec.reads.iter().any(|r| r.key == key));
        let issued = bundle.steps.iter().any(|s| s.spec.writes.contains(&key));
        if !read || issued {
            return Err(PrefillError::Invalid(format!(
                "consent field {f} is not on the form of bundle {}{}",
                bundle.id,
                if issued { " (a step issues it)" } else { "" }
            )));
        }
    }
    Ok(())
}

/// Ask the consented departments; the consent to store, its audit
/// entries, and the answer. `id` names the consent.
pub async fn prefill(
    bundle: &Bundle,
    registry: &Registry,
    dict: &Dictionary,
    request: PrefillRequest,
    id: String,
    now_ms: i64,
) -> Result<(ConsentRecord, Vec<Entry>, Prefilled), PrefillError> {
    let consent = request.consent.ok_or(PrefillError::NoConsent)?;
    check_consent(bundle, dict, &consent)?;
    let mut known = BTreeMap::new();
    for (k, v) in &request.fields {
        let key =
            FieldKey::parse(k).map_err(|e| PrefillError::Invalid(format!("field {k}: {e}")))?;
        let value = dict
            .parse_json(&key, v)
            .map_err(|e| PrefillError::Invalid(format!("field {k}: {}", e.message)))?;
        known.insert(key, value);
    }
    let allowed: BTreeSet<&str> = consent.fields.iter().map(String::as_str).collect();
    let mut granted = Entry::new(Action::ConsentGranted, "applicant");
    granted.fields = consent
        .fields
        .iter()
        .map(|k| Flow {
            key: k.clone(),
            from: "applicant".into(),
        })
        .collect();
    granted.note = Some(format!(
        "consent {id} for bundle {}: departments {}",
        bundle.id,
        consent.departments.join(", ")
    ));
    let mut entries = vec![granted];
    let mut fields: BTreeMap<String, PrefilledValue> = BTreeMap::new();
    let mut records = Vec::new();
    let mut asked = Vec::new();
    for step in &bundle.steps {
        let department = step.reference.department.to_string();
        if !consent.departments.contains(&department) {
            continue;
        }
        let wants = step
            .spec
            .reads
            .iter()
            .any(|r| allowed.contains(r.key.as_str()));
        if !wants {
            continue;
        }
        let Some(plugin) = registry.get(&step.reference.department) else {
            continue;
        };
        let sent: Vec<types::Field> = step
            .spec
            .reads
            .iter()
            .filter_map(|r| {
                known.get(&r.key).map(|v| types::Field {
                    key: r.key.to_string(),
                    value: value_to_wit(v),
                })
            })
            .collect();
        let reference = step.reference.to_string();
        let mut query = Entry::new(Action::PrefillQueried, "platform");
        query.recipient = Some(department.clone());
        query.step = Some(reference.clone());
        query.fields = sent
            .iter()
            .map(|f| Flow {
                key: f.key.clone(),
                from: "applicant".into(),
            })
            .collect();
        query.note = Some(format!("prefill lookup under consent {id}"));
        entries.push(query);
        let mut report = Asked {
            department: department.clone(),
            step: reference.clone(),
            filled: Vec::new(),
            dropped: Vec::new(),
            error: None,
        };
        match plugin.prefill(&step.reference.step, &sent).await {
            Err(e) => report.error = Some(e.to_string()),
            Ok(returned) => {
                for f in returned {
                    let reason = if !allowed.contains(f.key.as_str()) {
                        Some("not in the consent")
                    } else if !step.spec.reads.iter().any(|r| r.key.as_str() == f.key) {
                        Some("the step does not read it")
                    } else if fields.contains_key(&f.key) {
                        Some("already filled by another department")
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        report.dropped.push(format!("{}: {reason}", f.key));
                        continue;
                    }
                    let Ok(key) = FieldKey::parse(&f.key) else {
                        report.dropped.push(format!("{}: not a field key", f.key));
                        continue;
                    };
                    let value = match value_from_wit(f.value) {
                        Ok(v) => v,
                        Err(e) => {
                            report.dropped.push(format!("{}: {e}", f.key));
                            continue;
                        }
                    };
                    if let Err(e) = dict.validate(&key, &value) {
                        report.dropped.push(format!("{}: {}", f.key, e.code));
                        continue;
                    }
                    let json = value.to_json();
                    records.push(PrefillRecord {
                        key: f.key.clone(),
                        from: department.clone(),
                        step: reference.clone(),
                        value_digest: value_digest(&json),
                    });
                    report.filled.push(f.key.clone());
                    fields.insert(
                        f.key,
                        PrefilledValue {
                            value: json,
                            from: department.clone(),
                            step: reference.clone(),
                        },
                    );
                }
            }
        }
        if !report.filled.is_empty() {
            let mut answer = Entry::new(Action::Prefilled, department.clone());
            answer.recipient = Some("applicant".into());
            answer.step = Some(reference.clone());
            answer.fields = report
                .filled
                .iter()
                .map(|k| Flow {
                    key: k.clone(),
                    from: department.clone(),
                })
                .collect();
            answer.note = Some(format!("under consent {id}"));
            entries.push(answer);
        }
        asked.push(report);
    }
    let record = ConsentRecord {
        id: id.clone(),
        bundle: bundle.id.to_string(),
        departments: consent.departments,
        fields: consent.fields,
        granted_ms: now_ms,
        prefilled: records,
    };
    Ok((
        record,
        entries,
        Prefilled {
            consent: id,
            fields,
            asked,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_value_is_marked_corrected() {
        let record = ConsentRecord {
            id: "consent-1".into(),
            bundle: "newborn".into(),
            departments: vec!["public-security".into()],
            fields: vec!["household.address".into(), "household.head_name".into()],
            granted_ms: 0,
            prefilled: vec![
                PrefillRecord {
                    key: "household.address".into(),
                    from: "public-security".into(),
                    step: "public-security/household-registration".into(),
                    value_digest: value_digest(&serde_json::json!("厦门市湖里区")),
                },
                PrefillRecord {
                    key: "household.head_name".into(),
                    from: "public-security".into(),
                    step: "public-security/household-registration".into(),
                    value_digest: value_digest(&serde_json::json!("林志远")),
                },
            ],
        };
        let form = BTreeMap::from([
            (
                "household.address".to_string(),
                serde_json::json!("厦门市思明区"),
            ),
            (
                "household.head_name".to_string(),
                serde_json::json!("林志远"),
            ),
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
