//! The household-registry drill, through the real binaries: `onething
//! systems serve` (the departments' simulated systems) and `onething
//! serve` wired to them. Newborn applications arrive one every
//! [`EVERY`] while the household registry goes down for [`DOWN`] and comes
//! back. Afterwards: every application is there and final (completed
//! after the recovery, or in the manual queue), no step was approved
//! twice, no number was issued twice, the breaker's changes are in the
//! metrics and in the applications' events, and while the registry was
//! down /readyz named it and stayed ready.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Site, client, count, metrics, prepared, status, submit};
use crate::systems::start;

/// The outage.
const DOWN: Duration = Duration::from_secs(20);
/// How often an application arrives.
const EVERY: Duration = Duration::from_millis(500);
/// Applications before the outage, during it, and after.
const BEFORE: Duration = Duration::from_secs(3);
const AFTER: Duration = Duration::from_secs(3);

/// The newborn sample (its materials uploaded once), as the `n`th
/// family's application.
fn application(sample: &Value, n: usize) -> Value {
    let mut doc = sample.clone();
    doc["fields"]["child.name"] = json!(format!("林{}", ["安", "宁", "悦", "然", "晴"][n % 5]));
    doc["idempotency_key"] = json!(format!("drill-{n}"));
    doc
}

async fn set_household(base: &str, admin: &str, mode: &str) {
    let r = client()
        .put(format!("{base}/admin/faults/household"))
        .bearer_auth(admin)
        .json(&json!({ "mode": mode }))
        .send()
        .await
        .expect("the simulator's admin endpoint");
    assert!(
        r.status().is_success(),
        "{}",
        r.text().await.unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_household_registry_goes_down_for_20_s_under_a_stream_of_newborns() {
    let dir = tempfile::tempdir().expect("dir");
    let credentials = dir.path().join("systems.toml");
    let simulator = start(&credentials);
    let systems = onething_systems::SystemsConfig::from_toml(
        &std::fs::read_to_string(&credentials).expect("credentials"),
    )
    .expect("the simulator's credentials");
    let admin = {
        let v: toml::Value =
            toml::from_str(&std::fs::read_to_string(&credentials).expect("read")).expect("toml");
        v["admin_token"].as_str().expect("admin token").to_owned()
    };
    let site = Site::wired_to(
        &simulator.base,
        &systems,
        "[breaker]\nfailures_to_open = 3\nopen_secs = 2\n",
    );
    let server = site.start();
    let household = simulator.base.clone();

    let sample = prepared(&server, "newborn.json").await;

    // The stream: before, during and after the outage.
    let started = Instant::now();
    let mut ids = Vec::new();
    let mut n = 0;
    let mut went_down = false;
    let mut came_back = false;
    let mut ready_named_it = false;
    while started.elapsed() < BEFORE + DOWN + AFTER {
        let t = started.elapsed();
        if !went_down && t >= BEFORE {
            set_household(&simulator.base, &admin, "down").await;
            went_down = true;
        }
        if !came_back && t >= BEFORE + DOWN {
            set_household(&simulator.base, &admin, "up").await;
            came_back = true;
        }
        ids.push(submit(&server, &application(&sample, n)).await);
        n += 1;
        if went_down && !came_back && !ready_named_it {
            let text = client()
                .get(server.url("/readyz"))
                .send()
                .await
                .expect("readyz");
            assert_eq!(text.status(), 200, "ready while a system is down");
            ready_named_it = text
                .text()
                .await
                .expect("text")
                .contains(&format!("departments' systems taken as down: {household}"));
        }
        tokio::time::sleep(EVERY).await;
    }
    assert!(
        ready_named_it,
        "/readyz named the household registry while it was down"
    );

    // Every application reaches the end: after the recovery, or by hand.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut finals = Vec::new();
    for id in &ids {
        let s = loop {
            let s = status(&server, id).await;
            if matches!(s["status"].as_str(), Some("completed" | "manual")) {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "application {id} did not finish: {s:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        finals.push(s);
    }
    let completed = finals.iter().filter(|s| s["status"] == "completed").count();
    assert!(completed > 0, "applications complete after the recovery");
    assert_eq!(
        finals.len(),
        ids.len(),
        "nothing lost: every one of {} applications is there",
        ids.len()
    );

    // Nothing approved twice, no number issued twice.
    let db = site.db();
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM (SELECT application, step FROM events WHERE kind = 'step-approved' GROUP BY 1, 2 HAVING COUNT(*) > 1)"
        ),
        0,
        "a step approved twice"
    );
    for key in [
        "child.id_number",
        "child.social_security_card_number",
        "child.medical_insurance_number",
    ] {
        let numbers: Vec<&str> = finals
            .iter()
            .filter_map(|s| s["outputs"][key].as_str())
            .collect();
        let distinct: BTreeSet<&str> = numbers.iter().copied().collect();
        assert_eq!(
            numbers.len(),
            distinct.len(),
            "{key} issued twice: {numbers:?}"
        );
        if key == "child.id_number" {
            assert_eq!(
                numbers.len(),
                completed,
                "every completed newborn has its number"
            );
        }
    }

    // The breaker's changes: in the metrics, and in the events of the
    // applications that waited.
    let metrics = metrics(&server).await;
    for to in ["open", "half-open", "closed"] {
        assert!(
            metrics.contains(&format!(
                "onething_breaker_changes_total{{origin=\"{household}\",to=\"{to}\"}}"
            )),
            "the breaker went {to}: {metrics}"
        );
    }
    let waited = count(
        &db,
        "SELECT COUNT(DISTINCT application) FROM events WHERE kind = 'step-waiting'",
    );
    assert!(waited > 0, "applications waited for the registry");
    let told = count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM events WHERE body LIKE '%the circuit breaker of {household}%'"
        ),
    );
    assert!(
        told > 0,
        "the breaker's changes are in the applications' events"
    );
    eprintln!(
        "drill: {} applications, {completed} completed, {} in the manual queue, {waited} waited for the registry",
        ids.len(),
        ids.len() - completed
    );
    drop(server);
    drop(simulator);
}
