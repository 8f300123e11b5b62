//! Who may read an application, how much of it, and the record of every
//! read by someone other than its owner.
//!
//! | caller | reads | sees |
//! | --- | --- | --- |
//! | its owner (the applicant who submitted it) | status, events, corrections, materials, data flows | everything |
//! | another applicant | nothing: 404, as if it did not exist | — |
//! | an officer of a department with a step in its bundle | status, events, the materials its steps need | its department's fields in full, the rest masked |
//! | an officer of another department | nothing: 404 | — |
//! | an operator with `viewer` or `auditor` | status, events, data flows | every value masked |
//!
//! Masking is the dictionary's sensitivity (`onething_model::exposure`).
//! Each read by someone other than the owner is an audit entry (`read`):
//! who, which fields they saw in full, through which route; the owner's
//! data-flows view lists them.

use std::collections::BTreeSet;

use axum::http::StatusCode;
use onething_model::audit::{Action, Entry, Flow};
use onething_model::exposure::Exposure;
use onething_model::ids::{FieldKey, MaterialCode};
use onething_model::state::AppState;

use crate::ApiState;
use crate::auth::{Caller, Role};
use crate::error::ApiError;

/// How a caller reads one application.
pub(crate) struct Reader {
    /// What they see of its values.
    pub exposure: Exposure,
    /// The materials they may fetch.
    pub materials: Option<BTreeSet<MaterialCode>>,
    /// Who they are in the audit log, when they are not the owner.
    pub recorded_as: Option<String>,
}

impl Reader {
    /// Whether the reader is the application's owner.
    pub fn is_owner(&self) -> bool {
        self.recorded_as.is_none()
    }
}

/// The 404 for an application that does not exist, or that the caller
/// may not know exists: the same answer, so existence is not disclosed.
pub(crate) fn hidden(id: &str) -> ApiError {
    ApiError::not_found(format!("no application {id}"))
}

/// The application `id`, or [`hidden`]'s 404.
pub(crate) async fn application(s: &ApiState, id: &str) -> Result<AppState, ApiError> {
    s.engine.state(id).await?.ok_or_else(|| hidden(id))
}

/// How `caller` may read `state`, or 404 (another applicant, another
/// department) or 403 (an operator without the role).
pub(crate) async fn reader(
    s: &ApiState,
    caller: &Caller,
    state: &AppState,
) -> Result<Reader, ApiError> {
    match caller {
        Caller::Applicant(identity) => {
            if state.owner.as_deref() == Some(identity.owner().as_str()) {
                Ok(Reader {
                    exposure: Exposure::Full,
                    materials: None,
                    recorded_as: None,
                })
            } else {
                Err(hidden(&state.id))
            }
        }
        Caller::Officer { department, .. } => {
            let bundle = s
                .engine
                .bundle_of(state)
                .await
                .ok_or_else(|| hidden(&state.id))?;
            let steps: Vec<_> = bundle
                .steps
                .iter()
                .filter(|st| &st.reference.department == department)
                .collect();
            if steps.is_empty() {
                return Err(hidden(&state.id));
            }
            let fields: BTreeSet<FieldKey> = steps
                .iter()
                .flat_map(|st| {
                    st.spec
                        .reads
                        .iter()
                        .map(|r| r.key.clone())
                        .chain(st.spec.writes.iter().cloned())
                })
                .collect();
            let materials = steps
                .iter()
                .flat_map(|st| st.spec.materials.iter().map(|m| m.code.clone()))
                .collect();
            Ok(Reader {
                exposure: Exposure::Fields(fields),
                materials: Some(materials),
                recorded_as: Some(caller.actor()),
            })
        }
        Caller::Operator { .. } => {
            if caller.has_role(Role::Viewer) || caller.has_role(Role::Auditor) {
                Ok(Reader {
                    exposure: Exposure::Masked,
                    materials: Some(BTreeSet::new()),
                    recorded_as: Some(caller.actor()),
                })
            } else {
                Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "Role missing",
                    format!(
                        "reading an application needs the role viewer or auditor ({} has neither)",
                        caller.actor()
                    ),
                ))
            }
        }
    }
}

/// Record a read of `state` by someone other than its owner: the fields
/// they saw in full (with where each came from) and the route.
pub(crate) async fn record_read(
    s: &ApiState,
    reader: &Reader,
    state: &AppState,
    route: &str,
    materials: &[String],
) -> Result<(), ApiError> {
    let Some(actor) = &reader.recorded_as else {
        return Ok(());
    };
    let mut fields = Vec::new();
    let mut masked = 0usize;
    for key in state.form.keys() {
        if reader.exposure.shows(key) {
            fields.push(Flow {
                key: key.to_string(),
                from: "applicant".into(),
            });
        } else {
            masked += 1;
        }
    }
    let bundle = s.engine.bundle_of(state).await;
    for key in state.outputs.keys() {
        if reader.exposure.shows(key) {
            // Where the value came from: the department whose step writes it.
            let from = bundle
                .as_ref()
                .and_then(|b| b.steps.iter().find(|st| st.spec.writes.contains(key)))
                .map_or("platform".to_owned(), |st| {
                    st.reference.department.to_string()
                });
            fields.push(Flow {
                key: key.to_string(),
                from,
            });
        } else {
            masked += 1;
        }
    }
    let mut entry = Entry::new(Action::Read, actor.clone());
    entry.recipient = Some(actor.clone());
    entry.application = Some(state.id.clone());
    entry.fields = fields;
    entry.materials = materials.to_vec();
    entry.note = Some(if masked > 0 {
        format!("{route} ({masked} field(s) masked)")
    } else {
        route.to_owned()
    });
    s.engine.store().record_entries(&[entry]).await?;
    Ok(())
}
