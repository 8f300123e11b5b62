//! An outcome against its expectation: both written in the same lines,
//! the observed one only in the aspects the case expects (so a case
//! asserting only the outcome is not broken by the fields), and compared
//! as text, so a failure is shown as a diff of those lines.

use onething_model::call::{Handled, StepError, StepOutcome};
use onething_model::problem::Subject;
use onething_runtime::CallError;

use super::format::json_of;
use super::plan::Expected;

/// What a case's call came to.
#[derive(Debug)]
pub struct Observed<'a> {
    /// The call's answer, or how it failed.
    pub result: &'a Result<Handled, CallError>,
    /// The department's store afterwards (writes of a failed attempt
    /// taken back, as the host does).
    pub store: &'a [(String, Vec<u8>)],
    /// The requests made, `METHOD URL`.
    pub requests: &'a [String],
}

/// The outcome's word, as a case writes it.
pub fn outcome_word(result: &Result<Handled, CallError>) -> &'static str {
    match result {
        Ok(Ok(StepOutcome::Approved(_))) => "approved",
        Ok(Ok(StepOutcome::NeedsMore(_))) => "needs-more",
        Ok(Ok(StepOutcome::Rejected(_))) => "rejected",
        Ok(Ok(StepOutcome::Deferred(_))) => "deferred",
        Ok(Err(_)) | Err(_) => "error",
    }
}

fn error_of(result: &Result<Handled, CallError>) -> Option<(String, String)> {
    match result {
        Ok(Err(StepError::Transient(m))) => Some(("transient".into(), m.clone())),
        Ok(Err(StepError::Permanent(m))) => Some(("permanent".into(), m.clone())),
        Ok(Err(StepError::Unreachable { message, .. })) => {
            Some(("unreachable".into(), message.clone()))
        }
        Err(e) => Some((e.kind().into(), e.to_string())),
        Ok(Ok(_)) => None,
    }
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// `words` when `text` contains them, else all of `text`: so the two
/// sides agree exactly when the expectation holds.
fn contains_or_all(text: &str, words: &str) -> String {
    if text.contains(words) {
        format!("… {} …", quoted(words))
    } else {
        quoted(text)
    }
}

/// The expectation's lines.
pub fn expected_lines(e: &Expected) -> Vec<String> {
    let mut out = vec![format!("outcome = {}", quoted(&e.outcome))];
    if let Some(fields) = &e.fields {
        for (k, v) in fields {
            out.push(format!("fields.{k} = {v}"));
        }
        if fields.is_empty() {
            out.push("fields = (none)".into());
        }
    }
    if let Some(docs) = &e.documents {
        let mut d: Vec<String> = docs
            .iter()
            .map(|(k, n)| document_line(k, n.as_deref()))
            .collect();
        d.sort();
        out.extend(d);
    }
    if let Some(problems) = &e.problems {
        let mut p: Vec<String> = problems.iter().map(|p| format!("problem {p}")).collect();
        p.sort();
        out.extend(p);
    }
    if let Some(words) = &e.reason {
        out.push(format!("reason = … {} …", quoted(words)));
    }
    if let Some(t) = &e.ticket {
        out.push(format!("ticket = {}", quoted(t)));
    }
    if let Some(kind) = &e.error {
        out.push(format!("error = {}", quoted(kind)));
    }
    if let Some(words) = &e.message {
        out.push(format!("message = … {} …", quoted(words)));
    }
    if let Some(store) = &e.store {
        for (k, v) in store {
            out.push(format!("store.{} = {}", quoted(k), store_text_expected(v)));
        }
    }
    if let Some(requests) = &e.requests {
        out.extend(requests.iter().map(|r| format!("request {r}")));
    }
    out
}

fn document_line(kind: &str, number: Option<&str>) -> String {
    match number {
        Some(n) => format!("document {kind} {}", quoted(n)),
        None => format!("document {kind}"),
    }
}

fn store_text_expected(v: &toml::Value) -> String {
    match v {
        toml::Value::Boolean(false) => "(absent)".into(),
        toml::Value::String(s) => quoted(s),
        other => json_of(other).to_string(),
    }
}

/// The observed side, in the aspects `e` names.
pub fn observed_lines(e: &Expected, o: &Observed<'_>) -> Vec<String> {
    let mut out = vec![format!("outcome = {}", quoted(outcome_word(o.result)))];
    let approval = match o.result {
        Ok(Ok(StepOutcome::Approved(a))) => Some(a),
        _ => None,
    };
    if e.fields.is_some() {
        let mut fields: Vec<String> = approval
            .map(|a| {
                a.fields
                    .iter()
                    .map(|f| match &f.value {
                        Ok(v) => format!("fields.{} = {}", f.key, v.to_json()),
                        Err(why) => format!("fields.{} = (invalid: {why})", f.key),
                    })
                    .collect()
            })
            .unwrap_or_default();
        fields.sort();
        if fields.is_empty() {
            fields.push("fields = (none)".into());
        }
        out.extend(fields);
    }
    if let Some(expected) = &e.documents {
        let mut d: Vec<String> = approval
            .map(|a| {
                a.documents
                    .iter()
                    .map(|doc| {
                        let with_number =
                            expected.iter().any(|(k, n)| k == &doc.kind && n.is_some());
                        document_line(&doc.kind, with_number.then_some(doc.number.as_str()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        d.sort();
        out.extend(d);
    }
    if let Some(expected) = &e.problems {
        let mut p: Vec<String> = match o.result {
            Ok(Ok(StepOutcome::NeedsMore(problems))) => problems
                .iter()
                .map(|p| {
                    let subject = match &p.subject {
                        Subject::Field(k) => k.clone(),
                        Subject::Material(m) => m.clone(),
                        Subject::General => "general".into(),
                    };
                    if expected.contains(&p.code) {
                        format!("problem {}", p.code)
                    } else {
                        format!("problem {subject}: {}", p.code)
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        p.sort();
        out.extend(p);
    }
    if let Some(words) = &e.reason
        && let Ok(Ok(StepOutcome::Rejected(reason))) = o.result
    {
        let both = format!("{} / {}", reason.zh, reason.en);
        out.push(format!("reason = {}", contains_or_all(&both, words)));
    }
    if e.ticket.is_some()
        && let Ok(Ok(StepOutcome::Deferred(t))) = o.result
    {
        out.push(format!("ticket = {}", quoted(&t.id)));
    }
    let error = error_of(o.result);
    if e.error.is_some() || e.outcome == "error" || error.is_some() {
        // An unexpected error always shows what it was.
        if let Some((kind, message)) = &error {
            out.push(format!("error = {}", quoted(kind)));
            match &e.message {
                Some(words) => out.push(format!("message = {}", contains_or_all(message, words))),
                None if e.outcome != "error" => out.push(format!("message = {}", quoted(message))),
                None => {}
            }
        }
    }
    if let Some(expected) = &e.store {
        for (k, v) in expected {
            let actual = o.store.iter().find(|(key, _)| key == k).map(|(_, b)| b);
            let text = match actual {
                None => "(absent)".to_owned(),
                Some(bytes) => match v {
                    toml::Value::String(_) | toml::Value::Boolean(false) => {
                        quoted(&String::from_utf8_lossy(bytes))
                    }
                    _ => match serde_json::from_slice::<serde_json::Value>(bytes) {
                        Ok(json) => json.to_string(),
                        Err(_) => quoted(&String::from_utf8_lossy(bytes)),
                    },
                },
            };
            out.push(format!("store.{} = {text}", quoted(k)));
        }
    }
    if e.requests.is_some() {
        out.extend(o.requests.iter().map(|r| format!("request {r}")));
    }
    out
}

/// `None` when the observation meets the expectation; else a unified diff
/// of the two (`-` expected, `+` observed).
pub fn compare(e: &Expected, o: &Observed<'_>) -> Option<String> {
    diff_lines(&expected_lines(e), &observed_lines(e, o))
}

/// `None` when the lines are the same; else their unified diff (`-`
/// expected, `+` observed).
pub fn diff_lines(expected: &[String], observed: &[String]) -> Option<String> {
    let want = expected.join("\n") + "\n";
    let got = observed.join("\n") + "\n";
    (want != got).then(|| {
        similar::TextDiff::from_lines(&want, &got)
            .unified_diff()
            .context_radius(3)
            .header("expected", "observed")
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use onething_model::call::{Approval, ReportedProblem, ReturnedField};
    use onething_model::dictionary::FieldValue;
    use onething_model::text::Text;

    use super::*;

    fn approved(value: &str) -> Result<Handled, CallError> {
        Ok(Ok(StepOutcome::Approved(Approval {
            fields: vec![ReturnedField {
                key: "child.account".into(),
                value: Ok(FieldValue::Text(value.into())),
            }],
            documents: Vec::new(),
            note: None,
        })))
    }

    fn observed(result: &Result<Handled, CallError>) -> Observed<'_> {
        Observed {
            result,
            store: &[],
            requests: &[],
        }
    }

    fn expect_account(v: &str) -> Expected {
        Expected {
            outcome: "approved".into(),
            fields: Some(vec![("child.account".into(), serde_json::json!(v))]),
            ..Expected::default()
        }
    }

    #[test]
    fn a_matching_outcome_has_no_diff() {
        let r = approved("GJJ-1");
        assert_eq!(compare(&expect_account("GJJ-1"), &observed(&r)), None);
        // Only the outcome expected: the fields do not matter.
        let only = Expected {
            outcome: "approved".into(),
            ..Expected::default()
        };
        assert_eq!(compare(&only, &observed(&r)), None);
    }

    #[test]
    fn a_wrong_field_shows_both_lines() {
        let r = approved("GJJ-2");
        let diff = compare(&expect_account("GJJ-1"), &observed(&r)).expect("differs");
        assert!(diff.contains("-fields.child.account = \"GJJ-1\""), "{diff}");
        assert!(diff.contains("+fields.child.account = \"GJJ-2\""), "{diff}");
    }

    #[test]
    fn problems_match_by_code_or_subject_and_code() {
        let r: Result<Handled, CallError> = Ok(Ok(StepOutcome::NeedsMore(vec![
            ReportedProblem {
                subject: Subject::Field("child.name".into()),
                code: "too-long".into(),
                message: Text::new("太长", "too long"),
            },
            ReportedProblem {
                subject: Subject::General,
                code: "closed".into(),
                message: Text::new("关闭", "closed"),
            },
        ])));
        let e = Expected {
            outcome: "needs-more".into(),
            problems: Some(vec!["child.name: too-long".into(), "closed".into()]),
            ..Expected::default()
        };
        assert_eq!(compare(&e, &observed(&r)), None);
        let wrong = Expected {
            problems: Some(vec!["child.name: empty".into()]),
            ..e
        };
        let diff = compare(&wrong, &observed(&r)).expect("differs");
        assert!(diff.contains("+problem general: closed"), "{diff}");
    }

    #[test]
    fn an_unexpected_error_says_what_it_was() {
        let r: Result<Handled, CallError> = Ok(Err(StepError::Transient("registry down".into())));
        let diff = compare(&expect_account("GJJ-1"), &observed(&r)).expect("differs");
        assert!(diff.contains("+outcome = \"error\""), "{diff}");
        assert!(diff.contains("+message = \"registry down\""), "{diff}");
        let e = Expected {
            outcome: "error".into(),
            error: Some("transient".into()),
            message: Some("down".into()),
            ..Expected::default()
        };
        assert_eq!(compare(&e, &observed(&r)), None);
    }
}
