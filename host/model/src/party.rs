//! Who an application is for, and whether the person asking is one of
//! them. A bundle declares the fields that identify the persons who may
//! apply (`applicants = ["mother.id_number", "father.id_number"]`: a
//! newborn's mother or father); the person asking proves their resident
//! ID number with their token. A check, a submission or a prefill is only
//! for a person it names as one of those, so nobody can look up another
//! family's records by typing their ID number; a prefill is keyed only by
//! the asker's own ID and the relations the bundle declares.
//!
//! Not for verifying the token (the identity crate) nor for what a reader
//! sees of an application (`exposure`).

use serde_json::{Map, Value};

use crate::bundle::Bundle;
use crate::dictionary::{Dictionary, FieldKind, TextFormat};
use crate::ids::FieldKey;

/// The person asking, as their token proves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    /// Issuer and subject (`issuer#subject`): who owns what they submit.
    pub owner: String,
    /// The resident ID number the issuer vouches for.
    pub id_number: Option<String>,
}

/// Why the asker may not act on these fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAParty {
    /// The token carries no resident ID number.
    #[error(
        "your token carries no resident ID number, and bundle {bundle} is only for the persons its {fields} name"
    )]
    NoIdNumber {
        /// The bundle.
        bundle: String,
        /// Its applicant fields, joined.
        fields: String,
    },
    /// None of the bundle's applicant fields is the asker's ID.
    #[error(
        "you are none of the persons bundle {bundle} is for: none of {fields} in the request is the resident ID number your token proves"
    )]
    NotNamed {
        /// The bundle.
        bundle: String,
        /// Its applicant fields, joined.
        fields: String,
    },
    /// A prefill keyed by someone the bundle does not relate to the asker.
    #[error(
        "{field} is someone else's resident ID number: a prefill is keyed only by your own ID and the relations bundle {bundle} declares ({fields})"
    )]
    SomeoneElse {
        /// The field at fault.
        field: String,
        /// The bundle.
        bundle: String,
        /// Its applicant fields, joined.
        fields: String,
    },
}

fn is_resident_id(dict: &Dictionary, key: &FieldKey) -> bool {
    dict.field(key).is_some_and(|f| {
        matches!(
            f.kind,
            FieldKind::Text {
                format: Some(TextFormat::ResidentId),
                ..
            }
        )
    })
}

fn same_id(value: &Value, id: &str) -> bool {
    value
        .as_str()
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(id.trim()))
}

/// Whether `applicant` may check or submit `fields` for `bundle`: when the
/// bundle declares its applicants and the fields name any of them, one
/// must be the asker's own resident ID number (a draft that names nobody
/// yet keys nothing, so it may be checked).
pub fn may_apply(
    bundle: &Bundle,
    fields: &Map<String, Value>,
    applicant: &Applicant,
) -> Result<(), NotAParty> {
    if bundle.applicants.is_empty() {
        return Ok(());
    }
    let named = || {
        bundle
            .applicants
            .iter()
            .map(FieldKey::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let given: Vec<&Value> = bundle
        .applicants
        .iter()
        .filter_map(|k| fields.get(k.as_str()).filter(|v| !v.is_null()))
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    let Some(id) = &applicant.id_number else {
        return Err(NotAParty::NoIdNumber {
            bundle: bundle.id.to_string(),
            fields: named(),
        });
    };
    let is_one = bundle
        .applicants
        .iter()
        .any(|k| fields.get(k.as_str()).is_some_and(|v| same_id(v, id)));
    if is_one {
        Ok(())
    } else {
        Err(NotAParty::NotNamed {
            bundle: bundle.id.to_string(),
            fields: named(),
        })
    }
}

/// Whether a prefill keyed by `fields` is the asker's to make: every
/// resident ID number in it is the asker's own or sits in one of the
/// bundle's applicant fields (a relation it declares), and, when the
/// bundle declares applicants, the asker is one of them.
pub fn may_prefill(
    bundle: &Bundle,
    fields: &Map<String, Value>,
    applicant: &Applicant,
    dict: &Dictionary,
) -> Result<(), NotAParty> {
    let named = || {
        bundle
            .applicants
            .iter()
            .map(FieldKey::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (name, value) in fields {
        let Ok(key) = FieldKey::parse(name) else {
            continue;
        };
        if !is_resident_id(dict, &key) || value.is_null() {
            continue;
        }
        let own = applicant
            .id_number
            .as_deref()
            .is_some_and(|id| same_id(value, id));
        if !own && !bundle.applicants.contains(&key) {
            return Err(NotAParty::SomeoneElse {
                field: key.to_string(),
                bundle: bundle.id.to_string(),
                fields: if bundle.applicants.is_empty() {
                    "none".into()
                } else {
                    named()
                },
            });
        }
    }
    may_apply(bundle, fields, applicant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{DepartmentId, StepId};
    use crate::manifest::{FieldNeed, Manifest, StepSpec};
    use serde_json::json;
    use std::collections::{BTreeMap, BTreeSet};
    use std::time::Duration;

    const DICT: &str = r#"
version = "t"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
[fields."mother.id_number"]
type = "text"
format = "resident-id"
label = { zh = "母亲身份证", en = "Mother's ID" }
sensitivity = "sensitive"
[fields."father.id_number"]
type = "text"
format = "resident-id"
label = { zh = "父亲身份证", en = "Father's ID" }
sensitivity = "sensitive"
[fields."household.head_id"]
type = "text"
format = "resident-id"
label = { zh = "户主身份证", en = "Head's ID" }
sensitivity = "sensitive"
"#;

    fn bundle(applicants: &str) -> (Bundle, Dictionary) {
        let dict = Dictionary::from_toml(DICT, "d").expect("dict");
        let reads = [
            "child.name",
            "mother.id_number",
            "father.id_number",
            "household.head_id",
        ];
        let step = StepSpec {
            id: StepId::parse("birth").expect("id"),
            title: "t".into(),
            reads: reads
                .iter()
                .map(|k| FieldNeed {
                    key: FieldKey::parse(k).expect("key"),
                    required: false,
                    purpose: "p".into(),
                })
                .collect(),
            writes: BTreeSet::new(),
            materials: vec![],
            time_limit: Duration::from_secs(60),
        };
        let health = DepartmentId::parse("health").expect("id");
        let manifests = BTreeMap::from([(
            health.clone(),
            Manifest {
                department: health,
                name: "h".into(),
                version: "1.0.0".into(),
                steps: vec![step],
            },
        )]);
        let text = format!(
            "id = \"newborn\"\ntitle = {{ zh = \"新生儿\", en = \"Newborn\" }}\ndescription = {{ zh = \"d\", en = \"d\" }}\ntime_limit_hours = 1\napplicants = [{applicants}]\n[[steps]]\ndepartment = \"health\"\nstep = \"birth\"\n"
        );
        let b = Bundle::from_toml(&text, "b.toml", &dict, &manifests).expect("bundle");
        (b, dict)
    }

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    const MINE: &str = "350203199003071527";
    const OTHER: &str = "11010519491231002X";

    fn me() -> Applicant {
        Applicant {
            owner: "issuer#me".into(),
            id_number: Some(MINE.into()),
        }
    }

    #[test]
    fn only_a_person_the_bundle_names_may_apply() {
        let (b, _) = bundle("\"mother.id_number\", \"father.id_number\"");
        assert!(may_apply(&b, &fields(json!({"mother.id_number": MINE})), &me()).is_ok());
        let as_father = fields(json!({"mother.id_number": OTHER, "father.id_number": MINE}));
        assert!(may_apply(&b, &as_father, &me()).is_ok());
        let strangers = fields(json!({"mother.id_number": OTHER}));
        let err = may_apply(&b, &strangers, &me()).expect_err("not a party");
        assert!(
            err.to_string()
                .contains("mother.id_number, father.id_number"),
            "{err}"
        );
        let anonymous = Applicant {
            id_number: None,
            ..me()
        };
        assert!(matches!(
            may_apply(&b, &fields(json!({"mother.id_number": MINE})), &anonymous),
            Err(NotAParty::NoIdNumber { .. })
        ));
        // A draft that names nobody yet keys nothing.
        assert!(may_apply(&b, &fields(json!({"child.name": "林安然"})), &me()).is_ok());
        // A bundle that declares nobody is for anyone.
        let (anyone, _) = bundle("");
        assert!(may_apply(&anyone, &strangers, &me()).is_ok());
    }

    #[test]
    fn a_prefill_is_keyed_only_by_the_asker_and_declared_relations() {
        let (b, dict) = bundle("\"mother.id_number\", \"father.id_number\"");
        let family = fields(json!({"mother.id_number": MINE, "father.id_number": OTHER}));
        assert!(may_prefill(&b, &family, &me(), &dict).is_ok());
        let probing = fields(json!({"mother.id_number": OTHER}));
        assert!(matches!(
            may_prefill(&b, &probing, &me(), &dict),
            Err(NotAParty::NotNamed { .. }) | Err(NotAParty::SomeoneElse { .. })
        ));
        let head = fields(json!({"mother.id_number": MINE, "household.head_id": OTHER}));
        let err = may_prefill(&b, &head, &me(), &dict).expect_err("someone else");
        assert!(
            matches!(&err, NotAParty::SomeoneElse { field, .. } if field == "household.head_id"),
            "{err}"
        );
        // Without declared applicants, only the asker's own ID keys it.
        let (anyone, dict) = bundle("");
        assert!(
            may_prefill(
                &anyone,
                &fields(json!({"mother.id_number": MINE})),
                &me(),
                &dict
            )
            .is_ok()
        );
        assert!(may_prefill(&anyone, &probing, &me(), &dict).is_err());
    }
}
