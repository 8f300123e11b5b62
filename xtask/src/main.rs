//! Project automation, kept in Rust so it runs wherever cargo does.
//!
//! `cargo xtask demo`   sets up and runs the main job on the examples.
//! `cargo xtask test`   sets up and runs every test (the Python and
//!                      JavaScript SDKs' and departments' among them).
//! `cargo xtask build-plugins` builds the Wasm components only.
//! `cargo xtask deps`   checks the host's crate layering (run by `test`).
//! `cargo xtask guests` checks the Python and JavaScript SDKs, example
//!                      departments and scaffolds (run by `test`).
//! `cargo xtask schemathesis` checks the API against its OpenAPI document
//!                      (run by `test`).
//!
//! Every step prints the command it runs, so each can be run by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

mod browser;
mod guests;
mod postgres;
mod scaffold;
mod schemathesis;

const WASM_TARGET: &str = "wasm32-wasip2";
/// The date the sample applications are written for (children born
/// 2026-10-20 are under six months old on it).
pub(crate) const DEMO_TODAY: &str = "2026-11-28";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root()?;
    match args.first().map(String::as_str) {
        Some("demo") => demo(&root),
        Some("test") => test(&root),
        Some("build-plugins") => build_plugins(&root),
        Some("bench") => bench(&root, &args[1..]),
        Some("deps") => deps(&root),
        Some("guests") => {
            run(cargo().current_dir(&root).args(DEMO_BUILD))?;
            guests::check(&root)
        }
        Some("schemathesis") => {
            run(cargo().current_dir(&root).args(DEMO_BUILD))?;
            schemathesis::run_checks(&root)
        }
        _ => {
            eprintln!("usage: cargo xtask <demo|test|build-plugins|bench>");
            eprintln!("  demo           build the plugins and run the example bundles");
            eprintln!("  test           build the plugins and run every test, fmt and clippy");
            eprintln!(
                "  build-plugins  build the Wasm components into target/plugins and target/test-components"
            );
            eprintln!("  bench          run the benchmarks (host workspace)");
            eprintln!(
                "  guests         the Python and JavaScript SDKs, departments and scaffolds (run by `test`)"
            );
            eprintln!(
                "  deps           check the host's crate layering (no wasmtime below the engine but in runtime and contract)"
            );
            eprintln!(
                "  schemathesis   check the running API against its OpenAPI document (installs schemathesis in target/)"
            );
            bail!("unknown or missing command");
        }
    }
}

fn root() -> Result<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    dir.parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent directory")
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    without_outer_settings(&mut c);
    c
}

/// Settings of the outer cargo must not leak into builds for another
/// target.
pub(crate) fn without_outer_settings(c: &mut Command) {
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
    ] {
        c.env_remove(var);
    }
}

pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}").replace('"', "");
    eprintln!("\n$ {shown}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("`{shown}` failed with {status}");
    }
    Ok(())
}

fn ensure_wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match out {
        Ok(o)
            if String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == WASM_TARGET) =>
        {
            Ok(())
        }
        Ok(_) => {
            run(Command::new("rustup").args(["target", "add", WASM_TARGET])).with_context(|| {
                format!("adding the {WASM_TARGET} target (needed to build the plugins)")
            })
        }
        Err(e) => bail!(
            "rustup is not available ({e}); install the {WASM_TARGET} target for your toolchain by hand"
        ),
    }
}

fn build_plugins(root: &Path) -> Result<()> {
    ensure_wasm_target()?;
    let plugins = root.join("plugins");
    // Cargo's JSON messages name every artifact each crate produced, so a
    // crate that built no .wasm is caught here (not served a stale copy).
    let mut build = cargo();
    build.current_dir(&plugins).args([
        "build",
        "--release",
        "--target",
        WASM_TARGET,
        "--message-format=json-render-diagnostics",
    ]);
    let shown = format!("{build:?}").replace('"', "");
    eprintln!("\n$ {shown}");
    let out = build
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!("`{shown}` failed with {}", out.status);
    }
    let built = artifacts(&String::from_utf8_lossy(&out.stdout));
    for (group, dest) in [("departments", "plugins"), ("testing", "test-components")] {
        let dest = root.join("target").join(dest);
        if dest.exists() {
            std::fs::remove_dir_all(&dest)
                .with_context(|| format!("clearing {}", dest.display()))?;
        }
        std::fs::create_dir_all(&dest).with_context(|| format!("creating {}", dest.display()))?;
        let mut count = 0;
        for entry in std::fs::read_dir(plugins.join(group))
            .with_context(|| format!("reading plugins/{group}"))?
        {
            let entry = entry?;
            if !entry.path().join("Cargo.toml").exists() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let artifact = component_of(&entry.path(), &format!("plugins/{group}/{name}"), &built)?;
            let target = dest.join(format!("{name}.wasm"));
            std::fs::copy(&artifact, &target)
                .with_context(|| format!("copying {}", artifact.display()))?;
            count += 1;
        }
        eprintln!("{count} components in {}", dest.display());
    }
    Ok(())
}

/// What one crate's build produced: its targets' kinds and the files.
#[derive(Debug, Default)]
struct Built {
    kinds: Vec<String>,
    files: Vec<PathBuf>,
}

/// Every crate's artifacts from cargo's JSON messages, by crate directory.
fn artifacts(messages: &str) -> std::collections::BTreeMap<PathBuf, Built> {
    let mut built: std::collections::BTreeMap<PathBuf, Built> = Default::default();
    for line in messages.lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(dir) = msg["manifest_path"]
            .as_str()
            .and_then(|p| Path::new(p).parent())
        else {
            continue;
        };
        let entry = built.entry(dir.to_path_buf()).or_default();
        for kind in msg["target"]["kind"].as_array().into_iter().flatten() {
            if let Some(k) = kind.as_str() {
                entry.kinds.push(k.to_owned());
            }
        }
        for file in msg["filenames"].as_array().into_iter().flatten() {
            if let Some(f) = file.as_str() {
                entry.files.push(PathBuf::from(f));
            }
        }
    }
    built
}

/// The component a plugin crate built, or what to change so it builds one.
fn component_of(
    dir: &Path,
    shown: &str,
    built: &std::collections::BTreeMap<PathBuf, Built>,
) -> Result<PathBuf> {
    let crate_built = built.get(dir).or_else(|| {
        // Cargo may report the manifest path through a symlink or with a
        // different spelling; fall back to the directory's name.
        built
            .iter()
            .find(|(d, _)| d.file_name() == dir.file_name())
            .map(|(_, b)| b)
    });
    let Some(crate_built) = crate_built else {
        bail!(
            "{shown} built nothing: is it a member of the plugins workspace (plugins/Cargo.toml)?"
        );
    };
    if let Some(wasm) = crate_built
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "wasm"))
    {
        return Ok(wasm.clone());
    }
    bail!(
        "{shown} built no .wasm component (its targets are {:?}: a library crate builds only an rlib unless it is a cdylib); add\n\n    [lib]\n    crate-type = [\"cdylib\"]\n\nto {shown}/Cargo.toml",
        crate_built.kinds
    )
}

fn demo(root: &Path) -> Result<()> {
    build_plugins(root)?;
    // A debug build: quicker from nothing than release, and the Wasm
    // compiler is optimised even in dev builds (see Cargo.toml).
    run(cargo().current_dir(root).args(DEMO_BUILD))?;
    let bin = root.join("target/debug/onething");
    let apps = root.join("examples/applications");

    eprintln!("\n== 1. Locally, with `onething run`: both bundles, step by step ==");
    for app in ["newborn.json", "business-startup.json"] {
        run(Command::new(&bin)
            .current_dir(root)
            .args(["run", "--today", DEMO_TODAY])
            .arg(apps.join(app)))?;
    }
    // This one is meant to come back needs-more, with every problem at once.
    let needs_more = apps.join("newborn-needs-more.json");
    let shown = format!(
        "{} run --today {DEMO_TODAY} {}",
        bin.display(),
        needs_more.display()
    );
    eprintln!("\n$ {shown}   (expected: needs more, exit status 1)");
    let status = Command::new(&bin)
        .current_dir(root)
        .args(["run", "--today", DEMO_TODAY])
        .arg(&needs_more)
        .status()?;
    if status.code() != Some(1) {
        bail!("`{shown}` should have come back needs-more (exit 1), got {status}");
    }

    eprintln!("\n== 2. As a service: `onething serve` on the embedded store ==");
    // The demo's own service directory, set up afresh each time: an
    // operator with a token, a key pair per department, the components
    // signed (signatures are required, as in a deployment).
    let site = root.join("target/demo");
    if site.exists() {
        std::fs::remove_dir_all(&site).with_context(|| format!("clearing {}", site.display()))?;
    }
    // The departments' own systems (simulated), beside the host: `init`
    // wires the example departments to them, with fresh credentials in
    // the site's systems.toml, which the systems then serve.
    let systems_listen = free_loopback_address()?;
    run(Command::new(&bin)
        .current_dir(root)
        .arg("init")
        .arg(&site)
        .args(["--systems", &format!("http://{systems_listen}")]))?;
    let _systems = start_systems(&bin, root, &systems_listen, &site.join("systems.toml"))?;
    let config = site.join("onething.toml");
    let listen = std::env::var("ONETHING_DEMO_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    eprintln!(
        "$ {} serve --today {DEMO_TODAY} --listen {listen} --config {}",
        bin.display(),
        config.display()
    );
    let mut server = Command::new(&bin)
        .current_dir(root)
        .args([
            "serve", "--today", DEMO_TODAY, "--listen", &listen, "--config",
        ])
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting onething serve")?;
    let stdout = server.stdout.take().context("server stdout")?;
    let rx = echo_until(stdout, "onething listening on ");
    let Ok(base) = rx.recv_timeout(std::time::Duration::from_secs(180)) else {
        let _ = server.kill();
        bail!("the server did not report its address within 180 s");
    };
    // Each applicant signs in: the development issuer `init` made mints
    // their tokens (a deployment trusts its identity provider instead).
    let issuer = site.join("dev-issuer");
    let token_for = |subject: &str, id_number: &str| -> Result<String> {
        eprintln!(
            "$ {} identity token --issuer {} --subject {subject} --id-number {id_number}",
            bin.display(),
            issuer.display()
        );
        mint_token(&bin, &issuer, subject, id_number, None)
    };
    // The newborn's mother, and the new business's legal representative.
    for (app, subject, id_number, expect_ok) in [
        ("newborn.json", "mother-1", "350203199003071527", true),
        (
            "business-startup.json",
            "founder-1",
            "350211198506150038",
            true,
        ),
        (
            "newborn-needs-more.json",
            "father-2",
            "350206198811230519",
            false,
        ),
    ] {
        let token = token_for(subject, id_number)?;
        eprintln!("(ONETHING_TOKEN set to the token just minted)");
        let submitted = run(Command::new(&bin)
            .current_dir(root)
            .env("ONETHING_TOKEN", &token)
            .args(["submit", "--follow", "--server", &base])
            .arg(apps.join(app)));
        match (submitted, expect_ok) {
            (Ok(()), _) => {}
            (Err(e), false) => {
                eprintln!("(expected: the needs-more sample is refused with all its problems) {e}")
            }
            (Err(e), true) => {
                let _ = server.kill();
                return Err(e);
            }
        }
    }
    eprintln!(
        "\n== 3. The audit log: every flow of a field and every event, hash-chained, signed =="
    );
    run(Command::new(&bin)
        .current_dir(root)
        .args(["audit", "verify", "--config"])
        .arg(&config))?;
    run(Command::new(&bin)
        .current_dir(root)
        .args(["audit", "checkpoint", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(site.join("checkpoint.json")))?;
    let site_shown = site.display();
    // `localhost` is a secure context to browsers: the pages' Secure
    // session cookie is kept over plain HTTP there.
    let web = base.replace("127.0.0.1", "localhost");
    eprintln!("\nThe pages (open them in a browser):");
    for (what, path) in [
        ("start page, the one form", "/"),
        ("the newborn form", "/bundles/newborn"),
        ("sign in", "/login"),
        ("officers' and operators' console", "/console"),
    ] {
        eprintln!("  {what:<34} {web}{path}");
    }
    eprintln!("  Sign in at {web}/login (the demo's development issuer vouches for anyone):");
    eprintln!(
        "    as an applicant: \"applicant\", resident ID number 350203199003071527 (the newborn's mother)"
    );
    eprintln!(
        "    as an officer:   \"officer\", any name, department tax (or health, public-security, ...)"
    );
    eprintln!("    as the operator: \"token\", the token in {site_shown}/operator-token");
    eprintln!("\nThe service is running:");
    for (what, path) in [
        ("bundles and themes", "/api/bundles"),
        ("the newborn form", "/api/bundles/newborn/form"),
        ("OpenAPI", "/api/openapi.json"),
        ("metrics", "/metrics"),
        ("readiness", "/readyz"),
        ("who saw what", "/api/applications/{id}/data-flows"),
    ] {
        eprintln!("  {what:<20} {base}{path}");
    }
    eprintln!(
        "\nThe operator API (the commands `onething init` printed above, with {base} for the address):"
    );
    eprintln!("  TOKEN=$(cat {site_shown}/operator-token)");
    eprintln!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/admin/plugins");
    eprintln!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/admin/plugins/health/versions");
    eprintln!(
        "  onething plugin sign --key {site_shown}/keys/health.key NEW.wasm   # then upload it, or copy it into {site_shown}/plugins/"
    );
    if std::env::var_os("ONETHING_DEMO_EXIT").is_some() {
        let _ = server.kill();
        let _ = server.wait();
        eprintln!("Demo done (ONETHING_DEMO_EXIT set: server stopped).");
        return Ok(());
    }
    eprintln!("Press Ctrl-C to stop it.");
    server.wait().context("waiting for the server")?;
    Ok(())
}

/// A loopback address free just now (the simulated systems' address must
/// be known before they start, to wire the departments to it).
fn free_loopback_address() -> Result<String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.to_string())
}

/// Echo a child's stdout line by line; the first word after `prefix` on
/// a line that starts with it (an address) is sent on the channel.
fn echo_until(
    stdout: std::process::ChildStdout,
    prefix: &'static str,
) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            println!("{line}");
            if let Some(rest) = line.strip_prefix(prefix) {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    rx
}

/// A child process killed when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `onething systems serve` on `listen` with the credentials file, once it
/// says it serves (its lines shown as they come).
fn start_systems(bin: &Path, root: &Path, listen: &str, credentials: &Path) -> Result<Child> {
    eprintln!(
        "$ {} systems serve --listen {listen} --credentials {}",
        bin.display(),
        credentials.display()
    );
    let mut child = Command::new(bin)
        .current_dir(root)
        .args(["systems", "serve", "--listen", listen, "--credentials"])
        .arg(credentials)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting onething systems serve")?;
    let stdout = child.stdout.take().context("the systems' stdout")?;
    let child = Child(child);
    let rx = echo_until(stdout, "simulated department systems on ");
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .context("the simulated systems did not say they serve within 60 s")?;
    Ok(child)
}

/// How the demo builds the host: the whole workspace, so dependencies get
/// the same features as `cargo test --workspace` gives them and a demo
/// after the tests (or the tests after a demo) compiles nothing again.
/// (`-p onething` alone would resolve other features for wasmtime's
/// dependencies and rebuild it.) xtask itself is left out: `cargo xtask`
/// builds it alone (`-p xtask`, its own features), and building it again
/// with the workspace's features would only make the next `cargo xtask`
/// build it once more.
const DEMO_BUILD: &[&str] = &["build", "--workspace", "--exclude", "xtask"];

/// Item 26 of the hardening review: after the tests, the demo's build has
/// nothing left to compile. Cargo reports every unit it would build; each
/// must be fresh.
fn item_26_the_demo_shares_the_test_build(root: &Path) -> Result<()> {
    eprintln!(
        "\n$ cargo {} --message-format json (item 26: nothing to compile after the tests)",
        DEMO_BUILD.join(" ")
    );
    let out = cargo()
        .current_dir(root)
        .args(DEMO_BUILD)
        .args(["--message-format", "json"])
        .output()
        .context("running the demo's build")?;
    if !out.status.success() {
        bail!(
            "the demo's build failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rebuilt: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["fresh"] == false)
        .map(|m| m["target"]["name"].as_str().unwrap_or("?").to_owned())
        .collect();
    if !rebuilt.is_empty() {
        bail!(
            "item 26: `cargo xtask demo` after the tests would compile {} unit(s) again ({}); \
             their features or profile differ from the test build's",
            rebuilt.len(),
            rebuilt.join(", ")
        );
    }
    eprintln!("item 26: the demo's build is the tests' build: nothing to compile");
    Ok(())
}

/// A token minted by the development issuer in `issuer` for `subject`
/// with `id_number` (`onething identity token`), valid for `ttl` or its
/// default.
fn mint_token(
    bin: &Path,
    issuer: &Path,
    subject: &str,
    id_number: &str,
    ttl: Option<&str>,
) -> Result<String> {
    let mut cmd = Command::new(bin);
    cmd.args(["identity", "token", "--issuer"])
        .arg(issuer)
        .args(["--subject", subject, "--id-number", id_number]);
    if let Some(ttl) = ttl {
        cmd.args(["--ttl", ttl]);
    }
    let out = cmd.output().context("running onething identity token")?;
    if !out.status.success() {
        bail!(
            "onething identity token failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn host_triple() -> Result<String> {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("running rustc -vV")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .context("rustc -vV printed no host line")
}

fn test(root: &Path) -> Result<()> {
    build_plugins(root)?;
    deps(root)?;
    run(cargo().current_dir(root).args(["fmt", "--all", "--check"]))?;
    run(cargo()
        .current_dir(root.join("plugins"))
        .args(["fmt", "--all", "--check"]))?;
    // The PostgreSQL store's tests need a server, and fail without one:
    // a throwaway cluster for this run, stopped when the tests are done.
    // The pages' tests drive headless Chromium.
    browser::ensure(root)?;
    let postgres = postgres::Cluster::start(root)
        .context("starting the throwaway PostgreSQL server the store's tests need")?;
    run(cargo()
        .current_dir(root)
        .args(["test", "--workspace", "--all-targets"])
        .env(postgres::ENV, postgres.url()))?;
    drop(postgres);
    item_26_the_demo_shares_the_test_build(root)?;
    // Item 8: the live service against its own OpenAPI document.
    schemathesis::run_checks(root)?;
    let host = host_triple()?;
    run(cargo()
        .current_dir(root.join("plugins"))
        .args(["test", "--target", &host]))?;
    scaffold::check(root, &host)?;
    guests::check(root)?;
    run(cargo().current_dir(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    eprintln!("\nAll tests passed.");
    Ok(())
}

fn bench(root: &Path, extra: &[String]) -> Result<()> {
    build_plugins(root)?;
    // The `guest_cost` bench measures the Python and JavaScript builds.
    guests::build_for_bench(root)?;
    // The `hosts` bench measures the PostgreSQL store too.
    let postgres = postgres::Cluster::start(root)
        .context("starting the throwaway PostgreSQL server the `hosts` bench needs")?;
    run(cargo()
        .current_dir(root)
        .args(["bench", "-p", "onething"])
        .args(extra)
        .env(postgres::ENV, postgres.url()))
}

/// Each host crate and the host crates it may depend on (normal
/// dependencies). The layering makes import cycles impossible and keeps
/// wasmtime out of everything below the engine but the runtime and the
/// contract.
const LAYERS: &[(&str, &[&str])] = &[
    ("onething-idcodes", &[]),
    ("onething-model", &["onething-idcodes"]),
    ("onething-store", &["onething-model"]),
    (
        "onething-store-conformance",
        &["onething-model", "onething-store"],
    ),
    (
        "onething-store-sqlite",
        &["onething-model", "onething-store"],
    ),
    (
        "onething-store-postgres",
        &["onething-model", "onething-store"],
    ),
    ("onething-contract", &["onething-model"]),
    ("onething-identity", &["onething-model"]),
    (
        "onething-runtime",
        &["onething-model", "onething-contract", "onething-store"],
    ),
    (
        "onething-catalog",
        &["onething-model", "onething-runtime", "onething-store"],
    ),
    (
        "onething-engine",
        &[
            "onething-model",
            "onething-runtime",
            "onething-store",
            "onething-catalog",
        ],
    ),
    (
        "onething-api",
        &[
            "onething-model",
            "onething-store",
            "onething-catalog",
            "onething-engine",
            "onething-identity",
        ],
    ),
    // The pages call the API through its router, in process: they need
    // none of its crates, only the model's languages and the identity
    // crate's development issuer.
    ("onething-pages", &["onething-model", "onething-identity"]),
    ("onething-systems", &["onething-idcodes"]),
    // Test and benchmark helpers: the simulated systems and the runtime's
    // outbound side that calls them (a dev-dependency only).
    (
        "onething-testing",
        &["onething-runtime", "onething-systems"],
    ),
    ("onething-sdk", &["onething-idcodes", "onething-model"]),
];

/// The only host crates that may depend on wasmtime themselves.
const WASMTIME_USERS: &[&str] = &["onething-contract", "onething-runtime"];

/// Crates below the engine whose whole dependency tree must be free of
/// wasmtime.
const NO_WASMTIME_BELOW: &[&str] = &[
    "onething-pages",
    "onething-idcodes",
    "onething-model",
    "onething-store",
    "onething-store-conformance",
    "onething-store-sqlite",
    "onething-store-postgres",
    "onething-identity",
    "onething-systems",
    "onething-sdk",
];

/// Check the layering with `cargo metadata`, naming every dependency out
/// of place.
fn deps(root: &Path) -> Result<()> {
    eprintln!("\n$ cargo metadata (checking the crate layering)");
    let out = cargo()
        .current_dir(root)
        .args(["metadata", "--format-version", "1"])
        .output()
        .context("running cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let meta: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("reading cargo metadata")?;
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["id"] == id)
            .and_then(|p| p["name"].as_str())
            .unwrap_or(id)
            .to_owned()
    };
    // Normal (not dev, not build) dependencies of every package, by name.
    let mut normal: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for node in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
        let name = name_of(node["id"].as_str().unwrap_or(""));
        let deps = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| {
                d["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|k| k["kind"].is_null())
            })
            .map(|d| name_of(d["pkg"].as_str().unwrap_or("")))
            .collect();
        normal.insert(name, deps);
    }
    let mut faults = Vec::new();
    for (krate, allowed) in LAYERS {
        let Some(direct) = normal.get(*krate) else {
            faults.push(format!("{krate} is not in the workspace"));
            continue;
        };
        for dep in direct {
            if dep.starts_with("onething-") && !allowed.contains(&dep.as_str()) {
                faults.push(format!(
                    "{krate} depends on {dep}, which is not below it (it may use: {})",
                    if allowed.is_empty() {
                        "no host crate".to_owned()
                    } else {
                        allowed.join(", ")
                    }
                ));
            }
            if dep.starts_with("wasmtime") && !WASMTIME_USERS.contains(krate) {
                faults.push(format!(
                    "{krate} depends on {dep}; only {} may",
                    WASMTIME_USERS.join(" and ")
                ));
            }
        }
    }
    for krate in NO_WASMTIME_BELOW {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![(*krate).to_owned()];
        while let Some(name) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if name.starts_with("wasmtime") {
                faults.push(format!("{krate} pulls in {name}"));
                break;
            }
            stack.extend(normal.get(&name).cloned().unwrap_or_default());
        }
    }
    if !faults.is_empty() {
        bail!(
            "the crate layering is broken:\n  - {}",
            faults.join("\n  - ")
        );
    }
    eprintln!(
        "crate layering sound: {} host crates checked; wasmtime only in {}",
        LAYERS.len(),
        WASMTIME_USERS.join(" and ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn artifact(dir: &str, kind: &str, file: &str) -> String {
        serde_json::json!({
            "reason": "compiler-artifact",
            "manifest_path": format!("{dir}/Cargo.toml"),
            "target": { "kind": [kind] },
            "filenames": [file],
        })
        .to_string()
    }

    #[test]
    fn item_14_a_plugin_crate_without_cdylib_is_named_with_the_fix() {
        let messages = [
            artifact("/p/testing/good", "cdylib", "/t/good.wasm"),
            artifact("/p/testing/plain", "lib", "/t/libplain.rlib"),
            r#"{"reason":"build-finished","success":true}"#.to_owned(),
        ]
        .join("\n");
        let built = artifacts(&messages);
        assert_eq!(
            component_of(Path::new("/p/testing/good"), "plugins/testing/good", &built)
                .expect("built"),
            PathBuf::from("/t/good.wasm")
        );
        let err = component_of(
            Path::new("/p/testing/plain"),
            "plugins/testing/plain",
            &built,
        )
        .expect_err("no component")
        .to_string();
        assert!(
            err.contains("plugins/testing/plain built no .wasm component")
                && err.contains("crate-type = [\"cdylib\"]")
                && err.contains("plugins/testing/plain/Cargo.toml"),
            "{err}"
        );
        let err = component_of(
            Path::new("/p/testing/absent"),
            "plugins/testing/absent",
            &built,
        )
        .expect_err("not built")
        .to_string();
        assert!(err.contains("plugins/Cargo.toml"), "{err}");
    }
}
