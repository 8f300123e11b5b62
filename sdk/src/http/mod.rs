//! A small HTTP client for a department's own system, over the contract's
//! `wasi:http/outgoing-handler` (contract 0.2.0): build a request
//! ([`get`], [`post_json`], …), [`send`](RequestBuilder::send) it, read
//! the [`Response`] (status, headers, body, [`Response::json`],
//! [`Response::problem`]), and let failures become a [`StepError`]
//! through [`HttpError`] with `?`.
//!
//! ```
//! use onething_sdk::http::{self, Method};
//! use onething_sdk::{testkit, StepError};
//!
//! #[derive(serde::Deserialize)]
//! struct Registered { taxpayer_number: String }
//!
//! fn register(base: &str, key: &str) -> Result<String, StepError> {
//!     let response = http::post_json(format!("{base}/registrations"), &serde_json::json!({"uscc": "…"}))
//!         .idempotency_key(key)
//!         .send()?;
//!     // A business answer a 4xx carries, before it becomes an error:
//!     if let Some(number) = response.problem_member("already-registered", "number") {
//!         return Ok(number);
//!     }
//!     Ok(response.error_for_status()?.json::<Registered>()?.taxpayer_number)
//! }
//!
//! // Natively, requests go to the test kit's mocks:
//! let url = "http://tax.test/tax/v1/registrations";
//! testkit::http::expect(Method::Post, url).json(201, &serde_json::json!({"taxpayer_number": "TX1"}));
//! testkit::http::expect(Method::Post, url).status(503);
//! assert_eq!(register("http://tax.test/tax/v1", "app-1/tax/s"), Ok("TX1".to_string()));
//! assert!(register("http://tax.test/tax/v1", "app-1/tax/s").is_err_and(|e| e.is_transient()));
//! testkit::http::verify();
//! assert_eq!(testkit::http::requests()[0].header("idempotency-key"), Some("app-1/tax/s"));
//! ```
//!
//! How failures map (see [`HttpError::is_transient`]): a refused
//! connection, a timeout, an unreachable host, a 5xx or a 429 are
//! transient (the host retries and, when its circuit breaker takes the
//! system as down, waits for it); any other 4xx is permanent, and so is a
//! request the operator's outbound policy denied (`HTTP-request-denied`),
//! an answer over the size bound or one that is not the JSON expected.
//! [`RequestBuilder::send`] returns every answer the system gave, 4xx and
//! 5xx included, so a step can read a business answer (409 `name-taken`)
//! before calling [`Response::error_for_status`].
//!
//! Never add a credential here: the operator has the host inject each
//! system's `Authorization` header. Natively (not wasm32) requests go to
//! [`crate::testkit::http`], never to the network.

mod problem;
mod url;
#[cfg(target_arch = "wasm32")]
mod wasi;

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use problem::ProblemDetails;
pub use url::{Url, path_segment};

use crate::StepError;

/// The body size read from an answer unless [`RequestBuilder::max_body_bytes`]
/// says otherwise: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;

/// The timeouts a request gets unless it sets its own: 5 s to connect,
/// 10 s to the first byte, 10 s between bytes.
pub const DEFAULT_TIMEOUTS: Timeouts = Timeouts {
    connect: Some(Duration::from_secs(5)),
    first_byte: Some(Duration::from_secs(10)),
    between_bytes: Some(Duration::from_secs(10)),
};

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// HEAD.
    Head,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name, `GET`, `POST`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How long a request may take, as wasi:http's request options: to
/// connect, to the answer's first byte, between two bytes of it. `None`
/// leaves it to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Until the connection is open.
    pub connect: Option<Duration>,
    /// Until the first byte of the answer.
    pub first_byte: Option<Duration>,
    /// Between two bytes of the answer.
    pub between_bytes: Option<Duration>,
}

/// Start a GET of `url`.
pub fn get(url: impl Into<String>) -> RequestBuilder {
    request(Method::Get, url)
}

/// Start a POST to `url` with no body.
pub fn post(url: impl Into<String>) -> RequestBuilder {
    request(Method::Post, url)
}

/// Start a POST to `url` with `body` as JSON (`Content-Type:
/// application/json`).
pub fn post_json<T: Serialize + ?Sized>(url: impl Into<String>, body: &T) -> RequestBuilder {
    post(url).json(body)
}

/// Start a DELETE of `url`.
pub fn delete(url: impl Into<String>) -> RequestBuilder {
    request(Method::Delete, url)
}

/// Start a request with any method.
pub fn request(method: Method, url: impl Into<String>) -> RequestBuilder {
    RequestBuilder {
        method,
        url: url.into(),
        headers: vec![("accept".into(), "application/json".into())],
        body: Vec::new(),
        timeouts: DEFAULT_TIMEOUTS,
        max_body: DEFAULT_MAX_BODY_BYTES,
        fault: None,
    }
}

/// A request being built (see [`get`], [`post_json`], [`request`]).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeouts: Timeouts,
    max_body: usize,
    /// A fault found while building (a body that would not encode),
    /// reported by `send`.
    fault: Option<HttpError>,
}

impl RequestBuilder {
    /// Add a header (names are case-insensitive; a header set twice is
    /// sent twice, except `accept`, `content-type` and `idempotency-key`,
    /// which replace).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        let name = name.to_ascii_lowercase();
        if matches!(name.as_str(), "content-type" | "idempotency-key" | "accept") {
            self.headers.retain(|(n, _)| *n != name);
        }
        self.headers.push((name, value.into()));
        self
    }

    /// Send `key` as the `Idempotency-Key` (use the request's
    /// `idempotency_key`, so a retried attempt issues nothing twice).
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("idempotency-key", key)
    }

    /// The body as JSON, with `Content-Type: application/json`.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body("application/json", bytes),
            Err(e) => {
                self.fault = Some(HttpError::Encode(e.to_string()));
                self
            }
        }
    }

    /// A body of any media type.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = bytes.into();
        self.header("content-type", content_type)
    }

    /// Every timeout at once (connect, first byte, between bytes).
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeouts = Timeouts {
            connect: Some(limit),
            first_byte: Some(limit),
            between_bytes: Some(limit),
        };
        self
    }

    /// How long to wait for the connection.
    pub fn connect_timeout(mut self, limit: Duration) -> Self {
        self.timeouts.connect = Some(limit);
        self
    }

    /// How long to wait for the answer's first byte.
    pub fn first_byte_timeout(mut self, limit: Duration) -> Self {
        self.timeouts.first_byte = Some(limit);
        self
    }

    /// How long to wait between two bytes of the answer.
    pub fn between_bytes_timeout(mut self, limit: Duration) -> Self {
        self.timeouts.between_bytes = Some(limit);
        self
    }

    /// Read at most `limit` bytes of the answer's body; a longer one is
    /// [`HttpError::TooLarge`].
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Send the request and read the whole answer (within the size
    /// bound). Every status the system answered is `Ok`; a request that
    /// got no answer is an [`HttpError`].
    pub fn send(self) -> Result<Response, HttpError> {
        if let Some(fault) = self.fault {
            return Err(fault);
        }
        let url = Url::parse(&self.url).map_err(|reason| HttpError::BadUrl {
            url: self.url.clone(),
            reason,
        })?;
        let outgoing = Outgoing {
            method: self.method,
            url,
            headers: self.headers,
            body: self.body,
            timeouts: self.timeouts,
            max_body: self.max_body,
        };
        let answer = transport(&outgoing).map_err(|f| f.into_error(&outgoing))?;
        Ok(Response {
            method: outgoing.method,
            url: outgoing.url.to_string(),
            status: answer.status,
            headers: answer.headers,
            body: answer.body,
        })
    }

    /// Send, require a 2xx ([`Response::error_for_status`]) and decode the
    /// body as JSON.
    pub fn send_json<T: DeserializeOwned>(self) -> Result<T, HttpError> {
        self.send()?.error_for_status()?.json()
    }
}

/// What a transport is asked to send (the wasi:http one, or natively the
/// test kit's mocks).
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeouts: Timeouts,
    pub max_body: usize,
}

/// What came back.
#[derive(Debug, Clone)]
pub(crate) struct Incoming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// `HTTP-request-denied`: the operator's outbound policy.
    Denied,
    /// The connection was refused.
    Refused,
    /// A timeout: which one.
    Timeout(&'static str),
    /// DNS, an unreachable destination, a reset connection: the code.
    Unreachable(String),
    /// The request or the answer broke the protocol: the code.
    Protocol(String),
    /// The body was over the bound.
    TooLarge,
}

impl Failure {
    fn into_error(self, o: &Outgoing) -> HttpError {
        let url = o.url.to_string();
        match self {
            Failure::Denied => HttpError::Denied { url },
            Failure::Refused => HttpError::ConnectionRefused { url },
            Failure::Timeout(what) => HttpError::Timeout {
                url,
                what: what.to_owned(),
            },
            Failure::Unreachable(code) => HttpError::Unreachable { url, code },
            Failure::Protocol(code) => HttpError::Protocol { url, code },
            Failure::TooLarge => HttpError::TooLarge {
                url,
                limit: o.max_body,
            },
        }
    }
}

fn transport(o: &Outgoing) -> Result<Incoming, Failure> {
    #[cfg(target_arch = "wasm32")]
    return wasi::send(o);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::testkit::http::answer(o);
}

/// A system's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    method: Method,
    url: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The URL asked.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every header, names in lowercase, in the order received.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body's bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded as JSON into `T`, or [`HttpError::Json`] (a
    /// permanent error: the system does not answer what the department
    /// expects of it).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Json {
            url: self.url.clone(),
            status: self.status,
            message: e.to_string(),
        })
    }

    /// The problem (RFC 9457 `application/problem+json`, or any JSON
    /// object) a 4xx or 5xx answer carries, if its body is one.
    pub fn problem(&self) -> Option<ProblemDetails> {
        if self.is_success() {
            return None;
        }
        ProblemDetails::parse(&self.body)
    }

    /// The text member `member` of the problem whose code is `code`, if
    /// this answer is that problem (`problem_member("name-taken",
    /// "holder")`).
    pub fn problem_member(&self, code: &str, member: &str) -> Option<String> {
        self.problem()
            .filter(|p| p.code() == code)
            .and_then(|p| p.text(member).map(str::to_owned))
    }

    /// The response if it is a 2xx; otherwise [`HttpError::Status`]
    /// (transient for a 5xx or 429, permanent for another 4xx) with the
    /// problem it carried.
    pub fn error_for_status(self) -> Result<Response, HttpError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.into_error())
        }
    }

    /// This answer as an [`HttpError::Status`], whatever its status.
    pub fn into_error(self) -> HttpError {
        let problem = ProblemDetails::parse(&self.body);
        HttpError::Status {
            method: self.method,
            url: self.url,
            status: self.status,
            problem,
        }
    }
}

/// Why a request got no answer the department can use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HttpError {
    /// The URL is not `http(s)://authority/path`.
    #[error("bad URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The body would not encode as JSON.
    #[error("the request body does not encode as JSON: {0}")]
    Encode(String),
    /// `HTTP-request-denied`: the operator's outbound policy does not
    /// allow this department that origin.
    #[error(
        "the operator's outbound policy refused the request to {url} (HTTP-request-denied): \
         the department is not allowed that origin"
    )]
    Denied {
        /// The URL asked.
        url: String,
    },
    /// Nothing listened (the system is down).
    #[error("connection to {url} refused")]
    ConnectionRefused {
        /// The URL asked.
        url: String,
    },
    /// A timeout (to connect, to the first byte, between bytes).
    #[error("{url}: timed out {what}")]
    Timeout {
        /// The URL asked.
        url: String,
        /// Which timeout.
        what: String,
    },
    /// DNS failed, the destination was unreachable or the connection was
    /// cut.
    #[error("{url} could not be reached: {code}")]
    Unreachable {
        /// The URL asked.
        url: String,
        /// The wasi:http error code.
        code: String,
    },
    /// The request or the answer broke the protocol.
    #[error("request to {url} failed: {code}")]
    Protocol {
        /// The URL asked.
        url: String,
        /// The wasi:http error code.
        code: String,
    },
    /// The answer's body was over the bound.
    #[error("the answer of {url} is over {limit} bytes")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// The bound, in bytes.
        limit: usize,
    },
    /// The answer is not the JSON expected.
    #[error("the answer of {url} ({status}) is not the JSON expected: {message}")]
    Json {
        /// The URL asked.
        url: String,
        /// Its status.
        status: u16,
        /// What serde_json said.
        message: String,
    },
    /// The system answered a status the step did not expect.
    #[error("{method} {url} answered {status}{}", problem.as_ref().map(|p| format!(" {}", p.summary())).unwrap_or_default())]
    Status {
        /// The method.
        method: Method,
        /// The URL asked.
        url: String,
        /// The status.
        status: u16,
        /// The problem it carried, if any.
        problem: Option<ProblemDetails>,
    },
}

impl HttpError {
    /// Whether retrying later may help: a refused connection, a timeout,
    /// an unreachable system, a 5xx or 429.
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::ConnectionRefused { .. }
            | HttpError::Timeout { .. }
            | HttpError::Unreachable { .. } => true,
            HttpError::Status { status, .. } => *status >= 500 || *status == 429,
            HttpError::BadUrl { .. }
            | HttpError::Encode(_)
            | HttpError::Denied { .. }
            | HttpError::Protocol { .. }
            | HttpError::TooLarge { .. }
            | HttpError::Json { .. } => false,
        }
    }

    /// The status, if the system answered one.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } | HttpError::Json { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The problem the answer carried, if any.
    pub fn problem(&self) -> Option<&ProblemDetails> {
        match self {
            HttpError::Status { problem, .. } => problem.as_ref(),
            _ => None,
        }
    }
}

impl From<HttpError> for StepError {
    fn from(e: HttpError) -> StepError {
        if e.is_transient() {
            StepError::Transient(e.to_string())
        } else {
            StepError::Permanent(e.to_string())
        }
    }
}

#[cfg(test)]
mod tests;
