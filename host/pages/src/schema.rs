//! A bundle's one form, from its merged JSON Schema (`GET
//! /api/bundles/{id}/form`), as fields to render: each field's input,
//! whether it is required always or only when a condition on another
//! field holds (the bundle's `when`, as `allOf` / `if` / `then`), and who
//! needs it and why. And back: the values a browser posted, typed as the
//! schema says, as the application's `fields`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

/// One condition on another field: the field shows (and is required)
/// when it holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    /// The field tested.
    pub key: String,
    /// `equals`, `one-of`, `present` or `absent`.
    pub test: &'static str,
    /// The values it is compared with (as the form posts them: `true`,
    /// `male`, …).
    pub values: Vec<String>,
}

impl Condition {
    /// Whether it holds for the posted `values`.
    pub fn holds(&self, values: &BTreeMap<String, String>) -> bool {
        let given = values
            .get(&self.key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty());
        match self.test {
            "present" => given.is_some(),
            "absent" => given.is_none(),
            _ => given.is_some_and(|g| self.values.iter().any(|v| v == g)),
        }
    }
}

/// One field of the form.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Its dictionary key, and the input's name.
    pub key: String,
    /// The input's id (the key with `.` as `-`).
    pub id: String,
    /// Its label.
    pub title: String,
    /// A hint.
    pub description: Option<String>,
    /// `text`, `date`, `number`, `boolean` or `choice`.
    pub input: &'static str,
    /// The schema's type (`string`, `number`, `integer`, `boolean`).
    pub json_type: String,
    /// Required whatever else is filled in.
    pub required: bool,
    /// Shown and required only when one of these holds.
    pub when: Vec<Condition>,
    /// The choices of a `choice`.
    pub choices: Vec<String>,
    /// A pattern the browser can check (HTML `pattern`).
    pub pattern: Option<String>,
    /// Length bounds.
    pub min_length: Option<u64>,
    /// Length bounds.
    pub max_length: Option<u64>,
    /// Number bounds.
    pub minimum: Option<f64>,
    /// Number bounds.
    pub maximum: Option<f64>,
    /// The keyboard a phone should offer (`numeric`, `tel`, `decimal`).
    pub input_mode: Option<&'static str>,
    /// `public`, `personal` or `sensitive`.
    pub sensitivity: String,
    /// Who needs it and why: `{step, purpose, legal_basis, approved_by}`.
    pub needed_by: Vec<Value>,
}

impl Field {
    /// The departments whose steps read it.
    pub fn departments(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .needed_by
            .iter()
            .filter_map(|n| n["step"].as_str())
            .filter_map(|s| s.split('/').next())
            .map(str::to_owned)
            .collect();
        all.dedup();
        all
    }

    /// Whether it is asked for given what is `values`: always, unless it
    /// hangs on conditions of which none holds.
    pub fn applies(&self, values: &BTreeMap<String, String>) -> bool {
        self.when.is_empty() || self.when.iter().any(|c| c.holds(values))
    }
}

fn condition_of(schema: &Value) -> Option<Condition> {
    if let Some(not) = schema.get("not") {
        let key = not["required"].get(0)?.as_str()?.to_owned();
        return Some(Condition {
            key,
            test: "absent",
            values: Vec::new(),
        });
    }
    let key = schema["required"].get(0)?.as_str()?.to_owned();
    let shown = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match schema.get("properties").and_then(|p| p.get(&key)) {
        Some(p) if p.get("const").is_some() => Some(Condition {
            test: "equals",
            values: vec![shown(&p["const"])],
            key,
        }),
        Some(p) if p.get("enum").is_some() => Some(Condition {
            test: "one-of",
            values: p["enum"].as_array()?.iter().map(shown).collect(),
            key,
        }),
        _ => Some(Condition {
            key,
            test: "present",
            values: Vec::new(),
        }),
    }
}

/// The fields of a form's schema, in the form's order.
pub fn fields(schema: &Value) -> Vec<Field> {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut when: BTreeMap<String, Vec<Condition>> = BTreeMap::new();
    for rule in schema["allOf"].as_array().into_iter().flatten() {
        let Some(condition) = condition_of(&rule["if"]) else {
            continue;
        };
        for key in rule["then"]["required"].as_array().into_iter().flatten() {
            if let Some(key) = key.as_str()
                // A field that is its own condition is always shown.
                && key != condition.key
            {
                let list = when.entry(key.to_owned()).or_default();
                if !list.contains(&condition) {
                    list.push(condition.clone());
                }
            }
        }
    }
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    let mut all: Vec<(u64, Field)> = properties
        .iter()
        .map(|(key, p)| {
            let json_type = p["type"].as_str().unwrap_or("string").to_owned();
            let format = p["format"].as_str();
            let choices: Vec<String> = p["enum"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let input = match (json_type.as_str(), format) {
                ("boolean", _) => "boolean",
                ("number" | "integer", _) => "number",
                (_, Some("date")) => "date",
                _ if !choices.is_empty() => "choice",
                _ => "text",
            };
            let input_mode = match (json_type.as_str(), format) {
                ("integer", _) => Some("numeric"),
                ("number", _) => Some("decimal"),
                (_, Some("mobile-phone")) => Some("tel"),
                (_, Some("bank-card" | "postal-code")) => Some("numeric"),
                _ => None,
            };
            let field = Field {
                id: format!("f-{}", key.replace('.', "-")),
                key: key.clone(),
                title: p["title"].as_str().unwrap_or(key).to_owned(),
                description: p["description"].as_str().map(str::to_owned),
                input,
                json_type,
                required: required.contains(&key.as_str()),
                when: when.remove(key).unwrap_or_default(),
                choices,
                pattern: p["pattern"]
                    .as_str()
                    .map(|s| s.trim_start_matches('^').trim_end_matches('$').to_owned()),
                min_length: p["minLength"].as_u64(),
                max_length: p["maxLength"].as_u64(),
                minimum: p["minimum"].as_f64(),
                maximum: p["maximum"].as_f64(),
                input_mode,
                sensitivity: p["x-sensitivity"].as_str().unwrap_or("personal").to_owned(),
                needed_by: p["x-needed-by"].as_array().cloned().unwrap_or_default(),
            };
            (p["x-order"].as_u64().unwrap_or(u64::MAX), field)
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.key.cmp(&b.1.key)));
    all.into_iter().map(|(_, f)| f).collect()
}

/// The posted `values` as the application's `fields`: typed as the
/// schema says, blanks left out, and the fields whose conditions do not
/// hold left out (nobody needs them). A value that is not of its type is
/// sent as typed, for the API to name the problem.
pub fn to_json(fields: &[Field], values: &BTreeMap<String, String>) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields {
        let Some(raw) = values
            .get(&f.key)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        if !f.applies(values) {
            continue;
        }
        let value = match f.json_type.as_str() {
            "boolean" => match raw {
                "true" => json!(true),
                "false" => json!(false),
                other => json!(other),
            },
            "integer" => raw.parse::<i64>().map(|n| json!(n)).unwrap_or(json!(raw)),
            "number" => raw
                .parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .unwrap_or(json!(raw)),
            _ => json!(raw),
        };
        out.insert(f.key.clone(), value);
    }
    out
}

/// Values as the form shows them (a prefilled or submitted JSON value
/// back as text).
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "required": ["child.name", "mother.id_number"],
            "properties": {
                "child.name": {"type": "string", "title": "新生儿姓名", "maxLength": 32, "x-order": 0,
                    "x-needed-by": [{"step": "health/birth-certificate", "purpose": "p"}, {"step": "health/vaccination-record", "purpose": "q"}, {"step": "tax/x", "purpose": "r"}]},
                "mother.id_number": {"type": "string", "format": "resident-id", "pattern": "^[1-8][0-9]{16}[0-9X]$", "title": "母亲公民身份号码", "x-order": 1, "x-sensitivity": "sensitive"},
                "mother.insured": {"type": "boolean", "title": "参保", "x-order": 2},
                "mother.wage": {"type": "number", "title": "工资", "minimum": 0.01, "x-order": 3},
                "child.sex": {"type": "string", "enum": ["male", "female"], "title": "性别", "x-order": 4},
                "child.birth_date": {"type": "string", "format": "date", "title": "出生日期", "x-order": 5},
                "guardian.phone": {"type": "string", "format": "mobile-phone", "title": "手机", "x-order": 6},
            },
            "allOf": [
                {"if": {"properties": {"mother.insured": {"const": true}}, "required": ["mother.insured"]},
                 "then": {"required": ["mother.insured"]}},
                {"if": {"properties": {"mother.insured": {"const": true}}, "required": ["mother.insured"]},
                 "then": {"required": ["mother.wage"]}},
                {"if": {"properties": {"child.sex": {"enum": ["male", "female"]}}, "required": ["child.sex"]},
                 "then": {"required": ["child.birth_date"]}},
                {"if": {"not": {"required": ["child.name"]}}, "then": {"required": ["guardian.phone"]}},
            ]
        })
    }

    #[test]
    fn fields_come_in_the_forms_order_with_their_inputs() {
        let fields = fields(&schema());
        let keys: Vec<_> = fields.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "child.name",
                "mother.id_number",
                "mother.insured",
                "mother.wage",
                "child.sex",
                "child.birth_date",
                "guardian.phone"
            ]
        );
        let inputs: Vec<_> = fields.iter().map(|f| f.input).collect();
        assert_eq!(
            inputs,
            [
                "text", "text", "boolean", "number", "choice", "date", "text"
            ]
        );
        assert!(fields[0].required && fields[1].required && !fields[2].required);
        assert_eq!(fields[1].pattern.as_deref(), Some("[1-8][0-9]{16}[0-9X]"));
        assert_eq!(fields[1].sensitivity, "sensitive");
        assert_eq!(fields[3].input_mode, Some("decimal"));
        assert_eq!(fields[6].input_mode, Some("tel"));
        assert_eq!(fields[0].departments(), ["health", "tax"]);
    }

    #[test]
    fn conditions_are_read_from_if_then() {
        let fields = fields(&schema());
        // The condition's own field is always shown.
        assert!(fields[2].when.is_empty());
        assert_eq!(
            fields[3].when,
            [Condition {
                key: "mother.insured".into(),
                test: "equals",
                values: vec!["true".into()]
            }]
        );
        assert_eq!(fields[5].when[0].test, "one-of");
        assert_eq!(fields[5].when[0].values, ["male", "female"]);
        assert_eq!(fields[6].when[0].test, "absent");
    }

    #[test]
    fn posted_values_are_typed_and_what_does_not_apply_is_left_out() {
        let fields = fields(&schema());
        let mut values: BTreeMap<String, String> = [
            ("child.name", " 林安然 "),
            ("mother.id_number", ""),
            ("mother.insured", "false"),
            ("mother.wage", "9000.5"),
            ("child.sex", "female"),
            ("child.birth_date", "2026-10-20"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let doc = to_json(&fields, &values);
        assert_eq!(doc["child.name"], json!("林安然"));
        assert!(!doc.contains_key("mother.id_number"), "blank");
        assert_eq!(doc["mother.insured"], json!(false));
        assert!(
            !doc.contains_key("mother.wage"),
            "its condition does not hold"
        );
        assert_eq!(doc["child.birth_date"], json!("2026-10-20"));
        values.insert("mother.insured".into(), "true".into());
        values.insert("mother.wage".into(), "lots".into());
        let doc = to_json(&fields, &values);
        assert_eq!(
            doc["mother.wage"],
            json!("lots"),
            "sent as typed, for the API to name"
        );
        values.insert("mother.wage".into(), "9000.5".into());
        assert_eq!(to_json(&fields, &values)["mother.wage"], json!(9000.5));
    }

    #[test]
    fn values_are_shown_as_text() {
        assert_eq!(as_text(&json!("a")), "a");
        assert_eq!(as_text(&json!(true)), "true");
        assert_eq!(as_text(&json!(9000.0)), "9000.0");
        assert_eq!(as_text(&Value::Null), "");
    }
}
