//! The crash test: 200 applications submitted, the server killed with
//! SIGKILL while they run, restarted on the same store. Every application
//! reaches a final or manual state, none is lost, and no step's approval
//! is recorded twice.

use std::time::{Duration, Instant};

use crate::support::{count, submit_to};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn applications_survive_sigkill_and_resume() {
    let site = crate::support::Site::new();
    let mut server = site.start();
    let mut ids = Vec::new();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let base = server.base.clone();
        // The slow step keeps work in flight when the kill comes.
        tasks.spawn(async move {
            submit_to(
                &base,
                &json!({ "bundle": "testkit-slow", "idempotency_key": format!("crash-{i}") }),
            )
            .await
        });
    }
    while let Some(id) = tasks.join_next().await {
        ids.push(id.expect("submit task"));
    }
    server.kill();
    let db = site.db();
    let stored = count(&db, "SELECT COUNT(*) FROM applications");
    let unfinished = count(
        &db,
        "SELECT COUNT(*) FROM applications WHERE status NOT IN ('completed', 'rejected', 'manual')",
    );
    assert_eq!(
        stored, 200,
        "every accepted application was stored before 202"
    );
    eprintln!("killed with {unfinished} of 200 applications unfinished");
    assert!(unfinished > 0, "the kill came too late to test anything");

    let server = site.start();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let open = count(
            &db,
            "SELECT COUNT(*) FROM applications WHERE status NOT IN ('completed', 'rejected', 'manual')",
        );
        if open == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{open} applications never finished after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for id in &ids {
        let n = count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM applications WHERE id = '{id}' AND status IN ('completed', 'manual')"
            ),
        );
        assert_eq!(n, 1, "application {id} is lost or not final");
    }
    let doubled = count(
        &db,
        "SELECT COUNT(*) FROM (SELECT application, step FROM events WHERE kind = 'step-approved' GROUP BY 1, 2 HAVING COUNT(*) > 1)",
    );
    assert_eq!(doubled, 0, "an approval was recorded twice");
    let completed = count(
        &db,
        "SELECT COUNT(*) FROM applications WHERE status = 'completed'",
    );
    eprintln!(
        "after restart: {completed} completed, {} in the manual queue",
        200 - completed
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_shuts_down_gracefully_and_the_rest_resumes() {
    let site = crate::support::Site::new();
    let mut server = site.start();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..40 {
        let base = server.base.clone();
        tasks.spawn(async move {
            submit_to(
                &base,
                &json!({ "bundle": "testkit-slow", "idempotency_key": format!("term-{i}") }),
            )
            .await
        });
    }
    while let Some(id) = tasks.join_next().await {
        id.expect("submit task");
    }
    let pid = server.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill -TERM");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
    let db = site.db();
    // Every accepted application is stored, and every attempt under way
    // when SIGTERM came was let finish and recorded: each attempt-started
    // has its outcome (approved, or failed for the flaky step).
    assert_eq!(count(&db, "SELECT COUNT(*) FROM applications"), 40);
    let started = count(
        &db,
        "SELECT COUNT(*) FROM events WHERE kind = 'attempt-started'",
    );
    let ended = count(
        &db,
        "SELECT COUNT(*) FROM events WHERE kind IN ('step-approved', 'attempt-failed')",
    );
    assert_eq!(started, ended, "an attempt was cut off by the shutdown");
    let server = site.start();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(
        &db,
        "SELECT COUNT(*) FROM applications WHERE status = 'completed'",
    ) < 40
    {
        assert!(
            Instant::now() < deadline,
            "not every application completed after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
}
