//! Hot loading through the real binary: versions swapped under load with
//! no failed application, refusals that leave the serving version serving
//! with the reason readable, and bundle files edited while the service
//! runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::support::{
    Server, Site, TOKEN, admin_post, client, count, prepared, repo, submit_to, wait_for,
};
use serde_json::{Value, json};

/// GET an operator endpoint that must answer 2xx.
async fn admin_get(server: &Server, path: &str) -> Value {
    let (status, body) = crate::support::admin_get(server, path).await;
    assert!(
        (200..300).contains(&status),
        "GET {path}: {status} {body:#}"
    );
    body
}

pub(crate) fn digest(bytes: &[u8]) -> String {
    onething_model::ids::Digest::of(bytes).to_string()
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) fn component(path: &str) -> Vec<u8> {
    std::fs::read(repo().join("target").join(path))
        .unwrap_or_else(|e| panic!("{path}: {e} (run `cargo xtask build-plugins` first)"))
}

pub(crate) async fn upload(
    server: &Server,
    bytes: Vec<u8>,
    signature: Option<String>,
) -> (u16, Value) {
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

pub(crate) async fn serving(server: &Server, kind: &str, subject: &str) -> String {
    admin_get(server, &format!("/admin/{kind}/{subject}/versions")).await["serving"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Newborn applications spread over birth dates (an ID number office
/// issues a bounded number per date).
fn newborn(base: &Value, i: usize) -> Value {
    let mut doc = base.clone();
    let born = chrono::NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
        + chrono::Days::new((i % 160) as u64);
    doc["fields"]["child.birth_date"] = json!(born.format("%Y-%m-%d").to_string());
    doc
}

async fn wait_all_final(db: &rusqlite::Connection) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let open = count(
            db,
            "SELECT COUNT(*) FROM applications WHERE status NOT IN ('completed', 'rejected', 'manual', 'needs-more')",
        );
        if open == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{open} applications never finished"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn activate_then_roll_back_under_load_fails_no_application() {
    let site = Site::signed();
    let server = site.start();
    let v1_bytes = component("plugins/health.wasm");
    let v1 = digest(&v1_bytes);
    // A new build declares a new version (one version, one build).
    let v2_bytes = onething_testing::another_version(&v1_bytes, "1.0.0", "1.0.1");
    let v2 = digest(&v2_bytes);
    let v2_sig = site.sign("health", &v2_bytes);
    assert_eq!(serving(&server, "plugins", "health").await, v1);

    // A bounded stream of submissions over loopback.
    let sample = prepared(&server, "newborn.json").await;
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let (base, sample, stop, next) = (
            server.base.clone(),
            sample.clone(),
            stop.clone(),
            next.clone(),
        );
        workers.spawn(async move {
            let mut ids = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= 3000 {
                    break;
                }
                ids.push(submit_to(&base, &newborn(&sample, i)).await);
            }
            ids
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_activate = now_ms();
    let (status, body) = upload(&server, v2_bytes, Some(v2_sig)).await;
    let activated = now_ms();
    assert_eq!(status, 201, "{body:#}");
    assert_eq!(body["digest"], v2, "{body:#}");
    assert_eq!(body["active"], true, "{body:#}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_rollback = now_ms();
    let (status, body) = admin_post(&server, "/admin/plugins/health/rollback", json!(null)).await;
    let rolled_back = now_ms();
    assert_eq!(status, 201, "{body:#}");
    assert_eq!(body["digest"], v1, "{body:#}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut ids = Vec::new();
    while let Some(batch) = workers.join_next().await {
        ids.extend(batch.expect("worker"));
    }

    let db = site.db();
    wait_all_final(&db).await;
    let completed = count(
        &db,
        "SELECT COUNT(*) FROM applications WHERE status = 'completed'",
    );
    assert_eq!(
        completed as usize,
        ids.len(),
        "every accepted application completed"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM events WHERE kind IN ('attempt-failed', 'retry-scheduled', 'sent-to-manual-queue')"
        ),
        0,
        "no attempt failed"
    );

    // Each attempt ran on the version serving when it started.
    let mut stmt = db
        .prepare("SELECT at_ms, body FROM events WHERE kind = 'attempt-started' AND step LIKE 'health/%'")
        .expect("prepare");
    let attempts: Vec<(i64, String)> = stmt
        .query_map([], |r| {
            let body: String = r.get(1)?;
            Ok((r.get(0)?, body))
        })
        .expect("query")
        .map(|r| {
            let (at, body) = r.expect("row");
            let v: Value = serde_json::from_str(&body).expect("event json");
            (at, v["plugin_digest"].as_str().expect("digest").to_owned())
        })
        .collect();
    let (mut on_v1, mut on_v2, mut after_rollback) = (0, 0, 0);
    for (at, d) in &attempts {
        assert!(d == &v1 || d == &v2, "attempt on an unknown version {d}");
        if *at < before_activate {
            assert_eq!(d, &v1, "attempt at {at} before the activation");
        } else if *at > activated && *at < before_rollback {
            assert_eq!(d, &v2, "attempt at {at} after the activation");
        } else if *at > rolled_back {
            assert_eq!(d, &v1, "attempt at {at} after the rollback");
            after_rollback += 1;
        }
        if d == &v1 {
            on_v1 += 1;
        } else {
            on_v2 += 1;
        }
    }
    eprintln!(
        "{} applications, {} health attempts: {on_v1} on v1, {on_v2} on v2, {after_rollback} after the rollback",
        ids.len(),
        attempts.len()
    );
    assert!(
        on_v2 > 0 && after_rollback > 0,
        "the load did not span both swaps"
    );

    // The history says who did what.
    let history = admin_get(&server, "/admin/plugins/health/versions").await;
    assert_eq!(history["serving"], v1);
    let actions: Vec<(String, String)> = history["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|c| {
            (
                c["action"].as_str().unwrap_or_default().to_owned(),
                c["actor"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expect = |a: &str, by: &str| (a.to_owned(), by.to_owned());
    assert_eq!(
        actions,
        vec![
            expect("admitted", "startup"),
            expect("activated", "startup"),
            expect("admitted", "duty-officer"),
            expect("activated", "duty-officer"),
            expect("rolled-back", "duty-officer"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_versions_leave_the_serving_one_serving() {
    let site = Site::signed();
    let mut server = site.start();
    let v1 = digest(&component("plugins/health.wasm"));
    let health = component("plugins/health.wasm");
    let v2_bytes = onething_testing::another_version(&health, "1.0.0", "1.0.1");
    let truncated = health[..health.len() / 2].to_vec();
    let wrong_world = component("test-components/wrong-world.wasm");
    let other_wit = component("test-components/other-wit.wasm");
    let without_birth = component("test-components/health-without-birth.wasm");

    // (what, bytes, signature, words the reason must contain)
    type Case<'a> = (&'a str, Vec<u8>, Option<String>, Vec<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "corrupted bytes",
            truncated.clone(),
            Some(site.sign("health", &truncated)),
            vec!["upload"],
        ),
        (
            "another world",
            wrong_world.clone(),
            Some(site.sign("health", &wrong_world)),
            vec!["onething:matter/handler@0.1.0"],
        ),
        (
            "another WIT version",
            other_wit.clone(),
            Some(site.sign("health", &other_wit)),
            vec![
                "onething:matter@0.9.0",
                "this host speaks onething:matter@0.1.0 and 0.2.0",
                "`prefill` is missing",
                "`handle` differs",
                "type `manifest` differs",
                "context: string",
            ],
        ),
        ("unsigned", v2_bytes.clone(), None, vec!["not signed"]),
        (
            "signed with another department's key",
            v2_bytes.clone(),
            Some(site.sign("tax", &v2_bytes)),
            vec!["department health", "key of tax"],
        ),
        (
            "a step a serving bundle needs is dropped",
            without_birth.clone(),
            Some(site.sign("health", &without_birth)),
            vec!["bundle newborn", "birth-certificate"],
        ),
    ];
    for (what, bytes, sig, reasons) in &cases {
        let (status, body) = upload(&server, bytes.clone(), sig.clone()).await;
        assert_eq!(status, 422, "{what}: {body:#}");
        let detail = body["detail"].as_str().unwrap_or_default();
        for r in reasons {
            assert!(
                detail.contains(r),
                "{what}: the reason should say {r:?}: {detail}"
            );
        }
        assert_eq!(
            serving(&server, "plugins", "health").await,
            v1,
            "{what}: v1 still serves"
        );
    }
    let refused = admin_get(&server, "/admin/changes?kind=plugin&refused=true").await;
    let reasons: Vec<&str> = refused["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter_map(|c| c["reason"].as_str())
        .collect();
    assert_eq!(reasons.len(), cases.len(), "{refused:#}");

    // v1 still serves applications.
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    assert_eq!(
        wait_for(&server, &id, &["completed"]).await["status"],
        "completed"
    );

    // A sound v2 is admitted, and stays active across a restart.
    let v2 = digest(&v2_bytes);
    let (status, body) = upload(
        &server,
        v2_bytes.clone(),
        Some(site.sign("health", &v2_bytes)),
    )
    .await;
    assert_eq!(status, 201, "{body:#}");
    // Uploading it again changes nothing.
    let (status, body) = upload(
        &server,
        v2_bytes.clone(),
        Some(site.sign("health", &v2_bytes)),
    )
    .await;
    assert_eq!(
        (status, body["changed"].clone()),
        (200, json!(false)),
        "{body:#}"
    );
    server.kill();
    let server = site.start();
    assert_eq!(
        serving(&server, "plugins", "health").await,
        v2,
        "the activation survives a restart"
    );
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    let done = wait_for(&server, &id, &["completed"]).await;
    let health_steps: Vec<&Value> = done["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["step"].as_str().is_some_and(|s| s.starts_with("health/")))
        .collect();
    assert!(!health_steps.is_empty());
    for s in health_steps {
        assert_eq!(s["plugin_digest"], v2, "{s:#}");
    }
    // Activating by a digest prefix; rolling back past the first is refused.
    let (status, body) = admin_post(
        &server,
        "/admin/plugins/health/activate",
        json!({ "version": &v1["sha256:".len().."sha256:".len() + 12] }),
    )
    .await;
    assert_eq!(status, 201, "{body:#}");
    assert_eq!(serving(&server, "plugins", "health").await, v1);
    // The activations were v1, v2, v1: rolling back goes to v2, then v1.
    for back_to in [&v2, &v1] {
        let (status, body) =
            admin_post(&server, "/admin/plugins/health/rollback", json!(null)).await;
        assert_eq!(
            (status, &body["digest"]),
            (201, &json!(back_to)),
            "{body:#}"
        );
    }
    let (status, body) = admin_post(&server, "/admin/plugins/health/rollback", json!(null)).await;
    assert_eq!(status, 409, "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("no earlier version"),
        "{body:#}"
    );
}

const HOLD: &str = "id = \"testkit-hold\"\ntitle = { zh = \"测试\", en = \"Test\" }\ndescription = { zh = \"测试\", en = \"Test\" }\ntime_limit_hours = 1\n\
[[steps]]\ndepartment = \"testkit\"\nstep = \"deferred\"\n";

/// Replace a bundle file the way an operator should: write aside, rename.
fn replace_file(path: &std::path::Path, text: &str) {
    let aside = path.with_file_name(".edit.tmp");
    std::fs::write(&aside, text).expect("write");
    std::fs::rename(&aside, path).expect("rename");
}

async fn steps_of(server: &Server, id: &str) -> Vec<String> {
    crate::support::status(server, id).await["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn bundle_files_edited_while_serving() {
    let site = Site::new();
    let file = site.path().join("bundles/testkit-hold.toml");
    std::fs::write(
        &file,
        format!("{HOLD}[[steps]]\ndepartment = \"testkit\"\nstep = \"stdout\"\nafter = [\"testkit/deferred\"]\n"),
    )
    .expect("write bundle");
    let server = site.start();
    let first = serving(&server, "bundles", "testkit-hold").await;
    // In flight: parked in the manual queue at `deferred`.
    let a = submit_to(&server.base, &json!({ "bundle": "testkit-hold" })).await;
    wait_for(&server, &a, &["manual"]).await;

    // A valid edit: `flaky` instead of `stdout`.
    replace_file(
        &file,
        &format!(
            "{HOLD}[[steps]]\ndepartment = \"testkit\"\nstep = \"flaky\"\nafter = [\"testkit/deferred\"]\n"
        ),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let second = loop {
        let now = serving(&server, "bundles", "testkit-hold").await;
        if now != first {
            break now;
        }
        assert!(Instant::now() < deadline, "the edit was not picked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let b = submit_to(&server.base, &json!({ "bundle": "testkit-hold" })).await;
    assert_eq!(
        steps_of(&server, &b).await,
        ["testkit/deferred", "testkit/flaky"]
    );
    assert_eq!(
        steps_of(&server, &a).await,
        ["testkit/deferred", "testkit/stdout"]
    );

    // An invalid edit is refused with its cause; the valid one keeps serving.
    replace_file(
        &file,
        &format!("{HOLD}[[steps]]\ndepartment = \"testkit\"\nstep = \"no-such-step\"\n"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let reason = loop {
        let refused = admin_get(&server, "/admin/changes?kind=bundle&refused=true").await;
        if let Some(r) = refused["changes"]
            .as_array()
            .and_then(|c| c.last())
            .and_then(|c| c["reason"].as_str())
        {
            break r.to_owned();
        }
        assert!(Instant::now() < deadline, "the bad edit was not refused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(reason.contains("no-such-step"), "{reason}");
    assert_eq!(serving(&server, "bundles", "testkit-hold").await, second);
    let c = submit_to(&server.base, &json!({ "bundle": "testkit-hold" })).await;
    assert_eq!(
        steps_of(&server, &c).await,
        ["testkit/deferred", "testkit/flaky"]
    );

    // The in-flight application finishes on the bundle it was submitted with.
    for id in [&a, &b] {
        let (status, body) = admin_post(
            &server,
            &format!("/admin/applications/{id}/steps/testkit/deferred/resolve"),
            json!({ "decision": "approve" }),
        )
        .await;
        assert_eq!(status, 200, "{body:#}");
    }
    let done_a = wait_for(&server, &a, &["completed"]).await;
    let done_b = wait_for(&server, &b, &["completed"]).await;
    let approved = |v: &Value| -> Vec<String> {
        v["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter(|s| s["status"] == "approved")
            .map(|s| s["step"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(approved(&done_a), ["testkit/deferred", "testkit/stdout"]);
    assert_eq!(approved(&done_b), ["testkit/deferred", "testkit/flaky"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn component_files_dropped_into_the_plugins_directory_are_picked_up() {
    let site = Site::signed();
    let server = site.start();
    let dir = site.path().join("plugins");
    let v1 = digest(&component("plugins/health.wasm"));
    let v2_bytes =
        onething_testing::another_version(&component("plugins/health.wasm"), "1.0.0", "1.0.1");
    let v2 = digest(&v2_bytes);
    // The signature first, then the component, each renamed into place.
    std::fs::write(dir.join(".health.sig.tmp"), site.sign("health", &v2_bytes)).expect("write");
    std::fs::rename(dir.join(".health.sig.tmp"), dir.join("health.wasm.sig")).expect("rename");
    std::fs::write(dir.join(".health.tmp"), &v2_bytes).expect("write");
    std::fs::rename(dir.join(".health.tmp"), dir.join("health.wasm")).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(20);
    while serving(&server, "plugins", "health").await != v2 {
        assert!(Instant::now() < deadline, "the new file was not picked up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let history = admin_get(&server, "/admin/plugins/health/versions").await;
    let last = history["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .expect("history");
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("activated"), Some("watcher"))
    );

    // A file signed with another department's key is refused; v2 keeps serving.
    let v3_bytes = onething_testing::another_version(&v2_bytes, "1.0.1", "1.0.2");
    std::fs::write(dir.join(".health.sig.tmp"), site.sign("tax", &v3_bytes)).expect("write");
    std::fs::rename(dir.join(".health.sig.tmp"), dir.join("health.wasm.sig")).expect("rename");
    std::fs::write(dir.join(".health.tmp"), &v3_bytes).expect("write");
    std::fs::rename(dir.join(".health.tmp"), dir.join("health.wasm")).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(20);
    let reason = loop {
        let refused = admin_get(&server, "/admin/changes?kind=plugin&refused=true").await;
        // (Read between the two renames, the new signature meets the old
        // component and is refused as not valid: wait for the real one.)
        if let Some(r) = refused["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["reason"].as_str())
            .find(|r| r.contains("key of tax"))
        {
            break r.to_owned();
        }
        assert!(Instant::now() < deadline, "the bad file was not refused");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(reason.contains("key of tax"), "{reason}");
    assert_eq!(serving(&server, "plugins", "health").await, v2);
    assert_ne!(v1, v2);
    // And v2 serves applications.
    let doc = prepared(&server, "newborn.json").await;
    let id = submit_to(&server.base, &doc).await;
    let done = wait_for(&server, &id, &["completed"]).await;
    let on_v2 = done["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter(|s| s["step"].as_str().is_some_and(|s| s.starts_with("health/")))
        .all(|s| s["plugin_digest"] == json!(v2));
    assert!(on_v2, "{done:#}");
}
