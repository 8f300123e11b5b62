//! The OpenAPI 3.1 document of the whole HTTP API, served at
//! `/api/openapi.json`. It is generated (utoipa) from the handlers' own
//! `#[utoipa::path]` declarations and the types they take and answer, as
//! the router is built from the same declarations ([`crate::router`]), so
//! the two cannot drift apart.
//!
//! What every operation may answer whatever it does (a head over the
//! limits, a body the server cannot read, a missing token, an internal
//! error, too many connections) is added to each operation here, in
//! [`finish`], rather than repeated on every handler.

use std::sync::Arc;

use axum::{Extension, Json};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

use crate::error::ProblemDetails;
use crate::guard::PROBLEM_JSON;

/// The document, as the router hands it to its handler.
#[derive(Clone)]
pub struct Document(pub Arc<OpenApi>);

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "OneThing",
        description = "Cross-department public services as one thing: bundles, one form, one set of materials, one submission, one place to follow progress. Applicants use /api; operators use /admin with a bearer token. Every error answer is application/problem+json (RFC 9457) naming what is wrong."
    ),
    components(schemas(ProblemDetails)),
    tags(
        (name = "applicant", description = "Bundles, the one form, checking, submitting, following and correcting an application, materials, prefill, data flows"),
        (name = "operator", description = "Plugins and bundles (versions, activation, rollback), the manual queue, overdue work, the audit log"),
        (name = "meta", description = "Health, readiness, metrics and this document"),
    )
)]
struct Base;

/// The document's fixed part: info, tags, the problem schema.
pub fn base() -> OpenApi {
    let mut doc = <Base as utoipa::OpenApi>::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// Add the security scheme and, to every operation, the answers it may
/// give whatever it does.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    components.security_schemes.insert(
        "bearer".to_owned(),
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("an applicant's or officer's JWT from a trusted issuer ([identity]), or an operator's or officer's token ([[operators]], [[officers]]); an operation's security lists the operator role it needs"))
                .build(),
        ),
    );
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            add_common_answers(op);
        }
    }
    doc
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("ProblemDetails")))),
        )
        .build()
        .into()
}

fn add_common_answers(op: &mut Operation) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let in_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let in_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    let has_body = op.request_body.is_some();
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut answers: Vec<(&str, &str)> = Vec::new();
    if in_path || in_query {
        answers.push((
            "400",
            "a path or query parameter that cannot be read (not UTF-8, not a number, an unknown name)",
        ));
    }
    if has_body {
        answers.push((
            "400",
            "a body that cannot be read, or malformed JSON (line and column named)",
        ));
        answers.push(("413", "a body over its limit (the setting named)"));
    }
    if json_body {
        answers.push(("415", "a body not sent as application/json"));
        answers.push((
            "422",
            "a body that is JSON but not of this shape (the key named)",
        ));
    }
    if secured {
        answers.push((
            "401",
            "no bearer token, or one that is refused (WWW-Authenticate names why): expired, for another audience or issuer, an unknown key or algorithm, a signature that does not verify, or not a configured operator's or officer's",
        ));
        answers.push((
            "403",
            "the caller may not: the role it lacks is named (the operation's security lists it), or it is not an applicant's operation",
        ));
    }
    answers.push((
        "431",
        "a request head over http.max_header_bytes or http.max_headers",
    ));
    answers.push((
        "500",
        "the server could not complete the request (logged; no details given)",
    ));
    answers.push((
        "503",
        "over http.max_connections (Retry-After says when to try again)",
    ));
    for (status, description) in answers {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    }
}

#[utoipa::path(get, path = "/api/openapi.json", tag = "meta", summary = "This document",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub(crate) async fn document(Extension(doc): Extension<Document>) -> Json<Arc<OpenApi>> {
    Json(doc.0)
}
