//! Audit endpoints: the applicant's view of who received which of an
//! application's fields, when and for which step (a "data tracker"); and,
//! for operators, an application's audit entries, a check of the whole
//! chain naming the first broken record, and the checkpoint to keep
//! elsewhere.
//!
//! An application's entries are made from its events with the same
//! `onething_model::audit::derive` the store uses to seal them into the chain, so
//! the view and the log say the same thing; the chain is what proves it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use onething_model::audit::{Action, Entry, Flow};
use onething_model::events::Event;
use onething_store::applications::EventRecord;

/// One department's receipt of fields.
#[derive(Debug, Serialize)]
struct Receipt {
    department: String,
    step: String,
    at_ms: i64,
    fields: Vec<Flow>,
    materials: Vec<String>,
}

/// Who received a field, and first when.
#[derive(Debug, Serialize)]
struct Recipient {
    department: String,
    step: String,
    first_at_ms: i64,
    times: usize,
}

pub(super) async fn data_flows(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(state) = s.engine.state(&id).await? else {
        return Err(ApiError::not_found(format!("no application {id}")));
    };
    let events = s.engine.store().events(&id, 0).await?;
    let mut receipts = Vec::new();
    let mut produced = Vec::new();
    let mut by_field: BTreeMap<String, Vec<Recipient>> = BTreeMap::new();
    for (at_ms, e) in entries_of(&id, &events) {
        match e.action {
            Action::Disclosed => {
                let department = e.recipient.clone().unwrap_or_default();
                let step = e.step.clone().unwrap_or_default();
                for f in &e.fields {
                    let list = by_field.entry(f.key.clone()).or_default();
                    match list
                        .iter_mut()
                        .find(|x| x.department == department && x.step == step)
                    {
                        Some(x) => x.times += 1,
                        None => list.push(Recipient {
                            department: department.clone(),
                            step: step.clone(),
                            first_at_ms: at_ms,
                            times: 1,
                        }),
                    }
                }
                receipts.push(Receipt {
                    department,
                    step,
                    at_ms,
                    fields: e.fields,
                    materials: e.materials,
                });
            }
            Action::Produced | Action::OperatorResolved => produced.push(json!({
                "by": e.actor,
                "step": e.step,
                "at_ms": at_ms,
                "fields": e.fields.iter().map(|f| &f.key).collect::<Vec<_>>(),
                "note": e.note,
            })),
            _ => {}
        }
    }
    // The consent, as recorded with the application.
    let consent = events.into_iter().find_map(|r| match r.event {
        Event::Submitted { consent, .. } => consent,
        _ => None,
    });
    Ok(Json(json!({
        "application": id,
        "bundle": state.bundle,
        "fields": by_field,
        "received": receipts,
        "produced": produced,
        "prefill_consent": consent,
    })))
}

/// The audit entries of an application's events, each with its time.
fn entries_of(id: &str, events: &[EventRecord]) -> Vec<(i64, Entry)> {
    events
        .iter()
        .flat_map(|r| {
            onething_model::audit::derive::from_events(id, [&r.event])
                .into_iter()
                .map(move |e| (r.at_ms, e))
        })
        .collect()
}

pub(super) async fn application_audit(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let events = s.engine.store().events(&id, 0).await?;
    if events.is_empty() {
        return Err(ApiError::not_found(format!("no application {id}")));
    }
    let list: Vec<serde_json::Value> = entries_of(&id, &events)
        .into_iter()
        .map(|(at_ms, e)| {
            let mut v = json!(e);
            v["at_ms"] = json!(at_ms);
            v
        })
        .collect();
    Ok(Json(json!({ "application": id, "entries": list })))
}

pub(super) async fn verify(State(s): State<ApiState>) -> Result<impl IntoResponse, ApiError> {
    let checkpoint = s.engine.store().audit_checkpoint().await?;
    Ok(match s.engine.store().verify_audit().await? {
        Ok(v) => (
            StatusCode::OK,
            Json(
                json!({ "intact": true, "records": v.records, "head": v.head, "checkpoint": checkpoint.map(|c| json!({"seq": c.seq, "digest": c.digest})) }),
            ),
        ),
        Err(broken) => {
            tracing::error!(record = broken.seq, reason = %broken.reason, "the audit log is broken");
            (
                StatusCode::CONFLICT,
                Json(
                    json!({ "intact": false, "first_broken": broken, "message": broken.to_string() }),
                ),
            )
        }
    })
}

pub(super) async fn checkpoint(
    State(s): State<ApiState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let c = s.engine.store().audit_checkpoint().await?;
    Ok(Json(json!({
        "seq": c.as_ref().map_or(0, |c| c.seq),
        "digest": c.map_or(onething_store::audit::GENESIS.to_owned(), |c| c.digest),
    })))
}
