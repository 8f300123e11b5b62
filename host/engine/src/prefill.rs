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

use onething_catalog::Catalog;
use onething_model::audit::{Action, Entry, Flow};
use onething_model::bundle::Bundle;
use onething_model::call::Field;
use onething_model::consent::{ConsentRecord, PrefillRecord, value_digest};
use onething_model::dictionary::Dictionary;
use onething_model::ids::{DepartmentId, FieldKey};
use onething_model::party::{Applicant, may_prefill};
use serde::{Deserialize, Serialize};

use crate::{Engine, PrefillFailure, now_ms};

/// The applicant's consent, as given in a prefill request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The departments allowed to fill fields in.
    pub departments: Vec<String>,
    /// The fields they may fill.
    pub fields: Vec<String>,
}

/// A prefill request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefillRequest {
    /// The consent; a request without one is refused.
    pub consent: Option<Consent>,
    /// What the applicant has typed so far, by dictionary key.
    #[serde(default)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// A value the applicant sees, with where it came from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Check a consent against a bundle: every department has a step in it,
/// every field is on its form (read by a step, not issued by one). The
/// departments and fields, parsed.
fn check_consent(
    bundle: &Bundle,
    dict: &Dictionary,
    consent: &Consent,
) -> Result<(Vec<DepartmentId>, Vec<FieldKey>), PrefillError> {
    if consent.departments.is_empty() || consent.fields.is_empty() {
        return Err(PrefillError::Invalid(
            "the consent must name at least one department and one field".into(),
        ));
    }
    let in_bundle = bundle.departments();
    let mut departments = Vec::new();
    for d in &consent.departments {
        match DepartmentId::parse(d) {
            Ok(id) if in_bundle.contains(&id) => departments.push(id),
            _ => {
                return Err(PrefillError::Invalid(format!(
                    "consent names department {d}, which has no step in bundle {}; its departments are: {}",
                    bundle.id,
                    in_bundle
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    let mut fields = Vec::new();
    for f in &consent.fields {
        let key = FieldKey::parse(f)
            .map_err(|e| PrefillError::Invalid(format!("consent field {f}: {e}")))?;
        if dict.field(&key).is_none() {
            return Err(PrefillError::Invalid(format!(
                "consent field {f} is not in the data dictionary{}",
                dict.did_you_mean_field(f)
            )));
        }
        let read = bundle.steps.iter().any(|s| s.spec.reads_key(&key));
        let issued = bundle.steps.iter().any(|s| s.spec.writes.contains(&key));
        if !read || issued {
            return Err(PrefillError::Invalid(format!(
                "consent field {f} is not on the form of bundle {}{}",
                bundle.id,
                if issued { " (a step issues it)" } else { "" }
            )));
        }
        fields.push(key);
    }
    Ok((departments, fields))
}

/// Ask the consented departments; the consent to store, its audit
/// entries, and the answer. `id` names the consent.
pub async fn prefill(
    bundle: &Bundle,
    catalog: &Catalog,
    request: PrefillRequest,
    id: String,
    now_ms: i64,
) -> Result<(ConsentRecord, Vec<Entry>, Prefilled), PrefillError> {
    let dict = catalog.dict();
    let consent = request.consent.ok_or(PrefillError::NoConsent)?;
    let (departments, allowed) = check_consent(bundle, dict, &consent)?;
    let mut known = BTreeMap::new();
    for (k, v) in &request.fields {
        let key =
            FieldKey::parse(k).map_err(|e| PrefillError::Invalid(format!("field {k}: {e}")))?;
        let value = dict
            .parse_json(&key, v)
            .map_err(|e| PrefillError::Invalid(format!("field {k}: {}", e.message)))?;
        known.insert(key, value);
    }
    let allowed_set: BTreeSet<&FieldKey> = allowed.iter().collect();
    let mut granted = Entry::new(Action::ConsentGranted, "applicant");
    granted.fields = allowed
        .iter()
        .map(|k| Flow {
            key: k.to_string(),
            from: "applicant".into(),
        })
        .collect();
    granted.note = Some(format!(
        "consent {id} for bundle {}: departments {}",
        bundle.id,
        departments
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut entries = vec![granted];
    let mut fields: BTreeMap<String, PrefilledValue> = BTreeMap::new();
    let mut records = Vec::new();
    let mut asked = Vec::new();
    for step in &bundle.steps {
        let department = &step.reference.department;
        if !departments.contains(department) {
            continue;
        }
        if !step.spec.reads.iter().any(|r| allowed_set.contains(&r.key)) {
            continue;
        }
        let Some(plugin) = catalog.plugin(department) else {
            continue;
        };
        let sent: Vec<Field> = step
            .spec
            .reads
            .iter()
            .filter_map(|r| {
                known.get(&r.key).map(|v| Field {
                    key: r.key.clone(),
                    value: v.clone(),
                })
            })
            .collect();
        let reference = step.reference.to_string();
        let mut query = Entry::new(Action::PrefillQueried, "platform");
        query.recipient = Some(department.to_string());
        query.step = Some(reference.clone());
        query.fields = sent
            .iter()
            .map(|f| Flow {
                key: f.key.to_string(),
                from: "applicant".into(),
            })
            .collect();
        query.note = Some(format!("prefill lookup under consent {id}"));
        entries.push(query);
        let mut report = Asked {
            department: department.to_string(),
            step: reference.clone(),
            filled: Vec::new(),
            dropped: Vec::new(),
            error: None,
        };
        match plugin.prefill(None, &step.reference.step, &sent).await {
            Err(e) => report.error = Some(e.to_string()),
            Ok(returned) => {
                for f in returned {
                    let key = FieldKey::parse(&f.key).ok();
                    let reason = match &key {
                        None => Some("not a field key"),
                        Some(k) if !allowed_set.contains(k) => Some("not in the consent"),
                        Some(k) if !step.spec.reads_key(k) => Some("the step does not read it"),
                        _ if fields.contains_key(&f.key) => {
                            Some("already filled by another department")
                        }
                        _ => None,
                    };
                    let (Some(key), None) = (key, reason) else {
                        report
                            .dropped
                            .push(format!("{}: {}", f.key, reason.unwrap_or("refused")));
                        continue;
                    };
                    let value = match f.value {
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
                        key: key.clone(),
                        from: department.clone(),
                        step: step.reference.clone(),
                        value_digest: value_digest(&json),
                    });
                    report.filled.push(f.key.clone());
                    fields.insert(
                        f.key,
                        PrefilledValue {
                            value: json,
                            from: department.to_string(),
                            step: reference.clone(),
                        },
                    );
                }
            }
        }
        if !report.filled.is_empty() {
            let mut answer = Entry::new(Action::Prefilled, department.to_string());
            answer.recipient = Some("applicant".into());
            answer.step = Some(reference.clone());
            answer.fields = report
                .filled
                .iter()
                .map(|k| Flow {
                    key: k.clone(),
                    from: department.to_string(),
                })
                .collect();
            answer.note = Some(format!("under consent {id}"));
            entries.push(answer);
        }
        asked.push(report);
    }
    let record = ConsentRecord {
        id: id.clone(),
        bundle: bundle.id.clone(),
        departments,
        fields: allowed,
        granted_ms: now_ms,
        prefilled: records,
        owner: None,
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

impl Engine {
    /// Ask the consented departments of a bundle to prefill what they
    /// hold; the consent and every flow are recorded before the answer.
    pub async fn prefill(
        &self,
        bundle: &str,
        request: PrefillRequest,
        applicant: &Applicant,
    ) -> Result<Prefilled, PrefillFailure> {
        let cat = self.catalog();
        let bundle = cat
            .bundle_named(bundle)
            .cloned()
            .ok_or_else(|| PrefillFailure::UnknownBundle(bundle.to_owned()))?;
        // Keyed only by who the asker is, before anything is asked or kept.
        may_prefill(&bundle, &request.fields, applicant, cat.dict())?;
        let id = format!("consent-{}", uuid::Uuid::now_v7().simple());
        let (mut record, mut entries, answer) =
            prefill(&bundle, &cat, request, id, now_ms()).await?;
        record.owner = Some(applicant.owner.clone());
        // The consent is the applicant's: the log says whose.
        for e in entries
            .iter_mut()
            .filter(|e| e.action == Action::ConsentGranted)
        {
            e.actor = applicant.owner.clone();
        }
        self.inner.store.record_consent(&record, &entries).await?;
        tracing::info!(consent = %record.id, bundle = %bundle.id, departments = ?record.departments, filled = record.prefilled.len(), "prefill with consent");
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn consent(departments: &[&str], fields: &[&str]) -> Consent {
        Consent {
            departments: departments.iter().map(|s| (*s).to_owned()).collect(),
            fields: fields.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn a_consent_must_name_the_bundles_departments_and_form_fields() {
        let (bundle, dict) = fixtures::bundle();
        let ok = check_consent(&bundle, &dict, &consent(&["police"], &["child.name"]))
            .expect("sound consent");
        assert_eq!(ok.0[0].as_str(), "police");
        for (c, words) in [
            (consent(&[], &["child.name"]), "at least one department"),
            (
                consent(&["tax"], &["child.name"]),
                "department tax, which has no step",
            ),
            (
                consent(&["police"], &["child.nmae"]),
                "not in the data dictionary",
            ),
            (
                consent(&["police"], &["child.hukou_number"]),
                "a step issues it",
            ),
            (consent(&["police"], &["mother.insured"]), "not on the form"),
        ] {
            let err = check_consent(&bundle, &dict, &c)
                .expect_err(words)
                .to_string();
            assert!(err.contains(words), "{words}: {err}");
        }
    }
}
