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

use crate::support::{Site, status, submit_to};

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
    // writes; each host its own data directory, so its own id.
    let top = format!(
        "\n[store]\nurl = \"{}\"\nlease_secs = 3\n[audit]\nsigning_key = \"{}\"\n",
        db.url,
        key.display()
    );
    let sites: Vec<Site> = (0..3).map(|_| Site::with_settings(&top, "")).collect();
    // The first makes the key and the schema; the others find them.
    let mut servers = vec![sites[0].start()];
    servers.push(sites[1].start());
    servers.push(sites[2].start());
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let ids = submit_slow(&bases, 150, "three").await;
    servers[1].kill();
    let killed_at = Instant::now();
    let unfinished = db.count(UNFINISHED).await;
    eprintln!("host 2 killed with {unfinished} of 150 applications unfinished");
    // The others take host 2's applications over once its leases run
    // out (3 s), and finish everything.
    let deadline = Instant::now() + Duration::from_secs(90);
    while db.count(UNFINISHED).await > 0 {
        assert!(
            Instant::now() < deadline,
            "applications never finished after host 2 was killed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "every application finished {:.1} s after the kill",
        killed_at.elapsed().as_secs_f64()
    );
    assert_eq!(db.count("SELECT COUNT(*) FROM applications").await, 150);
    let doubled = db
        .count(
            "SELECT COUNT(*) FROM (SELECT application, step FROM events WHERE kind = 'step-approved' GROUP BY 1, 2 HAVING COUNT(*) > 1) d",
        )
        .await;
    assert_eq!(doubled, 0, "an approval was recorded twice");
    // Host 2 comes back and serves what the others finished.
    servers[1] = sites[1].start();
    for (i, id) in ids.iter().enumerate() {
        let s = status(&servers[i % 3], id).await;
        assert!(
            s["status"] == "completed" || s["status"] == "manual",
            "{id}: {s:#}"
        );
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
