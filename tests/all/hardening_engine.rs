//! Hardening of submission, resolution and the departments' store, each
//! test named after the item of the hostile review it answers: repeats
//! with an idempotency key (item 5), an operator's approval checked like
//! a department's output and issued values kept to one application (item
//! 6), key-value quotas and an attempt's writes taken back when it fails
//! (item 11), the nearest key suggested for a mistyped one (item 25).

use serde_json::{Value, json};

use crate::support::{
    Server, Site, TOKEN, admin_post, applicant_client, client, count, prepared, submit, wait_for,
};

async fn post(server: &Server, doc: &Value) -> (u16, Value) {
    let r = applicant_client(doc)
        .post(server.url("/api/applications"))
        .json(doc)
        .send()
        .await
        .expect("submit");
    let status = r.status().as_u16();
    let body: Value = r.json().await.expect("json");
    if let Some(id) = body["id"].as_str() {
        crate::support::remember_owner(id, doc);
    }
    (status, body)
}

fn audit_records(site: &Site) -> i64 {
    count(&site.db(), "SELECT COUNT(*) FROM audit")
}

#[tokio::test(flavor = "multi_thread")]
async fn item_5a_a_repeat_after_a_lost_answer_gets_its_application() {
    let site = Site::new();
    let server = site.start();
    let mut doc = prepared(&server, "business-startup.json").await;
    doc["fields"]["enterprise.name"] = json!("厦门重试茶业有限公司");
    doc["idempotency_key"] = json!("lost-answer-1");
    let (status, first) = post(&server, &doc).await;
    assert_eq!(status, 202, "{first:#}");
    let id = first["id"].as_str().expect("id").to_owned();
    wait_for(&server, &id, &["completed"]).await;
    // The answer was lost; the client sends the same request again. The
    // name is now taken (by this very application): checks must not run.
    let (status, again) = post(&server, &doc).await;
    assert_eq!(status, 202, "a repeat is not refused: {again:#}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["existing"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn item_5b_the_same_key_with_another_request_is_refused() {
    let site = Site::new();
    let server = site.start();
    let doc = json!({ "bundle": "testkit-flaky", "idempotency_key": "shared-key" });
    let (status, first) = post(&server, &doc).await;
    assert_eq!(status, 202, "{first:#}");
    for other in [
        json!({ "bundle": "testkit-reject", "idempotency_key": "shared-key" }),
        json!({ "bundle": "testkit-correction", "fields": { "child.name": "林安然", "testkit.answer": "x" }, "idempotency_key": "shared-key" }),
    ] {
        let (status, body) = post(&server, &other).await;
        assert_eq!(status, 422, "{body:#}");
        assert_eq!(
            body["problems"][0]["code"], "idempotency-key-reused",
            "{body:#}"
        );
        assert!(
            body["problems"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains(first["id"].as_str().unwrap_or("?"))),
            "{body:#}"
        );
    }
    assert_eq!(
        count(&site.db(), "SELECT COUNT(*) FROM applications"),
        1,
        "nothing was stored for the refused requests"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn item_5c_an_overlong_key_is_refused_naming_the_setting() {
    let site = Site::new();
    let server = site.start();
    let doc = json!({ "bundle": "testkit-flaky", "idempotency_key": "k".repeat(300) });
    let (status, body) = post(&server, &doc).await;
    assert_eq!(status, 422, "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("max_idempotency_key_bytes")),
        "{body:#}"
    );
    assert_eq!(count(&site.db(), "SELECT COUNT(*) FROM applications"), 0);
    // The setting is the operator's: a site that allows 16 bytes refuses
    // 20 and names its own figure.
    let site = Site::with_settings("max_idempotency_key_bytes = 16", "");
    let server = site.start();
    let doc = json!({ "bundle": "testkit-flaky", "idempotency_key": "k".repeat(20) });
    let (status, body) = post(&server, &doc).await;
    assert_eq!(status, 422, "{body:#}");
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("max_idempotency_key_bytes") && detail.contains("16"),
        "{body:#}"
    );
    let doc = json!({ "bundle": "testkit-flaky", "idempotency_key": "k".repeat(16) });
    let (status, body) = post(&server, &doc).await;
    assert_eq!(status, 202, "{body:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn item_5d_a_repeat_seals_nothing_in_the_audit_log() {
    let site = Site::new();
    let server = site.start();
    let doc = json!({ "bundle": "testkit-reject", "idempotency_key": "audited-once" });
    let id = submit(&server, &doc).await;
    wait_for(&server, &id, &["rejected"]).await;
    let sealed = audit_records(&site);
    for _ in 0..3 {
        let (status, body) = post(&server, &doc).await;
        assert_eq!(status, 202, "{body:#}");
        assert_eq!(body["id"].as_str(), Some(id.as_str()));
    }
    assert_eq!(
        audit_records(&site),
        sealed,
        "no entry is written for an application that is not stored"
    );
}

/// Submit a `testkit-issue` application and wait for its deferred step
/// in the manual queue.
async fn issuing_in_the_queue(server: &Server) -> String {
    let id = submit(server, &json!({ "bundle": "testkit-issue" })).await;
    wait_for(server, &id, &["manual"]).await;
    id
}

fn resolve_path(id: &str) -> String {
    format!("/admin/applications/{id}/steps/testkit/deferred-issuer/resolve")
}

#[tokio::test(flavor = "multi_thread")]
async fn item_6_an_operators_approval_is_checked_like_a_departments_output() {
    let site = Site::new();
    let server = site.start();
    let first = issuing_in_the_queue(&server).await;
    // `{}` would leave the next step, which requires child.id_number,
    // stuck in the queue with no way to fix this one.
    let (status, body) = admin_post(
        &server,
        &resolve_path(&first),
        json!({ "decision": "approve", "outputs": {} }),
    )
    .await;
    assert_eq!(status, 422, "{body:#}");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("child.id_number") && d.contains("later steps require")),
        "{body:#}"
    );
    // A value the dictionary refuses is named.
    let (status, body) = admin_post(
        &server,
        &resolve_path(&first),
        json!({ "decision": "approve", "outputs": { "child.id_number": "350203202610200011" } }),
    )
    .await;
    assert_eq!(status, 422, "{body:#}");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("check")),
        "{body:#}"
    );
    // A sound approval goes through, and the bundle goes on.
    let id_number = "350203202610200014";
    let (status, body) = admin_post(
        &server,
        &resolve_path(&first),
        json!({ "decision": "approve", "outputs": { "child.id_number": id_number } }),
    )
    .await;
    assert_eq!(status, 200, "{body:#}");
    let s = wait_for(&server, &first, &["completed"]).await;
    assert_eq!(s["outputs"]["testkit.seen"], "id seen", "{s:#}");
    // The same number for another application is refused, naming the
    // holder, and nothing changes.
    let second = issuing_in_the_queue(&server).await;
    let (status, body) = admin_post(
        &server,
        &resolve_path(&second),
        json!({ "decision": "approve", "outputs": { "child.id_number": id_number } }),
    )
    .await;
    assert_eq!(status, 409, "{body:#}");
    let detail = body["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("already issued to application") && detail.contains(&first),
        "{body:#}"
    );
    assert!(
        !detail.contains(id_number),
        "the number itself is not echoed: {detail}"
    );
    let s = wait_for(&server, &second, &["manual"]).await;
    assert_eq!(s["steps"][0]["status"], "manual");
    // The department's own issuing will not hand that number out again:
    // it is reserved in its store under the SDK's convention.
    let reserved: String = site
        .db()
        .query_row(
            "SELECT CAST(value AS TEXT) FROM kv WHERE department = 'testkit' AND key = ?1",
            [format!("number/child.id_number/{id_number}")],
            |r| r.get(0),
        )
        .expect("a reservation");
    assert_eq!(reserved, format!("operator:{first}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn item_6_a_department_issuing_a_number_another_application_holds_is_refused() {
    let site = Site::new();
    let server = site.start();
    let first = submit(&server, &json!({ "bundle": "testkit-fixed-issuer" })).await;
    wait_for(&server, &first, &["completed"]).await;
    let second = submit(&server, &json!({ "bundle": "testkit-fixed-issuer" })).await;
    let s = wait_for(&server, &second, &["manual", "completed"]).await;
    assert_eq!(
        s["status"], "manual",
        "two children, one resident ID: {s:#}"
    );
    let reason = s["steps"][0]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("child.id_number is already issued to application")
            && reason.contains(&first),
        "{s:#}"
    );
    assert_eq!(s["steps"][0]["attempts"], 1, "it would repeat: not retried");
    assert!(s["outputs"].get("child.id_number").is_none(), "{s:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn item_11_a_departments_store_has_a_quota_named_in_the_error() {
    let site = Site::with_limits("kv_max_keys = 50\nkv_max_bytes = 1000000\n");
    let server = site.start();
    let id = submit(&server, &json!({ "bundle": "testkit-kv-hog" })).await;
    let s = wait_for(&server, &id, &["manual", "completed"]).await;
    assert_eq!(s["status"], "manual", "{s:#}");
    let reason = s["steps"][0]["reason"].as_str().unwrap_or("");
    assert!(reason.contains("limits.kv_max_keys"), "{reason}");
    // The attempt failed: none of its writes stayed, so the quota is free.
    let keys = count(
        &site.db(),
        "SELECT COUNT(*) FROM kv WHERE department = 'testkit'",
    );
    assert_eq!(keys, 0, "a failed attempt leaves nothing behind");
    let used: i64 = site
        .db()
        .query_row(
            "SELECT keys FROM kv_usage WHERE department = 'testkit'",
            [],
            |r| r.get(0),
        )
        .expect("usage row");
    assert_eq!(used, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn item_11_an_attempt_that_traps_leaves_no_writes_behind() {
    let site = Site::new();
    let server = site.start();
    let id = submit(&server, &json!({ "bundle": "testkit-write-then-trap" })).await;
    let s = wait_for(&server, &id, &["manual"]).await;
    assert_eq!(s["steps"][0]["attempts"], 4, "{s:#}");
    let left = count(
        &site.db(),
        "SELECT COUNT(*) FROM kv WHERE department = 'testkit' AND key LIKE 'left-behind/%'",
    );
    assert_eq!(left, 0, "four trapped attempts, no write kept");
    // The operator's token still works on a server whose plugin trapped.
    let r = client()
        .get(server.url("/admin/manual-queue"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("queue");
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn item_25_a_mistyped_key_in_a_submission_is_told_the_nearest() {
    let site = Site::new();
    let server = site.start();
    let mut doc = prepared(&server, "newborn.json").await;
    let name = doc["fields"]["child.name"].take();
    let fields = doc["fields"].as_object_mut().expect("fields");
    fields.remove("child.name");
    fields.insert("child.nmae".into(), name);
    let (status, body) = post(&server, &doc).await;
    assert_eq!(status, 422, "{body:#}");
    let problems = body["problems"].as_array().cloned().unwrap_or_default();
    assert!(
        problems.iter().any(|p| p["code"] == "unknown-field"
            && p["message"]
                .as_str()
                .is_some_and(|m| m.contains("did you mean `child.name`?"))),
        "{body:#}"
    );
}
