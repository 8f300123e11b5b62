//! `onething systems serve`, through the real binary: the simulated
//! department systems start on their own address, make their credentials
//! file once (owner-only) and read it on every later start, check each
//! system's credential, take faults over the admin endpoint, and refuse a
//! broken credentials file naming it.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::client;

pub struct Simulator {
    child: Child,
    pub base: String,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `onething systems serve` on a free loopback port, its credentials in
/// `credentials` (made there when absent).
pub fn start(credentials: &Path) -> Simulator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args([
            "systems",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--credentials",
        ])
        .arg(credentials)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start onething systems serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("simulated department systems on ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the simulator prints its address");
    Simulator { child, base }
}

fn credential(file: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(file).expect("credentials file");
    let v: toml::Value = toml::from_str(&text).expect("toml");
    let found = if key == "admin_token" {
        v.get("admin_token")
    } else {
        v.get("credentials").and_then(|c| c.get(key))
    };
    found
        .and_then(|t| t.as_str())
        .expect("a credential")
        .to_owned()
}

#[tokio::test]
async fn the_simulated_systems_serve_with_their_credentials_and_faults() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("systems.toml");
    let sim = start(&file);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).expect("made").permissions().mode();
        assert_eq!(mode & 0o077, 0, "only its owner may read it: {mode:o}");
    }
    let household = credential(&file, "household");
    let person = format!("{}/household/v1/persons/350203199003071527", sim.base);
    let http = client();
    let r = http.get(&person).send().await.expect("answer");
    assert_eq!(r.status(), 401);
    let r = http
        .get(&person)
        .bearer_auth(credential(&file, "tax"))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 401, "another system's credential");
    let v: serde_json::Value = http
        .get(&person)
        .bearer_auth(&household)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(v["household"]["head_name"], "林志远", "{v}");

    // Down, over the admin endpoint, and back.
    let admin = credential(&file, "admin_token");
    let r = http
        .put(format!("{}/admin/faults/household", sim.base))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"mode": "down"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    let r = http
        .get(&person)
        .bearer_auth(&household)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 503);
    http.delete(format!("{}/admin/faults", sim.base))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("answer");
    let r = http
        .get(&person)
        .bearer_auth(&household)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
    drop(sim);

    // A second start reads the same credentials.
    let sim = start(&file);
    let r = client()
        .get(format!(
            "{}/household/v1/persons/350203199003071527",
            sim.base
        ))
        .bearer_auth(&household)
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status(), 200);
}

#[test]
fn a_broken_credentials_file_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("systems.toml");
    std::fs::write(&file, "admin_token = \"short\"\n[credentials]\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_onething"))
        .args([
            "systems",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--credentials",
        ])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("systems.toml"), "{err}");
    assert!(err.contains("no credential for `household`"), "{err}");
    // Nothing was overwritten.
    assert!(
        std::fs::read_to_string(&file)
            .expect("kept")
            .contains("short")
    );
}
