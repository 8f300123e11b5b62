//! The data-sharing register: which fields each department may read, each
//! grant with its purpose, its legal basis and the owner of the data who
//! approved it. A department's manifest may declare reads only of fields
//! its grants give it; a component declaring more is refused however it is
//! signed, and so is a bundle that would need more.
//!
//! The register is a TOML file (`examples/grants.toml`, format in
//! docs/formats.md), versioned and hot-loaded like a bundle:
//!
//! ```toml
//! [groups]                                  # named sets of fields
//! mother-identity = ["mother.name", "mother.id_number"]
//!
//! [[grants]]
//! department = "health"
//! fields = ["child.name", "@mother-identity"]   # keys, or @group
//! purpose = { zh = "签发出生医学证明", en = "Issue the birth medical certificate" }
//! legal_basis = { zh = "《中华人民共和国母婴保健法》第二十三条", en = "Maternal and Infant Health Care Law of the PRC, art. 23" }
//! approved_by = "市卫生健康委员会数据管理处"   # one string: the same in both languages
//! ```
//!
//! Not for what a step may see of one application (the rules in
//! [`crate::rules`]): the register bounds what a department may ever ask.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::dictionary::Dictionary;
use crate::faults::Faults;
use crate::ids::{DepartmentId, Digest, FieldKey};
use crate::manifest::Manifest;
use crate::suggest::DidYouMean;
use crate::text::Text;

/// One grant: fields a department may read, and why it may.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// The department it is given to.
    pub department: DepartmentId,
    /// The fields it covers (groups expanded).
    pub fields: BTreeSet<FieldKey>,
    /// What the department may use them for.
    pub purpose: Text,
    /// The law or regulation that allows it.
    pub legal_basis: Text,
    /// The owner of the data who approved the grant.
    pub approved_by: Text,
}

/// The register, checked against the dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grants {
    /// Every grant, in the file's order.
    pub grants: Vec<Grant>,
    /// Digest of the text.
    pub digest: Digest,
    /// The text itself (kept for the version history).
    pub text: Arc<str>,
    /// Where it came from.
    pub origin: String,
}

/// Why a register was refused: its TOML, or every fault at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantsError {
    /// Malformed TOML or an unknown key.
    #[error("grants {origin}: {message}")]
    Syntax {
        /// The file.
        origin: String,
        /// The parser's message (names line and key).
        message: String,
    },
    /// What is wrong with the grants.
    #[error("grants {origin} has {} fault(s):\n{}", .faults.len(), .faults.lines())]
    Faults {
        /// The file.
        origin: String,
        /// Each fault, naming the grant and field.
        faults: Faults,
    },
}

/// A read a department's manifest declares that no grant covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ungranted {
    /// The step that declares it, `department/step`.
    pub step: String,
    /// The field.
    pub key: FieldKey,
    /// The purpose the manifest states.
    pub purpose: Text,
}

impl std::fmt::Display for Ungranted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step {} reads {} (\"{}\"), which no grant gives its department",
            self.step,
            self.key,
            self.purpose.both()
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrants {
    #[serde(default)]
    groups: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    grants: Vec<RawGrant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGrant {
    department: String,
    fields: Vec<String>,
    #[serde(deserialize_with = "crate::text::lenient")]
    purpose: Text,
    #[serde(deserialize_with = "crate::text::lenient")]
    legal_basis: Text,
    #[serde(deserialize_with = "crate::text::lenient")]
    approved_by: Text,
}

impl Grants {
    /// Parse and check a register; `origin` names it in errors. Every
    /// fault is listed at once: an unknown department id, field (with the
    /// nearest key) or group, an empty purpose, legal basis or approver.
    pub fn from_toml(text: &str, origin: &str, dict: &Dictionary) -> Result<Self, GrantsError> {
        let raw: RawGrants = toml::from_str(text).map_err(|e| GrantsError::Syntax {
            origin: origin.into(),
            message: e.to_string(),
        })?;
        let mut faults = Faults::default();
        let mut groups: BTreeMap<&str, BTreeSet<FieldKey>> = BTreeMap::new();
        for (name, keys) in &raw.groups {
            let mut set = BTreeSet::new();
            for k in keys {
                match field(k, dict) {
                    Ok(key) => {
                        set.insert(key);
                    }
                    Err(why) => faults.push(format!("group {name}: {why}")),
                }
            }
            groups.insert(name, set);
        }
        let mut grants = Vec::with_capacity(raw.grants.len());
        for (i, g) in raw.grants.iter().enumerate() {
            let at = format!("grant {} ({})", i + 1, g.department);
            let department = DepartmentId::parse(&g.department)
                .map_err(|e| faults.push(format!("{at}: {e}")))
                .ok();
            for (what, value) in [
                ("purpose", &g.purpose),
                ("legal_basis", &g.legal_basis),
                ("approved_by", &g.approved_by),
            ] {
                if value.zh.trim().is_empty() || value.en.trim().is_empty() {
                    faults.push(format!("{at}: {what} is empty; every grant says it"));
                }
            }
            if g.fields.is_empty() {
                faults.push(format!("{at}: grants no fields"));
            }
            let mut fields = BTreeSet::new();
            for f in &g.fields {
                if let Some(group) = f.strip_prefix('@') {
                    match groups.get(group) {
                        Some(set) => fields.extend(set.iter().cloned()),
                        None => faults.push(format!(
                            "{at}: no group {group}{}",
                            DidYouMean::among(group, groups.keys().copied())
                        )),
                    }
                } else {
                    match field(f, dict) {
                        Ok(key) => {
                            fields.insert(key);
                        }
                        Err(why) => faults.push(format!("{at}: {why}")),
                    }
                }
            }
            if let Some(department) = department {
                grants.push(Grant {
                    department,
                    fields,
                    purpose: g.purpose.map(|_, s| s.trim().to_owned()),
                    legal_basis: g.legal_basis.map(|_, s| s.trim().to_owned()),
                    approved_by: g.approved_by.map(|_, s| s.trim().to_owned()),
                });
            }
        }
        if !faults.is_empty() {
            return Err(GrantsError::Faults {
                origin: origin.into(),
                faults,
            });
        }
        Ok(Self {
            grants,
            digest: Digest::of(text.as_bytes()),
            text: Arc::from(text),
            origin: origin.into(),
        })
    }

    /// A register granting nothing (a catalog before one is loaded).
    pub fn empty() -> Self {
        Self {
            grants: Vec::new(),
            digest: Digest::of(b""),
            text: Arc::from(""),
            origin: "(no grants register)".into(),
        }
    }

    /// The grant that gives `department` the field `key`, if any.
    pub fn grant_for(&self, department: &DepartmentId, key: &FieldKey) -> Option<&Grant> {
        self.grants
            .iter()
            .find(|g| &g.department == department && g.fields.contains(key))
    }

    /// The grants given to a department.
    pub fn of<'a>(&'a self, department: &'a DepartmentId) -> impl Iterator<Item = &'a Grant> {
        self.grants
            .iter()
            .filter(move |g| &g.department == department)
    }

    /// Every read of the manifest's steps that no grant covers.
    pub fn ungranted(&self, manifest: &Manifest) -> Vec<Ungranted> {
        manifest
            .steps
            .iter()
            .flat_map(|step| {
                step.reads
                    .iter()
                    .filter(|need| self.grant_for(&manifest.department, &need.key).is_none())
                    .map(move |need| Ungranted {
                        step: format!("{}/{}", manifest.department, step.id),
                        key: need.key.clone(),
                        purpose: need.purpose.clone(),
                    })
            })
            .collect()
    }
}

fn field(text: &str, dict: &Dictionary) -> Result<FieldKey, String> {
    let key = FieldKey::parse(text).map_err(|e| e.to_string())?;
    if dict.field(&key).is_none() {
        return Err(format!(
            "{key} is not in the data dictionary{}",
            dict.did_you_mean_field(key.as_str())
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StepId;
    use crate::manifest::{FieldNeed, StepSpec};
    use std::time::Duration;

    const DICT: &str = r#"
version = "t"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
[fields."mother.name"]
type = "text"
label = { zh = "母亲姓名", en = "Mother's name" }
sensitivity = "personal"
[fields."mother.bank_card"]
type = "text"
label = { zh = "银行卡", en = "Bank card" }
sensitivity = "sensitive"
"#;

    fn dict() -> Dictionary {
        Dictionary::from_toml(DICT, "dict").expect("dict")
    }

    const GOOD: &str = r#"
[groups]
mother = ["mother.name"]
[[grants]]
department = "health"
fields = ["child.name", "@mother"]
purpose = "签发出生医学证明"
legal_basis = "母婴保健法第二十三条"
approved_by = "卫生健康委数据处"
"#;

    fn manifest(reads: &[&str]) -> Manifest {
        Manifest {
            department: DepartmentId::parse("health").expect("id"),
            name: "health".into(),
            version: "1.0.0".into(),
            steps: vec![StepSpec {
                id: StepId::parse("birth").expect("id"),
                title: "t".into(),
                reads: reads
                    .iter()
                    .map(|k| FieldNeed {
                        key: FieldKey::parse(k).expect("key"),
                        required: true,
                        purpose: Text::same("we just like it"),
                    })
                    .collect(),
                writes: BTreeSet::new(),
                materials: vec![],
                time_limit: Duration::from_secs(60),
            }],
        }
    }

    #[test]
    fn a_manifest_within_its_grants_is_covered() {
        let g = Grants::from_toml(GOOD, "grants.toml", &dict()).expect("grants");
        assert!(
            g.ungranted(&manifest(&["child.name", "mother.name"]))
                .is_empty()
        );
        let health = DepartmentId::parse("health").expect("id");
        let grant = g
            .grant_for(&health, &FieldKey::parse("mother.name").expect("key"))
            .expect("granted through the group");
        assert_eq!(grant.legal_basis, Text::same("母婴保健法第二十三条"));
    }

    #[test]
    fn a_read_beyond_the_grants_is_named() {
        let g = Grants::from_toml(GOOD, "grants.toml", &dict()).expect("grants");
        let missing = g.ungranted(&manifest(&["child.name", "mother.bank_card"]));
        assert_eq!(missing.len(), 1);
        let text = missing[0].to_string();
        assert!(
            text.contains("health/birth")
                && text.contains("mother.bank_card")
                && text.contains("we just like it"),
            "{text}"
        );
        // Another department's grant does not count.
        let other = GOOD.replace("department = \"health\"", "department = \"tax\"");
        let g = Grants::from_toml(&other, "grants.toml", &dict()).expect("grants");
        assert_eq!(g.ungranted(&manifest(&["child.name"])).len(), 1);
    }

    #[test]
    fn every_fault_of_a_register_is_listed() {
        let bad = GOOD
            .replace("\"child.name\", \"@mother\"", "\"child.nmae\", \"@mothr\"")
            .replace("approved_by = \"卫生健康委数据处\"", "approved_by = \" \"");
        let err = Grants::from_toml(&bad, "grants.toml", &dict()).expect_err("faults");
        let text = err.to_string();
        for culprit in [
            "child.nmae is not in the data dictionary (did you mean `child.name`?)",
            "no group mothr",
            "approved_by is empty",
        ] {
            assert!(text.contains(culprit), "{culprit} missing: {text}");
        }
        let typo = "[[grants]]\ndepartment = \"health\"\nfeilds = []\n";
        let err = Grants::from_toml(typo, "grants.toml", &dict()).expect_err("syntax");
        assert!(err.to_string().contains("feilds"), "{err}");
    }
}
