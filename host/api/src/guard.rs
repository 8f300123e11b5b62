//! Two middlewares around every route: the limits on a request's head, and
//! the promise that every error answer is problem+json.
//!
//! - [`head_limits`]: a request with more headers than `http.max_headers`
//!   or a head larger than `http.max_header_bytes` is answered 431, naming
//!   the setting. (hyper's own caps stand four times higher; only a request
//!   beyond those gets hyper's bare 431.)
//! - [`problem_json`]: an error answer that is not already problem+json
//!   (axum's 405 for an unknown method, its plain-text rejections of a
//!   malformed path, query or body, a body over its limit) is rewritten as
//!   problem+json with the same status and headers, its text as the
//!   `detail`.
//!
//! Not for the handlers' own errors (`error`), which are problem+json
//! from the start.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::RequestLimits;
use crate::error::ApiError;

/// The media type of every error answer.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// How much of a non-problem error body is kept as the detail.
const DETAIL_BYTES: usize = 2048;

/// Refuse a request whose head is over the limits, naming the setting.
pub async fn head_limits(
    State(limits): State<RequestLimits>,
    req: Request,
    next: Next,
) -> Response {
    let count = req.headers().len();
    if count > limits.headers {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Too many headers",
            format!(
                "the request has {count} headers; at most {} are accepted (http.max_headers)",
                limits.headers
            ),
        )
        .into_response();
    }
    let size = head_size(&req);
    if size > limits.header_bytes {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "Request head too large",
            format!(
                "the request line and headers are {size} bytes; at most {} are accepted (http.max_header_bytes)",
                limits.header_bytes
            ),
        )
        .into_response();
    }
    next.run(req).await
}

/// The bytes of a request's head as sent: request line and headers.
fn head_size(req: &Request) -> usize {
    let line = req.method().as_str().len()
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len())
        + " HTTP/1.1\r\n".len()
        + 1;
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + headers
}

/// Make every error answer problem+json.
pub async fn problem_json(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&resp) {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let text = match axum::body::to_bytes(body, DETAIL_BYTES * 4).await {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            match text.char_indices().nth(DETAIL_BYTES) {
                Some((cut, _)) => format!("{}…", &text[..cut]),
                None => text,
            }
        }
        Err(_) => String::new(),
    };
    let detail = if text.is_empty() {
        default_detail(status).to_owned()
    } else {
        text
    };
    let title = status.canonical_reason().unwrap_or("Error");
    let problem = ApiError::new(status, title, detail).into_response();
    let (problem_parts, problem_body) = problem.into_parts();
    // Keep the original headers that say something (Allow on a 405,
    // Retry-After), with the problem's type and length.
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in &problem_parts.headers {
        parts.headers.insert(name.clone(), value.clone());
    }
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Response::from_parts(parts, Body::new(problem_body))
}

fn is_problem(resp: &Response) -> bool {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON))
}

fn default_detail(status: StatusCode) -> &'static str {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "this endpoint does not take that method; the Allow header lists those it takes"
        }
        StatusCode::PAYLOAD_TOO_LARGE => "the request body is over the limit",
        StatusCode::NOT_FOUND => "no such endpoint; GET /api/openapi.json lists them",
        _ => "the request could not be served",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt as _;

    fn app() -> Router {
        Router::new()
            .route(
                "/plain",
                get(|| async { (StatusCode::BAD_REQUEST, "plain text") }),
            )
            .route("/ok", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn_with_state(
                RequestLimits {
                    headers: 8,
                    header_bytes: 1024,
                    ..RequestLimits::default()
                },
                head_limits,
            ))
            .layer(axum::middleware::from_fn(problem_json))
    }

    async fn call(req: Request) -> (StatusCode, String, String, Option<String>) {
        let resp = app().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let allow = resp
            .headers()
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
            .await
            .expect("body");
        (
            status,
            ct,
            String::from_utf8_lossy(&body).into_owned(),
            allow,
        )
    }

    #[tokio::test]
    async fn plain_errors_become_problems_keeping_their_text() {
        let (status, ct, body, _) =
            call(Request::get("/plain").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(ct, PROBLEM_JSON);
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(v["detail"], "plain text");
        assert_eq!(v["status"], 400);
    }

    #[tokio::test]
    async fn a_405_keeps_its_allow_header() {
        let (status, ct, body, allow) =
            call(Request::delete("/ok").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(ct, PROBLEM_JSON);
        assert!(allow.is_some_and(|a| a.contains("GET")));
        assert!(body.contains("Allow header"), "{body}");
    }

    #[tokio::test]
    async fn success_is_left_alone() {
        let (status, ct, body, _) =
            call(Request::get("/ok").body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(ct.starts_with("text/plain"));
        assert_eq!(body, "fine");
    }

    #[tokio::test]
    async fn a_head_over_the_limits_is_431_naming_the_setting() {
        let mut req = Request::get("/ok");
        for i in 0..9 {
            req = req.header(format!("x-h{i}"), "v");
        }
        let (status, ct, body, _) = call(req.body(Body::empty()).expect("request")).await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(ct, PROBLEM_JSON);
        assert!(body.contains("http.max_headers"), "{body}");
        let big = Request::get("/ok")
            .header("x-big", "v".repeat(2000))
            .body(Body::empty())
            .expect("request");
        let (status, _, body, _) = call(big).await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert!(body.contains("http.max_header_bytes"), "{body}");
    }
}
