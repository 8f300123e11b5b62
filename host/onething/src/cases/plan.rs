//! A case checked against the component and the dictionary, made into
//! what the runner does: the step request the host would send, the date,
//! the store's contents, the mocked answers, and the expectation with its
//! values typed by the dictionary.
//!
//! A case the host could never produce is refused here, naming the case
//! and the key: a field the step does not read (the host passes only
//! declared fields), a value the dictionary refuses (the applicant would
//! have been told at submission), a material the step does not need.

use chrono::NaiveDate;
use onething_catalog::source::SourceDir;
use onething_model::call::{CallMaterial, Field, StepRequest};
use onething_model::dictionary::Dictionary;
use onething_model::ids::{Digest, FieldKey, MaterialCode, StepId};
use onething_model::manifest::{Manifest, StepSpec};
use onething_runtime::capabilities::http::MockAnswer;

use super::format::{Case, Defaults, Mock, json_of, store_bytes};

/// A case ready to run.
#[derive(Debug, Clone)]
pub struct Planned {
    /// What the host sends the plugin.
    pub request: StepRequest,
    /// Today's date for the plugin, if pinned.
    pub today: Option<NaiveDate>,
    /// The department's store before the call.
    pub store: Vec<(String, Vec<u8>)>,
    /// The systems' answers.
    pub mocks: Vec<PlannedMock>,
    /// What must come out.
    pub expect: Expected,
}

/// One mocked answer, its URL as the host sends it.
#[derive(Debug, Clone)]
pub struct PlannedMock {
    /// Upper-case method.
    pub method: String,
    /// The URL, normalised.
    pub url: String,
    /// The answer.
    pub answer: MockAnswer,
    /// How many requests it answers.
    pub times: u32,
    /// Headers the request must carry (lower case).
    pub require_headers: Vec<String>,
}

/// The outcomes a case can expect.
pub const OUTCOMES: &[&str] = &["approved", "needs-more", "rejected", "deferred", "error"];

/// An expectation, its field values typed by the dictionary.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    /// One of [`OUTCOMES`].
    pub outcome: String,
    /// Approved: exactly these fields, as JSON of their typed values.
    pub fields: Option<Vec<(String, serde_json::Value)>>,
    /// Approved: documents by kind, with the number when given.
    pub documents: Option<Vec<(String, Option<String>)>>,
    /// Needs more: `code` or `subject: code`.
    pub problems: Option<Vec<String>>,
    /// Rejected: words of the reason.
    pub reason: Option<String>,
    /// Deferred: the ticket's id.
    pub ticket: Option<String>,
    /// Error: its kind.
    pub error: Option<String>,
    /// Error: words of its message.
    pub message: Option<String>,
    /// The store afterwards, for these keys.
    pub store: Option<Vec<(String, toml::Value)>>,
    /// The requests made, `METHOD URL`.
    pub requests: Option<Vec<String>>,
}

/// Everything a case is checked against.
pub struct Context<'a> {
    /// The component's manifest.
    pub manifest: &'a Manifest,
    /// The dictionary.
    pub dictionary: &'a Dictionary,
    /// The case file's directory (material files).
    pub dir: &'a SourceDir,
    /// The file's defaults.
    pub defaults: &'a Defaults,
}

/// Check `case` (the `n`th of its file) and plan it.
pub fn plan(ctx: &Context<'_>, case: &Case, n: usize) -> Result<Planned, String> {
    let step = step_of(ctx, case)?;
    let today = match case.today.as_ref().or(ctx.defaults.today.as_ref()) {
        None => None,
        Some(v) => Some(date_of(v).map_err(|e| format!("today: {e}"))?),
    };
    let mut fields_in = ctx.defaults.fields.clone();
    for (k, v) in &case.fields {
        if v.as_bool() == Some(false) {
            fields_in.remove(k);
        } else {
            fields_in.insert(k.clone(), v.clone());
        }
    }
    let mut fields = Vec::new();
    for (name, value) in &fields_in {
        let key = FieldKey::parse(name).map_err(|e| format!("fields.{name}: {e}"))?;
        if !step.reads_key(&key) {
            let reads: Vec<String> = step.reads.iter().map(|r| r.key.to_string()).collect();
            return Err(format!(
                "fields.{name}: step {} does not read it, so the host would never pass it (it reads: {})",
                step.id,
                none_if_empty(&reads)
            ));
        }
        let typed = ctx
            .dictionary
            .parse_json(&key, &json_of(value))
            .map_err(|e| format!("fields.{name}: {} ({})", e.message.en, e.code))?;
        fields.push(Field { key, value: typed });
    }
    let mut materials = Vec::new();
    for m in case
        .materials
        .as_ref()
        .or(ctx.defaults.materials.as_ref())
        .into_iter()
        .flatten()
    {
        let code = MaterialCode::parse(&m.code).map_err(|e| format!("materials: {e}"))?;
        if !step.materials.iter().any(|need| need.code == code) {
            let needs: Vec<String> = step.materials.iter().map(|n| n.code.to_string()).collect();
            return Err(format!(
                "materials: step {} does not need {code} (it needs: {})",
                step.id,
                none_if_empty(&needs)
            ));
        }
        let (digest, size) = match &m.file {
            Some(path) => {
                let rel = path.to_string_lossy();
                let bytes = ctx
                    .dir
                    .read_relative(&rel)
                    .map_err(|e| format!("materials.{code}: {e}"))?;
                (Digest::of(&bytes), bytes.len() as u64)
            }
            None => (
                Digest::of(format!("{}/{code}", case.name).as_bytes()),
                m.size.unwrap_or(1024),
            ),
        };
        materials.push(CallMaterial {
            code,
            digest,
            media_type: m
                .media_type
                .clone()
                .unwrap_or_else(|| "application/pdf".into()),
            size: m.size.unwrap_or(size),
        });
    }
    let mut store_in = ctx.defaults.store.clone();
    store_in.extend(case.store.clone());
    let store = store_in
        .iter()
        .map(|(k, v)| (k.clone(), store_bytes(v)))
        .collect();
    let mocks = case
        .outbound
        .iter()
        .enumerate()
        .map(|(i, m)| mock_of(m).map_err(|e| format!("outbound[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let expect = expected_of(ctx, case, step).map_err(|e| format!("expect.{e}"))?;
    let application = case
        .application
        .clone()
        .or_else(|| ctx.defaults.application.clone())
        .unwrap_or_else(|| format!("case-{}", n + 1));
    Ok(Planned {
        request: StepRequest {
            idempotency_key: format!("{application}/{}", step.id),
            application,
            step: step.id.clone(),
            attempt: case.attempt.or(ctx.defaults.attempt).unwrap_or(1),
            fields,
            materials,
        },
        today,
        store,
        mocks,
        expect,
    })
}

fn none_if_empty(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".into()
    } else {
        items.join(", ")
    }
}

fn step_of<'m>(ctx: &Context<'m>, case: &Case) -> Result<&'m StepSpec, String> {
    let ids: Vec<String> = ctx
        .manifest
        .steps
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    match case.step.as_ref().or(ctx.defaults.step.as_ref()) {
        Some(name) => {
            let id = StepId::parse(name).map_err(|e| format!("step: {e}"))?;
            ctx.manifest.step(&id).ok_or_else(|| {
                format!(
                    "step {id}: the component has no such step (it has: {})",
                    ids.join(", ")
                )
            })
        }
        None => match ctx.manifest.steps.as_slice() {
            [only] => Ok(only),
            _ => Err(format!(
                "step: the component has several steps ({}); name one in the case or in [defaults]",
                ids.join(", ")
            )),
        },
    }
}

/// A case's date: a TOML date or the text `YYYY-MM-DD`.
pub(super) fn date_of(v: &toml::Value) -> Result<NaiveDate, String> {
    let text = match v {
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::String(s) => s.clone(),
        other => return Err(format!("expected a date (YYYY-MM-DD), not {other}")),
    };
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|e| format!("{text:?} is not a date (YYYY-MM-DD): {e}"))
}

fn mock_of(m: &Mock) -> Result<PlannedMock, String> {
    let method = m.method.as_deref().unwrap_or("GET").to_ascii_uppercase();
    let url = reqwest::Url::parse(&m.url)
        .map_err(|e| format!("url {:?}: {e}", m.url))?
        .to_string();
    let answer = match m.fail.as_deref() {
        Some("timeout") => MockAnswer::Timeout,
        Some("refused") => MockAnswer::Refused,
        Some(other) => {
            return Err(format!(
                "fail = {other:?}: expected \"timeout\" or \"refused\""
            ));
        }
        None => {
            let mut headers: Vec<(String, String)> = m
                .headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect();
            let body = match (&m.json, &m.body) {
                (Some(_), Some(_)) => return Err("give json or body, not both".into()),
                (Some(json), None) => {
                    if !headers.iter().any(|(k, _)| k == "content-type") {
                        headers.push(("content-type".into(), "application/json".into()));
                    }
                    json_of(json).to_string().into_bytes()
                }
                (None, Some(text)) => text.clone().into_bytes(),
                (None, None) => Vec::new(),
            };
            let status = m.status.unwrap_or(200);
            if !(100..=599).contains(&status) {
                return Err(format!("status {status} is not an HTTP status"));
            }
            MockAnswer::Answer {
                status,
                headers,
                body,
            }
        }
    };
    Ok(PlannedMock {
        method,
        url,
        answer,
        times: m.times.unwrap_or(1),
        require_headers: m
            .require_headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
    })
}

fn expected_of(ctx: &Context<'_>, case: &Case, step: &StepSpec) -> Result<Expected, String> {
    let e = &case.expect;
    if !OUTCOMES.contains(&e.outcome.as_str()) {
        return Err(format!(
            "outcome = {:?}: expected one of {}",
            e.outcome,
            OUTCOMES.join(", ")
        ));
    }
    let only_for = |present: bool, key: &str, outcome: &str| {
        if present && e.outcome != outcome {
            Err(format!(
                "{key}: only an outcome of {outcome} has it (this case expects {})",
                e.outcome
            ))
        } else {
            Ok(())
        }
    };
    only_for(e.fields.is_some(), "fields", "approved")?;
    only_for(e.documents.is_some(), "documents", "approved")?;
    only_for(e.problems.is_some(), "problems", "needs-more")?;
    only_for(e.reason.is_some(), "reason", "rejected")?;
    only_for(e.ticket.is_some(), "ticket", "deferred")?;
    only_for(e.error.is_some(), "error", "error")?;
    only_for(e.message.is_some(), "message", "error")?;
    let fields = match &e.fields {
        None => None,
        Some(t) => {
            let mut out = Vec::new();
            for (name, value) in t {
                let key = FieldKey::parse(name).map_err(|e| format!("fields.{name}: {e}"))?;
                if !step.writes.contains(&key) {
                    return Err(format!(
                        "fields.{name}: step {} does not declare it writes it, so the host would refuse an approval writing it",
                        step.id
                    ));
                }
                let typed = ctx
                    .dictionary
                    .retype(&key, &json_of(value))
                    .ok_or_else(|| {
                        format!("fields.{name}: {value} is not a value of the dictionary's type")
                    })?;
                out.push((name.clone(), typed.to_json()));
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            Some(out)
        }
    };
    let documents = match &e.documents {
        None => None,
        Some(items) => Some(
            items
                .iter()
                .map(|d| match d {
                    toml::Value::String(kind) => Ok((kind.clone(), None)),
                    toml::Value::Table(t) => {
                        let text = |k: &str| t.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                        let kind = text("kind").ok_or("documents: a table needs kind")?;
                        Ok((kind, text("number")))
                    }
                    other => Err(format!(
                        "documents: {other} is neither a kind nor {{ kind, number }}"
                    )),
                })
                .collect::<Result<Vec<_>, String>>()?,
        ),
    };
    Ok(Expected {
        outcome: e.outcome.clone(),
        fields,
        documents,
        problems: e.problems.clone(),
        reason: e.reason.clone(),
        ticket: e.ticket.clone(),
        error: e.error.clone(),
        message: e.message.clone(),
        store: e
            .store
            .as_ref()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        requests: e.requests.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_toml_dates_or_text() {
        let t: toml::Table = toml::from_str("a = 2026-11-28\nb = \"2026-02-30\"").expect("toml");
        assert_eq!(
            date_of(&t["a"]).expect("date"),
            NaiveDate::from_ymd_opt(2026, 11, 28).expect("valid")
        );
        assert!(
            date_of(&t["b"])
                .expect_err("no such day")
                .contains("2026-02-30")
        );
    }

    #[test]
    fn mocks_normalise_their_url_and_type_their_json() {
        let m: Mock =
            toml::from_str("url = \"https://gjj.example.gov.cn\"\njson = { a = 1 }").expect("toml");
        let p = mock_of(&m).expect("mock");
        assert_eq!(p.url, "https://gjj.example.gov.cn/");
        assert_eq!(p.method, "GET");
        let MockAnswer::Answer { headers, body, .. } = p.answer else {
            panic!("an answer")
        };
        assert_eq!(body, br#"{"a":1}"#);
        assert!(headers.contains(&("content-type".into(), "application/json".into())));
        let bad: Mock = toml::from_str("url = \"https://x\"\nfail = \"slow\"").expect("toml");
        assert!(mock_of(&bad).expect_err("refused").contains("timeout"));
    }
}
