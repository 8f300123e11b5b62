//! What to do next with an application: a pure function of its state, its
//! bundle, its typed form and the time. Unit-tested without a store.

use std::collections::BTreeMap;

use super::state::{AppState, AppStatus, Event, StepStatus};
use crate::bundle::Bundle;
use crate::dictionary::FieldValue;
use crate::ids::FieldKey;

/// The engine's next move.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Steps whose condition does not hold: record them skipped.
    pub skip: Vec<String>,
    /// Steps to attempt now, concurrently.
    pub start: Vec<String>,
    /// When to look again if nothing starts now (a retry is due).
    pub wake_at_ms: Option<i64>,
}

/// Decide the next move.
pub fn next(
    state: &AppState,
    bundle: &Bundle,
    form: &BTreeMap<FieldKey, FieldValue>,
    now_ms: i64,
) -> Decision {
    let mut d = Decision::default();
    if state.status != AppStatus::Running {
        return d;
    }
    let done = |step: &str| {
        state
            .step(step)
            .is_some_and(|s| matches!(s.status, StepStatus::Approved | StepStatus::Skipped))
    };
    for b in &bundle.steps {
        let name = b.reference.to_string();
        let Some(s) = state.step(&name) else { continue };
        match s.status {
            StepStatus::Waiting if b.after.iter().all(|a| done(&a.to_string())) => {
                if b.when.as_ref().is_none_or(|c| c.holds(form)) {
                    d.start.push(name);
                } else {
                    d.skip.push(name);
                }
            }
            // An attempt was recorded but no outcome: the host stopped
            // mid-call. Attempt again with the same idempotency key.
            StepStatus::Running => d.start.push(name),
            StepStatus::Retrying => match s.retry_at_ms {
                Some(at) if at > now_ms => {
                    d.wake_at_ms = Some(d.wake_at_ms.map_or(at, |w| w.min(at)))
                }
                _ => d.start.push(name),
            },
            _ => {}
        }
    }
    d
}

/// Deadline events due now: each step past its limit since it became
/// ready, and the bundle past its limit, flagged once.
pub fn deadlines(state: &AppState, now_ms: i64) -> Vec<Event> {
    let mut out = Vec::new();
    if state.status.is_final() {
        return out;
    }
    for s in state.steps.iter() {
        let open = !matches!(
            s.status,
            StepStatus::Approved | StepStatus::Skipped | StepStatus::Rejected
        );
        if let Some(started) = s.started_ms
            && open
            && !s.overdue
            && now_ms > started.saturating_add((s.time_limit_secs as i64).saturating_mul(1000))
        {
            out.push(Event::DeadlinePassed {
                step: Some(s.step.clone()),
            });
        }
    }
    if !state.overdue && now_ms > state.due_ms {
        out.push(Event::DeadlinePassed { step: None });
    }
    out
}
