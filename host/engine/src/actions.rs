//! What people do to an application once it is stored: an operator
//! completes or rejects a step waiting in the manual queue
//! ([`Engine::resolve`]); the applicant corrects a needs-more application
//! without approved steps running again ([`Engine::correct`]).

use std::collections::BTreeMap;

use onething_model::application::{ApplicationDoc, read_contents};
use onething_model::bundle::Bundle;
use onething_model::events::Event;
use onething_model::ids::{FieldKey, StepRef};
use onething_model::state::{AppState, AppStatus, StepStatus};
use serde::{Deserialize, Serialize};

use crate::drive::materials_of;
use crate::notification::check_all;
use crate::{ActionError, Engine};

/// An operator's decision on a step in the manual queue.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Resolution {
    /// Complete the step by hand, with the fields it writes.
    Approve {
        /// Output fields (keys the step declares it writes).
        #[serde(default)]
        outputs: BTreeMap<String, serde_json::Value>,
    },
    /// Refuse the application at this step.
    Reject {
        /// Why, for the applicant.
        reason: String,
    },
}

impl Engine {
    /// An operator completes or rejects a step in the manual queue.
    pub async fn resolve(
        &self,
        id: &str,
        step: &StepRef,
        resolution: Resolution,
        operator: &str,
    ) -> Result<AppState, ActionError> {
        let cat = self.catalog();
        let current = self
            .state(id)
            .await?
            .ok_or_else(|| ActionError::NotFound(id.into()))?;
        let bundle = self.bundle_of(&current).await.ok_or_else(|| {
            ActionError::Conflict(format!("bundle {} is no longer loaded", current.bundle))
        })?;
        let new_state = self
            .inner
            .apps
            .change(id, |state| {
                let s = state.step(step).ok_or_else(|| {
                    ActionError::Invalid(format!("application {id} has no step {step}"))
                })?;
                if s.status != StepStatus::Manual {
                    return Err(ActionError::Conflict(format!(
                        "step {step} of application {id} is {:?}, not in the manual queue",
                        s.status
                    )));
                }
                let event = match &resolution {
                    Resolution::Approve { outputs } => {
                        let spec = bundle.step(step).ok_or_else(|| {
                            ActionError::Invalid(format!(
                                "bundle {} has no step {step}",
                                state.bundle
                            ))
                        })?;
                        let mut checked = BTreeMap::new();
                        for (k, v) in outputs {
                            let key = FieldKey::parse(k)
                                .map_err(|e| ActionError::Invalid(e.to_string()))?;
                            if !spec.spec.writes.contains(&key) {
                                return Err(ActionError::Invalid(format!(
                                    "step {step} does not write {key}; it writes: {}",
                                    spec.spec
                                        .writes
                                        .iter()
                                        .map(ToString::to_string)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )));
                            }
                            let value = cat
                                .dict()
                                .parse_json(&key, v)
                                .map_err(|e| ActionError::Invalid(e.message))?;
                            checked.insert(key, value.to_json());
                        }
                        Event::StepApproved {
                            step: step.clone(),
                            attempt: 0,
                            outputs: checked,
                            documents: vec![],
                            note: None,
                            operator: Some(operator.into()),
                        }
                    }
                    Resolution::Reject { reason } => {
                        if reason.trim().is_empty() {
                            return Err(ActionError::Invalid(
                                "a rejection needs a reason for the applicant".into(),
                            ));
                        }
                        Event::StepRejected {
                            step: step.clone(),
                            reason: reason.clone(),
                            operator: Some(operator.into()),
                        }
                    }
                };
                Ok(vec![event])
            })
            .await?;
        tracing::info!(application = id, %step, operator, "manual step resolved");
        if new_state.status.is_final() {
            self.inner.metrics.finished(new_state.status);
        }
        self.after_change(&new_state, &["resolved-by-operator"]);
        self.spawn_drive(id.to_owned());
        Ok(new_state)
    }

    /// The applicant corrects a needs-more application; approved steps are
    /// not run again.
    pub async fn correct(
        &self,
        id: &str,
        fields: BTreeMap<String, serde_json::Value>,
    ) -> Result<AppState, ActionError> {
        let cat = self.catalog();
        let current = self
            .state(id)
            .await?
            .ok_or_else(|| ActionError::NotFound(id.into()))?;
        if current.status != AppStatus::NeedsMore {
            return Err(ActionError::Conflict(format!(
                "application {id} is {}, not needs-more",
                current.status.as_str()
            )));
        }
        let bundle = self.bundle_of(&current).await.ok_or_else(|| {
            ActionError::Conflict(format!("bundle {} is no longer loaded", current.bundle))
        })?;
        // Check the corrected form with the steps still to do.
        let mut merged: serde_json::Map<String, serde_json::Value> = current
            .form
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        for (k, v) in &fields {
            if v.is_null() {
                merged.remove(k);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        let doc = ApplicationDoc {
            bundle: bundle.id.clone(),
            fields: merged,
            materials: Vec::new(),
            idempotency_key: None,
            consent: None,
        };
        let mut contents = read_contents(&doc, &bundle, cat.dict());
        contents.materials = materials_of(&current);
        let remaining = Bundle {
            steps: bundle
                .steps
                .iter()
                .filter(|s| {
                    current
                        .step(&s.reference)
                        .is_some_and(|st| st.status != StepStatus::Approved)
                })
                .cloned()
                .collect(),
            ..(*bundle).clone()
        };
        let (problems, _) = check_all(&remaining, &contents, &cat).await;
        if !problems.is_empty() {
            return Err(ActionError::Problems(problems));
        }
        // Store the corrections as typed by the dictionary (every key was
        // just checked).
        let corrected: BTreeMap<FieldKey, serde_json::Value> = fields
            .into_iter()
            .filter_map(|(k, v)| {
                let key = FieldKey::parse(&k).ok()?;
                let value = if v.is_null() {
                    v
                } else {
                    contents.form.get(&key)?.to_json()
                };
                Some((key, value))
            })
            .collect();
        let new_state = self
            .inner
            .apps
            .change(id, |state| {
                if state.status != AppStatus::NeedsMore {
                    return Err(ActionError::Conflict(format!(
                        "application {id} is {}, not needs-more",
                        state.status.as_str()
                    )));
                }
                Ok(vec![Event::FormCorrected {
                    fields: corrected.clone(),
                    materials: BTreeMap::new(),
                }])
            })
            .await?;
        self.after_change(&new_state, &["form-corrected"]);
        self.spawn_drive(id.to_owned());
        Ok(new_state)
    }
}
