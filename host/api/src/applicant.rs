//! Applicant endpoints: bundles and themes, the one form, checking a
//! draft, submitting, following progress (status and server-sent events),
//! correcting a needs-more application, uploading materials.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use serde::Deserialize;
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use super::json::ApiJson;
use onething_engine::prefill::PrefillRequest;
use onething_model::application::{ApplicationDoc, sniff_media_type};
use onething_model::ids::Digest;
use onething_store::applications::EventRecord;
use onething_store::materials::MaterialMeta;

pub(super) async fn bundles(State(s): State<ApiState>) -> Json<serde_json::Value> {
    let cat = s.engine.catalog();
    let mut themes: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let list: Vec<serde_json::Value> = cat
        .bundles()
        .map(|b| {
            for t in &b.themes {
                themes.entry(t.as_str()).or_default().push(b.id.as_str());
            }
            json!({
                "id": b.id,
                "title": b.title,
                "description": b.description,
                "time_limit_hours": b.time_limit.as_secs_f64() / 3600.0,
                "themes": b.themes,
                "departments": b.departments(),
                "steps": b.steps.iter().map(|st| json!({"step": st.reference, "title": st.spec.title, "after": st.after, "time_limit_hours": st.time_limit.as_secs_f64() / 3600.0, "conditional": st.when.is_some()})).collect::<Vec<_>>(),
                "form": format!("/api/bundles/{}/form", b.id),
            })
        })
        .collect();
    let themes: Vec<serde_json::Value> = themes
        .into_iter()
        .map(|(t, b)| json!({"theme": t, "bundles": b}))
        .collect();
    Json(json!({ "bundles": list, "themes": themes }))
}

pub(super) async fn form(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let cat = s.engine.catalog();
    let bundle = cat
        .bundle_named(&id)
        .ok_or_else(|| ApiError::not_found(format!("no bundle {id:?}")))?;
    let form = onething_model::form::build(bundle, cat.dict());
    Ok(Json(json!({
        "bundle": bundle.id,
        "schema": form.json_schema(cat.dict()),
        "materials": form.materials,
        "notification": form.notification(),
    })))
}

pub(super) async fn check(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(doc): ApiJson<ApplicationDoc>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if doc.bundle.as_str() != id {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Bundle mismatch",
            format!(
                "the body names bundle {} but the path names {id}",
                doc.bundle
            ),
        ));
    }
    let (_, _, problems) = s.engine.check(&doc).await?;
    Ok(Json(
        json!({ "ok": problems.is_empty(), "problems": problems }),
    ))
}

pub(super) async fn submit(
    State(s): State<ApiState>,
    ApiJson(doc): ApiJson<ApplicationDoc>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, existing) = s.engine.submit(&doc).await?;
    let body = json!({
        "id": id,
        "existing": existing,
        "status": format!("/api/applications/{id}"),
        "events": format!("/api/applications/{id}/events"),
    });
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/api/applications/{id}"))],
        Json(body),
    ))
}

pub(super) async fn status(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let state = s
        .engine
        .state(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no application {id}")))?;
    let cat = s.engine.catalog();
    let steps: Vec<serde_json::Value> = state
        .steps
        .iter()
        .map(|st| {
            let department = &st.step.department;
            let due_ms = st
                .started_ms
                .map(|t| t + (st.time_limit_secs as i64) * 1000);
            json!({
                "step": st.step,
                "department": department,
                "status": st.status,
                "attempts": st.attempts,
                "plugin_version": st.plugin_version,
                "plugin_digest": st.plugin_digest,
                "due_ms": due_ms,
                "overdue": st.overdue,
                "reason": st.reason,
                "problems": st.problems,
                "documents": st.documents,
                "note": st.note,
            })
        })
        .collect();
    let title = cat.bundle(&state.bundle).map(|b| b.title.clone());
    Ok(Json(json!({
        "id": state.id,
        "bundle": state.bundle,
        "title": title,
        "status": state.status,
        "submitted_ms": state.submitted_ms,
        "due_ms": state.due_ms,
        "overdue": state.overdue,
        "steps": steps,
        "outputs": state.outputs,
    })))
}

/// A correction of a needs-more application.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Correction {
    /// Fields to set (null removes).
    fields: BTreeMap<String, serde_json::Value>,
}

pub(super) async fn correct(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(c): ApiJson<Correction>,
) -> Result<impl IntoResponse, ApiError> {
    let state = s.engine.correct(&id, c.fields).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": state.id, "status": state.status })),
    ))
}

pub(super) async fn events(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let engine = s.engine.clone();
    let rx = engine.subscribe();
    let state = engine
        .state(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no application {id}")))?;
    let history: VecDeque<EventRecord> = engine.store().events(&id, 0).await?.into();
    let done = state.status.is_final();
    let stream = futures::stream::unfold(
        (engine, id, rx, 0u64, history, done),
        |(engine, id, mut rx, mut last, mut pending, mut done)| async move {
            loop {
                if let Some(ev) = pending.pop_front() {
                    last = ev.seq;
                    let sse = SseEvent::default()
                        .event(ev.event.kind())
                        .id(ev.seq.to_string())
                        .json_data(&ev)
                        .unwrap_or_else(|_| SseEvent::default().comment("unencodable event"));
                    return Some((
                        Ok::<_, Infallible>(sse),
                        (engine, id, rx, last, pending, done),
                    ));
                }
                if done {
                    return None;
                }
                match rx.recv().await {
                    Ok(u) if u.application != id => continue,
                    Ok(u) => {
                        if let Ok(more) = engine.store().events(&id, last).await {
                            pending.extend(more);
                        }
                        done = u.status.is_final();
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        if let Ok(more) = engine.store().events(&id, last).await {
                            pending.extend(more);
                        }
                        if let Ok(Some(st)) = engine.state(&id).await {
                            done = st.status.is_final();
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                }
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

pub(super) async fn upload_material(
    State(s): State<ApiState>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Material too large",
                format!("materials are limited to {} bytes", s.limits.material_bytes),
            )
        } else {
            ApiError::bad_request(format!("cannot read the body: {e}"))
        }
    })?;
    if body.is_empty() {
        return Err(ApiError::bad_request("the material is empty"));
    }
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let sniffed = sniff_media_type(&body).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported material",
            "a material must be a PDF, PNG or JPEG file",
        )
    })?;
    if declared != sniffed {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Media type mismatch",
            format!("Content-Type says {declared:?} but the content is {sniffed}"),
        ));
    }
    let meta = MaterialMeta {
        digest: Digest::of(&body),
        media_type: sniffed.to_owned(),
        size: body.len() as u64,
    };
    s.engine.store().put_material(&meta, &body).await?;
    Ok((StatusCode::CREATED, Json(json!(meta))))
}

pub(super) async fn prefill(
    State(s): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<PrefillRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let answer = s.engine.prefill(&id, request).await?;
    Ok(Json(json!(answer)))
}
