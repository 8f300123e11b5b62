//! `onething serve` on PostgreSQL (`[store] url`), through the real
//! binary: applications submitted, the server killed with SIGKILL while
//! they run and restarted on the same database; every application
//! finishes, none is lost, no step is approved twice, and `onething audit
//! verify` reads the chain from the database. A store URL that is not
//! one, or a server that does not answer, is refused at start naming the
//! setting, never the password.
//!
//! The server comes from `ONETHING_TEST_POSTGRES` (`cargo xtask test`
//! starts a throwaway one); each test makes a database of its own there.
//! Without the variable the tests fail, saying so.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::hotload::{component, digest, serving, upload};
use crate::support::{Site, admin_post, prepared, status, submit_to, wait_for};

/// A fresh database on the test server, dropped (best effort) with it.
pub struct Database {
    admin: String,
    name: String,
    pub url: String,
}

fn server_url() -> String {
    std::env::var("ONETHING_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "ONETHING_TEST_POSTGRES is not set: run `cargo xtask test`, which starts a throwaway PostgreSQL server, or set it to a server's URL (postgres://user@host:port/database)"
        )
    })
}

async fn admin_client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to ONETHING_TEST_POSTGRES: {e}"));
    tokio::spawn(connection);
    client
}

impl Database {
    pub async fn fresh() -> Self {
        let admin = server_url();
        let name = format!("onething_e2e_{}", uuid::Uuid::now_v7().simple());
        admin_client(&admin)
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create the test database");
        let config: tokio_postgres::Config = admin.parse().expect("ONETHING_TEST_POSTGRES");
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            _ => "127.0.0.1".to_owned(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres");
        let url = format!("postgres://{user}@{host}:{port}/{name}");
        Self { admin, name, url }
    }

    pub async fn client(&self) -> tokio_postgres::Client {
        admin_client(&self.url).await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.client()
            .await
            .query_one(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .get(0)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Dropped from a thread of its own: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async {
                    if let Ok((client, connection)) =
                        tokio_postgres::connect(&admin, tokio_postgres::NoTls).await
                    {
                        tokio::spawn(connection);
                        let _ = client
                            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .await;
                    }
                });
            }
        })
        .join();
    }
}

/// A site whose store is `url`.
fn site_on(url: &str) -> Site {
    Site::with_settings(&format!("[store]\nurl = \"{url}\"\n"), "")
}

/// Submit `n` applications of the slow test bundle, round robin over
/// the hosts at `bases`, all at once; their ids.
async fn submit_slow(bases: &[String], n: usize, prefix: &str) -> Vec<String> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let base = bases[i % bases.len()].clone();
        let key = format!("{prefix}-{i}");
        tasks.spawn(async move {
            submit_to(
                &base,
                &json!({ "bundle": "testkit-slow", "idempotency_key": key }),
            )
            .await
        });
    }
    let mut ids = Vec::new();
    while let Some(id) = tasks.join_next().await {
        ids.push(id.expect("submit task"));
    }
    ids
}

const RUNNING: &str = "SELECT COUNT(*) FROM applications WHERE status = 'running'";

const UNFINISHED: &str =
    "SELECT COUNT(*) FROM applications WHERE status NOT IN ('completed', 'rejected', 'manual')";

#[tokio::test(flavor = "multi_thread")]
async fn the_service_on_postgres_survives_sigkill_and_audits() {
    let db = Database::fresh().await;
    let site = site_on(&db.url);
    let mut server = site.start();
    let ids = submit_slow(&[server.base.clone()], 60, "pg").await;
    server.kill();
    assert_eq!(
        db.count("SELECT COUNT(*) FROM applications").await,
        60,
        "every accepted application was stored before 202"
    );
    let unfinished = db.count(UNFINISHED).await;
    eprintln!("killed with {unfinished} of 60 applications unfinished");

    let server = site.start();
    let deadline = Instant::now() + Duration::from_secs(120);
    while db.count(UNFINISHED).await > 0 {
        assert!(
            Instant::now() < deadline,
            "applications never finished after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in &ids {
        let s = status(&server, id).await;
        assert!(
            s["status"] == "completed" || s["status"] == "manual",
            "{id}: {s:#}"
        );
    }
    let doubled = db
        .count(
            "SELECT COUNT(*) FROM (SELECT application, step FROM events WHERE kind = 'step-approved' GROUP BY 1, 2 HAVING COUNT(*) > 1) d",
        )
        .await;
    assert_eq!(doubled, 0, "an approval was recorded twice");
    drop(server);

    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args(["audit", "verify", "--config"])
        .arg(site.path().join("onething.toml"))
        .output()
        .expect("run onething audit verify");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("audit log intact") && said.contains("signed by the host's key"),
        "{said}"
    );
}

/// `onething serve` with a bad `[store]`: the exit status and stderr.
fn serve_refused(site: &Site) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(site.path().join("onething.toml"))
        .env("RUST_LOG", "error")
        .output()
        .expect("run onething serve");
    assert!(!out.status.success(), "the service started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_store_url_is_refused_naming_the_setting_not_the_password() {
    let site = site_on("mysql://root:hunter2@127.0.0.1/x");
    let err = serve_refused(&site);
    assert!(
        err.contains("store.url") && err.contains("postgres://"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");

    // Nothing listens on port 1.
    let site = site_on("postgres://onething:hunter2@127.0.0.1:1/onething");
    let err = serve_refused(&site);
    assert!(
        err.contains("[store] url") && err.contains("onething@127.0.0.1:1/onething"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn three_hosts_share_one_database_and_survive_losing_one() {
    let db = Database::fresh().await;
    let keys = tempfile::tempdir().expect("tempdir");
    let key = keys.path().join("audit.key");
    // One audit chain, one key signing its checkpoints whichever host
    // writes; each host its own data directory, so its own id; all three
    // calling the same departments' systems (the first site's), as hosts
    // of one platform do.
    let top = format!(
        "\n[store]\nurl = \"{}\"\nlease_secs = 3\n[audit]\nsigning_key = \"{}\"\n",
        db.url,
        key.display()
    );
    let first = Site::with_settings(&top, "");
    let others: Vec<Site> = (0..2)
        .map(|_| Site::wired_to(&first.systems.base, &first.systems.config, &top))
        .collect();
    let sites = [&first, &others[0], &others[1]];
    // The first makes the key and the schema; the others find them.
    let mut servers: Vec<_> = sites.iter().map(|s| s.start()).collect();
    let sample = prepared(&servers[0], "newborn.json").await;
    let docs: Vec<serde_json::Value> = (0..600).map(|i| newborn(&sample, i)).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    // Half round robin over the three, then host 2 is killed with its
    // share under way, and the other half goes to the two left.
    let mut ids = submit_all(&bases, &docs[..300]).await;
    servers[1].kill();
    let killed_at = Instant::now();
    eprintln!(
        "host 2 killed with {} of 300 applications unfinished",
        db.count(UNFINISHED).await
    );
    ids.extend(submit_all(&[bases[0].clone(), bases[2].clone()], &docs[300..]).await);
    // The others take host 2's applications over once its leases run
    // out (3 s), and finish everything.
    let deadline = Instant::now() + Duration::from_secs(600);
    while db.count(RUNNING).await > 0 {
        if Instant::now() >= deadline {
            let rows = db
                .client()
                .await
                .query(
                    "SELECT status, COALESCE(lease_host, '-'), COUNT(*) FROM applications GROUP BY 1, 2 ORDER BY 1, 2",
                    &[],
                )
                .await
                .expect("statuses");
            let seen: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "{} leased by {}: {}",
                        r.get::<_, String>(0),
                        r.get::<_, String>(1),
                        r.get::<_, i64>(2)
                    )
                })
                .collect();
            panic!("applications never finished after host 2 was killed: {seen:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "all 600 final {:.1} s after the kill",
        killed_at.elapsed().as_secs_f64()
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM applications").await, 600);
    let doubled = db
        .count(
            "SELECT COUNT(*) FROM (SELECT application, step FROM events WHERE kind = 'step-approved' GROUP BY 1, 2 HAVING COUNT(*) > 1) d",
        )
        .await;
    assert_eq!(doubled, 0, "an approval was recorded twice");
    // Host 2 comes back, and every host serves every application.
    servers[1] = sites[1].start();
    let mut finals = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let s = status(&servers[i % 3], id).await;
        assert!(
            s["status"] == "completed" || s["status"] == "manual",
            "{id}: {s:#}"
        );
        finals.push(s);
    }
    let completed = finals.iter().filter(|s| s["status"] == "completed").count();
    eprintln!("{completed} of 600 completed, the rest in the manual queue");
    for key in ["child.id_number", "child.social_security_card_number"] {
        let numbers: Vec<&str> = finals
            .iter()
            .filter_map(|s| s["outputs"][key].as_str())
            .collect();
        let distinct: std::collections::BTreeSet<&str> = numbers.iter().copied().collect();
        assert_eq!(numbers.len(), distinct.len(), "{key} issued twice");
        if key == "child.id_number" {
            assert_eq!(
                numbers.len(),
                completed,
                "every completed newborn has its number"
            );
        }
    }
    drop(servers);
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args(["audit", "verify", "--config"])
        .arg(sites[2].path().join("onething.toml"))
        .output()
        .expect("run onething audit verify");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("signed by the host's key"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The newborn sample as the `i`th family's, its birth date one of 160 (a
/// registry issues a bounded number of ID numbers per date).
fn newborn(sample: &serde_json::Value, i: usize) -> serde_json::Value {
    let mut doc = sample.clone();
    let born = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
        + chrono::Days::new((i % 160) as u64);
    doc["fields"]["child.birth_date"] = json!(born.format("%Y-%m-%d").to_string());
    doc["idempotency_key"] = json!(format!("newborn-{i}"));
    doc
}

/// Submit `docs` round robin over `bases`, 16 at a time; their ids.
async fn submit_all(bases: &[String], docs: &[serde_json::Value]) -> Vec<String> {
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, doc) in docs.iter().enumerate() {
        let (base, doc) = (bases[i % bases.len()].clone(), doc.clone());
        let permit = permits.clone().acquire_owned().await.expect("permit");
        tasks.spawn(async move {
            let _permit = permit;
            submit_to(&base, &doc).await
        });
    }
    let mut ids = Vec::new();
    while let Some(id) = tasks.join_next().await {
        ids.push(id.expect("submit task"));
    }
    ids
}

#[tokio::test(flavor = "multi_thread")]
async fn an_activation_through_one_host_is_served_by_every_host() {
    let db = Database::fresh().await;
    let top = format!("\n[store]\nurl = \"{}\"\ncatalog_poll_ms = 250\n", db.url);
    // The three call the same departments' systems (the first site's).
    let first = Site::with_settings(&top, "");
    let others: Vec<Site> = (0..2)
        .map(|_| Site::wired_to(&first.systems.base, &first.systems.config, &top))
        .collect();
    let servers: Vec<_> = [&first, &others[0], &others[1]]
        .iter()
        .map(|s| s.start())
        .collect();
    let v1_bytes = component("plugins/health.wasm");
    let v1 = digest(&v1_bytes);
    let v2_bytes = onething_testing::another_version(&v1_bytes, "1.0.0", "1.0.1");
    let v2 = digest(&v2_bytes);
    for s in &servers {
        assert_eq!(serving(s, "plugins", "health").await, v1);
    }

    let (code, body) = upload(&servers[0], v2_bytes, None).await;
    assert_eq!(code, 201, "{body:#}");
    assert_eq!(body["active"], true, "{body:#}");
    let activated = Instant::now();
    for (i, s) in servers.iter().enumerate().skip(1) {
        let took = serves_within(s, &v2, activated).await;
        eprintln!("host {}: serves the activation {took:.2} s after it", i + 1);
    }
    // Their attempts run the new version.
    let sample = prepared(&servers[1], "newborn.json").await;
    let id = submit_to(&servers[2].base, &newborn(&sample, 0)).await;
    let done = wait_for(&servers[2], &id, &["completed"]).await;
    let health: Vec<&serde_json::Value> = done["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["step"].as_str().is_some_and(|s| s.starts_with("health/")))
        .collect();
    assert!(!health.is_empty(), "{done:#}");
    for s in health {
        assert_eq!(s["plugin_digest"], v2, "{s:#}");
    }

    // A follower on host 1 sees the steps host 2 drives (submitted
    // there, so driven there), to the end.
    let id = submit_to(&servers[1].base, &newborn(&sample, 1)).await;
    let mut followed = crate::support::owner_client(&id)
        .get(servers[0].url(&format!("/api/applications/{id}/events")))
        .send()
        .await
        .expect("sse");
    let mut text = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, followed.chunk()).await {
            Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => break,
            Ok(Err(e)) => panic!("the stream failed: {e}; so far:\n{text}"),
            Err(_) => panic!("the stream did not end within 60 s; so far:\n{text}"),
        }
    }
    // It ended (the application is final) with every approval in it.
    let done = status(&servers[0], &id).await;
    assert_eq!(done["status"], "completed", "{done:#}");
    let approved = done["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["status"] == "approved")
        .count();
    assert!(text.contains("event: submitted"), "{text}");
    assert_eq!(
        text.matches("event: step-approved").count(),
        approved,
        "{text}"
    );

    // A rollback through host 3 reaches hosts 1 and 2.
    let (code, body) = admin_post(&servers[2], "/admin/plugins/health/rollback", json!(null)).await;
    assert_eq!(code, 201, "{body:#}");
    assert_eq!(body["digest"], v1, "{body:#}");
    let rolled = Instant::now();
    for (i, s) in servers.iter().enumerate().take(2) {
        let took = serves_within(s, &v1, rolled).await;
        eprintln!("host {}: serves the rollback {took:.2} s after it", i + 1);
    }
}

/// Wait until `server` serves `digest` for health; the seconds since
/// `since`. The bound is loose so a loaded machine does not fail it; the
/// figure printed is the measure.
async fn serves_within(server: &crate::support::Server, digest: &str, since: Instant) -> f64 {
    let deadline = since + Duration::from_secs(20);
    loop {
        if serving(server, "plugins", "health").await == digest {
            return since.elapsed().as_secs_f64();
        }
        assert!(
            Instant::now() < deadline,
            "{} does not serve {digest} 20 s after the change",
            server.base
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
