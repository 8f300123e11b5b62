//! What happens to an application, as events. An application is its
//! event history: stored append-only, in order, and folded into its state
//! ([`crate::state`]) by the engine as it goes and by the store after a
//! restart. Every event names the step it is about by [`StepRef`] and
//! every value by its dictionary key; values are JSON as the applicant
//! gave them or as a department wrote them, checked before they were
//! recorded.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::application::Material;
use crate::audit::Flow;
use crate::call::Document;
use crate::consent::ConsentUse;
use crate::dictionary::Dictionary;
use crate::exposure::Exposure;
use crate::ids::{BundleId, Digest, FieldKey, MaterialCode, StepRef};
use crate::problem::Problem;
use crate::text::Text;

/// What happened to an application. Stored append-only, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Event {
    /// The application was accepted.
    Submitted {
        /// Bundle id.
        bundle: BundleId,
        /// Digest of the bundle definition it was submitted under.
        bundle_digest: Digest,
        /// The form, typed and validated, as JSON.
        form: BTreeMap<FieldKey, serde_json::Value>,
        /// Materials by code.
        materials: BTreeMap<MaterialCode, Material>,
        /// Steps in bundle order, with their time limits in seconds.
        steps: Vec<(StepRef, u64)>,
        /// Whole-bundle time limit in seconds.
        time_limit_secs: u64,
        /// The prefill consent the application was submitted with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consent: Option<ConsentUse>,
        /// Who submitted it and owns it: the applicant's issuer and
        /// subject (`issuer#subject`); none for an application submitted
        /// without an identity (`onething run`, or a store from before).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
    },
    /// A step's condition did not hold.
    StepSkipped {
        /// The step.
        step: StepRef,
    },
    /// An attempt is about to call the plugin.
    AttemptStarted {
        /// The step.
        step: StepRef,
        /// Attempt number from 1.
        attempt: u32,
        /// Plugin version.
        plugin_version: String,
        /// Plugin digest.
        plugin_digest: Digest,
        /// The fields the step is sent, with where each came from (keys
        /// only; the values are in the form and the outputs).
        #[serde(
            default,
            skip_serializing_if = "Vec::is_empty",
            with = "crate::audit::by_source"
        )]
        disclosed: Vec<Flow>,
        /// The material codes the step is sent.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        materials: Vec<MaterialCode>,
    },
    /// The step is done.
    StepApproved {
        /// The step.
        step: StepRef,
        /// Attempt that succeeded (0 for an operator's resolution).
        attempt: u32,
        /// Fields written, as JSON.
        outputs: BTreeMap<FieldKey, serde_json::Value>,
        /// Documents issued.
        documents: Vec<Document>,
        /// The department's note for the applicant, if any.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::text::lenient_option"
        )]
        note: Option<Text>,
        /// Operator who resolved it by hand, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
    },
    /// The department needs more from the applicant.
    StepNeedsMore {
        /// The step.
        step: StepRef,
        /// Every problem.
        problems: Vec<Problem>,
    },
    /// The department refused.
    StepRejected {
        /// The step.
        step: StepRef,
        /// Why.
        #[serde(deserialize_with = "crate::text::lenient")]
        reason: Text,
        /// Operator who rejected it by hand, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        operator: Option<String>,
    },
    /// An attempt failed.
    AttemptFailed {
        /// The step.
        step: StepRef,
        /// Attempt number.
        attempt: u32,
        /// Why, for people.
        error: String,
        /// Whether it may be retried.
        retryable: bool,
    },
    /// A retry is due at a time.
    RetryScheduled {
        /// The step.
        step: StepRef,
        /// When, in ms since the epoch.
        at_ms: i64,
    },
    /// The step's attempt could not reach its department's system, taken
    /// as down by its circuit breaker: the step waits for it, and the
    /// attempt does not count against its retries.
    StepWaiting {
        /// The step.
        step: StepRef,
        /// The system's origin, `scheme://host:port`.
        origin: String,
        /// When to try again, in ms since the epoch.
        until_ms: i64,
        /// What the attempt said, for people.
        reason: String,
    },
    /// The step waits for an operator.
    SentToManualQueue {
        /// The step.
        step: StepRef,
        /// Why.
        reason: String,
    },
    /// The applicant corrected the form.
    FormCorrected {
        /// Fields changed (JSON values; null removes).
        fields: BTreeMap<FieldKey, serde_json::Value>,
        /// Materials added or replaced.
        materials: BTreeMap<MaterialCode, Material>,
    },
    /// A step or the whole bundle passed its time limit.
    DeadlinePassed {
        /// The step, or none for the bundle.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<StepRef>,
    },
}

impl Event {
    /// The event as a reader with `exposure` sees it: the values of the
    /// form, the corrections and the outputs masked as the dictionary's
    /// sensitivity says, and the numbers of the documents a step issued
    /// masked unless the reader sees that step's outputs in full.
    pub fn exposed(&self, exposure: &Exposure, dict: &Dictionary) -> Event {
        if exposure.is_full() {
            return self.clone();
        }
        let values = |m: &BTreeMap<FieldKey, serde_json::Value>| {
            m.iter()
                .map(|(k, v)| (k.clone(), exposure.value(k, v, dict)))
                .collect()
        };
        let mut out = self.clone();
        match &mut out {
            Event::Submitted { form, owner, .. } => {
                *form = values(form);
                // Who owns it is the owner's business.
                if owner.is_some() {
                    *owner = Some("[hidden]".into());
                }
            }
            Event::FormCorrected { fields, .. } => *fields = values(fields),
            Event::StepApproved {
                outputs, documents, ..
            } => {
                let all_shown = outputs.keys().all(|k| exposure.shows(k));
                *outputs = values(outputs);
                if !all_shown || outputs.is_empty() {
                    for d in documents.iter_mut() {
                        d.number = crate::exposure::mask(
                            &serde_json::Value::String(d.number.clone()),
                            crate::dictionary::Sensitivity::Sensitive,
                        )
                        .as_str()
                        .unwrap_or("[sensitive]")
                        .to_owned();
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// The step an event is about, if any.
    pub fn step(&self) -> Option<&StepRef> {
        match self {
            Event::Submitted { .. } | Event::FormCorrected { .. } => None,
            Event::DeadlinePassed { step } => step.as_ref(),
            Event::StepSkipped { step }
            | Event::AttemptStarted { step, .. }
            | Event::StepApproved { step, .. }
            | Event::StepNeedsMore { step, .. }
            | Event::StepRejected { step, .. }
            | Event::AttemptFailed { step, .. }
            | Event::RetryScheduled { step, .. }
            | Event::StepWaiting { step, .. }
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
            Event::StepWaiting { .. } => "step-waiting",
            Event::SentToManualQueue { .. } => "sent-to-manual-queue",
            Event::FormCorrected { .. } => "form-corrected",
            Event::DeadlinePassed { .. } => "deadline-passed",
        }
    }
}
