//! `onething dictionary check PROPOSED`: a proposed version of the data
//! dictionary, read as the service would read it, compared with the
//! current one (what changes, which of it can break, which groups' owners
//! must approve), and checked against the local components, bundles and
//! grants register exactly as the service checks an upload. Exit 0 when
//! it could serve, 1 when it would be refused.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use onething_catalog::local;
use onething_runtime::Runtime;
use onething_runtime::capabilities::{Capabilities, SystemClock};
use onething_store::memory::MemoryKv;

use super::PathArgs;

/// `onething dictionary …`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check a proposed dictionary: its changes from the current one, the
    /// owners who must approve them, and whether what serves locally
    /// (components, bundles, grants) still loads with it.
    Check(CheckArgs),
}

/// Arguments of `onething dictionary check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The proposed dictionary (TOML).
    proposed: PathBuf,
    /// The current dictionary, the components, bundles and register to
    /// check it against (`--dictionary` is the current one).
    #[command(flatten)]
    paths: PathArgs,
    /// Print one JSON object {from, to, changes, owners, faults}.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Check(args) => check(args).await,
    }
}

async fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let paths = args.paths.resolve();
    let proposed = local::load_dictionary(&args.proposed)?;
    let caps = Capabilities::new(
        Arc::new(SystemClock::china_standard_time()),
        Arc::new(MemoryKv::default()),
    );
    let runtime = Runtime::new(super::local_limits(), caps)?;
    let current = local::load(&runtime, paths.local(), None).await?;
    let changes = proposed.changes_from(current.dict());
    let faults: Vec<String> = match local::check_dictionary(&proposed, &current) {
        Ok(()) => Vec::new(),
        Err(onething_catalog::LoaderError::BreaksServing { faults, .. }) => faults,
        Err(other) => vec![other.to_string()],
    };
    let owners: Vec<String> = changes.owners().iter().map(ToString::to_string).collect();
    if args.json {
        let out = serde_json::json!({
            "from": changes.from,
            "to": changes.to,
            "changes": changes.changes,
            "owners": owners,
            "faults": faults,
        });
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!(
            "{} → {}: dictionary {} → {}",
            paths.dictionary.display(),
            args.proposed.display(),
            changes.from,
            changes.to
        );
        if changes.is_empty() {
            outln!("  no entry changes");
        }
        for c in &changes.changes {
            outln!("  {c}");
        }
        if !owners.is_empty() {
            outln!("approval needed from the owners: {}", owners.join(", "));
        }
        if changes.from == changes.to && !changes.is_empty() {
            outln!(
                "note: the version is still {}; the service refuses another text under a stored version",
                changes.to
            );
        }
        let what = format!(
            "{} component(s), {} bundle(s) and the grants register",
            current.plugins().count(),
            current.bundles().count()
        );
        if faults.is_empty() {
            outln!("checked against {what}: it can serve");
        } else {
            outln!("checked against {what}: it would be refused:");
            for f in &faults {
                outln!("  - {f}");
            }
        }
    }
    Ok(if faults.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
