//! Who may see what (issue 11), through the real binary: the data-sharing
//! register bounds what a department may read, hot-loaded and rolled back
//! like a bundle.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Server, Site, admin_get, admin_post, admin_upload, client, repo};

/// Health's real component, with its optional read of `father.id_number`
/// turned into one of `mother.bank_card` and its version made 1.0.7: a
/// department asking for a field nothing grants it.
fn greedy_health() -> Vec<u8> {
    let health = std::fs::read(repo().join("target/plugins/health.wasm")).expect("health.wasm");
    let greedy = onething_testing::replaced_once(&health, "father.id_number", "mother.bank_card");
    onething_testing::another_version(&greedy, "1.0.0", "1.0.7")
}

/// The test register with one more grant: health may read the bank card.
fn grants_with_bank_card() -> String {
    format!(
        "{}\n[[grants]]\ndepartment = \"health\"\nfields = [\"mother.bank_card\"]\npurpose = \"核对生育津贴发放账户（测试）\"\nlegal_basis = \"a test's basis\"\napproved_by = \"市医疗保障局（测试）\"\n",
        onething_testing::test_grants()
    )
}

async fn upload_health(site: &Site, server: &Server, bytes: Vec<u8>) -> (u16, Value) {
    let signature = site.sign("health", &bytes);
    admin_upload(
        server,
        "/admin/plugins",
        bytes,
        &[("onething-signature", signature)],
    )
    .await
}

async fn serving_health(server: &Server) -> String {
    let (_, v) = admin_get(server, "/admin/plugins/health/versions").await;
    v["serving"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_needs_a_grant_however_the_component_is_signed() {
    let site = Site::signed();
    let server = site.start();
    let greedy = greedy_health();
    let greedy_digest = onething_model::ids::Digest::of(&greedy).to_string();
    let original = serving_health(&server).await;

    // Signed with health's own key, and refused for the read.
    let (status, v) = upload_health(&site, &server, greedy.clone()).await;
    assert_eq!(status, 422, "{v:#}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("mother.bank_card")
            && detail.contains("no grant gives its department")
            && detail.contains("health/birth-certificate"),
        "{detail}"
    );
    assert_eq!(serving_health(&server).await, original);

    // A register granting it, hot-loaded: the component is admitted.
    let (status, v) = admin_upload(
        &server,
        "/admin/grants",
        grants_with_bank_card().into_bytes(),
        &[("content-type", "application/toml".into())],
    )
    .await;
    assert_eq!(status, 201, "{v:#}");
    let (status, v) = upload_health(&site, &server, greedy.clone()).await;
    assert_eq!(status, 201, "{v:#}");
    assert_eq!(serving_health(&server).await, greedy_digest);
    // The one form says who receives the card, and under which grant.
    let form: Value = client()
        .get(server.url("/api/bundles/newborn/form"))
        .send()
        .await
        .expect("form")
        .json()
        .await
        .expect("json");
    let needed_by = &form["schema"]["properties"]["mother.bank_card"]["x-needed-by"];
    let health_need = needed_by
        .as_array()
        .and_then(|n| n.iter().find(|x| x["step"] == "health/birth-certificate"))
        .unwrap_or_else(|| panic!("health is not named as receiving the card: {needed_by}"));
    assert_eq!(health_need["legal_basis"], "a test's basis");
    assert_eq!(health_need["approved_by"], "市医疗保障局（测试）");

    // The register cannot be rolled back while health needs the grant.
    let (status, v) = admin_post(&server, "/admin/grants/rollback", Value::Null).await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("mother.bank_card"),
        "{v:#}"
    );
    // Health back first, then the register: the greedy version is refused
    // again, by version too.
    let (status, v) = admin_post(&server, "/admin/plugins/health/rollback", Value::Null).await;
    assert_eq!(status, 201, "{v:#}");
    let (status, v) = admin_post(&server, "/admin/grants/rollback", Value::Null).await;
    assert_eq!(status, 201, "{v:#}");
    let (status, v) = admin_post(
        &server,
        "/admin/plugins/health/activate",
        serde_json::json!({ "version": "1.0.7" }),
    )
    .await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        v["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("mother.bank_card"),
        "{v:#}"
    );
    assert_eq!(serving_health(&server).await, original);
    // The register's history says who did what.
    let (status, v) = admin_get(&server, "/admin/grants/versions").await;
    assert_eq!(status, 200, "{v:#}");
    let actions: Vec<&str> = v["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|c| c["action"].as_str())
        .collect();
    assert!(
        actions.ends_with(&["admitted", "activated", "refused", "rolled-back"]),
        "{actions:?}"
    );
    // And the register is public.
    let public: Value = client()
        .get(server.url("/api/grants"))
        .send()
        .await
        .expect("grants")
        .json()
        .await
        .expect("json");
    assert!(public["grants"].as_array().is_some_and(|g| g.len() > 5));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_register_file_is_watched() {
    let site = Site::new();
    let server = site.start();
    let (_, before) = admin_get(&server, "/admin/grants/versions").await;
    let before = before["serving"].as_str().unwrap_or_default().to_owned();
    // Written aside and renamed into place, as the guide says.
    let aside = site.path().join(".grants.toml.new");
    std::fs::write(&aside, grants_with_bank_card()).expect("write");
    std::fs::rename(&aside, site.path().join("grants.toml")).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = admin_get(&server, "/admin/grants/versions").await;
        let now = v["serving"].as_str().unwrap_or_default().to_owned();
        if now != before && !now.is_empty() {
            let last = v["history"].as_array().and_then(|h| h.last()).cloned();
            assert_eq!(
                last.as_ref().map(|c| c["actor"].clone()),
                Some("watcher".into())
            );
            break;
        }
        assert!(Instant::now() < deadline, "the new register was not served");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A broken register is refused, every fault named, and the last one
    // keeps serving.
    std::fs::write(&aside, "[[grants]]\ndepartment = \"health\"\nfields = [\"child.nmae\"]\npurpose = \"\"\nlegal_basis = \"x\"\napproved_by = \"y\"\n").expect("write");
    std::fs::rename(&aside, site.path().join("grants.toml")).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = admin_get(&server, "/admin/changes?kind=grants&refused=true").await;
        if let Some(refusal) = v["changes"].as_array().and_then(|c| c.last()) {
            let reason = refusal["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains("child.nmae") && reason.contains("purpose is empty"),
                "{reason}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broken register was not refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
