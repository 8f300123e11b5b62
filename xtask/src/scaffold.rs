//! The plugin scaffold, checked as a new department would use it:
//! `onething plugin new` makes a project outside the plugins workspace,
//! which then builds, passes its own unit tests, and passes its
//! declarative cases with `onething test`, all untouched.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use crate::{WASM_TARGET, run};

/// A fresh project of `lang` made by `onething plugin new` (the debug
/// binary `bin`) in `target/scaffold/<dir>`, the last run's removed.
pub(crate) fn fresh_project(root: &Path, bin: &Path, dir: &str, lang: &str) -> Result<PathBuf> {
    let rel = format!("target/scaffold/{dir}");
    let dir = root.join(&rel);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .with_context(|| format!("removing the last run's {}", dir.display()))?;
    }
    run(Command::new(bin).current_dir(root).args([
        "plugin",
        "new",
        "demo-department",
        "--lang",
        lang,
        "--dir",
        &rel,
    ]))?;
    Ok(dir)
}

/// Makes a fresh project with the debug `onething` binary, then builds
/// and tests it with the toolchain its `rust-toolchain.toml` pins.
pub(crate) fn check(root: &Path, host: &str) -> Result<()> {
    let bin = root.join("target/debug/onething");
    let dir = fresh_project(root, &bin, "demo-department", "rust")?;
    // The plugins' lock file pins the SDK's dependencies to the versions
    // the rest of the tests use, so this run needs nothing new.
    std::fs::copy(root.join("plugins/Cargo.lock"), dir.join("Cargo.lock"))
        .context("copying plugins/Cargo.lock into the new project")?;
    run(user_cargo(&dir).args(["build", "--release"]))?;
    let component = dir.join(format!("target/{WASM_TARGET}/release/demo_department.wasm"));
    if !component.is_file() {
        anyhow::bail!(
            "the new project built, but no component at {}",
            component.display()
        );
    }
    run(user_cargo(&dir).args(["test", "--target", host]))?;
    run(Command::new(&bin).current_dir(&dir).arg("test"))?;
    eprintln!("the scaffold builds, passes its unit tests and its cases untouched");
    Ok(())
}

/// `cargo` as the department's shell finds it: through rustup, so the
/// project's `rust-toolchain.toml` chooses the toolchain, and with none
/// of this run's cargo settings.
fn user_cargo(dir: &Path) -> Command {
    let mut c = Command::new("cargo");
    crate::without_outer_settings(&mut c);
    c.env_remove("RUSTUP_TOOLCHAIN").env_remove("CARGO");
    c.current_dir(dir);
    c
}
