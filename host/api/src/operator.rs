//! Operator endpoints under `/admin`: loaded plugins and their manifests,
//! the manual queue, resolving a queued step, overdue applications. Every
//! request needs `Authorization: Bearer <token>` of a configured operator,
//! compared in constant time.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::ApiState;
use super::error::ApiError;
use super::json::ApiJson;
use onething_engine::Resolution;
use onething_model::ids::StepRef;
use onething_model::state::{AppStatus, StepStatus};

/// The operator a request was authenticated as.
#[derive(Clone, Debug)]
pub(super) struct OperatorName(pub String);

pub(super) async fn require_operator(
    State(s): State<ApiState>,
    mut req: Request,
    next: Next,
) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned);
    let Some(token) = presented else {
        return ApiError::unauthorized("operator endpoints need Authorization: Bearer <token>")
            .into_response();
    };
    // Check every configured token so timing does not reveal which matched.
    let mut matched: Option<String> = None;
    for op in s.operators.iter() {
        let eq: bool = op.token.as_bytes().ct_eq(token.as_bytes()).into();
        if eq && matched.is_none() {
            matched = Some(op.name.clone());
        }
    }
    match matched {
        Some(name) => {
            req.extensions_mut().insert(OperatorName(name));
            next.run(req).await
        }
        None => ApiError::unauthorized("the bearer token is not one of a configured operator")
            .into_response(),
    }
}

pub(super) async fn plugins(State(s): State<ApiState>) -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = s
        .engine
        .catalog()
        .plugins()
        .map(|p| json!({ "department": p.department(), "digest": p.digest(), "size": p.size(), "origin": p.origin(), "contract": p.contract().to_string(), "manifest": p.manifest() }))
        .collect();
    Json(json!({ "plugins": list }))
}

pub(super) async fn manual_queue(
    State(s): State<ApiState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut items = Vec::new();
    for app in s
        .engine
        .store()
        .list(Some(AppStatus::Manual), false, 10_000)
        .await?
    {
        let Some(state) = s.engine.state(&app.id).await? else {
            continue;
        };
        for st in state
            .steps
            .iter()
            .filter(|st| st.status == StepStatus::Manual)
        {
            items.push(json!({
                "application": state.id,
                "bundle": state.bundle,
                "step": st.step,
                "reason": st.reason,
                "attempts": st.attempts,
                "overdue": st.overdue,
                "resolve": format!("/admin/applications/{}/steps/{}/resolve", state.id, st.step),
            }));
        }
    }
    Ok(Json(json!({ "depth": items.len(), "items": items })))
}

pub(super) async fn overdue(
    State(s): State<ApiState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let list: Vec<_> = s
        .engine
        .store()
        .list(None, true, 10_000)
        .await?
        .into_iter()
        .filter(|a| !a.status.is_final())
        .collect();
    Ok(Json(json!({ "count": list.len(), "applications": list })))
}

pub(super) async fn resolve(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Path((id, department, step)): Path<(String, String, String)>,
    ApiJson(resolution): ApiJson<Resolution>,
) -> Result<impl IntoResponse, ApiError> {
    let step = StepRef::parse(&format!("{department}/{step}"))
        .map_err(|e| ApiError::not_found(format!("no step {department}/{step}: {e}")))?;
    let state = s.engine.resolve(&id, &step, resolution, &op.0).await?;
    Ok((
        StatusCode::OK,
        Json(json!({ "id": state.id, "status": state.status })),
    ))
}
