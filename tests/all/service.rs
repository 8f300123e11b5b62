//! End-to-end tests of `onething serve` through the real binary over HTTP:
//! both bundles, corrections, retries, the manual queue, operator auth, and
//! bad requests that must store nothing.

use crate::support::{
    TOKEN, applicant_client, client, count, owner_client, prepared, status, submit, wait_for,
};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn both_example_bundles_complete_over_http() {
    let site = crate::support::Site::new();
    let server = site.start();
    for sample in ["newborn.json", "business-startup.json"] {
        let doc = prepared(&server, sample).await;
        let id = submit(&server, &doc).await;
        let s = wait_for(
            &server,
            &id,
            &["completed", "rejected", "manual", "needs-more"],
        )
        .await;
        assert_eq!(s["status"], "completed", "{sample}: {s:#}");
        for step in s["steps"].as_array().expect("steps") {
            assert!(
                step["status"] == "approved" || step["status"] == "skipped",
                "{step:#}"
            );
            if step["status"] == "approved" {
                assert!(
                    step["plugin_digest"]
                        .as_str()
                        .is_some_and(|d| d.starts_with("sha256:"))
                );
                assert!(step["department"].is_string());
            }
        }
    }
    // The live view replays the history and ends with the application.
    let doc = prepared(&server, "newborn.json").await;
    let id = submit(&server, &doc).await;
    wait_for(&server, &id, &["completed"]).await;
    let text = owner_client(&id)
        .get(server.url(&format!("/api/applications/{id}/events")))
        .send()
        .await
        .expect("sse")
        .text()
        .await
        .expect("text");
    assert!(
        text.contains("event: submitted") && text.contains("event: step-approved"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn submission_is_idempotent_on_the_client_key() {
    let site = crate::support::Site::new();
    let server = site.start();
    let mut doc = prepared(&server, "newborn.json").await;
    doc["idempotency_key"] = json!("client-key-42");
    let first = submit(&server, &doc).await;
    let r = applicant_client(&doc)
        .post(server.url("/api/applications"))
        .json(&doc)
        .send()
        .await
        .expect("again");
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["id"], first.as_str());
    assert_eq!(body["existing"], true);
    assert_eq!(count(&site.db(), "SELECT COUNT(*) FROM applications"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_needs_more_application_is_corrected_without_rerunning_approved_steps() {
    let site = crate::support::Site::new();
    let server = site.start();
    let doc = json!({ "bundle": "testkit-correction", "fields": { "child.name": "林安然", "testkit.answer": "wrong" } });
    let id = submit(&server, &doc).await;
    let s = wait_for(&server, &id, &["needs-more"]).await;
    let problems = &s["steps"][1]["problems"];
    assert_eq!(problems[0]["subject"]["name"], "testkit.answer", "{s:#}");
    // Correcting something else is still refused by the department later;
    // here we give the right answer.
    let r = owner_client(&id)
        .patch(server.url(&format!("/api/applications/{id}")))
        .json(&json!({ "fields": { "testkit.answer": "corrected" } }))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap_or_default());
    let s = wait_for(&server, &id, &["completed"]).await;
    assert_eq!(
        s["steps"][0]["attempts"], 1,
        "the approved probe step was not run again: {s:#}"
    );
    assert_eq!(s["steps"][1]["attempts"], 2);
    // A second correction of a completed application is a conflict.
    let r = owner_client(&id)
        .patch(server.url(&format!("/api/applications/{id}")))
        .json(&json!({ "fields": {} }))
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transient_failure_is_retried_until_it_succeeds() {
    let site = crate::support::Site::new();
    let server = site.start();
    let id = submit(&server, &json!({ "bundle": "testkit-flaky" })).await;
    let s = wait_for(&server, &id, &["completed", "manual"]).await;
    assert_eq!(s["status"], "completed", "{s:#}");
    assert_eq!(s["steps"][0]["attempts"], 3);
    let db = site.db();
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM events WHERE application = '{id}' AND kind = 'retry-scheduled'"
            )
        ),
        2
    );
    assert_eq!(
        count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM events WHERE application = '{id}' AND kind = 'attempt-started'"
            )
        ),
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_step_that_always_traps_goes_to_the_manual_queue_and_an_operator_completes_it() {
    let site = crate::support::Site::new();
    let server = site.start();
    let id = submit(&server, &json!({ "bundle": "testkit-trap" })).await;
    let s = wait_for(&server, &id, &["manual"]).await;
    assert_eq!(
        s["steps"][0]["attempts"], 4,
        "retried up to the limit first: {s:#}"
    );
    assert!(
        s["steps"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("trapped")),
        "{s:#}"
    );
    let c = client();
    let queue: Value = c
        .get(server.url("/admin/manual-queue"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("json");
    assert!(
        queue["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|i| i["application"] == id.as_str()),
        "{queue:#}"
    );
    // Outputs the step does not write are refused, naming the field.
    let url = server.url(&format!(
        "/admin/applications/{id}/steps/testkit/trap/resolve"
    ));
    let r = c
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({ "decision": "approve", "outputs": { "child.name": "x" } }))
        .send()
        .await
        .expect("resolve");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap_or_default().contains("child.name"));
    let r = c
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({ "decision": "approve" }))
        .send()
        .await
        .expect("resolve");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let s = wait_for(&server, &id, &["completed"]).await;
    assert_eq!(s["status"], "completed");
    let operator: String = site
        .db()
        .query_row(
            &format!(
                "SELECT body FROM events WHERE application = '{id}' AND kind = 'step-approved'"
            ),
            [],
            |r| r.get(0),
        )
        .expect("approval event");
    assert!(
        operator.contains("duty-officer"),
        "the event names the operator: {operator}"
    );
    // Resolving again is a conflict.
    let r = c
        .post(&url)
        .bearer_auth(TOKEN)
        .json(&json!({ "decision": "approve" }))
        .send()
        .await
        .expect("resolve");
    assert_eq!(r.status(), 409);
}

#[tokio::test(flavor = "multi_thread")]
async fn operator_endpoints_refuse_a_missing_or_wrong_token() {
    let site = crate::support::Site::new();
    let server = site.start();
    let c = client();
    for path in ["/admin/plugins", "/admin/manual-queue", "/admin/overdue"] {
        let r = c.get(server.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 401, "{path} without a token");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let r = c
            .get(server.url(path))
            .bearer_auth("wrong-token-wrong-token")
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 401, "{path} with a wrong token");
        let r = c
            .get(server.url(path))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), 200, "{path} with the token");
    }
    let plugins: Value = c
        .get(server.url("/admin/plugins"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert!(plugins["plugins"].as_array().expect("list").len() >= 8);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_problem_json_and_store_nothing() {
    let site = crate::support::Site::new();
    let server = site.start();
    let url = server.url("/api/applications");
    let good = prepared(&server, "newborn.json").await;
    let c = applicant_client(&good);
    let before = count(&site.db(), "SELECT COUNT(*) FROM applications");

    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        (
            "malformed JSON",
            c.post(&url)
                .header("content-type", "application/json")
                .body("{\"bundle\": "),
            400,
            "EOF",
        ),
        (
            "unknown bundle",
            c.post(&url)
                .json(&json!({ "bundle": "no-such-thing", "fields": {} })),
            422,
            "no-such-thing",
        ),
        (
            "oversized body",
            c.post(&url)
                .header("content-type", "application/json")
                .body(format!(
                    "{{\"bundle\":\"newborn\",\"fields\":{{\"child.name\":\"{}\"}}}}",
                    "x".repeat(70_000)
                )),
            413,
            "limit",
        ),
        (
            "unknown field",
            c.post(&url)
                .json(&json!({ "bundle": "newborn", "feilds": {} })),
            422,
            "feilds",
        ),
        (
            "invalid ID number",
            c.post(&url).json(&{
                let mut d = good.clone();
                d["fields"]["mother.id_number"] = json!("350203199003071520");
                d
            }),
            422,
            "mother.id_number",
        ),
        (
            "not JSON",
            c.post(&url)
                .header("content-type", "text/plain")
                .body("hello"),
            415,
            "application/json",
        ),
    ];
    for (what, req, code, needle) in cases {
        let r = req.send().await.expect(what);
        assert_eq!(r.status().as_u16(), code, "{what}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{what}"
        );
        let body: Value = r.json().await.expect("problem json");
        assert_eq!(body["status"], code, "{what}");
        let text = body.to_string();
        assert!(text.contains(needle), "{what}: {needle:?} not in {text}");
    }
    assert_eq!(
        count(&site.db(), "SELECT COUNT(*) FROM applications"),
        before,
        "nothing half-written"
    );
    assert_eq!(count(&site.db(), "SELECT COUNT(*) FROM events"), 0);
    // A material whose content is not what its Content-Type says.
    let r = c
        .post(server.url("/api/materials"))
        .header("content-type", "application/pdf")
        .body(b"\x89PNG\r\n\x1a\nxxxx".to_vec())
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 415);
    // An unknown application.
    let r = c
        .get(server.url("/api/applications/app-nope"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn health_readiness_metrics_and_openapi() {
    let site = crate::support::Site::new();
    let server = site.start();
    let c = client();
    assert_eq!(
        c.get(server.url("/healthz"))
            .send()
            .await
            .expect("h")
            .status(),
        200
    );
    assert_eq!(
        c.get(server.url("/readyz"))
            .send()
            .await
            .expect("r")
            .status(),
        200
    );
    let id = submit(&server, &json!({ "bundle": "testkit-flaky" })).await;
    wait_for(&server, &id, &["completed"]).await;
    let m = crate::support::metrics(&server).await;
    for name in [
        "onething_applications{status=\"completed\"} 1",
        "onething_step_duration_seconds_bucket",
        "onething_step_retries_total{department=\"testkit\"} 2",
        "onething_manual_queue_depth 0",
        "onething_overdue_applications 0",
    ] {
        assert!(m.contains(name), "{name} missing from metrics:\n{m}");
    }
    let doc: Value = c
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .expect("o")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let c = applicant_client(&json!({}));
    let bundles: Value = c
        .get(server.url("/api/bundles"))
        .send()
        .await
        .expect("b")
        .json()
        .await
        .expect("json");
    assert!(
        bundles["themes"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x["theme"] == "newborn-families")),
        "{bundles:#}"
    );
    let form: Value = c
        .get(server.url("/api/bundles/newborn/form"))
        .send()
        .await
        .expect("f")
        .json()
        .await
        .expect("json");
    assert!(form["schema"]["properties"]["mother.id_number"].is_object());
    let _ = status;
}

/// Money round-trips exactly, through the API and a 0.2.0 component: an
/// amount in yuan (as a string, or as a JSON number read by its text)
/// reaches the department in fen and comes back as it went, to the fen,
/// however large; one that is not yuan with at most two decimals is
/// refused naming the field.
#[tokio::test(flavor = "multi_thread")]
async fn money_comes_back_to_the_fen() {
    let site = crate::support::Site::new();
    let server = site.start();
    for (sent, back) in [
        (json!("12345678901234.57"), "12345678901234.57"),
        (json!("0.07"), "0.07"),
        (json!(0.1), "0.10"),
        (json!("99999999999999.99"), "99999999999999.99"),
    ] {
        let doc = json!({
            "bundle": "testkit-money",
            "fields": { "testkit.amount": sent },
        });
        let id = submit(&server, &doc).await;
        let done = wait_for(&server, &id, &["completed", "manual"]).await;
        assert_eq!(done["status"], "completed", "{done:#}");
        assert_eq!(
            done["outputs"]["testkit.amount_back"], back,
            "{sent}: {done:#}"
        );
    }
    let doc = json!({
        "bundle": "testkit-money",
        "fields": { "testkit.amount": "12.345" },
    });
    let r = crate::support::client_with(&crate::support::token_of(crate::support::DEFAULT_ID))
        .post(server.url("/api/applications"))
        .json(&doc)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.expect("json");
    let problem = &body["problems"][0];
    assert_eq!(problem["code"], "wrong-type", "{body:#}");
    assert!(
        problem["message"]
            .as_str()
            .is_some_and(|m| m.contains("testkit.amount") && m.contains("at most two decimals")),
        "{body:#}"
    );
}
