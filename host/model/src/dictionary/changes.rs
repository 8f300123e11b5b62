//! What one version of the dictionary changes from another: entries and
//! groups added, removed or changed, which of the changes can break what
//! already uses the entry (a field removed, its type changed, a choice
//! taken away), and the departments that own the groups touched: the
//! owners who must approve the proposal.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::{Dictionary, FieldDef, FieldKind, MaterialDef};
use crate::ids::DepartmentId;

/// What was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// New in this version.
    Added,
    /// Gone in this version.
    Removed,
    /// In both, different.
    Changed,
}

/// What kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Entry {
    /// A field key.
    Field,
    /// A material code.
    Material,
    /// A group.
    Group,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Field, material or group.
    pub entry: Entry,
    /// Its key, code or id.
    pub name: String,
    /// Added, removed or changed.
    pub action: Action,
    /// What changed, one line each (for a change).
    pub what: Vec<String>,
    /// Whether it can break a component or bundle that uses the entry.
    pub breaking: bool,
    /// The group it belongs to (in the new version; the old one when
    /// removed).
    pub group: Option<String>,
    /// That group's owner.
    pub owner: Option<DepartmentId>,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = match self.action {
            Action::Added => '+',
            Action::Removed => '-',
            Action::Changed => '~',
        };
        let entry = match self.entry {
            Entry::Field => "field",
            Entry::Material => "material",
            Entry::Group => "group",
        };
        write!(f, "{sign} {entry} {}", self.name)?;
        if let (Some(g), Some(o)) = (&self.group, &self.owner) {
            write!(f, " (group {g}, owner {o})")?;
        }
        if !self.what.is_empty() {
            write!(f, ": {}", self.what.join("; "))?;
        }
        if self.breaking {
            write!(f, " [breaking]")?;
        }
        Ok(())
    }
}

/// Every change from one version to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// The version compared from.
    pub from: String,
    /// The version compared to.
    pub to: String,
    /// Groups first, then fields, then materials, each in name order.
    pub changes: Vec<Change>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The departments owning the groups the changes touch.
    pub fn owners(&self) -> BTreeSet<DepartmentId> {
        self.changes
            .iter()
            .filter_map(|c| c.owner.clone())
            .collect()
    }

    /// The breaking changes.
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.breaking)
    }
}

impl Dictionary {
    /// What `self` changes from `old`.
    pub fn changes_from(&self, old: &Dictionary) -> Changes {
        let mut changes = Vec::new();
        for (id, g) in &self.groups {
            match old.groups.get(id) {
                None => changes.push(change(
                    Entry::Group,
                    id,
                    Action::Added,
                    vec![],
                    false,
                    Some(id.clone()),
                    Some(g.owner.clone()),
                )),
                Some(was) if was != g => {
                    let mut what = Vec::new();
                    if was.owner != g.owner {
                        what.push(format!("owner {} → {}", was.owner, g.owner));
                    }
                    if was.title != g.title {
                        what.push("title".into());
                    }
                    changes.push(change(
                        Entry::Group,
                        id,
                        Action::Changed,
                        what,
                        false,
                        Some(id.clone()),
                        Some(g.owner.clone()),
                    ));
                }
                Some(_) => {}
            }
        }
        for (id, g) in &old.groups {
            if !self.groups.contains_key(id) {
                changes.push(change(
                    Entry::Group,
                    id,
                    Action::Removed,
                    vec![],
                    false,
                    Some(id.clone()),
                    Some(g.owner.clone()),
                ));
            }
        }
        diff_entries(
            &mut changes,
            Entry::Field,
            (self, &self.fields),
            (old, &old.fields),
            field_differences,
        );
        diff_entries(
            &mut changes,
            Entry::Material,
            (self, &self.materials),
            (old, &old.materials),
            |was, now| (material_differences(was, now), false),
        );
        Changes {
            from: old.version.clone(),
            to: self.version.clone(),
            changes,
        }
    }
}

/// An entry of the dictionary: its name and group.
trait Grouped: PartialEq {
    fn group(&self) -> &Option<String>;
}

impl Grouped for FieldDef {
    fn group(&self) -> &Option<String> {
        &self.group
    }
}

impl Grouped for MaterialDef {
    fn group(&self) -> &Option<String> {
        &self.group
    }
}

/// The changes between two maps of entries of one kind: added and
/// changed in the new version's order, then removed (always breaking).
fn diff_entries<K: Ord + fmt::Display, V: Grouped>(
    changes: &mut Vec<Change>,
    entry: Entry,
    (new, new_entries): (&Dictionary, &BTreeMap<K, V>),
    (old, old_entries): (&Dictionary, &BTreeMap<K, V>),
    differences: impl Fn(&V, &V) -> (Vec<String>, bool),
) {
    let owner_in = |d: &Dictionary, group: &Option<String>| {
        group
            .as_deref()
            .and_then(|g| d.group(g))
            .map(|g| g.owner.clone())
    };
    for (name, def) in new_entries {
        let (action, what, breaking) = match old_entries.get(name) {
            None => (Action::Added, vec![], false),
            Some(was) if was != def => {
                let (mut what, breaking) = differences(was, def);
                if was.group() != def.group() {
                    let name = |g: &Option<String>| g.clone().unwrap_or_else(|| "none".into());
                    what.push(format!(
                        "group {} → {}",
                        name(was.group()),
                        name(def.group())
                    ));
                }
                (Action::Changed, what, breaking)
            }
            Some(_) => continue,
        };
        let group = def.group().clone();
        let owner = owner_in(new, &group);
        changes.push(change(
            entry,
            &name.to_string(),
            action,
            what,
            breaking,
            group,
            owner,
        ));
    }
    for (name, was) in old_entries {
        if !new_entries.contains_key(name) {
            let group = was.group().clone();
            let owner = owner_in(old, &group);
            changes.push(change(
                entry,
                &name.to_string(),
                Action::Removed,
                vec![],
                true,
                group,
                owner,
            ));
        }
    }
}

fn change(
    entry: Entry,
    name: &str,
    action: Action,
    what: Vec<String>,
    breaking: bool,
    group: Option<String>,
    owner: Option<DepartmentId>,
) -> Change {
    Change {
        entry,
        name: name.to_owned(),
        action,
        what,
        breaking,
        group,
        owner,
    }
}

/// A field's type with its constraints, as one might write it.
fn kind_text(k: &FieldKind) -> String {
    fn opt<T: fmt::Display>(name: &str, v: &Option<T>) -> Option<String> {
        v.as_ref().map(|v| format!("{name} {v}"))
    }
    let parts: Vec<String> = match k {
        FieldKind::Text {
            min_length,
            max_length,
            format,
        } => [
            opt("min_length", min_length),
            opt("max_length", max_length),
            format.map(|f| format!("format {}", format_name(f))),
        ]
        .into_iter()
        .flatten()
        .collect(),
        FieldKind::Integer { min, max } | FieldKind::Money { min, max } => {
            [opt("min", min), opt("max", max)]
                .into_iter()
                .flatten()
                .collect()
        }
        FieldKind::Decimal { min, max } => [opt("min", min), opt("max", max)]
            .into_iter()
            .flatten()
            .collect(),
        FieldKind::Boolean | FieldKind::Date => vec![],
        FieldKind::Choice { choices } => vec![choices.join("|")],
        FieldKind::List { items, max_items } => {
            vec![kind_text(items), format!("max_items {max_items}")]
        }
    };
    if parts.is_empty() {
        k.name().to_owned()
    } else {
        format!("{}({})", k.name(), parts.join(", "))
    }
}

/// A coded format as the dictionary writes it.
fn format_name(f: super::TextFormat) -> &'static str {
    use super::TextFormat as F;
    match f {
        F::ResidentId => "resident-id",
        F::Uscc => "uscc",
        F::MobilePhone => "mobile-phone",
        F::BankCard => "bank-card",
        F::PostalCode => "postal-code",
    }
}

/// The item kind of a list, or the kind itself.
fn item_kind(k: &FieldKind) -> &FieldKind {
    match k {
        FieldKind::List { items, .. } => items,
        other => other,
    }
}

/// What differs between two versions of a field, and whether a
/// component or bundle using it can break: its type (or its items'),
/// its coded format, a choice taken away, or who may supply it.
fn field_differences(was: &FieldDef, now: &FieldDef) -> (Vec<String>, bool) {
    let mut what = Vec::new();
    let mut breaking = false;
    if was.kind != now.kind {
        what.push(format!(
            "{} → {}",
            kind_text(&was.kind),
            kind_text(&now.kind)
        ));
        let (a, b) = (item_kind(&was.kind), item_kind(&now.kind));
        breaking |= was.kind.name() != now.kind.name() || a.name() != b.name();
        match (a, b) {
            (FieldKind::Choice { choices: old }, FieldKind::Choice { choices: new }) => {
                let gone: Vec<&str> = old
                    .iter()
                    .filter(|c| !new.contains(c))
                    .map(String::as_str)
                    .collect();
                if !gone.is_empty() {
                    what.push(format!("choices taken away: {}", gone.join(", ")));
                    breaking = true;
                }
            }
            (FieldKind::Text { format: old, .. }, FieldKind::Text { format: new, .. })
                if old != new =>
            {
                breaking = true
            }
            _ => {}
        }
    }
    if was.label != now.label {
        what.push("label".into());
    }
    if was.description != now.description {
        what.push("description".into());
    }
    if was.sensitivity != now.sensitivity {
        what.push(format!(
            "sensitivity {:?} → {:?}",
            was.sensitivity, now.sensitivity
        ));
    }
    if was.issued != now.issued {
        what.push(format!("issued {} → {}", was.issued, now.issued));
        breaking = true;
    }
    if was.unique != now.unique {
        what.push(format!("unique {} → {}", was.unique, now.unique));
    }
    (what, breaking)
}

fn material_differences(was: &MaterialDef, now: &MaterialDef) -> Vec<String> {
    let mut what = Vec::new();
    if was.label != now.label {
        what.push("label".into());
    }
    if was.media_types != now.media_types {
        what.push(format!(
            "media_types {} → {}",
            was.media_types.join(","),
            now.media_types.join(",")
        ));
    }
    if was.max_bytes != now.max_bytes {
        what.push(format!("max_bytes {} → {}", was.max_bytes, now.max_bytes));
    }
    what
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r#"
version = "1"
[groups.person]
title = { zh = "自然人", en = "Persons" }
owner = "public-security"
[groups.newborn]
title = { zh = "新生儿", en = "Newborns" }
owner = "health"
[fields."person.name"]
type = "text"
group = "person"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
max_length = 32
[fields."child.sex"]
type = "choice"
group = "newborn"
choices = ["male", "female"]
label = { zh = "性别", en = "Sex" }
sensitivity = "personal"
[fields."child.weight"]
type = "integer"
group = "newborn"
label = { zh = "体重", en = "Weight" }
sensitivity = "personal"
[materials."birth-record"]
group = "newborn"
label = { zh = "出生记录", en = "Birth record" }
media_types = ["application/pdf"]
max_bytes = 10
"#;

    fn dict(text: &str) -> Dictionary {
        Dictionary::from_toml(text, "t").expect("dict")
    }

    #[test]
    fn the_same_text_changes_nothing() {
        let c = dict(OLD).changes_from(&dict(OLD));
        assert!(c.is_empty(), "{c:?}");
        assert!(c.owners().is_empty());
    }

    #[test]
    fn changes_name_their_group_owner_and_whether_they_break() {
        let new = OLD
            .replace(r#"version = "1""#, r#"version = "2""#)
            .replace("max_length = 32", "max_length = 64")
            .replace(r#"["male", "female"]"#, r#"["male"]"#)
            .replace(
                "[fields.\"child.weight\"]\ntype = \"integer\"",
                "[fields.\"child.weight\"]\ntype = \"decimal\"",
            )
            .replace("max_bytes = 10", "max_bytes = 20")
            + r#"
[fields."person.phone"]
type = "text"
group = "person"
label = { zh = "电话", en = "Phone" }
sensitivity = "personal"
"#;
        let c = dict(&new).changes_from(&dict(OLD));
        let shown: Vec<String> = c.changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "~ field child.sex (group newborn, owner health): choice(male|female) → choice(male); choices taken away: female [breaking]",
                "~ field child.weight (group newborn, owner health): integer → decimal [breaking]",
                "~ field person.name (group person, owner public-security): text(max_length 32) → text(max_length 64)",
                "+ field person.phone (group person, owner public-security)",
                "~ material birth-record (group newborn, owner health): max_bytes 10 → 20",
            ],
            "{shown:#?}"
        );
        assert_eq!((c.from.as_str(), c.to.as_str()), ("1", "2"));
        assert_eq!(c.breaking().count(), 2);
        let owners: Vec<String> = c.owners().iter().map(ToString::to_string).collect();
        assert_eq!(owners, ["health", "public-security"]);
    }

    #[test]
    fn a_removed_entry_is_breaking_and_owned_by_its_old_group() {
        let new = OLD.replace(
            "[fields.\"child.weight\"]\ntype = \"integer\"\ngroup = \"newborn\"\nlabel = { zh = \"体重\", en = \"Weight\" }\nsensitivity = \"personal\"\n",
            "",
        );
        let c = dict(&new).changes_from(&dict(OLD));
        assert_eq!(c.changes.len(), 1, "{c:?}");
        let gone = &c.changes[0];
        assert_eq!(
            gone.to_string(),
            "- field child.weight (group newborn, owner health) [breaking]"
        );
    }

    #[test]
    fn an_owner_handed_over_is_a_change_of_the_group() {
        let new = OLD.replace(r#"owner = "health""#, r#"owner = "civil-affairs""#);
        let c = dict(&new).changes_from(&dict(OLD));
        let shown: Vec<String> = c.changes.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            ["~ group newborn (group newborn, owner civil-affairs): owner health → civil-affairs"]
        );
    }
}
