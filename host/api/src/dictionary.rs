//! The data dictionary over HTTP: public at `GET /api/dictionary` (its
//! groups and their owners, every field and material), and versioned
//! under `/admin/dictionary` like the grants register: upload a version
//! (checked against everything serving: a change that would break a
//! serving component, bundle or the register is refused naming them),
//! list the versions and history, activate one, roll back.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiState;
use super::error::{ApiError, ProblemDetails};
use super::json::ApiJson;
use super::versions::{
    Activation, BundleQuery, Versions, admit_upload, answer, loader, toml_text, versions_of,
};
use crate::auth::{Allowed, Publish, View};
use onething_catalog::{Outcome, Submission};
use onething_model::dictionary::{Dictionary, FieldKind, Group, Sensitivity};
use onething_model::ids::Digest;
use onething_model::text::Text;
use onething_store::versions::{DICTIONARY_SUBJECT, VersionKind};

#[utoipa::path(post, path = "/admin/dictionary", tag = "operator",
    summary = "Upload a version of the data dictionary (TOML): admitted (and activated), or refused with the fault, or naming each serving component, bundle or register it would break",
    security(("bearer" = ["publisher"])),
    params(BundleQuery),
    request_body(description = "the dictionary's TOML", content((String = "application/toml"), (String = "text/plain"))),
    responses(
        (status = 201, description = "admitted (and activated)", body = Outcome),
        (status = 200, description = "this version was already there: nothing changed", body = Outcome),
        (status = 404, description = "hot loading is not enabled in this server", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: its fault, its version already stored as another text, or each use by what serves it would break", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn upload_dictionary(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    Query(q): Query<BundleQuery>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let text = toml_text(body, "the dictionary")?;
    admit_upload(
        &s,
        Submission::Dictionary { text },
        &allowed.caller.actor(),
        q.activate,
    )
    .await
}

#[utoipa::path(get, path = "/admin/dictionary/versions", tag = "operator",
    summary = "The data dictionary's stored versions, the serving one, and its history",
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, description = "versions and history", body = Versions),
        (status = 404, description = "hot loading is not enabled", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn dictionary_versions(
    _: Allowed<View>,
    State(s): State<ApiState>,
) -> Result<Json<Versions>, ApiError> {
    versions_of(&s, VersionKind::Dictionary, DICTIONARY_SUBJECT).await
}

#[utoipa::path(post, path = "/admin/dictionary/activate", tag = "operator",
    summary = "Serve a stored version of the data dictionary (its declared version, a digest or a digest prefix)",
    security(("bearer" = ["publisher"])),
    request_body(content = Activation, content_type = "application/json"),
    responses(
        (status = 201, description = "activated", body = Outcome),
        (status = 200, description = "it was serving already", body = Outcome),
        (status = 404, description = "no such version (or hot loading is not enabled)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "the prefix names more than one version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: it would break what serves (each use named)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn activate_dictionary(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
    ApiJson(a): ApiJson<Activation>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .activate(
            VersionKind::Dictionary,
            DICTIONARY_SUBJECT,
            &a.version,
            &allowed.caller.actor(),
        )
        .await?;
    Ok(answer(outcome))
}

#[utoipa::path(post, path = "/admin/dictionary/rollback", tag = "operator",
    summary = "Serve again the version of the data dictionary that served before the current one",
    security(("bearer" = ["publisher"])),
    responses(
        (status = 201, description = "rolled back", body = Outcome),
        (status = 404, description = "hot loading is not enabled", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 409, description = "nothing to roll back to", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "refused: what serves now uses an entry the earlier version lacks (roll that back first)", body = ProblemDetails, content_type = "application/problem+json")))]
pub(super) async fn rollback_dictionary(
    State(s): State<ApiState>,
    allowed: Allowed<Publish>,
) -> Result<impl IntoResponse, ApiError> {
    let outcome = loader(&s)?
        .rollback(
            VersionKind::Dictionary,
            DICTIONARY_SUBJECT,
            &allowed.caller.actor(),
        )
        .await?;
    Ok(answer(outcome))
}

/// A group of the dictionary and its owner.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupAnswer {
    /// Its id.
    pub id: String,
    /// What it covers.
    pub title: Text,
    /// The department that owns its entries.
    pub owner: String,
}

/// One field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldAnswer {
    /// Its key.
    pub key: String,
    /// Its type: text, integer, decimal, money, boolean, date, choice or
    /// list (`list of <type>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its label.
    pub label: Text,
    /// Its help text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// public, internal, personal or sensitive.
    pub sensitivity: String,
    /// Only departments write it.
    pub issued: bool,
    /// Its group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// One material.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaterialAnswer {
    /// Its code.
    pub code: String,
    /// Its label.
    pub label: Text,
    /// Accepted media types.
    pub media_types: Vec<String>,
    /// Largest size accepted.
    pub max_bytes: u64,
    /// Its group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// The dictionary serving.
#[derive(Debug, Serialize, ToSchema)]
pub struct DictionaryAnswer {
    /// Its declared version.
    pub version: String,
    /// The digest of its text.
    pub digest: Digest,
    /// Its groups and their owners.
    pub groups: Vec<GroupAnswer>,
    /// Every field, by key.
    pub fields: Vec<FieldAnswer>,
    /// Every material, by code.
    pub materials: Vec<MaterialAnswer>,
}

fn kind_name(kind: &FieldKind) -> String {
    match kind {
        FieldKind::List { items, .. } => format!("list of {}", items.name()),
        other => other.name().to_owned(),
    }
}

fn sensitivity_name(s: Sensitivity) -> &'static str {
    match s {
        Sensitivity::Public => "public",
        Sensitivity::Internal => "internal",
        Sensitivity::Personal => "personal",
        Sensitivity::Sensitive => "sensitive",
    }
}

impl DictionaryAnswer {
    fn of(d: &Dictionary) -> Self {
        Self {
            version: d.version().to_owned(),
            digest: d.digest(),
            groups: d
                .groups()
                .map(|g: &Group| GroupAnswer {
                    id: g.id.clone(),
                    title: g.title.clone(),
                    owner: g.owner.to_string(),
                })
                .collect(),
            fields: d
                .fields()
                .map(|f| FieldAnswer {
                    key: f.key.to_string(),
                    kind: kind_name(&f.kind),
                    label: f.label.clone(),
                    description: f.description.clone(),
                    sensitivity: sensitivity_name(f.sensitivity).to_owned(),
                    issued: f.issued,
                    group: f.group.clone(),
                })
                .collect(),
            materials: d
                .materials()
                .map(|m| MaterialAnswer {
                    code: m.code.to_string(),
                    label: m.label.clone(),
                    media_types: m.media_types.clone(),
                    max_bytes: m.max_bytes,
                    group: m.group.clone(),
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/dictionary", tag = "applicant",
    security(("bearer" = [])),
    summary = "The data dictionary serving: its version, its groups and the departments owning them, every field (type, label, sensitivity, whether only departments issue it) and material",
    responses((status = 200, description = "the dictionary", body = DictionaryAnswer)))]
pub(super) async fn dictionary(
    _: crate::auth::CatalogueReader,
    State(s): State<ApiState>,
) -> Json<DictionaryAnswer> {
    Json(DictionaryAnswer::of(s.engine.catalog().dict()))
}
