//! The router driven in process with tower's `oneshot`, no socket: health,
//! readiness, metrics, OpenAPI, the fallback, operator authentication and
//! the refusals of malformed requests (each a problem+json naming what is
//! wrong, nothing stored). Behaviour that needs real plugins is tested
//! end to end in the top-level `tests/`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use onething_catalog::{Catalog, Serving};
use onething_engine::{Engine, Metrics, RetryPolicy};
use onething_model::dictionary::Dictionary;
use onething_store::memory::MemoryStore;
use onething_store::{Store, StoreOptions};
use serde_json::Value;
use tower::ServiceExt as _;

use super::*;

const TOKEN: &str = "a-token-of-at-least-16-chars";

/// A development issuer for the applicants of these tests.
fn issuer() -> &'static onething_identity::dev::DevIssuer {
    static ISSUER: std::sync::OnceLock<(tempfile::TempDir, onething_identity::dev::DevIssuer)> =
        std::sync::OnceLock::new();
    &ISSUER
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let issuer = onething_identity::dev::DevIssuer::create(dir.path()).expect("issuer");
            (dir, issuer)
        })
        .1
}

/// An applicant's token.
fn applicant() -> String {
    issuer()
        .mint(
            &onething_identity::dev::TokenClaims {
                subject: "applicant-1".into(),
                id_number: Some("350203199003071527".into()),
                ..Default::default()
            },
            std::time::Duration::from_secs(600),
        )
        .expect("token")
}

/// An operator's token with every role but `missing` (its name is the
/// role it lacks).
fn operator_without(missing: Role) -> String {
    format!("operator-without-{}", missing.as_str())
}

/// An operator's token with `role` only.
fn operator_with(role: Role) -> String {
    format!("operator-with-only-{}", role.as_str())
}

fn app() -> Router {
    let dict = Dictionary::from_toml(
        "version = \"t\"\n[fields.\"child.name\"]\ntype = \"text\"\nlabel = { zh = \"姓名\", en = \"Name\" }\nsensitivity = \"personal\"\n",
        "dict",
    )
    .expect("dictionary");
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new(StoreOptions::default()));
    let serving = Arc::new(Serving::new(Catalog::new(Arc::new(dict)), store.clone()));
    let engine = Engine::new(
        store,
        serving,
        RetryPolicy::default(),
        Arc::new(Metrics::new()),
    );
    let mut operators = vec![Operator {
        name: "duty-officer".into(),
        token: TOKEN.into(),
        roles: Role::ALL.to_vec(),
    }];
    for role in Role::ALL {
        operators.push(Operator {
            name: format!("without-{}", role.as_str()),
            token: operator_without(role),
            roles: Role::ALL.into_iter().filter(|r| *r != role).collect(),
        });
        operators.push(Operator {
            name: format!("only-{}", role.as_str()),
            token: operator_with(role),
            roles: vec![role],
        });
    }
    let verifier = onething_identity::Verifier::with_keys(issuer().config(), issuer().jwks());
    router(ApiState {
        engine,
        auth: Arc::new(Authenticator::new(
            operators,
            Vec::new(),
            Some(Arc::new(verifier)),
        )),
        rates: Arc::new(rate::RateLimits::new(rate::RateSettings::default())),
        anonymous_catalogue: false,
        loader: None,
        limits: RequestLimits {
            json_bytes: 4096,
            material_bytes: 8192,
            component_bytes: 8192,
            ..RequestLimits::default()
        },
        closing: Closing::never(),
        stream_poll: std::time::Duration::from_secs(1),
    })
}

async fn call(req: Request<Body>) -> (StatusCode, String, String) {
    let resp = app().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).expect("request")
}

fn post_json(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
        .body(Body::from(body.to_owned()))
        .expect("request")
}

fn problem(body: &str) -> Value {
    serde_json::from_str(body).expect("problem+json")
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let (status, _, body) = call(get("/healthz")).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    let (status, _, body) = call(get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("no plugins loaded"), "{body}");
    let (status, content_type, body) = call(get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(body.contains("onething_applications"), "{body}");
}

/// Item 8 of the hardening review: the document describes the API it is
/// generated from: every path parameter declared, every answer with its
/// content type and schema, every operator route secured.
#[tokio::test]
async fn item_8_the_openapi_document_describes_every_operation() {
    let (status, _, body) = call(get("/api/openapi.json")).await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let shown = format!("{method} {path}");
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            for name in path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            {
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                    "{shown}: path parameter {name} is not declared"
                );
            }
            let responses = op["responses"].as_object().expect("responses");
            for (code, answer) in responses {
                let content = answer["content"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{shown} {code}: no content type"));
                for (media, c) in content {
                    assert!(c["schema"].is_object(), "{shown} {code} {media}: no schema");
                }
                if code.starts_with('4') || code.starts_with('5') {
                    assert!(
                        content.contains_key("application/problem+json"),
                        "{shown} {code}: an error answer that is not problem+json"
                    );
                }
            }
            for code in ["431", "500", "503"] {
                assert!(responses.contains_key(code), "{shown}: {code} undocumented");
            }
            if path.starts_with("/admin") {
                assert!(op["security"].is_array(), "{shown}: not secured");
                assert!(responses.contains_key("401"), "{shown}: 401 undocumented");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                for code in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(code), "{shown}: {code} undocumented");
                }
            }
        }
    }
    assert_eq!(
        operations, 45,
        "every route of the router is in the document"
    );
    // Request schemas are as strict as the server: a bundle id is a
    // kebab-case id, and unknown keys are refused.
    let application = &doc["components"]["schemas"]["ApplicationDoc"];
    assert_eq!(application["additionalProperties"], false, "{application}");
    assert_eq!(
        application["required"],
        serde_json::json!(["bundle"]),
        "{application}"
    );
    let bundle_id = &doc["components"]["schemas"]["BundleId"];
    assert!(bundle_id["pattern"].is_string(), "{bundle_id}");
}

#[tokio::test]
async fn an_unknown_endpoint_is_a_problem_pointing_at_the_document() {
    let (status, content_type, body) = call(get("/api/nothing-here")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/problem+json");
    assert!(
        problem(&body)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("/api/openapi.json"))
    );
}

#[tokio::test]
async fn operator_endpoints_need_a_configured_token() {
    let resp = app()
        .oneshot(get("/admin/manual-queue"))
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.headers()
            .get(header::WWW_AUTHENTICATE)
            .map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    let wrong = Request::get("/admin/manual-queue")
        .header(header::AUTHORIZATION, "Bearer not-the-token-at-all")
        .body(Body::empty())
        .expect("request");
    assert_eq!(call(wrong).await.0, StatusCode::UNAUTHORIZED);
    let right = Request::get("/admin/manual-queue")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, _, body) = call(right).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["depth"],
        0
    );
    // Versions cannot change on a server without a loader.
    let upload = Request::post("/admin/bundles")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from("id = \"x\""))
        .expect("request");
    let (status, _, body) = call(upload).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("not enabled"), "{body}");
}

#[tokio::test]
async fn malformed_submissions_are_refused_naming_the_fault() {
    let wrong_type = Request::post("/api/applications")
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
        .body(Body::from("{}"))
        .expect("request");
    let (status, _, body) = call(wrong_type).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    let (status, _, body) = call(post_json("/api/applications", "{\"bundle\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        problem(&body)["detail"]
            .as_str()
            .is_some_and(|d| d.contains("line 1")),
        "{body}"
    );
    let (status, _, body) = call(post_json(
        "/api/applications",
        r#"{"bundle": "newborn", "feilds": {}}"#,
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("feilds"), "{body}");
    let (status, _, body) = call(post_json(
        "/api/applications",
        r#"{"bundle": "no-such-bundle"}"#,
    ))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(problem(&body)["title"], "Unknown bundle");
    let big = format!(
        r#"{{"bundle": "x", "fields": {{"child.name": "{}"}}}}"#,
        "x".repeat(5000)
    );
    let (status, _, body) = call(post_json("/api/applications", &big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let unknown = Request::get("/api/applications/app-unknown")
        .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
        .body(Body::empty())
        .expect("request");
    assert_eq!(call(unknown).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn materials_must_be_what_they_say() {
    let pdf = Request::post("/api/materials")
        .header(header::CONTENT_TYPE, "image/png")
        .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
        .body(Body::from(&b"%PDF-1.4 a small pdf"[..]))
        .expect("request");
    let (status, _, body) = call(pdf).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body.contains("application/pdf"), "{body}");
    let ok = Request::post("/api/materials")
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
        .body(Body::from(&b"%PDF-1.4 a small pdf"[..]))
        .expect("request");
    let (status, _, body) = call(ok).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body.contains("sha256:"), "{body}");
    let empty = Request::post("/api/materials")
        .header(header::CONTENT_TYPE, "application/pdf")
        .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
        .body(Body::empty())
        .expect("request");
    assert_eq!(call(empty).await.0, StatusCode::BAD_REQUEST);
}

/// Item 7 of the hardening review: every 4xx the router makes is
/// problem+json, whatever made it.
#[tokio::test]
async fn item_7_every_error_answer_is_problem_json() {
    let token = format!("Bearer {TOKEN}");
    let cases: Vec<(Request<Body>, StatusCode)> = vec![
        // An unknown method on a known path: 405 with Allow.
        (
            Request::delete("/api/bundles")
                .body(Body::empty())
                .expect("request"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        // A path that is not UTF-8.
        (
            Request::get("/api/applications/%FF")
                .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
                .body(Body::empty())
                .expect("request"),
            StatusCode::BAD_REQUEST,
        ),
        // A query that does not parse.
        (
            Request::get("/admin/changes?limit=abc")
                .header(header::AUTHORIZATION, &token)
                .body(Body::empty())
                .expect("request"),
            StatusCode::BAD_REQUEST,
        ),
        // A component over its limit.
        (
            Request::post("/admin/plugins")
                .header(header::AUTHORIZATION, &token)
                .body(Body::from(vec![0u8; 9000]))
                .expect("request"),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        // A bundle over the JSON body limit.
        (
            Request::post("/admin/bundles")
                .header(header::AUTHORIZATION, &token)
                .body(Body::from(vec![b'#'; 9000]))
                .expect("request"),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        // A Content-Type that only starts like JSON.
        (
            Request::post("/api/applications")
                .header(header::CONTENT_TYPE, "application/jsonfoo")
                .header(header::AUTHORIZATION, format!("Bearer {}", applicant()))
                .body(Body::from(r#"{"bundle":"x"}"#))
                .expect("request"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // Too many headers.
        (
            {
                let mut r = Request::get("/api/bundles")
                    .header(header::AUTHORIZATION, format!("Bearer {}", applicant()));
                for i in 0..120 {
                    r = r.header(format!("x-filler-{i}"), "v");
                }
                r.body(Body::empty()).expect("request")
            },
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
    ];
    for (req, want) in cases {
        let shown = format!("{} {}", req.method(), req.uri());
        let resp = app().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let allow = resp.headers().get(header::ALLOW).cloned();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .expect("body");
        let body: Value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("{shown}: not JSON ({e}): {bytes:?}"));
        assert_eq!(status, want, "{shown}: {body}");
        assert_eq!(content_type, "application/problem+json", "{shown}");
        assert_eq!(body["status"], want.as_u16(), "{shown}: {body}");
        assert!(
            body["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{shown}: {body}"
        );
        if want == StatusCode::METHOD_NOT_ALLOWED {
            assert!(allow.is_some(), "{shown}: a 405 says what is allowed");
        }
    }
}

#[tokio::test]
async fn item_7_the_bearer_scheme_is_not_case_sensitive() {
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let req = Request::get("/admin/manual-queue")
            .header(header::AUTHORIZATION, format!("{scheme} {TOKEN}"))
            .body(Body::empty())
            .expect("request");
        assert_eq!(call(req).await.0, StatusCode::OK, "{scheme}");
    }
}

/// Every `/admin` operation states the role it needs in the OpenAPI
/// document, and the code enforces that very role: an operator with every
/// other role gets 403 naming it, one with just that role gets past.
#[tokio::test]
async fn every_admin_route_needs_the_role_its_document_states() {
    let (_, _, body) = call(get("/api/openapi.json")).await;
    let doc: Value = serde_json::from_str(&body).expect("json");
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if !path.starts_with("/admin") {
            continue;
        }
        for (method, op) in item.as_object().expect("item") {
            let shown = format!("{method} {path}");
            let role = op["security"][0]["bearer"][0]
                .as_str()
                .unwrap_or_else(|| panic!("{shown}: no role in its security"));
            let role = Role::ALL
                .into_iter()
                .find(|r| r.as_str() == role)
                .unwrap_or_else(|| panic!("{shown}: {role} is not a role"));
            let uri: String = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let request = |token: &str| {
                Request::builder()
                    .method(method.to_uppercase().as_str())
                    .uri(&uri)
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .expect("request")
            };
            let (status, _, body) = call(request(&operator_without(role))).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{shown} without {role:?}: {body}"
            );
            assert!(
                body.contains(&format!("needs the role {}", role.as_str())),
                "{shown}: {body}"
            );
            let (status, _, body) = call(request(&operator_with(role))).await;
            assert!(
                status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                "{shown} with {role:?}: {status} {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} admin operations");
}

/// Without a token, every operation but the public ones answers 401
/// problem+json with a WWW-Authenticate challenge.
#[tokio::test]
async fn without_a_token_every_applicant_and_operator_route_is_401() {
    let (_, _, body) = call(get("/api/openapi.json")).await;
    let doc: Value = serde_json::from_str(&body).expect("json");
    let public = ["/healthz", "/readyz", "/metrics", "/api/openapi.json"];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, _) in item.as_object().expect("item") {
            if public.contains(&path.as_str()) {
                continue;
            }
            let uri: String = path
                .split('/')
                .map(|seg| if seg.starts_with('{') { "x" } else { seg })
                .collect::<Vec<_>>()
                .join("/");
            let req = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .expect("request");
            let resp = app().oneshot(req).await.expect("infallible");
            assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert!(
                resp.headers().contains_key(header::WWW_AUTHENTICATE),
                "{method} {path}"
            );
        }
    }
}
