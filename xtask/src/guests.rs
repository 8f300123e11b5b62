//! The departments written in Python and JavaScript, checked as their
//! authors would run them: each SDK's own tests (the shared test vectors
//! generated from the Rust SDK among them), the example department's unit
//! tests, its component built with the pinned tools, and the Rust
//! department's declarative cases passed by it in the real sandbox; then
//! `onething plugin new --lang python|js` made afresh, built and tested
//! untouched.
//!
//! The tools are set up here, under the shared target directory: a
//! virtual environment with componentize-py (`target/guests/venv`), and
//! the npm packages the lock files pin (`npm ci`), so a fresh machine
//! needs only python3 and Node with npm.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::run;

/// The componentize-py release the Python departments are built with.
pub(crate) const COMPONENTIZE_PY: &str = "0.25.1";

/// The contract the guests are built against.
const WIT: &str = "wit/0.2.0";

/// The example department both languages port, and whose cases they pass.
const CASES: &str = "plugins/departments/housing-fund";

/// Where the built guest components go, per language.
pub(crate) fn components(root: &Path, lang: &str) -> PathBuf {
    root.join("target/guests").join(lang)
}

/// The virtual environment's `componentize-py`, installed first if needed.
fn ensure_componentize_py(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/guests/venv");
    let tool = venv.join("bin/componentize-py");
    let installed = Command::new(&tool)
        .arg("--version")
        .output()
        .ok()
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).contains(COMPONENTIZE_PY));
    if installed {
        return Ok(venv);
    }
    std::fs::create_dir_all(root.join("target/guests"))
        .context("creating target/guests for the Python tools")?;
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context(
        "making a Python virtual environment for componentize-py (python3 with venv is needed: apt-get install python3-venv)",
    )?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        &format!("componentize-py=={COMPONENTIZE_PY}"),
    ]))
    .context("installing componentize-py from PyPI")?;
    Ok(venv)
}

/// `npm ci` in `dir` unless its node_modules already match the lock file.
pub(crate) fn npm_ci(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let installed = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&installed)) {
        (Ok(l), Ok(i)) => match (l.modified(), i.modified()) {
            (Ok(l), Ok(i)) => i >= l,
            _ => false,
        },
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    run(npm()
        .current_dir(dir)
        .args(["ci", "--no-audit", "--no-fund"]))
    .with_context(|| {
        format!(
            "installing the npm packages of {} (Node.js 20 or later with npm is needed)",
            dir.display()
        )
    })
}

fn npm() -> Command {
    Command::new("npm")
}

/// Build the Python example department from its module `app` into
/// `target/guests/<dir>/housing-fund.wasm`.
fn build_python_app(root: &Path, app: &str, dir: &str) -> Result<PathBuf> {
    let venv = ensure_componentize_py(root)?;
    let out = root.join("target/guests").join(dir);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let wasm = out.join("housing-fund.wasm");
    run(Command::new(venv.join("bin/componentize-py"))
        .current_dir(root)
        .args(["-d", WIT, "-w", "department", "componentize"])
        .args(["-p", "plugins/python/housing-fund", "-p", "sdk/python/src"])
        .arg(app)
        .arg("-o")
        .arg(&wasm))?;
    Ok(wasm)
}

/// Build the Python example department into `target/guests/python`.
pub(crate) fn build_python(root: &Path) -> Result<PathBuf> {
    build_python_app(root, "app", "python")
}

/// Build the JavaScript example department into `target/guests/js`.
pub(crate) fn build_js(root: &Path) -> Result<PathBuf> {
    build_js_script(root, "build", "js")
}

/// `npm run <script>` of the JavaScript example department, which writes
/// `target/guests/<dir>/housing-fund.wasm`.
fn build_js_script(root: &Path, script: &str, dir: &str) -> Result<PathBuf> {
    let project = root.join("plugins/js/housing-fund");
    npm_ci(&root.join("sdk/js"))?;
    npm_ci(&project)?;
    run(npm().current_dir(&project).args(["run", script]))?;
    let wasm = root
        .join("target/guests")
        .join(dir)
        .join("housing-fund.wasm");
    if !wasm.is_file() {
        bail!(
            "plugins/js/housing-fund built, but no component at {}",
            wasm.display()
        );
    }
    Ok(wasm)
}

/// Every build the `guest_cost` bench measures: the example departments
/// in both languages, and each again without its warm-up snapshot
/// (`python-cold`, `js-cold`), to show what the warm-up saves.
pub(crate) fn build_for_bench(root: &Path) -> Result<()> {
    build_python(root)?;
    build_python_app(root, "app_cold", "python-cold")?;
    build_js(root)?;
    build_js_script(root, "build:cold", "js-cold")?;
    Ok(())
}

/// Every check of both languages (see the module's documentation).
pub(crate) fn check(root: &Path) -> Result<()> {
    let bin = root.join("target/debug/onething");
    // Python.
    let venv = ensure_componentize_py(root)?;
    let python = venv.join("bin/python");
    run(Command::new(&python).current_dir(root).args([
        "-m",
        "unittest",
        "discover",
        "-s",
        "sdk/python/tests",
        "-t",
        "sdk/python",
    ]))?;
    run(Command::new(&python)
        .current_dir(root.join("plugins/python/housing-fund"))
        .args(["-m", "unittest", "discover", "-s", "tests"]))?;
    build_python(root)?;
    cases(root, &bin, "python")?;
    // JavaScript.
    npm_ci(&root.join("sdk/js"))?;
    run(npm().current_dir(root.join("sdk/js")).arg("test"))?;
    build_js(root)?;
    run(npm()
        .current_dir(root.join("plugins/js/housing-fund"))
        .arg("test"))?;
    cases(root, &bin, "js")?;
    scaffold_python(root, &bin, &venv)?;
    scaffold_js(root, &bin)?;
    eprintln!(
        "the Python and JavaScript SDKs pass the shared vectors, their housing-fund departments pass the Rust one's cases, and both scaffolds pass untouched"
    );
    Ok(())
}

/// The Rust department's cases against the `lang` build of it.
fn cases(root: &Path, bin: &Path, lang: &str) -> Result<()> {
    let dir = components(root, lang);
    run(Command::new(bin)
        .current_dir(root)
        .arg("test")
        .arg("--plugins")
        .arg(&dir)
        .arg("--junit")
        .arg(dir.join("junit.xml"))
        .arg(CASES))
}

fn scaffold_python(root: &Path, bin: &Path, venv: &Path) -> Result<()> {
    let dir = crate::scaffold::fresh_project(root, bin, "demo-department-python", "python")?;
    let python = venv.join("bin/python");
    run(Command::new(&python)
        .current_dir(&dir)
        .args(["-m", "unittest", "discover", "-s", "tests"]))?;
    run(Command::new(&python).current_dir(&dir).arg("build.py"))?;
    run(Command::new(bin).current_dir(&dir).arg("test"))?;
    // The authoring loop builds it again (build.py, run with the
    // project's .venv: here the shared one) and runs its cases.
    std::os::unix::fs::symlink(venv, dir.join(".venv"))
        .context("linking the shared venv as the project's .venv")?;
    run(Command::new(bin).current_dir(&dir).args(["dev", "--once"]))?;
    Ok(())
}

fn scaffold_js(root: &Path, bin: &Path) -> Result<()> {
    let dir = crate::scaffold::fresh_project(root, bin, "demo-department-js", "js")?;
    run(npm()
        .current_dir(&dir)
        .args(["install", "--no-audit", "--no-fund"]))?;
    run(npm().current_dir(&dir).arg("test"))?;
    run(npm().current_dir(&dir).args(["run", "build"]))?;
    run(Command::new(bin).current_dir(&dir).arg("test"))?;
    // The authoring loop: npm run build again, then the cases.
    run(Command::new(bin).current_dir(&dir).args(["dev", "--once"]))?;
    Ok(())
}
