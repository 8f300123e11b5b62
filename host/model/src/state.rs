//! The materialised state of an application: the fold of its events
//! ([`crate::events`]). [`AppState::apply`] is pure, so the engine uses it
//! as it goes and the store rebuilds the same state from the history
//! after a restart.
//!
//! Not for deciding what to do next (the engine's plan) nor for storing
//! anything (the store).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::application::Material;
use crate::call::Document;
use crate::events::Event;
use crate::ids::{BundleId, Digest, FieldKey, MaterialCode, StepRef};
use crate::problem::Problem;
use crate::text::Text;

/// Where an application stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The step.
    pub step: StepRef,
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
    pub plugin_digest: Option<Digest>,
    /// When the scheduled retry is due.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_at_ms: Option<i64>,
    /// The origin of the department's system the step waits for (taken
    /// as down by its breaker), until its next attempt starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_for: Option<String>,
    /// The last error, rejection reason or manual-queue reason (a
    /// rejection's in both languages; the host's errors, for operators,
    /// in English).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::text::lenient_option"
    )]
    pub reason: Option<Text>,
    /// Problems (needs-more).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
    /// Documents issued.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    /// The department's note for the applicant, if any.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::text::lenient_option"
    )]
    pub note: Option<Text>,
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
    pub bundle: BundleId,
    /// Digest of the bundle definition.
    pub bundle_digest: Digest,
    /// Where it stands.
    pub status: AppStatus,
    /// When it was submitted, ms since the epoch.
    pub submitted_ms: i64,
    /// When the whole bundle is due, ms since the epoch.
    pub due_ms: i64,
    /// Whether the bundle passed its time limit.
    pub overdue: bool,
    /// The form as JSON. (Shared: cloning a state is cheap; changes copy.)
    pub form: Arc<BTreeMap<FieldKey, serde_json::Value>>,
    /// Materials by code.
    pub materials: Arc<BTreeMap<MaterialCode, Material>>,
    /// Every field written by a step.
    pub outputs: Arc<BTreeMap<FieldKey, serde_json::Value>>,
    /// Steps in bundle order.
    pub steps: Arc<Vec<StepState>>,
    /// Number of events applied.
    pub events: u64,
    /// Who owns it (`issuer#subject`), when it was submitted with an
    /// identity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
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
            owner,
            ..
        } = event
        else {
            return None;
        };
        Some(Self {
            id: id.to_owned(),
            bundle: bundle.clone(),
            bundle_digest: *bundle_digest,
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
                        waiting_for: None,
                        reason: None,
                        problems: Vec::new(),
                        documents: Vec::new(),
                        note: None,
                        overdue: false,
                    })
                    .collect(),
            ),
            events: 1,
            owner: owner.clone(),
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
    pub fn step(&self, step: &StepRef) -> Option<&StepState> {
        self.steps.iter().find(|s| &s.step == step)
    }

    fn step_mut(&mut self, step: &StepRef) -> Option<&mut StepState> {
        Arc::make_mut(&mut self.steps)
            .iter_mut()
            .find(|s| &s.step == step)
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
                    s.plugin_digest = Some(*plugin_digest);
                    s.retry_at_ms = None;
                    s.waiting_for = None;
                }
            }
            Event::StepApproved {
                step,
                outputs,
                documents,
                note,
                ..
            } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Approved;
                    s.finished_ms = Some(at_ms);
                    s.documents = documents.clone();
                    s.note = note.clone();
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
                    s.reason = Some(Text::same(error.clone()));
                }
            }
            Event::RetryScheduled { step, at_ms: due } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Retrying;
                    s.retry_at_ms = Some(*due);
                }
            }
            Event::StepWaiting {
                step,
                origin,
                until_ms,
                reason,
            } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Retrying;
                    s.retry_at_ms = Some(*until_ms);
                    // The attempt that found the system down is given back.
                    s.attempts = s.attempts.saturating_sub(1);
                    s.waiting_for = Some(origin.clone());
                    s.reason = Some(Text::same(reason.clone()));
                }
            }
            Event::SentToManualQueue { step, reason } => {
                if let Some(s) = self.step_mut(step) {
                    s.status = StepStatus::Manual;
                    s.reason = Some(Text::same(reason.clone()));
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

    fn step(s: &str) -> StepRef {
        StepRef::parse(s).expect("step")
    }

    fn submitted() -> (AppState, Event) {
        let e = Event::Submitted {
            bundle: BundleId::parse("b").expect("id"),
            bundle_digest: Digest::of(b"bundle"),
            form: BTreeMap::new(),
            materials: BTreeMap::new(),
            steps: vec![(step("a/one"), 60), (step("b/two"), 60)],
            time_limit_secs: 3600,
            consent: None,
            owner: Some("issuer#mother".into()),
        };
        (AppState::submitted("app", 1_000, &e).expect("submitted"), e)
    }

    #[test]
    fn approvals_complete_the_application() {
        let (mut s, _) = submitted();
        assert_eq!(s.due_ms, 1_000 + 3_600_000);
        s.apply(
            &Event::AttemptStarted {
                step: step("a/one"),
                attempt: 1,
                plugin_version: "1.0.0".into(),
                plugin_digest: Digest::of(b"plugin"),
                disclosed: vec![],
                materials: vec![],
            },
            2_000,
        );
        assert_eq!(s.status, AppStatus::Running);
        let mut out = BTreeMap::new();
        out.insert(FieldKey::parse("x.y").expect("key"), serde_json::json!("v"));
        s.apply(
            &Event::StepApproved {
                step: step("a/one"),
                attempt: 1,
                outputs: out,
                documents: vec![],
                note: None,
                operator: None,
            },
            3_000,
        );
        s.apply(
            &Event::StepSkipped {
                step: step("b/two"),
            },
            3_000,
        );
        assert_eq!(s.status, AppStatus::Completed);
        assert_eq!(s.outputs[&FieldKey::parse("x.y").expect("key")], "v");
    }

    #[test]
    fn manual_needs_more_and_correction() {
        let (mut s, _) = submitted();
        s.apply(
            &Event::SentToManualQueue {
                step: step("a/one"),
                reason: "trap".into(),
            },
            2_000,
        );
        assert_eq!(s.status, AppStatus::Manual);
        s.apply(
            &Event::StepApproved {
                step: step("a/one"),
                attempt: 0,
                outputs: BTreeMap::new(),
                documents: vec![],
                note: None,
                operator: Some("ops".into()),
            },
            3_000,
        );
        assert_eq!(s.status, AppStatus::Running);
        s.apply(
            &Event::StepNeedsMore {
                step: step("b/two"),
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
            s.step(&step("a/one")).map(|x| x.status),
            Some(StepStatus::Approved),
            "approved steps stay approved"
        );
        assert_eq!(
            s.step(&step("b/two")).map(|x| x.status),
            Some(StepStatus::Waiting)
        );
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
