//! End-to-end tests through the real `onething` binary: the commands an
//! integrator types, their output and their exit codes.

use std::process::{Command, Output};

use onething_testing::repo;

pub(crate) fn onething(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onething"))
        .current_dir(repo())
        .args(args)
        .output()
        .expect("the binary runs")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn run_json(app: &str) -> (Option<i32>, serde_json::Value) {
    let out = onething(&["run", "--today", "2026-11-28", "--json", app]);
    let report = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!(
            "--json prints JSON ({e}); stdout: {} stderr: {}",
            stdout(&out),
            stderr(&out)
        )
    });
    (out.status.code(), report)
}

#[test]
fn both_sample_bundles_complete_with_exit_code_zero() {
    for app in [
        "examples/applications/newborn.json",
        "examples/applications/business-startup.json",
    ] {
        let (code, report) = run_json(app);
        assert_eq!(report["status"], "completed", "{app}: {report:#}");
        assert_eq!(code, Some(0), "{app}");
        let steps = report["steps"].as_array().expect("steps");
        assert!(steps.len() >= 4, "{app}: every step is reported");
        assert!(
            steps
                .iter()
                .all(|s| s["status"] == "approved" || s["status"] == "skipped"),
            "{report:#}"
        );
        assert!(steps.iter().filter(|s| s["status"] == "approved").all(|s| {
            s["plugin_digest"]
                .as_str()
                .is_some_and(|d| d.starts_with("sha256:"))
        }));
    }
}

#[test]
fn the_needs_more_sample_lists_all_its_problems_and_exits_one() {
    let (code, report) = run_json("examples/applications/newborn-needs-more.json");
    assert_eq!(report["status"], "needs-more", "{report:#}");
    assert_eq!(code, Some(1));
    let problems = report["problems"].as_array().expect("problems");
    assert!(problems.len() >= 3, "{report:#}");
}

#[test]
fn progress_is_printed_step_by_step() {
    let out = onething(&[
        "run",
        "--today",
        "2026-11-28",
        "examples/applications/newborn.json",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for needle in [
        "health/birth-certificate",
        "public-security/household-registration",
        "COMPLETED",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn form_prints_schema_materials_and_notification() {
    let out = onething(&["form", "--json", "examples/bundles/newborn.toml"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(v["schema"]["type"], "object");
    assert!(
        v["schema"]["properties"]["mother.id_number"].is_object(),
        "{v:#}"
    );
    assert!(
        v["schema"]["properties"].get("child.id_number").is_none(),
        "issued fields are not in the form"
    );
    assert!(!v["materials"].as_array().expect("materials").is_empty());
    // In Chinese unless asked otherwise, and wholly in the language asked.
    let zh = v["notification"].as_str().expect("notification");
    assert!(zh.contains("填写事项") && !zh.contains("Fields"), "{zh}");
    assert_eq!(
        v["schema"]["properties"]["child.name"]["title"],
        "新生儿姓名"
    );
    let out = onething(&[
        "form",
        "--json",
        "--lang",
        "en",
        "examples/bundles/newborn.toml",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let en = v["notification"].as_str().expect("notification");
    assert!(en.contains("Fields") && !en.contains("填写事项"), "{en}");
    assert_eq!(
        v["schema"]["properties"]["child.name"]["title"],
        "Newborn's name"
    );
    assert!(
        v["materials"][0]["label"].is_string(),
        "labels in the language asked: {v:#}"
    );
    let out = onething(&["form", "--lang", "fr", "examples/bundles/newborn.toml"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("not a language served: zh or en"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn plugin_check_prints_the_manifest() {
    let out = onething(&["plugin", "check", "target/plugins/health.wasm"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("department health") && text.contains("birth-certificate"),
        "{text}"
    );
}

#[test]
fn plugin_check_refuses_a_corrupted_file_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("broken.wasm");
    let mut bytes = std::fs::read(repo().join("target/plugins/health.wasm")).expect("read");
    bytes.truncate(bytes.len() / 3);
    std::fs::write(&bad, bytes).expect("write");
    let out = onething(&["plugin", "check", bad.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("broken.wasm") && err.contains("not a valid component"),
        "{err}"
    );
}

#[test]
fn plugin_check_refuses_the_wrong_world() {
    let out = onething(&["plugin", "check", "target/test-components/wrong-world.wasm"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("onething:matter/handler@0.1.0"), "{err}");
}

#[test]
fn a_malformed_application_is_refused_with_its_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\"bundle\": \"newborn\", \"fields\": {\"child.name\": }",
    )
    .expect("write");
    let out = onething(&["run", bad.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.json") && err.contains("line 1"), "{err}");
    std::fs::write(&bad, "{\"bundle\": \"newborn\", \"feilds\": {}}").expect("write");
    let out = onething(&["run", bad.to_str().expect("utf-8")]);
    assert!(stderr(&out).contains("feilds"), "{}", stderr(&out));
}

#[test]
fn an_unknown_bundle_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = dir.path().join("app.json");
    std::fs::write(&app, "{\"bundle\": \"no-such-bundle\", \"fields\": {}}").expect("write");
    let out = onething(&["run", app.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no-such-bundle") && err.contains("newborn"),
        "{err}"
    );
}

#[test]
fn a_bundle_directory_with_a_cycle_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("circular.toml"),
        r#"
id = "circular"
title = { zh = "循环", en = "Circular" }
description = { zh = "循环", en = "Circular" }
time_limit_hours = 1
[[steps]]
department = "health"
step = "birth-certificate"
after = ["public-security/household-registration"]
[[steps]]
department = "public-security"
step = "household-registration"
after = ["health/birth-certificate"]
"#,
    )
    .expect("write");
    let out = onething(&[
        "run",
        "--bundles",
        dir.path().to_str().expect("utf-8"),
        "examples/applications/newborn.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("circular.toml") && err.contains("cycle"),
        "{err}"
    );
}

#[test]
fn signatures_are_checked_against_the_departments_keys() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().to_str().expect("utf-8").to_owned();
    for name in ["health", "tax"] {
        let out = onething(&["plugin", "keygen", "--name", name, "--out", &d]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let component = dir.path().join("health.wasm");
    std::fs::copy(repo().join("target/plugins/health.wasm"), &component).expect("copy");
    let c = component.to_str().expect("utf-8").to_owned();
    let trust = [format!("health={d}/health.pub"), format!("tax={d}/tax.pub")];
    let check = |extra: &[&str]| {
        let mut args = vec![
            "plugin",
            "check",
            c.as_str(),
            "--trust",
            trust[0].as_str(),
            "--trust",
            trust[1].as_str(),
        ];
        args.extend_from_slice(extra);
        onething(&args)
    };
    // Unsigned.
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not signed"), "{}", stderr(&out));
    // Signed by its own department.
    let out = onething(&["plugin", "sign", &c, "--key", &format!("{d}/health.key")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = check(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Signed with another department's key.
    let out = onething(&["plugin", "sign", &c, "--key", &format!("{d}/tax.key")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("signed with the key of tax"),
        "{}",
        stderr(&out)
    );
    // Tampered after signing.
    onething(&["plugin", "sign", &c, "--key", &format!("{d}/health.key")]);
    let mut bytes = std::fs::read(&component).expect("read");
    bytes.push(0);
    std::fs::write(&component, bytes).expect("write");
    let out = check(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not valid for any trusted key"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_with_the_services_config_requires_signatures_as_serve_does() {
    let site = crate::support::Site::signed();
    let config = site.path().join("onething.toml");
    let c = config.to_str().expect("utf-8").to_owned();
    let run = || {
        onething(&[
            "run",
            "--config",
            &c,
            "--today",
            "2026-11-28",
            "examples/applications/newborn.json",
        ])
    };
    let out = run();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("COMPLETED"), "{}", stdout(&out));
    // Health signed with tax's key: refused, as the service refuses it.
    let health = site.path().join("plugins/health.wasm");
    let bytes = std::fs::read(&health).expect("read");
    std::fs::write(
        site.path().join("plugins/health.wasm.sig"),
        site.sign("tax", &bytes),
    )
    .expect("write sig");
    let out = run();
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("signed with the key of tax"),
        "{}",
        stderr(&out)
    );
    // Unsigned: refused, naming the signature file looked for.
    std::fs::remove_file(site.path().join("plugins/health.wasm.sig")).expect("rm");
    let out = run();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not signed"), "{}", stderr(&out));
    // The same components without a config: signatures are not required.
    let out = onething(&[
        "run",
        "--plugins",
        site.path().join("plugins").to_str().expect("utf-8"),
        "--grants",
        site.path().join("grants.toml").to_str().expect("utf-8"),
        "--today",
        "2026-11-28",
        "examples/applications/newborn.json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Item 27 of the hardening review: `onething init` (what `cargo xtask
/// demo` runs) sets up a service whose operator API works at once: the
/// token it wrote opens `/admin`, components must be signed and are, and
/// a second `init` into the same directory is refused, changing nothing.
#[tokio::test(flavor = "multi_thread")]
async fn item_27_init_sets_up_an_operator_and_signed_components() {
    use crate::support::{Server, client};

    let tmp = tempfile::tempdir().expect("tempdir");
    // Without running systems, init makes their credentials and says how
    // to serve them; the departments' credentials are each in a file.
    let alone = tmp.path().join("alone");
    let out = onething(&["init", &alone.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!(
            "onething systems serve --listen 127.0.0.1:8090 --credentials {}/systems.toml",
            alone.display()
        )),
        "{}",
        stdout(&out)
    );
    let made = onething_systems::SystemsConfig::from_toml(
        &std::fs::read_to_string(alone.join("systems.toml")).expect("systems.toml"),
    )
    .expect("the systems' credentials");
    let household = std::fs::read_to_string(alone.join("secrets/systems/household.token"))
        .expect("the household credential");
    assert_eq!(
        Some(household.trim()),
        made.credential(onething_systems::System::Household)
    );
    let alone_config = std::fs::read_to_string(alone.join("onething.toml")).expect("config");
    assert!(
        alone_config.contains("base_url = \"http://127.0.0.1:8090/household/v1\"")
            && !alone_config.contains(household.trim()),
        "{alone_config}"
    );

    // Wired to running systems: a served site completes.
    let shared = crate::world::fresh_systems();
    let credentials = tmp.path().join("shared-systems.toml");
    std::fs::write(&credentials, shared.config.to_toml()).expect("credentials");
    let site = tmp.path().join("site");
    let site_arg = site.display().to_string();
    let out = onething(&[
        "init",
        &site_arg,
        "--systems",
        &shared.base,
        "--systems-credentials",
        &credentials.display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        !site.join("systems.toml").exists(),
        "the running systems' credentials are theirs"
    );
    let printed = stdout(&out);
    assert!(
        printed.contains("operator-token") && printed.contains("/admin/plugins"),
        "{printed}"
    );
    let token = std::fs::read_to_string(site.join("operator-token")).expect("token");
    let token = token.trim();
    assert_eq!(token.len(), 64, "32 random bytes as hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        for private in [
            "operator-token",
            "onething.toml",
            "keys/health.key",
            "keys/audit.key",
            "secrets/systems/household.token",
            "../alone/systems.toml",
        ] {
            let mode = std::fs::metadata(site.join(private))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{private} is owner-only: {mode:o}");
        }
    }
    let config = std::fs::read_to_string(site.join("onething.toml")).expect("config");

    // A second init changes nothing.
    let again = onething(&["init", &site_arg]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("is not empty"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(site.join("onething.toml")).expect("config"),
        config
    );
    assert_eq!(
        std::fs::read_to_string(site.join("operator-token"))
            .expect("token")
            .trim(),
        token
    );

    // Bad input is refused before anything is written.
    let empty = tmp.path().join("no-components");
    std::fs::create_dir(&empty).expect("mkdir");
    let never = tmp.path().join("never");
    let refused = onething(&[
        "init",
        &never.display().to_string(),
        "--plugins",
        &empty.display().to_string(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("holds no components"),
        "{}",
        stderr(&refused)
    );
    assert!(!never.exists(), "nothing written for a refused init");

    let server = Server::start_at(&site);
    let c = client();
    let r = c
        .get(server.url("/admin/plugins"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 401, "no token, no admin");
    let r = c
        .get(server.url("/admin/plugins"))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.expect("json");
    let listed = body.to_string();
    for department in ["health", "public-security", "tax"] {
        assert!(
            listed.contains(department),
            "{department} is served: {body:#}"
        );
    }
    // Signatures are required: the same component unsigned is refused,
    // signed with its department's key it is the version serving.
    let bytes = std::fs::read(site.join("plugins/health.wasm")).expect("component");
    let signature = std::fs::read_to_string(site.join("plugins/health.wasm.sig")).expect("sig");
    let upload = |signature: Option<&str>| {
        let mut request = c
            .post(server.url("/admin/plugins"))
            .bearer_auth(token)
            .header("content-type", "application/wasm")
            .body(bytes.clone());
        if let Some(s) = signature {
            request = request.header("onething-signature", s.trim());
        }
        request.send()
    };
    let r = upload(None).await.expect("post");
    assert_eq!(r.status(), 422);
    let body: serde_json::Value = r.json().await.expect("json");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("sign")),
        "{body:#}"
    );
    let r = upload(Some(&signature)).await.expect("post");
    assert_eq!(r.status(), 200, "already serving");
    // Its development issuer mints an applicant's token, which submits.
    let minted = onething(&[
        "identity",
        "token",
        "--issuer",
        &format!("{site_arg}/dev-issuer"),
        "--subject",
        "mother-1",
        "--id-number",
        "350203199003071527",
    ]);
    assert!(minted.status.success(), "{}", stderr(&minted));
    let applicant = stdout(&minted).trim().to_owned();
    let submitted = std::process::Command::new(env!("CARGO_BIN_EXE_onething"))
        .args(["submit", "--follow", "--server", &server.base])
        .arg(crate::support::repo().join("examples/applications/newborn.json"))
        .env("ONETHING_TOKEN", &applicant)
        .output()
        .expect("onething submit");
    assert!(
        submitted.status.success(),
        "{}{}",
        stdout(&submitted),
        stderr(&submitted)
    );
    assert!(
        stdout(&submitted).contains("completed"),
        "{}",
        stdout(&submitted)
    );
    // Its audit log is signed with the host key init made.
    let verified = onething(&[
        "audit",
        "verify",
        "--config",
        &format!("{site_arg}/onething.toml"),
    ]);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("signed by the host's key"),
        "{}",
        stdout(&verified)
    );
}
