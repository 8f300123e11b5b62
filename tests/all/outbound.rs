//! Outgoing HTTP of a contract 0.2.0 department, through the host's
//! policy, against real systems on loopback: the simulated household
//! registry (with the credential the host injects) and a small server of
//! edge cases (a big answer, a slow one, redirects). The component is
//! plugins/testing/calls-out, built against onething:matter@0.2.0.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use onething_contract::ContractVersion;
use onething_model::call::{Field, StepError, StepOutcome, StepRequest};
use onething_model::dictionary::FieldValue;
use onething_model::ids::{FieldKey, StepId};
use onething_runtime::capabilities::breaker::BreakerSettings;
use onething_runtime::capabilities::http::{Outbound, OutboundRecord, OutboundRecorder};
use onething_runtime::capabilities::log::{LogRecord, LogSink};
use onething_runtime::capabilities::outbound::{
    OutboundPolicies, OutboundToml, SecretsToml, resolve_secrets,
};
use onething_runtime::capabilities::{Capabilities, FixedClock};
use onething_runtime::{Plugin, Runtime};
use onething_store::memory::MemoryKv;
use onething_systems::{System, Systems, SystemsConfig};

use crate::support::{Site, admin_get, client, metrics, submit, wait_for};
use crate::world::{component, test_limits, today, world};

/// Every outbound record and every plugin log line, to search.
#[derive(Default)]
struct Seen {
    calls: Mutex<Vec<OutboundRecord>>,
    logs: Mutex<Vec<String>>,
}

struct Recorder(Arc<Seen>);

impl OutboundRecorder for Recorder {
    fn record(&self, record: OutboundRecord) {
        self.0.calls.lock().expect("calls").push(record);
    }
}

struct Logs(Arc<Seen>);

impl LogSink for Logs {
    fn record(&self, r: &LogRecord<'_>) {
        self.0
            .logs
            .lock()
            .expect("logs")
            .push(format!("{} {}", r.message, r.attributes));
    }
}

struct Harness {
    plugin: Plugin,
    seen: Arc<Seen>,
    household: String,
    edge: String,
    other_port: String,
    credential: String,
    _runtime: Runtime,
}

async fn listen(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

fn edge_cases(other: String) -> Router {
    Router::new()
        .route(
            "/edge/ok",
            get(|headers: HeaderMap| async move {
                let auth = headers.contains_key(header::AUTHORIZATION);
                format!("ok auth={auth}")
            }),
        )
        .route("/edge/big", get(|| async { "x".repeat(64 * 1024) }))
        .route(
            "/edge/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/edge/redirect-in",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/edge/ok")]) }),
        )
        .route(
            "/edge/redirect-out",
            get(move || {
                let to = format!("{other}/edge/ok");
                async move { (StatusCode::FOUND, [(header::LOCATION, to)]) }
            }),
        )
}

/// The secret `api_key` the department `calls-out` reads itself (the
/// household credential the host injects, it may not read).
const PLUGIN_API_KEY: &str = "plugin-readable-api-key-7Hq2xV9m";

/// A runtime whose department `calls-out` may call the household
/// registry and the edge-case server's `/edge/` (nothing else), with the
/// household credential injected as its bearer token (which the plugin
/// cannot read) and the secret `api_key` it can.
async fn harness() -> Harness {
    let systems_config = SystemsConfig::generated().expect("credentials");
    let credential = systems_config
        .credential(System::Household)
        .expect("household credential")
        .to_owned();
    let household = listen(onething_systems::router(Systems::new(systems_config))).await;
    let other_port = listen(edge_cases(String::new())).await;
    let edge = listen(edge_cases(other_port.clone())).await;

    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("household.token"),
        format!("{credential}\n"),
    )
    .expect("secret");
    std::fs::write(dir.path().join("api.key"), PLUGIN_API_KEY).expect("secret");
    let outbound: OutboundToml = toml::from_str(&format!(
        r#"
        [calls-out]
        allow = ["{household}/household/", "{edge}/edge/"]
        first_byte_timeout_ms = 1000
        max_response_bytes = 16384
        max_requests_per_call = 3
        [[calls-out.inject]]
        origin = "{household}/household/"
        header = "authorization"
        prefix = "Bearer "
        secret = "household"
        "#
    ))
    .expect("outbound toml");
    let secrets: SecretsToml = toml::from_str(
        r#"
        [calls-out]
        household = { file = "household.token" }
        api_key = { file = "api.key" }
        "#,
    )
    .expect("secrets toml");
    let seen = Arc::new(Seen::default());
    let config = BTreeMap::from([("greeting".to_owned(), "你好".to_owned())]);
    let (plugin, runtime) = calls_out(&outbound, &secrets, dir.path(), config, &seen)
        .await
        .expect("calls-out loads with its policy");
    Harness {
        plugin,
        seen,
        household,
        edge,
        other_port,
        credential,
        _runtime: runtime,
    }
}

/// The runtime and the loaded `calls-out` component of a department with
/// these outbound and secrets tables (secrets' files in `dir`) and
/// configuration, recording into `seen`; an outbound side that cannot be
/// set up (a TLS identity unreadable) is the error, as at a service's
/// start.
async fn calls_out(
    outbound: &OutboundToml,
    secrets: &SecretsToml,
    dir: &std::path::Path,
    config: BTreeMap<String, String>,
    seen: &Arc<Seen>,
) -> Result<(Plugin, Runtime), String> {
    let policies = OutboundPolicies::build(outbound, secrets)
        .map_err(|faults| onething_runtime::capabilities::outbound::faults_text(&faults))?;
    let cap_dir =
        cap_std::fs::Dir::open_ambient_dir(dir, cap_std::ambient_authority()).expect("cap dir");
    let secret_store = resolve_secrets(secrets, &cap_dir, |_| None).map_err(|e| e.to_string())?;
    let outbound = Outbound::new(
        policies,
        secret_store,
        BTreeMap::from([("calls-out".to_owned(), config)]),
        BreakerSettings::default(),
        Arc::new(Recorder(seen.clone())),
    );
    outbound.check_tls()?;
    let mut caps = Capabilities::new(
        Arc::new(FixedClock::new(today())),
        Arc::new(MemoryKv::default()),
    )
    .with_outbound(Arc::new(outbound));
    caps.log = Arc::new(Logs(seen.clone()));
    let limits = onething_runtime::Limits {
        call_timeout_ms: 10_000,
        // Keep the plugin's words, to show the secret masked in them.
        plugin_log: onething_runtime::capabilities::log::PluginLog::Text,
        ..test_limits()
    };
    let runtime = Runtime::new(limits, caps).expect("runtime");
    let bytes = std::fs::read(component("test-components", "calls-out")).expect("calls-out");
    let plugin = runtime
        .load_bytes(bytes, "calls-out.wasm", world().await.dict())
        .await
        .expect("a 0.2.0 department loads");
    Ok((plugin, runtime))
}

/// An attempt at `fetch` of `application` with `testkit.answer` = `answer`.
fn fetch_request(application: &str, answer: &str) -> StepRequest {
    StepRequest {
        application: application.into(),
        step: StepId::parse("fetch").expect("step"),
        idempotency_key: "k".into(),
        attempt: 1,
        fields: vec![Field {
            key: FieldKey::parse("testkit.answer").expect("key"),
            value: FieldValue::Text(answer.into()),
        }],
        materials: Vec::new(),
    }
}

impl Harness {
    /// `fetch` with `testkit.answer` = `answer`: the seen text, or the
    /// step's error.
    async fn fetch(&self, answer: &str) -> Result<String, String> {
        let request = fetch_request("app-outbound-1", answer);
        match self.plugin.handle(&request).await.expect("the call runs") {
            Ok(StepOutcome::Approved(a)) => match &a.fields[0].value {
                Ok(FieldValue::Text(t)) => Ok(t.clone()),
                other => panic!("seen: {other:?}"),
            },
            Ok(other) => panic!("outcome {other:?}"),
            Err(
                StepError::Transient(m)
                | StepError::Permanent(m)
                | StepError::Unreachable { message: m, .. },
            ) => Err(m),
        }
    }

    fn calls(&self) -> Vec<OutboundRecord> {
        self.seen.calls.lock().expect("calls").clone()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_allowed_origin_answers_with_the_injected_credential_unseen() {
    let h = harness().await;
    assert_eq!(h.plugin.contract(), ContractVersion::V0_2);
    let url = format!(
        "{}/household/v1/persons/35010219870712001X?fields=all",
        h.household
    );
    let seen = h.fetch(&format!("1 GET {url}")).await.expect("answered");
    assert!(seen.starts_with("status=200"), "{seen}");
    assert!(seen.contains("household"), "{seen}");
    assert!(
        seen.contains("greeting=true secret=true injected_visible=false"),
        "the plugin reads its own secret, not the one the host injects: {seen}"
    );
    let calls = h.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let c = &calls[0];
    assert_eq!(c.department, "calls-out");
    assert_eq!(c.application.as_deref(), Some("app-outbound-1"));
    assert_eq!(c.step.as_deref(), Some("fetch"));
    assert_eq!(c.call.status, Some(200));
    assert_eq!(
        c.call.path, "/household/v1/persons/*",
        "the route, not whose data"
    );
    assert!(c.call.bytes_received > 0);
    // Without the injected header the registry answers 401: the edge
    // server, not given one, says so.
    let seen = h
        .fetch(&format!("1 GET {}/edge/ok", h.edge))
        .await
        .expect("answered");
    assert!(seen.contains("ok auth=false"), "{seen}");
    // The credential is nowhere the guest or the record can show it; the
    // plugin logged the secret it read, and the host masked it.
    let logs = h.seen.logs.lock().expect("logs").join("\n");
    assert!(logs.contains("read the api_key secret"), "{logs}");
    for text in [seen, format!("{:?}", h.calls()), logs] {
        assert!(
            !text.contains(&h.credential),
            "the credential leaked: {text}"
        );
        assert!(!text.contains(PLUGIN_API_KEY), "the secret leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn another_origin_another_port_and_a_redirect_out_are_refused() {
    let h = harness().await;
    let port = h.edge.rsplit(':').next().unwrap_or_default().to_owned();
    let cases = [
        // Another host (by name) for the same server.
        format!("http://localhost:{port}/edge/ok"),
        // Another port on the same host.
        format!("{}/edge/ok", h.other_port),
        // The right origin, outside the allowed path prefix.
        format!("{}/admin/faults", h.edge),
        // A dot-segment escape of the prefix.
        format!("{}/edge/../admin/faults", h.edge),
        // A redirect to an origin not allowed.
        format!("{}/edge/redirect-out", h.edge),
    ];
    for url in &cases {
        let err = h.fetch(&format!("1 GET {url}")).await.expect_err("refused");
        assert!(err.contains("HttpRequestDenied"), "{url}: {err}");
        assert!(
            err.contains("outbound.calls-out.allow"),
            "{url}: the error names the setting: {err}"
        );
    }
    // A redirect within what is allowed is followed.
    let seen = h
        .fetch(&format!("1 GET {}/edge/redirect-in", h.edge))
        .await
        .expect("followed");
    assert!(seen.contains("ok auth=false"), "{seen}");
    let denied = h
        .calls()
        .iter()
        .filter(|c| c.call.failure.as_deref() == Some("denied"))
        .count();
    assert_eq!(denied, cases.len(), "{:?}", h.calls());
}

#[tokio::test(flavor = "multi_thread")]
async fn size_time_and_request_limits_each_stop_the_call_naming_the_setting() {
    let h = harness().await;
    let err = h
        .fetch(&format!("1 GET {}/edge/big", h.edge))
        .await
        .expect_err("too big");
    assert!(err.contains("HttpResponseBodySize"), "{err}");
    assert!(
        err.contains("outbound.calls-out.max_response_bytes = 16384"),
        "{err}"
    );
    let err = h
        .fetch(&format!("1 GET {}/edge/slow", h.edge))
        .await
        .expect_err("too slow");
    assert!(
        err.contains("outbound.calls-out.first_byte_timeout_ms = 1000"),
        "{err}"
    );
    let err = h
        .fetch(&format!("4 GET {}/edge/ok", h.edge))
        .await
        .expect_err("too many");
    assert!(err.contains("ConnectionLimitReached"), "{err}");
    assert!(
        err.contains("outbound.calls-out.max_requests_per_call = 3"),
        "{err}"
    );
    let failures: Vec<_> = h
        .calls()
        .iter()
        .filter_map(|c| c.call.failure.clone())
        .collect();
    assert_eq!(failures, ["too-large", "timeout", "too-many-requests"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_department_without_a_policy_reaches_nothing() {
    let w = world().await;
    // The shared world grants no outbound at all.
    let bytes = std::fs::read(component("test-components", "calls-out")).expect("calls-out");
    let plugin = w
        .runtime
        .load_bytes(bytes, "calls-out.wasm", w.dict())
        .await
        .expect("loads");
    let request = fetch_request("app-outbound-2", "1 GET http://127.0.0.1:9/anything");
    let Err(StepError::Transient(m)) = plugin.handle(&request).await.expect("runs") else {
        panic!("refused inside the guest");
    };
    assert!(
        m.contains("HttpRequestDenied") && m.contains("(nothing is allowed)"),
        "{m}"
    );
    assert!(m.contains("outbound.calls-out.allow"), "{m}");
}

/// Through the real binary: `onething serve` reads `[outbound]`,
/// `[secrets]` and `[config]` from its onething.toml; a 0.2.0 step calls
/// the simulated household registry with the credential the host injects;
/// the call is sealed in the audit log and counted in the metrics; and
/// the credential is nowhere in the server's log (at debug), its database
/// or what the API shows.
#[tokio::test(flavor = "multi_thread")]
async fn the_service_calls_out_as_its_configuration_says_and_keeps_the_record() {
    let (site, _, credential, _) = calls_out_site("", 1.0).await;
    let log = site.path().join("server.log");
    let server = site.start_logged("debug", &log);

    // The path alone: the plugin takes its system's address from its
    // configuration.
    let doc = serde_json::json!({
        "bundle": "calls-out",
        "fields": { "testkit.answer": "1 GET /household/v1/persons/35010219870712001X?why=test" },
    });
    let id = submit(&server, &doc).await;
    let done = wait_for(&server, &id, &["completed", "manual"]).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let seen = done.to_string();
    assert!(seen.contains("status=200"), "{seen}");
    assert!(
        seen.contains("greeting=true secret=true injected_visible=false"),
        "{seen}"
    );

    // The call is sealed about its application (shortly after it is made).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let audit = loop {
        let (_, audit) = admin_get(&server, &format!("/admin/applications/{id}/audit")).await;
        if audit.to_string().contains("outbound-call") {
            break audit;
        }
        assert!(std::time::Instant::now() < deadline, "{audit:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let text = audit.to_string();
    assert!(
        text.contains("/household/v1/persons/*")
            && !text.contains("35010219870712001X")
            && text.contains("\"status\":200")
            && text.contains("calls-out/fetch"),
        "{audit:#}"
    );
    assert!(
        !text.contains("why=test"),
        "no query in the record: {audit:#}"
    );
    let metrics = metrics(&server).await;
    assert!(
        metrics.contains("onething_outbound_requests_total{department=\"calls-out\"")
            && metrics.contains("outcome=\"2xx\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("onething_outbound_duration_seconds"),
        "{metrics}"
    );

    // Search everything the service wrote for the credential.
    drop(server);
    let mut places = vec![("the server's log", std::fs::read(&log).expect("log"))];
    for entry in std::fs::read_dir(site.path().join("data")).expect("data dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            places.push(("the data directory", std::fs::read(&path).expect("read")));
        }
    }
    places.push(("the audit view", text.into_bytes()));
    places.push(("the application", seen.into_bytes()));
    for (place, bytes) in &places {
        for (what, secret) in [
            ("the credential", credential.as_str()),
            ("the plugin's secret", PLUGIN_API_KEY),
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{what} is in {place}"
            );
        }
    }
}

/// A service directory whose `calls-out` department may call the simulated
/// household registry (started here) with the credential injected, its
/// base URL in `[config]`, a bundle `calls-out` of its one step (with a
/// time limit of `step_hours`), a bundle `mixed` chaining a 0.1.0 step
/// (the health department's 0.1.0 build) and that 0.2.0 step, and `more` settings; the registry's
/// address, its credential and state.
async fn calls_out_site(more: &str, step_hours: f64) -> (Site, String, String, Arc<Systems>) {
    let systems_config = SystemsConfig::generated().expect("credentials");
    let credential = systems_config
        .credential(System::Household)
        .expect("household credential")
        .to_owned();
    let systems = Systems::new(systems_config);
    let household = listen(onething_systems::router(systems.clone())).await;
    let top = format!(
        r#"
{more}
[outbound.calls-out]
allow = ["{household}/household/"]
[[outbound.calls-out.inject]]
origin = "{household}/household/"
header = "authorization"
prefix = "Bearer "
secret = "household"
[secrets.calls-out]
household = {{ file = "secrets/household.token" }}
api_key = {{ file = "secrets/api.key" }}
[config.calls-out]
greeting = "你好"
base_url = "{household}"
"#
    );
    let site = Site::with_settings(&top, "");
    std::fs::create_dir_all(site.path().join("secrets")).expect("mkdir");
    std::fs::write(site.path().join("secrets/household.token"), &credential).expect("secret");
    std::fs::write(site.path().join("secrets/api.key"), PLUGIN_API_KEY).expect("secret");
    std::fs::copy(
        component("test-components", "calls-out"),
        site.path().join("plugins/calls-out.wasm"),
    )
    .expect("copy calls-out");
    std::fs::write(
        site.path().join("bundles/calls-out.toml"),
        format!(
            "id = \"calls-out\"\ntitle = {{ zh = \"测试\", en = \"Test\" }}\ndescription = {{ zh = \"测试\", en = \"Test\" }}\ntime_limit_hours = 1\n[[steps]]\ndepartment = \"calls-out\"\nstep = \"fetch\"\ntime_limit_hours = {step_hours}\n"
        ),
    )
    .expect("bundle");
    // The health department's build against contract 0.1.0, kept as it
    // was.
    std::fs::copy(
        contract_0_1_fixture("health"),
        site.path().join("plugins/health.wasm"),
    )
    .expect("copy the 0.1.0 health build");
    std::fs::write(
        site.path().join("bundles/mixed.toml"),
        "id = \"mixed\"\ntitle = { zh = \"测试\", en = \"Test\" }\ndescription = { zh = \"测试\", en = \"Test\" }\ntime_limit_hours = 1\n[[steps]]\ndepartment = \"health\"\nstep = \"birth-certificate\"\n[[steps]]\ndepartment = \"calls-out\"\nstep = \"fetch\"\nafter = [\"health/birth-certificate\"]\n",
    )
    .expect("bundle");
    (site, household, credential, systems)
}

/// The household registry goes down and stays down: the request that
/// fails opens its breaker (one failure here), which the application's
/// events say; the step then waits for the system without its attempts
/// counting (every attempt is the first), each probe finding it down
/// again, until the step's time limit (7.2 s here) sends it to a person;
/// meanwhile `/readyz` names the system while the service stays ready,
/// and the metrics count the changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_system_that_goes_down_opens_its_breaker_and_its_steps_wait() {
    let (site, household, _, systems) =
        calls_out_site("[breaker]\nfailures_to_open = 1\nopen_secs = 1\n", 0.002).await;
    let server = site.start();
    systems.faults().set(
        System::Household,
        serde_json::from_value(serde_json::json!({"mode": "down"})).expect("fault"),
    );
    let doc = serde_json::json!({
        "bundle": "calls-out",
        "fields": { "testkit.answer": "1 GET /household/v1/persons/35010219870712001X" },
    });
    let first = submit(&server, &doc).await;
    // Waiting, not failing: no attempt counts while the system is down.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let text = client()
            .get(server.url("/readyz"))
            .send()
            .await
            .expect("readyz");
        assert_eq!(text.status(), 200);
        let text = text.text().await.expect("text");
        if text.contains(&format!(
            "departments' systems taken as down: {household} ("
        )) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = wait_for(&server, &first, &["manual", "completed"]).await;
    assert_eq!(done["status"], "manual", "{done:#}");
    assert!(
        done.to_string().contains(&format!(
            "its department's system {household} was down past the step's time limit"
        )),
        "{done:#}"
    );
    let attempts: Vec<String> = {
        let db = site.db();
        let mut q = db
            .prepare("SELECT body FROM events WHERE application = ?1 AND kind = 'attempt-started' ORDER BY seq")
            .expect("query");
        q.query_map([&first], |r| r.get(0))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    };
    assert!(attempts.len() >= 2, "{attempts:?}");
    assert!(
        attempts.iter().all(|a| a.contains("\"attempt\":1")),
        "every attempt is the first: {attempts:?}"
    );
    // The application's own events say what happened to the system.
    let events: Vec<String> = {
        let db = site.db();
        let mut q = db
            .prepare("SELECT body FROM events WHERE application = ?1 AND kind = 'attempt-failed' ORDER BY seq")
            .expect("query");
        q.query_map([&first], |r| r.get(0))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    };
    let events = events.join("\n");
    assert!(
        events.contains(&format!(
            "the circuit breaker of {household} went from closed to open"
        )),
        "{events}"
    );

    // Operators see each system and its breaker.
    let (status, systems) = admin_get(&server, "/admin/systems").await;
    assert_eq!(status, 200, "{systems:#}");
    let listed = &systems["systems"][0];
    assert_eq!(listed["origin"], household.as_str(), "{systems:#}");
    assert!(
        matches!(listed["state"].as_str(), Some("open" | "half-open")),
        "{systems:#}"
    );
    let metrics = metrics(&server).await;
    assert!(
        metrics.contains(&format!(
            "onething_breaker_changes_total{{origin=\"{household}\",to=\"open\"}}"
        )) && metrics.contains(&format!(
            "onething_breaker_changes_total{{origin=\"{household}\",to=\"half-open\"}}"
        )),
        "{metrics}"
    );
}

/// A department's component built against contract 0.1.0 before the
/// SDK moved to 0.2.0 (tests/fixtures/contract-0.1.0).
pub fn contract_0_1_fixture(department: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/contract-0.1.0")
        .join(format!("{department}.wasm"))
}

/// One bundle chains a step of a 0.1.0 department (the health
/// department's build kept from before 0.2.0) and a step of a 0.2.0 department
/// (calls-out), and both complete, through the real binary.
#[tokio::test(flavor = "multi_thread")]
async fn a_0_1_and_a_0_2_step_complete_in_one_bundle() {
    let (site, _, _, _) = calls_out_site("", 1.0).await;
    let server = site.start();
    let (status, plugins) = admin_get(&server, "/admin/plugins").await;
    assert_eq!(status, 200);
    let contract = |department: &str| {
        plugins["plugins"]
            .as_array()
            .and_then(|all| all.iter().find(|p| p["department"] == department))
            .map(|p| p["contract"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(contract("health").as_deref(), Some("onething:matter@0.1.0"));
    assert_eq!(
        contract("calls-out").as_deref(),
        Some("onething:matter@0.2.0")
    );
    let doc = serde_json::json!({
        "bundle": "mixed",
        "fields": {
            "child.name": "林安然",
            "child.sex": "female",
            "child.birth_date": "2026-10-20",
            "child.birth_place": "厦门市妇幼保健院",
            "mother.name": "陈静",
            "mother.id_number": "350203199003071527",
            "testkit.answer": "1 GET /household/v1/persons/35010219870712001X",
        },
    });
    let id = submit(&server, &doc).await;
    let done = wait_for(&server, &id, &["completed", "manual", "rejected"]).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let steps = done["steps"].as_array().cloned().unwrap_or_default();
    assert_eq!(steps.len(), 2, "{done:#}");
    assert!(steps.iter().all(|s| s["status"] == "approved"), "{done:#}");
    assert!(
        done["outputs"]["testkit.seen"]
            .as_str()
            .is_some_and(|s| s.starts_with("status=200")),
        "{done:#}"
    );
    assert!(
        done["outputs"]["child.birth_certificate_number"].is_string(),
        "{done:#}"
    );
}

/// Every department's 0.1.0 build, kept from before the SDK moved to
/// 0.2.0, still loads and completes both example bundles unchanged
/// (`onething run` over the fixtures, nothing else started).
#[test]
fn the_0_1_builds_of_every_department_still_complete_both_bundles() {
    let fixtures = contract_0_1_fixture("health")
        .parent()
        .expect("the fixtures' directory")
        .to_path_buf();
    for sample in ["newborn.json", "business-startup.json"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_onething"))
            .current_dir(crate::support::repo())
            .args(["run", "--today", "2026-11-28", "--json", "--plugins"])
            .arg(&fixtures)
            .arg(format!("examples/applications/{sample}"))
            .output()
            .expect("onething run");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{sample}: a report ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(report["status"], "completed", "{sample}: {report:#}");
        assert!(out.status.success(), "{sample}");
    }
}

/// A TLS fixture (tests/fixtures/tls).
fn tls_fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/tls")
        .join(name)
}

/// A department's system behind TLS that requires a client certificate
/// issued by the fixtures' authority: `GET /edge/ok` answers with the
/// client certificate's subject seen. Its `https://127.0.0.1:port`.
async fn listen_mutual_tls() -> String {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(tls_fixture("server.pem"))
            .expect("server.pem")
            .collect::<Result<_, _>>()
            .expect("server certificate");
    let key = PrivateKeyDer::from_pem_file(tls_fixture("server.key")).expect("server.key");
    let mut roots = rustls::RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(tls_fixture("ca.pem")).expect("ca.pem") {
        roots.add(ca.expect("ca certificate")).expect("a root");
    }
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .expect("client verifier");
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client without a certificate fails the handshake here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let presented = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .map_or(0, <[CertificateDer<'_>]>::len);
                let router = Router::new().route(
                    "/edge/ok",
                    get(move || async move { format!("ok client-certificates={presented}") }),
                );
                let service = hyper_util::service::TowerToHyperService::new(router);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    format!("https://{addr}")
}

/// A department whose system requires mutual TLS: with its client
/// certificate (from its secrets, named in `[outbound.<dept>.tls]`) and
/// the system's authority, the call answers; without the certificate the
/// handshake is refused and the step fails, transient; without the
/// authority the system's certificate is not trusted. The key is never
/// the plugin's, and a key that is not PEM stops the start naming its
/// setting.
#[tokio::test(flavor = "multi_thread")]
async fn a_system_that_requires_mutual_tls_answers_only_with_the_department_s_certificate() {
    let system = listen_mutual_tls().await;
    let dir = tempfile::tempdir().expect("dir");
    for name in ["client.pem", "client.key", "ca.pem"] {
        std::fs::copy(tls_fixture(name), dir.path().join(name)).expect("fixture");
    }
    let key_text = std::fs::read_to_string(tls_fixture("client.key")).expect("key");
    let secrets: SecretsToml = toml::from_str(
        r#"
        [calls-out]
        certificate = { file = "client.pem" }
        household = { file = "client.key" }
        authority = { file = "ca.pem" }
        "#,
    )
    .expect("secrets toml");
    let outbound_with = |tls: &str| -> OutboundToml {
        toml::from_str(&format!("[calls-out]\nallow = [\"{system}/edge/\"]\n{tls}"))
            .expect("outbound toml")
    };
    let run = |outbound: OutboundToml| {
        let secrets = secrets.clone();
        let dir = dir.path().to_path_buf();
        let system = system.clone();
        async move {
            let seen = Arc::new(Seen::default());
            let (plugin, _runtime) =
                calls_out(&outbound, &secrets, &dir, BTreeMap::new(), &seen).await?;
            let request = fetch_request("app-mtls-1", &format!("1 GET {system}/edge/ok"));
            let answer = match plugin.handle(&request).await.expect("the call runs") {
                Ok(StepOutcome::Approved(a)) => match &a.fields[0].value {
                    Ok(FieldValue::Text(t)) => Ok(t.clone()),
                    other => panic!("seen: {other:?}"),
                },
                Ok(other) => panic!("outcome {other:?}"),
                Err(StepError::Transient(m) | StepError::Unreachable { message: m, .. }) => Err(m),
                Err(StepError::Permanent(m)) => panic!("a handshake refused is not permanent: {m}"),
            };
            let logs = seen.logs.lock().expect("logs").join("\n");
            Ok::<_, String>((answer, logs))
        }
    };

    // The key is the secret `household`, which the component asks for.
    let mutual = "[calls-out.tls]\nclient_certificate = \"certificate\"\nclient_key = \"household\"\nca = \"authority\"\n";
    let (answer, logs) = run(outbound_with(mutual)).await.expect("set up");
    let seen = answer.expect("the system answers the department's certificate");
    assert!(seen.contains("ok client-certificates=1"), "{seen}");
    assert!(
        seen.contains("injected_visible=false"),
        "the TLS key is the host's, never the plugin's: {seen}"
    );
    assert!(
        !logs.contains("PRIVATE KEY") && !seen.contains(key_text.trim()),
        "{logs}"
    );

    let no_identity = "[calls-out.tls]\nca = \"authority\"\n";
    let (answer, _) = run(outbound_with(no_identity)).await.expect("set up");
    let refused = answer.expect_err("no client certificate, no answer");
    assert!(refused.contains("error="), "{refused}");

    let (answer, _) = run(outbound_with("")).await.expect("set up");
    let untrusted = answer.expect_err("the system's authority is not one of the roots");
    assert!(untrusted.contains("error="), "{untrusted}");

    // A key that is not PEM: refused when the service sets up, naming
    // the setting and not the key.
    std::fs::write(dir.path().join("client.key"), "not a key").expect("write");
    let e = run(outbound_with(mutual)).await.expect_err("a broken key");
    assert!(e.contains("outbound.calls-out.tls"), "{e}");
    assert!(!e.contains("not a key"), "{e}");

    // A certificate without its key names the missing setting.
    let e = run(outbound_with(
        "[calls-out.tls]\nclient_certificate = \"certificate\"\n",
    ))
    .await
    .expect_err("half an identity");
    assert!(e.contains("outbound.calls-out.tls.client_key"), "{e}");
}
