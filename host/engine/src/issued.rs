//! Values of `unique` fields (numbers only departments issue) belong to
//! one application each: before an approval that writes them is recorded (a plugin's or an
//! operator's), each value is claimed for the application in the store,
//! which refuses a value another application holds. A plugin's approval
//! so refused is not recorded: the attempt fails and the step goes to the
//! manual queue, its key-value writes taken back.

use std::collections::BTreeMap;

use onething_model::dictionary::Dictionary;
use onething_model::events::Event;
use onething_model::ids::FieldKey;
use onething_store::{IssuedElsewhere, StoreError};

use crate::Engine;

/// The values of unique issued fields among `outputs`, as text.
pub(crate) fn issued_values(
    outputs: &BTreeMap<FieldKey, serde_json::Value>,
    dict: &Dictionary,
) -> Vec<(FieldKey, String)> {
    outputs
        .iter()
        .filter(|(k, _)| dict.field(k).is_some_and(|f| f.unique))
        .map(|(k, v)| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

/// Why values cannot be recorded for an application, naming each field
/// and the application holding it (never the value: issued numbers are
/// personal data).
pub(crate) fn held_elsewhere(conflicts: &[IssuedElsewhere]) -> String {
    let each: Vec<String> = conflicts
        .iter()
        .map(|c| format!("{} is already issued to application {}", c.key, c.holder))
        .collect();
    format!(
        "{}; a number a department issues belongs to one application",
        each.join("; ")
    )
}

impl Engine {
    /// Claim the issued values of the approval among `events` for `app`:
    /// the events to record (the approval replaced by a failure sent to
    /// the manual queue when a value is held elsewhere), and whether it
    /// was so replaced.
    pub(crate) async fn claim_approval(
        &self,
        app: &str,
        events: Vec<Event>,
        dict: &Dictionary,
    ) -> Result<(Vec<Event>, bool), StoreError> {
        let Some(Event::StepApproved {
            step,
            attempt,
            outputs,
            ..
        }) = events
            .iter()
            .find(|e| matches!(e, Event::StepApproved { .. }))
        else {
            return Ok((events, false));
        };
        let values = issued_values(outputs, dict);
        if values.is_empty() {
            return Ok((events, false));
        }
        let conflicts = self.inner.store.claim_issued(app, &values).await?;
        if conflicts.is_empty() {
            return Ok((events, false));
        }
        let error = format!("handle: {step} wrote {}", held_elsewhere(&conflicts));
        tracing::warn!(application = app, %step, "an issued value is held by another application; the approval is not recorded");
        Ok((
            vec![
                Event::AttemptFailed {
                    step: step.clone(),
                    attempt: *attempt,
                    error: error.clone(),
                    retryable: false,
                },
                Event::SentToManualQueue {
                    step: step.clone(),
                    reason: error,
                },
            ],
            true,
        ))
    }
}
