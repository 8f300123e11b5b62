//! The dictionary's groups: its entries split by domain (persons, a
//! newborn, an enterprise …), each group owned by the one department
//! that answers for its keys. A group's owner reviews every proposal to
//! add, change or remove an entry of it; the host shows who owns what
//! (`onething dictionary check` names the owners a change needs).
//!
//! A dictionary either declares no groups (every entry ungoverned, as in
//! small test dictionaries) or puts every field and material in one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::DepartmentId;
use crate::text::Text;

/// One group of entries and the department that owns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Its id (`person`, `newborn`, `enterprise` …).
    pub id: String,
    /// What it covers, for people.
    pub title: Text,
    /// The department that owns its keys.
    pub owner: DepartmentId,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    title: Text,
    owner: String,
}

/// Whether `id` is a well-formed group id: lowercase ASCII letters,
/// digits and hyphens, starting with a letter, at most 32 characters.
fn well_formed(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The groups, checked; on a fault, the entry (`groups.<id>`) and why.
pub(super) fn build(
    raw: BTreeMap<String, RawGroup>,
) -> Result<BTreeMap<String, Group>, (String, String)> {
    let mut out = BTreeMap::new();
    for (id, g) in raw {
        let entry = format!("groups.{id}");
        if !well_formed(&id) {
            return Err((
                entry,
                "a group id is lowercase letters, digits and hyphens, starting with a letter (at most 32)"
                    .into(),
            ));
        }
        let owner =
            DepartmentId::parse(&g.owner).map_err(|e| (entry.clone(), format!("owner: {e}")))?;
        if g.title.zh.trim().is_empty() || g.title.en.trim().is_empty() {
            return Err((entry, "title needs both zh and en".into()));
        }
        out.insert(
            id.clone(),
            Group {
                id,
                title: g.title,
                owner,
            },
        );
    }
    Ok(out)
}

/// Whether an entry's `group` fits the dictionary's groups.
pub(super) fn check_membership(
    groups: &BTreeMap<String, Group>,
    group: Option<&str>,
) -> Result<(), String> {
    match (groups.is_empty(), group) {
        (true, None) => Ok(()),
        (true, Some(g)) => Err(format!(
            "group = {g:?}, but the dictionary declares no [groups.{g}]"
        )),
        (false, None) => Err(format!(
            "names no group; every entry of a dictionary with groups belongs to one (group = one of {})",
            listed(groups)
        )),
        (false, Some(g)) if groups.contains_key(g) => Ok(()),
        (false, Some(g)) => Err(format!(
            "group = {g:?} is not declared (the groups: {})",
            listed(groups)
        )),
    }
}

fn listed(groups: &BTreeMap<String, Group>) -> String {
    groups.keys().cloned().collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_are_short_lowercase_words() {
        assert!(well_formed("person"));
        assert!(well_formed("social-insurance2"));
        assert!(!well_formed(""));
        assert!(!well_formed("Person"));
        assert!(!well_formed("2nd"));
        assert!(!well_formed("a_b"));
        assert!(!well_formed(&"a".repeat(33)));
    }

    #[test]
    fn membership_is_all_or_nothing() {
        let none = BTreeMap::new();
        assert!(check_membership(&none, None).is_ok());
        let e = check_membership(&none, Some("person")).expect_err("no groups");
        assert!(e.contains("declares no [groups.person]"), "{e}");
        let mut some = BTreeMap::new();
        some.insert(
            "person".to_owned(),
            Group {
                id: "person".into(),
                title: Text::new("自然人", "Persons"),
                owner: DepartmentId::parse("public-security").expect("id"),
            },
        );
        assert!(check_membership(&some, Some("person")).is_ok());
        let e = check_membership(&some, None).expect_err("ungrouped");
        assert!(e.contains("names no group") && e.contains("person"), "{e}");
        let e = check_membership(&some, Some("pupil")).expect_err("undeclared");
        assert!(e.contains("\"pupil\" is not declared"), "{e}");
    }
}
