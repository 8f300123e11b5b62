//! One form, one set of materials, one notification: the merge of every
//! step's declared reads and materials for a bundle.
//!
//! Fields are deduplicated by dictionary key, carry every department that
//! reads them with its purpose, and are required always, only when a
//! conditional step runs, or never. Issued fields are not in the form:
//! departments write them. Not for checking a filled form: see
//! [`crate::rules`].

use serde::Serialize;
use serde_json::{Value, json};

use crate::bundle::{Bundle, Condition, Test};
use crate::dictionary::{Dictionary, FieldKind, Label, Sensitivity, TextFormat, money_text};
use crate::grants::Grants;
use crate::ids::{FieldKey, MaterialCode, StepRef};
use crate::text::{Lang, Text};

/// A department that asks for a field or material, and why; for a field,
/// the grant under which it may read it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct Need {
    /// The step.
    pub step: StepRef,
    /// Its stated purpose.
    pub purpose: Text,
    /// Whether that step requires it.
    pub required: bool,
    /// The law or regulation under which the department receives it (its
    /// grant in the data-sharing register).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<Text>,
    /// The owner of the data who approved that grant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<Text>,
}

/// When a field or material is required.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "when", content = "conditions", rename_all = "kebab-case")]
pub enum Requirement {
    /// Always.
    Always,
    /// Only when one of these conditions holds (a conditional step runs).
    When(Vec<Condition>),
    /// Never: optional.
    Optional,
}

/// One field of the merged form.
#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    /// Dictionary key.
    pub key: FieldKey,
    /// Label.
    pub label: Label,
    /// Sensitivity.
    pub sensitivity: Sensitivity,
    /// When it is required.
    pub requirement: Requirement,
    /// Who asks for it.
    pub needed_by: Vec<Need>,
}

/// One material of the merged list.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct FormMaterial {
    /// Material code.
    pub code: MaterialCode,
    /// Label.
    pub label: Label,
    /// Accepted media types.
    pub media_types: Vec<String>,
    /// Size limit.
    pub max_bytes: u64,
    /// When it is required.
    pub requirement: Requirement,
    /// Who asks for it.
    pub needed_by: Vec<Need>,
}

/// The one form of a bundle.
#[derive(Debug, Clone, Serialize)]
pub struct OneForm {
    /// Bundle id.
    pub bundle: String,
    /// Bundle title.
    pub title: Label,
    /// Fields, in the order steps first ask for them.
    pub fields: Vec<FormField>,
    /// Materials, in the order steps first ask for them.
    pub materials: Vec<FormMaterial>,
    /// Time limit of the bundle in hours.
    pub time_limit_hours: f64,
}

fn merge_requirement(current: &mut Requirement, step_required: bool, when: Option<&Condition>) {
    if !step_required {
        return;
    }
    match (when, &mut *current) {
        (None, _) => *current = Requirement::Always,
        (Some(_), Requirement::Always) => {}
        (Some(c), Requirement::When(cs)) => {
            if !cs.contains(c) {
                cs.push(c.clone());
            }
        }
        (Some(c), Requirement::Optional) => *current = Requirement::When(vec![c.clone()]),
    }
}

/// Merge a bundle's steps into its one form; each field says who receives
/// it, why, and under which grant of `grants`.
pub fn build(bundle: &Bundle, dict: &Dictionary, grants: &Grants) -> OneForm {
    let mut fields: Vec<FormField> = Vec::new();
    let mut materials: Vec<FormMaterial> = Vec::new();
    for s in &bundle.steps {
        for r in &s.spec.reads {
            let Some(def) = dict.field(&r.key) else {
                continue;
            };
            if def.issued {
                continue;
            }
            let pos = match fields.iter().position(|f| f.key == r.key) {
                Some(p) => p,
                None => {
                    fields.push(FormField {
                        key: r.key.clone(),
                        label: def.label.clone(),
                        sensitivity: def.sensitivity,
                        requirement: Requirement::Optional,
                        needed_by: Vec::new(),
                    });
                    fields.len() - 1
                }
            };
            let f = &mut fields[pos];
            merge_requirement(&mut f.requirement, r.required, s.when.as_ref());
            let grant = grants.grant_for(&s.reference.department, &r.key);
            f.needed_by.push(Need {
                step: s.reference.clone(),
                purpose: r.purpose.clone(),
                required: r.required,
                legal_basis: grant.map(|g| g.legal_basis.clone()),
                approved_by: grant.map(|g| g.approved_by.clone()),
            });
        }
        for m in &s.spec.materials {
            let Some(def) = dict.material(&m.code) else {
                continue;
            };
            let pos = match materials.iter().position(|x| x.code == m.code) {
                Some(p) => p,
                None => {
                    materials.push(FormMaterial {
                        code: m.code.clone(),
                        label: def.label.clone(),
                        media_types: def.media_types.clone(),
                        max_bytes: def.max_bytes,
                        requirement: Requirement::Optional,
                        needed_by: Vec::new(),
                    });
                    materials.len() - 1
                }
            };
            let x = &mut materials[pos];
            merge_requirement(&mut x.requirement, m.required, s.when.as_ref());
            x.needed_by.push(Need {
                step: s.reference.clone(),
                purpose: m.purpose.clone(),
                required: m.required,
                legal_basis: None,
                approved_by: None,
            });
        }
    }
    OneForm {
        bundle: bundle.id.to_string(),
        title: bundle.title.clone(),
        fields,
        materials,
        time_limit_hours: bundle.time_limit.as_secs_f64() / 3600.0,
    }
}

fn condition_schema(c: &Condition) -> Value {
    let key = c.field.as_str();
    match &c.test {
        Test::Equals(v) => {
            json!({ "properties": { key: { "const": v.to_json() } }, "required": [key] })
        }
        Test::OneOf(vs) => {
            json!({ "properties": { key: { "enum": vs.iter().map(|v| v.to_json()).collect::<Vec<_>>() } }, "required": [key] })
        }
        Test::Present(true) => json!({ "required": [key] }),
        Test::Present(false) => json!({ "not": { "required": [key] } }),
    }
}

fn format_pattern(f: TextFormat) -> (&'static str, &'static str) {
    match f {
        TextFormat::ResidentId => ("resident-id", "^[1-8][0-9]{16}[0-9X]$"),
        TextFormat::Uscc => (
            "uscc",
            "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        ),
        TextFormat::MobilePhone => ("mobile-phone", "^1[3-9][0-9]{9}$"),
        TextFormat::BankCard => ("bank-card", "^[0-9]{12,19}$"),
        TextFormat::PostalCode => ("postal-code", "^[0-9]{6}$"),
    }
}

impl OneForm {
    /// The form as a JSON Schema (draft 2020-12), with labels (in
    /// `lang`), validation, and conditional requirements as `if`/`then`.
    pub fn json_schema(&self, dict: &Dictionary, lang: Lang) -> Value {
        let mut properties = serde_json::Map::new();
        let mut required = Vec::new();
        let mut all_of = Vec::new();
        for (order, f) in self.fields.iter().enumerate() {
            let Some(def) = dict.field(&f.key) else {
                continue;
            };
            let mut p = serde_json::Map::new();
            p.insert("title".into(), json!(def.label.get(lang)));
            // The form's own order (JSON objects have none).
            p.insert("x-order".into(), json!(order));
            if let Some(d) = &def.description {
                p.insert("description".into(), json!(d.get(lang)));
            }
            kind_schema(&def.kind, &mut p);
            p.insert("x-sensitivity".into(), json!(def.sensitivity));
            p.insert("x-needed-by".into(), json!(f.needed_by));
            properties.insert(f.key.to_string(), Value::Object(p));
            match &f.requirement {
                Requirement::Always => required.push(f.key.to_string()),
                Requirement::When(conds) => {
                    for c in conds {
                        all_of.push(json!({ "if": condition_schema(c), "then": { "required": [f.key.as_str()] } }));
                    }
                }
                Requirement::Optional => {}
            }
        }
        let mut schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": format!("urn:onething:bundle:{}:form", self.bundle),
            "title": self.title.get(lang),
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        });
        if !all_of.is_empty() {
            schema["allOf"] = Value::Array(all_of);
        }
        schema
    }

    /// The one-time notification of everything needed, for people, wholly
    /// in `lang` (identifiers, keys and media types as they are).
    pub fn notification(&self, lang: Lang) -> String {
        use std::fmt::Write as _;
        let zh = lang == Lang::Zh;
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.title.get(lang));
        let hours = self.time_limit_hours;
        let _ = if zh {
            writeln!(s, "一张表单，一套材料。办理时限：{hours} 小时。\n")
        } else {
            writeln!(
                s,
                "One form, one set of materials. Time limit: {hours} hours.\n"
            )
        };
        let n = self.fields.len();
        let _ = if zh {
            writeln!(s, "填写事项（{n} 项）：")
        } else {
            writeln!(s, "Fields ({n}):")
        };
        for f in &self.fields {
            let req = requirement_text(&f.requirement, lang);
            let who: Vec<String> = f
                .needed_by
                .iter()
                .map(|n| {
                    let purpose = n.purpose.get(lang);
                    match (&n.legal_basis, zh) {
                        (Some(basis), true) => {
                            format!("{}（{purpose}；依据 {}）", n.step, basis.get(lang))
                        }
                        (Some(basis), false) => {
                            format!("{} ({purpose}; under {})", n.step, basis.get(lang))
                        }
                        (None, true) => format!("{}（{purpose}）", n.step),
                        (None, false) => format!("{} ({purpose})", n.step),
                    }
                })
                .collect();
            let label = f.label.get(lang);
            let _ = if zh {
                writeln!(
                    s,
                    "  - {label} [{}] {req}；使用方：{}",
                    f.key,
                    who.join("；")
                )
            } else {
                writeln!(
                    s,
                    "  - {label} [{}] {req}; used by {}",
                    f.key,
                    who.join("; ")
                )
            };
        }
        let n = self.materials.len();
        let _ = if zh {
            writeln!(s, "\n提交材料（{n} 项）：")
        } else {
            writeln!(s, "\nMaterials ({n}):")
        };
        for m in &self.materials {
            let req = requirement_text(&m.requirement, lang);
            let who: Vec<String> = m.needed_by.iter().map(|n| n.step.to_string()).collect();
            let label = m.label.get(lang);
            let kib = m.max_bytes / 1024;
            let _ = if zh {
                writeln!(
                    s,
                    "  - {label} [{}] {req}；格式 {}；不超过 {kib} KiB；使用方：{}",
                    m.code,
                    m.media_types.join(" 或 "),
                    who.join("、")
                )
            } else {
                writeln!(
                    s,
                    "  - {label} [{}] {req}; {}; at most {kib} KiB; used by {}",
                    m.code,
                    m.media_types.join(" or "),
                    who.join(", ")
                )
            };
        }
        s
    }
}

fn requirement_text(r: &Requirement, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match r {
        Requirement::Always => lang.pick("必填", "required").into(),
        Requirement::Optional => lang.pick("选填", "optional").into(),
        Requirement::When(cs) => {
            let parts: Vec<String> = cs
                .iter()
                .map(|c| {
                    let values = |vs: &[crate::dictionary::FieldValue]| {
                        Value::Array(vs.iter().map(|v| v.to_json()).collect())
                    };
                    // In Chinese, a condition's key and values stand in
                    // brackets, as keys do.
                    match (&c.test, zh) {
                        (Test::Equals(v), true) => format!("[{} = {}]", c.field, v.to_json()),
                        (Test::Equals(v), false) => format!("{} = {}", c.field, v.to_json()),
                        (Test::OneOf(vs), true) => format!("[{}] 为 {} 之一", c.field, values(vs)),
                        (Test::OneOf(vs), false) => format!("{} in {}", c.field, values(vs)),
                        (Test::Present(true), true) => format!("已填写 [{}]", c.field),
                        (Test::Present(true), false) => format!("{} is given", c.field),
                        (Test::Present(false), true) => format!("未填写 [{}]", c.field),
                        (Test::Present(false), false) => format!("{} is not given", c.field),
                    }
                })
                .collect();
            if zh {
                format!("在 {} 时必填", parts.join(" 或 "))
            } else {
                format!("required when {}", parts.join(" or "))
            }
        }
    }
}

/// The JSON Schema keywords of one kind of field (or list item).
fn kind_schema(kind: &FieldKind, p: &mut serde_json::Map<String, Value>) {
    match kind {
        FieldKind::Text {
            min_length,
            max_length,
            format,
        } => {
            p.insert("type".into(), json!("string"));
            if let Some(n) = min_length {
                p.insert("minLength".into(), json!(n));
            }
            if let Some(n) = max_length {
                p.insert("maxLength".into(), json!(n));
            }
            if let Some(fmt) = format {
                let (name, pattern) = format_pattern(*fmt);
                p.insert("format".into(), json!(name));
                p.insert("pattern".into(), json!(pattern));
            }
        }
        FieldKind::Integer { min, max } => {
            p.insert("type".into(), json!("integer"));
            if let Some(n) = min {
                p.insert("minimum".into(), json!(n));
            }
            if let Some(n) = max {
                p.insert("maximum".into(), json!(n));
            }
        }
        FieldKind::Decimal { min, max } => {
            p.insert("type".into(), json!("number"));
            if let Some(n) = min {
                p.insert("minimum".into(), json!(n));
            }
            if let Some(n) = max {
                p.insert("maximum".into(), json!(n));
            }
        }
        FieldKind::Boolean => {
            p.insert("type".into(), json!("boolean"));
        }
        FieldKind::Date => {
            p.insert("type".into(), json!("string"));
            p.insert("format".into(), json!("date"));
        }
        FieldKind::Choice { choices } => {
            p.insert("type".into(), json!("string"));
            p.insert("enum".into(), json!(choices));
        }
        FieldKind::Money { min, max } => {
            // Yuan with at most two decimals, as a string: exact.
            p.insert("type".into(), json!("string"));
            p.insert("format".into(), json!("money"));
            p.insert("pattern".into(), json!("^-?[0-9]+(\\.[0-9]{1,2})?$"));
            if let Some(n) = min {
                p.insert("x-minimum".into(), json!(money_text(*n)));
            }
            if let Some(n) = max {
                p.insert("x-maximum".into(), json!(money_text(*n)));
            }
        }
        FieldKind::List { items, max_items } => {
            let mut item = serde_json::Map::new();
            kind_schema(items, &mut item);
            p.insert("type".into(), json!("array"));
            p.insert("items".into(), Value::Object(item));
            p.insert("maxItems".into(), json!(max_items));
        }
    }
}
