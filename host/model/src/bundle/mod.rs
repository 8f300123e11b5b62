//! Bundles ("one thing"): a named set of department steps with
//! dependencies, conditions and time limits, defined by operators in TOML
//! (format in docs/formats.md).
//!
//! Loading checks a bundle against the data dictionary and the manifests of
//! the loaded departments and refuses it, naming the culprit, when it could
//! never run: a cycle, an unknown department or step, an issued field read
//! with no earlier step writing it, a condition on an unknown field. Not
//! for reading bundle files (the catalog does) nor for running a bundle
//! (the engine does).

mod graph;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dictionary::{Dictionary, FieldValue, Label};
use crate::faults::Faults;
use crate::ids::{BundleId, DepartmentId, Digest, FieldKey, StepId, StepRef};
use crate::manifest::{Manifest, StepSpec};
use crate::suggest::DidYouMean;

/// Where bundles find department manifests: the serving catalog, or a
/// map of manifests (to try a new version before it serves).
pub trait ManifestSource {
    /// The manifest of a loaded department.
    fn manifest(&self, department: &DepartmentId) -> Option<&Manifest>;
}

impl ManifestSource for BTreeMap<DepartmentId, Manifest> {
    fn manifest(&self, department: &DepartmentId) -> Option<&Manifest> {
        self.get(department)
    }
}

/// A condition on a form field that decides whether a step runs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// The form field tested.
    pub field: FieldKey,
    /// The test.
    pub test: Test,
}

/// What a condition tests.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// The field equals this value.
    Equals(FieldValue),
    /// The field equals one of these values.
    OneOf(Vec<FieldValue>),
    /// The field is (or, with `false`, is not) filled in.
    Present(bool),
}

impl Condition {
    /// Whether the condition holds for a form.
    pub fn holds(&self, form: &BTreeMap<FieldKey, FieldValue>) -> bool {
        let value = form.get(&self.field);
        match &self.test {
            Test::Equals(v) => value == Some(v),
            Test::OneOf(vs) => value.is_some_and(|x| vs.contains(x)),
            Test::Present(p) => value.is_some() == *p,
        }
    }
}

/// One step of a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleStep {
    /// Which department's which step.
    #[serde(rename = "step")]
    pub reference: StepRef,
    /// Steps that must finish first.
    pub after: Vec<StepRef>,
    /// Time limit from when the step becomes ready.
    #[serde(serialize_with = "hours")]
    pub time_limit: Duration,
    /// Run only when this holds.
    pub when: Option<Condition>,
    /// The department's declaration of the step (from its manifest).
    #[serde(skip)]
    pub spec: StepSpec,
}

fn hours<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() / 3600.0)
}

/// A loaded, checked bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    /// Bundle id.
    pub id: BundleId,
    /// Title.
    pub title: Label,
    /// Description.
    pub description: Label,
    /// Time limit of the whole bundle.
    #[serde(serialize_with = "hours")]
    pub time_limit: Duration,
    /// Themes ("one type of thing") it belongs to.
    pub themes: Vec<String>,
    /// The fields that identify the persons who may apply (resident ID
    /// numbers on the form): an applicant is one of them
    /// ([`crate::party`]). None: anyone may apply.
    pub applicants: Vec<FieldKey>,
    /// Steps in a dependency order (every step after those it waits for).
    pub steps: Vec<BundleStep>,
    /// Where it was loaded from.
    #[serde(skip)]
    pub origin: String,
    /// Digest of the definition's text: names this version of the bundle.
    pub digest: Digest,
    /// The definition as written (to resolve it again when a department
    /// changes, and to store it as a version).
    #[serde(skip)]
    pub text: Arc<str>,
}

impl Bundle {
    /// A step by reference.
    pub fn step(&self, reference: &StepRef) -> Option<&BundleStep> {
        self.steps.iter().find(|s| &s.reference == reference)
    }

    /// The departments the bundle involves, in step order, without repeats.
    pub fn departments(&self) -> Vec<DepartmentId> {
        let mut seen = BTreeSet::new();
        self.steps
            .iter()
            .filter(|s| seen.insert(s.reference.department.clone()))
            .map(|s| s.reference.department.clone())
            .collect()
    }
}

/// Why a bundle was refused. Every variant names the file and the culprit.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// Malformed TOML or an unknown key.
    #[error("bundle {origin}: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// The parser's message (names line and key).
        message: String,
    },
    /// What is wrong with the steps and the bundle, every fault at once:
    /// duplicates, dangling `after`s, a cycle, unknown departments and
    /// steps, two writers of a field, bad conditions, issued fields read
    /// before they are written, bad time limits.
    #[error("bundle {origin} has {} fault(s):\n{}", .faults.len(), .faults.lines())]
    Faults {
        /// The file.
        origin: String,
        /// Each fault, naming its step.
        faults: Faults,
    },
    /// Something is wrong with the bundle as a whole.
    #[error("bundle {origin}: {message}")]
    Bundle {
        /// The file.
        origin: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBundle {
    id: BundleId,
    title: Label,
    description: Label,
    time_limit_hours: f64,
    #[serde(default)]
    themes: Vec<String>,
    #[serde(default)]
    applicants: Vec<FieldKey>,
    steps: Vec<RawStep>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    department: DepartmentId,
    step: StepId,
    #[serde(default)]
    after: Vec<StepRef>,
    time_limit_hours: Option<f64>,
    when: Option<RawCondition>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    field: FieldKey,
    equals: Option<toml::Value>,
    one_of: Option<Vec<toml::Value>>,
    present: Option<bool>,
}

fn hours_to_duration(h: f64) -> Option<Duration> {
    (h.is_finite() && h > 0.0 && h < 24.0 * 366.0).then(|| Duration::from_secs_f64(h * 3600.0))
}

fn toml_to_json(v: toml::Value) -> serde_json::Value {
    match v {
        toml::Value::String(s) => serde_json::Value::String(s),
        toml::Value::Integer(i) => serde_json::Value::from(i),
        toml::Value::Float(f) => serde_json::Value::from(f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(toml_to_json).collect())
        }
        toml::Value::Table(t) => {
            serde_json::Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
        }
    }
}

impl Bundle {
    /// Parse and check bundle TOML; `origin` names the source in errors.
    /// Past the TOML itself, every fault is found and listed at once (the
    /// first [`crate::faults::MAX_FAULTS_LISTED`], and a count of the rest).
    pub fn from_toml(
        text: &str,
        origin: &str,
        dict: &Dictionary,
        manifests: &dyn ManifestSource,
    ) -> Result<Self, BundleError> {
        let raw: RawBundle = toml::from_str(text).map_err(|e| BundleError::Syntax {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        let mut faults = Faults::default();
        let time_limit = hours_to_duration(raw.time_limit_hours).unwrap_or_else(|| {
            faults.push(format!(
                "time_limit_hours = {} must be a positive number of hours under a year",
                raw.time_limit_hours
            ));
            Duration::from_secs(3600)
        });
        if raw.steps.is_empty() {
            faults.push("has no steps".into());
        }
        let refs: Vec<StepRef> = raw
            .steps
            .iter()
            .map(|s| StepRef {
                department: s.department.clone(),
                step: s.step.clone(),
            })
            .collect();
        // Structure: duplicates, dangling `after`, cycles.
        let mut index = BTreeMap::new();
        for (i, r) in refs.iter().enumerate() {
            if index.contains_key(r) {
                faults.push(format!("step {r}: appears twice in the bundle"));
            } else {
                index.insert(r.clone(), i);
            }
        }
        let mut deps = Vec::with_capacity(refs.len());
        for (r, s) in refs.iter().zip(&raw.steps) {
            let mut ds = Vec::new();
            for a in &s.after {
                match index.get(a) {
                    Some(&j) => ds.push(j),
                    None => {
                        let names: Vec<String> = refs.iter().map(ToString::to_string).collect();
                        let near =
                            DidYouMean::among(&a.to_string(), names.iter().map(String::as_str));
                        faults.push(format!(
                            "step {r}: is after {a}, which is not a step of this bundle{near}"
                        ));
                    }
                }
            }
            deps.push(ds);
        }
        let order = match graph::topological_order(&deps) {
            Ok(order) => order,
            Err(cycle) => {
                let names: Vec<String> = cycle.iter().map(|&i| refs[i].to_string()).collect();
                faults.push(format!(
                    "the steps wait for each other in a cycle: {}",
                    names.join(" waits for ")
                ));
                (0..refs.len()).collect()
            }
        };
        // Departments and steps must exist.
        let specs: Vec<Option<StepSpec>> = refs
            .iter()
            .map(|r| {
                let Some(manifest) = manifests.manifest(&r.department) else {
                    faults.push(format!(
                        "step {r}: department {} is not loaded (no plugin declares it)",
                        r.department
                    ));
                    return None;
                };
                let spec = manifest.step(&r.step);
                if spec.is_none() {
                    let offered: Vec<&str> = manifest.steps.iter().map(|s| s.id.as_str()).collect();
                    let near = DidYouMean::among(r.step.as_str(), offered.iter().copied());
                    faults.push(format!(
                        "step {r}: department {} (version {}) has no step {}{near}; it offers: {}",
                        r.department,
                        manifest.version,
                        r.step,
                        offered.join(", ")
                    ));
                }
                spec.cloned()
            })
            .collect();
        // No field has two writers.
        let ancestry = graph::ancestors(&deps);
        let mut writer: BTreeMap<&FieldKey, &StepRef> = BTreeMap::new();
        for (i, spec) in specs.iter().enumerate() {
            for w in spec.iter().flat_map(|s| &s.writes) {
                if let Some(other) = writer.insert(w, &refs[i]) {
                    faults.push(format!(
                        "step {}: writes {w}, which {other} also writes; a field has one issuing step per bundle",
                        refs[i]
                    ));
                }
            }
        }
        // Conditions, parsed before the issued-field check, which needs them.
        let whens: Vec<Option<Condition>> = refs
            .iter()
            .zip(&raw.steps)
            .map(|(r, s)| {
                s.when.as_ref().and_then(|c| {
                    condition(c, dict)
                        .map_err(|m| faults.push(format!("step {r}: {m}")))
                        .ok()
                })
            })
            .collect();
        // Issued fields need an earlier writer, whenever they are needed.
        for (i, spec) in specs.iter().enumerate() {
            let Some(spec) = spec else { continue };
            for need in spec.reads.iter().filter(|n| n.required) {
                let issued = dict.field(&need.key).is_some_and(|f| f.issued);
                if !issued {
                    continue;
                }
                let writes_before = |j: usize| {
                    ancestry[i][j]
                        && specs[j]
                            .as_ref()
                            .is_some_and(|o| o.writes.contains(&need.key))
                };
                let written_before = (0..specs.len()).any(writes_before);
                // A writer that may be skipped leaves the field missing,
                // unless this step runs under the same condition.
                let written_whenever_needed = (0..specs.len())
                    .any(|j| writes_before(j) && (whens[j].is_none() || whens[j] == whens[i]));
                if written_before && !written_whenever_needed {
                    faults.push(format!(
                        "step {}: reads {}, which only a conditional step writes ({}); when its condition fails the field is missing: give this step the same `when`, or make the writer unconditional",
                        refs[i],
                        need.key,
                        writer
                            .get(&need.key)
                            .map_or_else(String::new, ToString::to_string)
                    ));
                }
                if !written_before {
                    let hint = match writer.get(&need.key) {
                        Some(w) => format!("; {w} writes it, so add it to `after`"),
                        None => "; no step of this bundle writes it".into(),
                    };
                    faults.push(format!(
                        "step {}: reads {}, a field only departments issue, but no step before it writes it{hint}",
                        refs[i], need.key
                    ));
                }
            }
        }
        // Time limits of the steps.
        let limits: Vec<Option<Duration>> = refs
            .iter()
            .zip(&raw.steps)
            .map(|(r, s)| {
                s.time_limit_hours.and_then(|h| {
                    let d = hours_to_duration(h);
                    if d.is_none() {
                        faults.push(format!(
                            "step {r}: time_limit_hours = {h} must be a positive number of hours under a year"
                        ));
                    }
                    d
                })
            })
            .collect();
        // The applicant fields: resident ID numbers some step reads (so
        // they are on the form).
        for key in &raw.applicants {
            let on_form = specs.iter().flatten().any(|spec| spec.reads_key(key));
            let is_id = dict.field(key).is_some_and(|f| {
                matches!(
                    f.kind,
                    crate::dictionary::FieldKind::Text {
                        format: Some(crate::dictionary::TextFormat::ResidentId),
                        ..
                    }
                ) && !f.issued
            });
            if dict.field(key).is_none() {
                faults.push(format!(
                    "applicants names {key}, which is not in the data dictionary{}",
                    dict.did_you_mean_field(key.as_str())
                ));
            } else if !is_id {
                faults.push(format!(
                    "applicants names {key}, which is not a resident ID number the applicant gives (format resident-id, not issued)"
                ));
            } else if !on_form {
                faults.push(format!(
                    "applicants names {key}, which no step reads, so it is never on the form"
                ));
            }
        }
        if !faults.is_empty() {
            return Err(BundleError::Faults {
                origin: origin.into(),
                faults,
            });
        }
        let mut steps_by_index: Vec<Option<BundleStep>> = Vec::with_capacity(refs.len());
        for ((((r, s), spec), when), limit) in
            refs.iter().zip(raw.steps).zip(specs).zip(whens).zip(limits)
        {
            // Every spec is known here: a missing one is a fault above.
            let Some(spec) = spec else { continue };
            steps_by_index.push(Some(BundleStep {
                reference: r.clone(),
                after: s.after,
                time_limit: limit.unwrap_or(spec.time_limit),
                when,
                spec,
            }));
        }
        let steps = order
            .iter()
            .filter_map(|&i| steps_by_index.get_mut(i).and_then(Option::take))
            .collect();
        Ok(Bundle {
            id: raw.id,
            title: raw.title,
            description: raw.description,
            time_limit,
            themes: raw.themes,
            applicants: raw.applicants,
            steps,
            origin: origin.into(),
            digest: Digest::of(text.as_bytes()),
            text: Arc::from(text),
        })
    }
}

fn condition(c: &RawCondition, dict: &Dictionary) -> Result<Condition, String> {
    let def = dict.field(&c.field).ok_or_else(|| {
        format!(
            "`when` tests {}, which is not in the data dictionary{}",
            c.field,
            dict.did_you_mean_field(c.field.as_str())
        )
    })?;
    if def.issued {
        return Err(format!(
            "`when` tests {}, which departments issue; a condition can only test form fields",
            c.field
        ));
    }
    let parse = |v: &toml::Value| {
        dict.parse_json(&c.field, &toml_to_json(v.clone()))
            .map_err(|e| format!("`when` on {}: {}", c.field, e.message))
    };
    let test = match (&c.equals, &c.one_of, c.present) {
        (Some(v), None, None) => Test::Equals(parse(v)?),
        (None, Some(vs), None) => Test::OneOf(vs.iter().map(parse).collect::<Result<_, _>>()?),
        (None, None, Some(p)) => Test::Present(p),
        _ => return Err("`when` needs exactly one of equals, one_of or present".into()),
    };
    Ok(Condition {
        field: c.field.clone(),
        test,
    })
}

#[cfg(test)]
pub(crate) mod tests;
