//! The report of one application at rest: how it ended, every step with
//! its attempts, the version that handled it, what it wrote and issued,
//! its problems or reason. What `onething run` prints (as text or JSON)
//! and what the agreement test compares with the service's view.
//!
//! Built from the application's state and its bundle, so the local run and
//! the service say the same thing about the same history.

use std::collections::BTreeMap;

use onething_model::bundle::Bundle;
use onething_model::call::Document;
use onething_model::ids::{Digest, FieldKey, StepRef};
use onething_model::problem::Problem;
use onething_model::state::{AppState, AppStatus, StepStatus};
use onething_model::text::Text;
use serde::Serialize;

/// What happened to one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// The step.
    pub step: StepRef,
    /// Step title from the manifest.
    pub title: Text,
    /// Where it stands.
    pub status: StepStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Plugin version that handled the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// Plugin digest that handled the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_digest: Option<Digest>,
    /// Fields it wrote.
    pub outputs: BTreeMap<FieldKey, serde_json::Value>,
    /// Documents issued.
    pub documents: Vec<Document>,
    /// Problems (needs-more).
    pub problems: Vec<Problem>,
    /// Rejection reason, manual-queue reason or last error, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    /// The department's note, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// Whether it passed its time limit.
    pub overdue: bool,
}

/// How an application stands, with every step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// Application id.
    pub application: String,
    /// Bundle id.
    pub bundle: String,
    /// Where it stands: `completed`, `needs-more`, `rejected`, `manual`
    /// (a step waits for an operator), or `running`.
    pub status: AppStatus,
    /// The one notification, when the application was refused before
    /// anything was stored (no step ran).
    pub problems: Vec<Problem>,
    /// Every step, in bundle order.
    pub steps: Vec<StepReport>,
    /// Every field written by any step.
    pub outputs: BTreeMap<FieldKey, serde_json::Value>,
}

impl RunReport {
    /// The report of a stored application.
    pub fn of(state: &AppState, bundle: &Bundle) -> Self {
        let steps = state
            .steps
            .iter()
            .map(|s| {
                let spec = bundle.step(&s.step).map(|b| &b.spec);
                let outputs = match (s.status, spec) {
                    (StepStatus::Approved, Some(spec)) => state
                        .outputs
                        .iter()
                        .filter(|(k, _)| spec.writes.contains(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    _ => BTreeMap::new(),
                };
                StepReport {
                    step: s.step.clone(),
                    title: spec.map_or_else(Text::default, |spec| spec.title.clone()),
                    status: s.status,
                    attempts: s.attempts,
                    plugin_version: s.plugin_version.clone(),
                    plugin_digest: s.plugin_digest,
                    outputs,
                    documents: s.documents.clone(),
                    problems: s.problems.clone(),
                    reason: s.reason.clone(),
                    note: s.note.clone(),
                    overdue: s.overdue,
                }
            })
            .collect();
        Self {
            application: state.id.clone(),
            bundle: state.bundle.to_string(),
            status: state.status,
            problems: Vec::new(),
            steps,
            outputs: (*state.outputs).clone(),
        }
    }

    /// The report of an application refused before anything was stored:
    /// every problem of the one notification, no step run.
    pub fn refused(application: &str, bundle: &Bundle, problems: Vec<Problem>) -> Self {
        Self {
            application: application.to_owned(),
            bundle: bundle.id.to_string(),
            status: AppStatus::NeedsMore,
            problems,
            steps: bundle
                .steps
                .iter()
                .map(|b| StepReport {
                    step: b.reference.clone(),
                    title: b.spec.title.clone(),
                    status: StepStatus::Waiting,
                    attempts: 0,
                    plugin_version: None,
                    plugin_digest: None,
                    outputs: BTreeMap::new(),
                    documents: Vec::new(),
                    problems: Vec::new(),
                    reason: None,
                    note: None,
                    overdue: false,
                })
                .collect(),
            outputs: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, reference};
    use onething_model::events::Event;

    #[test]
    fn each_step_reports_what_it_wrote() {
        let (bundle, _) = fixtures::bundle();
        let mut state = fixtures::submitted(&bundle, 0);
        let hukou = FieldKey::parse("child.hukou_number").expect("key");
        for (step, outputs) in [
            ("health/birth", BTreeMap::new()),
            (
                "police/register",
                BTreeMap::from([(hukou.clone(), serde_json::json!("H-1"))]),
            ),
        ] {
            state.apply(
                &Event::StepApproved {
                    step: reference(step),
                    attempt: 1,
                    outputs,
                    documents: vec![],
                    note: Some("ok".into()),
                    operator: None,
                },
                1,
            );
        }
        state.apply(
            &Event::SentToManualQueue {
                step: reference("insurance/enrol"),
                reason: "deferred by the department: ticket T: paper".into(),
            },
            2,
        );
        let r = RunReport::of(&state, &bundle);
        assert_eq!(r.status, AppStatus::Manual);
        assert!(r.steps[0].outputs.is_empty());
        assert_eq!(r.steps[1].outputs[&hukou], "H-1");
        assert_eq!(r.steps[1].note.as_ref().map(|n| n.en.as_str()), Some("ok"));
        assert_eq!(r.steps[2].status, StepStatus::Manual);
        assert!(
            r.steps[2]
                .reason
                .as_ref()
                .is_some_and(|x| x.contains("ticket"))
        );
        let json = serde_json::to_value(&r).expect("json");
        assert_eq!(json["status"], "manual");
        assert_eq!(json["steps"][1]["status"], "approved");
    }

    #[test]
    fn a_refusal_reports_every_problem_and_no_step_run() {
        let (bundle, _) = fixtures::bundle();
        let r = RunReport::refused("local-1", &bundle, vec![Problem::general("x", "y")]);
        assert_eq!(r.status, AppStatus::NeedsMore);
        assert_eq!(r.problems.len(), 1);
        assert!(r.steps.iter().all(|s| s.attempts == 0));
    }
}
