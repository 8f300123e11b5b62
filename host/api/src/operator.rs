//! Operator endpoints under `/admin`: loaded plugins and their manifests,
//! the manual queue, resolving a queued step, overdue applications. Every
//! request needs `Authorization: Bearer <token>` of a configured operator,
//! compared in constant time.

use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use super::ApiState;
use super::error::{ApiError, ProblemDetails};
use super::json::ApiJson;
use onething_engine::Resolution;
use onething_model::ids::{BundleId, DepartmentId, Digest, StepRef};
use onething_model::manifest::Manifest;
use onething_model::state::{AppStatus, StepStatus};
use onething_store::applications::AppSummary;

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
        .and_then(bearer_token)
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

/// The token of an `Authorization: Bearer <token>` header. The scheme is
/// matched without regard to case (RFC 9110, section 11.1).
pub(crate) fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A loaded plugin.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginInfo {
    /// Its department.
    pub department: DepartmentId,
    /// The serving version's digest.
    pub digest: Digest,
    /// The component's size in bytes.
    pub size: u64,
    /// Where it came from.
    pub origin: String,
    /// The contract version it speaks, `onething:matter@X.Y.Z`.
    pub contract: String,
    /// What it declares: department, version, and per step what it reads,
    /// writes and needs.
    pub manifest: Manifest,
}

/// The plugins serving.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginList {
    /// Every department's serving plugin.
    pub plugins: Vec<PluginInfo>,
}

#[utoipa::path(get, path = "/admin/plugins", tag = "operator",
    summary = "The plugins serving and their manifests",
    security(("bearer" = [])),
    responses((status = 200, description = "plugins", body = PluginList)))]
pub(super) async fn plugins(State(s): State<ApiState>) -> Json<PluginList> {
    let plugins = s
        .engine
        .catalog()
        .plugins()
        .map(|p| PluginInfo {
            department: p.department().clone(),
            digest: *p.digest(),
            size: p.size() as u64,
            origin: p.origin().to_string(),
            contract: p.contract().to_string(),
            manifest: p.manifest().clone(),
        })
        .collect();
    Json(PluginList { plugins })
}

/// A step waiting for an operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// The application.
    pub application: String,
    /// Its bundle.
    pub bundle: BundleId,
    /// The step, `department/step`.
    pub step: StepRef,
    /// Why it is here.
    pub reason: Option<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Whether it passed its time limit.
    pub overdue: bool,
    /// Where to resolve it.
    pub resolve: String,
}

/// The manual queue.
#[derive(Debug, Serialize, ToSchema)]
pub struct ManualQueue {
    /// Steps waiting.
    pub depth: usize,
    /// Each of them.
    pub items: Vec<QueueItem>,
}

#[utoipa::path(get, path = "/admin/manual-queue", tag = "operator",
    summary = "Steps waiting for an operator",
    security(("bearer" = [])),
    responses((status = 200, description = "the queue", body = ManualQueue)))]
pub(super) async fn manual_queue(State(s): State<ApiState>) -> Result<Json<ManualQueue>, ApiError> {
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
            items.push(QueueItem {
                application: state.id.clone(),
                bundle: state.bundle.clone(),
                step: st.step.clone(),
                reason: st.reason.clone(),
                attempts: st.attempts,
                overdue: st.overdue,
                resolve: format!("/admin/applications/{}/steps/{}/resolve", state.id, st.step),
            });
        }
    }
    Ok(Json(ManualQueue {
        depth: items.len(),
        items,
    }))
}

/// Applications with overdue work.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overdue {
    /// How many.
    pub count: usize,
    /// Each of them.
    pub applications: Vec<AppSummary>,
}

#[utoipa::path(get, path = "/admin/overdue", tag = "operator",
    summary = "Unfinished applications with a step or the bundle past its time limit",
    security(("bearer" = [])),
    responses((status = 200, description = "the applications", body = Overdue)))]
pub(super) async fn overdue(State(s): State<ApiState>) -> Result<Json<Overdue>, ApiError> {
    let applications: Vec<_> = s
        .engine
        .store()
        .list(None, true, 10_000)
        .await?
        .into_iter()
        .filter(|a| !a.status.is_final())
        .collect();
    Ok(Json(Overdue {
        count: applications.len(),
        applications,
    }))
}

#[utoipa::path(post, path = "/admin/applications/{id}/steps/{department}/{step}/resolve", tag = "operator",
    summary = "Resolve a step in the manual queue: approve it with the fields it writes, or reject the application with a reason",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "the application's id"),
        ("department" = String, Path, description = "the step's department"),
        ("step" = String, Path, description = "the step's id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses(
        (status = 200, description = "resolved; the application goes on", body = crate::applicant::Moved),
        (status = 404, description = "no such application or step", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the step is not in the manual queue", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "the outputs are not what the step writes, or a value is refused", body = ProblemDetails, content_type = "application/problem+json")))]
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
        Json(crate::applicant::Moved {
            id: state.id,
            status: state.status,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn item_7_the_bearer_scheme_is_matched_in_any_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR   abc  "] {
            assert_eq!(bearer_token(header), Some("abc"), "{header}");
        }
        for header in ["Basic abc", "Bearer", "Bearer ", "Bearerabc", ""] {
            assert_eq!(bearer_token(header), None, "{header}");
        }
    }
}
