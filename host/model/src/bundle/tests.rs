//! Unit tests of bundle loading: every refusal names its culprit.

use super::*;
use crate::ids::MaterialCode;
use crate::manifest::{FieldNeed, MaterialNeed};

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
[materials."birth-record"]
label = { zh = "出生记录", en = "Birth record" }
media_types = ["application/pdf"]
max_bytes = 1000
"#;

pub(crate) fn dict() -> Dictionary {
    Dictionary::from_toml(DICT, "dict").expect("dict")
}

pub(crate) fn key(s: &str) -> FieldKey {
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

pub(crate) fn catalog() -> BTreeMap<DepartmentId, Manifest> {
    let mut c = BTreeMap::new();
    for (dept, steps) in [
        ("health", {
            let mut birth = spec("birth", &["child.name"], &[]);
            birth.materials.push(MaterialNeed {
                code: MaterialCode::parse("birth-record").expect("code"),
                required: true,
                purpose: "p".into(),
            });
            vec![birth]
        }),
        (
            "police",
            vec![spec("register", &["child.name"], &["child.hukou_number"])],
        ),
        (
            "insurance",
            vec![spec("enrol", &["child.hukou_number"], &[])],
        ),
    ] {
        let d = DepartmentId::parse(dept).expect("dept");
        c.insert(
            d.clone(),
            Manifest {
                department: d,
                name: dept.into(),
                version: "1.0.0".into(),
                steps,
            },
        );
    }
    c
}

fn load(text: &str) -> Result<Bundle, BundleError> {
    Bundle::from_toml(text, "b.toml", &dict(), &catalog())
}

pub(crate) const GOOD: &str = r#"
id = "newborn"
title = { zh = "新生儿", en = "Newborn" }
description = { zh = "描述", en = "Description" }
time_limit_hours = 120
[[steps]]
department = "insurance"
step = "enrol"
after = ["police/register"]
when = { field = "mother.insured", equals = true }
[[steps]]
department = "health"
step = "birth"
[[steps]]
department = "police"
step = "register"
after = ["health/birth"]
time_limit_hours = 2
"#;

#[test]
fn good_bundle_loads_in_dependency_order() {
    let b = load(GOOD).expect("good");
    let order: Vec<String> = b.steps.iter().map(|s| s.reference.to_string()).collect();
    assert_eq!(
        order,
        ["health/birth", "police/register", "insurance/enrol"]
    );
    assert_eq!(b.steps[1].time_limit, Duration::from_secs(7200));
    assert_eq!(b.steps[0].time_limit, Duration::from_secs(600));
    let when = b.steps[2].when.as_ref().expect("condition");
    let mut form = BTreeMap::new();
    assert!(!when.holds(&form));
    form.insert(key("mother.insured"), FieldValue::Boolean(true));
    assert!(when.holds(&form));
}

#[test]
fn cycle_is_named() {
    let text = GOOD.replace(
        "department = \"health\"\nstep = \"birth\"",
        "department = \"health\"\nstep = \"birth\"\nafter = [\"insurance/enrol\"]",
    );
    let err = load(&text).expect_err("cycle").to_string();
    assert!(err.contains("cycle"), "{err}");
    for s in ["health/birth", "police/register", "insurance/enrol"] {
        assert!(err.contains(s), "{err}");
    }
}

#[test]
fn unknown_department_and_step_are_named() {
    let err = load(
        &GOOD
            .replace("department = \"health\"", "department = \"healht\"")
            .replace("[\"health/birth\"]", "[\"healht/birth\"]"),
    )
    .expect_err("unknown dept")
    .to_string();
    assert!(
        err.contains("healht") && err.contains("not loaded"),
        "{err}"
    );
    let err = load(
        &GOOD
            .replace("step = \"birth\"", "step = \"brith\"")
            .replace("[\"health/birth\"]", "[\"health/brith\"]"),
    )
    .expect_err("unknown step")
    .to_string();
    assert!(
        err.contains("no step brith") && err.contains("offers: birth"),
        "{err}"
    );
}

#[test]
fn issued_field_without_earlier_writer_is_named() {
    let text = GOOD.replace("after = [\"police/register\"]\n", "");
    let err = load(&text).expect_err("no writer before").to_string();
    assert!(
        err.contains("insurance/enrol") && err.contains("child.hukou_number"),
        "{err}"
    );
    assert!(err.contains("police/register writes it"), "{err}");
}

#[test]
fn condition_on_unknown_or_mistyped_field_is_named() {
    let err = load(&GOOD.replace("field = \"mother.insured\"", "field = \"mother.insurd\""))
        .expect_err("unknown")
        .to_string();
    assert!(
        err.contains("mother.insurd") && err.contains("not in the data dictionary"),
        "{err}"
    );
    let err = load(&GOOD.replace("equals = true", "equals = \"yes\""))
        .expect_err("mistyped")
        .to_string();
    assert!(err.contains("mother.insured"), "{err}");
}

#[test]
fn dangling_after_duplicates_and_typos_are_named() {
    let err = load(&GOOD.replace("[\"health/birth\"]", "[\"health/other\"]"))
        .expect_err("dangling")
        .to_string();
    assert!(
        err.contains("health/other") && err.contains("not a step of this bundle"),
        "{err}"
    );
    let err = load(&GOOD.replace("time_limit_hours = 2", "time_limt_hours = 2"))
        .expect_err("typo")
        .to_string();
    assert!(err.contains("time_limt_hours"), "{err}");
    let dup = format!("{GOOD}\n[[steps]]\ndepartment = \"health\"\nstep = \"birth\"\n");
    let err = load(&dup).expect_err("dup").to_string();
    assert!(
        err.contains("health/birth") && err.contains("twice"),
        "{err}"
    );
}

#[test]
fn issued_field_written_only_by_a_conditional_step_is_named() {
    // police/register (the only writer of the hukou number) is made
    // conditional; insurance/enrol reads the number unconditionally.
    let text = GOOD
        .replace("when = { field = \"mother.insured\", equals = true }\n", "")
        .replace(
            "after = [\"health/birth\"]\n",
            "after = [\"health/birth\"]\nwhen = { field = \"mother.insured\", equals = true }\n",
        );
    let err = load(&text).expect_err("conditional writer").to_string();
    assert!(
        err.contains("insurance/enrol")
            && err.contains("only a conditional step writes")
            && err.contains("police/register"),
        "{err}"
    );
    // Under the same condition it is fine.
    let same = GOOD.replace(
        "after = [\"health/birth\"]\n",
        "after = [\"health/birth\"]\nwhen = { field = \"mother.insured\", equals = true }\n",
    );
    assert!(load(&same).is_ok());
}

#[test]
fn item_23_a_bundle_check_lists_every_fault_at_once() {
    let text = GOOD
        .replace("department = \"health\"", "department = \"healht\"")
        .replace("time_limit_hours = 2", "time_limit_hours = -1")
        .replace("equals = true", "equals = \"yes\"");
    let err = load(&text).expect_err("three faults");
    let BundleError::Faults { faults, .. } = &err else {
        panic!("not a list of faults: {err}");
    };
    let text = err.to_string();
    assert!(faults.len() >= 3, "{text}");
    for culprit in [
        "department healht is not loaded",
        "police/register: time_limit_hours = -1",
        "`when` on mother.insured",
    ] {
        assert!(text.contains(culprit), "{culprit} missing from: {text}");
    }
}

#[test]
fn item_23_a_bundle_with_very_many_faults_lists_the_first_and_counts_the_rest() {
    let mut text = String::from(
        "id = \"many\"\ntitle = { zh = \"多\", en = \"Many\" }\ndescription = { zh = \"多\", en = \"Many\" }\ntime_limit_hours = 1\n",
    );
    for i in 0..60 {
        text.push_str(&format!(
            "[[steps]]\ndepartment = \"nobody{i}\"\nstep = \"s\"\n"
        ));
    }
    let err = load(&text).expect_err("faults").to_string();
    assert!(err.contains("60 fault(s)"), "{err}");
    assert!(err.contains("… and 40 more faults"), "{err}");
    assert!(err.len() < 8_000, "{} bytes", err.len());
}
