//! The client against the test kit's mocks: what it sends, and how every
//! kind of failure maps to a transient or permanent [`StepError`].

use super::*;
use crate::testkit::{self, http::Failure};

const URL: &str = "http://sys.test/tax/v1/registrations";

fn step_error(result: Result<Response, HttpError>) -> StepError {
    match result.and_then(Response::error_for_status) {
        Ok(r) => panic!("expected an error, got {}", r.status()),
        Err(e) => e.into(),
    }
}

#[test]
fn sends_method_headers_body_and_idempotency_key() {
    testkit::reset();
    let _http = testkit::http::guard();
    testkit::http::expect(Method::Post, URL)
        .json(201, &serde_json::json!({"taxpayer_number": "TX1"}))
        .header("Location", "/tax/v1/registrations/TX1");
    let response = post_json(URL, &serde_json::json!({"uscc": "9135", "name": "厦门"}))
        .idempotency_key("app-1/tax/tax-registration")
        .idempotency_key("app-1/tax/tax-registration")
        .header("X-Trace", "a")
        .header("x-trace", "b")
        .timeout(Duration::from_secs(2))
        .send()
        .expect("answered");
    assert_eq!(response.status(), 201);
    assert!(response.is_success());
    assert_eq!(response.url(), URL);
    assert_eq!(
        response.header("location"),
        Some("/tax/v1/registrations/TX1")
    );
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.headers().len(), 2);
    #[derive(serde::Deserialize)]
    struct Registered {
        taxpayer_number: String,
    }
    assert_eq!(
        response.json::<Registered>().map(|r| r.taxpayer_number),
        Ok("TX1".into())
    );
    assert!(response.text().contains("TX1"));
    assert_eq!(response.problem(), None, "a 2xx carries no problem");
    let sent = &testkit::http::requests()[0];
    assert_eq!(sent.method, Method::Post);
    assert_eq!(
        sent.header("Idempotency-Key"),
        Some("app-1/tax/tax-registration")
    );
    assert_eq!(
        sent.headers
            .iter()
            .filter(|(n, _)| n == "idempotency-key")
            .count(),
        1
    );
    assert_eq!(
        sent.headers.iter().filter(|(n, _)| n == "x-trace").count(),
        2
    );
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(sent.header("accept"), Some("application/json"));
    assert_eq!(sent.json::<serde_json::Value>()["name"], "厦门");
    let two = Some(Duration::from_secs(2));
    assert_eq!(
        sent.timeouts,
        Timeouts {
            connect: two,
            first_byte: two,
            between_bytes: two
        }
    );
}

#[test]
fn a_4xx_is_readable_before_it_becomes_permanent() {
    testkit::reset();
    testkit::http::expect(Method::Post, URL)
        .problem(409, "already-registered")
        .member("number", "TX000000000007");
    let response = post(URL).send().expect("answered");
    assert_eq!(response.status(), 409);
    assert_eq!(
        response
            .problem_member("already-registered", "number")
            .as_deref(),
        Some("TX000000000007")
    );
    assert_eq!(response.problem_member("name-taken", "number"), None);
    assert_eq!(
        response.problem().map(|p| p.code().to_owned()).as_deref(),
        Some("already-registered")
    );
    let error = response.error_for_status().expect_err("an error");
    assert_eq!(error.status(), Some(409));
    assert_eq!(
        error.problem().map(ProblemDetails::code),
        Some("already-registered")
    );
    assert!(!error.is_transient());
    let StepError::Permanent(message) = StepError::from(error) else {
        panic!("a 409 is permanent");
    };
    assert!(
        message
            .contains("POST http://sys.test/tax/v1/registrations answered 409 already-registered"),
        "{message}"
    );
    testkit::http::verify();
}

#[test]
fn failures_map_to_transient_or_permanent() {
    testkit::reset();
    let transient = [
        testkit::http::expect(Method::Get, URL).status(503),
        testkit::http::expect(Method::Get, URL).status(502),
        testkit::http::expect(Method::Get, URL).problem(429, "slow-down"),
        testkit::http::expect(Method::Get, URL).fail(Failure::ConnectionRefused),
        testkit::http::expect(Method::Get, URL).fail(Failure::Timeout),
        testkit::http::expect(Method::Get, URL).fail(Failure::Unreachable),
    ];
    for _ in transient {
        let e = step_error(get(URL).send());
        assert!(e.is_transient(), "{e:?}");
    }
    let permanent = [
        testkit::http::expect(Method::Get, URL).problem(404, "unknown-person"),
        testkit::http::expect(Method::Get, URL).problem(422, "not-local"),
        testkit::http::expect(Method::Get, URL).status(400),
        testkit::http::expect(Method::Get, URL).status(401),
        testkit::http::expect(Method::Get, URL).fail(Failure::Protocol),
    ];
    for _ in permanent {
        let e = step_error(get(URL).send());
        assert!(!e.is_transient(), "{e:?}");
    }
    testkit::http::expect(Method::Get, URL).fail(Failure::Denied);
    let denied = step_error(get(URL).send());
    assert!(
        matches!(&denied, StepError::Permanent(m)
            if m.contains("operator's outbound policy refused") && m.contains("HTTP-request-denied")),
        "{denied:?}"
    );
    testkit::http::expect(Method::Get, URL).fail(Failure::ConnectionRefused);
    assert!(matches!(
        get(URL).send(),
        Err(HttpError::ConnectionRefused { url }) if url == URL
    ));
    testkit::http::verify();
}

#[test]
fn bodies_are_bounded_and_json_is_checked() {
    testkit::reset();
    testkit::http::expect(Method::Get, URL).body(200, "text/plain", vec![b'x'; 101]);
    let too_large = get(URL).max_body_bytes(100).send();
    assert_eq!(
        too_large.err(),
        Some(HttpError::TooLarge {
            url: URL.into(),
            limit: 100
        })
    );
    testkit::http::expect(Method::Get, URL).body(200, "text/plain", vec![b'x'; 100]);
    assert_eq!(
        get(URL).max_body_bytes(100).send().map(|r| r.body().len()),
        Ok(100)
    );
    testkit::http::expect(Method::Get, URL).body(200, "text/html", "<html>");
    let bad = get(URL).send_json::<serde_json::Value>();
    let bad = bad.expect_err("not JSON");
    assert!(
        matches!(bad, HttpError::Json { status: 200, .. }),
        "{bad:?}"
    );
    assert!(!bad.is_transient());
    testkit::http::expect(Method::Get, URL).status(500);
    assert!(
        get(URL)
            .send_json::<serde_json::Value>()
            .is_err_and(|e| e.is_transient())
    );
    testkit::http::verify();
}

#[test]
fn bad_urls_and_bodies_are_permanent_and_send_nothing() {
    testkit::reset();
    let e = get("/persons/1").send().expect_err("no scheme");
    assert!(matches!(&e, HttpError::BadUrl { .. }) && !e.is_transient());
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![1u8], 2u8);
    let e = post_json(URL, &map)
        .send()
        .expect_err("a map with non-text keys");
    assert!(matches!(e, HttpError::Encode(_)));
    assert!(testkit::http::requests().is_empty());
    assert_eq!(Method::Patch.to_string(), "PATCH");
    assert_eq!(delete(URL).method, Method::Delete);
    assert_eq!(
        request(Method::Put, URL)
            .connect_timeout(Duration::from_millis(5))
            .first_byte_timeout(Duration::from_millis(6))
            .between_bytes_timeout(Duration::from_millis(7))
            .timeouts,
        Timeouts {
            connect: Some(Duration::from_millis(5)),
            first_byte: Some(Duration::from_millis(6)),
            between_bytes: Some(Duration::from_millis(7)),
        }
    );
}

#[test]
#[should_panic(
    expected = "unexpected request GET http://sys.test/other; expected (not yet made): POST http://sys.test/tax/v1/registrations"
)]
fn an_unexpected_request_fails_the_test_listing_what_was_expected() {
    testkit::reset();
    testkit::http::expect(Method::Post, URL);
    let _ = get("http://sys.test/other").send();
}

#[test]
#[should_panic(
    expected = "expected requests were not made:\n  - GET http://sys.test/tax/v1/registrations"
)]
fn an_unmet_expectation_fails_the_guard() {
    testkit::reset();
    let _http = testkit::http::guard();
    testkit::http::expect(Method::Get, URL).status(200);
}
