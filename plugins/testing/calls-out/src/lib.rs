//! A test component for the host, not a department: it speaks
//! `onething:matter@0.2.0` directly (raw wit-bindgen bindings, no SDK) so
//! the host's tests of outgoing HTTP do not depend on the SDK.
//!
//! Step `fetch` reads `testkit.answer`, written `N METHOD URL` (`1 GET
//! http://127.0.0.1:8090/household/v1/persons/…`), makes that request N
//! times (a URL that is a path alone is on its configured `base_url`),
//! and approves with `testkit.seen` saying what the last one got:
//! `status=200 bytes=123 body=<the first 300 bytes>`; when the request
//! failed (`error=<code>`) or the system answered 5xx, it answers a
//! transient error saying so.
//! It also reads its configuration value `greeting` and its secret
//! `api_key` (logging the secret, which the host must mask), tries to
//! read the secret `household` (which the host injects as a header, so
//! must not give it), and says whether it found each, never their values.

#![allow(missing_docs)]

wit_bindgen::generate!({
    path: "../../../wit/0.2.0",
    world: "department",
    generate_all,
    // Only so this wit-bindgen parses wasi:cli (which the world does not
    // import): its `timezone` import is behind this feature.
    features: ["clocks-timezone"],
});

use exports::onething::matter::handler::Guest;
use onething::matter::types::{
    Approval, Draft, Field, Manifest, Outcome, Problem, Request, StepError, StepSpec, Text, Value,
};
use onething::matter::{config, log};
use wasi::http::outgoing_handler;
use wasi::http::types::{Fields, Method, OutgoingRequest, Scheme};

struct CallsOut;

fn text(zh: &str, en: &str) -> Text {
    Text {
        zh: zh.into(),
        en: en.into(),
    }
}

/// Make one request; what came back, in words.
fn fetch(method: &str, url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return format!("error=bad-url {url}");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let request = OutgoingRequest::new(Fields::new());
    let method = match method {
        "POST" => Method::Post,
        "DELETE" => Method::Delete,
        _ => Method::Get,
    };
    let scheme = match scheme {
        "https" => Scheme::Https,
        _ => Scheme::Http,
    };
    if request.set_method(&method).is_err()
        || request.set_scheme(Some(&scheme)).is_err()
        || request.set_authority(Some(authority)).is_err()
        || request.set_path_with_query(Some(path)).is_err()
    {
        return "error=bad-request".into();
    }
    let future = match outgoing_handler::handle(request, None) {
        Ok(f) => f,
        Err(code) => return format!("error={code:?}"),
    };
    future.subscribe().block();
    let response = match future.get() {
        Some(Ok(Ok(r))) => r,
        Some(Ok(Err(code))) => return format!("error={code:?}"),
        Some(Err(())) | None => return "error=no-response".into(),
    };
    let status = response.status();
    let mut body = Vec::new();
    if let Ok(incoming) = response.consume()
        && let Ok(stream) = incoming.stream()
    {
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) if chunk.is_empty() => {}
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(wasi::io::streams::StreamError::Closed) => break,
                Err(wasi::io::streams::StreamError::LastOperationFailed(e)) => {
                    return format!("error=body {}", e.to_debug_string());
                }
            }
        }
    }
    let shown: String = String::from_utf8_lossy(&body).chars().take(300).collect();
    format!("status={status} bytes={} body={shown}", body.len())
}

impl Guest for CallsOut {
    fn describe() -> Manifest {
        Manifest {
            department: "calls-out".into(),
            name: text(
                "测试组件（非真实部门）",
                "Test component (not a department)",
            ),
            version: "1.0.0".into(),
            steps: vec![StepSpec {
                id: "fetch".into(),
                title: text("取数（非真实事项）", "Fetch (not a real matter)"),
                reads: vec![onething::matter::types::FieldNeed {
                    key: "testkit.answer".into(),
                    required: true,
                    purpose: text("要取的地址", "What to fetch"),
                }],
                writes: vec!["testkit.seen".into()],
                materials: Vec::new(),
                time_limit_minutes: 60,
            }],
        }
    }

    fn check(draft: Draft) -> Vec<Problem> {
        // Says which application it was told, so the host's tests can see it.
        match draft.application {
            Some(id) if id == "refuse-me" => vec![Problem {
                subject: onething::matter::types::Subject::General,
                code: "told-the-application".into(),
                message: text(&format!("申请 {id}"), &format!("application {id}")),
            }],
            _ => Vec::new(),
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        let Some(answer) = request.fields.iter().find_map(|f| match &f.value {
            Value::Text(t) if f.key == "testkit.answer" => Some(t.clone()),
            _ => None,
        }) else {
            return Err(StepError::Permanent("testkit.answer is missing".into()));
        };
        let mut parts = answer.splitn(3, ' ');
        // `0` makes no request (the benchmark's step without one).
        let times: u32 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
        let method = parts.next().unwrap_or("GET").to_owned();
        let mut url = parts.next().unwrap_or_default().to_owned();
        // A path alone is on the department's system, whose address is
        // configuration, as a real department keeps it.
        if url.starts_with('/')
            && let Some(base) = config::get("base_url")
        {
            url = format!("{}{url}", base.trim_end_matches('/'));
        }
        let greeting = config::get("greeting");
        let secret = config::secret("api_key");
        if let Some(s) = &secret {
            log::log(
                log::Level::Info,
                "read the api_key secret",
                &[("secret".into(), s.clone())],
            );
        }
        let injected = config::secret("household");
        let mut seen = String::from("no request");
        for _ in 0..times {
            seen = fetch(&method, &url);
        }
        let seen = format!(
            "{seen} greeting={} secret={} injected_visible={}",
            greeting.is_some(),
            secret.is_some(),
            injected.is_some()
        );
        let unavailable = seen
            .strip_prefix("status=")
            .and_then(|rest| rest.get(..3))
            .is_some_and(|code| code.starts_with('5'));
        if seen.starts_with("error=") || unavailable {
            // As a department would: its system could not be asked.
            return Err(StepError::Transient(format!("the call failed: {seen}")));
        }
        Ok(Outcome::Approved(Approval {
            fields: vec![Field {
                key: "testkit.seen".into(),
                value: Value::Text(seen),
            }],
            documents: Vec::new(),
            note: None,
        }))
    }
}

export!(CallsOut);
