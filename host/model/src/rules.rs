//! The data-rights rules and the host's half of the one notification.
//!
//! What a step may see ([`visible_fields`], [`visible_materials`]): exactly
//! the fields it declared it reads, from the form or from earlier steps'
//! outputs, and the materials it declared it needs. What it may write
//! ([`accept_outputs`]): only keys it declared, with values the dictionary
//! accepts. Which steps run for a form ([`active_steps`]). And the problems
//! the host finds itself before asking any department ([`host_problems`]),
//! merged with what departments report ([`Notification`]) into one list.
//!
//! Not for calling plugins: the engine does that and uses these rules.

use std::collections::{BTreeMap, BTreeSet};

use crate::application::{Contents, Material};
use crate::bundle::{Bundle, BundleStep};
use crate::call::{CallMaterial, Field, ReturnedField};
use crate::dictionary::{Dictionary, FieldValue};
use crate::ids::{FieldKey, MaterialCode};
use crate::problem::{Problem, Subject};
use crate::text::Text;

/// Exactly the fields `step` declared it reads, from the form and from
/// earlier steps' outputs (outputs first), and nothing else.
pub fn visible_fields(
    step: &BundleStep,
    form: &BTreeMap<FieldKey, FieldValue>,
    produced: &BTreeMap<FieldKey, FieldValue>,
) -> Vec<Field> {
    step.spec
        .reads
        .iter()
        .filter_map(|need| {
            produced
                .get(&need.key)
                .or_else(|| form.get(&need.key))
                .map(|v| Field {
                    key: need.key.clone(),
                    value: v.clone(),
                })
        })
        .collect()
}

/// The keys `step` requires that `fields` lacks.
pub fn missing_required(step: &BundleStep, fields: &[Field]) -> Vec<FieldKey> {
    step.spec
        .reads
        .iter()
        .filter(|n| n.required && !fields.iter().any(|f| f.key == n.key))
        .map(|n| n.key.clone())
        .collect()
}

/// Exactly the materials `step` declared it needs, of those supplied.
pub fn visible_materials(
    step: &BundleStep,
    materials: &BTreeMap<MaterialCode, Material>,
) -> Vec<CallMaterial> {
    step.spec
        .materials
        .iter()
        .filter_map(|need| {
            materials.get(&need.code).map(|m| CallMaterial {
                code: need.code.clone(),
                digest: m.digest,
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

/// The problems the host finds without asking a department: those met
/// reading the document, then every required field and material of an
/// active step that is missing, once each.
pub fn host_problems(bundle: &Bundle, contents: &Contents, dict: &Dictionary) -> Vec<Problem> {
    let mut problems = contents.problems.clone();
    let flagged: BTreeSet<String> = problems
        .iter()
        .filter_map(|p| match &p.subject {
            Subject::Field(k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    let mut missing_fields = BTreeSet::new();
    let mut missing_materials = BTreeSet::new();
    for s in active_steps(bundle, &contents.form) {
        for need in s.spec.reads.iter().filter(|n| n.required) {
            let issued = dict.field(&need.key).is_none_or(|f| f.issued);
            if !issued
                && !contents.form.contains_key(&need.key)
                && !flagged.contains(need.key.as_str())
                && missing_fields.insert(need.key.clone())
            {
                let label = dict.field(&need.key).map(|f| f.label.clone());
                problems.push(Problem::field(
                    need.key.as_str(),
                    "missing",
                    required_text(label.as_ref(), need.key.as_str(), &need.purpose),
                ));
            }
        }
        for need in s.spec.materials.iter().filter(|n| n.required) {
            if !contents.materials.contains_key(&need.code)
                && missing_materials.insert(need.code.clone())
            {
                let label = dict.material(&need.code).map(|m| m.label.clone());
                problems.push(Problem::material(
                    need.code.as_str(),
                    "missing",
                    required_text(label.as_ref(), need.code.as_str(), &need.purpose),
                ));
            }
        }
    }
    problems
}

/// "Name (key) is required: purpose", in both languages.
fn required_text(label: Option<&Text>, key: &str, purpose: &Text) -> Text {
    let label = label.cloned().unwrap_or_default();
    Text::new(
        format!("{}（{key}）为必填项：{}", label.zh, purpose.zh),
        format!("{} ({key}) is required: {}", label.en, purpose.en),
    )
}

/// The one notification being put together: the host's problems first,
/// then each department's, deduplicated.
///
/// The host is the judge of format and presence: a field or material it
/// already flagged is not reported again by a department, and a field
/// only departments issue cannot be asked of the applicant (it does not
/// exist yet when `check` runs). A department's problem already reported
/// (same subject and code) is reported once.
#[derive(Debug, Clone)]
pub struct Notification {
    problems: Vec<Problem>,
    host_flagged: BTreeSet<Subject>,
    seen: BTreeSet<(Subject, String)>,
}

impl Notification {
    /// Start from the host's own problems.
    pub fn new(host: Vec<Problem>) -> Self {
        Self {
            host_flagged: host.iter().map(|p| p.subject.clone()).collect(),
            seen: host
                .iter()
                .map(|p| (p.subject.clone(), p.code.clone()))
                .collect(),
            problems: host,
        }
    }

    /// Add what one department reported.
    pub fn add_reported(&mut self, found: impl IntoIterator<Item = Problem>, dict: &Dictionary) {
        for p in found {
            if self.host_flagged.contains(&p.subject) {
                continue;
            }
            if let Subject::Field(k) = &p.subject
                && dict.field_by_name(k).is_some_and(|f| f.issued)
            {
                continue;
            }
            if self.seen.insert((p.subject.clone(), p.code.clone())) {
                self.problems.push(p);
            }
        }
    }

    /// Every problem, in the order found.
    pub fn into_problems(self) -> Vec<Problem> {
        self.problems
    }
}

/// The fields of an approval, if every key is one the step declared it
/// writes and every value passes the dictionary; else why not, naming the
/// field. Nothing of a refused approval is kept.
pub fn accept_outputs(
    step: &BundleStep,
    fields: Vec<ReturnedField>,
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
        let value = f
            .value
            .map_err(|e| format!("handle: {} wrote {key}: {e}", step.reference))?;
        dict.validate(&key, &value)
            .map_err(|e| format!("handle: {} wrote an invalid value: {e}", step.reference))?;
        outputs.insert(key, value);
    }
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::tests::{GOOD, catalog, dict, key};
    use crate::dictionary::FieldValue;
    use crate::ids::{Digest, StepRef};

    fn bundle() -> Bundle {
        Bundle::from_toml(GOOD, "b.toml", &dict(), &catalog()).expect("bundle")
    }

    fn step<'b>(b: &'b Bundle, s: &str) -> &'b BundleStep {
        b.step(&StepRef::parse(s).expect("ref")).expect("step")
    }

    fn form(pairs: &[(&str, FieldValue)]) -> BTreeMap<FieldKey, FieldValue> {
        pairs.iter().map(|(k, v)| (key(k), v.clone())).collect()
    }

    #[test]
    fn a_step_sees_only_what_it_declared_outputs_first() {
        let b = bundle();
        let f = form(&[
            ("child.name", FieldValue::Text("林安".into())),
            ("mother.insured", FieldValue::Boolean(true)),
        ]);
        let seen = visible_fields(step(&b, "police/register"), &f, &BTreeMap::new());
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].key.as_str(), "child.name");
        // An issued field reaches the next step only from an output.
        let enrol = step(&b, "insurance/enrol");
        assert!(visible_fields(enrol, &f, &BTreeMap::new()).is_empty());
        assert_eq!(
            missing_required(enrol, &[]),
            vec![key("child.hukou_number")]
        );
        let produced = form(&[("child.hukou_number", FieldValue::Text("H1".into()))]);
        let seen = visible_fields(enrol, &f, &produced);
        assert_eq!(seen[0].value, FieldValue::Text("H1".into()));
        assert!(missing_required(enrol, &seen).is_empty());
    }

    #[test]
    fn only_declared_materials_are_passed() {
        let b = bundle();
        let record = Material {
            digest: Digest::of(b"pdf"),
            media_type: "application/pdf".into(),
            size: 3,
        };
        let materials =
            BTreeMap::from([(MaterialCode::parse("birth-record").expect("code"), record)]);
        assert_eq!(
            visible_materials(step(&b, "health/birth"), &materials).len(),
            1
        );
        assert!(visible_materials(step(&b, "police/register"), &materials).is_empty());
    }

    #[test]
    fn conditions_decide_the_active_steps() {
        let b = bundle();
        let names = |f: &BTreeMap<FieldKey, FieldValue>| -> Vec<String> {
            active_steps(&b, f)
                .iter()
                .map(|s| s.reference.to_string())
                .collect()
        };
        assert_eq!(names(&BTreeMap::new()), ["health/birth", "police/register"]);
        let insured = form(&[("mother.insured", FieldValue::Boolean(true))]);
        assert_eq!(names(&insured).len(), 3);
    }

    #[test]
    fn the_host_names_each_missing_field_and_material_once() {
        let b = bundle();
        let problems = host_problems(&b, &Contents::default(), &dict());
        let about: Vec<(String, &str)> = problems
            .iter()
            .map(|p| (format!("{:?}", p.subject), p.code.as_str()))
            .collect();
        // child.name is read by two steps but named once; the issued
        // child.hukou_number is never asked of the applicant.
        assert_eq!(
            about,
            [
                ("Field(\"child.name\")".to_string(), "missing"),
                ("Material(\"birth-record\")".to_string(), "missing"),
            ]
        );
        assert!(problems[0].message.contains("is required"), "{problems:?}");
    }

    #[test]
    fn department_problems_are_merged_without_repeats() {
        let d = dict();
        let by = StepRef::parse("health/birth").expect("ref");
        let mut n = Notification::new(vec![Problem::field("child.name", "missing", "m")]);
        n.add_reported(
            [
                // Already flagged by the host: the host is the judge.
                Problem::found_by(
                    Subject::Field("child.name".into()),
                    "too-long".into(),
                    "x".into(),
                    &by,
                ),
                // Issued fields do not exist yet in a draft.
                Problem::found_by(
                    Subject::Field("child.hukou_number".into()),
                    "missing".into(),
                    "x".into(),
                    &by,
                ),
                Problem::found_by(Subject::General, "too-old".into(), "x".into(), &by),
                Problem::found_by(Subject::General, "too-old".into(), "again".into(), &by),
            ],
            &d,
        );
        let codes: Vec<&str> = n
            .into_problems()
            .iter()
            .map(|p| p.code.as_str())
            .map(|c| if c == "missing" { "missing" } else { "too-old" })
            .collect();
        assert_eq!(codes, ["missing", "too-old"]);
    }

    #[test]
    fn outputs_must_be_declared_and_valid() {
        let b = bundle();
        let register = step(&b, "police/register");
        let d = dict();
        let ok = accept_outputs(
            register,
            vec![ReturnedField {
                key: "child.hukou_number".into(),
                value: Ok(FieldValue::Text("H1".into())),
            }],
            &d,
        )
        .expect("declared");
        assert_eq!(ok.len(), 1);
        let undeclared = accept_outputs(
            register,
            vec![ReturnedField {
                key: "child.name".into(),
                value: Ok(FieldValue::Text("x".into())),
            }],
            &d,
        )
        .expect_err("undeclared");
        assert!(
            undeclared.contains("does not declare it writes") && undeclared.contains("child.name"),
            "{undeclared}"
        );
        let bad_date = accept_outputs(
            register,
            vec![ReturnedField {
                key: "child.hukou_number".into(),
                value: Err("2026-02-30 is not a real date".into()),
            }],
            &d,
        )
        .expect_err("impossible date");
        assert!(bad_date.contains("2026-02-30"), "{bad_date}");
        let wrong_type = accept_outputs(
            register,
            vec![ReturnedField {
                key: "child.hukou_number".into(),
                value: Ok(FieldValue::Integer(3)),
            }],
            &d,
        )
        .expect_err("wrong type");
        assert!(wrong_type.contains("invalid value"), "{wrong_type}");
    }
}
