//! The pages' own stylesheet and script, embedded in the binary
//! (`host/pages/assets/`): served from this site only, cached by digest.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Every asset: its name, media type and content.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "onething.css",
        "text/css; charset=utf-8",
        include_str!("../assets/onething.css"),
    ),
    (
        "onething.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/onething.js"),
    ),
];

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, media_type, content)) => {
            let mut response = (*content).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
            // Short: a new host version may change them.
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            );
            response
        }
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
