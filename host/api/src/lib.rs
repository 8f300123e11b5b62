//! The HTTP API (axum): applicants under `/api`, operators under `/admin`
//! (bearer token), and `/healthz`, `/readyz`, `/metrics`.
//!
//! [`router`] builds the whole app from an [`ApiState`] so tests call it
//! with tower's `oneshot` and no socket (`tests.rs`). Handlers are thin:
//! they parse, call the engine or the loader, and map errors to
//! problem+json ([`error`]); every other error answer (an unknown method,
//! a malformed path or query, a body or head over its limit) is made
//! problem+json by [`guard`]. The OpenAPI document is [`openapi`]; the
//! server under the router, with its connection limits and shutdown, is
//! [`server`].

mod access;
mod applicant;
mod audit;
pub mod auth;
mod dictionary;
pub mod error;
pub mod guard;
mod json;
pub mod lang;
pub mod openapi;
mod operator;
pub mod rate;
pub mod server;
pub mod versions;

use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use onething_catalog::Loader;
use onething_engine::Engine;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{Authenticator, Officer, Operator, Role};

/// The API's limits on one request.
#[derive(Debug, Clone, Copy)]
pub struct RequestLimits {
    /// Largest JSON request body, in bytes (`max_body_bytes`).
    pub json_bytes: usize,
    /// Largest material upload, in bytes (`max_material_bytes`).
    pub material_bytes: usize,
    /// Largest component upload, in bytes (`max_component_bytes`).
    pub component_bytes: usize,
    /// Largest request head, in bytes (`http.max_header_bytes`).
    pub header_bytes: usize,
    /// Most headers (`http.max_headers`).
    pub headers: usize,
}

impl Default for RequestLimits {
    fn default() -> Self {
        let http = server::HttpSettings::default();
        Self {
            json_bytes: 1 << 20,
            material_bytes: 10 << 20,
            component_bytes: 64 << 20,
            header_bytes: http.max_header_bytes,
            headers: http.max_headers,
        }
    }
}

/// Whether the service is shutting down: live event streams end with a
/// final `shutdown` event when it is, so the server can drain.
#[derive(Debug, Clone)]
pub struct Closing(Option<tokio::sync::watch::Receiver<bool>>);

impl Closing {
    /// Follow a sender that is set to `true` when shutdown begins.
    pub fn follow(rx: tokio::sync::watch::Receiver<bool>) -> Self {
        Self(Some(rx))
    }

    /// A service that is never told to close (tests, benchmarks).
    pub fn never() -> Self {
        Self(None)
    }

    /// Resolves when shutdown begins; never, if it cannot.
    pub async fn wait(&mut self) {
        match &mut self.0 {
            Some(rx) => {
                if rx.wait_for(|closing| *closing).await.is_err() {
                    // The sender is gone without asking anyone to close.
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

/// Everything handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// The engine.
    pub engine: Engine,
    /// Who callers are: operators, officers, trusted issuers.
    pub auth: Arc<Authenticator>,
    /// Rate limits on prefill, check and submit.
    pub rates: Arc<rate::RateLimits>,
    /// Whether the catalogue (bundles, forms, the grants register) may be
    /// read without a token.
    pub anonymous_catalogue: bool,
    /// The loader, when versions can be changed while serving.
    pub loader: Option<Arc<Loader>>,
    /// Size limits.
    pub limits: RequestLimits,
    /// Shutdown, for live event streams.
    pub closing: Closing,
    /// How often a live event stream looks in the store for events
    /// appended by another host sharing the database.
    pub stream_poll: std::time::Duration,
}

/// The whole HTTP app, and the OpenAPI document generated from the same
/// routes (served at `/api/openapi.json`).
pub fn router(state: ApiState) -> Router {
    let (router, document) = routes(&state).split_for_parts();
    let document = Arc::new(openapi::finish(document));
    router
        .fallback(|| async {
            error::ApiError::not_found("no such endpoint; GET /api/openapi.json lists them")
        })
        .layer(axum::Extension(openapi::Document(document)))
        .layer(axum::middleware::from_fn_with_state(
            state.limits,
            guard::head_limits,
        ))
        .layer(axum::middleware::from_fn(guard::problem_json))
        .layer(axum::middleware::from_fn(lang::localise))
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// The OpenAPI document of [`router`], as JSON.
pub fn openapi_json(state: &ApiState) -> serde_json::Value {
    let (_, document) = routes(state).split_for_parts();
    serde_json::to_value(openapi::finish(document)).unwrap_or_default()
}

/// Every route with its documentation: each handler's `#[utoipa::path]`
/// names its path, method, parameters, body and answers, so the document
/// cannot drift from the router.
fn routes(state: &ApiState) -> OpenApiRouter<ApiState> {
    let admin = OpenApiRouter::new()
        .routes(routes!(operator::manual_queue))
        .routes(routes!(operator::overdue))
        .routes(routes!(operator::applications))
        .routes(routes!(operator::resolve))
        .routes(routes!(versions::plugin_versions))
        .routes(routes!(versions::activate_plugin))
        .routes(routes!(versions::rollback_plugin))
        .routes(routes!(versions::upload_bundle))
        .routes(routes!(versions::bundle_versions))
        .routes(routes!(versions::activate_bundle))
        .routes(routes!(versions::rollback_bundle))
        .routes(routes!(versions::changes))
        .routes(routes!(versions::upload_grants))
        .routes(routes!(versions::grants_versions))
        .routes(routes!(versions::activate_grants))
        .routes(routes!(versions::rollback_grants))
        .routes(routes!(dictionary::upload_dictionary))
        .routes(routes!(dictionary::dictionary_versions))
        .routes(routes!(dictionary::activate_dictionary))
        .routes(routes!(dictionary::rollback_dictionary))
        .routes(routes!(operator::systems))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::checkpoint))
        .routes(routes!(audit::application_audit));
    // Components are larger than JSON bodies: their own limit.
    let uploads = OpenApiRouter::new()
        .routes(routes!(operator::plugins, versions::upload_component))
        .layer(DefaultBodyLimit::max(state.limits.component_bytes));
    let materials = OpenApiRouter::new()
        .routes(routes!(applicant::upload_material))
        .layer(DefaultBodyLimit::max(state.limits.material_bytes));
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(applicant::bundles))
        .routes(routes!(applicant::form))
        .routes(routes!(applicant::check))
        .routes(routes!(applicant::submit))
        .routes(routes!(applicant::status, applicant::correct))
        .routes(routes!(applicant::events))
        .routes(routes!(applicant::history))
        .routes(routes!(applicant::material))
        .routes(routes!(audit::data_flows))
        .routes(routes!(applicant::prefill))
        .routes(routes!(versions::grants))
        .routes(routes!(dictionary::dictionary))
        .routes(routes!(openapi::document))
        .routes(routes!(auth::me))
        .routes(routes!(healthz))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .merge(admin)
        .layer(DefaultBodyLimit::max(state.limits.json_bytes))
        .merge(materials)
        .merge(uploads)
}

#[utoipa::path(get, path = "/healthz", tag = "meta", summary = "Liveness: the process answers",
    responses((status = 200, description = "alive", body = String, content_type = "text/plain")))]
async fn healthz() -> &'static str {
    "ok"
}

#[utoipa::path(get, path = "/readyz", tag = "meta",
    summary = "Readiness: the store answers and plugins are loaded; names the departments' systems taken as down (which do not make it unready)",
    responses(
        (status = 200, description = "ready", body = String, content_type = "text/plain"),
        (status = 503, description = "not ready, and why", body = error::ProblemDetails, content_type = "application/problem+json")))]
async fn ready(State(s): State<ApiState>) -> Result<String, error::ApiError> {
    let store = s.engine.store().ping().await;
    let plugins = s.engine.catalog().plugins().count();
    let not_ready =
        |why: String| error::ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "Not ready", why);
    // A department's system that is down does not make the service
    // unready: its steps wait, and the rest is served.
    let down = s.engine.systems_down();
    let systems = if down.is_empty() {
        String::new()
    } else {
        format!(
            "; departments' systems taken as down: {}",
            down.iter()
                .map(|(origin, state)| format!("{origin} ({state})"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    match store {
        Ok(()) if plugins > 0 => Ok(format!(
            "ready: store reachable, {plugins} plugins loaded{systems}"
        )),
        Ok(()) => Err(not_ready("not ready: no plugins loaded".into())),
        Err(e) => Err(not_ready(format!("not ready: {e}"))),
    }
}

#[utoipa::path(get, path = "/metrics", tag = "meta", summary = "Prometheus metrics",
    responses((status = 200, description = "OpenMetrics text", body = String,
        content_type = "application/openmetrics-text")))]
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
