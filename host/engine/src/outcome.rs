//! From a plugin call's result to the events that record it: approvals
//! checked against the step's declaration, retries scheduled with backoff,
//! and everything a person must look at sent to the manual queue.

use super::RetryPolicy;
use super::state::{DocumentRecord, Event};
use crate::bindings::types;
use crate::bundle::BundleStep;
use crate::check::accept_outputs;
use crate::dictionary::Dictionary;
use crate::problem::Problem;
use crate::runtime::CallError;

/// The events recording attempt `attempt` of `step`.
pub(super) fn events(
    step: &BundleStep,
    attempt: u32,
    result: Result<Result<types::Outcome, types::StepError>, CallError>,
    dict: &Dictionary,
    retry: &RetryPolicy,
    now_ms: i64,
) -> Vec<Event> {
    let name = step.reference.to_string();
    let failed = |error: String, retryable: bool| {
        let mut v = vec![Event::AttemptFailed {
            step: name.clone(),
            attempt,
            error: error.clone(),
            retryable,
        }];
        if retryable && attempt < retry.max_attempts {
            let at_ms = now_ms + retry.backoff(attempt).as_millis() as i64;
            v.push(Event::RetryScheduled {
                step: name.clone(),
                at_ms,
            });
        } else {
            let reason = if retryable {
                format!("{attempt} attempts failed; the last: {error}")
            } else {
                error
            };
            v.push(Event::SentToManualQueue {
                step: name.clone(),
                reason,
            });
        }
        v
    };
    match result {
        Ok(Ok(types::Outcome::Approved(a))) => match accept_outputs(step, a.fields, dict) {
            Ok(outputs) => vec![Event::StepApproved {
                step: name.clone(),
                attempt,
                outputs: outputs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
                documents: a
                    .documents
                    .into_iter()
                    .map(|d| DocumentRecord {
                        kind: d.kind,
                        number: d.number,
                        title: d.title,
                    })
                    .collect(),
                operator: None,
            }],
            Err(e) => failed(e, false),
        },
        Ok(Ok(types::Outcome::NeedsMore(ps))) => {
            vec![Event::StepNeedsMore {
                step: name.clone(),
                problems: ps
                    .into_iter()
                    .map(|p| Problem::from_wit(p, &step.reference))
                    .collect(),
            }]
        }
        Ok(Ok(types::Outcome::Rejected(reason))) => vec![Event::StepRejected {
            step: name.clone(),
            reason,
            operator: None,
        }],
        Ok(Ok(types::Outcome::Deferred(t))) => {
            vec![Event::SentToManualQueue {
                step: name.clone(),
                reason: format!("deferred by the department: ticket {}: {}", t.id, t.reason),
            }]
        }
        Ok(Err(types::StepError::Transient(m))) => failed(format!("transient error: {m}"), true),
        Ok(Err(types::StepError::Permanent(m))) => failed(format!("permanent error: {m}"), false),
        Err(e @ CallError::BadOutput { .. }) => failed(e.to_string(), false),
        Err(e) => failed(e.to_string(), true),
    }
}
