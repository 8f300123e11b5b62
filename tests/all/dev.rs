//! `onething dev` through the real binary, on a project `onething plugin
//! new` made: one round builds it, hot-loads it into a running service
//! and passes its cases; watching, an edit starts a new round that
//! serves the new version, a wrong expectation fails the round, and a
//! second build under a served version is refused with the hint.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{Server, Site, TOKEN, admin_get, repo};

const DEPARTMENT: &str = "dev-loop-department";

/// A fresh project in `dir`, with the plugins' lock file (no new
/// downloads).
fn project(dir: &Path) -> PathBuf {
    let project = dir.join(DEPARTMENT);
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .current_dir(repo())
        .args(["plugin", "new", DEPARTMENT, "--dir"])
        .arg(&project)
        .output()
        .expect("plugin new");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::copy(
        repo().join("plugins/Cargo.lock"),
        project.join("Cargo.lock"),
    )
    .expect("lock");
    project
}

/// `onething dev` in the environment a department's shell would give
/// it, its builds in a target directory the test runs share.
fn dev(project: &Path, server: &Server, token_file: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_onething"));
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        c.env_remove(var);
    }
    c.env("CARGO_TARGET_DIR", repo().join("target/dev-loop"))
        .env(
            "ONETHING_DICTIONARY",
            repo().join("examples/dictionary.toml"),
        )
        .arg("dev")
        .arg(project)
        .args(["--debounce-ms", "200", "--host", &server.url("")])
        .arg("--token-file")
        .arg(token_file);
    c
}

/// A site whose register grants the new department what it reads.
fn site_granting_the_department() -> Site {
    let site = Site::new();
    let grants = site.path().join("grants.toml");
    let mut text = std::fs::read_to_string(&grants).expect("grants");
    text.push_str(&format!(
        "\n[[grants]]\ndepartment = \"{DEPARTMENT}\"\nfields = [\"enterprise.uscc\", \"enterprise.name\"]\npurpose = {{ zh = \"备案（测试）\", en = \"Filing (test)\" }}\nlegal_basis = \"a test's basis\"\napproved_by = \"市场监管局（测试）\"\n"
    ));
    std::fs::write(&grants, text).expect("write grants");
    site
}

async fn serving_version(server: &Server) -> String {
    let (_, v) = admin_get(server, &format!("/admin/plugins/{DEPARTMENT}/versions")).await;
    let serving = v["serving"].as_str().unwrap_or_default().to_owned();
    v["versions"]
        .as_array()
        .and_then(|vs| vs.iter().find(|x| x["digest"] == serving.as_str()))
        .and_then(|x| x["version"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Lines of `child`'s stdout until one contains `wanted` (within
/// `within`); every line read, for the failure message.
fn until(lines: &mpsc::Receiver<String>, wanted: &str, within: Duration, seen: &mut Vec<String>) {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let hit = line.contains(wanted);
                seen.push(line);
                if hit {
                    return;
                }
            }
            Err(_) => panic!(
                "no line with {wanted:?} within {within:?}:\n{}",
                seen.join("\n")
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_round_builds_hot_loads_and_passes_and_an_edit_starts_another() {
    let tmp = tempfile::tempdir().expect("tmp");
    let project = project(tmp.path());
    let site = site_granting_the_department();
    let server = site.start();
    let token_file = tmp.path().join("token");
    std::fs::write(&token_file, TOKEN).expect("token");

    // One round.
    let out = dev(&project, &server, &token_file)
        .arg("--once")
        .output()
        .expect("onething dev --once");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("hot-loaded: {DEPARTMENT} 0.1.0 now serving")),
        "{text}"
    );
    assert!(text.contains("3 case(s): 3 passed, 0 failed"), "{text}");
    assert!(text.contains("✓ round"), "{text}");
    assert_eq!(serving_version(&server).await, "0.1.0");

    // Watching: an edit (a new version) is built, served and tested.
    let mut child = dev(&project, &server, &token_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("onething dev");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let minutes = Duration::from_secs(240);
    until(&lines, "watching", minutes, &mut seen);
    let manifest = project.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).expect("Cargo.toml");
    std::fs::write(
        &manifest,
        text.replacen("version = \"0.1.0\"", "version = \"0.1.1\"", 1),
    )
    .expect("bump");
    until(
        &lines,
        &format!("hot-loaded: {DEPARTMENT} 0.1.1 now serving"),
        minutes,
        &mut seen,
    );
    until(&lines, "✓ round", minutes, &mut seen);
    assert_eq!(serving_version(&server).await, "0.1.1");

    // A wrong expectation fails the round, with the diff.
    let cases = project.join("cases/filing.toml");
    let text = std::fs::read_to_string(&cases).expect("cases");
    let wrong = text.replacen("outcome = \"needs-more\"", "outcome = \"rejected\"", 1);
    assert_ne!(wrong, text, "the template has a needs-more case");
    std::fs::write(&cases, wrong).expect("write");
    until(&lines, "✗ round", minutes, &mut seen);
    let shown = seen.join("\n");
    assert!(shown.contains("FAIL"), "{shown}");

    // Another build under the served version: refused, with the hint.
    let lib = project.join("src/lib.rs");
    let code = std::fs::read_to_string(&lib).expect("lib.rs");
    std::fs::write(&lib, code.replacen("\"BA{}{}\"", "\"BB{}{}\"", 1)).expect("write");
    until(&lines, "hot-load refused", minutes, &mut seen);
    let shown = seen.join("\n");
    assert!(shown.contains("bump `version` in Cargo.toml"), "{shown}");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(serving_version(&server).await, "0.1.1");
}

#[test]
fn a_directory_that_is_not_a_project_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args(["dev", "--once"])
        .arg(tmp.path())
        .output()
        .expect("onething dev");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a plugin project") && err.contains("plugin new"),
        "{err}"
    );
}
