//! The case file, as written: one TOML file per suite of cases for one
//! department's component, each case giving what goes in (a step, fields,
//! materials, a pinned date, the department's store contents, mocked
//! answers of its systems) and the outcome expected out.
//!
//! ```toml
//! [plugin]
//! department = "housing-fund"          # <plugins>/housing-fund.wasm
//! config = { base_url = "https://gjj.example.gov.cn" }
//!
//! [defaults]
//! step = "open-account"
//! today = 2026-11-28
//! fields = { "child.name" = "林安然" }
//!
//! [[case]]
//! name = "opens an account"
//! [[case.outbound]]
//! method = "POST"
//! url = "https://gjj.example.gov.cn/accounts"
//! status = 201
//! json = { account = "GJJ-1" }
//! [case.expect]
//! outcome = "approved"
//! fields = { "child.housing_fund_account" = "GJJ-1" }
//! ```
//!
//! Unknown keys are refused, so a misspelt expectation never passes
//! silently. Checking the values against the dictionary and the step's
//! declaration is [`super::plan`]'s.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// A whole case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// The component the cases run against.
    pub plugin: PluginTable,
    /// What every case has unless it says otherwise.
    #[serde(default)]
    pub defaults: Defaults,
    /// The cases.
    #[serde(default, rename = "case")]
    pub cases: Vec<Case>,
}

/// `[plugin]`: which component, and the operator's settings for its
/// department that the cases assume.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginTable {
    /// The department (its component must declare the same).
    pub department: String,
    /// The component file, relative to the case file; by default
    /// `<plugins>/<department>.wasm`.
    pub component: Option<PathBuf>,
    /// Configuration values (`[config.<department>]` of onething.toml).
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Secrets by name, test values only (`[secrets.<department>]`).
    #[serde(default)]
    pub secrets: BTreeMap<String, String>,
    /// The outbound policy, as `[outbound.<department>]` of onething.toml;
    /// by default the origins the cases mock are allowed.
    pub outbound: Option<toml::Table>,
}

/// `[defaults]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    /// The step, when the component has several.
    pub step: Option<String>,
    /// Today's date for the plugin's clock.
    pub today: Option<toml::Value>,
    /// The attempt number.
    pub attempt: Option<u32>,
    /// The application's id the step sees (default `case-<n>`).
    pub application: Option<String>,
    /// Fields every case starts from.
    #[serde(default)]
    pub fields: toml::Table,
    /// Materials every case has unless it lists its own.
    pub materials: Option<Vec<MaterialEntry>>,
    /// The department's store before every case.
    #[serde(default)]
    pub store: toml::Table,
}

/// One `[[case]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// What it shows, unique in the file.
    pub name: String,
    /// The step (default `[defaults] step`, or the component's only one).
    pub step: Option<String>,
    /// Today's date (default `[defaults] today`, else the real date).
    pub today: Option<toml::Value>,
    /// The attempt number (default 1).
    pub attempt: Option<u32>,
    /// The application's id the step sees.
    pub application: Option<String>,
    /// Fields, over the defaults'; `false` takes a default's out.
    #[serde(default)]
    pub fields: toml::Table,
    /// Materials, instead of the defaults'.
    pub materials: Option<Vec<MaterialEntry>>,
    /// The department's store before the case, over the defaults'.
    #[serde(default)]
    pub store: toml::Table,
    /// The answers of the department's systems, in order per request.
    #[serde(default)]
    pub outbound: Vec<Mock>,
    /// What must come out.
    pub expect: Expect,
}

/// A material supplied: what a step is told of it (never its bytes).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaterialEntry {
    /// The material code.
    pub code: String,
    /// A file (relative to the case file) whose digest, type and size the
    /// step sees.
    pub file: Option<PathBuf>,
    /// Its media type (default application/pdf).
    pub media_type: Option<String>,
    /// Its size in bytes (default 1024).
    pub size: Option<u64>,
}

/// A mocked answer of a department's system to one request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mock {
    /// The method (default GET).
    pub method: Option<String>,
    /// The whole URL the request goes to (its query included, if any).
    pub url: String,
    /// The status (default 200).
    pub status: Option<u16>,
    /// A JSON body.
    pub json: Option<toml::Value>,
    /// A text body.
    pub body: Option<String>,
    /// Headers of the answer.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Instead of answering: `timeout` or `refused`.
    pub fail: Option<String>,
    /// How many requests it answers (default 1).
    pub times: Option<u32>,
    /// Headers the request must carry (what the host injects among them).
    #[serde(default)]
    pub require_headers: Vec<String>,
}

/// `[case.expect]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// `approved`, `needs-more`, `rejected`, `deferred` or `error`.
    pub outcome: String,
    /// Approved: exactly the fields written.
    pub fields: Option<toml::Table>,
    /// Approved: the documents issued, by kind (a string) or kind and
    /// number (a table).
    pub documents: Option<Vec<toml::Value>>,
    /// Needs more: the problems, each `code` or `subject: code`.
    pub problems: Option<Vec<String>>,
    /// Rejected: words the reason contains (zh or en).
    pub reason: Option<String>,
    /// Deferred: the ticket's id.
    pub ticket: Option<String>,
    /// Error: its kind (`transient`, `permanent`, `unreachable`, or the
    /// sandbox's: `deadline`, `fuel`, `memory`, `trap`, `output-too-large`
    /// …).
    pub error: Option<String>,
    /// Error: words its message contains.
    pub message: Option<String>,
    /// The department's store after the case, for the keys listed
    /// (`false`: the key is absent).
    pub store: Option<toml::Table>,
    /// The requests made, in order: `METHOD URL`.
    pub requests: Option<Vec<String>>,
}

/// A TOML value as JSON (dates as `YYYY-MM-DD` text).
pub fn json_of(value: &toml::Value) -> serde_json::Value {
    match value {
        toml::Value::String(s) => serde_json::Value::String(s.clone()),
        toml::Value::Integer(i) => serde_json::Value::from(*i),
        toml::Value::Float(f) => serde_json::Value::from(*f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
        toml::Value::Datetime(d) => serde_json::Value::String(d.to_string()),
        toml::Value::Array(items) => serde_json::Value::Array(items.iter().map(json_of).collect()),
        toml::Value::Table(t) => {
            serde_json::Value::Object(t.iter().map(|(k, v)| (k.clone(), json_of(v))).collect())
        }
    }
}

/// A store value as written in a case: a string as its text, anything
/// else as JSON.
pub fn store_bytes(value: &toml::Value) -> Vec<u8> {
    match value {
        toml::Value::String(s) => s.as_bytes().to_vec(),
        other => json_of(other).to_string().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_in_the_docs_parses() {
        let text = r#"
[plugin]
department = "housing-fund"
config = { base_url = "https://gjj.example.gov.cn" }

[defaults]
step = "open-account"
today = 2026-11-28
fields = { "child.name" = "林安然" }

[[case]]
name = "opens an account"
[[case.outbound]]
method = "POST"
url = "https://gjj.example.gov.cn/accounts"
status = 201
json = { account = "GJJ-1" }
[case.expect]
outcome = "approved"
fields = { "child.housing_fund_account" = "GJJ-1" }
"#;
        let file: CaseFile = toml::from_str(text).expect("parses");
        assert_eq!(file.cases.len(), 1);
        assert_eq!(file.cases[0].outbound[0].status, Some(201));
        assert_eq!(
            json_of(file.defaults.today.as_ref().expect("today")),
            serde_json::json!("2026-11-28")
        );
    }

    #[test]
    fn a_misspelt_expectation_is_refused() {
        let text = r#"
[plugin]
department = "tax"
[[case]]
name = "x"
[case.expect]
outcome = "approved"
feilds = {}
"#;
        let e = toml::from_str::<CaseFile>(text).expect_err("refused");
        assert!(e.to_string().contains("feilds"), "{e}");
    }

    #[test]
    fn store_values_are_text_or_json() {
        assert_eq!(store_bytes(&toml::Value::String("a".into())), b"a");
        let t: toml::Table = toml::from_str("v = { n = 1 }").expect("toml");
        assert_eq!(store_bytes(&t["v"]), br#"{"n":1}"#);
    }
}
