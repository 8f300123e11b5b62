//! `onething audit verify`: check a store's audit chain from end to end
//! against its checkpoint (and, if given, a checkpoint kept elsewhere),
//! naming the first broken record. Reads the store without writing it;
//! safe while the service runs.

use std::path::PathBuf;
use std::process::ExitCode;

use onething_store::audit::Broken;
use onething_store_sqlite::{audit_digest_in, verify_audit_in};

use crate::config::Config;

/// `onething audit …`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check the whole audit chain; exit 0 if intact, 1 naming the first
    /// broken record.
    Verify(VerifyArgs),
}

/// Arguments of `onething audit verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The service's config file (its data_dir holds the store).
    #[arg(long, value_name = "FILE", conflicts_with = "data_dir")]
    config: Option<PathBuf>,
    /// The data directory holding onething.db.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// A checkpoint kept outside the host (`SEQ:DIGEST`, from
    /// `GET /admin/audit/checkpoint`): the log must still contain it.
    #[arg(long, value_name = "SEQ:DIGEST")]
    expect: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    let Command::Verify(args) = cmd;
    let data_dir = match (&args.config, &args.data_dir) {
        (Some(c), _) => Config::load(c)?.data_dir,
        (None, Some(d)) => d.clone(),
        (None, None) => Config::default().data_dir,
    };
    let expect = match &args.expect {
        None => None,
        Some(e) => {
            let (seq, digest) = e
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--expect {e:?}: expected SEQ:DIGEST"))?;
            let seq: u64 = seq
                .parse()
                .map_err(|_| anyhow::anyhow!("--expect {e:?}: {seq:?} is not a record number"))?;
            Some((seq, digest.to_owned()))
        }
    };
    let result = verify_audit_in(&data_dir)?;
    let result = match (result, expect) {
        (Ok(v), Some((seq, digest))) => match audit_digest_in(&data_dir, seq)? {
            Some(d) if d == digest => Ok(v),
            Some(d) => Err(Broken {
                seq,
                reason: format!(
                    "its digest is {d}, not {digest} as kept outside the host (the log was rewritten)"
                ),
            }),
            None => Err(Broken {
                seq,
                reason: "missing, though the checkpoint kept outside the host has it (truncated)"
                    .into(),
            }),
        },
        (r, _) => r,
    };
    match result {
        Ok(v) => {
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({ "intact": true, "records": v.records, "head": v.head })
                );
            } else {
                outln!("audit log intact: {} records, head {}", v.records, v.head);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(broken) => {
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({ "intact": false, "first_broken": broken })
                );
            } else {
                outln!("audit log BROKEN at {broken}");
            }
            Ok(ExitCode::from(1))
        }
    }
}
