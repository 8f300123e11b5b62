//! Hardening of hot loading (issue 10), through the real binary: the
//! watcher reads a file again only when it is written again and records a
//! refusal once (item 17), an operator's activation stands while the
//! department's file sits in the watched directory (item 18), one declared
//! version names one build (item 19), `onething serve --config
//! onething.toml` from the config's directory (item 20), and a soak of a
//! refused and a valid file sitting in the watched directory.
//!
//! Not for the hot-loading behaviour itself (swaps under load, refusal
//! reasons, bundle edits): `hotload.rs`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{
    Server, Site, TOKEN, admin_get, admin_post, client, prepared, repo, submit_to, wait_for,
};

/// How long the soak watches a refused and a valid file sit in the
/// watched directory (the issue asks for 60 s). It runs concurrently with
/// the other tests of the binary: it only waits, and its server is idle.
const SOAK: Duration = Duration::from_secs(60);

/// The most of one core the idle server (its watcher above all) may use
/// during the soak.
const SOAK_CPU_SHARE: f64 = 0.02;

/// The kernel reports process times in /proc in ticks of 1/100 s
/// (USER_HZ, fixed at 100 by the kernel's user ABI).
const USER_HZ: f64 = 100.0;

fn component(path: &str) -> Vec<u8> {
    std::fs::read(repo().join("target").join(path))
        .unwrap_or_else(|e| panic!("{path}: {e} (run `cargo xtask build-plugins` first)"))
}

fn digest(bytes: &[u8]) -> String {
    onething_model::ids::Digest::of(bytes).to_string()
}

/// Write a file the way an operator should: aside, then renamed into place.
fn put(path: &Path, bytes: &[u8]) {
    let aside = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().expect("name").to_string_lossy()
    ));
    std::fs::write(&aside, bytes).expect("write");
    std::fs::rename(&aside, path).expect("rename");
}

async fn upload(server: &Server, bytes: Vec<u8>, signature: Option<String>) -> (u16, Value) {
    let mut req = client()
        .post(server.url("/admin/plugins"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/wasm")
        .body(bytes);
    if let Some(sig) = signature {
        req = req.header("onething-signature", sig);
    }
    let r = req.send().await.expect("upload");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn serving(server: &Server, kind: &str, subject: &str) -> String {
    let (status, body) = admin_get(server, &format!("/admin/{kind}/{subject}/versions")).await;
    assert_eq!(status, 200, "{body:#}");
    body["serving"].as_str().unwrap_or_default().to_owned()
}

/// Poll until `done` holds, or fail with `what` after 30 s.
async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The history rows (action, actor) recorded from a source (a file's path,
/// `upload` or `operator`), oldest first.
fn rows_from(site: &Site, source: &str) -> Vec<(String, String)> {
    let db = site.db();
    let mut stmt = db
        .prepare("SELECT action, actor FROM changes WHERE source = ?1 ORDER BY seq")
        .expect("prepare");
    stmt.query_map([source], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

/// The refused rows whose reason contains `words`.
fn refusals_saying(site: &Site, words: &str) -> Vec<String> {
    let db = site.db();
    let mut stmt = db
        .prepare("SELECT reason FROM changes WHERE action = 'refused' AND instr(reason, ?1) > 0 ORDER BY seq")
        .expect("prepare");
    stmt.query_map([words], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

/// Drop a new bundle file and wait until it serves: every file event
/// before it has been handled by then (the watcher handles events in
/// order).
async fn watcher_caught_up(site: &Site, server: &Server, id: &str) {
    let text = format!(
        "id = \"{id}\"\ntitle = {{ zh = \"测试\", en = \"Test\" }}\ndescription = {{ zh = \"测试\", en = \"Test\" }}\ntime_limit_hours = 1\n\
         [[steps]]\ndepartment = \"testkit\"\nstep = \"deferred\"\n"
    );
    put(
        &site.path().join("bundles").join(format!("{id}.toml")),
        text.as_bytes(),
    );
    until(&format!("the sentinel bundle {id} serves"), || async {
        let (status, body) = admin_get(server, &format!("/admin/bundles/{id}/versions")).await;
        status == 200 && body["serving"].is_string()
    })
    .await;
}

/// The CPU time (user + system) a process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')').expect("comm") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `comm`.
    let ticks: u64 = [11, 12]
        .iter()
        .map(|&i| fields[i].parse::<u64>().expect("ticks"))
        .sum();
    Duration::from_secs_f64(ticks as f64 / USER_HZ)
}

#[tokio::test(flavor = "multi_thread")]
async fn item_17_a_refused_file_is_read_once_and_recorded_once() {
    let site = Site::new();
    let log = site.path().join("serve.log");
    let server = site.start_logged("warn", &log);
    let broken = site.path().join("plugins/broken.wasm");
    let health = component("plugins/health.wasm");
    let truncated = health[..health.len() / 2].to_vec();
    put(&broken, &truncated);
    let source = broken.display().to_string();
    until("the broken file is refused", || async {
        !rows_from(&site, &source).is_empty()
    })
    .await;
    // Written again with the same bytes: checked again, not recorded again.
    put(&broken, &truncated);
    watcher_caught_up(&site, &server, "sentinel-a").await;
    // And a while with nothing written: nothing read (the watcher's own
    // reads used to wake it, about 4 times a second).
    let rows = rows_from(&site, &source);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(rows_from(&site, &source), rows);
    assert_eq!(
        rows,
        [("refused".to_owned(), "watcher".to_owned())],
        "one refusal, one row"
    );
    let warned = std::fs::read_to_string(&log)
        .expect("log")
        .lines()
        .filter(|l| l.contains("version refused") && l.contains("broken.wasm"))
        .count();
    assert_eq!(warned, 1, "one warning for one refusal");

    // The same refusal through the API: answered each time, recorded once.
    for _ in 0..2 {
        let (status, body) = upload(&server, truncated.clone(), None).await;
        assert_eq!(status, 422, "{body:#}");
    }
    assert_eq!(rows_from(&site, "upload").len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn item_18_an_operator_activation_stands_while_the_file_sits_in_the_directory() {
    let site = Site::signed();
    let mut server = site.start();
    let file = site.path().join("plugins/health.wasm");
    let v1_bytes = component("plugins/health.wasm");
    let v1 = digest(&v1_bytes);
    let v2_bytes = onething_testing::another_version(&v1_bytes, "1.0.0", "1.0.1");
    let v2 = digest(&v2_bytes);
    assert_eq!(serving(&server, "plugins", "health").await, v1);

    // An upload, and an application submitted right after it: v2.
    let (status, body) = upload(
        &server,
        v2_bytes.clone(),
        Some(site.sign("health", &v2_bytes)),
    )
    .await;
    assert_eq!((status, &body["digest"]), (201, &json!(v2)), "{body:#}");
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    let done = wait_for(&server, &id, &["completed"]).await;
    let health_digests: Vec<&Value> = done["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["step"].as_str().is_some_and(|s| s.starts_with("health/")))
        .map(|s| &s["plugin_digest"])
        .collect();
    assert!(!health_digests.is_empty());
    assert!(
        health_digests.iter().all(|d| **d == json!(v2)),
        "the application ran on the uploaded version: {health_digests:?}"
    );
    // The department's file written again with the same bytes (and its
    // signature): not a new version, so the operator's choice stands.
    let sig = std::fs::read(site.path().join("plugins/health.wasm.sig")).expect("sig");
    put(&site.path().join("plugins/health.wasm.sig"), &sig);
    put(&file, &v1_bytes);
    watcher_caught_up(&site, &server, "sentinel-a").await;
    assert_eq!(serving(&server, "plugins", "health").await, v2);

    // A rollback stands too.
    let (status, body) = admin_post(&server, "/admin/plugins/health/rollback", json!(null)).await;
    assert_eq!((status, &body["digest"]), (201, &json!(v1)), "{body:#}");
    let (status, body) = admin_post(
        &server,
        "/admin/plugins/health/activate",
        json!({ "version": "1.0.1" }),
    )
    .await;
    assert_eq!((status, &body["digest"]), (201, &json!(v2)), "{body:#}");
    watcher_caught_up(&site, &server, "sentinel-b").await;
    assert_eq!(serving(&server, "plugins", "health").await, v2);

    // After a restart the history decides, and the watch starting up does
    // not undo it.
    server.kill();
    let server = site.start();
    assert_eq!(serving(&server, "plugins", "health").await, v2);
    watcher_caught_up(&site, &server, "sentinel-c").await;
    assert_eq!(serving(&server, "plugins", "health").await, v2);
    let by_watcher: Vec<_> = rows_from(&site, &file.display().to_string())
        .into_iter()
        .filter(|(_, actor)| actor == "watcher")
        .collect();
    assert_eq!(by_watcher, [], "the watcher changed nothing");

    // A file with a new digest is a new version: it serves.
    let v3_bytes = onething_testing::another_version(&v1_bytes, "1.0.0", "1.0.2");
    let v3 = digest(&v3_bytes);
    put(
        &site.path().join("plugins/health.wasm.sig"),
        site.sign("health", &v3_bytes).as_bytes(),
    );
    put(&file, &v3_bytes);
    until("the new file serves", || async {
        serving(&server, "plugins", "health").await == v3
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn item_19_one_version_names_one_build() {
    let site = Site::new();
    let mut server = site.start();
    let v1_bytes = component("plugins/health.wasm");
    let v1 = digest(&v1_bytes);
    // Another build, still declaring 1.0.0.
    let rebuilt = onething_testing::tagged_build(&v1_bytes, "rebuilt");
    let rebuilt_digest = digest(&rebuilt);
    let (status, body) = upload(&server, rebuilt.clone(), None).await;
    assert_eq!(status, 422, "{body:#}");
    let detail = body["detail"].as_str().unwrap_or_default();
    for words in [
        "health 1.0.0",
        v1.as_str(),
        rebuilt_digest.as_str(),
        "bump the version",
    ] {
        assert!(
            detail.contains(words),
            "the reason names {words:?}: {detail}"
        );
    }
    assert_eq!(serving(&server, "plugins", "health").await, v1);

    // The same build dropped into the directory: refused too.
    let file = site.path().join("plugins/health-rebuilt.wasm");
    put(&file, &rebuilt);
    until("the rebuilt file is refused", || async {
        rows_from(&site, &file.display().to_string()) == [("refused".into(), "watcher".into())]
    })
    .await;
    assert_eq!(serving(&server, "plugins", "health").await, v1);
    // And at a restart: refused again, recorded once.
    server.kill();
    let server = site.start();
    assert_eq!(serving(&server, "plugins", "health").await, v1);
    assert_eq!(refusals_saying(&site, "bump the version").len(), 2);

    // A new version of the rebuilt code is admitted.
    let bumped = onething_testing::another_version(&rebuilt, "1.0.0", "1.0.1");
    let (status, body) = upload(&server, bumped.clone(), None).await;
    assert_eq!(
        (status, &body["version"]),
        (201, &json!("1.0.1")),
        "{body:#}"
    );
    // Uploading the very build again is no conflict.
    let (status, body) = upload(&server, bumped, None).await;
    assert_eq!(status, 200, "{body:#}");
}

/// Start `onething serve` with `args` from `dir`; its address, or what it
/// printed on stderr when it stopped.
fn serve_from(dir: &Path, args: &[&str]) -> Result<Server, String> {
    let stderr = dir.join("serve.stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onething"))
        .current_dir(dir)
        .args(["serve", "--today", "2026-11-28", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(
            std::fs::File::create(&stderr).expect("stderr file"),
        ))
        .spawn()
        .expect("start onething serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("onething listening on ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
        // The process ended: the channel closes.
    });
    match rx.recv_timeout(Duration::from_secs(120)) {
        Ok(base) => Ok(Server { child, base }),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "{e}: {}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            ))
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn item_20_serve_with_a_relative_config_path_from_its_directory() {
    let site = Site::new();
    std::fs::copy(
        repo().join("examples/dictionary.toml"),
        site.path().join("dictionary.toml"),
    )
    .expect("copy the dictionary");
    // Every path relative, no compile cache named (it goes under data_dir).
    std::fs::write(
        site.path().join("onething.toml"),
        format!(
            "plugins_dir = \"plugins\"\nbundles_dir = \"bundles\"\ndictionary = \"dictionary.toml\"\ngrants = \"grants.toml\"\ndata_dir = \"data\"\n\
             [signatures]\nrequired = false\n[[operators]]\nname = \"duty-officer\"\ntoken = \"{TOKEN}\"\nroles = [\"viewer\", \"publisher\"]\n\
             [identity]\ndev_issuer = \"{}\"\n{}",
            crate::support::issuer().dir().display(),
            site.systems_wiring(),
        ),
    )
    .expect("write config");
    let mut server = serve_from(site.path(), &["--config", "onething.toml"])
        .unwrap_or_else(|e| panic!("serve --config onething.toml: {e}"));
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    wait_for(&server, &id, &["completed"]).await;
    server.kill();
    assert!(site.path().join("data/onething.db").is_file());
    assert!(site.path().join("data/compile-cache").is_dir());

    // A relative --data-dir, from the same directory.
    let server = serve_from(
        site.path(),
        &["--config", "onething.toml", "--data-dir", "state"],
    )
    .unwrap_or_else(|e| panic!("serve --data-dir state: {e}"));
    drop(server);
    assert!(site.path().join("state/onething.db").is_file());
    assert!(site.path().join("state/compile-cache").is_dir());
}

#[tokio::test(flavor = "multi_thread")]
async fn soak_a_refused_and_a_valid_file_sit_in_the_watched_directory() {
    let site = Site::new();
    let log: PathBuf = site.path().join("serve.log");
    let server = site.start_logged("warn", &log);
    let plugins = site.path().join("plugins");
    // One refused file and one valid one (a new version of health).
    let health = component("plugins/health.wasm");
    let (refused, valid) = (plugins.join("broken.wasm"), plugins.join("health.wasm"));
    put(&refused, &health[..health.len() / 2]);
    let v2 = onething_testing::another_version(&health, "1.0.0", "1.0.1");
    put(&valid, &v2);
    let (refused_source, valid_source) =
        (refused.display().to_string(), valid.display().to_string());
    until("both files are picked up", || async {
        !rows_from(&site, &refused_source).is_empty()
            && serving(&server, "plugins", "health").await == digest(&v2)
    })
    .await;
    let before = (
        rows_from(&site, &refused_source),
        rows_from(&site, &valid_source),
    );
    let log_before = std::fs::metadata(&log).expect("log").len();
    let pid = server.child.id();
    let (cpu_before, started) = (cpu_time(pid), Instant::now());
    tokio::time::sleep(SOAK).await;
    let (cpu_after, elapsed) = (cpu_time(pid), started.elapsed());
    let share = (cpu_after - cpu_before).as_secs_f64() / elapsed.as_secs_f64();
    eprintln!(
        "soak: {:.1} s, the server used {:.3} s of CPU ({:.2} % of one core)",
        elapsed.as_secs_f64(),
        (cpu_after - cpu_before).as_secs_f64(),
        share * 100.0
    );
    let after = (
        rows_from(&site, &refused_source),
        rows_from(&site, &valid_source),
    );
    assert_eq!(
        (after.0.len(), after.1.len()),
        (before.0.len(), before.1.len()),
        "history rows (refused file, valid file) before and after the soak: no row while the files sat there"
    );
    assert_eq!(
        after.0,
        [("refused".to_owned(), "watcher".to_owned())],
        "the refused file: one row"
    );
    let log_after = std::fs::metadata(&log).expect("log").len();
    assert_eq!(
        log_after,
        log_before,
        "nothing logged while the files sat there: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    assert!(
        share < SOAK_CPU_SHARE,
        "the idle server used {:.2} % of one core (at most {:.0} %)",
        share * 100.0,
        SOAK_CPU_SHARE * 100.0
    );
}
