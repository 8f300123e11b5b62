//! A small dictionary, three departments' manifests and a bundle over
//! them, for the engine's unit tests (no plugin, no store).

use std::collections::BTreeMap;
use std::time::Duration;

use onething_model::bundle::{Bundle, BundleStep};
use onething_model::dictionary::Dictionary;
use onething_model::events::Event;
use onething_model::ids::{BundleId, DepartmentId, Digest, FieldKey, StepId, StepRef};
use onething_model::manifest::{FieldNeed, Manifest, StepSpec};
use onething_model::state::AppState;

const DICT: &str = r#"
version = "t"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
[fields."mother.insured"]
type = "boolean"
label = { zh = "参保", en = "Insured" }
sensitivity = "personal"
[fields."child.hukou_number"]
type = "text"
issued = true
label = { zh = "户籍编号", en = "Household registration number" }
sensitivity = "personal"
"#;

/// `health/birth` → `police/register` → `insurance/enrol` (only when
/// `mother.insured` is true).
pub const BUNDLE: &str = r#"
id = "newborn"
title = { zh = "新生儿", en = "Newborn" }
description = { zh = "描述", en = "Description" }
time_limit_hours = 2
[[steps]]
department = "health"
step = "birth"
[[steps]]
department = "police"
step = "register"
after = ["health/birth"]
[[steps]]
department = "insurance"
step = "enrol"
after = ["police/register"]
when = { field = "mother.insured", equals = true }
"#;

fn key(s: &str) -> FieldKey {
    FieldKey::parse(s).expect("key")
}

fn spec(id: &str, reads: &[&str], writes: &[&str]) -> StepSpec {
    StepSpec {
        id: StepId::parse(id).expect("id"),
        title: id.into(),
        reads: reads
            .iter()
            .map(|k| FieldNeed {
                key: key(k),
                required: true,
                purpose: "p".into(),
            })
            .collect(),
        writes: writes.iter().map(|k| key(k)).collect(),
        materials: vec![],
        time_limit: Duration::from_secs(600),
    }
}

/// The bundle and its dictionary.
pub fn bundle() -> (Bundle, Dictionary) {
    let dict = Dictionary::from_toml(DICT, "dict").expect("dict");
    let mut manifests = BTreeMap::new();
    for (dept, step) in [
        ("health", spec("birth", &["child.name"], &[])),
        (
            "police",
            spec("register", &["child.name"], &["child.hukou_number"]),
        ),
        ("insurance", spec("enrol", &["child.hukou_number"], &[])),
    ] {
        let d = DepartmentId::parse(dept).expect("dept");
        manifests.insert(
            d.clone(),
            Manifest {
                department: d,
                name: dept.into(),
                version: "1.0.0".into(),
                steps: vec![step],
            },
        );
    }
    let bundle = Bundle::from_toml(BUNDLE, "b.toml", &dict, &manifests).expect("bundle");
    (bundle, dict)
}

/// A step of the bundle.
pub fn step<'b>(bundle: &'b Bundle, s: &str) -> &'b BundleStep {
    bundle.step(&reference(s)).expect("step")
}

/// A step reference.
pub fn reference(s: &str) -> StepRef {
    StepRef::parse(s).expect("ref")
}

/// An application of the bundle just submitted at `at_ms`.
pub fn submitted(bundle: &Bundle, at_ms: i64) -> AppState {
    let e = Event::Submitted {
        bundle: BundleId::parse("newborn").expect("id"),
        bundle_digest: Digest::of(BUNDLE.as_bytes()),
        form: BTreeMap::new(),
        materials: BTreeMap::new(),
        steps: bundle
            .steps
            .iter()
            .map(|s| (s.reference.clone(), s.time_limit.as_secs()))
            .collect(),
        time_limit_secs: bundle.time_limit.as_secs(),
        consent: None,
        owner: None,
    };
    AppState::submitted("app-1", at_ms, &e).expect("submitted")
}
