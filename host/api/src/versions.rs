//! Operator endpoints for versions under `/admin`: upload a component
//! (with its signature) or a bundle, list a department's or bundle's
//! versions and history, activate a version, roll back in one call, and
//! read the catalog's history (refusals with their reasons included).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::ApiState;
use super::error::ApiError;
use super::json::ApiJson;
use super::operator::OperatorName;
use onething_catalog::{Loader, Origin, Outcome, Submission};
use onething_store::versions::{ChangeAction, VersionKind};

/// The header that carries a component's detached signature (the text of
/// its `.wasm.sig` file).
pub const SIGNATURE_HEADER: &str = "onething-signature";

fn loader(s: &ApiState) -> Result<&Loader, ApiError> {
    s.loader
        .as_deref()
        .ok_or_else(|| ApiError::not_found("hot loading is not enabled in this server"))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UploadQuery {
    /// Activate once admitted (default true).
    activate: Option<bool>,
    /// The department the component must be (optional check).
    department: Option<String>,
}

fn answer(outcome: Outcome) -> impl IntoResponse {
    let status = if outcome.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(json!(outcome)))
}

pub(super) async fn upload_component(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let signature = match headers.get(SIGNATURE_HEADER) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::bad_request("the Onething-Signature header is not text"))?
                .to_owned(),
        ),
        None => None,
    };
    let submission = Submission::Component {
        bytes: body.to_vec(),
        signature,
        department: q.department,
    };
    let outcome = loader(&s)?
        .admit(
            submission,
            &Origin::upload(&op.0),
            q.activate.unwrap_or(true),
        )
        .await?;
    Ok(answer(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BundleQuery {
    /// Activate once admitted (default true).
    activate: Option<bool>,
}

pub(super) async fn upload_bundle(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Query(q): Query<BundleQuery>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let text = String::from_utf8(body.to_vec())
        .map_err(|e| ApiError::bad_request(format!("a bundle is UTF-8 TOML text: {e}")))?;
    let outcome = loader(&s)?
        .admit(
            Submission::Bundle { text },
            &Origin::upload(&op.0),
            q.activate.unwrap_or(true),
        )
        .await?;
    Ok(answer(outcome))
}

async fn versions_of(
    s: &ApiState,
    kind: VersionKind,
    subject: &str,
) -> Result<Json<serde_json::Value>, ApiError> {
    let loader = loader(s)?;
    let versions = s.engine.store().versions(kind, subject).await?;
    let history = s
        .engine
        .store()
        .changes(Some(kind), Some(subject), 1000)
        .await?;
    if versions.is_empty() && history.is_empty() {
        return Err(ApiError::not_found(format!(
            "no {} {subject} is known",
            kind.as_str()
        )));
    }
    let serving = loader.serving_digest(kind, subject);
    Ok(Json(json!({
        "kind": kind,
        "subject": subject,
        "serving": serving,
        "versions": versions,
        "history": history,
    })))
}

pub(super) async fn plugin_versions(
    State(s): State<ApiState>,
    Path(department): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    versions_of(&s, VersionKind::Plugin, &department).await
}

pub(super) async fn bundle_versions(
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    versions_of(&s, VersionKind::Bundle, &id).await
}

/// Which stored version to serve: a digest, a digest prefix of at least 8
/// hex digits, or a declared version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Activation {
    version: String,
}

pub(super) async fn activate_plugin(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Path(department): Path<String>,
    ApiJson(a): ApiJson<Activation>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .activate(VersionKind::Plugin, &department, &a.version, &op.0)
        .await?;
    Ok(answer(outcome))
}

pub(super) async fn rollback_plugin(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Path(department): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .rollback(VersionKind::Plugin, &department, &op.0)
        .await?;
    Ok(answer(outcome))
}

pub(super) async fn activate_bundle(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Activation>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .activate(VersionKind::Bundle, &id, &a.version, &op.0)
        .await?;
    Ok(answer(outcome))
}

pub(super) async fn rollback_bundle(
    State(s): State<ApiState>,
    axum::Extension(op): axum::Extension<OperatorName>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .rollback(VersionKind::Bundle, &id, &op.0)
        .await?;
    Ok(answer(outcome))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangesQuery {
    /// `plugin` or `bundle`.
    kind: Option<String>,
    /// Only refusals.
    refused: Option<bool>,
    /// How many of the latest (default 100).
    limit: Option<usize>,
}

pub(super) async fn changes(
    State(s): State<ApiState>,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let kind = match q.kind.as_deref() {
        None => None,
        Some(k) => Some(VersionKind::parse(k).ok_or_else(|| {
            ApiError::bad_request(format!("kind={k}: expected plugin or bundle"))
        })?),
    };
    let mut list = s
        .engine
        .store()
        .changes(kind, None, q.limit.unwrap_or(100).min(10_000))
        .await?;
    if q.refused == Some(true) {
        list.retain(|c| c.action == ChangeAction::Refused);
    }
    Ok(Json(json!({ "changes": list })))
}
