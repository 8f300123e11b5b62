//! `onething test [CASES…]`: run a department's declarative cases (TOML
//! case files, see the plugin guide) in the real sandbox, or a bundle's
//! (whole applications through the engine, [`crate::cases::bundle`]),
//! and report each
//! with what it used of the limits; JUnit XML for CI with `--junit`; a
//! non-zero exit when any case fails or cannot run.
//!
//! A CASES argument is a case file or a directory: the `*.toml` files of
//! its `cases/` directory when it has one (so a plugin project's
//! directory works), else its own. With none, `./cases`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use onething_catalog::local;

use crate::cases::report;
use crate::cases::run::{Settings, SuiteResult, run_file};
use crate::config::Config;
use crate::paths::Paths;

/// Arguments of `onething test`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Case files, or directories holding them (default ./cases).
    cases: Vec<PathBuf>,
    /// Directory of department components (.wasm), where a case file
    /// naming only its department finds the component.
    #[arg(long, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// The component every case file runs, over the one it names or
    /// finds by department (a build of the same department in another
    /// language, say).
    #[arg(long, value_name = "FILE")]
    component: Option<PathBuf>,
    /// Directory of bundle files, where bundle cases find theirs
    /// (default: the config's, else the bundles/ beside the dictionary).
    #[arg(long, value_name = "DIR")]
    bundles: Option<PathBuf>,
    /// The data dictionary (default: the config's, else
    /// $ONETHING_DICTIONARY, else the first examples/dictionary.toml in
    /// the current directory or above it).
    #[arg(long, value_name = "FILE")]
    dictionary: Option<PathBuf>,
    /// The service's config file: its limits, and its outbound policies,
    /// secrets and configuration values where it has them for a
    /// department (over the case file's).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

/// The case files `args` name, sorted and without repeats.
pub(super) fn case_files(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let given = if args.is_empty() {
        vec![PathBuf::from("cases")]
    } else {
        args.to_vec()
    };
    let mut out = Vec::new();
    for path in &given {
        if path.is_dir() {
            let before = out.len();
            let nested = path.join("cases");
            if nested.is_dir() {
                toml_files_in(&nested, &mut out)?;
            } else {
                toml_files_in(path, &mut out)?;
            }
            if out.len() == before {
                anyhow::bail!(
                    "{}: no case files (*.toml) in it or in its cases/ directory",
                    path.display()
                );
            }
        } else if path.exists() {
            out.push(path.clone());
        } else {
            anyhow::bail!(
                "{}: no such case file or directory{}",
                path.display(),
                if args.is_empty() {
                    " (name case files, or run in a plugin project with a cases/ directory)"
                } else {
                    ""
                }
            );
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The `*.toml` files directly in `dir`, read through cap-std.
fn toml_files_in(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let d = cap_std::fs::Dir::open_ambient_dir(dir, cap_std::ambient_authority())
        .with_context(|| format!("opening {}", dir.display()))?;
    for entry in d
        .entries()
        .with_context(|| format!("listing {}", dir.display()))?
    {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".toml") && entry.file_type().is_ok_and(|t| t.is_file()) {
            out.push(dir.join(&*name));
        }
    }
    Ok(())
}

/// The configuration cases run under without `--config`: the local
/// commands' limits, the plugin's log shown as text (cases hold test
/// data, never an applicant's; sensitive fields are still masked).
pub(super) fn local_config() -> Config {
    let limits = onething_runtime::Limits {
        plugin_log: onething_runtime::capabilities::log::PluginLog::Text,
        ..super::local_limits()
    };
    Config {
        limits,
        ..Config::default()
    }
}

/// The variable naming the platform's dictionary (as for the SDK's test
/// kit).
const DICTIONARY_ENV: &str = "ONETHING_DICTIONARY";

/// The dictionary when none is named: `$ONETHING_DICTIONARY`, else the
/// first `examples/dictionary.toml` in the current directory or above it
/// (a plugin project inside the repository finds the repository's).
pub(super) fn default_dictionary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os(DICTIONARY_ENV) {
        return Ok(PathBuf::from(p));
    }
    let here = std::env::current_dir()?;
    here.ancestors()
        .map(|d| d.join("examples/dictionary.toml"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no examples/dictionary.toml in {} or above it: give --dictionary FILE or set {DICTIONARY_ENV}",
                here.display()
            )
        })
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let files = case_files(&args.cases)?;
    let (config, paths) = match &args.config {
        Some(path) => {
            let config = Config::load(path)?;
            let paths = config.paths();
            (config, paths)
        }
        None => (local_config(), Paths::default()),
    };
    let dictionary_path = match (&args.dictionary, &args.config) {
        (Some(given), _) => given.clone(),
        (None, Some(_)) => paths.dictionary.clone(),
        (None, None) => default_dictionary()?,
    };
    // What bundle cases load: without a config, the bundles and grants
    // beside the dictionary (the repository's examples/).
    let beside = |name: &str, default: &Path| {
        let p = dictionary_path.with_file_name(name);
        if args.config.is_none() && p.exists() {
            p
        } else {
            default.to_path_buf()
        }
    };
    let bundle_paths = Paths {
        dictionary: dictionary_path.clone(),
        grants: beside("grants.toml", &paths.grants),
        plugins: args.plugins.clone().unwrap_or(paths.plugins),
        bundles: args
            .bundles
            .clone()
            .unwrap_or_else(|| beside("bundles", &paths.bundles)),
    };
    let dictionary = local::load_dictionary(&dictionary_path)
        .with_context(|| format!("the dictionary {}", dictionary_path.display()))?;
    let settings = Settings {
        dictionary: Arc::new(dictionary),
        component: args.component.clone(),
        config,
        paths: bundle_paths,
    };
    let started = Instant::now();
    let mut suites: Vec<SuiteResult> = Vec::new();
    for file in &files {
        suites.push(run_file(file, &settings).await);
    }
    let text = report::text(&suites, started.elapsed());
    for line in text.lines() {
        outln!("{line}");
    }
    if let Some(path) = &args.junit {
        let xml = report::junit(&suites)?;
        super::plugin::write_beside(path, xml.as_bytes())?;
        eprintln!("JUnit XML written to {}", path.display());
    }
    let failed: usize = suites.iter().map(SuiteResult::failures).sum();
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
