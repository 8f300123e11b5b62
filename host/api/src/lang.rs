//! The language of an answer: every text for people the host keeps in
//! Chinese and English ([`onething_model::text::Text`]); each answer is
//! given in the one the request's `Accept-Language` prefers (Chinese when
//! it names neither).
//!
//! - [`AnswerLang`]: the extractor, for a handler that writes prose itself
//!   (the form's notification) or streams (live events).
//! - [`localise`]: the middleware that renders every text of a JSON
//!   answer (`{"zh": …, "en": …}`) in that language, and says which in
//!   `Content-Language` (with `Vary: Accept-Language`).
//!
//! Not for the operator's own words (a resolution's reason) or the host's
//! errors for operators, which are one language.

use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use onething_model::text::{self, Lang};

/// The language the request asked its answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerLang(pub Lang);

impl AnswerLang {
    /// From a request's headers.
    pub fn of(headers: &axum::http::HeaderMap) -> Self {
        let header = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        AnswerLang(Lang::from_accept_language(header))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AnswerLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.headers))
    }
}

/// Whether a media type is JSON (`application/json`, `…+json`).
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|t| t == "application/json" || t.ends_with("+json"))
}

/// Render every text of a JSON answer in the request's language.
pub async fn localise(req: Request, next: Next) -> Response {
    let AnswerLang(lang) = AnswerLang::of(req.headers());
    let response = next.run(req).await;
    let (mut parts, body) = response.into_parts();
    parts
        .headers
        .insert(header::VARY, HeaderValue::from_static("accept-language"));
    if !is_json(parts.headers.get(header::CONTENT_TYPE)) {
        return Response::from_parts(parts, body);
    }
    parts.headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.tag()),
    );
    // JSON answers are built whole in memory by their handlers; this
    // only reads that buffer back.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!(error = %e, "an answer's body could not be read to localise it");
            return Response::from_parts(parts, Body::empty());
        }
    };
    // Only an answer holding a text needs rewriting.
    let holds_text = bytes.windows(5).any(|w| w == b"\"zh\":");
    let body = match holds_text
        .then(|| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .flatten()
    {
        Some(mut value) => {
            text::localise(&mut value, lang);
            match serde_json::to_vec(&value) {
                Ok(v) => {
                    parts.headers.remove(header::CONTENT_LENGTH);
                    Body::from(v)
                }
                Err(_) => Body::from(bytes),
            }
        }
        None => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}
