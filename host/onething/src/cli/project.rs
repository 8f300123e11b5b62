//! What kind of plugin project a directory is, as `onething plugin new`
//! makes them, and how one is built into its component: a Rust crate
//! (`Cargo.toml`: `cargo build --release`, the `.wasm` cargo names), a
//! JavaScript package (`package.json`: `npm run build`, the newest
//! `.wasm` in `dist/`) or a Python project (`build.py`: run with the
//! project's `.venv` Python when it has one, the `.wasm` it names last
//! on its output). Also which of its paths are the build's own output,
//! so a watcher does not rebuild on them.
//!
//! Not for building the repository's own plugins: `cargo xtask` does.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context as _;
use tokio::io::AsyncBufReadExt as _;

/// A plugin project's language, told by the file that builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Project {
    /// `Cargo.toml`.
    Rust,
    /// `package.json`.
    Js,
    /// `build.py`.
    Python,
}

impl Project {
    /// The kind of project `dir` is, or what makes one.
    pub fn of(dir: &Path) -> anyhow::Result<Project> {
        if dir.join("Cargo.toml").is_file() {
            Ok(Project::Rust)
        } else if dir.join("package.json").is_file() {
            Ok(Project::Js)
        } else if dir.join("build.py").is_file() {
            Ok(Project::Python)
        } else {
            anyhow::bail!(
                "{}: not a plugin project (no Cargo.toml, package.json or build.py; make one with `onething plugin new NAME [--lang rust|python|js]`)",
                dir.display()
            )
        }
    }

    /// Whether the path (its components under the project's root) is the
    /// build's own output or its tools' files: `target/` and `Cargo.lock`
    /// (which cargo rewrites when the version changes), `dist/`,
    /// `node_modules/` and `package-lock.json`, `__pycache__/` and a
    /// `.wasm` anywhere.
    pub fn is_output(names: &[&str]) -> bool {
        matches!(
            names.first().copied(),
            Some("target" | "dist" | "node_modules")
        ) || names == ["Cargo.lock"]
            || names == ["package-lock.json"]
            || names.contains(&"__pycache__")
            || names.last().is_some_and(|n| n.ends_with(".wasm"))
    }

    /// What to bump when the service already holds another build of the
    /// version.
    pub fn version_file(self) -> &'static str {
        match self {
            Project::Rust => "Cargo.toml",
            Project::Js => "package.json and the manifest",
            Project::Python => "the manifest in app.py",
        }
    }

    /// Build the project in `dir`, its tools' messages on stderr; the
    /// component it built.
    pub async fn build(self, dir: &Path) -> anyhow::Result<PathBuf> {
        match self {
            Project::Rust => cargo_build(dir).await,
            Project::Js => {
                let started = std::time::SystemTime::now();
                let status = tokio::process::Command::new("npm")
                    .current_dir(dir)
                    .args(["run", "build"])
                    .stdout(Stdio::inherit())
                    .status()
                    .await
                    .context("starting npm (is Node.js with npm on PATH?)")?;
                anyhow::ensure!(
                    status.success(),
                    "npm run build failed ({status}); its messages are above"
                );
                newest_wasm(&dir.join("dist"), started).ok_or_else(|| {
                    anyhow::anyhow!(
                        "npm run build wrote no .wasm in {}: its build script must write the component there (as `onething plugin new --lang js` makes it)",
                        dir.join("dist").display()
                    )
                })
            }
            Project::Python => {
                let venv = dir.join(".venv/bin/python");
                let python = if venv.is_file() {
                    venv
                } else {
                    PathBuf::from("python3")
                };
                let out = tokio::process::Command::new(&python)
                    .current_dir(dir)
                    .arg("build.py")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .output()
                    .await
                    .with_context(|| format!("starting {}", python.display()))?;
                let said = String::from_utf8_lossy(&out.stdout);
                eprint!("{said}");
                anyhow::ensure!(
                    out.status.success(),
                    "{} build.py failed ({}); its messages are above",
                    python.display(),
                    out.status
                );
                said.lines()
                    .rev()
                    .find_map(|l| l.strip_prefix("built "))
                    .map(|p| dir.join(p.trim()))
                    .filter(|p| p.is_file())
                    .ok_or_else(|| {
                        anyhow::anyhow!(
                            "build.py named no component it built (its last line must be `built FILE.wasm`, as `onething plugin new --lang python` makes it)"
                        )
                    })
            }
        }
    }
}

/// The newest `.wasm` directly in `dir` written since `since`.
fn newest_wasm(dir: &Path, since: std::time::SystemTime) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "wasm"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .filter(|(at, _)| *at >= since)
        .max()
        .map(|(_, p)| p)
}

/// `cargo build --release` in `dir`, its messages on stderr; the
/// component it built (the last `.wasm` artifact cargo names).
async fn cargo_build(dir: &Path) -> anyhow::Result<PathBuf> {
    let mut child = tokio::process::Command::new("cargo")
        .current_dir(dir)
        .args([
            "build",
            "--release",
            "--message-format",
            "json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting cargo (is a Rust toolchain on PATH?)")?;
    let stdout = child.stdout.take().context("cargo's output")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut wasm = None;
    while let Some(line) = lines.next_line().await? {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && let Some(files) = msg["filenames"].as_array()
        {
            for f in files.iter().filter_map(|f| f.as_str()) {
                if f.ends_with(".wasm") {
                    wasm = Some(PathBuf::from(f));
                }
            }
        }
    }
    let status = child.wait().await?;
    anyhow::ensure!(
        status.success(),
        "cargo build failed ({status}); its messages are above"
    );
    wasm.ok_or_else(|| {
        anyhow::anyhow!(
            "cargo built no .wasm: the crate needs crate-type = [\"cdylib\"] and the wasm32-wasip2 target (.cargo/config.toml, as `onething plugin new` writes)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_that_builds_a_project_tells_its_kind() {
        let tmp = tempfile::tempdir().expect("tmp");
        let err = Project::of(tmp.path()).expect_err("nothing there");
        assert!(err.to_string().contains("--lang rust|python|js"), "{err}");
        std::fs::write(tmp.path().join("build.py"), "").expect("write");
        assert_eq!(Project::of(tmp.path()).ok(), Some(Project::Python));
        std::fs::write(tmp.path().join("package.json"), "{}").expect("write");
        assert_eq!(Project::of(tmp.path()).ok(), Some(Project::Js));
        std::fs::write(tmp.path().join("Cargo.toml"), "").expect("write");
        assert_eq!(Project::of(tmp.path()).ok(), Some(Project::Rust));
    }

    #[test]
    fn the_builds_own_output_is_told_apart() {
        for output in [
            &["target", "release", "x.wasm"][..],
            &["dist", "civil-affairs.wasm"],
            &["node_modules", "smol-toml", "index.js"],
            &["Cargo.lock"],
            &["package-lock.json"],
            &["civil-affairs.wasm"],
            &["tests", "__pycache__", "test_app.cpython-311.pyc"],
        ] {
            assert!(Project::is_output(output), "{output:?}");
        }
        for source in [
            &["src", "lib.rs"][..],
            &["src", "app.js"],
            &["app.py"],
            &["cases", "filing.toml"],
            &["package.json"],
            &["src", "bin", "Cargo.lock"],
        ] {
            assert!(!Project::is_output(source), "{source:?}");
        }
    }
}
