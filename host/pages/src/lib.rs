//! The pages a person uses, served by the host itself: the applicant's
//! start page, one form, progress and data flows; the officers' and
//! operators' console. Server-rendered HTML from templates embedded in
//! the binary ([`render`]), with a little plain JavaScript of our own
//! (`assets/`): nothing is loaded from elsewhere and nothing is built at
//! run time.
//!
//! The pages are a client of the HTTP API, in process ([`backend`]): each
//! page calls the API router with the signed-in person's bearer token, so
//! what a page shows is exactly what the API lets that person read (an
//! officer sees their department's fields, the rest masked; an operator
//! what their roles allow). No page reads the store itself.
//!
//! - [`session`]: signing in and out (the token in an HttpOnly, Secure,
//!   SameSite=Strict cookie), CSRF tokens on every form, the language;
//! - [`security`]: the headers of every page (a Content-Security-Policy
//!   without `unsafe-inline`, no framing, no sniffing);
//! - [`schema`]: the merged JSON Schema of a bundle's form as fields to
//!   render, with their conditions, and a posted form back as JSON;
//! - [`applicant`] and [`console`]: the pages themselves.

pub mod applicant;
mod assets;
pub mod backend;
pub mod console;
mod problem;
pub mod render;
pub mod schema;
pub mod security;
pub mod session;
mod text;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use onething_identity::dev::DevIssuer;

/// How the pages are served (`[pages]` in onething.toml).
#[derive(Debug, Clone)]
pub struct PagesSettings {
    /// Whether the session cookies are `Secure` (sent only over HTTPS,
    /// and to `localhost`/`127.0.0.1`, which browsers treat as secure).
    pub secure_cookies: bool,
    /// How long a session lasts when its token does not say, in seconds.
    pub session_secs: u64,
    /// Largest multipart form (the one form and its materials), in bytes.
    pub form_bytes: usize,
}

impl Default for PagesSettings {
    fn default() -> Self {
        Self {
            secure_cookies: true,
            session_secs: 8 * 3600,
            form_bytes: 40 << 20,
        }
    }
}

/// What the pages share.
#[derive(Clone)]
pub struct Pages {
    /// The API, called in process.
    pub api: backend::Api,
    /// The templates.
    pub views: Arc<render::Views>,
    /// The key of the CSRF tokens (random per process).
    pub csrf_key: Arc<[u8; 32]>,
    /// The development issuer, when the host trusts one: its sign-in page
    /// mints tokens for any person, officer or department (demos, tests).
    pub dev_issuer: Option<Arc<DevIssuer>>,
    /// The settings.
    pub settings: PagesSettings,
}

impl Pages {
    /// The pages over `api` (the API's router).
    pub fn new(
        api: Router,
        dev_issuer: Option<Arc<DevIssuer>>,
        settings: PagesSettings,
    ) -> Result<Self, render::ViewError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| render::ViewError(format!("randomness: {e}")))?;
        Ok(Self {
            api: backend::Api::new(api),
            views: Arc::new(render::Views::load()?),
            csrf_key: Arc::new(key),
            dev_issuer,
            settings,
        })
    }
}

/// The whole app: the pages, then the API (`/api`, `/admin`, …) for every
/// other path.
pub fn router(pages: Pages) -> Router {
    let api = pages.api.router();
    let form_bytes = pages.settings.form_bytes;
    let routes = Router::new()
        .route("/", get(applicant::start))
        .route(
            "/bundles/{id}",
            get(applicant::form_page).post(applicant::form_post),
        )
        .route("/ui/bundles/{id}/check", post(applicant::live_check))
        .route("/ui/materials", post(applicant::live_upload))
        .route("/applications/{id}", get(applicant::progress))
        .route("/applications/{id}/events", get(applicant::events))
        .route(
            "/applications/{id}/correct",
            get(applicant::correct_page).post(applicant::correct_post),
        )
        .route("/applications/{id}/data-flows", get(applicant::data_flows))
        .route("/login", get(session::login_page).post(session::login_post))
        .route("/logout", post(session::logout))
        .route("/lang/{lang}", get(session::switch_lang))
        .route("/console", get(console::home))
        .route("/console/applications", get(console::applications))
        .route("/console/applications/{id}", get(console::application))
        .route("/console/queue", get(console::queue))
        .route(
            "/console/queue/{id}/{department}/{step}",
            get(console::resolve_page).post(console::resolve_post),
        )
        .route("/console/overdue", get(console::overdue))
        .route(
            "/console/plugins",
            get(console::plugins).post(console::upload_plugin),
        )
        .route("/console/plugins/{department}", get(console::plugin))
        .route(
            "/console/plugins/{department}/{action}",
            post(console::plugin_action),
        )
        .route("/console/bundles", get(console::bundles))
        .route("/console/bundles/{id}", get(console::bundle))
        .route(
            "/console/bundles/{id}/{action}",
            post(console::bundle_action),
        )
        .route("/console/upload/{kind}", post(console::upload_toml))
        .route("/console/rollback/{kind}", post(console::rollback_toml))
        .route("/console/dictionary", get(console::dictionary))
        .route("/console/grants", get(console::grants))
        .route("/console/changes", get(console::changes))
        .route("/console/audit", get(console::audit))
        .route("/console/systems", get(console::systems))
        .route("/assets/{name}", get(assets::serve))
        .layer(axum::extract::DefaultBodyLimit::max(form_bytes))
        .layer(axum::middleware::from_fn_with_state(
            pages.clone(),
            session::ensure_csrf_cookie,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(pages);
    routes.fallback_service(api)
}
