//! A department's manifest as the host holds it: what the component's
//! `describe()` returned ([`RawManifest`], as the contract's conversion
//! gives it, whatever the contract version), checked against the data
//! dictionary into a [`Manifest`].
//!
//! Checking collects every fault at once, so an author fixes them in one
//! round. Not for bundle-level checks (does a bundle's step exist, is an
//! issued field written earlier): see [`crate::bundle`].

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Serialize;

use crate::dictionary::Dictionary;
use crate::ids::{DepartmentId, FieldKey, MaterialCode, StepId};
use crate::text::Text;

/// A manifest as a component described itself, before any check, in the
/// shape every contract version converts to (a 0.1.0 component's
/// one-language texts as [`Text::same`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawManifest {
    /// Department id as given.
    pub department: String,
    /// Department name.
    pub name: Text,
    /// Plugin version as given.
    pub version: String,
    /// Steps as given.
    pub steps: Vec<RawStepSpec>,
}

/// A step as a component described it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawStepSpec {
    /// Step id as given.
    pub id: String,
    /// Title.
    pub title: Text,
    /// Fields read: key, required, purpose.
    pub reads: Vec<RawNeed>,
    /// Keys written.
    pub writes: Vec<String>,
    /// Materials needed: code, required, purpose.
    pub materials: Vec<RawNeed>,
    /// Time limit in minutes.
    pub time_limit_minutes: u32,
}

/// A field or material a step needs, as described.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawNeed {
    /// The dictionary key or material code.
    pub name: String,
    /// Whether the step cannot run without it.
    pub required: bool,
    /// Why the department needs it.
    pub purpose: Text,
}

/// A field a step reads.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldNeed {
    /// The dictionary key.
    pub key: FieldKey,
    /// Whether the step cannot run without it.
    pub required: bool,
    /// Why the department needs it.
    pub purpose: Text,
}

/// A material a step needs.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialNeed {
    /// The material code.
    pub code: MaterialCode,
    /// Whether the step cannot run without it.
    pub required: bool,
    /// Why the department needs it.
    pub purpose: Text,
}

/// One step a department offers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepSpec {
    /// Step id.
    pub id: StepId,
    /// Human title.
    pub title: Text,
    /// Fields it reads.
    pub reads: Vec<FieldNeed>,
    /// Fields it may write.
    pub writes: BTreeSet<FieldKey>,
    /// Materials it needs.
    pub materials: Vec<MaterialNeed>,
    /// Its time limit.
    #[serde(serialize_with = "minutes")]
    #[cfg_attr(feature = "openapi", schema(value_type = u64))]
    pub time_limit: Duration,
}

fn minutes<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs() / 60)
}

impl StepSpec {
    /// Whether the step declared it reads `key`.
    pub fn reads_key(&self, key: &FieldKey) -> bool {
        self.reads.iter().any(|r| &r.key == key)
    }
}

/// A department's validated manifest.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Manifest {
    /// Department id.
    pub department: DepartmentId,
    /// Department name.
    pub name: Text,
    /// Plugin version (semver).
    pub version: String,
    /// Its steps, in the order the component listed them.
    pub steps: Vec<StepSpec>,
}

impl Manifest {
    /// A step by id.
    pub fn step(&self, id: &StepId) -> Option<&StepSpec> {
        self.steps.iter().find(|s| &s.id == id)
    }

    /// What this manifest, sound against the dictionary it was admitted
    /// with, would use that `next` breaks: a key or material gone, or a
    /// breaking change (`changes`) to one it uses. One line per use.
    pub fn broken_by(
        &self,
        next: &Dictionary,
        changes: &crate::dictionary::Changes,
    ) -> Vec<String> {
        let breaking: BTreeSet<&str> = changes.breaking().map(|c| c.name.as_str()).collect();
        let mut out = Vec::new();
        let mut judge = |step: &StepId, verb: &str, name: &str, present: bool| {
            if !present {
                out.push(format!(
                    "step {step} {verb} {name}, which it would no longer have"
                ));
            } else if breaking.contains(name) {
                out.push(format!(
                    "step {step} {verb} {name}, which it changes in a breaking way"
                ));
            }
        };
        for s in &self.steps {
            for r in &s.reads {
                judge(&s.id, "reads", r.key.as_str(), next.field(&r.key).is_some());
            }
            for w in &s.writes {
                judge(&s.id, "writes", w.as_str(), next.field(w).is_some());
            }
            for m in &s.materials {
                judge(
                    &s.id,
                    "needs material",
                    m.code.as_str(),
                    next.material(&m.code).is_some(),
                );
            }
        }
        out
    }
}

use crate::faults::{Faults, cut};
pub use crate::faults::{MAX_FAULT_BYTES, MAX_FAULTS_LISTED};

/// The faults found in a manifest: the first [`MAX_FAULTS_LISTED`], each
/// cut to [`MAX_FAULT_BYTES`], and how many more there were, so a refusal
/// stays small however broken the manifest is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("manifest of department {department:?} is not sound against the dictionary:\n  - {}{}", .faults.join("\n  - "), more_faults(*.more))]
pub struct ManifestError {
    /// The department id as the component gave it (cut).
    pub department: String,
    /// One line per fault listed, each naming the step and key at fault.
    pub faults: Vec<String>,
    /// Faults found beyond those listed.
    pub more: usize,
}

fn more_faults(more: usize) -> String {
    if more == 0 {
        String::new()
    } else {
        format!("\n  - … and {more} more faults")
    }
}

/// What a text for people lacks: both languages, or one.
fn missing_language(t: &Text) -> Option<&'static str> {
    match (t.zh.trim().is_empty(), t.en.trim().is_empty()) {
        (false, false) => None,
        (true, true) => Some("is empty"),
        (true, false) => Some("has no Chinese (zh) text"),
        (false, true) => Some("has no English (en) text"),
    }
}

/// Check a manifest from `describe()` against the dictionary.
pub fn validate(raw: RawManifest, dict: &Dictionary) -> Result<Manifest, ManifestError> {
    let mut faults = Faults::default();
    let department = match DepartmentId::parse(&raw.department) {
        Ok(d) => Some(d),
        Err(e) => {
            faults.push(e.to_string());
            None
        }
    };
    if let Some(missing) = missing_language(&raw.name) {
        faults.push(format!("name {missing}"));
    }
    if !onething_idcodes::ids::is_semver(&raw.version) {
        faults.push(format!(
            "version {:?} is not semver (MAJOR.MINOR.PATCH)",
            raw.version
        ));
    }
    if raw.steps.is_empty() {
        faults.push("declares no steps".into());
    }
    let mut seen = BTreeSet::new();
    let mut steps = Vec::new();
    for s in raw.steps {
        let id = match StepId::parse(&s.id) {
            Ok(id) => id,
            Err(e) => {
                faults.push(e.to_string());
                continue;
            }
        };
        if !seen.insert(id.clone()) {
            faults.push(format!("step {id}: declared twice"));
        }
        let mut reads = Vec::new();
        let mut read_keys = BTreeSet::new();
        for r in s.reads {
            match FieldKey::parse(&r.name) {
                Ok(key) if dict.field(&key).is_none() => faults.push(format!(
                    "step {id}: reads {key}, which is not in the data dictionary{}",
                    dict.did_you_mean_field(key.as_str())
                )),
                Ok(key) => {
                    if !read_keys.insert(key.clone()) {
                        faults.push(format!("step {id}: reads {key} twice"));
                    }
                    if let Some(missing) = missing_language(&r.purpose) {
                        faults.push(format!(
                            "step {id}: reads {key} without stating a purpose: it {missing}"
                        ));
                    }
                    reads.push(FieldNeed {
                        key,
                        required: r.required,
                        purpose: r.purpose,
                    });
                }
                Err(e) => faults.push(format!("step {id}: {e}")),
            }
        }
        let mut writes = BTreeSet::new();
        for w in s.writes {
            match FieldKey::parse(&w) {
                Ok(key) if dict.field(&key).is_none() => faults.push(format!(
                    "step {id}: writes {key}, which is not in the data dictionary{}",
                    dict.did_you_mean_field(key.as_str())
                )),
                Ok(key) => {
                    writes.insert(key);
                }
                Err(e) => faults.push(format!("step {id}: {e}")),
            }
        }
        let mut materials = Vec::new();
        for m in s.materials {
            match MaterialCode::parse(&m.name) {
                Ok(code) if dict.material(&code).is_none() => faults.push(format!(
                    "step {id}: needs material {code}, which is not in the data dictionary{}",
                    dict.did_you_mean_material(code.as_str())
                )),
                Ok(code) => {
                    if let Some(missing) = missing_language(&m.purpose) {
                        faults.push(format!(
                            "step {id}: needs material {code} without stating a purpose: it {missing}"
                        ));
                    }
                    materials.push(MaterialNeed {
                        code,
                        required: m.required,
                        purpose: m.purpose,
                    })
                }
                Err(e) => faults.push(format!("step {id}: {e}")),
            }
        }
        if let Some(missing) = missing_language(&s.title) {
            faults.push(format!("step {id}: title {missing}"));
        }
        if s.time_limit_minutes == 0 {
            faults.push(format!("step {id}: time-limit-minutes must be more than 0"));
        }
        steps.push(StepSpec {
            id,
            title: s.title,
            reads,
            writes,
            materials,
            time_limit: Duration::from_secs(u64::from(s.time_limit_minutes) * 60),
        });
    }
    match department {
        Some(department) if faults.is_empty() => Ok(Manifest {
            department,
            name: raw.name,
            version: raw.version,
            steps,
        }),
        _ => Err(ManifestError {
            department: cut(&raw.department, 64),
            faults: faults.listed,
            more: faults.more,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict() -> Dictionary {
        Dictionary::from_toml(
            r#"
version = "t"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
[materials."birth-record"]
label = { zh = "出生记录", en = "Birth record" }
media_types = ["application/pdf"]
max_bytes = 10
"#,
            "t",
        )
        .expect("dict")
    }

    fn raw(reads: &[&str], writes: &[&str]) -> RawManifest {
        RawManifest {
            department: "health".into(),
            name: Text::same("Health"),
            version: "1.0.0".into(),
            steps: vec![RawStepSpec {
                id: "birth-certificate".into(),
                title: Text::same("Birth certificate"),
                reads: reads
                    .iter()
                    .map(|k| RawNeed {
                        name: (*k).into(),
                        required: true,
                        purpose: Text::same("p"),
                    })
                    .collect(),
                writes: writes.iter().map(|k| (*k).to_string()).collect(),
                materials: vec![RawNeed {
                    name: "birth-record".into(),
                    required: true,
                    purpose: Text::same("p"),
                }],
                time_limit_minutes: 60,
            }],
        }
    }

    #[test]
    fn sound_manifest_is_accepted() {
        let m = validate(raw(&["child.name"], &[]), &dict()).expect("sound");
        assert_eq!(m.steps[0].time_limit, Duration::from_secs(3600));
    }

    #[test]
    fn every_fault_is_named_at_once() {
        let mut r = raw(&["child.nmae", "Bad Key"], &["child.issued_thing"]);
        r.version = "one".into();
        let err = validate(r, &dict()).expect_err("faulty");
        let text = err.to_string();
        assert_eq!(err.faults.len(), 4, "{text}");
        assert!(
            text.contains("reads child.nmae, which is not in the data dictionary"),
            "{text}"
        );
        assert!(text.contains("Bad Key"), "{text}");
        assert!(text.contains("writes child.issued_thing"), "{text}");
        assert!(text.contains("semver"), "{text}");
    }

    /// Item 25 of the hardening review: wherever a key is unknown, the
    /// nearest one is suggested.
    #[test]
    fn item_25_an_unknown_key_or_code_gets_the_nearest_one() {
        let mut r = raw(&["child.nmae"], &["child.xyz"]);
        r.steps[0].materials[0].name = "birth-recrod".into();
        let text = validate(r, &dict()).expect_err("faulty").to_string();
        assert!(
            text.contains(
                "reads child.nmae, which is not in the data dictionary (did you mean `child.name`?)"
            ),
            "{text}"
        );
        assert!(
            text.contains("needs material birth-recrod, which is not in the data dictionary (did you mean `birth-record`?)"),
            "{text}"
        );
        assert!(
            text.contains("writes child.xyz, which is not in the data dictionary\n")
                || text.ends_with("writes child.xyz, which is not in the data dictionary"),
            "nothing near, nothing suggested: {text}"
        );
    }

    #[test]
    fn item_13_faults_listed_are_bounded_and_the_rest_counted() {
        let mut r = raw(&[], &[]);
        r.department = "Not A Kebab Id ".repeat(700);
        let step = r.steps[0].clone();
        r.steps = (0..1_000)
            .map(|i| RawStepSpec {
                id: if i == 0 {
                    "y".repeat(100_000)
                } else {
                    String::new()
                },
                ..step.clone()
            })
            .collect();
        let err = validate(r, &dict()).expect_err("faulty");
        assert_eq!(err.faults.len(), MAX_FAULTS_LISTED);
        assert_eq!(err.more, 1_001 - MAX_FAULTS_LISTED, "{err}");
        assert!(err.faults.iter().all(|f| f.len() <= MAX_FAULT_BYTES + 3));
        let text = err.to_string();
        assert!(text.len() < 8_000, "{} bytes", text.len());
        assert!(
            text.ends_with(&format!("and {} more faults", 1_001 - MAX_FAULTS_LISTED)),
            "{text}"
        );
    }
}
