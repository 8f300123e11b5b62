//! Audit endpoints: the applicant's view of who received which of an
//! application's fields, when and for which step (a "data tracker"); and,
//! for operators, an application's raw audit records, a check of the whole
//! chain naming the first broken record, and the checkpoint to keep
//! elsewhere.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use crate::audit::{Action, Entry, Flow};
use crate::engine::state::Event;

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
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Some(state) = s.engine.state(&id).await? else {
        return Err(ApiError::not_found(format!("no application {id}")));
    };
    let records = s.engine.store().audit_of(&id).await?;
    let mut receipts = Vec::new();
    let mut produced = Vec::new();
    let mut by_field: BTreeMap<String, Vec<Recipient>> = BTreeMap::new();
    for r in &records {
        let entries: Vec<Entry> = r.entries().map_err(ApiError::internal)?;
        for e in entries {
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
                                first_at_ms: r.at_ms,
                                times: 1,
                            }),
                        }
                    }
                    receipts.push(Receipt {
                        department,
                        step,
                        at_ms: r.at_ms,
                        fields: e.fields,
                        materials: e.materials,
                    });
                }
                Action::Produced | Action::OperatorResolved => produced.push(json!({
                    "by": e.actor,
                    "step": e.step,
                    "at_ms": r.at_ms,
                    "fields": e.fields.iter().map(|f| &f.key).collect::<Vec<_>>(),
                    "note": e.note,
                })),
                _ => {}
            }
        }
    }
    // The consent, as recorded with the application.
    let consent = s
        .engine
        .store()
        .events(&id, 0)
        .await?
        .into_iter()
        .find_map(|r| match r.event {
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

pub(super) async fn application_audit(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let records = s.engine.store().audit_of(&id).await?;
    let list: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            json!({
                "seq": r.seq,
                "at_ms": r.at_ms,
                "entries": r.entries().unwrap_or_default(),
                "prev": r.prev,
                "digest": r.digest,
            })
        })
        .collect();
    Ok(Json(json!({ "application": id, "records": list })))
}

pub(super) async fn verify(State(s): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let checkpoint = s.engine.store().audit_checkpoint().await?;
    Ok(match s.engine.store().verify_audit().await? {
        Ok(v) => (
            StatusCode::OK,
            Json(json!({ "intact": true, "records": v.records, "head": v.head, "checkpoint": checkpoint.map(|c| json!({"seq": c.seq, "digest": c.digest})) })),
        ),
        Err(broken) => {
            tracing::error!(record = broken.seq, reason = %broken.reason, "the audit log is broken");
            (
                StatusCode::CONFLICT,
                Json(json!({ "intact": false, "first_broken": broken, "message": broken.to_string() })),
            )
        }
    })
}

pub(super) async fn checkpoint(
    State(s): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let c = s.engine.store().audit_checkpoint().await?;
    Ok(Json(json!({
        "seq": c.as_ref().map_or(0, |c| c.seq),
        "digest": c.map_or(crate::audit::GENESIS.to_owned(), |c| c.digest),
    })))
}
