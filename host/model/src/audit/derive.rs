//! Audit entries from an application's events: what the applicant gave,
//! what each department was sent for which step, what each department
//! wrote, and what an operator decided. Keys only, never values.

use super::{Action, Entry, Flow};
use crate::events::Event;
use crate::ids::{FieldKey, StepRef};

/// Keys given by the applicant.
fn from_applicant<'k>(keys: impl Iterator<Item = &'k FieldKey>) -> Vec<Flow> {
    keys.map(|k| Flow {
        key: k.to_string(),
        from: "applicant".into(),
    })
    .collect()
}

/// The department of a step, as an actor or recipient.
fn department(step: &StepRef) -> &str {
    step.department.as_str()
}

/// The entries of events appended to `application` in one change.
pub fn from_events<'e>(
    application: &str,
    events: impl IntoIterator<Item = &'e Event>,
) -> Vec<Entry> {
    let mut out = Vec::new();
    for event in events {
        let entry = |action, actor: &str| {
            let mut e = Entry::new(action, actor);
            e.application = Some(application.to_owned());
            e
        };
        match event {
            Event::Submitted {
                bundle,
                form,
                materials,
                consent,
                ..
            } => {
                let mut e = entry(Action::Received, "applicant");
                e.recipient = Some("platform".into());
                e.fields = from_applicant(form.keys());
                e.materials = materials.keys().map(ToString::to_string).collect();
                e.note = Some(match consent {
                    Some(c) => format!(
                        "submitted for bundle {bundle}, with prefill consent {}",
                        c.id
                    ),
                    None => format!("submitted for bundle {bundle}"),
                });
                out.push(e);
            }
            Event::AttemptStarted {
                step,
                attempt,
                disclosed,
                materials,
                ..
            } => {
                let mut e = entry(Action::Disclosed, "platform");
                e.recipient = Some(department(step).to_owned());
                e.step = Some(step.to_string());
                e.fields = disclosed.clone();
                e.materials = materials.iter().map(ToString::to_string).collect();
                e.note = Some(format!("attempt {attempt}"));
                out.push(e);
            }
            Event::StepApproved {
                step,
                outputs,
                operator,
                ..
            } => {
                let actor = operator.as_deref().unwrap_or(department(step));
                let mut e = entry(
                    if operator.is_some() {
                        Action::OperatorResolved
                    } else {
                        Action::Produced
                    },
                    actor,
                );
                e.recipient = Some("platform".into());
                e.step = Some(step.to_string());
                e.fields = outputs
                    .keys()
                    .map(|k| Flow {
                        key: k.to_string(),
                        from: actor.to_owned(),
                    })
                    .collect();
                if operator.is_some() {
                    e.note = Some("approved by hand".into());
                }
                out.push(e);
            }
            Event::StepRejected {
                step,
                operator: Some(op),
                ..
            } => {
                let mut e = entry(Action::OperatorResolved, op);
                e.step = Some(step.to_string());
                e.note = Some("rejected by hand".into());
                out.push(e);
            }
            Event::FormCorrected { fields, materials } => {
                let mut e = entry(Action::Received, "applicant");
                e.recipient = Some("platform".into());
                e.fields = from_applicant(fields.keys());
                e.materials = materials.keys().map(ToString::to_string).collect();
                e.note = Some("correction".into());
                out.push(e);
            }
            Event::StepSkipped { .. }
            | Event::StepNeedsMore { .. }
            | Event::StepRejected { operator: None, .. }
            | Event::AttemptFailed { .. }
            | Event::RetryScheduled { .. }
            | Event::StepWaiting { .. }
            | Event::SentToManualQueue { .. }
            | Event::DeadlinePassed { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Digest, MaterialCode};
    use std::collections::BTreeMap;

    fn step(s: &str) -> StepRef {
        StepRef::parse(s).expect("step")
    }

    #[test]
    fn a_disclosure_names_the_department_the_step_and_the_keys() {
        let flows = vec![
            Flow {
                key: "child.name".into(),
                from: "applicant".into(),
            },
            Flow {
                key: "child.birth_certificate_number".into(),
                from: "health".into(),
            },
        ];
        let events = [
            Event::AttemptStarted {
                step: step("public-security/household-registration"),
                attempt: 1,
                plugin_version: "1.0.0".into(),
                plugin_digest: Digest::of(b"component"),
                disclosed: flows.clone(),
                materials: vec![MaterialCode::parse("marriage-certificate").expect("code")],
            },
            Event::StepApproved {
                step: step("public-security/household-registration"),
                attempt: 1,
                outputs: BTreeMap::from([(
                    FieldKey::parse("child.id_number").expect("key"),
                    serde_json::json!("3502..."),
                )]),
                documents: vec![],
                note: None,
                operator: None,
            },
            Event::RetryScheduled {
                step: step("x/y"),
                at_ms: 0,
            },
        ];
        let entries = from_events("app-1", &events);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].action, Action::Disclosed);
        assert_eq!(entries[0].recipient.as_deref(), Some("public-security"));
        assert_eq!(entries[0].fields, flows);
        assert_eq!(entries[1].action, Action::Produced);
        assert_eq!(entries[1].actor, "public-security");
        // Keys only: the issued number itself is nowhere in the entry.
        let text = serde_json::to_string(&entries).expect("json");
        assert!(!text.contains("3502..."), "{text}");
    }
}
