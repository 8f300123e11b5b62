//! `onething dev [DIR]`: the authoring loop of a plugin project (Rust,
//! JavaScript or Python: see [`super::project`]). Each round builds the
//! component (`cargo build --release`, `npm run build` or `python
//! build.py`), hot-loads it
//! into a running service when `--host` names one (the operator API's
//! `POST /admin/plugins`, as any upload: admitted and activated, or
//! refused with the reason), runs the project's declarative cases
//! against the build just made, and prints one summary line. Then it
//! watches the project (its sources, cases and manifests, not the
//! build's output) and starts a round when it has been quiet for `--debounce-ms`.
//! `--once` runs one round and exits: 0 when the build, the upload and
//! every case passed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use notify::{RecursiveMode, Watcher as _};
use onething_catalog::local;

use super::project::Project;
use crate::cases::report;
use crate::cases::run::{Settings, SuiteResult, run_file};

/// Arguments of `onething dev`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The plugin project (its Cargo.toml, package.json or build.py, and
    /// cases/).
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// A running service to hot-load each build into, e.g.
    /// http://127.0.0.1:8080 (an operator with the publisher role).
    #[arg(long, value_name = "URL")]
    host: Option<String>,
    /// A file holding the operator's token for --host (default
    /// $ONETHING_OPERATOR_TOKEN).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The data dictionary (default $ONETHING_DICTIONARY, else the first
    /// examples/dictionary.toml in the current directory or above it).
    #[arg(long, value_name = "FILE")]
    dictionary: Option<PathBuf>,
    /// One round (build, hot-load, cases), then exit.
    #[arg(long)]
    once: bool,
    /// How long the project must be quiet before a round starts.
    #[arg(long, value_name = "MS", default_value_t = 300)]
    debounce_ms: u64,
}

/// The variable holding the operator's token for `--host`.
const TOKEN_ENV: &str = "ONETHING_OPERATOR_TOKEN";

/// What one round came to.
#[derive(Debug, Default)]
struct Round {
    /// The component built, or why not.
    built: Option<PathBuf>,
    /// What the service said of the upload, when there is one.
    loaded: Option<Result<String, String>>,
    /// Cases run and failed (a file that could not run counts as one).
    cases: usize,
    failures: usize,
}

impl Round {
    fn passed(&self) -> bool {
        self.built.is_some() && !matches!(self.loaded, Some(Err(_))) && self.failures == 0
    }
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dir = args.dir.clone();
    let project = Project::of(&dir)?;
    let dictionary_path = match &args.dictionary {
        Some(d) => d.clone(),
        None => super::test::default_dictionary()?,
    };
    let token = match (&args.host, &args.token_file) {
        (None, _) => None,
        (Some(_), Some(file)) => Some(
            std::fs::read_to_string(file)
                .with_context(|| format!("--token-file {}", file.display()))?
                .trim()
                .to_owned(),
        ),
        (Some(_), None) => Some(std::env::var(TOKEN_ENV).map_err(|_| {
            anyhow::anyhow!("--host needs the operator's token: --token-file FILE or ${TOKEN_ENV}")
        })?),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let upload = |bytes: Vec<u8>| {
        let (client, token) = (client.clone(), token.clone());
        let host = args.host.clone();
        async move {
            match (host, token) {
                (Some(host), Some(token)) => Some(hot_load(&client, &host, &token, bytes).await),
                _ => None,
            }
        }
    };
    let first = round(project, &dir, &dictionary_path, &upload).await;
    if args.once {
        return Ok(if first.passed() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let root = dir.canonicalize().unwrap_or_else(|_| dir.clone());
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && event.kind.is_modify() | event.kind.is_create() | event.kind.is_remove()
            && event.paths.iter().any(|p| wanted(p, &root))
        {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(&dir, RecursiveMode::Recursive)?;
    loop {
        outln!("watching {} for changes (Ctrl-C to stop)", dir.display());
        if rx.recv().await.is_none() {
            return Ok(ExitCode::SUCCESS);
        }
        // Until quiet: an editor's save is several events.
        while let Ok(Some(())) =
            tokio::time::timeout(Duration::from_millis(args.debounce_ms), rx.recv()).await
        {}
        outln!("\nchanged: a new round");
        round(project, &dir, &dictionary_path, &upload).await;
    }
}

/// Whether a changed path under the project `root` starts a round: not
/// the build's own output ([`Project::is_output`]), nor a hidden file (an
/// editor's swap file, `.git`, a `.venv`).
fn wanted(path: &Path, root: &Path) -> bool {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let Ok(rel) = path.strip_prefix(root) else {
        return false;
    };
    let names: Vec<&str> = rel
        .components()
        .filter_map(|c| c.as_os_str().to_str())
        .collect();
    !names.is_empty() && !Project::is_output(&names) && !names.iter().any(|n| n.starts_with('.'))
}

/// Build, hot-load, run the cases; print what happened and a summary.
async fn round<F, Fut>(project: Project, dir: &Path, dictionary_path: &Path, upload: &F) -> Round
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: std::future::Future<Output = Option<Result<String, String>>>,
{
    let started = Instant::now();
    let mut r = Round::default();
    let component = match project.build(dir).await {
        Ok(c) => c,
        Err(e) => {
            outln!("✗ build: {e:#}");
            return r;
        }
    };
    outln!(
        "built {} in {:.1} s",
        component.display(),
        started.elapsed().as_secs_f64()
    );
    r.built = Some(component.clone());
    match std::fs::read(&component) {
        Ok(bytes) => {
            r.loaded = upload(bytes).await.map(|said| {
                said.map_err(|why| {
                    if why.contains("already stored as build") {
                        format!(
                            "{why} (bump `version` in {}: a version names one build)",
                            project.version_file()
                        )
                    } else {
                        why
                    }
                })
            })
        }
        Err(e) => r.loaded = Some(Err(format!("reading {}: {e}", component.display()))),
    }
    match &r.loaded {
        Some(Ok(said)) => outln!("hot-loaded: {said}"),
        Some(Err(why)) => outln!("✗ hot-load refused: {why}"),
        None => {}
    }
    // Read each round: the dictionary may have changed too.
    let dictionary = local::load_dictionary(dictionary_path)
        .with_context(|| format!("the dictionary {}", dictionary_path.display()));
    let dictionary = match dictionary {
        Ok(d) => d,
        Err(e) => {
            outln!("✗ cases: {e:#}");
            r.failures = 1;
            return r;
        }
    };
    match super::test::case_files(&[dir.to_path_buf()]) {
        Ok(files) => {
            let settings = Settings {
                dictionary: Arc::new(dictionary),
                component: Some(component),
                config: super::test::local_config(),
                paths: crate::paths::Paths {
                    dictionary: dictionary_path.to_path_buf(),
                    plugins: dir.join("target"),
                    ..crate::paths::Paths::default()
                },
            };
            let cases_started = Instant::now();
            let mut suites: Vec<SuiteResult> = Vec::new();
            for file in &files {
                suites.push(run_file(file, &settings).await);
            }
            for line in report::text(&suites, cases_started.elapsed()).lines() {
                outln!("{line}");
            }
            r.cases = suites.iter().map(|s| s.cases.len()).sum();
            r.failures = suites.iter().map(SuiteResult::failures).sum();
        }
        Err(e) => outln!("no cases run: {e:#}"),
    }
    outln!(
        "{} round in {:.1} s: built{}, {} case(s), {} failed",
        if r.passed() { "✓" } else { "✗" },
        started.elapsed().as_secs_f64(),
        match &r.loaded {
            Some(Ok(_)) => ", hot-loaded",
            Some(Err(_)) => ", refused by the host",
            None => "",
        },
        r.cases,
        r.failures
    );
    r
}

/// Upload a build to the service; what it answered, or why it refused.
async fn hot_load(
    client: &reqwest::Client,
    host: &str,
    token: &str,
    bytes: Vec<u8>,
) -> Result<String, String> {
    let url = format!("{}/admin/plugins", host.trim_end_matches('/'));
    let answer = client
        .post(&url)
        .bearer_auth(token)
        .header("content-type", "application/wasm")
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let status = answer.status();
    let body: serde_json::Value = answer.json().await.unwrap_or_default();
    if status.is_success() {
        Ok(format!(
            "{} {} {} ({})",
            body["subject"].as_str().unwrap_or("?"),
            body["version"].as_str().unwrap_or("?"),
            if body["changed"] == true {
                "now serving"
            } else {
                "was serving already"
            },
            body["digest"].as_str().unwrap_or("?")
        ))
    } else {
        let detail = body["detail"].as_str().unwrap_or("");
        Err(format!("{status}: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builds_own_output_and_hidden_files_start_no_round() {
        // The project may sit in a hidden directory (a temporary one).
        let root = Path::new("/tmp/.tmpAb12/p");
        let at = |rel: &str| root.join(rel);
        assert!(wanted(&at("src/lib.rs"), root));
        assert!(wanted(&at("cases/filing.toml"), root));
        assert!(wanted(&at("Cargo.toml"), root));
        assert!(wanted(&at("src/bin/Cargo.lock"), root));
        assert!(!wanted(&at("target/release/x.wasm"), root));
        assert!(!wanted(&at("Cargo.lock"), root));
        assert!(!wanted(&at("src/.lib.rs.swp"), root));
        assert!(!wanted(&at(".git/index"), root));
        assert!(!wanted(Path::new("/elsewhere/lib.rs"), root));
    }
}
