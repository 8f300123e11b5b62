//! What to do next with an application: a pure function of its state, its
//! bundle, its typed form and the time. Unit-tested without a store.

use std::collections::BTreeMap;

use onething_model::bundle::Bundle;
use onething_model::dictionary::FieldValue;
use onething_model::events::Event;
use onething_model::ids::{FieldKey, StepRef};
use onething_model::state::{AppState, AppStatus, StepStatus};

/// The engine's next move.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Steps whose condition does not hold: record them skipped.
    pub skip: Vec<StepRef>,
    /// Steps to attempt now, concurrently.
    pub start: Vec<StepRef>,
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
    let done = |step: &StepRef| {
        state
            .step(step)
            .is_some_and(|s| matches!(s.status, StepStatus::Approved | StepStatus::Skipped))
    };
    for b in &bundle.steps {
        let name = b.reference.clone();
        let Some(s) = state.step(&name) else { continue };
        match s.status {
            StepStatus::Waiting if b.after.iter().all(done) => {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, reference};
    use onething_model::ids::Digest;

    fn start(d: &Decision) -> Vec<String> {
        d.start.iter().map(ToString::to_string).collect()
    }

    fn started(step: &str) -> Event {
        Event::AttemptStarted {
            step: reference(step),
            attempt: 1,
            plugin_version: "1.0.0".into(),
            plugin_digest: Digest::of(b"p"),
            disclosed: vec![],
            materials: vec![],
        }
    }

    fn approve(state: &mut AppState, step: &str, at: i64) {
        state.apply(&started(step), at);
        state.apply(
            &Event::StepApproved {
                step: reference(step),
                attempt: 1,
                outputs: BTreeMap::new(),
                documents: vec![],
                note: None,
                operator: None,
            },
            at,
        );
    }

    #[test]
    fn steps_start_when_what_they_wait_for_is_done() {
        let (bundle, _) = fixtures::bundle();
        let mut state = fixtures::submitted(&bundle, 0);
        let form = BTreeMap::new();
        assert_eq!(start(&next(&state, &bundle, &form, 0)), ["health/birth"]);
        approve(&mut state, "health/birth", 10);
        let d = next(&state, &bundle, &form, 10);
        assert_eq!(start(&d), ["police/register"]);
        assert!(d.skip.is_empty());
        approve(&mut state, "police/register", 20);
        // The conditional step: its condition fails on this form.
        let d = next(&state, &bundle, &form, 20);
        assert!(d.start.is_empty());
        assert_eq!(d.skip, [reference("insurance/enrol")]);
        let insured = BTreeMap::from([(
            FieldKey::parse("mother.insured").expect("key"),
            FieldValue::Boolean(true),
        )]);
        assert_eq!(
            start(&next(&state, &bundle, &insured, 20)),
            ["insurance/enrol"]
        );
    }

    #[test]
    fn an_attempt_without_an_outcome_is_attempted_again() {
        let (bundle, _) = fixtures::bundle();
        let mut state = fixtures::submitted(&bundle, 0);
        state.apply(&started("health/birth"), 5);
        assert_eq!(
            start(&next(&state, &bundle, &BTreeMap::new(), 6)),
            ["health/birth"]
        );
    }

    #[test]
    fn a_retry_waits_for_its_time() {
        let (bundle, _) = fixtures::bundle();
        let mut state = fixtures::submitted(&bundle, 0);
        state.apply(
            &Event::RetryScheduled {
                step: reference("health/birth"),
                at_ms: 500,
            },
            5,
        );
        let early = next(&state, &bundle, &BTreeMap::new(), 100);
        assert!(early.start.is_empty());
        assert_eq!(early.wake_at_ms, Some(500));
        assert_eq!(
            start(&next(&state, &bundle, &BTreeMap::new(), 500)),
            ["health/birth"]
        );
    }

    #[test]
    fn nothing_moves_unless_running() {
        let (bundle, _) = fixtures::bundle();
        let mut state = fixtures::submitted(&bundle, 0);
        state.apply(
            &Event::SentToManualQueue {
                step: reference("health/birth"),
                reason: "r".into(),
            },
            5,
        );
        assert_eq!(state.status, AppStatus::Manual);
        assert_eq!(
            next(&state, &bundle, &BTreeMap::new(), 10),
            Decision::default()
        );
    }

    #[test]
    fn deadlines_are_flagged_once_each() {
        let (bundle, _) = fixtures::bundle();
        let mut state = fixtures::submitted(&bundle, 0);
        state.apply(&started("health/birth"), 1_000);
        // The step's limit is 10 minutes, the bundle's 2 hours.
        assert!(deadlines(&state, 1_000 + 600_000).is_empty());
        let due = deadlines(&state, 1_000 + 600_001);
        assert_eq!(
            due,
            [Event::DeadlinePassed {
                step: Some(reference("health/birth"))
            }]
        );
        for e in &due {
            state.apply(e, 700_000);
        }
        assert!(deadlines(&state, 700_000).is_empty(), "flagged once");
        let late = deadlines(&state, 2 * 3_600_000 + 1);
        assert_eq!(late, [Event::DeadlinePassed { step: None }]);
    }
}
