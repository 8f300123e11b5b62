//! One error type for the HTTP API, rendered as RFC 9457 problem+json.
//! Caller mistakes are 4xx and name the field, step or value at fault;
//! internal errors are logged and answered without their details.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use onething_catalog::LoaderError;
use onething_engine::prefill::PrefillError;
use onething_engine::{ActionError, PrefillFailure, SubmitError};
use onething_model::problem::Problem;
use onething_store::StoreError;

/// An error answered as `application/problem+json`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    problems: Vec<Problem>,
    /// `WWW-Authenticate` of a 401 (plain `Bearer` when unset).
    challenge: Option<String>,
    /// `Retry-After` seconds of a 429 or 503.
    retry_after: Option<u64>,
}

impl ApiError {
    /// A caller's mistake or a refusal with a status.
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            problems: Vec::new(),
            challenge: None,
            retry_after: None,
        }
    }

    /// The same error, telling the caller to try again in `secs`.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// 400.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// 401.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    /// 401 for a token that is missing or refused, naming why (and saying
    /// so in `WWW-Authenticate`, RFC 6750).
    pub fn unauthenticated(why: &onething_identity::AuthError) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", why.to_string());
        e.challenge = Some(match why {
            onething_identity::AuthError::Missing => "Bearer".to_owned(),
            other => format!(
                "Bearer error=\"invalid_token\", error_description=\"{}\"",
                other.to_string().replace(['"', '\\'], "'")
            ),
        });
        e
    }

    /// 403.
    pub fn forbidden(title: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, title, detail)
    }

    /// 422 with every problem.
    pub fn problems(detail: impl Into<String>, problems: Vec<Problem>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            title: "The application has problems",
            detail: detail.into(),
            problems,
            challenge: None,
            retry_after: None,
        }
    }

    /// 500, logged; the caller sees no internals.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error answering a request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            "the server could not complete the request; it has been logged",
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

/// The body of every error answer (RFC 9457), as the OpenAPI document
/// describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDetails {
    /// Always `about:blank`: the status and title say what happened.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    /// What went wrong, in a few words.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and what to do, naming the field, step, value or
    /// setting at fault.
    pub detail: String,
    /// Every problem with an application, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ProblemDetails {
            kind: "about:blank",
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            problems: self.problems,
        };
        let mut resp = (self.status, Json(body)).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            let challenge = self.challenge.as_deref().unwrap_or("Bearer");
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_str(challenge).unwrap_or(HeaderValue::from_static("Bearer")),
            );
        }
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::internal(e)
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::UnknownBundle(b) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Unknown bundle",
                format!("no bundle {b:?} is loaded; GET /api/bundles lists them"),
            ),
            SubmitError::Problems(p) => ApiError::problems(
                format!(
                    "{} problem(s) must be corrected; nothing was stored",
                    p.len()
                ),
                p,
            ),
            SubmitError::Consent(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Unknown consent", m)
            }
            SubmitError::BadIdempotencyKey(m) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid idempotency key",
                m,
            ),
            e @ SubmitError::IdempotencyKeyReused { .. } => {
                let zh = match &e {
                    SubmitError::IdempotencyKeyReused { key, existing } => format!(
                        "幂等键 {key:?} 已用于另一份内容不同的申请 {existing}；本次未保存任何内容"
                    ),
                    _ => String::new(),
                };
                let message = onething_model::text::Text::new(zh, e.to_string());
                ApiError::problems(
                    "the idempotency key was used for another request; nothing was stored",
                    vec![Problem::general("idempotency-key-reused", message)],
                )
            }
            SubmitError::NotAParty(e) => ApiError::forbidden("Not a party", e.to_string()),
            SubmitError::Store(s) => ApiError::internal(s),
        }
    }
}

impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound(id) => ApiError::not_found(format!("no application {id}")),
            ActionError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "Conflict", m),
            ActionError::Invalid(m) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "Invalid request", m)
            }
            ActionError::Problems(p) => {
                ApiError::problems(format!("{} problem(s) must be corrected", p.len()), p)
            }
            ActionError::Store(s) => ApiError::internal(s),
        }
    }
}

impl From<LoaderError> for ApiError {
    fn from(e: LoaderError) -> Self {
        use LoaderError as H;
        match e {
            H::NotFound(m) => ApiError::not_found(m),
            H::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "Conflict", m),
            H::Store(s) => ApiError::internal(s),
            e @ (H::Source(_) | H::NothingServes { .. }) => ApiError::internal(e),
            refused => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Version refused; the serving version still serves",
                refused.to_string(),
            ),
        }
    }
}

impl From<PrefillFailure> for ApiError {
    fn from(e: PrefillFailure) -> Self {
        use PrefillError as P;
        use PrefillFailure as F;
        match e {
            F::UnknownBundle(b) => ApiError::not_found(format!(
                "no bundle {b:?} is loaded; GET /api/bundles lists them"
            )),
            F::Refused(P::NoConsent) => ApiError::new(
                StatusCode::FORBIDDEN,
                "Consent required",
                P::NoConsent.to_string(),
            ),
            F::Refused(P::Invalid(m)) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid prefill request",
                m,
            ),
            F::NotAParty(e) => ApiError::forbidden("Not a party", e.to_string()),
            F::Store(s) => ApiError::internal(s),
        }
    }
}
