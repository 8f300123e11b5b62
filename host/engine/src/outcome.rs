//! From a plugin call's result to the events that record it: approvals
//! checked against the step's declaration, retries scheduled with backoff,
//! and everything a person must look at sent to the manual queue.
//!
//! Only a failure that may pass on a later attempt is retried: a transient
//! error the department reports, a trap, a deadline, an instance the pool
//! could not make. A failure that would repeat on the same input (a
//! permanent error, an output the host refuses, fuel, memory or host-copy
//! limits: see `CallError::repeats`) goes to the manual queue at once.
//!
//! A pure function of the result, the step, the dictionary, the retry
//! policy and the time: unit-tested without a plugin.

use onething_model::bundle::BundleStep;
use onething_model::call::{Handled, StepError, StepOutcome};
use onething_model::dictionary::Dictionary;
use onething_model::events::Event;
use onething_model::rules::accept_outputs;
use onething_runtime::CallError;

use crate::RetryPolicy;

/// The events recording attempt `attempt` of `step`.
pub fn events(
    step: &BundleStep,
    attempt: u32,
    result: Result<Handled, CallError>,
    dict: &Dictionary,
    retry: &RetryPolicy,
    now_ms: i64,
) -> Vec<Event> {
    let name = step.reference.clone();
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
        Ok(Ok(StepOutcome::Approved(a))) => match accept_outputs(step, a.fields, dict) {
            Ok(outputs) => vec![Event::StepApproved {
                step: name.clone(),
                attempt,
                outputs: outputs.into_iter().map(|(k, v)| (k, v.to_json())).collect(),
                documents: a.documents,
                note: a.note,
                operator: None,
            }],
            Err(e) => failed(e, false),
        },
        Ok(Ok(StepOutcome::NeedsMore(ps))) => vec![Event::StepNeedsMore {
            step: name.clone(),
            problems: ps
                .into_iter()
                .map(|p| p.found_by(&step.reference))
                .collect(),
        }],
        Ok(Ok(StepOutcome::Rejected(reason))) => vec![Event::StepRejected {
            step: name.clone(),
            reason,
            operator: None,
        }],
        Ok(Ok(StepOutcome::Deferred(t))) => vec![Event::SentToManualQueue {
            step: name.clone(),
            reason: format!("deferred by the department: ticket {}: {}", t.id, t.reason),
        }],
        Ok(Err(StepError::Transient(m))) => failed(format!("transient error: {m}"), true),
        Ok(Err(StepError::Permanent(m))) => failed(format!("permanent error: {m}"), false),
        // Its system is down: the step waits for it, and this attempt
        // does not count (the step's time limit sends it to a person).
        Ok(Err(StepError::Unreachable {
            message,
            origin,
            retry_in_ms,
        })) => {
            let error = format!("transient error: {message}");
            vec![
                Event::AttemptFailed {
                    step: name.clone(),
                    attempt,
                    error: error.clone(),
                    retryable: true,
                },
                Event::StepWaiting {
                    step: name.clone(),
                    origin,
                    until_ms: now_ms + retry_in_ms.max(1) as i64,
                    reason: error,
                },
            ]
        }
        Err(e) => {
            let retryable = !e.repeats();
            failed(e.to_string(), retryable)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use onething_model::call::{Approval, Document, ReportedProblem, ReturnedField, Ticket};
    use onething_model::dictionary::FieldValue;
    use onething_model::problem::Subject;

    fn retry() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            first_backoff_ms: 100,
            max_backoff_ms: 1_000,
            jitter: 0.0,
        }
    }

    fn kinds(events: &[Event]) -> Vec<&'static str> {
        events.iter().map(Event::kind).collect()
    }

    #[test]
    fn an_approval_is_recorded_with_its_checked_outputs_and_documents() {
        let (bundle, dict) = fixtures::bundle();
        let step = fixtures::step(&bundle, "police/register");
        let approved = Ok(Ok(StepOutcome::Approved(Approval {
            fields: vec![ReturnedField {
                key: "child.hukou_number".into(),
                value: Ok(FieldValue::Text("H-1".into())),
            }],
            documents: vec![Document {
                kind: "hukou".into(),
                number: "H-1".into(),
                title: "户口".into(),
            }],
            note: None,
        })));
        let events = events(step, 1, approved, &dict, &retry(), 0);
        let [
            Event::StepApproved {
                outputs, documents, ..
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!(outputs.len(), 1);
        assert_eq!(documents[0].number, "H-1");
    }

    #[test]
    fn an_undeclared_output_goes_to_the_manual_queue_without_retry() {
        let (bundle, dict) = fixtures::bundle();
        let step = fixtures::step(&bundle, "police/register");
        let approved = Ok(Ok(StepOutcome::Approved(Approval {
            fields: vec![ReturnedField {
                key: "child.name".into(),
                value: Ok(FieldValue::Text("x".into())),
            }],
            documents: vec![],
            note: None,
        })));
        let events = events(step, 1, approved, &dict, &retry(), 0);
        assert_eq!(kinds(&events), ["attempt-failed", "sent-to-manual-queue"]);
        let Event::SentToManualQueue { reason, .. } = &events[1] else {
            panic!()
        };
        assert!(reason.contains("does not declare it writes"), "{reason}");
    }

    #[test]
    fn a_step_whose_system_is_down_waits_even_on_its_last_attempt() {
        let (bundle, dict) = fixtures::bundle();
        let step = fixtures::step(&bundle, "health/birth");
        let unreachable = Ok(Err(StepError::Unreachable {
            message: "the registry did not answer".into(),
            origin: "http://127.0.0.1:8090".into(),
            retry_in_ms: 5_000,
        }));
        // The last attempt of the retry policy: still no manual queue.
        let out = events(
            step,
            retry().max_attempts,
            unreachable,
            &dict,
            &retry(),
            1_000,
        );
        assert_eq!(kinds(&out), ["attempt-failed", "step-waiting"]);
        let Event::StepWaiting {
            origin, until_ms, ..
        } = &out[1]
        else {
            panic!("{out:?}")
        };
        assert_eq!(
            (origin.as_str(), *until_ms),
            ("http://127.0.0.1:8090", 6_000)
        );
        // Applied, the attempt is given back.
        let mut state = fixtures::submitted(&bundle, 0);
        state.apply(
            &Event::AttemptStarted {
                step: step.reference.clone(),
                attempt: 3,
                plugin_version: "1.0.0".into(),
                plugin_digest: onething_model::ids::Digest::of(b"plugin"),
                disclosed: Vec::new(),
                materials: Vec::new(),
            },
            500,
        );
        for e in &out {
            state.apply(e, 1_000);
        }
        let s = state.step(&step.reference).expect("step");
        assert_eq!(s.attempts, 2);
        assert_eq!(s.retry_at_ms, Some(6_000));
        assert_eq!(s.waiting_for.as_deref(), Some("http://127.0.0.1:8090"));
    }

    #[test]
    fn transient_failures_and_traps_retry_until_the_last_attempt() {
        let (bundle, dict) = fixtures::bundle();
        let step = fixtures::step(&bundle, "health/birth");
        let transient = || Ok(Err(StepError::Transient("down".into())));
        let first = events(step, 1, transient(), &dict, &retry(), 1_000);
        assert_eq!(kinds(&first), ["attempt-failed", "retry-scheduled"]);
        assert!(matches!(
            first[1],
            Event::RetryScheduled { at_ms: 1_100, .. }
        ));
        let last = events(step, 3, transient(), &dict, &retry(), 1_000);
        assert_eq!(kinds(&last), ["attempt-failed", "sent-to-manual-queue"]);
        let Event::SentToManualQueue { reason, .. } = &last[1] else {
            panic!()
        };
        assert!(reason.starts_with("3 attempts failed"), "{reason}");
        let trap = Err(CallError::Trap {
            function: "handle",
            message: "unreachable".into(),
        });
        assert_eq!(
            kinds(&events(step, 1, trap, &dict, &retry(), 0)),
            ["attempt-failed", "retry-scheduled"]
        );
    }

    #[test]
    fn item_15_failures_that_always_repeat_go_to_the_manual_queue_at_once() {
        use std::time::Duration;
        let (bundle, dict) = fixtures::bundle();
        let step = fixtures::step(&bundle, "health/birth");
        let ms = Duration::from_millis;
        let repeating = [
            CallError::Fuel {
                function: "handle",
                limit: 10,
                elapsed: ms(1),
            },
            CallError::Memory {
                function: "handle",
                limit: 10,
                requested: 20,
            },
            CallError::OutputTooLarge {
                function: "handle",
                limit: 10,
                actual: 20,
            },
            CallError::HostCopy {
                function: "handle",
                limit: 10,
            },
            CallError::BadOutput {
                function: "handle",
                message: "no".into(),
            },
        ];
        for e in repeating {
            let kind = e.kind();
            let events = events(step, 1, Err(e), &dict, &retry(), 0);
            assert_eq!(
                kinds(&events),
                ["attempt-failed", "sent-to-manual-queue"],
                "{kind}"
            );
            assert!(
                matches!(
                    events[0],
                    Event::AttemptFailed {
                        retryable: false,
                        ..
                    }
                ),
                "{kind}"
            );
        }
        let passing = [
            CallError::Deadline {
                function: "handle",
                limit: ms(10),
                elapsed: ms(11),
            },
            CallError::Trap {
                function: "handle",
                message: "unreachable".into(),
            },
            CallError::Instantiate {
                function: "handle",
                message: "pool full".into(),
            },
        ];
        for e in passing {
            let kind = e.kind();
            assert_eq!(
                kinds(&events(step, 1, Err(e), &dict, &retry(), 0)),
                ["attempt-failed", "retry-scheduled"],
                "{kind}"
            );
        }
    }

    #[test]
    fn permanent_errors_deferrals_needs_more_and_rejections() {
        let (bundle, dict) = fixtures::bundle();
        let step = fixtures::step(&bundle, "health/birth");
        let permanent = events(
            step,
            1,
            Ok(Err(StepError::Permanent("no".into()))),
            &dict,
            &retry(),
            0,
        );
        assert_eq!(
            kinds(&permanent),
            ["attempt-failed", "sent-to-manual-queue"]
        );
        let deferred = events(
            step,
            1,
            Ok(Ok(StepOutcome::Deferred(Ticket {
                id: "T-7".into(),
                reason: "paper file".into(),
            }))),
            &dict,
            &retry(),
            0,
        );
        let [Event::SentToManualQueue { reason, .. }] = deferred.as_slice() else {
            panic!("{deferred:?}")
        };
        assert!(reason.contains("ticket T-7: paper file"), "{reason}");
        let needs_more = events(
            step,
            1,
            Ok(Ok(StepOutcome::NeedsMore(vec![ReportedProblem {
                subject: Subject::General,
                code: "too-old".into(),
                message: "m".into(),
            }]))),
            &dict,
            &retry(),
            0,
        );
        let [Event::StepNeedsMore { problems, .. }] = needs_more.as_slice() else {
            panic!("{needs_more:?}")
        };
        assert_eq!(problems[0].found_by.as_ref(), Some(&step.reference));
        let rejected = events(
            step,
            1,
            Ok(Ok(StepOutcome::Rejected("no".into()))),
            &dict,
            &retry(),
            0,
        );
        assert_eq!(kinds(&rejected), ["step-rejected"]);
    }
}
