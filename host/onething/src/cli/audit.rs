//! `onething audit`: `verify` checks a store's audit chain from end to
//! end, and every stored event against the digest the chain sealed for
//! it, against the checkpoint, the host's key and (if given) a checkpoint
//! kept elsewhere, naming the first fault; `checkpoint` exports the
//! signed checkpoint for safekeeping away from the host. Both read the
//! store without writing it, so they are safe while the service runs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use ed25519_dalek::VerifyingKey;
use onething_store::audit::VerifyOptions;
use onething_store::audit::checkpoint::{Exported, parse_expected, signed_by};
use onething_store_sqlite::{checkpoint_in, verify_audit_in};

use crate::config::Config;

/// `onething audit …`.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Check the whole audit chain and every stored event; exit 0 if
    /// intact, 1 naming the first fault.
    Verify(VerifyArgs),
    /// Export the current checkpoint, signed, to keep away from the host;
    /// `verify --expect FILE` checks the log still holds it.
    Checkpoint(CheckpointArgs),
}

/// Which store, and which key vouches for its checkpoints.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The service's config file (its data_dir holds the store, its
    /// `[audit] signing_key` the host's key).
    #[arg(long, value_name = "FILE", conflicts_with = "data_dir")]
    config: Option<PathBuf>,
    /// The data directory holding onething.db.
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The store, when it is not the SQLite file in the data directory
    /// (overrides the config's `[store] url`): postgres://user@host:port/database.
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// The host's public key (a .pub file, the .key file, or 64 hex
    /// digits); by default the public half of the configured key, when
    /// its file is there.
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
}

/// Arguments of `onething audit verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A checkpoint kept outside the host: a file written by `onething
    /// audit checkpoint`, or `SEQ:DIGEST` (from `GET
    /// /admin/audit/checkpoint`). The log must still hold that record
    /// with that digest.
    #[arg(long, value_name = "FILE|SEQ:DIGEST")]
    expect: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `onething audit checkpoint`.
#[derive(Debug, clap::Args)]
pub struct CheckpointArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Where to write it (JSON); on stdout without it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// Which store to read: the SQLite file in a data directory, or a
/// PostgreSQL database (connected to as a host does).
enum Target {
    Sqlite(PathBuf),
    Postgres(crate::store::StoreSettings),
}

impl Target {
    /// How messages name it.
    fn shown(&self) -> String {
        match self {
            Target::Sqlite(dir) => dir.display().to_string(),
            Target::Postgres(s) => s
                .url
                .as_deref()
                .map(crate::store::redacted)
                .unwrap_or_default(),
        }
    }

    /// The PostgreSQL store, open (its key only verifies: nothing is
    /// written through it).
    async fn postgres(
        settings: &crate::store::StoreSettings,
    ) -> anyhow::Result<std::sync::Arc<dyn onething_store::Store>> {
        let options = onething_store::StoreOptions::default();
        let opened = crate::store::open(settings, Path::new("."), options).await?;
        Ok(opened.store)
    }
}

/// The store and the host's public key, if known.
fn store_and_key(args: &StoreArgs) -> anyhow::Result<(Target, Option<VerifyingKey>)> {
    let mut config = match &args.config {
        Some(c) => Config::load(c)?,
        None => Config::default(),
    };
    if let Some(url) = &args.store {
        config.store.url = Some(url.clone());
    }
    let data_dir = args.data_dir.clone().unwrap_or(config.data_dir.clone());
    let key = match &args.key {
        Some(k) => Some(crate::host_key::public_key(k)?),
        None => crate::host_key::read(&config.audit.signing_key_path(&data_dir))?
            .map(|k| k.verifying_key()),
    };
    let backend = config
        .store
        .backend()
        .map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let target = match backend {
        crate::store::Backend::Sqlite => Target::Sqlite(data_dir),
        crate::store::Backend::Postgres(_) => Target::Postgres(config.store),
    };
    Ok((target, key))
}

/// `--expect`: an exported checkpoint's file (its signature checked when
/// it carries one) or `SEQ:DIGEST`.
fn expected(given: &str, key: Option<&VerifyingKey>) -> anyhow::Result<(u64, String)> {
    let path = Path::new(given);
    let looks_like_file =
        !given.contains(":sha256:") || path.extension().is_some_and(|e| e == "json");
    if !looks_like_file {
        return parse_expected(given).map_err(|e| anyhow::anyhow!("--expect: {e}"));
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("--expect {given}: not SEQ:DIGEST, and no such file"))?;
    let exported: Exported = serde_json::from_str(&text)
        .with_context(|| format!("--expect {given}: not an exported checkpoint"))?;
    if let (Some(key), Some(signature)) = (key, &exported.signature)
        && !signed_by(key, exported.seq, &exported.digest, signature)
    {
        anyhow::bail!(
            "--expect {given}: its signature is not the host's key's (the file was altered, or it is another host's)"
        );
    }
    Ok((exported.seq, exported.digest))
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Verify(args) => verify(args).await,
        Command::Checkpoint(args) => checkpoint(args).await,
    }
}

async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let (target, key) = store_and_key(&args.store)?;
    let expected = args
        .expect
        .as_deref()
        .map(|e| expected(e, key.as_ref()))
        .transpose()?;
    let options = VerifyOptions { key, expected };
    let verified = match &target {
        Target::Sqlite(data_dir) => verify_audit_in(data_dir, &options)?,
        Target::Postgres(settings) => {
            Target::postgres(settings)
                .await?
                .verify_audit(&options)
                .await?
        }
    };
    match verified {
        Ok(v) => {
            if args.json {
                outln!(
                    "{}",
                    serde_json::json!({
                        "intact": true,
                        "records": v.records,
                        "events": v.events,
                        "head": v.head,
                        "signed": v.signed,
                        "key_checked": options.key.is_some(),
                    })
                );
            } else {
                let signed = match (options.key.is_some(), v.signed) {
                    _ if v.records == 0 => "no checkpoint yet",
                    (true, _) => "checkpoint signed by the host's key",
                    (false, true) => "checkpoint signed (no key given to check it)",
                    (false, false) => "checkpoint NOT signed",
                };
                outln!(
                    "audit log intact: {} records, {} events sealed, head {}, {signed}{}",
                    v.records,
                    v.events,
                    v.head,
                    match &options.expected {
                        Some((seq, _)) =>
                            format!(", holds the checkpoint kept elsewhere (record {seq})"),
                        None => String::new(),
                    }
                );
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

async fn checkpoint(args: CheckpointArgs) -> anyhow::Result<ExitCode> {
    let (target, key) = store_and_key(&args.store)?;
    let checkpoint = match &target {
        Target::Sqlite(data_dir) => checkpoint_in(data_dir)?,
        Target::Postgres(settings) => Target::postgres(settings).await?.audit_checkpoint().await?,
    };
    let Some(cp) = checkpoint else {
        anyhow::bail!(
            "the audit log in {} holds no record yet: nothing to export",
            target.shown()
        );
    };
    if let (Some(key), Some(sig)) = (&key, &cp.signature)
        && !signed_by(key, cp.seq, &cp.digest, sig)
    {
        anyhow::bail!(
            "the checkpoint in {} is not signed by the host's key: run `onething audit verify` first",
            target.shown()
        );
    }
    let exported = Exported {
        seq: cp.seq,
        digest: cp.digest,
        signature: cp.signature,
        public_key: key.map(|k| hex::encode(k.to_bytes())),
        exported_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    };
    let json = serde_json::to_string_pretty(&exported)?;
    match &args.out {
        None => outln!("{json}"),
        Some(path) => {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let name = path
                .file_name()
                .with_context(|| format!("--out {} names no file", path.display()))?;
            let dir = cap_std::fs::Dir::open_ambient_dir(parent, cap_std::ambient_authority())
                .with_context(|| format!("--out: opening {}", parent.display()))?;
            dir.write(name, format!("{json}\n"))
                .with_context(|| format!("writing {}", path.display()))?;
            outln!(
                "checkpoint {}:{} written to {}{}",
                exported.seq,
                exported.digest,
                path.display(),
                if exported.signature.is_some() {
                    " (signed)"
                } else {
                    " (NOT signed: the store was written without the host's key)"
                }
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
