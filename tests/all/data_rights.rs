//! Who may see what (issue 11), through the real binary: the data-sharing
//! register bounds what a department may read, hot-loaded and rolled back
//! like a bundle.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Server, Site, admin_get, admin_post, admin_upload, repo};

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
    let form: Value = crate::support::client_for_path("/api/bundles")
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
    let public: Value = crate::support::client_for_path("/api/grants")
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

// ---- identity, scoping, roles, least exposure, reads on the record -----

use crate::support::{
    DEFAULT_ID, TOKEN, client, client_with, officer_token, owner_client, prepared, submit,
    token_of, wait_for,
};

/// The applicant routes of one application, as (method, path, body).
fn owners_routes(id: &str) -> Vec<(reqwest::Method, String, Option<Value>)> {
    use reqwest::Method;
    vec![
        (Method::GET, format!("/api/applications/{id}"), None),
        (Method::GET, format!("/api/applications/{id}/events"), None),
        (
            Method::PATCH,
            format!("/api/applications/{id}"),
            Some(serde_json::json!({ "fields": {} })),
        ),
        (
            Method::GET,
            format!("/api/applications/{id}/data-flows"),
            None,
        ),
        (
            Method::GET,
            format!("/api/applications/{id}/materials/marriage-certificate"),
            None,
        ),
    ]
}

async fn call(
    server: &Server,
    c: &reqwest::Client,
    (method, path, body): &(reqwest::Method, String, Option<Value>),
) -> (u16, Option<String>, String) {
    let mut req = c.request(method.clone(), server.url(path));
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, challenge, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_are_verified_and_applications_belong_to_their_owner() {
    use onething_identity::dev::{DEV_AUDIENCE, DEV_ISSUER, DevIssuer};
    let site = Site::new();
    let server = site.start();
    let doc = prepared(&server, "newborn.json").await;
    let id = submit(&server, &doc).await;
    wait_for(&server, &id, &["completed"]).await;
    let mut routes = owners_routes(&id);
    routes.push((
        reqwest::Method::POST,
        "/api/applications".into(),
        Some(doc.clone()),
    ));
    routes.push((
        reqwest::Method::POST,
        "/api/bundles/newborn/check".into(),
        Some(doc.clone()),
    ));
    routes.push((
        reqwest::Method::POST,
        "/api/bundles/newborn/prefill".into(),
        Some(serde_json::json!({ "fields": {} })),
    ));
    // Without a token: 401, with a challenge.
    for route in &routes {
        let (status, challenge, body) = call(&server, &client(), route).await;
        assert_eq!(
            status, 401,
            "{} {} without a token: {body}",
            route.0, route.1
        );
        assert!(
            challenge.is_some_and(|c| c.starts_with("Bearer")),
            "{}",
            route.1
        );
        assert!(body.contains("bearer token is needed"), "{body}");
    }
    // Each wrong token: 401 naming why.
    let issuer = crate::support::issuer();
    let now = chrono::Utc::now().timestamp();
    let claims = |k: &str, v: Value| {
        let mut c = serde_json::json!({"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": "person-x", "id_number": DEFAULT_ID, "exp": now + 600});
        c[k] = v;
        issuer.sign(&c).expect("sign")
    };
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = DevIssuer::create(other_dir.path()).expect("issuer");
    let good = token_of(DEFAULT_ID);
    let parts: Vec<&str> = good.split('.').collect();
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
    };
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(&serde_json::json!({"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": "person-y", "exp": now + 600}).to_string()),
        parts[2]
    );
    let unsigned = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let wrong: Vec<(&str, String, &str)> = vec![
        ("expired", claims("exp", (now - 3600).into()), "expired"),
        (
            "another audience",
            claims("aud", "another-service".into()),
            "audience",
        ),
        (
            "another issuer",
            claims("iss", "https://elsewhere.invalid".into()),
            "issuer",
        ),
        (
            "an unknown key",
            other
                .mint(
                    &onething_identity::dev::TokenClaims {
                        subject: "x".into(),
                        ..Default::default()
                    },
                    Duration::from_secs(60),
                )
                .expect("mint"),
            "no trusted issuer publishes",
        ),
        ("alg none", unsigned, "algorithm"),
        ("a tampered payload", tampered, "signature does not verify"),
    ];
    for (what, token, why) in &wrong {
        let (status, challenge, body) = call(&server, &client_with(token), &routes[0]).await;
        assert_eq!(status, 401, "{what}: {body}");
        assert!(body.contains(why), "{what}: {why:?} not in {body}");
        assert!(
            challenge.is_some_and(|c| c.contains("invalid_token")),
            "{what}"
        );
    }
    // Another applicant's valid token: 404 on every route of the owner's
    // application, as if it did not exist.
    let stranger = client_with(&token_of("11010519491231002X"));
    for route in owners_routes(&id) {
        let (status, _, body) = call(&server, &stranger, &route).await;
        assert_eq!(status, 404, "{} {}: {body}", route.0, route.1);
    }
    // The owner reads it all, the material included.
    for route in owners_routes(&id) {
        let (status, _, body) = call(&server, &owner_client(&id), &route).await;
        assert!(
            status == 200 || (route.0 == reqwest::Method::PATCH && status == 409),
            "{} {}: {status} {body}",
            route.0,
            route.1
        );
    }
    // A material someone else uploaded cannot be referenced by another.
    let mut theirs = doc.clone();
    theirs["fields"]["mother.id_number"] = serde_json::json!("11010519491231002X");
    let r = stranger
        .post(server.url("/api/applications"))
        .json(&theirs)
        .send()
        .await
        .expect("submit");
    let body: Value = r.json().await.expect("json");
    assert!(
        body.to_string().contains("has not been uploaded"),
        "another's materials are unknown to them: {body:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prefill_is_bound_to_the_person_and_rate_limited() {
    let site = Site::with_settings(
        "[rate_limits]\nper_subject_per_minute = 30\nper_address_per_minute = 100000\nburst = 10\n",
        "",
    );
    let server = site.start();
    let consents = || crate::support::count(&site.db(), "SELECT COUNT(*) FROM consents");
    let consent = serde_json::json!({ "departments": ["public-security"], "fields": ["household.head_name", "household.address"] });
    let mother = client_with(&token_of(DEFAULT_ID));
    // Keyed by someone else's ID: refused, naming the field; no consent row.
    let r = mother
        .post(server.url("/api/bundles/newborn/prefill"))
        .json(&serde_json::json!({ "consent": consent, "fields": { "mother.id_number": "11010519491231002X" } }))
        .send()
        .await
        .expect("prefill");
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.expect("json");
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("mother.id_number")),
        "{body:#}"
    );
    assert_eq!(consents(), 0, "no consent row for a refused prefill");
    // Keyed by her own: answered, and the consent names her.
    let r = mother
        .post(server.url("/api/bundles/newborn/prefill"))
        .json(&serde_json::json!({ "consent": consent, "fields": { "mother.id_number": DEFAULT_ID } }))
        .send()
        .await
        .expect("prefill");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let owner: String = site
        .db()
        .query_row("SELECT body FROM consents", [], |r| r.get(0))
        .expect("consent");
    assert!(
        owner.contains(&crate::support::subject_of(DEFAULT_ID)),
        "{owner}"
    );
    // An officer or an operator is no applicant.
    let r = client_with(&officer_token("wang", "tax"))
        .post(server.url("/api/bundles/newborn/prefill"))
        .json(&serde_json::json!({ "consent": consent, "fields": {} }))
        .send()
        .await
        .expect("prefill");
    assert_eq!(r.status(), 403);
    // 200 rapid prefills from one person meet 429s, with Retry-After.
    let mut limited = 0;
    for _ in 0..200 {
        let r = mother
            .post(server.url("/api/bundles/newborn/prefill"))
            .json(&serde_json::json!({ "consent": consent, "fields": { "mother.id_number": DEFAULT_ID } }))
            .send()
            .await
            .expect("prefill");
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            let body: Value = r.json().await.expect("json");
            assert!(
                body["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("rate_limits.per_subject_per_minute")),
                "{body:#}"
            );
            limited += 1;
        }
    }
    assert!(limited >= 150, "{limited} of 200 were limited");
    // Another person is not held back by her.
    let r = client_with(&token_of("11010519491231002X"))
        .post(server.url("/api/bundles/newborn/check"))
        .json(&serde_json::json!({ "bundle": "newborn" }))
        .send()
        .await
        .expect("check");
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn officers_and_operators_see_what_their_role_allows_and_are_on_the_record() {
    let site = Site::with_settings(
        "[[operators]]\nname = \"watcher-on-duty\"\ntoken = \"viewer-only-token-0123456789\"\nroles = [\"viewer\"]\n",
        "",
    );
    let server = site.start();
    // A business start-up (tax has a step) and a parked testkit item.
    let business = prepared(&server, "business-startup.json").await;
    let id = submit(&server, &business).await;
    wait_for(&server, &id, &["completed"]).await;
    let parked = submit(
        &server,
        &serde_json::json!({ "bundle": "testkit-deferred" }),
    )
    .await;
    wait_for(&server, &parked, &["manual"]).await;
    let tax = client_with(&officer_token("wang", "tax"));

    // The tax officer's queue holds no other department's item, and they
    // resolve only tax's steps.
    let queue: Value = tax
        .get(server.url("/admin/manual-queue"))
        .send()
        .await
        .expect("queue")
        .json()
        .await
        .expect("json");
    assert_eq!(queue["depth"], 0, "{queue:#}");
    let r = tax
        .post(server.url(&format!(
            "/admin/applications/{parked}/steps/testkit/deferred/resolve"
        )))
        .json(&serde_json::json!({ "decision": "approve" }))
        .send()
        .await
        .expect("resolve");
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("only tax's steps")
    );
    // Nor does an officer publish.
    let r = tax
        .post(server.url("/admin/plugins/tax/rollback"))
        .send()
        .await
        .expect("rollback");
    assert_eq!(r.status(), 403);

    // A viewer operator reads but does not publish.
    let viewer = client_with("viewer-only-token-0123456789");
    let r = viewer
        .post(server.url("/admin/plugins/health/activate"))
        .json(&serde_json::json!({ "version": "1.0.0" }))
        .send()
        .await
        .expect("activate");
    assert_eq!(r.status(), 403);
    assert!(
        r.text()
            .await
            .unwrap_or_default()
            .contains("needs the role publisher"),
    );

    // What each sees of the application's values.
    let events = |c: reqwest::Client| {
        let url = server.url(&format!("/api/applications/{id}/events"));
        async move {
            c.get(url)
                .send()
                .await
                .expect("events")
                .text()
                .await
                .expect("text")
        }
    };
    let legal_rep_id = business["fields"]["legal_rep.id_number"]
        .as_str()
        .expect("id");
    let legal_rep_phone = business["fields"]["legal_rep.phone"]
        .as_str()
        .expect("phone");
    let owners = events(owner_client(&id)).await;
    assert!(owners.contains(legal_rep_id) && owners.contains(legal_rep_phone));
    // Tax reads the legal representative's ID (its grant), not the phone.
    let taxs = events(tax.clone()).await;
    assert!(
        taxs.contains(legal_rep_id),
        "tax reads the ID it is granted"
    );
    assert!(
        !taxs.contains(legal_rep_phone),
        "the phone is masked for tax"
    );
    // The operator sees neither in clear.
    let viewers = events(viewer.clone()).await;
    for clear in [legal_rep_id, legal_rep_phone] {
        if let Some(at) = viewers.find(clear) {
            panic!(
                "{clear} in clear for the operator: …{}…",
                &viewers[at.saturating_sub(300)..(at + 50).min(viewers.len())]
            );
        }
    }
    let masked_tail = &legal_rep_id[legal_rep_id.len() - 4..];
    assert!(
        viewers.contains(&format!("**************{masked_tail}")),
        "masked, not dropped"
    );
    let status: Value = viewer
        .get(server.url(&format!("/api/applications/{id}")))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("json");
    let uscc_owner =
        crate::support::status(&server, &id).await["outputs"]["enterprise.uscc"].clone();
    assert!(uscc_owner.is_string());

    // Every one of those reads is on the owner's record.
    let flows: Value = owner_client(&id)
        .get(server.url(&format!("/api/applications/{id}/data-flows")))
        .send()
        .await
        .expect("flows")
        .json()
        .await
        .expect("json");
    let readers: Vec<&str> = flows["reads"]
        .as_array()
        .expect("reads")
        .iter()
        .filter_map(|r| r["by"].as_str())
        .collect();
    assert!(
        readers
            .iter()
            .any(|r| r.contains("wang") && r.contains("tax")),
        "{readers:?}"
    );
    assert!(readers.contains(&"watcher-on-duty"), "{readers:?}");
    let tax_read = flows["reads"]
        .as_array()
        .expect("reads")
        .iter()
        .find(|r| r["by"].as_str().is_some_and(|b| b.contains("tax")))
        .expect("tax's read");
    assert!(
        tax_read["fields"]
            .as_array()
            .is_some_and(|f| f.iter().any(|k| k == "legal_rep.id_number")),
        "{tax_read:#}"
    );
    let _ = (status, TOKEN);
}
