//! Shared set-up of the end-to-end tests: a real `onething serve` process
//! on a loopback port chosen by the OS, with its own data directory,
//! plugins (departments plus the testkit) and bundles (examples plus test
//! bundles), and a small HTTP client.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const TOKEN: &str = "test-operator-token-0123456789";

pub use onething_testing::repo;

/// Test bundles over the testkit, written next to the examples.
pub const TEST_BUNDLES: &[(&str, &str)] = &[
    (
        "testkit-flaky",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"flaky\"\n",
    ),
    (
        "testkit-trap",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"trap\"\n",
    ),
    (
        "testkit-correction",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"probe\"\n[[steps]]\ndepartment = \"testkit\"\nstep = \"needs-more-once\"\nafter = [\"testkit/probe\"]\n",
    ),
    (
        "testkit-reject",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"reject\"\n",
    ),
    (
        "testkit-deferred",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"deferred\"\n",
    ),
    (
        "testkit-permanent",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"permanent\"\n",
    ),
    (
        "testkit-issue",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"deferred-issuer\"\n[[steps]]\ndepartment = \"testkit\"\nstep = \"needs-id\"\nafter = [\"testkit/deferred-issuer\"]\n",
    ),
    (
        "testkit-fixed-issuer",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"fixed-issuer\"\n",
    ),
    (
        "testkit-kv-hog",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"kv-hog\"\n",
    ),
    (
        "testkit-write-then-trap",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"write-then-trap\"\n",
    ),
    (
        "testkit-money",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"money-echo\"\n",
    ),
    (
        "testkit-slow",
        "[[steps]]\ndepartment = \"testkit\"\nstep = \"slow\"\n[[steps]]\ndepartment = \"testkit\"\nstep = \"flaky\"\nafter = [\"testkit/slow\"]\n",
    ),
];

/// A directory laid out for one server: plugins, bundles, data, config.
pub struct Site {
    pub dir: tempfile::TempDir,
    /// The departments' simulated systems, this site's own.
    pub systems: crate::world::LocalSystems,
}

impl Site {
    /// A site with signatures not required.
    pub fn new() -> Self {
        Self::with_limits("")
    }

    /// A site with signatures not required and more `[limits]` settings
    /// (lines of TOML).
    pub fn with_limits(limits: &str) -> Self {
        Self::with_settings("", limits)
    }

    /// A site with signatures not required, more top-level settings and
    /// more `[limits]` settings (lines of TOML).
    pub fn with_settings(top: &str, limits: &str) -> Self {
        let site = Self::unconfigured();
        site.write_config_with(top, limits, "[signatures]\nrequired = false\n");
        site
    }

    /// A site where signatures are required: a key pair per department in
    /// `keys/`, every component signed with its department's key, and the
    /// public keys trusted in the config.
    pub fn signed() -> Self {
        let site = Self::unconfigured();
        let keys = site.path().join("keys");
        std::fs::create_dir_all(&keys).expect("mkdir keys");
        let mut trusted = String::from("[signatures]\nrequired = true\n[signatures.trusted]\n");
        for entry in std::fs::read_dir(site.path().join("plugins")).expect("plugins") {
            let path = entry.expect("entry").path();
            let bytes = std::fs::read(&path).expect("read component");
            let department = path
                .file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned();
            let keys_dir = cap_std::fs::Dir::open_ambient_dir(&keys, cap_std::ambient_authority())
                .expect("keys dir");
            let (secret, public, _) =
                onething_runtime::signing::keygen(&keys_dir, &keys, &department).expect("keygen");
            let secret = std::fs::read_to_string(&secret).expect("secret key");
            let sig = onething_runtime::signing::sign(&bytes, &secret, &department).expect("sign");
            std::fs::write(onething_runtime::signing::signature_path(&path), sig)
                .expect("write sig");
            trusted.push_str(&format!(
                "{department} = [\"keys/{}\"]\n",
                public.file_name().expect("name").to_string_lossy()
            ));
        }
        site.write_config(&trusted);
        site
    }

    /// Sign `bytes` with `department`'s key of a signed site.
    pub fn sign(&self, department: &str, bytes: &[u8]) -> String {
        let secret = std::fs::read_to_string(self.path().join(format!("keys/{department}.key")))
            .expect("secret key");
        onething_runtime::signing::sign(bytes, &secret, department).expect("sign")
    }

    fn unconfigured() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let plugins = dir.path().join("plugins");
        let bundles = dir.path().join("bundles");
        std::fs::create_dir_all(&plugins).expect("mkdir");
        std::fs::create_dir_all(&bundles).expect("mkdir");
        for entry in std::fs::read_dir(repo().join("target/plugins"))
            .expect("run `cargo xtask build-plugins` first")
        {
            let p = entry.expect("entry").path();
            std::fs::copy(&p, plugins.join(p.file_name().expect("name"))).expect("copy plugin");
        }
        std::fs::copy(
            repo().join("target/test-components/testkit.wasm"),
            plugins.join("testkit.wasm"),
        )
        .expect("copy testkit");
        for entry in std::fs::read_dir(repo().join("examples/bundles")).expect("bundles") {
            let p = entry.expect("entry").path();
            std::fs::copy(&p, bundles.join(p.file_name().expect("name"))).expect("copy bundle");
        }
        std::fs::write(
            dir.path().join("grants.toml"),
            onething_testing::test_grants(),
        )
        .expect("write grants");
        // The site's own copy: the service watches it.
        std::fs::copy(
            repo().join("examples/dictionary.toml"),
            dir.path().join("dictionary.toml"),
        )
        .expect("copy the dictionary");
        for (id, steps) in TEST_BUNDLES {
            let text = format!(
                "id = \"{id}\"\ntitle = {{ zh = \"测试\", en = \"Test\" }}\ndescription = {{ zh = \"测试\", en = \"Test\" }}\ntime_limit_hours = 1\n{steps}"
            );
            std::fs::write(bundles.join(format!("{id}.toml")), text).expect("write bundle");
        }
        Self {
            dir,
            systems: crate::world::fresh_systems(),
        }
    }

    /// The tables wiring the example departments to this site's systems,
    /// their credentials written under secrets/systems: for a test that
    /// writes its own onething.toml.
    pub fn systems_wiring(&self) -> String {
        wire(self.path(), &self.systems.base, &self.systems.config)
    }

    fn write_config(&self, extra: &str) {
        self.write_config_with("", "", extra);
    }

    /// Write `onething.toml`: `top` holds top-level keys and may end with
    /// tables of its own (`[http]` …), `limits` lines of `[limits]`; a key
    /// either gives replaces the tests' default for it.
    /// A site with signatures not required whose example departments call
    /// the systems at `base` with the credentials `systems` (not the ones
    /// every test shares), and more top-level settings.
    pub fn wired_to(base: &str, systems: &onething_systems::SystemsConfig, top: &str) -> Self {
        let site = Self::unconfigured();
        site.write_config_wired(top, "", "[signatures]\nrequired = false\n", base, systems);
        site
    }

    fn write_config_with(&self, top: &str, limits: &str, extra: &str) {
        let (base, config) = (self.systems.base.clone(), self.systems.config.clone());
        self.write_config_wired(top, limits, extra, &base, &config);
    }

    fn write_config_wired(
        &self,
        top: &str,
        limits: &str,
        extra: &str,
        systems_base: &str,
        systems: &onething_systems::SystemsConfig,
    ) {
        let (top_keys, top_tables) = match top.find("\n[") {
            Some(i) => top.split_at(i + 1),
            None if top.starts_with('[') => ("", top),
            None => (top, ""),
        };
        let default = |key: &str, line: &str, given: &str| {
            if given.contains(&format!("{key} =")) {
                String::new()
            } else {
                format!("{line}\n")
            }
        };
        let rate_limits = if top_tables.contains("[rate_limits]") {
            ""
        } else {
            // The tests submit far more than a person does.
            "[rate_limits]\nper_subject_per_minute = 1000000\nper_address_per_minute = 1000000\nburst = 100000\n"
        };
        let config = format!(
            "{top_keys}\nplugins_dir = \"plugins\"\nbundles_dir = \"bundles\"\ndictionary = \"dictionary.toml\"\ngrants = \"grants.toml\"\ndata_dir = \"data\"\n{}\
             [limits]\ncompile_cache_dir = \"{}\"\n{}{limits}\n[retry]\nmax_attempts = 4\nfirst_backoff_ms = 10\nmax_backoff_ms = 100\n\
             [[operators]]\nname = \"duty-officer\"\ntoken = \"{TOKEN}\"\nroles = [\"viewer\", \"resolver\", \"publisher\", \"auditor\"]\n\
             [identity]\ndev_issuer = \"{}\"\n{rate_limits}{extra}\n{top_tables}",
            default("max_body_bytes", "max_body_bytes = 65536", top_keys),
            repo().join("target/onething-cache").display(),
            default("call_timeout_ms", "call_timeout_ms = 10000", limits),
            issuer().dir().display(),
        );
        // The example departments reach their systems (the site's own,
        // unless it is wired to others).
        let config = format!("{config}\n{}", wire(self.path(), systems_base, systems));
        std::fs::write(self.path().join("onething.toml"), config).expect("write config");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.path().join("data/onething.db")).expect("open db")
    }

    pub fn start(&self) -> Server {
        Server::start(self.path(), "warn", None)
    }

    /// Start with `RUST_LOG=rust_log`, stderr (the whole log) to `log`.
    pub fn start_logged(&self, rust_log: &str, log: &Path) -> Server {
        Server::start(self.path(), rust_log, Some(log))
    }
}

/// The tables wiring the example departments to the systems at `base`,
/// their credentials written under `dir`/secrets/systems.
pub fn wire(dir: &Path, base: &str, systems: &onething_systems::SystemsConfig) -> String {
    let wiring = onething_systems::wiring::example_departments(
        base,
        systems,
        &onething_systems::wiring::Credentials::Files("secrets/systems".into()),
    );
    for (path, text) in &wiring.files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir secrets");
        std::fs::write(path, text).expect("write a credential");
    }
    wiring.toml
}

/// A running server; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    /// Serve the `onething.toml` of `site`, a directory laid out by other
    /// means (`onething init`).
    pub fn start_at(site: &Path) -> Self {
        Self::start(site, "warn", None)
    }

    fn start(site: &Path, rust_log: &str, log: Option<&Path>) -> Self {
        let stderr = match log {
            Some(p) => Stdio::from(std::fs::File::create(p).expect("log file")),
            None => Stdio::inherit(),
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_onething"))
            .args([
                "serve",
                "--today",
                "2026-11-28",
                "--listen",
                "127.0.0.1:0",
                "--config",
            ])
            .arg(site.join("onething.toml"))
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start onething serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("onething listening on ") {
                    let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                    let _ = tx.send(addr);
                }
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server prints its address within 120 s");
        Self { child, base }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// TLS for reqwest: ring's crypto, once for the process.
fn tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The tests' HTTP client. It asks for answers in English
/// (`Accept-Language: en`), the language the tests' expectations are
/// written in; the localisation tests ask for each language themselves.
pub fn client() -> reqwest::Client {
    tls();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(english())
        .build()
        .expect("client")
}

fn english() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("en"),
    );
    headers
}

/// The development issuer every test site trusts (one for the whole test
/// binary, so any helper can mint a token).
pub fn issuer() -> &'static onething_identity::dev::DevIssuer {
    static ISSUER: std::sync::OnceLock<(tempfile::TempDir, onething_identity::dev::DevIssuer)> =
        std::sync::OnceLock::new();
    &ISSUER
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("tempdir");
            let issuer = onething_identity::dev::DevIssuer::create(dir.path()).expect("dev issuer");
            (dir, issuer)
        })
        .1
}

/// The resident ID number of the person the tests' applicants are when a
/// document names nobody (the newborn sample's mother).
pub const DEFAULT_ID: &str = "350203199003071527";

/// An applicant's token: the person with resident ID number `id`.
pub fn token_of(id: &str) -> String {
    issuer()
        .mint(
            &onething_identity::dev::TokenClaims {
                subject: subject_of(id),
                id_number: Some(id.to_owned()),
                name: None,
                department: None,
            },
            Duration::from_secs(3600),
        )
        .expect("token")
}

/// The subject the tests' issuer gives the person with ID number `id`
/// (not the number itself: a subject is the issuer's own name for a
/// person).
pub fn subject_of(id: &str) -> String {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    format!("person-{:016x}", h.finish())
}

/// An officer's token for `department`.
pub fn officer_token(name: &str, department: &str) -> String {
    issuer()
        .mint(
            &onething_identity::dev::TokenClaims {
                subject: format!("officer-{name}"),
                id_number: None,
                name: Some(name.to_owned()),
                department: Some(department.to_owned()),
            },
            Duration::from_secs(3600),
        )
        .expect("token")
}

/// The person a document is for: its legal representative, mother or
/// father, else [`DEFAULT_ID`].
pub fn applicant_of(doc: &Value) -> String {
    for key in [
        "legal_rep.id_number",
        "mother.id_number",
        "father.id_number",
    ] {
        if let Some(id) = doc["fields"][key].as_str() {
            return id.to_owned();
        }
    }
    DEFAULT_ID.to_owned()
}

/// Who submitted each application (its id to the applicant's ID number).
fn owners() -> &'static std::sync::Mutex<std::collections::HashMap<String, String>> {
    static OWNERS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, String>>,
    > = std::sync::OnceLock::new();
    OWNERS.get_or_init(Default::default)
}

/// Note that the person `doc` is for submitted `application` (for a test
/// that submits by other means than [`submit_to`]).
pub fn remember_owner(application: &str, doc: &Value) {
    owners()
        .lock()
        .expect("lock")
        .insert(application.to_owned(), applicant_of(doc));
}

/// The token of the applicant who submitted `application` (the default
/// applicant's for one submitted otherwise).
pub fn owner_token(application: &str) -> String {
    let id = owners()
        .lock()
        .expect("lock")
        .get(application)
        .cloned()
        .unwrap_or_else(|| DEFAULT_ID.to_owned());
    token_of(&id)
}

/// A client that sends `token` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = english();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    tls();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .expect("client")
}

/// A client of the person `doc` is for.
pub fn applicant_client(doc: &Value) -> reqwest::Client {
    client_with(&token_of(&applicant_of(doc)))
}

/// A client of the applicant who submitted `application`.
pub fn owner_client(application: &str) -> reqwest::Client {
    client_with(&owner_token(application))
}

/// Upload a sample's materials and turn its paths into digests.
pub async fn prepared(server: &Server, sample: &str) -> Value {
    let path = repo().join("examples/applications").join(sample);
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("sample")).expect("json");
    let c = applicant_client(&doc);
    if let Some(materials) = doc["materials"].as_array_mut() {
        for m in materials.iter_mut() {
            let file = path
                .parent()
                .expect("dir")
                .join(m["path"].as_str().expect("path"));
            let bytes = std::fs::read(&file).expect("material");
            let media = if bytes.starts_with(b"%PDF") {
                "application/pdf"
            } else {
                "image/png"
            };
            let r = c
                .post(server.url("/api/materials"))
                .header("content-type", media)
                .body(bytes)
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status(), 201, "upload of {}", file.display());
            let meta: Value = r.json().await.expect("json");
            *m = json!({ "code": m["code"], "digest": meta["digest"], "media_type": meta["media_type"], "size": meta["size"] });
        }
    }
    doc
}

pub async fn submit(server: &Server, doc: &Value) -> String {
    submit_to(&server.base, doc).await
}

pub async fn submit_to(base: &str, doc: &Value) -> String {
    let person = applicant_of(doc);
    let r = client_with(&token_of(&person))
        .post(format!("{base}/api/applications"))
        .json(doc)
        .send()
        .await
        .expect("submit");
    let status = r.status();
    let body: Value = r.json().await.expect("json");
    assert_eq!(status, 202, "{body:#}");
    let id = body["id"].as_str().expect("id").to_owned();
    owners().lock().expect("lock").insert(id.clone(), person);
    id
}

pub async fn status(server: &Server, id: &str) -> Value {
    owner_client(id)
        .get(server.url(&format!("/api/applications/{id}")))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json")
}

/// Poll until the application's status is one of `want` (or time runs out).
pub async fn wait_for(server: &Server, id: &str, want: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = status(server, id).await;
        if want.iter().any(|w| s["status"] == *w) {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "application {id} did not reach {want:?}: {s:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// GET an operator endpoint: status and JSON body.
pub async fn admin_get(server: &Server, path: &str) -> (u16, Value) {
    let r = client()
        .get(server.url(path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

/// The service's metrics, as text.
pub async fn metrics(server: &Server) -> String {
    client()
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

/// POST JSON to an operator endpoint: status and JSON body.
pub async fn admin_post(server: &Server, path: &str, body: Value) -> (u16, Value) {
    let r = client()
        .post(server.url(path))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

/// POST raw bytes to an operator endpoint (a component, a bundle, the
/// grants register), with extra headers: status and JSON body.
pub async fn admin_upload(
    server: &Server,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> (u16, Value) {
    let mut req = client()
        .post(server.url(path))
        .bearer_auth(TOKEN)
        .body(body);
    for (name, value) in headers {
        req = req.header(*name, value);
    }
    let r = req.send().await.expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

/// The client to GET an applicant's `path` with: the owner's, for a path
/// of an application; the default applicant's otherwise.
pub fn client_for_path(path: &str) -> reqwest::Client {
    match path
        .strip_prefix("/api/applications/")
        .and_then(|rest| rest.split(['/', '?']).next())
    {
        Some(id) if !id.is_empty() => owner_client(id),
        _ => client_with(&token_of(DEFAULT_ID)),
    }
}
