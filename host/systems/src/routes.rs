//! The HTTP routes: each system's under its prefix, behind its fault
//! (outermost: a system that is down does not check credentials) and its
//! credential; the admin routes behind the admin token.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use crate::faults::{Fault, Verdict};
use crate::idempotency::{self, Seen};
use crate::problem::{Problem, from_json_rejection};
use crate::registrations::{self, Numbers};
use crate::{Systems, household, names};

type Shared = State<Arc<Systems>>;
type Answer = Result<Response, Problem>;

/// Every route of every system, and the admin routes.
pub fn router(systems: Arc<Systems>) -> Router {
    let household = Router::new()
        .route("/household/v1/persons/{id_number}", get(person))
        .route("/household/v1/births", post(birth));
    let names = Router::new()
        .route("/enterprise-names/v1/names/{name}", get(name_status))
        .route("/enterprise-names/v1/reservations", post(reserve_name))
        .route(
            "/enterprise-names/v1/reservations/{reservation}",
            delete(release_name),
        );
    let enrolments = Router::new().route("/social-insurance/v1/enrolments", post(enrol));
    let tax = Router::new().route("/tax/v1/registrations", post(register_tax));
    let housing_fund =
        Router::new().route("/housing-fund/v1/employer-accounts", post(open_account));
    let guarded = |routes: Router<Arc<Systems>>, system: crate::System| {
        routes.layer(middleware::from_fn_with_state(
            (systems.clone(), system),
            guard,
        ))
    };
    let admin = Router::new()
        .route("/admin/faults", get(list_faults).delete(clear_faults))
        .route("/admin/faults/{system}", axum::routing::put(set_fault))
        .route("/admin/counts", get(counts))
        .layer(middleware::from_fn_with_state(systems.clone(), admin_guard));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(guarded(household, crate::System::Household))
        .merge(guarded(names, crate::System::EnterpriseNames))
        .merge(guarded(enrolments, crate::System::SocialInsurance))
        .merge(guarded(tax, crate::System::Tax))
        .merge(guarded(housing_fund, crate::System::HousingFund))
        .merge(admin)
        .fallback(|| async {
            Problem::not_found("no-such-route", "no system answers on this path")
        })
        .with_state(systems)
}

/// The bearer credential of a request, if it carries one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn credential_matches(given: Option<&str>, expected: Option<&str>) -> bool {
    match (given, expected) {
        (Some(g), Some(e)) => bool::from(g.as_bytes().ct_eq(e.as_bytes())),
        _ => false,
    }
}

fn unauthorised(system: &str, given: bool) -> Response {
    let detail = if given {
        format!("the credential is not {system}'s")
    } else {
        format!("{system} needs its credential: Authorization: Bearer …")
    };
    let mut r = Problem::new(StatusCode::UNAUTHORIZED, "unauthorised", detail).into_response();
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"onething-systems\""),
    );
    r
}

/// A system's fault, then its credential.
async fn guard(
    State((systems, system)): State<(Arc<Systems>, crate::System)>,
    request: Request,
    next: Next,
) -> Response {
    match systems.faults.verdict(system) {
        Verdict::Serve => {}
        Verdict::ServeAfter(delay) => tokio::time::sleep(delay).await,
        Verdict::Fail(status) => {
            systems.count(system, |c| c.failed_by_fault += 1);
            let mut r = Problem::new(
                status,
                "system-unavailable",
                format!("{system} is unavailable (an injected fault)"),
            )
            .into_response();
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return r;
        }
    }
    let given = bearer(request.headers());
    if !credential_matches(given, systems.config.credential(system)) {
        systems.count(system, |c| c.unauthorised += 1);
        return unauthorised(system.name(), given.is_some());
    }
    systems.count(system, |c| c.served += 1);
    next.run(request).await
}

async fn admin_guard(State(systems): Shared, request: Request, next: Next) -> Response {
    let given = bearer(request.headers());
    if !credential_matches(given, Some(&systems.config.admin_token)) {
        return unauthorised("the admin endpoint", given.is_some());
    }
    next.run(request).await
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// Runs a keyed write: a repeat of the key with the same body gets the
/// first answer, another body is refused, a new one is handled and its
/// success remembered (a refusal is not: a retry is judged again, as the
/// registry may have changed).
fn keyed(
    ledger: &mut idempotency::Ledger,
    headers: &HeaderMap,
    body: &Value,
    handle: impl FnOnce() -> Result<(StatusCode, Value), Problem>,
) -> Answer {
    let key = idempotency::required_key(headers)?;
    if let Seen::Replay(status, answer) = ledger.seen(&key, body)? {
        return Ok(json_answer(status, answer));
    }
    let (status, answer) = handle()?;
    ledger.record(key, body, status, answer.clone());
    Ok(json_answer(status, answer))
}

fn body_of<T: serde::de::DeserializeOwned>(
    body: Result<axum::Json<Value>, JsonRejection>,
) -> Result<(Value, T), Problem> {
    let axum::Json(value) = body.map_err(from_json_rejection)?;
    let typed = serde_json::from_value(value.clone())
        .map_err(|e| Problem::bad_request("bad-body", e.to_string()))?;
    Ok((value, typed))
}

fn poisoned() -> Problem {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "registry-unavailable",
        "the registry's state is unavailable after an earlier failure",
    )
}

async fn person(State(s): Shared, Path(id_number): Path<String>) -> Answer {
    let registry = s.household.lock().map_err(|_| poisoned())?;
    let (person, household) = registry.person(&id_number)?;
    Ok(json_answer(
        StatusCode::OK,
        json!({
            "id_number": person.id_number,
            "name": person.name,
            "household": {
                "number": household.number,
                "head_name": household.head_name,
                "address": household.address,
                "district": household.district,
            },
        }),
    ))
}

async fn birth(
    State(s): Shared,
    headers: HeaderMap,
    body: Result<axum::Json<Value>, JsonRejection>,
) -> Answer {
    let (value, birth): (Value, household::Birth) = body_of(body)?;
    let mut registry = s.household.lock().map_err(|_| poisoned())?;
    let registry = &mut *registry;
    let mut ledger = std::mem::take(&mut registry.ledger);
    let answer = keyed(&mut ledger, &headers, &value, || {
        let (id_number, household_number) = registry.register_birth(&birth)?;
        Ok((
            StatusCode::CREATED,
            json!({"id_number": id_number, "household_number": household_number}),
        ))
    });
    registry.ledger = ledger;
    answer
}

async fn name_status(State(s): Shared, Path(name): Path<String>) -> Answer {
    let registry = s.names.lock().map_err(|_| poisoned())?;
    Ok(json_answer(StatusCode::OK, registry.lookup(&name)))
}

async fn reserve_name(State(s): Shared, body: Result<axum::Json<Value>, JsonRejection>) -> Answer {
    let (_, request): (Value, names::Reserve) = body_of(body)?;
    let mut registry = s.names.lock().map_err(|_| poisoned())?;
    let (status, reservation) = match registry.reserve(&request)? {
        names::Reserved::New(r) => (StatusCode::CREATED, r),
        names::Reserved::Already(r) => (StatusCode::OK, r),
    };
    let body = serde_json::to_value(reservation).unwrap_or(Value::Null);
    Ok(json_answer(status, body))
}

async fn release_name(State(s): Shared, Path(reservation): Path<String>) -> Answer {
    let mut registry = s.names.lock().map_err(|_| poisoned())?;
    registry.release(&reservation)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A keyed write to a numbering registry: the subject checked, one
/// number per subject, answered as `{field: number}`.
fn issue_number(
    registry: &Mutex<Numbers>,
    headers: &HeaderMap,
    value: &Value,
    subject: Result<String, Problem>,
    field: &str,
) -> Answer {
    let mut numbers = registry.lock().map_err(|_| poisoned())?;
    let numbers = &mut *numbers;
    let mut ledger = std::mem::take(&mut numbers.ledger);
    let answer = keyed(&mut ledger, headers, value, || {
        let number = numbers.issue(&subject?)?;
        Ok((StatusCode::CREATED, json!({ field: number })))
    });
    numbers.ledger = ledger;
    answer
}

async fn enrol(
    State(s): Shared,
    headers: HeaderMap,
    body: Result<axum::Json<Value>, JsonRejection>,
) -> Answer {
    let (value, e): (Value, registrations::Enrolment) = body_of(body)?;
    let subject = registrations::enrolment_subject(&e);
    issue_number(&s.enrolments, &headers, &value, subject, "enrolment_number")
}

async fn register_tax(
    State(s): Shared,
    headers: HeaderMap,
    body: Result<axum::Json<Value>, JsonRejection>,
) -> Answer {
    enterprise_number(&s.tax, &headers, body, "taxpayer_number")
}

async fn open_account(
    State(s): Shared,
    headers: HeaderMap,
    body: Result<axum::Json<Value>, JsonRejection>,
) -> Answer {
    enterprise_number(&s.housing_fund, &headers, body, "account_number")
}

/// An enterprise's number from `registry` (tax, housing fund).
fn enterprise_number(
    registry: &Mutex<Numbers>,
    headers: &HeaderMap,
    body: Result<axum::Json<Value>, JsonRejection>,
    field: &str,
) -> Answer {
    let (value, e): (Value, registrations::Enterprise) = body_of(body)?;
    let subject = registrations::enterprise_subject(&e);
    issue_number(registry, headers, &value, subject, field)
}

async fn list_faults(State(s): Shared) -> Response {
    json_answer(
        StatusCode::OK,
        serde_json::to_value(s.faults.all()).unwrap_or(Value::Null),
    )
}

async fn clear_faults(State(s): Shared) -> Response {
    s.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

async fn set_fault(
    State(s): Shared,
    Path(system): Path<String>,
    body: Result<axum::Json<Value>, JsonRejection>,
) -> Answer {
    let system = crate::System::from_name(&system).ok_or_else(|| {
        Problem::not_found(
            "unknown-system",
            format!(
                "no system `{system}`; the systems are {}",
                crate::System::names()
            ),
        )
    })?;
    let (_, fault): (Value, Fault) = body_of(body)?;
    let fault = fault.validated()?;
    s.faults.set(system, fault);
    tracing::info!(%system, ?fault, "fault set");
    Ok(json_answer(
        StatusCode::OK,
        json!({"system": system, "fault": fault}),
    ))
}

async fn counts(State(s): Shared) -> Response {
    json_answer(
        StatusCode::OK,
        serde_json::to_value(s.counts()).unwrap_or(Value::Null),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{System, SystemsConfig};
    use axum::body::Body;
    use tower::ServiceExt as _;

    struct Sim {
        router: Router,
        config: SystemsConfig,
        systems: Arc<Systems>,
    }

    fn sim() -> Sim {
        let config = SystemsConfig::generated().expect("random");
        let systems = Systems::new(config.clone());
        Sim {
            router: router(systems.clone()),
            config,
            systems,
        }
    }

    impl Sim {
        fn token(&self, system: System) -> String {
            self.config
                .credential(system)
                .unwrap_or_default()
                .to_owned()
        }

        async fn call(
            &self,
            method: &str,
            path: &str,
            token: Option<&str>,
            key: Option<&str>,
            body: Option<Value>,
        ) -> (StatusCode, HeaderMap, Value) {
            let mut r = axum::http::Request::builder().method(method).uri(path);
            if let Some(t) = token {
                r = r.header("authorization", format!("Bearer {t}"));
            }
            if let Some(k) = key {
                r = r.header("idempotency-key", k);
            }
            let request = match body {
                Some(b) => r
                    .header("content-type", "application/json")
                    .body(Body::from(b.to_string())),
                None => r.body(Body::empty()),
            }
            .expect("request");
            let response = self.router.clone().oneshot(request).await.expect("answer");
            let (status, headers) = (response.status(), response.headers().clone());
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .expect("body");
            let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            (status, headers, v)
        }
    }

    fn person_path(id: &str) -> String {
        format!("/household/v1/persons/{id}")
    }

    #[tokio::test]
    async fn each_system_needs_its_own_credential() {
        let sim = sim();
        let path = person_path("350206198811230519");
        let (status, headers, v) = sim.call("GET", &path, None, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(headers.contains_key("www-authenticate"));
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(v["title"], "unauthorised");
        let tax = sim.token(System::Tax);
        let (status, _, v) = sim.call("GET", &path, Some(&tax), None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(
            v["detail"].as_str().unwrap_or("").contains("household"),
            "{v}"
        );
        let own = sim.token(System::Household);
        let (status, _, v) = sim.call("GET", &path, Some(&own), None, None).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["household"]["head_name"], "林志远");
        let counts = sim.systems.counts();
        assert_eq!(counts[&System::Household].unauthorised, 2);
        assert_eq!(counts[&System::Household].served, 1);
        // The admin endpoint takes only the admin token.
        let (status, _, _) = sim
            .call("GET", "/admin/faults", Some(&own), None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn a_birth_is_registered_once_per_key() {
        let sim = sim();
        let token = sim.token(System::Household);
        let body = json!({
            "child_name": "林安然", "sex": "female", "birth_date": "2026-10-20",
            "parent_id_number": "350206198811230519",
        });
        let birth = |key: Option<&'static str>, body: Value| {
            sim.call(
                "POST",
                "/household/v1/births",
                Some(token.as_str()),
                key,
                Some(body),
            )
        };
        let (status, _, v) = birth(None, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["title"], "idempotency-key-missing");
        let key = Some("app-1/public-security/household-registration");
        let (status, _, first) = birth(key, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        let id = first["id_number"].as_str().unwrap_or_default().to_owned();
        assert!(onething_idcodes::resident_id::validate(&id).is_ok(), "{id}");
        // A retry after a lost answer issues nothing new.
        let (status, _, again) = birth(key, body.clone()).await;
        assert_eq!((status, &again), (StatusCode::CREATED, &first));
        // The same key with another child is refused.
        let mut other = body.clone();
        other["child_name"] = json!("林安心");
        let (status, _, v) = birth(key, other.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(v["title"], "idempotency-key-reused");
        // Another application's child gets another number.
        let (_, _, second) = birth(Some("app-2/ps/hr"), other).await;
        assert_ne!(second["id_number"], first["id_number"]);
        // And the child is now a registered person.
        let (status, _, v) = sim
            .call("GET", &person_path(&id), Some(&token), None, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["name"], "林安然");
    }

    #[tokio::test]
    async fn a_taken_name_names_its_holder() {
        let sim = sim();
        let token = sim.token(System::EnterpriseNames);
        let reserve = |holder: &str| json!({"name": "厦门鹭岛茶业有限公司", "holder": holder});
        let path = "/enterprise-names/v1/reservations";
        let (status, _, r) = sim
            .call("POST", path, Some(&token), None, Some(reserve("app-1")))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        let (status, _, again) = sim
            .call("POST", path, Some(&token), None, Some(reserve("app-1")))
            .await;
        assert_eq!((status, &again), (StatusCode::OK, &r));
        let (status, _, v) = sim
            .call("POST", path, Some(&token), None, Some(reserve("app-2")))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(v["holder"], "app-1");
        let release = format!("{path}/{}", r["reservation"].as_str().unwrap_or_default());
        let (status, _, _) = sim.call("DELETE", &release, Some(&token), None, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        // 厦门鹭岛茶业有限公司, percent-encoded as a client sends it.
        let encoded = "%E5%8E%A6%E9%97%A8%E9%B9%AD%E5%B2%9B%E8%8C%B6%E4%B8%9A%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8";
        let (_, _, v) = sim
            .call(
                "GET",
                &format!("/enterprise-names/v1/names/{encoded}"),
                Some(&token),
                None,
                None,
            )
            .await;
        assert_eq!(v["status"], "free", "{v}");
    }

    #[tokio::test]
    async fn numbers_are_issued_once_per_subject_and_key() {
        let sim = sim();
        let cases = [
            (
                System::SocialInsurance,
                "/social-insurance/v1/enrolments",
                json!({"id_number": "350206198811230519", "employer_uscc": "91350200MA2Y0XXX1T"}),
                "enrolment_number",
            ),
            (
                System::Tax,
                "/tax/v1/registrations",
                json!({"uscc": "91350200MA2Y0XXX1T", "name": "厦门鹭岛茶业有限公司"}),
                "taxpayer_number",
            ),
            (
                System::HousingFund,
                "/housing-fund/v1/employer-accounts",
                json!({"uscc": "91350200MA2Y0XXX1T", "name": "厦门鹭岛茶业有限公司"}),
                "account_number",
            ),
        ];
        for (system, path, body, field) in cases {
            let token = sim.token(system);
            let (status, _, first) = sim
                .call("POST", path, Some(&token), Some("k1"), Some(body.clone()))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{system}: {first}");
            assert!(first[field].is_string(), "{system}: {first}");
            let (_, _, again) = sim
                .call("POST", path, Some(&token), Some("k1"), Some(body.clone()))
                .await;
            assert_eq!(again, first, "{system}");
            // Another application for the same subject is told its number.
            let (status, _, v) = sim
                .call("POST", path, Some(&token), Some("k2"), Some(body.clone()))
                .await;
            assert_eq!(status, StatusCode::CONFLICT, "{system}: {v}");
            assert_eq!(v["number"], first[field], "{system}");
            // A bad identifier is refused, naming it.
            let mut bad = body.clone();
            if let Some(m) = bad.as_object_mut() {
                for (k, v) in m.iter_mut() {
                    if k == "id_number" || k == "uscc" {
                        *v = json!("12345");
                    }
                }
            }
            let (status, _, v) = sim
                .call("POST", path, Some(&token), Some("k3"), Some(bad))
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{system}: {v}");
            // An unknown member is refused too.
            let mut extra = body.clone();
            extra["surprise"] = json!(1);
            let (status, _, v) = sim
                .call("POST", path, Some(&token), Some("k4"), Some(extra))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{system}: {v}");
            assert!(
                v["detail"].as_str().unwrap_or("").contains("surprise"),
                "{v}"
            );
        }
    }

    #[tokio::test]
    async fn faults_are_set_over_the_admin_endpoint() {
        let sim = sim();
        let admin = sim.config.admin_token.clone();
        let token = sim.token(System::Household);
        let path = person_path("350206198811230519");
        let (status, _, v) = sim
            .call(
                "PUT",
                "/admin/faults/household",
                Some(&admin),
                None,
                Some(json!({"mode": "down"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let (status, headers, v) = sim.call("GET", &path, Some(&token), None, None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers["connection"], "close");
        assert_eq!(v["title"], "system-unavailable");
        // Other systems are unaffected.
        let (_, _, faults) = sim
            .call("GET", "/admin/faults", Some(&admin), None, None)
            .await;
        assert_eq!(faults["household"]["mode"], "down");
        assert_eq!(faults["tax"]["mode"], "up");
        sim.call(
            "PUT",
            "/admin/faults/household",
            Some(&admin),
            None,
            Some(json!({"mode": "errors", "status": 502})),
        )
        .await;
        let (status, _, _) = sim.call("GET", &path, Some(&token), None, None).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        let (status, _, _) = sim
            .call("DELETE", "/admin/faults", Some(&admin), None, None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, _) = sim.call("GET", &path, Some(&token), None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(sim.systems.counts()[&System::Household].failed_by_fault, 2);
        // Bad faults and unknown systems are named.
        let (status, _, v) = sim
            .call(
                "PUT",
                "/admin/faults/health",
                Some(&admin),
                None,
                Some(json!({"mode": "down"})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(
            v["detail"].as_str().unwrap_or("").contains("household"),
            "{v}"
        );
        let (status, _, v) = sim
            .call(
                "PUT",
                "/admin/faults/tax",
                Some(&admin),
                None,
                Some(json!({"mode": "errors", "status": 200})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let (status, _, _) = sim
            .call(
                "PUT",
                "/admin/faults/tax",
                Some(&admin),
                None,
                Some(json!({"mode": "sideways"})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn a_slow_system_answers_late() {
        let sim = sim();
        sim.systems
            .faults()
            .set(System::Tax, Fault::Slow { delay_ms: 150 });
        let token = sim.token(System::Tax);
        let started = std::time::Instant::now();
        let (status, _, _) = sim
            .call(
                "POST",
                "/tax/v1/registrations",
                Some(&token),
                Some("k"),
                Some(json!({"uscc": "91350200MA2Y0XXX1T", "name": "厦门鹭岛茶业有限公司"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        // At least the delay (a lower bound, which a busy machine cannot break).
        assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    }

    #[tokio::test]
    async fn unknown_paths_and_malformed_bodies_are_problems() {
        let sim = sim();
        let (status, headers, _) = sim.call("GET", "/nowhere", None, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers["content-type"], "application/problem+json");
        let token = sim.token(System::Household);
        let r = axum::http::Request::builder()
            .method("POST")
            .uri("/household/v1/births")
            .header("authorization", format!("Bearer {token}"))
            .header("idempotency-key", "k")
            .header("content-type", "application/json")
            .body(Body::from("{not json"))
            .expect("request");
        let response = sim.router.clone().oneshot(r).await.expect("answer");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
    }
}
