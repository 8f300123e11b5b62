//! The API checked against its own OpenAPI document by schemathesis
//! (PyPI), run by `cargo xtask test` (and alone by `cargo xtask
//! schemathesis`): a real `onething serve` on a service directory made by
//! `onething init`, an application submitted so the application routes
//! have one to read, and schemathesis generating requests for every
//! operation, with the operator's token, failing on any 5xx, any answer
//! whose status, content type, headers or body the document does not
//! describe.
//!
//! schemathesis lives in a virtual environment under
//! `target/schemathesis/venv`, made (with the pinned version) the first
//! time. Set `ONETHING_SCHEMATHESIS_SEED` to explore other inputs, and
//! `ONETHING_SCHEMATHESIS_EXAMPLES` for more cases per operation.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};

use crate::{DEMO_TODAY, run};

/// The schemathesis release the checks were written against.
const VERSION: &str = "4.32.5";

/// What every answer must satisfy.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance";

/// Run schemathesis against a fresh service; the host must be built.
pub fn run_checks(root: &Path) -> Result<()> {
    let work = root.join("target/schemathesis");
    let st = ensure_installed(&work)?;
    let bin = root.join("target/debug/onething");
    let site = work.join("site");
    if site.exists() {
        std::fs::remove_dir_all(&site).with_context(|| format!("clearing {}", site.display()))?;
    }
    // The departments' simulated systems, beside the service, as in the
    // demo: init wires the departments to them.
    let systems_listen = crate::free_loopback_address()?;
    run(Command::new(&bin)
        .arg("init")
        .arg(&site)
        .args(["--systems", &format!("http://{systems_listen}")])
        .stdout(Stdio::null()))?;
    let _systems = crate::start_systems(&bin, root, &systems_listen, &site.join("systems.toml"))?;
    let token = std::fs::read_to_string(site.join("operator-token"))
        .context("reading the operator token onething init wrote")?
        .trim()
        .to_owned();
    let log = work.join("server.log");
    let mut server = Server::start(&bin, &site, &log)?;
    let result: Result<()> = (|| {
        let applicant = applicant_token(&bin, &site)?;
        let application = submit_one(&bin, root, &server.base, &applicant)?;
        let config = work.join("schemathesis.toml");
        std::fs::write(&config, config_text(&application))
            .with_context(|| format!("writing {}", config.display()))?;
        let seed =
            std::env::var("ONETHING_SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261201".into());
        let examples =
            std::env::var("ONETHING_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "100".into());
        // The applicant's operations with an applicant's token, the
        // operator's (and the public ones) with the operator's.
        let passes: [(&[&str], &str); 2] = [
            (&["applicant"], &applicant),
            (&["operator", "meta"], &token),
        ];
        for (tags, bearer) in passes {
            let mut st_run = Command::new(&st);
            st_run
                .current_dir(&work)
                .arg("--config-file")
                .arg(&config)
                .args(["--no-color", "run"])
                .arg(format!("{}/api/openapi.json", server.base))
                .args(["--checks", CHECKS])
                .args(["--header", &format!("Authorization: Bearer {bearer}")])
                .args(["--max-examples", &examples, "--seed", &seed])
                // One worker: with two, Hypothesis parses lambdas' sources
                // in two threads at once, and CPython 3.11's AST converter
                // keeps its recursion depth per interpreter, not per thread,
                // so a run could fail with "SystemError: AST constructor
                // recursion depth mismatch" (seen once on a clean clone).
                .args(["--request-timeout", "30", "--workers", "1"]);
            for tag in tags {
                st_run.args(["--include-tag", tag]);
            }
            run(&mut st_run).with_context(|| {
                format!(
                    "schemathesis found answers of the {} operations the OpenAPI document does not describe (the server's log is target/schemathesis/server.log)",
                    tags.join(" and ")
                )
            })?;
        }
        Ok(())
    })();
    server.stop();
    result?;
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    if logged.contains("panicked") {
        bail!(
            "the server panicked while schemathesis ran; see {}",
            log.display()
        );
    }
    eprintln!("schemathesis: every answer is as the OpenAPI document says");
    Ok(())
}

/// The `st` of the virtual environment, installed first if needed.
fn ensure_installed(work: &Path) -> Result<PathBuf> {
    let venv = work.join("venv");
    let st = venv.join("bin/st");
    let installed = Command::new(&st)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(VERSION))
        .unwrap_or(false);
    if installed {
        return Ok(st);
    }
    std::fs::create_dir_all(work).with_context(|| format!("creating {}", work.display()))?;
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context(
        "making a Python virtual environment for schemathesis (python3 with venv is needed)",
    )?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("schemathesis=={VERSION}"),
    ]))
    .context("installing schemathesis from PyPI")?;
    Ok(st)
}

/// A token of the newborn sample's mother, from the site's development
/// issuer.
fn applicant_token(bin: &Path, site: &Path) -> Result<String> {
    crate::mint_token(
        bin,
        &site.join("dev-issuer"),
        "schemathesis-mother",
        "350203199003071527",
        Some("2h"),
    )
}

/// Submit the newborn sample and return its application id, so the
/// application routes are tried on one that exists.
fn submit_one(bin: &Path, root: &Path, base: &str, token: &str) -> Result<String> {
    let out = Command::new(bin)
        .args(["submit", "--follow", "--server", base])
        .arg(root.join("examples/applications/newborn.json"))
        .env("ONETHING_TOKEN", token)
        .output()
        .context("running onething submit")?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| {
            l.split_once("accepted as ")
                .map(|(_, id)| id.trim().to_owned())
        })
        .with_context(|| format!("onething submit accepted nothing: {text}"))
}

/// Realistic path parameters, so operations reach their logic instead of
/// answering 404 to random ids.
fn config_text(application: &str) -> String {
    format!(
        r#"# Written by cargo xtask for one run; see xtask/src/schemathesis.rs.
[[operations]]
include-path-regex = "^/(api|admin)/bundles/"
parameters = {{ id = "newborn" }}

[[operations]]
include-path-regex = "^/admin/plugins/"
parameters = {{ department = "health" }}

[[operations]]
include-path-regex = "^/(api|admin)/applications/"
parameters = {{ id = "{application}", department = "health", step = "birth-certificate", code = "marriage-certificate" }}
"#
    )
}

/// A running `onething serve`, stopped (SIGTERM, then killed) when done.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(bin: &Path, site: &Path, log: &Path) -> Result<Self> {
        let stderr = std::fs::File::create(log).context("creating the server's log")?;
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--today",
                DEMO_TODAY,
                "--listen",
                "127.0.0.1:0",
                "--config",
            ])
            .arg(site.join("onething.toml"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .context("starting onething serve")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("onething listening on ") {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(180)) {
            Ok(base) => Ok(Self { child, base }),
            Err(_) => {
                let _ = child.kill();
                bail!(
                    "the server did not report its address within 180 s; see {}",
                    log.display()
                )
            }
        }
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..200 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
