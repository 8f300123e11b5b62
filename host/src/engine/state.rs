//! The materialised state of an application, and the events that change
//! it. `apply` is a pure fold: the engine uses it as it goes, and the same
//! fold rebuilds the state from the stored history after a restart.
//!
//! Not for deciding what to do next (that is [`super::plan`]) nor for
//! storing anything (that is [`crate::store`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// A material as recorded with an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialRecord {
    /// Content digest.
    pub digest: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// A document a department issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// Kind.
    pub kind: String,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
}

/// A prefill consent as recorded with the application it was used for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentUse {
    /// The consent's id (from the prefill answer).
    pub id: String,
    /// The departments the applicant allowed to prefill.
    pub departments: Vec<String>,
    /// The fields they were allowed to fill.
    pub fields: Vec<String>,
    /// When it was given, ms since the epoch.
    pub granted_ms: i64,
    /// The fields that were prefilled, with the department that filled
    /// each and whether the applicant changed the value before submitting.
    pub prefilled: Vec<PrefilledField>,
}

/// One prefilled field of a submitted application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefilledField {
    /// The key.
    pub key: String,
    /// The department that filled it.
    pub from: String,
    /// Whether the submitted value differs from the prefilled one.
    pub corrected: bool,
}

/// What happened to an application. Stored append-only, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// The application was accepted.
    Submitted {
        /// Bundle id.
        bundle: String,
        /// Digest of the bundle definition it was submitted under.
        bundle_digest: String,
        /// The form, typed and validated, as JSON.
        form: BTreeMap<String, serde_json::Value>,
        /// Materials by code.
        materials: BTreeMap<String, MaterialRecord>,
        /// Steps in bundle order, with their time limits in seconds.
        steps: Vec<(String, u64)>,
        /// Whole-bundle time limit in seconds.
        time_limit_secs: u64,
        /// The prefill consent the application was submitted with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consent: Option<ConsentUse>,
    },
    /// A step's condition did not hold.
    StepSkipped {
        /// `department/step`.
        step: String,
    },
    /// An attempt is about to call the plugin.
    AttemptStarted {
        /// `department/step`.
        step: String,
        /// Attempt number from 1.
        attempt: u32,
        /// Plugin version.
        plugin_version: String,
        /// Plugin digest.
        plugin_digest: String,
        /// The fields the step is sent, with where each came from (keys
        /// only; the values are in the form and the outputs).
        #[serde(
            default,
            skip_serializing_if = "Vec::is_empty",
            with = "crate::audit::by_source"
        )]
        disclosed: Vec<crate::audit::Flow>,
        /// The material codes the step is sent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        materials: Vec<String>,
    },
    /// The step is done.
    StepApproved {
        /// `department/step`.
        step: String,
        /// Attempt that succeeded (0 for an operator's resolution).
        attempt: u32,
        /// Fields written, as JSON.
        outputs: BTreeMap<String, serde_json::Value>,
        /// Documents issued.
        documents: Vec<DocumentRecord>,
        /// Operator who resolved it by hand, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
    },
    /// The department needs more from the applicant.
    StepNeedsMore {
        /// `department/step`.
        step: String,
        /// Every problem.
        problems: Vec<Problem>,
    },
    /// The department refused.
    StepRejected {
        /// `department/step`.
        step: String,
        /// Why.
        reason: String,
        /// Operator who rejected it by hand, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
    },
    /// An attempt failed.
    AttemptFailed {
        /// `department/step`.
        step: String,
        /// Attempt number.
        attempt: u32,
        /// Why, for people.
        error: String,
        /// Whether it may be retried.
        retryable: bool,
    },
    /// A retry is due at a time.
    RetryScheduled {
        /// `department/step`.
        step: String,
        /// When, in ms since the epoch.
        at_ms: i64,
    },
    /// The step waits for an operator.
    SentToManualQueue {
        /// `department/step`.
        step: String,
        /// Why.
        reason: String,
    },
    /// The applicant corrected the form.
    FormCorrected {
        /// Fields changed (JSON values; null removes).
        fields: BTreeMap<String, serde_json::Value>,
        /// Materials added or replaced.
        materials: BTreeMap<String, MaterialRecord>,
    },
    /// A step or the whole bundle passed its time limit.
    DeadlinePassed {
        /// The step, or none for the bundle.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<String>,
    },
}

impl Event {
    /// The step an event is about, if any.
    pub fn step(&self) -> Option<&str> {
        match self {
            Event::Submitted { .. } | Event::FormCorrected { .. } => None,
            Event::DeadlinePassed { step } => step.as_deref(),
            Event::StepSkipped { step }
            | Event::AttemptStarted { step, .. }
            | Event::StepApproved { step, .. }
            | Event::StepNeedsMore { step, .. }
            | Event::StepRejected { step, .. }
            | Event::AttemptFailed { step, .. }
            | Event::RetryScheduled { step, .. }
            | Event::SentToManualQueue { step, .. } => Some(step),
        }
    }

    /// The event's kind as stored.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Submitted { .. } => "submitted",
            Event::StepSkipped { .. } => "step-skipped",
            Event::AttemptStarted { .. } => "attempt-started",
            Event::StepApproved { .. } => "step-approved",
            Event::StepNeedsMore { .. } => "step-needs-more",
            Event::StepRejected { .. } => "step-rejected",
            Event::AttemptFailed { .. } => "attempt-failed",
            Event::RetryScheduled { .. } => "retry-scheduled",
            Event::SentToManualQueue { .. } => "sent-to-manual-queue",
            Event::FormCorrected { .. } => "form-corrected",
            Event::DeadlinePassed { .. } => "deadline-passed",
        }
    }
}

/// Where an application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppStatus {
    /// Steps are being handled.
    Running,
    /// Back with the applicant: every problem is listed.
    NeedsMore,
    /// A step waits in the manual queue.
    Manual,
    /// Every step approved or skipped.
    Completed,
    /// A department or operator refused.
    Rejected,
}

impl AppStatus {
    /// Whether nothing more will happen without outside action.
    pub fn is_final(self) -> bool {
        matches!(self, AppStatus::Completed | AppStatus::Rejected)
    }

    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AppStatus::Running => "running",
            AppStatus::NeedsMore => "needs-more",
            AppStatus::Manual => "manual",
            AppStatus::Completed => "completed",
            AppStatus::Rejected => "rejected",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Waiting for earlier steps.
    Waiting,
    /// An attempt is under way (or was, when the host stopped).
    Running,
    /// A retry is scheduled.
    Retrying,
    /// Done.
    Approved,
    /// Condition did not hold.
    Skipped,
    /// Returned problems to the applicant.
    NeedsMore,
    /// Refused.
    Rejected,
    /// In the manual queue.
    Manual,
}

/// One step's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    /// `department/step`.
    pub step: String,
    /// Where it stands.
    pub status: StepStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Time limit in seconds from when it became ready.
    pub time_limit_secs: u64,
    /// When it became ready (its first attempt), ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<i64>,
    /// When it finished, ms since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<i64>,
    /// Version that handled the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// Digest of the version that handled the last attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_digest: Option<String>,
    /// When the scheduled retry is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at_ms: Option<i64>,
    /// The last error, rejection reason or manual-queue reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Problems (needs-more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// Documents issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DocumentRecord>,
    /// Whether it passed its time limit.
    #[serde(default)]
    pub overdue: bool,
}

/// The materialised state of one application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppState {
    /// Application id.
    pub id: String,
    /// Bundle id.
    pub bundle: String,
    /// Digest of the bundle definition.
    pub bundle_digest: String,
    /// Where it stands.
    pub status: AppStatus,
    /// When it was submitted, ms since the epoch.
    pub submitted_ms: i64,
    /// When the whole bundle is due, ms since the epoch.
    pub due_ms: i64,
    /// Whether the bundle passed its time limit.
    pub overdue: bool,
    /// The form as JSON. (Shared: cloning a state is cheap; changes copy.)
    pub form: Arc<BTreeMap<String, serde_json::Value>>,
    /// Materials by code.
    pub materials: Arc<BTreeMap<String, MaterialRecord>>,
    /// Every field written by a step.
    pub outputs: Arc<BTreeMap<String, serde_json::Value>>,
    /// Steps in bundle order.
    pub steps: Arc<Vec<StepState>>,
    /// Number of events applied.
    pub events: u64,
}

impl AppState {
    /// The state right after submission.
    pub fn submitted(id: &str, at_ms: i64, event: &Event) -> Option<Self> {
        let Event::Submitted {
            bundle,
            bundle_digest,
            form,
            materials,
            steps,
            time_limit_secs,
            ..
        } = event
        else {
            return None;
        };
        Some(Self {
            id: id.to_owned(),
            bundle: bundle.clone(),
            bundle_digest: bundle_digest.clone(),
            status: AppStatus::Running,
            submitted_ms: at_ms,
            due_ms: at_ms.saturating_add((*time_limit_secs as i64).saturating_mul(1000)),
            overdue: false,
            form: Arc::new(form.clone()),
            materials: Arc::new(materials.clone()),
            outputs: Arc::new(BTreeMap::new()),
            steps: Arc::new(
                steps
                    .iter()
                    .map(|(s, limit)| StepState {
                        step: s.clone(),
                        status: StepStatus::Waiting,
                        attempts: 0,
                        time_limit_secs: *limit,
                        started_ms: None,
                        finished_ms: None,
                        plugin_version: None,
                        plugin_digest: None,
                        retry_at_ms: None,
                        reason: None,
                        problems: Vec::new(),
                        documents: Vec::new(),
                        overdue: false,
                    })
                    .collect(),
            ),
            events: 1,
        })
    }

    /// Whether the bundle or any open step is past its time limit.
    pub fn is_overdue(&self) -> bool {
        self.overdue
            || self.steps.iter().any(|s| {
                s.overdue && !matches!(s.status, StepStatus::Approved | StepStatus::Skipped)
            })
    }

    /// A step's state.
    pub fn step(&self, step: &str) -> Option<&StepState> {
        self.steps.iter().find(|s| s.step == step)
    }

    fn step_mut(&mut self, step: &str) -> Option<&mut StepState> {
        Arc::make_mut(&mut self.steps)
            .iter_mut()
            .find(|s| s.step == step)
    }

    /// Apply one event at a time.
    pub fn apply(&mut self, event: &Event, at_ms: i64) {
        self.events += 1;
        match event {
            Event::Submitted { .. } => {}
            Event::StepSkipped { step } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Skipped;
                    s.finished_ms = Some(at_ms);
                }
            }
            Event::AttemptStarted {
                step,
                attempt,
                plugin_version,
                plugin_digest,
                ..
            } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Running;
                    s.attempts = *attempt;
                    s.started_ms.get_or_insert(at_ms);
                    s.plugin_version = Some(plugin_version.clone());
                    s.plugin_digest = Some(plugin_digest.clone());
                    s.retry_at_ms = None;
                }
            }
            Event::StepApproved {
                step,
                outputs,
                documents,
                ..
            } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Approved;
                    s.finished_ms = Some(at_ms);
                    s.documents = documents.clone();
                    s.problems.clear();
                    s.reason = None;
                }
                Arc::make_mut(&mut self.outputs)
                    .extend(outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Event::StepNeedsMore { step, problems } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::NeedsMore;
                    s.problems = problems.clone();
                }
            }
            Event::StepRejected { step, reason, .. } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Rejected;
                    s.finished_ms = Some(at_ms);
                    s.reason = Some(reason.clone());
                }
            }
            Event::AttemptFailed { step, error, .. } => {
                if let Some(s) = self.step_mut(step) {
                    s.reason = Some(error.clone());
                }
            }
            Event::RetryScheduled { step, at_ms: due } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Retrying;
                    s.retry_at_ms = Some(*due);
                }
            }
            Event::SentToManualQueue { step, reason } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Manual;
                    s.reason = Some(reason.clone());
                }
            }
            Event::FormCorrected { fields, materials } => {
                let form = Arc::make_mut(&mut self.form);
                for (k, v) in fields {
                    if v.is_null() {
                        form.remove(k);
                    } else {
                        form.insert(k.clone(), v.clone());
                    }
                }
                if !materials.is_empty() {
                    Arc::make_mut(&mut self.materials)
                        .extend(materials.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                for s in Arc::make_mut(&mut self.steps).iter_mut() {
                    if s.status == StepStatus::NeedsMore {
                        s.status = StepStatus::Waiting;
                        s.problems.clear();
                    }
                }
            }
            Event::DeadlinePassed { step: Some(step) } => {
                if let Some(s) = self.step_mut(step) {
                    s.overdue = true;
                }
            }
            Event::DeadlinePassed { step: None } => self.overdue = true,
        }
        self.status = self.derive_status();
    }

    fn derive_status(&self) -> AppStatus {
        let any = |st: StepStatus| self.steps.iter().any(|s| s.status == st);
        if any(StepStatus::Rejected) {
            AppStatus::Rejected
        } else if any(StepStatus::NeedsMore) {
            AppStatus::NeedsMore
        } else if self
            .steps
            .iter()
            .all(|s| matches!(s.status, StepStatus::Approved | StepStatus::Skipped))
        {
            AppStatus::Completed
        } else if any(StepStatus::Manual) && !any(StepStatus::Running) && !any(StepStatus::Retrying)
        {
            AppStatus::Manual
        } else {
            AppStatus::Running
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submitted() -> (AppState, Event) {
        let e = Event::Submitted {
            bundle: "b".into(),
            bundle_digest: "sha256:x".into(),
            form: BTreeMap::new(),
            materials: BTreeMap::new(),
            steps: vec![("a/one".into(), 60), ("b/two".into(), 60)],
            time_limit_secs: 3600,
            consent: None,
        };
        (AppState::submitted("app", 1_000, &e).expect("submitted"), e)
    }

    #[test]
    fn approvals_complete_the_application() {
        let (mut s, _) = submitted();
        assert_eq!(s.due_ms, 1_000 + 3_600_000);
        s.apply(
            &Event::AttemptStarted {
                step: "a/one".into(),
                attempt: 1,
                plugin_version: "1.0.0".into(),
                plugin_digest: "d".into(),
                disclosed: vec![],
                materials: vec![],
            },
            2_000,
        );
        assert_eq!(s.status, AppStatus::Running);
        let mut out = BTreeMap::new();
        out.insert("x.y".to_string(), serde_json::json!("v"));
        s.apply(
            &Event::StepApproved {
                step: "a/one".into(),
                attempt: 1,
                outputs: out,
                documents: vec![],
                operator: None,
            },
            3_000,
        );
        s.apply(
            &Event::StepSkipped {
                step: "b/two".into(),
            },
            3_000,
        );
        assert_eq!(s.status, AppStatus::Completed);
        assert_eq!(s.outputs["x.y"], "v");
    }

    #[test]
    fn manual_needs_more_and_correction() {
        let (mut s, _) = submitted();
        s.apply(
            &Event::SentToManualQueue {
                step: "a/one".into(),
                reason: "trap".into(),
            },
            2_000,
        );
        assert_eq!(s.status, AppStatus::Manual);
        s.apply(
            &Event::StepApproved {
                step: "a/one".into(),
                attempt: 0,
                outputs: BTreeMap::new(),
                documents: vec![],
                operator: Some("ops".into()),
            },
            3_000,
        );
        assert_eq!(s.status, AppStatus::Running);
        s.apply(
            &Event::StepNeedsMore {
                step: "b/two".into(),
                problems: vec![Problem::general("x", "y")],
            },
            4_000,
        );
        assert_eq!(s.status, AppStatus::NeedsMore);
        s.apply(
            &Event::FormCorrected {
                fields: BTreeMap::new(),
                materials: BTreeMap::new(),
            },
            5_000,
        );
        assert_eq!(s.status, AppStatus::Running);
        assert_eq!(
            s.step("a/one").map(|x| x.status),
            Some(StepStatus::Approved),
            "approved steps stay approved"
        );
        assert_eq!(s.step("b/two").map(|x| x.status), Some(StepStatus::Waiting));
    }

    #[test]
    fn events_round_trip_as_json() {
        let (_, e) = submitted();
        let text = serde_json::to_string(&e).expect("ser");
        assert!(text.contains("\"kind\":\"submitted\""));
        let back: Event = serde_json::from_str(&text).expect("de");
        assert_eq!(back, e);
    }
}
