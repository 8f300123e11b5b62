//! What the pages' browser tests need: Debian's Chromium and chromedriver
//! and a CJK font (without one Chinese renders as boxes in the
//! screenshots), installed with `apt-get` when missing and xtask runs as
//! root (otherwise it stops and says what to install); and axe-core, the
//! accessibility checker the tests load into each page, from
//! `tests/browser/package-lock.json` with `npm ci`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The packages, and a file each one installs.
const PACKAGES: &[(&str, &str)] = &[
    ("chromium", "/usr/bin/chromium"),
    ("chromium-driver", "/usr/bin/chromedriver"),
    (
        "fonts-wqy-microhei",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ),
];

/// Install what is missing, then axe-core.
pub fn ensure(root: &Path) -> Result<()> {
    let missing: Vec<&str> = PACKAGES
        .iter()
        .filter(|(_, file)| !Path::new(file).exists())
        .map(|(package, _)| *package)
        .collect();
    if !missing.is_empty() {
        if !crate::postgres::is_root() {
            bail!(
                "the pages' browser tests need {} and xtask is not root, so it cannot install them: `sudo apt-get install {}`, or run `cargo xtask test` as root",
                missing.join(", "),
                missing.join(" ")
            );
        }
        apt_install(&missing, "the pages' browser tests")?;
    }
    crate::guests::npm_ci(&root.join("tests/browser"))
        .context("installing axe-core for the pages' browser tests")
}

/// `apt-get install -y PACKAGES`, refreshing the package lists once if
/// that fails (they may be missing or stale).
pub fn apt_install(packages: &[&str], why: &str) -> Result<()> {
    let install = || {
        let mut apt = Command::new("apt-get");
        apt.env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y"])
            .args(packages);
        crate::run(&mut apt)
    };
    if install().is_err() {
        crate::run(Command::new("apt-get").arg("update")).with_context(|| {
            format!(
                "apt-get update (to install {} for {why})",
                packages.join(" ")
            )
        })?;
        install().with_context(|| format!("installing {} for {why}", packages.join(" ")))?;
    }
    Ok(())
}
