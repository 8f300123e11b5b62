//! `onething run` and `onething serve` agree: the same applications —
//! completed, refused with the one notification, needs-more from a step,
//! rejected, deferred, trapping, failing permanently — driven through the
//! local runner (the real binary, `--json`) and through the service (HTTP,
//! SQLite) end with the same status, and every step with the same status,
//! attempts, outputs, documents, problems and reason. Both take the same
//! configuration (`onething run --config`): the same plugins, bundles,
//! limits and retry policy.
//!
//! Numbers a department issues depend on the application's id (its
//! idempotency key), which the two give differently (`local-1-…` and
//! `app-…`): issued text is compared by its shape (letters and digits in
//! the same places), everything else exactly.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{Server, Site, prepared, wait_for};

/// The applications, by name: a sample file of examples/applications, or
/// a document written here.
fn cases() -> Vec<(&'static str, Result<&'static str, Value>)> {
    vec![
        ("completed", Ok("newborn.json")),
        ("refused with every problem", Ok("newborn-needs-more.json")),
        (
            "needs more from a step",
            Err(
                json!({ "bundle": "testkit-correction", "fields": { "child.name": "林安然", "testkit.answer": "wrong" } }),
            ),
        ),
        ("rejected", Err(json!({ "bundle": "testkit-reject" }))),
        ("deferred", Err(json!({ "bundle": "testkit-deferred" }))),
        ("trap", Err(json!({ "bundle": "testkit-trap" }))),
        (
            "permanent error",
            Err(json!({ "bundle": "testkit-permanent" })),
        ),
    ]
}

/// Issued text by its shape, each letter `A` and each digit `9`: the same
/// department rules give the same shape for any application. A resident
/// ID number's check digit may be a digit or `X`, so an 18-character
/// number ending in `X` has the shape of one ending in a digit.
fn shape(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.char_indices()
                .map(|(i, c)| match c {
                    'X' if i == 17 && s.len() == 18 => '9',
                    'A'..='Z' => 'A',
                    '0'..='9' => '9',
                    other => other,
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn shaped_documents(documents: &Value) -> Vec<Value> {
    documents
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| json!({ "kind": d["kind"], "title": d["title"], "number": shape(&d["number"]) }))
        .collect()
}

/// What both must agree on, from a `run --json` report or a service's
/// status answer.
fn comparable(status: &Value, steps: &[Value], outputs: &Value, problems: &Value) -> Value {
    let outputs: serde_json::Map<String, Value> = outputs
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), shape(v)))
        .collect();
    let steps: Vec<Value> = steps
        .iter()
        .map(|s| {
            json!({
                "step": s["step"],
                "status": s["status"],
                "attempts": s["attempts"],
                "reason": s["reason"],
                "problems": s["problems"].as_array().cloned().unwrap_or_default(),
                "documents": shaped_documents(&s["documents"]),
                "note": s["note"],
            })
        })
        .collect();
    json!({
        "status": status,
        "steps": steps,
        "outputs": outputs,
        "problems": problems.as_array().cloned().unwrap_or_default(),
    })
}

/// The local runner's view, through the real binary.
fn run_locally(site: &Site, file: &std::path::Path) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_onething"))
        .current_dir(crate::support::repo())
        .args(["run", "--today", "2026-11-28", "--json", "--config"])
        .arg(site.path().join("onething.toml"))
        .arg(file)
        .output()
        .expect("the binary runs");
    let mut report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "run --json prints a report ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // The report keeps both languages of every text; the service answers
    // in the one asked for (English, as the tests' client asks).
    onething_model::text::localise(&mut report, onething_model::text::Lang::En);
    let expected_code = if report["status"] == "completed" {
        0
    } else {
        1
    };
    assert_eq!(out.status.code(), Some(expected_code), "{report:#}");
    comparable(
        &report["status"],
        report["steps"].as_array().map_or(&[], |v| v.as_slice()),
        &report["outputs"],
        &report["problems"],
    )
}

/// The service's view, over HTTP.
async fn run_on_service(server: &Server, doc: &Value) -> Value {
    let r = crate::support::applicant_client(doc)
        .post(server.url("/api/applications"))
        .json(doc)
        .send()
        .await
        .expect("submit");
    let code = r.status().as_u16();
    let body: Value = r.json().await.expect("json");
    if code == 422 {
        // Refused with the one notification: nothing stored, no step run.
        return comparable(&json!("needs-more"), &[], &json!({}), &body["problems"]);
    }
    assert_eq!(code, 202, "{body:#}");
    let id = body["id"].as_str().expect("id");
    crate::support::remember_owner(id, doc);
    let s = wait_for(
        server,
        id,
        &["completed", "needs-more", "rejected", "manual"],
    )
    .await;
    comparable(
        &s["status"],
        s["steps"].as_array().map_or(&[], |v| v.as_slice()),
        &s["outputs"],
        &json!([]),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn run_and_serve_give_the_same_result_for_the_same_applications() {
    let site = Site::new();
    let server = site.start();
    let docs = site.path().join("applications");
    std::fs::create_dir_all(&docs).expect("mkdir");
    let mut seen_statuses = std::collections::BTreeSet::new();
    for (name, case) in cases() {
        let (file, served_doc): (PathBuf, Value) = match case {
            Ok(sample) => (
                crate::support::repo()
                    .join("examples/applications")
                    .join(sample),
                prepared(&server, sample).await,
            ),
            Err(doc) => {
                let file = docs.join(format!("{}.json", name.replace(' ', "-")));
                std::fs::write(&file, doc.to_string()).expect("write document");
                (file, doc)
            }
        };
        let local = run_locally(&site, &file);
        let served = run_on_service(&server, &served_doc).await;
        // A refusal lists no steps on the service; compare steps only when
        // the application was stored.
        let local = if served["steps"].as_array().is_some_and(Vec::is_empty) {
            assert!(
                local["steps"]
                    .as_array()
                    .is_some_and(|s| s.iter().all(|s| s["attempts"] == 0)),
                "{name}: a refused application runs no step: {local:#}"
            );
            json!({ "status": local["status"], "steps": [], "outputs": local["outputs"], "problems": local["problems"] })
        } else {
            local
        };
        assert_eq!(local, served, "{name}: run and serve disagree");
        seen_statuses.insert(served["status"].as_str().unwrap_or("").to_owned());
    }
    assert_eq!(
        seen_statuses.into_iter().collect::<Vec<_>>(),
        ["completed", "manual", "needs-more", "rejected"],
        "the cases cover every way an application comes to rest"
    );
}
