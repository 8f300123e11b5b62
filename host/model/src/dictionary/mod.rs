//! The data dictionary: the unified data standard every department speaks.
//!
//! Every field has one key, a type, zh and en labels, validation and a
//! sensitivity level; every material code has a label, accepted media types
//! and a size limit. The dictionary is loaded from TOML (format in
//! docs/formats.md) and is the judge of every value that enters the host,
//! from an applicant or from a department. Not for what a department does
//! with a value: that is the plugin's business.
//!
//! It is governed: its entries fall in groups ([`groups`]), each owned by
//! one department, and a new version is compared with the serving one
//! ([`changes`]) before it may serve.

mod changes;
mod groups;
mod value;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ids::{Digest, FieldKey, IdError, MaterialCode};
use crate::suggest::DidYouMean;

pub use changes::{Change, Changes};
pub use groups::Group;
pub use value::{FieldValue, ValueError, money_text, parse_money};

/// A label or description: a text in Chinese and English.
pub type Label = crate::text::Text;

/// How much harm the value of a field can do if it leaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sensitivity {
    /// Public record (an enterprise's name).
    Public,
    /// Internal to the administration.
    Internal,
    /// Personal information.
    Personal,
    /// Sensitive personal information (ID numbers, bank cards, health):
    /// never written to logs or traces in clear.
    Sensitive,
}

/// A coded-identifier format a text field must follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextFormat {
    /// Resident ID number, GB 11643-1999.
    ResidentId,
    /// Unified social credit code, GB 32100-2015.
    Uscc,
    /// Mainland mobile phone number.
    MobilePhone,
    /// Bank card number (Luhn).
    BankCard,
    /// Six-digit postal code.
    PostalCode,
}

impl TextFormat {
    /// The coded-identifier kind this format is checked as.
    pub fn kind(self) -> onething_idcodes::Kind {
        use onething_idcodes::Kind;
        match self {
            TextFormat::ResidentId => Kind::ResidentId,
            TextFormat::Uscc => Kind::Uscc,
            TextFormat::MobilePhone => Kind::MobilePhone,
            TextFormat::BankCard => Kind::BankCard,
            TextFormat::PostalCode => Kind::PostalCode,
        }
    }

    /// Check a text against the format (`onething_idcodes`, the rules the
    /// SDK applies too).
    pub fn check(self, s: &str) -> Result<(), onething_idcodes::CodeError> {
        self.kind().validate(s)
    }
}

/// The type of a field, with its type-specific constraints.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Free text or a coded identifier.
    Text {
        /// Minimum length in characters.
        min_length: Option<usize>,
        /// Maximum length in characters.
        max_length: Option<usize>,
        /// A coded format the text must follow.
        format: Option<TextFormat>,
    },
    /// A whole number.
    Integer {
        /// Smallest allowed.
        min: Option<i64>,
        /// Largest allowed.
        max: Option<i64>,
    },
    /// A decimal amount.
    Decimal {
        /// Smallest allowed.
        min: Option<f64>,
        /// Largest allowed.
        max: Option<f64>,
    },
    /// An amount of money, exact in fen (bounds in fen too).
    Money {
        /// Smallest allowed.
        min: Option<i64>,
        /// Largest allowed.
        max: Option<i64>,
    },
    /// Yes or no.
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// One of a fixed list of codes.
    Choice {
        /// The allowed codes.
        choices: Vec<String>,
    },
    /// A list, each item of one kind (never a list) with that kind's
    /// constraints.
    List {
        /// The kind of every item.
        items: Box<FieldKind>,
        /// At most this many items (`max_items`, 100 unless set).
        max_items: usize,
    },
}

/// Items a list field may hold unless its `max_items` says otherwise.
pub const DEFAULT_MAX_ITEMS: usize = 100;

impl FieldKind {
    /// The type's name as written in the dictionary.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::Text { .. } => "text",
            FieldKind::Integer { .. } => "integer",
            FieldKind::Decimal { .. } => "decimal",
            FieldKind::Money { .. } => "money",
            FieldKind::Boolean => "boolean",
            FieldKind::Date => "date",
            FieldKind::Choice { .. } => "choice",
            FieldKind::List { .. } => "list",
        }
    }
}

/// One field of the dictionary.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The key.
    pub key: FieldKey,
    /// Type and constraints.
    pub kind: FieldKind,
    /// Human label.
    pub label: Label,
    /// Optional longer help text.
    pub description: Option<Label>,
    /// Sensitivity level.
    pub sensitivity: Sensitivity,
    /// Only departments write it; applicants cannot supply it.
    pub issued: bool,
    /// An issued value belongs to one application (a certificate or
    /// registration number): the host refuses to record it for a second.
    pub unique: bool,
    /// The group it belongs to (when the dictionary has groups).
    pub group: Option<String>,
}

/// One material code of the dictionary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialDef {
    /// The code.
    pub code: MaterialCode,
    /// Human label.
    pub label: Label,
    /// Accepted media types.
    pub media_types: Vec<String>,
    /// Largest accepted size in bytes.
    pub max_bytes: u64,
    /// The group it belongs to (when the dictionary has groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Why a dictionary could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// The TOML is malformed or has an unknown key.
    #[error("dictionary {path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// What the TOML parser said (it names the line and key).
        message: String,
    },
    /// A key or code is not well-formed.
    #[error("dictionary {path}: {source}")]
    BadId {
        /// The file.
        path: String,
        /// Which id.
        source: IdError,
    },
    /// An entry's settings do not fit together.
    #[error("dictionary {path}: entry {entry:?}: {message}")]
    BadEntry {
        /// The file.
        path: String,
        /// The field key or material code.
        entry: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDictionary {
    version: String,
    #[serde(default)]
    groups: BTreeMap<String, groups::RawGroup>,
    #[serde(default)]
    fields: BTreeMap<String, RawField>,
    #[serde(default)]
    materials: BTreeMap<String, RawMaterial>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    #[serde(rename = "type")]
    kind: String,
    label: Label,
    description: Option<Label>,
    sensitivity: Sensitivity,
    #[serde(default)]
    issued: bool,
    #[serde(default)]
    unique: bool,
    min_length: Option<usize>,
    max_length: Option<usize>,
    format: Option<TextFormat>,
    min: Option<toml::Value>,
    max: Option<toml::Value>,
    choices: Option<Vec<String>>,
    /// For a list: the type of its items.
    items: Option<String>,
    /// For a list: how many items it may hold.
    max_items: Option<usize>,
    group: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaterial {
    label: Label,
    media_types: Vec<String>,
    max_bytes: u64,
    group: Option<String>,
}

/// The loaded data dictionary.
#[derive(Debug, Clone)]
pub struct Dictionary {
    version: String,
    groups: BTreeMap<String, Group>,
    fields: BTreeMap<FieldKey, FieldDef>,
    materials: BTreeMap<MaterialCode, MaterialDef>,
    /// Digest of the text: names this build of the dictionary.
    digest: Digest,
    /// The text itself (kept for the version history).
    text: Arc<str>,
    /// Where it came from.
    origin: String,
}

impl Dictionary {
    /// Parse TOML text; `origin` names the source in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Self, DictionaryError> {
        let raw: RawDictionary = toml::from_str(text).map_err(|e| DictionaryError::Syntax {
            path: origin.to_owned(),
            message: e.to_string(),
        })?;
        let bad_entry = |entry: &str, message: String| DictionaryError::BadEntry {
            path: origin.to_owned(),
            entry: entry.to_owned(),
            message,
        };
        if raw.version.trim().is_empty() {
            return Err(bad_entry("version", "must not be empty".into()));
        }
        let groups = groups::build(raw.groups).map_err(|(entry, m)| bad_entry(&entry, m))?;
        let in_group = |entry: &str, group: &Option<String>| {
            groups::check_membership(&groups, group.as_deref()).map_err(|m| bad_entry(entry, m))
        };
        let mut fields = BTreeMap::new();
        for (key_text, raw_field) in raw.fields {
            let key = FieldKey::parse(&key_text).map_err(|source| DictionaryError::BadId {
                path: origin.to_owned(),
                source,
            })?;
            in_group(&key_text, &raw_field.group)?;
            let def = build_field(key.clone(), raw_field).map_err(|m| bad_entry(&key_text, m))?;
            fields.insert(key, def);
        }
        let mut materials = BTreeMap::new();
        for (code_text, m) in raw.materials {
            let code =
                MaterialCode::parse(&code_text).map_err(|source| DictionaryError::BadId {
                    path: origin.to_owned(),
                    source,
                })?;
            if m.media_types.is_empty() {
                return Err(bad_entry(
                    &code_text,
                    "media_types must not be empty".into(),
                ));
            }
            if m.max_bytes == 0 {
                return Err(bad_entry(
                    &code_text,
                    "max_bytes must be more than 0".into(),
                ));
            }
            in_group(&code_text, &m.group)?;
            materials.insert(
                code.clone(),
                MaterialDef {
                    code,
                    label: m.label,
                    media_types: m.media_types,
                    max_bytes: m.max_bytes,
                    group: m.group,
                },
            );
        }
        Ok(Self {
            version: raw.version,
            groups,
            fields,
            materials,
            digest: Digest::of(text.as_bytes()),
            text: Arc::from(text),
            origin: origin.to_owned(),
        })
    }

    /// The dictionary's version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Digest of the text it was read from: names this build.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The text it was read from.
    pub fn text(&self) -> &Arc<str> {
        &self.text
    }

    /// Where it was read from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Its groups, by id (none: an ungoverned dictionary, as in tests).
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// A group by id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.get(id)
    }

    /// Every material, in code order.
    pub fn materials(&self) -> impl Iterator<Item = &MaterialDef> {
        self.materials.values()
    }

    /// A field by key.
    pub fn field(&self, key: &FieldKey) -> Option<&FieldDef> {
        self.fields.get(key)
    }

    /// A field by key text (for input not yet parsed).
    pub fn field_by_name(&self, key: &str) -> Option<&FieldDef> {
        FieldKey::parse(key).ok().and_then(|k| self.fields.get(&k))
    }

    /// The field key nearest to an unknown `key`, as a suggestion to
    /// append to a message (empty when none is near).
    pub fn did_you_mean_field(&self, key: &str) -> DidYouMean {
        DidYouMean::among(key, self.fields.keys().map(FieldKey::as_str))
    }

    /// The material code nearest to an unknown `code`, likewise.
    pub fn did_you_mean_material(&self, code: &str) -> DidYouMean {
        DidYouMean::among(code, self.materials.keys().map(MaterialCode::as_str))
    }

    /// A material by code.
    pub fn material(&self, code: &MaterialCode) -> Option<&MaterialDef> {
        self.materials.get(code)
    }

    /// Every field, in key order.
    pub fn fields(&self) -> impl Iterator<Item = &FieldDef> {
        self.fields.values()
    }

    /// Check a value already typed as `value` against the field's
    /// constraints (used for department outputs and parsed input alike).
    pub fn validate(&self, key: &FieldKey, value: &FieldValue) -> Result<(), ValueError> {
        let def = self.field(key).ok_or_else(|| self.unknown_field(key))?;
        value::validate(def, value)
    }

    fn unknown_field(&self, key: &FieldKey) -> ValueError {
        let hint = self.did_you_mean_field(key.as_str());
        ValueError {
            code: "unknown-field",
            message: crate::text::Text::new(
                format!("{key} 不在数据字典中{}", hint.zh()),
                format!("{key} is not in the data dictionary{hint}"),
            ),
        }
    }

    /// Type a stored JSON value of `key` again, without validating it: for
    /// values the host validated when they entered (the form, departments'
    /// outputs). `None` when the key is unknown or the value is not of the
    /// key's type.
    pub fn retype(&self, key: &FieldKey, json: &serde_json::Value) -> Option<FieldValue> {
        value::from_json(self.field(key)?, json).ok()
    }

    /// Parse a JSON value for `key` (an applicant's input) into a typed
    /// value and validate it.
    pub fn parse_json(
        &self,
        key: &FieldKey,
        json: &serde_json::Value,
    ) -> Result<FieldValue, ValueError> {
        let def = self.field(key).ok_or_else(|| self.unknown_field(key))?;
        let v = value::from_json(def, json)?;
        value::validate(def, &v)?;
        Ok(v)
    }
}

fn int_bound(v: Option<toml::Value>, which: &str) -> Result<Option<i64>, String> {
    match v {
        None => Ok(None),
        Some(toml::Value::Integer(i)) => Ok(Some(i)),
        Some(other) => Err(format!(
            "{which} of an integer field must be a whole number, not {other}"
        )),
    }
}

fn dec_bound(v: Option<toml::Value>, which: &str) -> Result<Option<f64>, String> {
    match v {
        None => Ok(None),
        Some(toml::Value::Integer(i)) => Ok(Some(i as f64)),
        Some(toml::Value::Float(f)) => Ok(Some(f)),
        Some(other) => Err(format!(
            "{which} of a decimal field must be a number, not {other}"
        )),
    }
}

fn money_bound(v: Option<toml::Value>, which: &str) -> Result<Option<i64>, String> {
    let text = match v {
        None => return Ok(None),
        Some(toml::Value::Integer(i)) => i.to_string(),
        Some(toml::Value::String(s)) => s,
        Some(toml::Value::Float(f)) => f.to_string(),
        Some(other) => {
            return Err(format!(
                "{which} of a money field must be yuan with at most two decimals, not {other}"
            ));
        }
    };
    value::parse_money(&text).map(Some).ok_or_else(|| {
        format!("{which} of a money field must be yuan with at most two decimals, not {text}")
    })
}

fn build_field(key: FieldKey, raw: RawField) -> Result<FieldDef, String> {
    if raw.kind != "list" {
        if raw.items.is_some() {
            return Err(format!(
                "items does not apply to a field of type {}",
                raw.kind
            ));
        }
        if raw.max_items.is_some() {
            return Err(format!(
                "max_items does not apply to a field of type {}",
                raw.kind
            ));
        }
    }
    let (kind_name, list) = match raw.kind.as_str() {
        "list" => match raw.items.as_deref() {
            Some("list") => return Err("a list's items cannot be lists".into()),
            Some(item) => (item, Some(raw.max_items.unwrap_or(DEFAULT_MAX_ITEMS))),
            None => {
                return Err(
                    "a list field needs items = the type of its items (text, integer, money, decimal, boolean, date or choice)"
                        .into(),
                );
            }
        },
        other => (other, None),
    };
    if raw.unique && !raw.issued {
        return Err(
            "unique = true needs issued = true (an applicant's own values, \
             such as a parent's ID number, recur across applications)"
                .into(),
        );
    }
    let only = |present: bool, setting: &str, allowed: &str| -> Result<(), String> {
        if present
            && kind_name != allowed
            && !(allowed == "number" && matches!(kind_name, "integer" | "decimal" | "money"))
        {
            Err(format!(
                "{setting} does not apply to a field of type {kind_name}"
            ))
        } else {
            Ok(())
        }
    };
    only(raw.min_length.is_some(), "min_length", "text")?;
    only(raw.max_length.is_some(), "max_length", "text")?;
    only(raw.format.is_some(), "format", "text")?;
    only(raw.min.is_some(), "min", "number")?;
    only(raw.max.is_some(), "max", "number")?;
    only(raw.choices.is_some(), "choices", "choice")?;
    let kind = match kind_name {
        "text" => {
            if let (Some(lo), Some(hi)) = (raw.min_length, raw.max_length)
                && lo > hi
            {
                return Err(format!("min_length {lo} is more than max_length {hi}"));
            }
            FieldKind::Text {
                min_length: raw.min_length,
                max_length: raw.max_length,
                format: raw.format,
            }
        }
        "integer" => FieldKind::Integer {
            min: int_bound(raw.min, "min")?,
            max: int_bound(raw.max, "max")?,
        },
        "decimal" => FieldKind::Decimal {
            min: dec_bound(raw.min, "min")?,
            max: dec_bound(raw.max, "max")?,
        },
        "money" => FieldKind::Money {
            min: money_bound(raw.min, "min")?,
            max: money_bound(raw.max, "max")?,
        },
        "boolean" => FieldKind::Boolean,
        "date" => FieldKind::Date,
        "choice" => {
            let choices = raw.choices.unwrap_or_default();
            if choices.is_empty() {
                return Err("a choice field needs a non-empty choices list".into());
            }
            FieldKind::Choice { choices }
        }
        other => {
            return Err(format!(
                "unknown type {other:?} (expected text, integer, decimal, money, boolean, date, choice or list)"
            ));
        }
    };
    let kind = match list {
        Some(max_items) => FieldKind::List {
            items: Box::new(kind),
            max_items,
        },
        None => kind,
    };
    Ok(FieldDef {
        key,
        kind,
        label: raw.label,
        description: raw.description,
        sensitivity: raw.sensitivity,
        issued: raw.issued,
        unique: raw.unique,
        group: raw.group,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
version = "test"
[fields."child.name"]
type = "text"
label = { zh = "姓名", en = "Name" }
sensitivity = "personal"
min_length = 1
max_length = 4
[fields."mother.id_number"]
type = "text"
format = "resident-id"
label = { zh = "身份证号", en = "ID" }
sensitivity = "sensitive"
[fields."child.sex"]
type = "choice"
choices = ["male", "female"]
label = { zh = "性别", en = "Sex" }
sensitivity = "personal"
[fields."enterprise.capital"]
type = "decimal"
min = 0.01
label = { zh = "资本", en = "Capital" }
sensitivity = "public"
[materials."marriage-certificate"]
label = { zh = "结婚证", en = "Marriage certificate" }
media_types = ["application/pdf"]
max_bytes = 100
"#;

    fn dict() -> Dictionary {
        Dictionary::from_toml(SAMPLE, "sample").expect("sample parses")
    }

    fn key(s: &str) -> FieldKey {
        FieldKey::parse(s).expect("key")
    }

    #[test]
    fn loads_fields_and_materials() {
        let d = dict();
        assert_eq!(d.version(), "test");
        assert_eq!(d.fields().count(), 4);
        let code = MaterialCode::parse("marriage-certificate").expect("code");
        assert_eq!(d.material(&code).map(|m| m.max_bytes), Some(100));
    }

    const MONEY_AND_LISTS: &str = r#"
version = "test"
[fields."mother.benefit"]
type = "money"
min = 0
max = "50000.00"
label = { zh = "津贴", en = "Benefit" }
sensitivity = "personal"
[fields."household.children"]
type = "list"
items = "text"
format = "resident-id"
max_items = 2
label = { zh = "子女", en = "Children" }
sensitivity = "sensitive"
"#;

    #[test]
    fn money_is_exact_in_fen_both_ways() {
        let d = Dictionary::from_toml(MONEY_AND_LISTS, "money").expect("parses");
        let k = key("mother.benefit");
        for (json, fen) in [
            (serde_json::json!("12345.67"), 1_234_567),
            (serde_json::json!("0.1"), 10),
            (serde_json::json!(0.29), 29),
            (serde_json::json!(3), 300),
            (serde_json::json!("50000.00"), 5_000_000),
        ] {
            let v = d.parse_json(&k, &json).expect("money");
            assert_eq!(v, FieldValue::Money(fen), "{json}");
            assert_eq!(d.retype(&k, &v.to_json()), Some(v.clone()), "{json}");
        }
        assert_eq!(
            FieldValue::Money(1_234_567).to_json(),
            serde_json::json!("12345.67")
        );
        assert_eq!(money_text(-5), "-0.05");
        for bad in ["1.234", "1e3", "", "1.", ".5", "12,00", "abc"] {
            let e = d.parse_json(&k, &serde_json::json!(bad)).expect_err(bad);
            assert_eq!(e.code, "wrong-type", "{bad}");
            assert!(e.message.en.contains("two decimals"), "{}", e.message);
        }
        let e = d
            .parse_json(&k, &serde_json::json!("50000.01"))
            .expect_err("over");
        assert_eq!(e.code, "too-large");
        assert!(e.message.en.contains("50000.00"), "{}", e.message);
    }

    #[test]
    fn a_list_checks_every_item_and_its_length() {
        let d = Dictionary::from_toml(MONEY_AND_LISTS, "lists").expect("parses");
        let k = key("household.children");
        let ok = serde_json::json!(["350206202610200013", "11010519491231002X"]);
        let v = d.parse_json(&k, &ok).expect("list");
        assert!(matches!(&v, FieldValue::List(items) if items.len() == 2));
        assert_eq!(v.to_json(), ok);
        let e = d
            .parse_json(
                &k,
                &serde_json::json!(["350206202610200013", "350206202610200018"]),
            )
            .expect_err("bad check digit");
        assert!(e.message.en.contains("item 2"), "{}", e.message);
        let e = d
            .parse_json(&k, &serde_json::json!(["a", "b", "c"]))
            .expect_err("too many");
        assert_eq!(e.code, "too-many-items");
        assert!(e.message.en.contains("max_items 2"), "{}", e.message);
        let e = d
            .parse_json(&k, &serde_json::json!("350206202610200013"))
            .expect_err("not a list");
        assert_eq!(e.code, "wrong-type");
        let nested = MONEY_AND_LISTS.replace(r#"items = "text""#, r#"items = "list""#);
        let e = Dictionary::from_toml(&nested, "nested").expect_err("nested");
        assert!(e.to_string().contains("cannot be lists"), "{e}");
        let stray = SAMPLE.replace("min_length = 1", "min_length = 1\nmax_items = 3");
        let e = Dictionary::from_toml(&stray, "stray").expect_err("stray");
        assert!(e.to_string().contains("max_items does not apply"), "{e}");
    }

    #[test]
    fn unknown_setting_is_named() {
        let bad = SAMPLE.replace("min_length = 1", "min_lenght = 1");
        let err = Dictionary::from_toml(&bad, "sample")
            .expect_err("typo")
            .to_string();
        assert!(err.contains("min_lenght"), "{err}");
    }

    #[test]
    fn setting_of_wrong_type_is_named() {
        let bad = SAMPLE.replace("min = 0.01", "min = 0.01\nformat = \"uscc\"");
        let err = Dictionary::from_toml(&bad, "sample")
            .expect_err("format on decimal")
            .to_string();
        assert!(
            err.contains("enterprise.capital") && err.contains("format"),
            "{err}"
        );
    }

    #[test]
    fn unique_needs_issued() {
        let bad = SAMPLE.replace("min = 0.01", "min = 0.01\nunique = true");
        let err = Dictionary::from_toml(&bad, "sample")
            .expect_err("unique without issued")
            .to_string();
        assert!(
            err.contains("enterprise.capital") && err.contains("unique = true needs issued = true"),
            "{err}"
        );
        let good = SAMPLE.replace("min = 0.01", "min = 0.01\nissued = true\nunique = true");
        let d = Dictionary::from_toml(&good, "sample").expect("unique issued field");
        assert!(
            d.field(&key("enterprise.capital"))
                .is_some_and(|f| f.unique && f.issued)
        );
    }

    #[test]
    fn bad_key_is_named() {
        let bad = SAMPLE.replace("\"child.name\"", "\"Child Name\"");
        let err = Dictionary::from_toml(&bad, "sample")
            .expect_err("bad key")
            .to_string();
        assert!(err.contains("Child Name"), "{err}");
    }

    #[test]
    fn parses_and_validates_json_values() {
        let d = dict();
        assert_eq!(
            d.parse_json(&key("child.name"), &serde_json::json!("林安")),
            Ok(FieldValue::Text("林安".into()))
        );
        let too_long = d.parse_json(&key("child.name"), &serde_json::json!("林安然然然"));
        assert_eq!(too_long.map_err(|e| e.code), Err("too-long"));
        let wrong_type = d.parse_json(&key("child.name"), &serde_json::json!(3));
        assert_eq!(wrong_type.map_err(|e| e.code), Err("wrong-type"));
        let bad_id = d.parse_json(
            &key("mother.id_number"),
            &serde_json::json!("110105194912310021"),
        );
        assert_eq!(bad_id.map_err(|e| e.code), Err("bad-check-digit"));
        let bad_choice = d.parse_json(&key("child.sex"), &serde_json::json!("other"));
        assert_eq!(bad_choice.map_err(|e| e.code), Err("not-a-choice"));
        let low = d.parse_json(&key("enterprise.capital"), &serde_json::json!(0));
        assert_eq!(low.map_err(|e| e.code), Err("too-small"));
        let unknown = d.parse_json(&key("x.y"), &serde_json::json!(1));
        assert_eq!(unknown.map_err(|e| e.code), Err("unknown-field"));
    }

    /// The host's verdict on the shared table of coded-identifier vectors
    /// (the SDK runs the same table in `sdk/tests/id_vectors.rs`): typing
    /// each vector as an applicant's value of a field of that format gives
    /// the vector's verdict and problem code.
    #[test]
    fn the_dictionary_agrees_with_the_shared_id_vectors() {
        use onething_idcodes::vectors::{Kind, VECTORS};
        let mut text = String::from("version = \"vectors\"\n");
        let formats = [
            (Kind::ResidentId, "resident-id"),
            (Kind::Uscc, "uscc"),
            (Kind::BankCard, "bank-card"),
            (Kind::MobilePhone, "mobile-phone"),
            (Kind::PostalCode, "postal-code"),
        ];
        for (_, format) in formats {
            text.push_str(&format!(
                "[fields.\"v.{}\"]\ntype = \"text\"\nformat = \"{format}\"\nlabel = {{ zh = \"码\", en = \"Code\" }}\nsensitivity = \"sensitive\"\n",
                format.replace('-', "_")
            ));
        }
        let d = Dictionary::from_toml(&text, "vectors").expect("vector dictionary");
        let mut checked = 0;
        for v in VECTORS {
            let Some((_, format)) = formats.iter().find(|(k, _)| *k == v.kind) else {
                // Organisation codes are not a dictionary format.
                continue;
            };
            let field = key(&format!("v.{}", format.replace('-', "_")));
            let verdict = d
                .parse_json(&field, &serde_json::json!(v.input))
                .map(|_| ())
                .map_err(|e| e.code);
            assert_eq!(
                verdict,
                v.expected.map_or(Ok(()), Err),
                "{:?} {:?} ({})",
                v.kind,
                v.input,
                v.about
            );
            checked += 1;
        }
        assert!(checked >= 40, "only {checked} vectors checked");
    }
}
