//! What people do to an application once it is stored: an operator
//! completes or rejects a step waiting in the manual queue
//! ([`Engine::resolve`]); the applicant corrects a needs-more application
//! without approved steps running again ([`Engine::correct`]).
//!
//! An operator's approval is checked like a department's output, and
//! more: every field it writes is one the step declares, of the
//! dictionary's type; every field the step writes that a later step
//! requires is given (else that step would wait in the queue with no way
//! to fix this one); and a value of a `unique` field is claimed for the
//! application (refused when another application holds it) and reserved
//! in the department's own store, so its issuing never hands it out
//! again.

use std::collections::BTreeMap;

use onething_model::application::{ApplicationDoc, read_contents};
use onething_model::bundle::Bundle;
use onething_model::events::Event;
use onething_model::ids::{FieldKey, StepRef};
use onething_model::problem::first_of;
use onething_model::state::{AppState, AppStatus, StepStatus};
use onething_store::KvQuota;
use serde::{Deserialize, Serialize};

use crate::issued::{held_elsewhere, issued_values};

use crate::drive::materials_of;
use crate::notification::check_all;
use crate::{ActionError, Engine};

/// An operator's decision on a step in the manual queue.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        in_manual_queue(&current, step)?;
        let event = match &resolution {
            Resolution::Approve { outputs } => {
                let outputs = approval_outputs(&bundle, step, outputs, cat.dict())?;
                let issued = issued_values(&outputs, cat.dict());
                let conflicts = self.inner.store.claim_issued(id, &issued).await?;
                if !conflicts.is_empty() {
                    return Err(ActionError::Conflict(format!(
                        "step {step} cannot be approved with these values: {}",
                        held_elsewhere(&conflicts)
                    )));
                }
                self.reserve_in_department(id, step, &issued).await;
                Event::StepApproved {
                    step: step.clone(),
                    attempt: 0,
                    outputs,
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
                    // An officer writes in one language.
                    reason: reason.clone().into(),
                    operator: Some(operator.into()),
                }
            }
        };
        let new_state = self
            .inner
            .apps
            .change(id, |state| {
                in_manual_queue(state, step)?;
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

    /// Reserve values an operator issued by hand in the store of the
    /// department whose step writes them (`number/<field key>/<value>`,
    /// the SDK's convention), so its own issuing never hands them out.
    async fn reserve_in_department(&self, id: &str, step: &StepRef, issued: &[(FieldKey, String)]) {
        let kv = self.inner.store.kv();
        for (key, value) in issued {
            let reservation = format!("number/{key}/{value}");
            let holder = format!("operator:{id}");
            if let Err(e) = kv
                .insert_new(
                    &step.department,
                    &reservation,
                    holder.as_bytes(),
                    KvQuota::UNLIMITED,
                )
                .await
            {
                tracing::warn!(application = id, %step, %key, error = %e, "could not reserve a value issued by hand in the department's store");
            }
        }
    }

    /// The applicant corrects a needs-more application; approved steps are
    /// not run again.
    pub async fn correct(
        &self,
        id: &str,
        fields: BTreeMap<String, serde_json::Value>,
    ) -> Result<AppState, ActionError> {
        self.within_bounds(fields.len(), 0)
            .map_err(ActionError::Problems)?;
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
        let (problems, _) = check_all(&remaining, &contents, &cat, Some(id)).await;
        if !problems.is_empty() {
            return Err(ActionError::Problems(first_of(
                problems,
                self.inner.max_problems,
            )));
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

/// Refuse unless `step` of `state` waits in the manual queue.
fn in_manual_queue(state: &AppState, step: &StepRef) -> Result<(), ActionError> {
    let s = state.step(step).ok_or_else(|| {
        ActionError::Invalid(format!("application {} has no step {step}", state.id))
    })?;
    if s.status != StepStatus::Manual {
        return Err(ActionError::Conflict(format!(
            "step {step} of application {} is {:?}, not in the manual queue",
            state.id, s.status
        )));
    }
    Ok(())
}

/// An operator's outputs for `step`, checked as a department's would be,
/// and more: every key one the step declares it writes, every value valid
/// by the dictionary, and every field the step writes that another step
/// of the bundle requires given.
fn approval_outputs(
    bundle: &Bundle,
    step: &StepRef,
    outputs: &BTreeMap<String, serde_json::Value>,
    dict: &onething_model::dictionary::Dictionary,
) -> Result<BTreeMap<FieldKey, serde_json::Value>, ActionError> {
    let spec = bundle
        .step(step)
        .ok_or_else(|| ActionError::Invalid(format!("bundle {} has no step {step}", bundle.id)))?;
    let writes_list = || {
        spec.spec
            .writes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut checked = BTreeMap::new();
    for (k, v) in outputs {
        let key = FieldKey::parse(k).map_err(|e| ActionError::Invalid(e.to_string()))?;
        if !spec.spec.writes.contains(&key) {
            return Err(ActionError::Invalid(format!(
                "step {step} does not write {key}; it writes: {}",
                writes_list()
            )));
        }
        let value = dict
            .parse_json(&key, v)
            .map_err(|e| ActionError::Invalid(e.message.en))?;
        checked.insert(key, value.to_json());
    }
    let required_later: Vec<String> = spec
        .spec
        .writes
        .iter()
        .filter(|key| !checked.contains_key(*key))
        .filter(|key| {
            bundle.steps.iter().any(|other| {
                other.reference != *step
                    && other
                        .spec
                        .reads
                        .iter()
                        .any(|r| r.required && &r.key == *key)
            })
        })
        .map(ToString::to_string)
        .collect();
    if !required_later.is_empty() {
        return Err(ActionError::Invalid(format!(
            "step {step} must give {} (later steps require it); it writes: {}",
            required_later.join(", "),
            writes_list()
        )));
    }
    Ok(checked)
}
