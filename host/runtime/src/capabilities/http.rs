//! Outgoing HTTP of `onething:matter@0.2.0` departments, sent by the host
//! under the operator's policy ([`super::outbound`]).
//!
//! A department's `wasi:http/outgoing-handler.handle` reaches
//! [`CallHttp::send_request`], which sends nothing the policy does not
//! allow: the origin (and every redirect's) must be one the department
//! may call; the call's request count, the department's concurrency,
//! the timeouts and the answer's size are held to its limits; an open
//! circuit breaker stops requests to a system taken as down. The host
//! adds the credentials the operator set as headers, so the plugin never
//! holds them. Every request, sent or refused, is recorded
//! ([`OutboundRecorder`]: the audit log and metrics) without its headers,
//! body or query, inside a tracing span.
//!
//! A refusal fails inside the guest with a `wasi:http` error code
//! (`HTTP-request-denied`, `connection-limit-reached`,
//! `HTTP-response-body-size`, a timeout code); the host also warns, and
//! keeps a note naming the setting to change, which the runtime adds to
//! the step's error ([`Notes`]).
//!
//! Not for deciding what is allowed (the policy) or what a refusal means
//! to the application (the engine).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use onething_model::audit::OutboundCall;
use tokio::sync::Semaphore;
use tracing::Instrument;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use super::breaker::{Admission, BreakerSettings, BreakerState, Breakers, Transition};
use super::outbound::{DepartmentPolicy, OutboundPolicies, Refusal, SecretStore};

/// Redirects one request may follow (each checked against the policy).
pub const MAX_REDIRECTS: usize = 5;

/// One request a department made, for the record.
#[derive(Debug, Clone)]
pub struct OutboundRecord {
    /// The department.
    pub department: String,
    /// The application it was for, when the call had one.
    pub application: Option<String>,
    /// The step, when the call had one.
    pub step: Option<String>,
    /// Method, origin, path, status or failure, bytes, duration.
    pub call: OutboundCall,
    /// The breaker change this request caused, if any.
    pub breaker: Option<Transition>,
}

/// Where the records of outgoing requests go (the audit log, metrics).
/// Called once per request, sent or refused; must not block.
pub trait OutboundRecorder: Send + Sync {
    /// Record one request.
    fn record(&self, record: OutboundRecord);

    /// A breaker changed that no request's record carries (open to
    /// half-open, when a probe is let through).
    fn breaker_changed(&self, department: &str, change: &Transition) {
        let _ = (department, change);
    }
}

/// Records to `tracing` only (the default, and for tools).
#[derive(Debug, Default)]
pub struct TracingRecorder;

impl OutboundRecorder for TracingRecorder {
    fn record(&self, r: OutboundRecord) {
        tracing::info!(
            department = %r.department,
            application = r.application.as_deref().unwrap_or("-"),
            method = %r.call.method,
            origin = %r.call.origin,
            path = %r.call.path,
            status = r.call.status.unwrap_or(0),
            failure = r.call.failure.as_deref().unwrap_or(""),
            duration_ms = r.call.duration_ms,
            "outbound call"
        );
    }
}

/// The configuration values the operator set per department
/// (`[config.<department>]`).
pub type DepartmentConfig = BTreeMap<String, BTreeMap<String, String>>;

/// Everything the host needs to send departments' requests: the policies,
/// the secrets, the configuration values, a client per department, the
/// breakers and the recorder. One per runtime, shared by every call.
pub struct Outbound {
    policies: OutboundPolicies,
    secrets: SecretStore,
    config: DepartmentConfig,
    breakers: Breakers,
    recorder: Arc<dyn OutboundRecorder>,
    /// The secrets' values, collected once for masking.
    secret_values: Vec<String>,
    clients: Mutex<HashMap<String, reqwest::Client>>,
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Answers in place of the network, for test runners.
    responder: Option<Arc<dyn Responder>>,
}

/// A request as it would go on the wire (credentials added), for a
/// [`Responder`].
#[derive(Debug, Clone)]
pub struct SentRequest {
    /// The department that sent it.
    pub department: String,
    /// Method, upper case.
    pub method: String,
    /// The whole URL.
    pub url: String,
    /// Headers, names lower case, the injected credentials among them.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What a [`Responder`] answers.
#[derive(Debug, Clone)]
pub enum MockAnswer {
    /// An answer.
    Answer {
        /// Status code.
        status: u16,
        /// Headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// No answer within the first-byte timeout.
    Timeout,
    /// The connection is refused.
    Refused,
}

/// Answers departments' requests in place of the network (`onething
/// test` and its mocked systems): the policy, the limits, the injected
/// credentials and the records apply as to a real request; only sending
/// it is replaced. `None` is a request nothing answers: it fails as a
/// refused connection, the note saying no mock matched.
pub trait Responder: Send + Sync {
    /// The answer to `request`.
    fn answer(&self, request: &SentRequest) -> Option<MockAnswer>;
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("policies", &self.policies)
            .finish_non_exhaustive()
    }
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound::new(
            OutboundPolicies::default(),
            SecretStore::default(),
            DepartmentConfig::new(),
            BreakerSettings::default(),
            Arc::new(TracingRecorder),
        )
    }
}

impl Outbound {
    /// The host's outbound side from checked policies and resolved secrets.
    pub fn new(
        policies: OutboundPolicies,
        secrets: SecretStore,
        config: DepartmentConfig,
        breaker: BreakerSettings,
        recorder: Arc<dyn OutboundRecorder>,
    ) -> Outbound {
        Outbound {
            secret_values: secrets.values().map(|s| s.expose().to_owned()).collect(),
            policies,
            secrets,
            config,
            breakers: Breakers::new(breaker),
            recorder,
            clients: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            responder: None,
        }
    }

    /// Answer every request from `responder` instead of the network.
    pub fn with_responder(mut self, responder: Arc<dyn Responder>) -> Outbound {
        self.responder = Some(responder);
        self
    }

    /// The configuration value `key` of `department`.
    pub fn config_get(&self, department: &str, key: &str) -> Option<String> {
        self.config.get(department)?.get(key).cloned()
    }

    /// Every configuration key of `department`, sorted.
    pub fn config_keys(&self, department: &str) -> Vec<String> {
        self.config
            .get(department)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The secret `name` of `department`, for the plugin that asks. A
    /// secret the host itself uses for the department (a credential it
    /// injects as a header, a TLS identity or authority) is never given to
    /// the plugin: `None`, as for a secret not set.
    pub fn secret(&self, department: &str, name: &str) -> Option<String> {
        if self.policies.of(department).holds_secret(name) {
            tracing::debug!(
                department,
                secret = name,
                "a plugin asked for a secret the host holds; not given"
            );
            return None;
        }
        self.secrets
            .get(department, name)
            .map(|s| s.expose().to_owned())
    }

    /// Build each department's client once, so a TLS identity or
    /// authority that cannot be read stops the service at start, naming
    /// its setting, rather than failing its first request.
    pub fn check_tls(&self) -> Result<(), String> {
        for policy in self.policies.iter() {
            if policy.tls.is_some() {
                self.client(policy)?;
            }
        }
        Ok(())
    }

    /// The TLS settings of a department's client: its identity (mutual
    /// TLS) and the authorities its systems are verified against.
    fn tls(
        &self,
        policy: &DepartmentPolicy,
        mut builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, String> {
        let Some(tls) = &policy.tls else {
            return Ok(builder);
        };
        let department = &policy.department;
        let pem = |secret: &str| {
            self.secrets
                .get(department, secret)
                .map(|s| s.expose().as_bytes().to_vec())
                .ok_or_else(|| format!("secret `{secret}` of {department} is not set"))
        };
        if let (Some(cert), Some(key)) = (&tls.client_certificate, &tls.client_key) {
            let mut both = pem(cert)?;
            both.push(b'\n');
            both.extend(pem(key)?);
            let identity = reqwest::Identity::from_pem(&both).map_err(|e| {
                format!(
                    "outbound.{department}.tls: secrets `{cert}` and `{key}` are not a PEM certificate and its private key ({e})"
                )
            })?;
            builder = builder.identity(identity);
        }
        if let Some(ca) = &tls.ca {
            let roots = reqwest::Certificate::from_pem_bundle(&pem(ca)?).map_err(|e| {
                format!("outbound.{department}.tls.ca: secret `{ca}` is not PEM certificates ({e})")
            })?;
            if roots.is_empty() {
                return Err(format!(
                    "outbound.{department}.tls.ca: secret `{ca}` holds no certificate"
                ));
            }
            builder = builder.tls_certs_only(roots);
        }
        Ok(builder)
    }

    /// Every secret's value, to mask wherever a plugin's words are kept.
    pub fn secret_values(&self) -> &[String] {
        &self.secret_values
    }

    /// Each origin's breaker that is not closed.
    pub fn breaker_states(&self) -> BTreeMap<String, BreakerState> {
        self.breakers.states()
    }

    fn semaphore(&self, policy: &DepartmentPolicy) -> Arc<Semaphore> {
        let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(policy.department.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(policy.limits.concurrency as usize)))
            .clone()
    }

    fn client(&self, policy: &DepartmentPolicy) -> Result<reqwest::Client, String> {
        let mut map = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(&policy.department) {
            return Ok(c.clone());
        }
        // reqwest's TLS needs a process-wide crypto provider; ring, as
        // everywhere in the host (a second install is a no-op).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let judge = policy.clone();
        let builder = self.tls(policy, reqwest::Client::builder())?;
        let client = builder
            .connect_timeout(policy.limits.connect_timeout)
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
                }
                match judge.check(attempt.url().as_str()) {
                    Ok(_) => attempt.follow(),
                    Err(refusal) => attempt.error(refusal),
                }
            }))
            .no_proxy()
            .build()
            .map_err(|e| format!("building the HTTP client: {e}"))?;
        map.insert(policy.department.clone(), client.clone());
        Ok(client)
    }

    fn finish(
        &self,
        ctx: &CallContext,
        mut call: OutboundCall,
        started: Instant,
        ok: Option<bool>,
    ) {
        call.duration_ms = started.elapsed().as_millis() as u64;
        let breaker = ok.and_then(|ok| self.breakers.record(&call.origin, ok, Instant::now()));
        if let Some(t) = &breaker {
            self.changed(ctx, t);
        }
        self.recorder.record(OutboundRecord {
            department: ctx.department.clone(),
            application: ctx.application.clone(),
            step: ctx.step.clone(),
            call,
            breaker,
        });
    }

    /// A breaker's change: warned, and said in the step's error so the
    /// application's events carry it. The request that opens it finds its
    /// system down as much as those it stops afterwards.
    fn changed(&self, ctx: &CallContext, t: &Transition) {
        tracing::warn!(department = %ctx.department, origin = %t.origin, from = t.from.as_str(), to = t.to.as_str(), "circuit breaker changed");
        if t.to == BreakerState::Open {
            ctx.notes.down(&t.origin, self.breakers.settings().open_for);
        }
        ctx.notes.add(format!(
            "the circuit breaker of {} went from {} to {}",
            t.origin,
            t.from.as_str(),
            t.to.as_str()
        ));
    }

    /// A request that ends without an answer for the guest: warned,
    /// noted for the step's error, recorded, and counted against the
    /// origin's breaker when it says the system is down.
    fn stop(
        &self,
        ctx: &CallContext,
        mut call: OutboundCall,
        started: Instant,
        stop: Stop,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        tracing::warn!(department = %ctx.department, origin = %call.origin, "{}", stop.note);
        ctx.notes.add(stop.note);
        call.failure = Some(stop.failure.to_owned());
        self.finish(ctx, call, started, stop.down.then_some(false));
        Err(stop.error)
    }

    /// Send one request of a call under the department's policy.
    async fn send(
        &self,
        ctx: &CallContext,
        made: u32,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let started = Instant::now();
        let policy = self.policies.of(&ctx.department);
        let d = &ctx.department;
        let url = request.uri().to_string();
        let mut call = OutboundCall::to_url(request.method().as_str(), &url);
        let limits = policy.limits;
        if made > limits.max_requests_per_call {
            let note = format!(
                "request {made} of one call to {}{} refused: the department may make outbound.{d}.max_requests_per_call = {} per call",
                call.origin, call.path, limits.max_requests_per_call
            );
            let stop = Stop::new("too-many-requests", note, HttpError::ConnectionLimitReached);
            return self.stop(ctx, call, started, stop);
        }
        let allowed = match policy.check(&url) {
            Ok(a) => a,
            Err(refusal) => {
                let note = format!("{refusal}; to allow it, change {}", refusal.setting());
                let stop = Stop::new("denied", note, HttpError::HttpRequestDenied);
                return self.stop(ctx, call, started, stop);
            }
        };
        let admission = self.breakers.admit(&call.origin, Instant::now());
        if let Admission::Probe(t) = &admission {
            self.changed(ctx, t);
            self.recorder.breaker_changed(&ctx.department, t);
        }
        if let Admission::Refused { retry_in } = admission {
            let note = format!(
                "{} is taken as down (its circuit breaker is open after failures in a row; the next probe in {} s): request not sent",
                call.origin,
                retry_in.as_secs()
            );
            ctx.notes.down(&call.origin, retry_in);
            let stop = Stop::new("breaker-open", note, HttpError::DestinationUnavailable);
            return self.stop(ctx, call, started, stop);
        }
        let client = match self.client(&policy) {
            Ok(c) => c,
            Err(note) => {
                let stop = Stop::new("internal", note, HttpError::InternalError(None));
                return self.stop(ctx, call, started, stop);
            }
        };
        let semaphore = self.semaphore(&policy);
        let _permit = semaphore.acquire_owned().await.ok();

        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        call.bytes_sent = body.len() as u64;
        let mut builder = client.request(parts.method, &url).body(body);
        for (name, value) in &parts.headers {
            if name != http::header::HOST {
                builder = builder.header(name, value);
            }
        }
        for inject in &allowed.inject {
            if let Some(secret) = self.secrets.get(d, &inject.secret) {
                builder = builder.header(
                    inject.header.as_str(),
                    format!("{}{}", inject.prefix, secret.expose()),
                );
            }
        }
        let first_byte = options
            .and_then(|o| o.first_byte_timeout)
            .map_or(limits.first_byte_timeout, |t| {
                t.min(limits.first_byte_timeout)
            })
            .min(limits.call_timeout);
        let deadline = tokio::time::Instant::from_std(started + limits.call_timeout);
        if let Some(responder) = &self.responder {
            return self.mocked(
                responder.as_ref(),
                ctx,
                call,
                started,
                builder,
                &policy,
                first_byte,
            );
        }
        let mut response = match tokio::time::timeout(first_byte, builder.send()).await {
            Err(_) => {
                let stop = Stop::no_first_byte(&call, d, first_byte, "");
                return self.stop(ctx, call, started, stop);
            }
            Ok(Err(e)) => {
                let stop = Stop::of(&e, &call, &policy);
                return self.stop(ctx, call, started, stop);
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let mut received: Vec<u8> = Vec::new();
        loop {
            let stop = match tokio::time::timeout_at(deadline, response.chunk()).await {
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk)))
                    if received.len() as u64 + chunk.len() as u64 <= limits.max_response_bytes =>
                {
                    received.extend_from_slice(&chunk);
                    continue;
                }
                Ok(Ok(Some(_))) => {
                    call.status = Some(status.as_u16());
                    let note = format!(
                        "the answer of {}{} is over outbound.{d}.max_response_bytes = {}: not read further",
                        call.origin, call.path, limits.max_response_bytes
                    );
                    let error = HttpError::HttpResponseBodySize(Some(limits.max_response_bytes));
                    Stop::new("too-large", note, error)
                }
                Err(_) => {
                    let note = format!(
                        "{}{} did not finish its answer within outbound.{d}.call_timeout_ms = {}",
                        call.origin,
                        call.path,
                        limits.call_timeout.as_millis()
                    );
                    Stop::new("timeout", note, HttpError::HttpResponseTimeout).down()
                }
                Ok(Err(e)) => Stop::of(&e, &call, &policy),
            };
            call.bytes_received = received.len() as u64;
            return self.stop(ctx, call, started, stop);
        }
        call.status = Some(status.as_u16());
        call.bytes_received = received.len() as u64;
        self.finish(ctx, call, started, Some(!status.is_server_error()));
        let mut answer = http::Response::builder().status(status);
        for (name, value) in &headers {
            // The body is whole: how it was framed on the wire is not the
            // guest's concern.
            if name != http::header::TRANSFER_ENCODING && name != http::header::CONNECTION {
                answer = answer.header(name, value);
            }
        }
        let body = Full::new(Bytes::from(received))
            .map_err(|never| match never {})
            .boxed_unsync();
        answer
            .body(body)
            .map_err(|e| HttpError::InternalError(Some(e.to_string())))
    }
}

impl Outbound {
    /// [`Outbound::send`]'s end when a [`Responder`] answers: its answer
    /// held to the same size limit, its failures to the same notes.
    #[allow(clippy::too_many_arguments)]
    fn mocked(
        &self,
        responder: &dyn Responder,
        ctx: &CallContext,
        mut call: OutboundCall,
        started: Instant,
        builder: reqwest::RequestBuilder,
        policy: &DepartmentPolicy,
        first_byte: std::time::Duration,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let d = &ctx.department;
        let request = match builder.build() {
            Ok(r) => r,
            Err(e) => {
                let stop = Stop::new("internal", e.to_string(), HttpError::InternalError(None));
                return self.stop(ctx, call, started, stop);
            }
        };
        let sent = SentRequest {
            department: d.clone(),
            method: request.method().as_str().to_owned(),
            url: request.url().to_string(),
            headers: request
                .headers()
                .iter()
                .map(|(n, v)| {
                    (
                        n.as_str().to_owned(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: request
                .body()
                .and_then(|b| b.as_bytes())
                .map(<[u8]>::to_vec)
                .unwrap_or_default(),
        };
        let (status, headers, body) = match responder.answer(&sent) {
            Some(MockAnswer::Answer {
                status,
                headers,
                body,
            }) => (status, headers, body),
            Some(MockAnswer::Timeout) => {
                let stop = Stop::no_first_byte(&call, d, first_byte, " (mocked)");
                return self.stop(ctx, call, started, stop);
            }
            Some(MockAnswer::Refused) => {
                let note = format!("could not connect to {} (mocked)", call.origin);
                let stop = Stop::new("connect", note, HttpError::ConnectionRefused).down();
                return self.stop(ctx, call, started, stop);
            }
            None => {
                let note = format!(
                    "no mocked answer for {} {}{}: the request was not answered",
                    sent.method, call.origin, call.path
                );
                let stop = Stop::new("connect", note, HttpError::ConnectionRefused);
                return self.stop(ctx, call, started, stop);
            }
        };
        call.status = Some(status);
        if body.len() as u64 > policy.limits.max_response_bytes {
            let note = format!(
                "the answer of {}{} is over outbound.{d}.max_response_bytes = {}: not read further",
                call.origin, call.path, policy.limits.max_response_bytes
            );
            let error = HttpError::HttpResponseBodySize(Some(policy.limits.max_response_bytes));
            call.bytes_received = policy.limits.max_response_bytes;
            return self.stop(ctx, call, started, Stop::new("too-large", note, error));
        }
        call.bytes_received = body.len() as u64;
        self.finish(ctx, call, started, Some(status < 500));
        let mut answer = http::Response::builder().status(status);
        for (name, value) in &headers {
            answer = answer.header(name.as_str(), value.as_str());
        }
        answer
            .body(
                Full::new(Bytes::from(body))
                    .map_err(|never| match never {})
                    .boxed_unsync(),
            )
            .map_err(|e| HttpError::InternalError(Some(e.to_string())))
    }
}

/// How a request ended without an answer for the guest.
struct Stop {
    /// The record's word for it (`denied`, `timeout`, `too-large` …).
    failure: &'static str,
    /// What the host noticed, naming the setting where one applies.
    note: String,
    /// The `wasi:http` error the guest gets.
    error: HttpError,
    /// Whether it says the system is down (counted by its breaker).
    down: bool,
}

impl Stop {
    fn new(failure: &'static str, note: String, error: HttpError) -> Stop {
        Stop {
            failure,
            note,
            error,
            down: false,
        }
    }

    fn down(mut self) -> Stop {
        self.down = true;
        self
    }

    /// No answer within the first-byte timeout (`how` says more).
    fn no_first_byte(
        call: &OutboundCall,
        department: &str,
        first_byte: std::time::Duration,
        how: &str,
    ) -> Stop {
        let note = format!(
            "{}{} sent no answer within outbound.{department}.first_byte_timeout_ms = {}{how}",
            call.origin,
            call.path,
            first_byte.as_millis()
        );
        Stop::new("timeout", note, HttpError::ConnectionReadTimeout).down()
    }

    /// A request that reqwest could not complete: a redirect the policy
    /// refused, too many redirects, a connection that failed or timed out.
    fn of(e: &reqwest::Error, call: &OutboundCall, policy: &DepartmentPolicy) -> Stop {
        let refusal = std::iter::successors(Some(e as &(dyn std::error::Error + 'static)), |e| {
            e.source()
        })
        .find_map(|e| e.downcast_ref::<Refusal>());
        if let Some(r) = refusal {
            let note = format!(
                "a redirect was refused: {r}; to allow it, change {}",
                r.setting()
            );
            Stop::new("denied", note, HttpError::HttpRequestDenied)
        } else if e.is_redirect() {
            let note = format!("{}{}: {e}", call.origin, call.path);
            Stop::new("redirects", note, HttpError::LoopDetected)
        } else if e.is_timeout() {
            let note = format!(
                "could not connect to {} within outbound.{}.connect_timeout_ms = {}",
                call.origin,
                policy.department,
                policy.limits.connect_timeout.as_millis()
            );
            Stop::new("timeout", note, HttpError::ConnectionTimeout).down()
        } else if e.is_connect() {
            let note = format!("could not connect to {}: {e}", call.origin);
            Stop::new("connect", note, HttpError::ConnectionRefused).down()
        } else {
            let note = format!("{}{} failed: {e}", call.origin, call.path);
            Stop::new("protocol", note, HttpError::HttpProtocolError).down()
        }
    }
}

/// What the host noticed about one call's outgoing requests (a limit hit,
/// a refusal), each naming the setting: added to the step's error so the
/// operator reads why without the logs.
#[derive(Debug, Clone, Default)]
pub struct Notes(Arc<Mutex<NotesInner>>);

#[derive(Debug, Default)]
struct NotesInner {
    notes: Vec<String>,
    /// A system a request was not sent to because its breaker is open,
    /// and when a probe may go.
    down: Option<(String, std::time::Duration)>,
}

/// Notes kept per call, at most.
const MAX_NOTES: usize = 8;

impl Notes {
    fn add(&self, note: String) {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let v = &mut inner.notes;
        if v.len() < MAX_NOTES && !v.contains(&note) {
            v.push(note);
        }
    }

    fn down(&self, origin: &str, retry_in: std::time::Duration) {
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .down
            .get_or_insert_with(|| (origin.to_owned(), retry_in));
    }

    /// What was noted, in order.
    pub fn taken(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .notes
            .clone()
    }

    /// The first system the call found taken as down (its breaker open),
    /// and when a probe may go.
    pub fn system_down(&self) -> Option<(String, std::time::Duration)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .down
            .clone()
    }
}

/// Who is calling: the department, and the application and step when the
/// call has them.
#[derive(Debug, Clone)]
pub struct CallContext {
    /// The department.
    pub department: String,
    /// The application.
    pub application: Option<String>,
    /// The step.
    pub step: Option<String>,
    /// Where the call's notes go.
    pub notes: Notes,
}

/// One call's side of outgoing HTTP: the hooks wasmtime-wasi-http calls.
pub struct CallHttp {
    outbound: Arc<Outbound>,
    ctx: Arc<CallContext>,
    made: u32,
}

impl CallHttp {
    /// For one call of `ctx.department`.
    pub fn new(outbound: Arc<Outbound>, ctx: CallContext) -> CallHttp {
        CallHttp {
            outbound,
            ctx: Arc::new(ctx),
            made: 0,
        }
    }
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for CallHttp {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        self.made = self.made.saturating_add(1);
        let made = self.made;
        let outbound = self.outbound.clone();
        let ctx = self.ctx.clone();
        let span = tracing::info_span!(
            "outbound",
            department = %ctx.department,
            method = %request.method(),
            origin = %request.uri().authority().map_or("", |a| a.as_str()),
        );
        Box::new(
            async move {
                let response = outbound.send(&ctx, made, request, options).await?;
                let done: Box<dyn Future<Output = Result<(), HttpError>> + Send> =
                    Box::new(async { Ok(()) });
                Ok((response, done))
            }
            .instrument(span),
        )
    }
}
