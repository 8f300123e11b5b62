//! Least exposure: how much of an application's values a reader sees.
//! Its owner sees every value in full; a department's officer sees in
//! full the fields that department's steps read or write in the bundle;
//! everyone else sees each value masked by the field's sensitivity in the
//! dictionary:
//!
//! | sensitivity | masked as |
//! | --- | --- |
//! | public, internal | in full |
//! | personal | text: first and last character, `*` between (`林*然`, `138*******8`); other values: `"[personal]"` |
//! | sensitive | text of 8 or more characters: `*` but the last 4 (`**************1527`); shorter text and other values: `"[sensitive]"` |
//!
//! A key the dictionary does not know is masked as sensitive. Not for
//! logs (which carry keys, never values) nor for deciding who may read at
//! all (the api's scoping).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::dictionary::{Dictionary, Sensitivity};
use crate::ids::FieldKey;

/// What a reader of an application sees of its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// Every value in full: the application's owner.
    Full,
    /// These fields in full, the rest masked: a department's officer.
    Fields(BTreeSet<FieldKey>),
    /// Every value masked by its sensitivity: an operator, an auditor.
    Masked,
}

impl Exposure {
    /// Whether the reader sees `key` in full.
    pub fn shows(&self, key: &FieldKey) -> bool {
        match self {
            Exposure::Full => true,
            Exposure::Fields(keys) => keys.contains(key),
            Exposure::Masked => false,
        }
    }

    /// The value of `key` as the reader sees it.
    pub fn value(&self, key: &FieldKey, value: &Value, dict: &Dictionary) -> Value {
        if self.shows(key) {
            return value.clone();
        }
        let sensitivity = dict
            .field(key)
            .map_or(Sensitivity::Sensitive, |f| f.sensitivity);
        mask(value, sensitivity)
    }

    /// The value of a key given as text (as events and answers carry them).
    pub fn value_of(&self, key: &str, value: &Value, dict: &Dictionary) -> Value {
        match FieldKey::parse(key) {
            Ok(k) => self.value(&k, value, dict),
            Err(_) => mask(value, Sensitivity::Sensitive),
        }
    }

    /// Whether anything is held back from the reader.
    pub fn is_full(&self) -> bool {
        matches!(self, Exposure::Full)
    }
}

/// A value masked as its sensitivity says.
pub fn mask(value: &Value, sensitivity: Sensitivity) -> Value {
    match sensitivity {
        Sensitivity::Public | Sensitivity::Internal => value.clone(),
        Sensitivity::Personal => match value {
            Value::Null => Value::Null,
            Value::String(s) => Value::String(mask_personal(s)),
            _ => Value::String("[personal]".into()),
        },
        Sensitivity::Sensitive => match value {
            Value::Null => Value::Null,
            Value::String(s) if s.chars().count() >= 8 => Value::String(mask_sensitive(s)),
            _ => Value::String("[sensitive]".into()),
        },
    }
}

fn mask_personal(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".into(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

fn mask_sensitive(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let keep = 4;
    let hidden = chars.len() - keep;
    let tail: String = chars[hidden..].iter().collect();
    format!("{}{tail}", "*".repeat(hidden))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DICT: &str = r#"
version = "t"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
[fields."mother.id_number"]
type = "text"
label = { zh = "身份证", en = "ID" }
sensitivity = "sensitive"
[fields."enterprise.name"]
type = "text"
label = { zh = "企业名称", en = "Enterprise" }
sensitivity = "public"
"#;

    fn key(k: &str) -> FieldKey {
        FieldKey::parse(k).expect("key")
    }

    #[test]
    fn each_reader_sees_what_it_may() {
        let dict = Dictionary::from_toml(DICT, "d").expect("dict");
        let id = json!("350203199003071527");
        let name = json!("林安然");
        assert_eq!(
            Exposure::Full.value(&key("mother.id_number"), &id, &dict),
            id
        );
        let masked = Exposure::Masked;
        assert_eq!(
            masked.value(&key("mother.id_number"), &id, &dict),
            json!("**************1527")
        );
        assert_eq!(
            masked.value(&key("child.name"), &name, &dict),
            json!("林*然")
        );
        assert_eq!(
            masked.value(
                &key("enterprise.name"),
                &json!("厦门小鱼科技有限公司"),
                &dict
            ),
            json!("厦门小鱼科技有限公司")
        );
        assert_eq!(
            masked.value(&key("child.unknown"), &json!("x"), &dict),
            json!("[sensitive]")
        );
        let officer = Exposure::Fields([key("child.name")].into());
        assert_eq!(officer.value(&key("child.name"), &name, &dict), name);
        assert_eq!(
            officer.value(&key("mother.id_number"), &id, &dict),
            json!("**************1527")
        );
        assert_eq!(
            mask(&json!(47400.0), Sensitivity::Personal),
            json!("[personal]")
        );
        assert_eq!(
            mask(&json!("短"), Sensitivity::Sensitive),
            json!("[sensitive]")
        );
    }
}
