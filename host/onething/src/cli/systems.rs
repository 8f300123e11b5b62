//! `onething systems serve`: the simulated department systems (household
//! registry, enterprise names, social insurance, tax, housing fund) on
//! their own address, for demos and integrators' local runs. Their
//! credentials are read from a TOML file, or made and written there (only
//! its owner may read it) when it does not exist yet.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use onething_systems::{System, Systems, SystemsConfig};

/// Systems subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve the simulated systems until interrupted.
    Serve {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        /// The credentials file: read when it exists, made otherwise.
        #[arg(long, value_name = "FILE", default_value = "systems.toml")]
        credentials: PathBuf,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Serve {
            listen,
            credentials,
        } => {
            let config = credentials_at(&credentials)?;
            let systems = Systems::new(config);
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("listening on {listen}"))?;
            let addr = listener.local_addr()?;
            outln!(
                "simulated department systems on http://{addr} (credentials in {})",
                credentials.display()
            );
            for s in System::ALL {
                outln!("  {:<17} http://{addr}{}/v1/…", s.name(), s.prefix());
            }
            outln!("  faults: PUT http://{addr}/admin/faults/SYSTEM with the admin token");
            onething_systems::serve(listener, systems, super::serve::shutdown_signal())
                .await
                .context("serving the simulated systems")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Simulated systems served by this process, on a loopback port, with
/// fresh credentials: for `onething run` with nothing else started.
/// Stopped when dropped.
pub struct InProcess {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// Their credentials.
    pub config: SystemsConfig,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start the simulated systems in this process.
pub async fn start_in_process() -> anyhow::Result<InProcess> {
    let config = SystemsConfig::generated()?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("listening for the in-process department systems")?;
    let addr = listener.local_addr()?;
    let systems = Systems::new(config.clone());
    let task = tokio::spawn(async move {
        if let Err(e) = onething_systems::serve(listener, systems, std::future::pending()).await {
            tracing::error!(error = %e, "the in-process department systems stopped");
        }
    });
    Ok(InProcess {
        base: format!("http://{addr}"),
        config,
        task,
    })
}

/// The credentials in `path`, made and written there if it does not exist.
pub fn credentials_at(path: &Path) -> anyhow::Result<SystemsConfig> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("{} names no file", path.display()))?;
    let dir = cap_std::fs::Dir::open_ambient_dir(parent, cap_std::ambient_authority())
        .with_context(|| {
            format!(
                "opening {}, the credentials file's directory",
                parent.display()
            )
        })?;
    match dir.read_to_string(name) {
        Ok(text) => SystemsConfig::from_toml(&text)
            .with_context(|| format!("reading the credentials in {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let config = SystemsConfig::generated()?;
            super::init::write_private(&dir, name, &config.to_toml())
                .with_context(|| format!("writing credentials to {}", path.display()))?;
            Ok(config)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
