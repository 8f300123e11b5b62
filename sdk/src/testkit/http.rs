//! HTTP mocks for native tests: natively, [`crate::http`] sends nothing
//! over the network; every request goes to the expectations set here, on
//! this thread, and is recorded.
//!
//! ```
//! use onething_sdk::http::{self, Method};
//! use onething_sdk::testkit::{self, http::Failure};
//!
//! let url = "http://names.test/enterprise-names/v1/reservations";
//! testkit::http::expect(Method::Post, url)
//!     .problem(409, "name-taken")
//!     .member("holder", "app-other");
//! testkit::http::expect(Method::Post, url).fail(Failure::ConnectionRefused);
//!
//! let taken = http::post_json(url, &serde_json::json!({"name": "厦门鹭岛茶业有限公司"})).send().unwrap();
//! assert_eq!(taken.problem_member("name-taken", "holder").as_deref(), Some("app-other"));
//! let down = http::post(url).send();
//! assert!(down.is_err_and(|e| e.is_transient()));
//!
//! testkit::http::verify(); // every expectation met
//! assert_eq!(testkit::http::requests()[0].json::<serde_json::Value>()["name"], "厦门鹭岛茶业有限公司");
//! ```
//!
//! Expectations are matched in the order set, each answering one request
//! with the same method and URL. A request no expectation is left for
//! panics (fails the test), listing what was expected. [`verify`] (or a
//! [`guard`] going out of scope) fails the test if an expectation was not
//! met. [`super::reset`] forgets them all.

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use crate::http::Method;
pub use crate::http::Timeouts;
use crate::http::{Failure as Sent, Incoming, Outgoing};
use crate::native;

/// A failure a mock can answer with instead of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listens: the system is down (transient).
    ConnectionRefused,
    /// No answer in time (transient).
    Timeout,
    /// The host could not reach the system, or its circuit breaker took
    /// it as down (transient).
    Unreachable,
    /// The operator's outbound policy denied the request (permanent).
    Denied,
    /// The answer broke the protocol (permanent).
    Protocol,
}

/// What a mock answers.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    Fail(Failure),
}

#[derive(Debug, Clone, PartialEq)]
struct Expectation {
    method: Method,
    url: String,
    answer: Answer,
    met: bool,
}

/// One request the department made.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// Its method.
    pub method: Method,
    /// Its URL.
    pub url: String,
    /// Its headers, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// Its body.
    pub body: Vec<u8>,
    /// The timeouts it asked for.
    pub timeouts: Timeouts,
}

impl Recorded {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body decoded as JSON; panics (fails the test) when it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "testkit::http: the body of {} {} is not the JSON expected: {e}",
                self.method, self.url
            )
        })
    }
}

/// This thread's expectations and recorded requests.
#[derive(Debug, Default)]
pub(crate) struct Mocks {
    expected: Vec<Expectation>,
    recorded: Vec<Recorded>,
}

/// Expect one `method` request of `url` (exactly as sent, query
/// included). It answers 200 with no body unless told otherwise by the
/// returned [`Expect`].
pub fn expect(method: Method, url: impl Into<String>) -> Expect {
    let index = native::with(|s| {
        s.http.expected.push(Expectation {
            method,
            url: url.into(),
            answer: Answer::Response {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
            },
            met: false,
        });
        s.http.expected.len() - 1
    });
    Expect { index }
}

/// Sets what one expected request is answered (see [`expect`]).
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    index: usize,
}

impl Expect {
    fn set(self, f: impl FnOnce(&mut Answer)) -> Expect {
        native::with(|s| {
            if let Some(e) = s.http.expected.get_mut(self.index) {
                f(&mut e.answer);
            }
        });
        self
    }

    fn respond(self, status: u16, content_type: Option<&str>, body: Vec<u8>) -> Expect {
        self.set(|a| {
            let mut headers = match a {
                Answer::Response { headers, .. } => std::mem::take(headers),
                Answer::Fail(_) => Vec::new(),
            };
            headers.retain(|(n, _)| n != "content-type");
            if let Some(ct) = content_type {
                headers.push(("content-type".into(), ct.into()));
            }
            *a = Answer::Response {
                status,
                headers,
                body,
            };
        })
    }

    /// Answer `status` with no body.
    pub fn status(self, status: u16) -> Expect {
        self.respond(status, None, Vec::new())
    }

    /// Answer `status` with `body` as JSON.
    pub fn json<T: Serialize + ?Sized>(self, status: u16, body: &T) -> Expect {
        let bytes = serde_json::to_vec(body)
            .unwrap_or_else(|e| panic!("testkit::http: the mock's body does not encode: {e}"));
        self.respond(status, Some("application/json"), bytes)
    }

    /// Answer `status` with a problem+json body as the departments'
    /// systems give it: `type` `urn:onething:systems:<code>`, `title`
    /// `<code>`, `status`, `detail`. Add members with [`Expect::member`].
    pub fn problem(self, status: u16, code: &str) -> Expect {
        let body = serde_json::json!({
            "type": format!("urn:onething:systems:{code}"),
            "title": code,
            "status": status,
            "detail": format!("{code} (a test kit mock)"),
        });
        self.respond(
            status,
            Some("application/problem+json"),
            body.to_string().into_bytes(),
        )
    }

    /// Add a member to the JSON object the mock answers (after
    /// [`Expect::json`] with an object, or [`Expect::problem`]).
    pub fn member(self, name: &str, value: impl Into<serde_json::Value>) -> Expect {
        let value = value.into();
        self.set(|a| {
            if let Answer::Response { body, .. } = a
                && let Ok(serde_json::Value::Object(mut map)) =
                    serde_json::from_slice::<serde_json::Value>(body)
            {
                map.insert(name.to_owned(), value);
                *body = serde_json::Value::Object(map).to_string().into_bytes();
            }
        })
    }

    /// Answer `status` with a body of any media type.
    pub fn body(self, status: u16, content_type: &str, bytes: impl Into<Vec<u8>>) -> Expect {
        self.respond(status, Some(content_type), bytes.into())
    }

    /// Add a header to the answer.
    pub fn header(self, name: &str, value: &str) -> Expect {
        self.set(|a| {
            if let Answer::Response { headers, .. } = a {
                headers.push((name.to_ascii_lowercase(), value.to_owned()));
            }
        })
    }

    /// Answer with a failure instead of a response.
    pub fn fail(self, failure: Failure) -> Expect {
        self.set(|a| *a = Answer::Fail(failure))
    }
}

/// Every request made on this thread so far, in order.
pub fn requests() -> Vec<Recorded> {
    native::with(|s| s.http.recorded.clone())
}

/// The expectations not met yet, as `METHOD URL`.
pub fn pending() -> Vec<String> {
    native::with(|s| {
        s.http
            .expected
            .iter()
            .filter(|e| !e.met)
            .map(|e| format!("{} {}", e.method, e.url))
            .collect()
    })
}

/// Fail the test unless every expectation was met.
pub fn verify() {
    let pending = pending();
    assert!(
        pending.is_empty(),
        "testkit::http: expected requests were not made:\n  - {}",
        pending.join("\n  - ")
    );
}

/// A guard that calls [`verify`] when it goes out of scope (unless the
/// test is already failing): `let _http = testkit::http::guard();`.
#[must_use = "the guard verifies when dropped; bind it to a variable"]
pub fn guard() -> Guard {
    Guard(())
}

/// See [`guard`].
#[derive(Debug)]
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            verify();
        }
    }
}

/// The transport of [`crate::http`] natively: record the request and
/// answer it from the first unmet expectation with its method and URL.
pub(crate) fn answer(o: &Outgoing) -> Result<Incoming, Sent> {
    let url = o.url.to_string();
    let found = native::with(|s| {
        s.http.recorded.push(Recorded {
            method: o.method,
            url: url.clone(),
            headers: o.headers.clone(),
            body: o.body.clone(),
            timeouts: o.timeouts,
        });
        let e = s
            .http
            .expected
            .iter_mut()
            .find(|e| !e.met && e.method == o.method && e.url == url)?;
        e.met = true;
        Some(e.answer.clone())
    });
    let Some(answer) = found else {
        let pending = pending();
        panic!(
            "testkit::http: unexpected request {} {url}; expected (not yet made): {}",
            o.method,
            if pending.is_empty() {
                "nothing".to_owned()
            } else {
                pending.join(", ")
            }
        );
    };
    match answer {
        Answer::Fail(Failure::ConnectionRefused) => Err(Sent::Refused),
        Answer::Fail(Failure::Timeout) => Err(Sent::Timeout("waiting for the answer")),
        Answer::Fail(Failure::Unreachable) => {
            Err(Sent::Unreachable("DestinationUnavailable".into()))
        }
        Answer::Fail(Failure::Denied) => Err(Sent::Denied),
        Answer::Fail(Failure::Protocol) => Err(Sent::Protocol("HttpProtocolError".into())),
        Answer::Response { body, .. } if body.len() > o.max_body => Err(Sent::TooLarge),
        Answer::Response {
            status,
            headers,
            body,
        } => Ok(Incoming {
            status,
            headers,
            body,
        }),
    }
}
