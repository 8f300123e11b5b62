//! The data dictionary as a governed, versioned artefact, through the
//! real binary: a version adding a field is hot-loaded and a component
//! reading it is then admitted without a restart; a version removing or
//! breaking what serves is refused naming the bundle and the department;
//! a version string names one text; history, rollback, the public view
//! with groups and owners, the watched file, and a restart that serves
//! what the history says.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Server, Site, admin_get, admin_post, admin_upload, repo};

/// A 16-character key not in the example dictionary, the length of
/// `father.id_number` so it can take its place in health's component.
const NEW_KEY: &str = "father.workplace";

/// Health's real component reading [`NEW_KEY`] where it read
/// `father.id_number`, as version 1.0.8.
fn health_reading_the_new_key() -> Vec<u8> {
    let health = std::fs::read(repo().join("target/plugins/health.wasm")).expect("health.wasm");
    let changed = onething_testing::replaced_once(&health, "father.id_number", NEW_KEY);
    onething_testing::another_version(&changed, "1.0.0", "1.0.8")
}

/// The example dictionary as `version`, with `extra` appended.
fn dictionary(version: &str, extra: &str) -> String {
    let text = std::fs::read_to_string(repo().join("examples/dictionary.toml")).expect("dict");
    let text = text.replacen(
        "version = \"2026.12\"",
        &format!("version = \"{version}\""),
        1,
    );
    assert!(text.contains(version), "the example's version line moved");
    format!("{text}\n{extra}")
}

fn new_field() -> String {
    format!(
        "[fields.\"{NEW_KEY}\"]\ngroup = \"household\"\ntype = \"text\"\nlabel = {{ zh = \"父亲工作单位\", en = \"Father's workplace\" }}\nsensitivity = \"personal\"\nmax_length = 64\n"
    )
}

/// The test register, with health granted [`NEW_KEY`].
fn grants_with_new_key() -> String {
    format!(
        "{}\n[[grants]]\ndepartment = \"health\"\nfields = [\"{NEW_KEY}\"]\npurpose = {{ zh = \"核对父亲信息（测试）\", en = \"Check the father (test)\" }}\nlegal_basis = \"a test's basis\"\napproved_by = \"市公安局（测试）\"\n",
        onething_testing::test_grants()
    )
}

async fn upload_toml(server: &Server, path: &str, text: String) -> (u16, Value) {
    admin_upload(
        server,
        path,
        text.into_bytes(),
        &[("content-type", "application/toml".into())],
    )
    .await
}

async fn upload_component(server: &Server, bytes: Vec<u8>) -> (u16, Value) {
    admin_upload(server, "/admin/plugins", bytes, &[]).await
}

async fn serving(server: &Server, path: &str) -> String {
    let (_, v) = admin_get(server, path).await;
    v["serving"].as_str().unwrap_or_default().to_owned()
}

async fn public_dictionary(server: &Server) -> Value {
    crate::support::client_for_path("/api/dictionary")
        .get(server.url("/api/dictionary"))
        .send()
        .await
        .expect("dictionary")
        .json()
        .await
        .expect("json")
}

fn detail(v: &Value) -> String {
    v["detail"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_added_is_hot_loaded_and_what_reads_it_admitted_without_a_restart() {
    let site = Site::new();
    let mut server = site.start();
    let first = public_dictionary(&server).await;
    assert_eq!(first["version"], "2026.12", "{first:#}");
    let groups = first["groups"].as_array().expect("groups");
    let newborn = groups
        .iter()
        .find(|g| g["id"] == "newborn")
        .expect("a newborn group");
    assert_eq!(newborn["owner"], "health");
    assert!(
        first["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["key"] == "person.id_number" && f["group"] == "person"),
        "general person keys beside the newborn's: {first:#}"
    );
    let health_before = serving(&server, "/admin/plugins/health/versions").await;

    // Not in the dictionary: the component is refused, naming the key.
    let reader = health_reading_the_new_key();
    let (status, v) = upload_component(&server, reader.clone()).await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        detail(&v).contains(NEW_KEY) && detail(&v).contains("not in the data dictionary"),
        "{v:#}"
    );

    // The dictionary with the field, hot-loaded; then its grant; then the
    // component is admitted, all without a restart.
    let (status, v) = upload_toml(
        &server,
        "/admin/dictionary",
        dictionary("2026.12.1", &new_field()),
    )
    .await;
    assert_eq!(status, 201, "{v:#}");
    assert_eq!(v["version"], "2026.12.1");
    assert_eq!(v["active"], true);
    let now = public_dictionary(&server).await;
    assert_eq!(now["version"], "2026.12.1");
    assert!(
        now["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .any(|f| f["key"] == NEW_KEY && f["group"] == "household"),
        "{now:#}"
    );
    let (status, v) = upload_toml(&server, "/admin/grants", grants_with_new_key()).await;
    assert_eq!(status, 201, "{v:#}");
    let (status, v) = upload_component(&server, reader.clone()).await;
    assert_eq!(status, 201, "{v:#}");
    let reader_digest = onething_model::ids::Digest::of(&reader).to_string();
    assert_eq!(
        serving(&server, "/admin/plugins/health/versions").await,
        reader_digest
    );
    // The one form now asks for it, labelled from the new dictionary.
    let form: Value = crate::support::client_for_path("/api/bundles")
        .get(server.url("/api/bundles/newborn/form"))
        .header("accept-language", "en")
        .send()
        .await
        .expect("form")
        .json()
        .await
        .expect("json");
    assert_eq!(
        form["schema"]["properties"][NEW_KEY]["title"], "Father's workplace",
        "{form:#}"
    );

    // Rolling the dictionary back would take the field from health.
    let (status, v) = admin_post(&server, "/admin/dictionary/rollback", Value::Null).await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        detail(&v).contains("department health 1.0.8") && detail(&v).contains(NEW_KEY),
        "{v:#}"
    );

    // A version string names one text.
    let (status, v) = upload_toml(
        &server,
        "/admin/dictionary",
        dictionary("2026.12.1", &format!("{}\n# a comment\n", new_field())),
    )
    .await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        detail(&v).contains("version 2026.12.1 is already stored"),
        "{v:#}"
    );

    // A restart serves what the history says: the new dictionary, then
    // the component reading its field.
    server.kill();
    drop(server);
    let server = site.start();
    assert_eq!(public_dictionary(&server).await["version"], "2026.12.1");
    assert_eq!(
        serving(&server, "/admin/plugins/health/versions").await,
        reader_digest
    );

    // Health back, then the dictionary can go back too; the history says
    // who did what.
    let (status, v) = admin_post(&server, "/admin/plugins/health/rollback", Value::Null).await;
    assert_eq!(status, 201, "{v:#}");
    assert_eq!(
        serving(&server, "/admin/plugins/health/versions").await,
        health_before
    );
    let (status, v) = admin_post(&server, "/admin/grants/rollback", Value::Null).await;
    assert_eq!(status, 201, "{v:#}");
    let (status, v) = admin_post(&server, "/admin/dictionary/rollback", Value::Null).await;
    assert_eq!(status, 201, "{v:#}");
    assert_eq!(public_dictionary(&server).await["version"], "2026.12");
    let (status, v) = admin_get(&server, "/admin/dictionary/versions").await;
    assert_eq!(status, 200, "{v:#}");
    let actions: Vec<&str> = v["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|c| c["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "admitted",
            "activated",
            "admitted",
            "activated",
            "refused",
            "refused",
            "rolled-back"
        ],
        "{v:#}"
    );
    // And forward again by its declared version.
    let (status, v) = admin_post(
        &server,
        "/admin/dictionary/activate",
        serde_json::json!({ "version": "2026.12.1" }),
    )
    .await;
    assert_eq!(status, 201, "{v:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_version_that_breaks_what_serves_is_refused_naming_it() {
    let site = Site::new();
    let server = site.start();
    let before = serving(&server, "/admin/dictionary/versions").await;

    // child.name removed: the newborn bundle needs it, health and public
    // security use it.
    let example = dictionary("2026.12.2", "");
    let start = example.find("[fields.\"child.name\"]").expect("child.name");
    let end = start + example[start..].find("\n\n").expect("entry end");
    let without = format!("{}{}", &example[..start], &example[end..]);
    let (status, v) = upload_toml(&server, "/admin/dictionary", without).await;
    assert_eq!(status, 422, "{v:#}");
    let d = detail(&v);
    assert!(d.contains("bundle newborn needs child.name"), "{d}");
    assert!(d.contains("department health"), "{d}");
    assert!(
        d.contains("the grants register would no longer load"),
        "{d}"
    );

    // A type changed in a breaking way, named as such.
    let retyped = dictionary("2026.12.3", "").replacen(
        "[fields.\"child.birth_date\"]\ngroup = \"newborn\"\ntype = \"date\"",
        "[fields.\"child.birth_date\"]\ngroup = \"newborn\"\ntype = \"text\"",
        1,
    );
    assert!(retyped.contains("type = \"text\""));
    let (status, v) = upload_toml(&server, "/admin/dictionary", retyped).await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        detail(&v).contains("child.birth_date, which it changes in a breaking way"),
        "{v:#}"
    );

    // A malformed one: the fault named, nothing changed.
    let ungrouped = dictionary(
        "2026.12.4",
        "[fields.\"pupil.class\"]\ntype = \"text\"\nlabel = { zh = \"班级\", en = \"Class\" }\nsensitivity = \"personal\"\n",
    );
    let (status, v) = upload_toml(&server, "/admin/dictionary", ungrouped).await;
    assert_eq!(status, 422, "{v:#}");
    assert!(
        detail(&v).contains("pupil.class") && detail(&v).contains("names no group"),
        "{v:#}"
    );
    assert_eq!(serving(&server, "/admin/dictionary/versions").await, before);
    assert_eq!(public_dictionary(&server).await["version"], "2026.12");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dictionary_file_is_watched() {
    let site = Site::new();
    let server = site.start();
    let aside = site.path().join(".dictionary.toml.new");
    std::fs::write(&aside, dictionary("2026.12.5", &new_field())).expect("write");
    std::fs::rename(&aside, site.path().join("dictionary.toml")).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if public_dictionary(&server).await["version"] == "2026.12.5" {
            let (_, v) = admin_get(&server, "/admin/dictionary/versions").await;
            let last = v["history"].as_array().and_then(|h| h.last()).cloned();
            assert_eq!(
                last.as_ref().map(|c| c["actor"].clone()),
                Some("watcher".into()),
                "{v:#}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new dictionary was not served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A broken one is refused, the fault recorded; the last keeps serving.
    std::fs::write(&aside, dictionary("2026.12.6", "[groups.x]\n")).expect("write");
    std::fs::rename(&aside, site.path().join("dictionary.toml")).expect("rename");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, v) = admin_get(&server, "/admin/changes?kind=dictionary&refused=true").await;
        if let Some(refusal) = v["changes"].as_array().and_then(|c| c.last()) {
            let reason = refusal["reason"].as_str().unwrap_or_default();
            assert!(reason.contains("groups"), "{reason}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the broken dictionary was not refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(public_dictionary(&server).await["version"], "2026.12.5");
}

#[test]
fn a_proposal_is_checked_offline_naming_its_owners_and_what_it_breaks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let good = tmp.path().join("good.toml");
    std::fs::write(&good, dictionary("2026.12.7", &new_field())).expect("write");
    let out = crate::cli::onething(&["dictionary", "check", good.to_str().expect("utf-8")]);
    let text = crate::cli::stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        crate::cli::stderr(&out)
    );
    assert!(
        text.contains(&format!(
            "+ field {NEW_KEY} (group household, owner public-security)"
        )),
        "{text}"
    );
    assert!(
        text.contains("approval needed from the owners: public-security"),
        "{text}"
    );
    assert!(text.contains("it can serve"), "{text}");

    let bad = tmp.path().join("bad.toml");
    let retyped = dictionary("2026.12.8", "").replacen(
        "[fields.\"mother.insured\"]\ngroup = \"social-insurance\"\ntype = \"boolean\"",
        "[fields.\"mother.insured\"]\ngroup = \"social-insurance\"\ntype = \"text\"",
        1,
    );
    assert!(retyped.contains("\"mother.insured\"]\ngroup = \"social-insurance\"\ntype = \"text\""));
    std::fs::write(&bad, retyped).expect("write");
    let out = crate::cli::onething(&[
        "dictionary",
        "check",
        "--json",
        bad.to_str().expect("utf-8"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", crate::cli::stderr(&out));
    let report: Value = serde_json::from_str(&crate::cli::stdout(&out)).expect("json");
    assert_eq!(report["from"], "2026.12");
    assert_eq!(report["to"], "2026.12.8");
    assert_eq!(report["owners"], serde_json::json!(["hr-social-security"]));
    assert_eq!(report["changes"][0]["breaking"], true, "{report:#}");
    let faults = report["faults"].as_array().expect("faults");
    assert!(
        faults.iter().any(|f| f
            .as_str()
            .is_some_and(|f| f.contains("department medical-insurance"))),
        "{report:#}"
    );

    // Not a dictionary at all: an error naming the file, exit 2.
    let broken = tmp.path().join("broken.toml");
    std::fs::write(&broken, "version = 3\n").expect("write");
    let out = crate::cli::onething(&["dictionary", "check", broken.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        crate::cli::stderr(&out).contains("broken.toml"),
        "{}",
        crate::cli::stderr(&out)
    );
}
