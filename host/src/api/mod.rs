//! The HTTP API (axum): applicants under `/api`, operators under `/admin`
//! (bearer token), and `/healthz`, `/readyz`, `/metrics`.
//!
//! [`router`] builds the whole app from an [`AppState`] so tests can call
//! it with `oneshot` and no socket. Handlers are thin: they parse, call the
//! engine, and map errors to problem+json ([`error`]).

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

use crate::config::Operator;
use crate::engine::Engine;

/// Everything handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    /// Operators and their tokens.
    pub operators: Arc<Vec<Operator>>,
    /// Largest material upload, in bytes.
    pub max_material_bytes: usize,
    /// The hot loader, when versions can be changed while serving.
    pub hotload: Option<Arc<crate::hotload::Hotload>>,
    /// Largest component upload, in bytes.
    pub max_component_bytes: usize,
}

/// The whole HTTP app.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
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
        .layer(DefaultBodyLimit::max(state.max_component_bytes));
    let materials = Router::new()
        .route("/api/materials", post(applicant::upload_material))
        .layer(DefaultBodyLimit::max(state.max_material_bytes));
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

async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    let store = s.engine.store().ping().await;
    let plugins = s.engine.catalogue().registry.plugins().count();
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

async fn metrics(State(s): State<AppState>) -> Result<impl IntoResponse, error::ApiError> {
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
