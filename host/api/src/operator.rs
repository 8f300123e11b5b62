//! Operator and officer endpoints under `/admin`: loaded plugins and
//! their manifests, the departments' systems and their breakers, the
//! manual queue, resolving a queued step, overdue
//! applications, and the applications themselves, filtered. Each states the permission it needs ([`crate::auth`]):
//! an officer sees and resolves only their own department's items.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Allowed, Caller, Resolve, View};

use super::ApiState;
use super::error::{ApiError, ProblemDetails};
use super::json::ApiJson;
use onething_engine::Resolution;
use onething_model::ids::{BundleId, DepartmentId, Digest, StepRef};
use onething_model::manifest::Manifest;
use onething_model::state::{AppStatus, StepStatus};
use onething_store::applications::AppSummary;

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

/// A department's system the host has called, and its circuit breaker.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemState {
    /// Its origin, `scheme://host:port`.
    pub origin: String,
    /// `closed` (calls pass), `open` (taken as down: calls are not sent)
    /// or `half-open` (one probe in flight).
    pub state: String,
}

/// The departments' systems the host has called.
#[derive(Debug, Serialize, ToSchema)]
pub struct SystemList {
    /// Each system, by origin.
    pub systems: Vec<SystemState>,
}

#[utoipa::path(get, path = "/admin/systems", tag = "operator",
    summary = "The departments' systems the host has called, and which are taken as down",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "systems", body = SystemList)))]
pub(super) async fn systems(_: Allowed<View>, State(s): State<ApiState>) -> Json<SystemList> {
    let systems = s
        .engine
        .systems()
        .into_iter()
        .map(|(origin, state)| SystemState {
            origin,
            state: state.to_owned(),
        })
        .collect();
    Json(SystemList { systems })
}

#[utoipa::path(get, path = "/admin/plugins", tag = "operator",
    summary = "The plugins serving and their manifests",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "plugins", body = PluginList)))]
pub(super) async fn plugins(_: Allowed<View>, State(s): State<ApiState>) -> Json<PluginList> {
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
    pub reason: Option<onething_model::text::Text>,
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
    summary = "Steps waiting for an operator (an officer sees only their department's)",
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "the queue", body = ManualQueue)))]
pub(super) async fn manual_queue(
    allowed: Allowed<View>,
    State(s): State<ApiState>,
) -> Result<Json<ManualQueue>, ApiError> {
    let department = match &allowed.caller {
        Caller::Officer { department, .. } => Some(department.clone()),
        _ => None,
    };
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
        for st in state.steps.iter().filter(|st| {
            st.status == StepStatus::Manual
                && department.as_ref().is_none_or(|d| &st.step.department == d)
        }) {
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
    security(("bearer" = ["viewer"])),
    responses((status = 200, description = "the applications", body = Overdue)))]
pub(super) async fn overdue(
    _: Allowed<View>,
    State(s): State<ApiState>,
) -> Result<Json<Overdue>, ApiError> {
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
    summary = "Resolve a step in the manual queue: approve it with the fields it writes, or reject the application with a reason (an officer: only their department's steps)",
    security(("bearer" = ["resolver"])),
    params(
        ("id" = String, Path, description = "the application's id"),
        ("department" = String, Path, description = "the step's department"),
        ("step" = String, Path, description = "the step's id")),
    request_body(content = Resolution, content_type = "application/json"),
    responses(
        (status = 200, description = "resolved; the application goes on", body = crate::applicant::Moved),
        (status = 403, description = "the role is missing, or an officer's step of another department", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "no such application or step", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the step is not in the manual queue", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "the outputs are not what the step writes, or a value is refused", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn resolve(
    allowed: Allowed<Resolve>,
    State(s): State<ApiState>,
    Path((id, department, step)): Path<(String, String, String)>,
    ApiJson(resolution): ApiJson<Resolution>,
) -> Result<impl IntoResponse, ApiError> {
    let step = StepRef::parse(&format!("{department}/{step}"))
        .map_err(|e| ApiError::not_found(format!("no step {department}/{step}: {e}")))?;
    if let Caller::Officer {
        department: own, ..
    } = &allowed.caller
        && own != &step.department
    {
        return Err(ApiError::forbidden(
            "Another department's step",
            format!(
                "{} may resolve only {own}'s steps, not {step}",
                allowed.caller.actor()
            ),
        ));
    }
    let state = s
        .engine
        .resolve(&id, &step, resolution, &allowed.caller.actor())
        .await?;
    Ok((
        StatusCode::OK,
        Json(crate::applicant::Moved {
            id: state.id,
            status: state.status,
        }),
    ))
}

/// What `GET /admin/applications` is filtered by.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationFilter {
    /// Only applications with this status.
    pub status: Option<AppStatus>,
    /// Only applications of this bundle.
    pub bundle: Option<String>,
    /// Only applications whose bundle has a step of this department.
    pub department: Option<String>,
    /// Only applications with work past its time limit.
    #[serde(default)]
    pub overdue: bool,
    /// At most this many (default 200, at most 10000), oldest first.
    pub limit: Option<usize>,
}

/// Applications, filtered.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationList {
    /// How many applications have each status (all of them, before the
    /// filter).
    pub counts: std::collections::BTreeMap<String, u64>,
    /// The applications that pass the filter, oldest submission first.
    pub applications: Vec<AppSummary>,
}

#[utoipa::path(get, path = "/admin/applications", tag = "operator",
    summary = "Applications filtered by status, bundle, department and overdue (an officer sees only those with a step of their department)",
    security(("bearer" = ["viewer"])),
    params(ApplicationFilter),
    responses(
        (status = 200, description = "the applications", body = ApplicationList),
        (status = 400, description = "a filter names something wrong", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn applications(
    allowed: Allowed<View>,
    State(s): State<ApiState>,
    filter: Result<Query<ApplicationFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ApplicationList>, ApiError> {
    let Query(filter) = filter.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let limit = filter.limit.unwrap_or(200).clamp(1, 10_000);
    let own = match &allowed.caller {
        Caller::Officer { department, .. } => Some(department.clone()),
        _ => None,
    };
    let cat = s.engine.catalog();
    let departments_of = |bundle: &BundleId| -> Vec<DepartmentId> {
        cat.bundle_named(bundle.as_str())
            .map(|b| b.departments())
            .unwrap_or_default()
    };
    let applications = s
        .engine
        .store()
        .list(filter.status, filter.overdue, 100_000)
        .await?
        .into_iter()
        .filter(|a| {
            filter
                .bundle
                .as_deref()
                .is_none_or(|b| a.bundle.as_str() == b)
        })
        .filter(|a| {
            let departments = departments_of(&a.bundle);
            own.as_ref().is_none_or(|d| departments.contains(d))
                && filter
                    .department
                    .as_deref()
                    .is_none_or(|d| departments.iter().any(|x| x.as_str() == d))
        })
        .take(limit)
        .collect();
    let counts = s
        .engine
        .store()
        .counts()
        .await?
        .into_iter()
        .map(|(status, n)| (status.as_str().to_owned(), n))
        .collect();
    Ok(Json(ApplicationList {
        counts,
        applications,
    }))
}
