//! The HTTP API (axum): applicants under `/api`, operators under `/admin`
//! (bearer token), and `/healthz`, `/readyz`, `/metrics`.
//!
//! [`router`] builds the whole app from an [`ApiState`] so tests call it
//! with tower's `oneshot` and no socket (see the tests at the end of this
//! file). Handlers are thin: they parse, call the engine or the loader,
//! and map errors to problem+json ([`error`]). The OpenAPI document is
//! [`openapi`].

mod applicant;
mod audit;
pub mod error;
mod json;
pub mod openapi;
mod operator;
pub mod versions;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use onething_catalog::Loader;
use onething_engine::Engine;
use serde::Deserialize;

/// An operator allowed to call `/admin/...`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    /// Name recorded with every action.
    pub name: String,
    /// Bearer token (at least 16 characters).
    pub token: String,
}

/// The API's size limits.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest JSON request body, in bytes.
    pub json_bytes: usize,
    /// Largest material upload, in bytes.
    pub material_bytes: usize,
    /// Largest component upload, in bytes.
    pub component_bytes: usize,
}

/// Everything handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The engine.
    pub engine: Engine,
    /// Operators and their tokens.
    pub operators: Arc<Vec<Operator>>,
    /// The loader, when versions can be changed while serving.
    pub loader: Option<Arc<Loader>>,
    /// Size limits.
    pub limits: BodyLimits,
}

/// The whole HTTP app.
pub fn router(state: ApiState) -> Router {
    let max_body_bytes = state.limits.json_bytes;
    let admin = Router::new()
        .route("/admin/manual-queue", get(operator::manual_queue))
        .route("/admin/overdue", get(operator::overdue))
        .route(
            "/admin/applications/{id}/steps/{department}/{step}/resolve",
            post(operator::resolve),
        )
        .route(
            "/admin/plugins/{department}/versions",
            get(versions::plugin_versions),
        )
        .route(
            "/admin/plugins/{department}/activate",
            post(versions::activate_plugin),
        )
        .route(
            "/admin/plugins/{department}/rollback",
            post(versions::rollback_plugin),
        )
        .route("/admin/bundles", post(versions::upload_bundle))
        .route(
            "/admin/bundles/{id}/versions",
            get(versions::bundle_versions),
        )
        .route(
            "/admin/bundles/{id}/activate",
            post(versions::activate_bundle),
        )
        .route(
            "/admin/bundles/{id}/rollback",
            post(versions::rollback_bundle),
        )
        .route("/admin/changes", get(versions::changes))
        .route("/admin/audit/verify", get(audit::verify))
        .route("/admin/audit/checkpoint", get(audit::checkpoint))
        .route(
            "/admin/applications/{id}/audit",
            get(audit::application_audit),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            operator::require_operator,
        ));
    // Components are larger than JSON bodies: their own limit.
    let uploads = Router::new()
        .route(
            "/admin/plugins",
            get(operator::plugins).post(versions::upload_component),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            operator::require_operator,
        ))
        .layer(DefaultBodyLimit::max(state.limits.component_bytes));
    let materials = Router::new()
        .route("/api/materials", post(applicant::upload_material))
        .layer(DefaultBodyLimit::max(state.limits.material_bytes));
    Router::new()
        .route("/api/bundles", get(applicant::bundles))
        .route("/api/bundles/{id}/form", get(applicant::form))
        .route("/api/bundles/{id}/check", post(applicant::check))
        .route("/api/applications", post(applicant::submit))
        .route(
            "/api/applications/{id}",
            get(applicant::status).patch(applicant::correct),
        )
        .route("/api/applications/{id}/events", get(applicant::events))
        .route("/api/applications/{id}/data-flows", get(audit::data_flows))
        .route("/api/bundles/{id}/prefill", post(applicant::prefill))
        .route("/api/openapi.json", get(openapi::document))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .merge(admin)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .merge(materials)
        .merge(uploads)
        .fallback(|| async {
            error::ApiError::not_found("no such endpoint; GET /api/openapi.json lists them")
        })
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

async fn ready(State(s): State<ApiState>) -> impl IntoResponse {
    let store = s.engine.store().ping().await;
    let plugins = s.engine.catalog().plugins().count();
    match store {
        Ok(()) if plugins > 0 => (
            StatusCode::OK,
            format!("ready: store reachable, {plugins} plugins loaded"),
        ),
        Ok(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no plugins loaded".to_string(),
        ),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {e}")),
    }
}

async fn metrics(State(s): State<ApiState>) -> Result<impl IntoResponse, error::ApiError> {
    let counts = s.engine.store().counts().await?;
    let overdue = s
        .engine
        .store()
        .list(None, true, 1_000_000)
        .await?
        .iter()
        .filter(|a| !a.status.is_final())
        .count() as u64;
    s.engine.metrics().set_store_gauges(&counts, overdue);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.engine.metrics().render(),
    ))
}

#[cfg(test)]
mod tests;
