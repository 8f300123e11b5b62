//! `onething run`: one application through its bundle, locally, with
//! step-by-step progress on the terminal or a JSON report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use onething::application::{ApplicationDoc, read_contents};
use onething::capabilities::{Capabilities, MemoryKv};
use onething::platform::Platform;
use onething::run::{RetryPolicy, RunStatus, Runner};

use super::{PathArgs, render};

/// Arguments of `onething run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The application document (JSON).
    application: Vec<PathBuf>,
    #[command(flatten)]
    paths: PathArgs,
    /// Print a machine-readable report instead of progress.
    #[arg(long)]
    json: bool,
    /// Pin the plugins' clock to this date (YYYY-MM-DD), for reproducible runs.
    #[arg(long, value_name = "DATE")]
    today: Option<NaiveDate>,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.application.is_empty() {
        bail!("name at least one application file, e.g. examples/applications/newborn.json");
    }
    let caps = Capabilities {
        clock: onething::capabilities::clock::pinned_or_system(args.today),
        kv: Arc::new(MemoryKv::default()),
    };
    let platform = Platform::load(
        &args.paths.resolve(),
        onething::platform::local_limits(),
        caps,
    )
    .await?;
    let runner = Runner {
        registry: &platform.registry,
        dict: &platform.dict,
        retry: RetryPolicy::default(),
    };
    let mut all_completed = true;
    let mut reports = Vec::new();
    for (n, path) in args.application.iter().enumerate() {
        let doc = ApplicationDoc::load(path)?;
        let bundle = platform.bundle(&doc.bundle).with_context(|| {
            let known: Vec<&str> = platform.bundles.iter().map(|b| b.id.as_str()).collect();
            format!(
                "{}: bundle {} is not loaded (known: {})",
                path.display(),
                doc.bundle,
                known.join(", ")
            )
        })?;
        let base = path.parent().unwrap_or_else(|| std::path::Path::new("."));
        let contents = read_contents(&doc, bundle, &platform.dict, Some(base));
        let id = application_id(path, n);
        if !args.json {
            render::header(bundle, &id, path);
        }
        let quiet = args.json;
        let dict = &platform.dict;
        let report = runner
            .run(bundle, &id, &contents, &|p| {
                if !quiet {
                    render::progress(&p, dict);
                }
            })
            .await;
        if !args.json {
            render::summary(&report, dict);
        }
        all_completed &= report.status == RunStatus::Completed;
        reports.push(report);
    }
    if args.json {
        let out = if reports.len() == 1 {
            serde_json::to_string_pretty(&reports[0])?
        } else {
            serde_json::to_string_pretty(&reports)?
        };
        println!("{out}");
    }
    Ok(if all_completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn application_id(path: &std::path::Path, n: usize) -> String {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("application");
    format!("local-{}-{stem}", n + 1)
}
