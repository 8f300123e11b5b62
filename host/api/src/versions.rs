//! Operator endpoints for versions under `/admin`: upload a component
//! (with its signature), a bundle or the grants register, list a
//! department's, bundle's or the register's versions and history, activate
//! a version, roll back in one call, and read the catalog's history
//! (refusals with their reasons included). The register itself is public:
//! `GET /api/grants`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use super::error::{ApiError, ProblemDetails};
use super::json::ApiJson;
use crate::auth::{Allowed, Publish, View};
use onething_catalog::{Loader, Origin, Outcome, Submission};
use onething_model::grants::Grant;
use onething_model::ids::Digest;
use onething_store::versions::{
    ChangeAction, ChangeRecord, GRANTS_SUBJECT, StoredVersion, VersionKind,
};

/// The header that carries a component's detached signature (the text of
/// its `.wasm.sig` file).
pub const SIGNATURE_HEADER: &str = "onething-signature";

pub(super) fn loader(s: &ApiState) -> Result<&Loader, ApiError> {
    s.loader
        .as_deref()
        .ok_or_else(|| ApiError::not_found("hot loading is not enabled in this server"))
}

/// How to take an uploaded component.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UploadQuery {
    /// Activate once admitted (default true).
    activate: Option<bool>,
    /// The department the component must be (a check).
    department: Option<String>,
}

pub(super) fn answer(outcome: Outcome) -> impl IntoResponse {
    let status = if outcome.changed {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(outcome))
}

#[utoipa::path(post, path = "/admin/plugins", tag = "operator",
    summary = "Upload a component: admitted (and activated), or refused with the reason while the serving version keeps serving",
    security(("bearer" = ["publisher"])),
    params(UploadQuery,
        ("Onething-Signature" = Option<String>, Header, description = "the text of the component's .wasm.sig (required when signatures are)")),
    request_body(description = "the component's .wasm bytes", content((Vec<u8> = "application/wasm"), (Vec<u8> = "application/octet-stream"))),
    responses(
        (status = 201, description = "admitted (and activated)", body = Outcome),
        (status = 200, description = "this version was already there: nothing changed", body = Outcome),
        (status = 400, description = "the signature header is not text", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "hot loading is not enabled in this server", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "over max_component_bytes", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: the reason (bytes, world, contract version, signature, manifest, bundles that would break)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn upload_component(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
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
            &Origin::upload(&allowed.caller.actor()),
            q.activate.unwrap_or(true),
        )
        .await?;
    Ok(answer(outcome))
}

/// How to take an uploaded bundle.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct BundleQuery {
    /// Activate once admitted (default true).
    pub(super) activate: Option<bool>,
}

#[utoipa::path(post, path = "/admin/bundles", tag = "operator",
    summary = "Upload a bundle definition (TOML): admitted (and activated), or refused with every fault while the serving version keeps serving",
    security(("bearer" = ["publisher"])),
    params(BundleQuery),
    request_body(description = "the bundle's TOML", content((String = "application/toml"), (String = "text/plain"))),
    responses(
        (status = 201, description = "admitted (and activated)", body = Outcome),
        (status = 200, description = "this version was already there: nothing changed", body = Outcome),
        (status = 400, description = "not UTF-8 text", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 404, description = "hot loading is not enabled in this server", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 413, description = "over max_body_bytes", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: every fault", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn upload_bundle(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Query(q): Query<BundleQuery>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let text = toml_text(body, "a bundle")?;
    admit_upload(
        &s,
        Submission::Bundle { text },
        &allowed.caller.actor(),
        q.activate,
    )
    .await
}

/// A department's or bundle's versions and history.
#[derive(Debug, Serialize, ToSchema)]
pub struct Versions {
    /// Plugin or bundle.
    pub kind: VersionKind,
    /// The department or bundle.
    pub subject: String,
    /// The digest serving now.
    pub serving: Option<Digest>,
    /// Every stored version.
    pub versions: Vec<StoredVersion>,
    /// Every change, oldest first: admitted, refused (with the reason),
    /// activated, rolled back; who and when.
    pub history: Vec<ChangeRecord>,
}

pub(super) async fn versions_of(
    s: &ApiState,
    kind: VersionKind,
    subject: &str,
) -> Result<Json<Versions>, ApiError> {
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
    Ok(Json(Versions {
        kind,
        subject: subject.to_owned(),
        serving,
        versions,
        history,
    }))
}

#[utoipa::path(get, path = "/admin/plugins/{department}/versions", tag = "operator",
    summary = "A department's stored versions, the serving one, and its history (who activated what, when; refusals with reasons)",
    security(("bearer" = ["viewer"])),
    params(("department" = String, Path, description = "the department's id")),
    responses(
        (status = 200, description = "versions and history", body = Versions),
        (status = 404, description = "no such department is known, or hot loading is not enabled", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn plugin_versions(
    _: Allowed<View>,
    State(s): State<ApiState>,
    Path(department): Path<String>,
) -> Result<Json<Versions>, ApiError> {
    versions_of(&s, VersionKind::Plugin, &department).await
}

#[utoipa::path(get, path = "/admin/bundles/{id}/versions", tag = "operator",
    summary = "A bundle's stored versions, the serving one, and its history",
    security(("bearer" = ["viewer"])),
    params(("id" = String, Path, description = "the bundle's id")),
    responses(
        (status = 200, description = "versions and history", body = Versions),
        (status = 404, description = "no such bundle is known, or hot loading is not enabled", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn bundle_versions(
    _: Allowed<View>,
    State(s): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Versions>, ApiError> {
    versions_of(&s, VersionKind::Bundle, &id).await
}

/// Which stored version to serve.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Activation {
    /// A digest, a digest prefix of at least 8 hex digits, or a declared
    /// version.
    #[schema(min_length = 1, example = "1.0.0")]
    pub(super) version: String,
}

#[utoipa::path(post, path = "/admin/plugins/{department}/activate", tag = "operator",
    summary = "Serve a stored version of a department (digest, digest prefix or declared version)",
    security(("bearer" = ["publisher"])),
    params(("department" = String, Path, description = "the department's id")),
    request_body(content = Activation, content_type = "application/json"),
    responses(
        (status = 201, description = "activated", body = Outcome),
        (status = 200, description = "it was serving already", body = Outcome),
        (status = 404, description = "no such version (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the prefix names more than one version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: the reason (a bundle it would break)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn activate_plugin(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Path(department): Path<String>,
    ApiJson(a): ApiJson<Activation>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .activate(
            VersionKind::Plugin,
            &department,
            &a.version,
            &allowed.caller.actor(),
        )
        .await?;
    Ok(answer(outcome))
}

#[utoipa::path(post, path = "/admin/plugins/{department}/rollback", tag = "operator",
    summary = "Serve again the version of a department that served before the current one",
    security(("bearer" = ["publisher"])),
    params(("department" = String, Path, description = "the department's id")),
    responses(
        (status = 201, description = "rolled back", body = Outcome),
        (status = 404, description = "no such department is known (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "nothing to roll back to", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: the reason (a bundle it would break)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn rollback_plugin(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Path(department): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .rollback(VersionKind::Plugin, &department, &allowed.caller.actor())
        .await?;
    Ok(answer(outcome))
}

#[utoipa::path(post, path = "/admin/bundles/{id}/activate", tag = "operator",
    summary = "Serve a stored version of a bundle (digest, digest prefix or declared version)",
    security(("bearer" = ["publisher"])),
    params(("id" = String, Path, description = "the bundle's id")),
    request_body(content = Activation, content_type = "application/json"),
    responses(
        (status = 201, description = "activated", body = Outcome),
        (status = 200, description = "it was serving already", body = Outcome),
        (status = 404, description = "no such version (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the prefix names more than one version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: every fault", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn activate_bundle(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<Activation>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .activate(
            VersionKind::Bundle,
            &id,
            &a.version,
            &allowed.caller.actor(),
        )
        .await?;
    Ok(answer(outcome))
}

#[utoipa::path(post, path = "/admin/bundles/{id}/rollback", tag = "operator",
    summary = "Serve again the version of a bundle that served before the current one",
    security(("bearer" = ["publisher"])),
    params(("id" = String, Path, description = "the bundle's id")),
    responses(
        (status = 201, description = "rolled back", body = Outcome),
        (status = 404, description = "no such bundle is known (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "nothing to roll back to", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: every fault", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn rollback_bundle(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .rollback(VersionKind::Bundle, &id, &allowed.caller.actor())
        .await?;
    Ok(answer(outcome))
}

/// Which changes to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ChangesQuery {
    /// Only changes of plugins, or of bundles.
    kind: Option<VersionKind>,
    /// Only refusals.
    refused: Option<bool>,
    /// How many of the latest (default 100, at most 10,000).
    #[param(minimum = 0)]
    limit: Option<usize>,
}

/// The catalog's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct Changes {
    /// Changes, oldest first.
    pub changes: Vec<ChangeRecord>,
}

#[utoipa::path(get, path = "/admin/changes", tag = "operator",
    summary = "The catalog's history, latest last",
    security(("bearer" = ["viewer"])),
    params(ChangesQuery),
    responses((status = 200, description = "changes", body = Changes)))]
pub(super) async fn changes(
    _: Allowed<View>,
    State(s): State<ApiState>,
    Query(q): Query<ChangesQuery>,
) -> Result<Json<Changes>, ApiError> {
    let kind = q.kind;
    let mut list = s
        .engine
        .store()
        .changes(kind, None, q.limit.unwrap_or(100).min(10_000))
        .await?;
    if q.refused == Some(true) {
        list.retain(|c| c.action == ChangeAction::Refused);
    }
    Ok(Json(Changes { changes: list }))
}

/// A TOML upload's text.
/// Admit an uploaded version (and activate it unless `activate` is
/// false): the answer the upload endpoints give.
pub(super) async fn admit_upload(
    s: &ApiState,
    submission: Submission,
    actor: &str,
    activate: Option<bool>,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let outcome = loader(s)?
        .admit(submission, &Origin::upload(actor), activate.unwrap_or(true))
        .await?;
    Ok(answer(outcome))
}

pub(super) fn toml_text(body: Bytes, what: &str) -> Result<String, ApiError> {
    String::from_utf8(body.to_vec())
        .map_err(|e| ApiError::bad_request(format!("{what} is UTF-8 TOML text: {e}")))
}

#[utoipa::path(post, path = "/admin/grants", tag = "operator",
    summary = "Upload a version of the data-sharing register (TOML): admitted (and activated), or refused with every fault, or because a serving component would lose a grant it needs",
    security(("bearer" = ["publisher"])),
    params(BundleQuery),
    request_body(description = "the register's TOML", content((String = "application/toml"), (String = "text/plain"))),
    responses(
        (status = 201, description = "admitted (and activated)", body = Outcome),
        (status = 200, description = "this version was already there: nothing changed", body = Outcome),
        (status = 404, description = "hot loading is not enabled in this server", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: every fault, or each read of a serving component it would no longer grant", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn upload_grants(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Query(q): Query<BundleQuery>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let text = toml_text(body, "the grants register")?;
    admit_upload(
        &s,
        Submission::Grants { text },
        &allowed.caller.actor(),
        q.activate,
    )
    .await
}

#[utoipa::path(get, path = "/admin/grants/versions", tag = "operator",
    summary = "The data-sharing register's stored versions, the serving one, and its history",
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, description = "versions and history", body = Versions),
        (status = 404, description = "no register is known, or hot loading is not enabled", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn grants_versions(
    _: Allowed<View>,
    State(s): State<ApiState>,
) -> Result<Json<Versions>, ApiError> {
    versions_of(&s, VersionKind::Grants, GRANTS_SUBJECT).await
}

#[utoipa::path(post, path = "/admin/grants/activate", tag = "operator",
    summary = "Serve a stored version of the data-sharing register (digest or digest prefix)",
    security(("bearer" = ["publisher"])),
    request_body(content = Activation, content_type = "application/json"),
    responses(
        (status = 201, description = "activated", body = Outcome),
        (status = 200, description = "it was serving already", body = Outcome),
        (status = 404, description = "no such version (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the prefix names more than one version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: a serving component would lose a grant it needs", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn activate_grants(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    ApiJson(a): ApiJson<Activation>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .activate(
            VersionKind::Grants,
            GRANTS_SUBJECT,
            &a.version,
            &allowed.caller.actor(),
        )
        .await?;
    Ok(answer(outcome))
}

#[utoipa::path(post, path = "/admin/grants/rollback", tag = "operator",
    summary = "Serve again the version of the data-sharing register that served before the current one",
    security(("bearer" = ["publisher"])),
    responses(
        (status = 201, description = "rolled back", body = Outcome),
        (status = 404, description = "no register is known (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "nothing to roll back to", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: a serving component would lose a grant it needs (roll it back first)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn rollback_grants(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .rollback(VersionKind::Grants, GRANTS_SUBJECT, &allowed.caller.actor())
        .await?;
    Ok(answer(outcome))
}

/// The data-sharing register serving.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantsAnswer {
    /// The serving version's digest (none before a register is loaded).
    pub digest: Option<Digest>,
    /// Every grant: department, fields, purpose, legal basis, approver.
    pub grants: Vec<Grant>,
}

#[utoipa::path(get, path = "/api/grants", tag = "applicant",
    security(("bearer" = [])),
    summary = "The data-sharing register: which department may read which field, why, under which law, approved by whom",
    responses((status = 200, description = "the register", body = GrantsAnswer)))]
pub(super) async fn grants(
    _: crate::auth::CatalogueReader,
    State(s): State<ApiState>,
) -> Json<GrantsAnswer> {
    let cat = s.engine.catalog();
    Json(GrantsAnswer {
        digest: cat.grants_loaded().map(|g| g.digest),
        grants: cat.grants().grants.clone(),
    })
}
