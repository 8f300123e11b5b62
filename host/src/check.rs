//! The one notification: every problem with a filled form at once, from
//! the dictionary (missing, mistyped, failing a check digit) and from every
//! active step's `check`, merged and deduplicated.
//!
//! Also home of the data-rights rule shared with the runner: what a step is
//! allowed to see ([`visible_fields`], [`visible_materials`]).

use std::collections::{BTreeMap, BTreeSet};

use crate::application::{Contents, Material};
use crate::bindings::{types, value_to_wit};
use crate::bundle::{Bundle, BundleStep};
use crate::dictionary::{Dictionary, FieldValue};
use crate::ids::{FieldKey, MaterialCode};
use crate::problem::{Problem, Subject};
use crate::registry::Registry;

/// Exactly the fields `step` declared it reads, from the form and from
/// earlier steps' outputs, and nothing else.
pub fn visible_fields(
    step: &BundleStep,
    form: &BTreeMap<FieldKey, FieldValue>,
    produced: &BTreeMap<FieldKey, FieldValue>,
) -> Vec<types::Field> {
    step.spec
        .reads
        .iter()
        .filter_map(|need| {
            produced
                .get(&need.key)
                .or_else(|| form.get(&need.key))
                .map(|v| types::Field {
                    key: need.key.to_string(),
                    value: value_to_wit(v),
                })
        })
        .collect()
}

/// The keys `step` requires that `fields` lacks.
pub fn missing_required(step: &BundleStep, fields: &[types::Field]) -> Vec<String> {
    step.spec
        .reads
        .iter()
        .filter(|n| n.required && !fields.iter().any(|f| f.key == n.key.as_str()))
        .map(|n| n.key.to_string())
        .collect()
}

/// Exactly the materials `step` declared it needs, of those supplied.
pub fn visible_materials(
    step: &BundleStep,
    materials: &BTreeMap<MaterialCode, Material>,
) -> Vec<types::Material> {
    step.spec
        .materials
        .iter()
        .filter_map(|need| {
            materials.get(&need.code).map(|m| types::Material {
                code: need.code.to_string(),
                digest: m.digest.to_string(),
                media_type: m.media_type.clone(),
                size: m.size,
            })
        })
        .collect()
}

/// The steps whose conditions hold for this form.
pub fn active_steps<'b>(
    bundle: &'b Bundle,
    form: &BTreeMap<FieldKey, FieldValue>,
) -> Vec<&'b BundleStep> {
    bundle
        .steps
        .iter()
        .filter(|s| s.when.as_ref().is_none_or(|c| c.holds(form)))
        .collect()
}

/// A department whose `check` could not run (the problem is the host's or
/// the plugin's, not the applicant's).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckFailure {
    /// The step.
    pub step: String,
    /// Why.
    pub error: String,
}

/// Every problem with `contents` for `bundle`, and any check that failed.
pub async fn check_all(
    bundle: &Bundle,
    contents: &Contents,
    registry: &Registry,
    dict: &Dictionary,
) -> (Vec<Problem>, Vec<CheckFailure>) {
    let mut problems = contents.problems.clone();
    let active = active_steps(bundle, &contents.form);
    let flagged: BTreeSet<String> = problems
        .iter()
        .filter_map(|p| match &p.subject {
            Subject::Field(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    // Missing required fields and materials of active steps, once each.
    let mut missing_fields = BTreeSet::new();
    let mut missing_materials = BTreeSet::new();
    for s in &active {
        for need in s.spec.reads.iter().filter(|n| n.required) {
            let issued = dict.field(&need.key).is_none_or(|f| f.issued);
            if !issued
                && !contents.form.contains_key(&need.key)
                && !flagged.contains(need.key.as_str())
                && missing_fields.insert(need.key.clone())
            {
                let label = dict
                    .field(&need.key)
                    .map_or_else(String::new, |f| format!("{} / {}", f.label.zh, f.label.en));
                problems.push(Problem::field(
                    need.key.as_str(),
                    "missing",
                    format!("{label} ({}) is required: {}", need.key, need.purpose),
                ));
            }
        }
        for need in s.spec.materials.iter().filter(|n| n.required) {
            if !contents.materials.contains_key(&need.code)
                && missing_materials.insert(need.code.clone())
            {
                let label = dict
                    .material(&need.code)
                    .map_or_else(String::new, |m| format!("{} / {}", m.label.zh, m.label.en));
                problems.push(Problem::material(
                    need.code.as_str(),
                    "missing",
                    format!("{label} ({}) is required: {}", need.code, need.purpose),
                ));
            }
        }
    }
    // Every active step's own check, concurrently.
    let no_outputs = BTreeMap::new();
    let calls = active.iter().filter_map(|s| {
        let plugin = registry.get(&s.reference.department)?.clone();
        let fields = visible_fields(s, &contents.form, &no_outputs);
        let materials = visible_materials(s, &contents.materials);
        Some(async move {
            (
                s.reference.clone(),
                plugin.check(&s.reference.step, &fields, &materials).await,
            )
        })
    });
    let mut failures = Vec::new();
    // The host is the judge of format and presence: a field or material it
    // already flagged is not reported again by a department, and a field
    // only departments issue cannot be asked of the applicant (it does not
    // exist yet when `check` runs).
    let host_flagged: BTreeSet<Subject> = problems.iter().map(|p| p.subject.clone()).collect();
    let mut seen: BTreeSet<(Subject, String)> = problems
        .iter()
        .map(|p| (p.subject.clone(), p.code.clone()))
        .collect();
    for (step, result) in futures::future::join_all(calls).await {
        match result {
            Ok(found) => {
                for p in found {
                    let p = Problem::from_wit(p, &step);
                    if host_flagged.contains(&p.subject) {
                        continue;
                    }
                    if let Subject::Field(k) = &p.subject
                        && dict.field_by_name(k).is_some_and(|f| f.issued)
                    {
                        continue;
                    }
                    if seen.insert((p.subject.clone(), p.code.clone())) {
                        problems.push(p);
                    }
                }
            }
            Err(e) => {
                tracing::warn!(step = %step, error = %e, "a department's check failed; its problems are not in the notification");
                failures.push(CheckFailure {
                    step: step.to_string(),
                    error: e.to_string(),
                });
            }
        }
    }
    (problems, failures)
}

/// The fields of an approval, if every key is one the step declared it
/// writes and every value passes the dictionary; else why not, naming the
/// field. Nothing of a refused approval is kept.
pub fn accept_outputs(
    step: &BundleStep,
    fields: Vec<types::Field>,
    dict: &Dictionary,
) -> Result<BTreeMap<FieldKey, FieldValue>, String> {
    let mut outputs = BTreeMap::new();
    for f in fields {
        let key = match FieldKey::parse(&f.key) {
            Ok(k) if step.spec.writes.contains(&k) => k,
            _ => {
                return Err(format!(
                    "handle: {} wrote field {:?}, which its manifest does not declare it writes; the output is refused",
                    step.reference, f.key
                ));
            }
        };
        let value = crate::bindings::value_from_wit(f.value)
            .map_err(|e| format!("handle: {} wrote {key}: {e}", step.reference))?;
        dict.validate(&key, &value)
            .map_err(|e| format!("handle: {} wrote an invalid value: {e}", step.reference))?;
        outputs.insert(key, value);
    }
    Ok(outputs)
}
