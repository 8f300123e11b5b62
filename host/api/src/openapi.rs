//! The OpenAPI 3.1 document of the whole HTTP API, served at
//! `/api/openapi.json`. Written by hand next to the routes it describes;
//! a test checks every route of the router appears here.

use axum::Json;
use serde_json::{Value, json};

fn op(summary: &str, tag: &str, responses: &[(&str, &str)]) -> Value {
    let mut r = serde_json::Map::new();
    for (code, desc) in responses {
        r.insert((*code).to_owned(), json!({ "description": desc }));
    }
    json!({ "summary": summary, "tags": [tag], "responses": r })
}

fn with_body(mut v: Value, schema: Value) -> Value {
    v["requestBody"] =
        json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    v
}

fn secured(mut v: Value) -> Value {
    v["security"] = json!([{ "bearer": [] }]);
    v
}

/// The paths and methods the router serves (kept in step with `router`).
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/bundles"),
    ("get", "/api/bundles/{id}/form"),
    ("post", "/api/bundles/{id}/check"),
    ("post", "/api/applications"),
    ("get", "/api/applications/{id}"),
    ("patch", "/api/applications/{id}"),
    ("get", "/api/applications/{id}/events"),
    ("post", "/api/materials"),
    ("get", "/api/openapi.json"),
    ("get", "/admin/plugins"),
    ("post", "/admin/plugins"),
    ("get", "/admin/plugins/{department}/versions"),
    ("post", "/admin/plugins/{department}/activate"),
    ("post", "/admin/plugins/{department}/rollback"),
    ("post", "/admin/bundles"),
    ("get", "/admin/bundles/{id}/versions"),
    ("post", "/admin/bundles/{id}/activate"),
    ("post", "/admin/bundles/{id}/rollback"),
    ("get", "/admin/changes"),
    ("get", "/admin/audit/verify"),
    ("get", "/admin/audit/checkpoint"),
    ("get", "/admin/applications/{id}/audit"),
    ("get", "/api/applications/{id}/data-flows"),
    ("post", "/api/bundles/{id}/prefill"),
    ("get", "/admin/manual-queue"),
    ("get", "/admin/overdue"),
    (
        "post",
        "/admin/applications/{id}/steps/{department}/{step}/resolve",
    ),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
];

/// The document.
pub fn spec() -> Value {
    let prefill_request = json!({"type": "object", "additionalProperties": false, "required": ["consent"], "properties": {
        "consent": {"type": "object", "additionalProperties": false, "required": ["departments", "fields"], "properties": {"departments": {"type": "array", "items": {"type": "string"}}, "fields": {"type": "array", "items": {"type": "string"}}}},
        "fields": {"type": "object", "description": "what the applicant typed so far, by dictionary key"}
    }});
    let activation = json!({"type": "object", "required": ["version"], "additionalProperties": false,
        "properties": {"version": {"type": "string", "description": "a digest, a digest prefix of 8+ hex digits, or a declared version"}}});
    let application = json!({
        "type": "object",
        "required": ["bundle"],
        "additionalProperties": false,
        "properties": {
            "bundle": { "type": "string" },
            "fields": { "type": "object", "description": "form fields by dictionary key" },
            "materials": { "type": "array", "items": { "type": "object", "additionalProperties": false, "required": ["code", "digest", "media_type", "size"],
                "properties": { "code": {"type": "string"}, "digest": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"}, "media_type": {"type": "string"}, "size": {"type": "integer"} } } },
            "idempotency_key": { "type": "string", "description": "repeat a submission safely" },
            "consent": { "type": "string", "description": "the consent id a prefill answered with" },
        }
    });
    let problem = json!({ "type": "object", "properties": { "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "problems": {"type": "array"} } });
    json!({
        "openapi": "3.1.0",
        "info": { "title": "OneThing", "version": env!("CARGO_PKG_VERSION"), "description": "Cross-department public services as one thing: bundles, one form, one submission, one place to follow progress." },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": { "Application": application, "Problem": problem },
        },
        "paths": {
            "/api/bundles": { "get": op("List bundles and themes", "applicant", &[("200", "bundles and themes")]) },
            "/api/bundles/{id}/form": { "get": op("The one form (JSON Schema), materials and notification of a bundle", "applicant", &[("200", "the form"), ("404", "no such bundle")]) },
            "/api/bundles/{id}/check": { "post": with_body(op("Check a draft: every problem at once", "applicant", &[("200", "problems (possibly none)"), ("400", "malformed JSON"), ("422", "unknown field or bundle mismatch")]), json!({"$ref": "#/components/schemas/Application"})) },
            "/api/applications": { "post": with_body(op("Submit an application", "applicant", &[("202", "accepted; id and links"), ("400", "malformed JSON"), ("413", "body too large"), ("415", "not JSON"), ("422", "problems, unknown bundle or unknown field; nothing stored")]), json!({"$ref": "#/components/schemas/Application"})) },
            "/api/applications/{id}": {
                "get": op("Status of an application: every step, its department, outcome and deadline", "applicant", &[("200", "status"), ("404", "no such application")]),
                "patch": with_body(op("Correct a needs-more application; approved steps are not run again", "applicant", &[("202", "resumed"), ("409", "not needs-more"), ("422", "still has problems")]), json!({"type": "object", "required": ["fields"], "additionalProperties": false, "properties": {"fields": {"type": "object"}}})),
            },
            "/api/applications/{id}/events": { "get": op("Live progress as server-sent events (history first)", "applicant", &[("200", "text/event-stream"), ("404", "no such application")]) },
            "/api/materials": { "post": op("Upload a material once (PDF, PNG or JPEG; Content-Type must match); reference it by digest", "applicant", &[("201", "digest, media type, size"), ("413", "too large"), ("415", "unsupported or mismatched media type")]) },
            "/api/openapi.json": { "get": op("This document", "meta", &[("200", "OpenAPI 3.1")]) },
            "/admin/plugins": {
                "get": secured(op("Loaded plugins and their manifests", "operator", &[("200", "plugins"), ("401", "missing or wrong token")])),
                "post": secured(op("Upload a component (body: the .wasm bytes, header Onething-Signature: the .wasm.sig text; query activate=false to only admit, department=ID to check it). Admitted and activated, or refused with the reason while the serving version keeps serving", "operator", &[("201", "admitted (and activated)"), ("200", "already serving"), ("401", "missing or wrong token"), ("413", "too large"), ("422", "refused: the reason")]))
            },
            "/admin/plugins/{department}/versions": { "get": secured(op("A department's stored versions, the serving one, and its history (who activated what, when; refusals with reasons)", "operator", &[("200", "versions"), ("401", "missing or wrong token"), ("404", "unknown department")])) },
            "/admin/plugins/{department}/activate": { "post": with_body(secured(op("Serve a stored version (digest, digest prefix or declared version)", "operator", &[("201", "activated"), ("200", "already serving"), ("401", "missing or wrong token"), ("404", "no such version"), ("422", "refused: the reason")])), activation.clone()) },
            "/admin/plugins/{department}/rollback": { "post": secured(op("Serve again the version that served before the current one", "operator", &[("201", "rolled back"), ("401", "missing or wrong token"), ("404", "unknown department"), ("409", "nothing to roll back to")])) },
            "/admin/bundles": { "post": secured(op("Upload a bundle definition (body: TOML; query activate=false to only admit). Refused with the cause while the serving version keeps serving", "operator", &[("201", "admitted (and activated)"), ("200", "already serving"), ("401", "missing or wrong token"), ("422", "refused: the cause")])) },
            "/admin/bundles/{id}/versions": { "get": secured(op("A bundle's stored versions, the serving one, and its history", "operator", &[("200", "versions"), ("401", "missing or wrong token"), ("404", "unknown bundle")])) },
            "/admin/bundles/{id}/activate": { "post": with_body(secured(op("Serve a stored bundle version", "operator", &[("201", "activated"), ("200", "already serving"), ("401", "missing or wrong token"), ("404", "no such version"), ("422", "refused: the cause")])), activation) },
            "/admin/bundles/{id}/rollback": { "post": secured(op("Serve again the bundle version that served before", "operator", &[("201", "rolled back"), ("401", "missing or wrong token"), ("409", "nothing to roll back to")])) },
            "/admin/audit/verify": { "get": secured(op("Check the whole audit chain against its checkpoint; names the first broken record", "operator", &[("200", "intact"), ("401", "missing or wrong token"), ("409", "broken: first_broken names the record and what is wrong")])) },
            "/admin/audit/checkpoint": { "get": secured(op("The audit checkpoint (last seq and digest), to keep outside the host", "operator", &[("200", "checkpoint"), ("401", "missing or wrong token")])) },
            "/admin/applications/{id}/audit": { "get": secured(op("An application's audit records (keys, never values), with their chain digests", "operator", &[("200", "records"), ("401", "missing or wrong token")])) },
            "/api/applications/{id}/data-flows": { "get": op("Who received which of the application's fields, when and for which step; what each department produced; the prefill consent", "applicant", &[("200", "data flows"), ("404", "no such application")]) },
            "/api/bundles/{id}/prefill": { "post": with_body(op("Ask the consented departments to prefill what they hold; refused without consent", "applicant", &[("200", "prefilled values, their sources, and a consent id to submit with"), ("403", "no consent"), ("404", "unknown bundle"), ("422", "consent or fields name something wrong")]), prefill_request.clone()) },
            "/admin/changes": { "get": secured(op("The catalog's history, latest last (query kind=plugin|bundle, refused=true, limit)", "operator", &[("200", "changes"), ("401", "missing or wrong token")])) },
            "/admin/manual-queue": { "get": secured(op("Steps waiting for an operator", "operator", &[("200", "queue"), ("401", "missing or wrong token")])) },
            "/admin/overdue": { "get": secured(op("Applications with overdue work", "operator", &[("200", "applications"), ("401", "missing or wrong token")])) },
            "/admin/applications/{id}/steps/{department}/{step}/resolve": { "post": with_body(secured(op("Resolve a queued step: approve with outputs, or reject with a reason", "operator", &[("200", "resolved"), ("401", "missing or wrong token"), ("409", "step not in the manual queue"), ("422", "invalid outputs")])), json!({"oneOf": [
                {"type": "object", "required": ["decision"], "properties": {"decision": {"const": "approve"}, "outputs": {"type": "object"}}},
                {"type": "object", "required": ["decision", "reason"], "properties": {"decision": {"const": "reject"}, "reason": {"type": "string"}}}
            ]})) },
            "/healthz": { "get": op("Liveness", "meta", &[("200", "ok")]) },
            "/readyz": { "get": op("Readiness: store reachable and plugins loaded", "meta", &[("200", "ready"), ("503", "not ready")]) },
            "/metrics": { "get": op("Prometheus metrics", "meta", &[("200", "OpenMetrics text")]) },
        }
    })
}

pub(super) async fn document() -> Json<Value> {
    Json(spec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented() {
        let doc = spec();
        for (method, path) in ROUTES {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} is missing from the OpenAPI document"
            );
        }
        let documented: usize = doc["paths"].as_object().map_or(0, |p| {
            p.values()
                .map(|m| m.as_object().map_or(0, |o| o.len()))
                .sum()
        });
        assert_eq!(
            documented,
            ROUTES.len(),
            "the document lists a route the router does not serve"
        );
    }
}
