//! Project automation, kept in Rust so it runs wherever cargo does.
//!
//! `cargo xtask demo`   sets up and runs the main job on the examples.
//! `cargo xtask test`   sets up and runs every test.
//! `cargo xtask build-plugins` builds the Wasm components only.
//!
//! Every step prints the command it runs, so each can be run by hand.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

const WASM_TARGET: &str = "wasm32-wasip2";
/// The date the sample applications are written for (children born
/// 2026-10-20 are under six months old on it).
const DEMO_TODAY: &str = "2026-11-28";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root()?;
    match args.first().map(String::as_str) {
        Some("demo") => demo(&root),
        Some("test") => test(&root),
        Some("build-plugins") => build_plugins(&root),
        Some("bench") => bench(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|build-plugins|bench>");
            eprintln!("  demo           build the plugins and run the example bundles");
            eprintln!("  test           build the plugins and run every test, fmt and clippy");
            eprintln!(
                "  build-plugins  build the Wasm components into target/plugins and target/test-components"
            );
            eprintln!("  bench          run the benchmarks (host workspace)");
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
    // Settings of the outer cargo must not leak into builds for another target.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
    ] {
        c.env_remove(var);
    }
    c
}

fn run(cmd: &mut Command) -> Result<()> {
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
    run(cargo()
        .current_dir(&plugins)
        .args(["build", "--release", "--target", WASM_TARGET]))?;
    let built = root.join("target").join(WASM_TARGET).join("release");
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
            // A library (cdylib) artifact takes underscores, a binary keeps its name.
            let artifact = [name.replace('-', "_"), name.clone()]
                .iter()
                .map(|n| built.join(format!("{n}.wasm")))
                .find(|p| p.exists())
                .unwrap_or_else(|| built.join(format!("{name}.wasm")));
            let target = dest.join(format!("{name}.wasm"));
            std::fs::copy(&artifact, &target).with_context(|| {
                format!(
                    "copying {} (did plugins/{group}/{name} build as a cdylib?)",
                    artifact.display()
                )
            })?;
            count += 1;
        }
        eprintln!("{count} components in {}", dest.display());
    }
    Ok(())
}

fn demo(root: &Path) -> Result<()> {
    build_plugins(root)?;
    // A debug build: quicker from nothing than release, and the Wasm
    // compiler is optimised even in dev builds (see Cargo.toml).
    run(cargo().current_dir(root).args(["build", "-p", "onething"]))?;
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
    let data = root.join("target/demo-data");
    if data.exists() {
        std::fs::remove_dir_all(&data).with_context(|| format!("clearing {}", data.display()))?;
    }
    let listen = std::env::var("ONETHING_DEMO_LISTEN").unwrap_or_else(|_| "127.0.0.1:0".into());
    eprintln!(
        "$ {} serve --today {DEMO_TODAY} --listen {listen} --data-dir {}",
        bin.display(),
        data.display()
    );
    let mut server = Command::new(&bin)
        .current_dir(root)
        .args([
            "serve",
            "--today",
            DEMO_TODAY,
            "--listen",
            &listen,
            "--data-dir",
        ])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("starting onething serve")?;
    let stdout = server.stdout.take().context("server stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            println!("{line}");
            if let Some(rest) = line.strip_prefix("onething listening on ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
        }
    });
    let Ok(base) = rx.recv_timeout(std::time::Duration::from_secs(180)) else {
        let _ = server.kill();
        bail!("the server did not report its address within 180 s");
    };
    let submitted = run(Command::new(&bin)
        .current_dir(root)
        .args(["submit", "--follow", "--server", &base])
        .arg(apps.join("newborn.json"))
        .arg(apps.join("business-startup.json"))
        .arg(apps.join("newborn-needs-more.json")));
    if let Err(e) = submitted {
        eprintln!("(expected: the needs-more sample is refused with all its problems) {e}");
    }
    eprintln!("\n== 3. The audit log: every flow of a field, hash-chained ==");
    run(Command::new(&bin)
        .current_dir(root)
        .args(["audit", "verify", "--data-dir"])
        .arg(&data))?;
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
    run(cargo().current_dir(root).args(["fmt", "--all", "--check"]))?;
    run(cargo()
        .current_dir(root.join("plugins"))
        .args(["fmt", "--all", "--check"]))?;
    run(cargo()
        .current_dir(root)
        .args(["test", "--workspace", "--all-targets"]))?;
    let host = host_triple()?;
    run(cargo()
        .current_dir(root.join("plugins"))
        .args(["test", "--target", &host]))?;
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
    run(cargo()
        .current_dir(root)
        .args(["bench", "-p", "onething"])
        .args(extra))
}
