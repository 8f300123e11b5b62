//! The example departments' simulated systems, for tests and benchmarks
//! that run the departments in-process: started on a loopback port of the
//! current tokio runtime, and the outbound side wiring each department to
//! its own system with its credential injected (what `onething run` does).

use std::sync::Arc;

use onething_runtime::capabilities::http::{DepartmentConfig, Outbound, TracingRecorder};
use onething_runtime::capabilities::outbound::{
    OutboundPolicies, OutboundToml, SecretsToml, resolve_secrets,
};
use onething_systems::SystemsConfig;
use onething_systems::wiring::{Credentials, example_departments};

/// Simulated systems serving on a task of the current runtime, stopped
/// when dropped.
pub struct Simulated {
    /// `http://127.0.0.1:port`.
    pub base: String,
    /// Their credentials.
    pub config: SystemsConfig,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Simulated {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start fresh simulated systems (fresh credentials, seeded data).
pub async fn start() -> std::io::Result<Simulated> {
    let config = SystemsConfig::generated().map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let systems = onething_systems::Systems::new(config.clone());
    let task = tokio::spawn(async move {
        let _ = onething_systems::serve(listener, systems, std::future::pending()).await;
    });
    Ok(Simulated { base, config, task })
}

/// The example departments' outbound side, each wired to its system at
/// `base` with the credentials of `config`.
pub fn outbound(base: &str, config: &SystemsConfig) -> Result<Outbound, String> {
    #[derive(serde::Deserialize)]
    struct Tables {
        outbound: OutboundToml,
        secrets: SecretsToml,
        config: DepartmentConfig,
    }
    let wiring = example_departments(base, config, &Credentials::Named);
    let tables: Tables = toml::from_str(&wiring.toml).map_err(|e| e.to_string())?;
    let policies = OutboundPolicies::build(&tables.outbound, &tables.secrets)
        .map_err(|faults| onething_runtime::capabilities::outbound::faults_text(&faults))?;
    // Every credential is named, none is a file: the directory is not read.
    let dir =
        cap_std::fs::Dir::open_ambient_dir(std::env::temp_dir(), cap_std::ambient_authority())
            .map_err(|e| e.to_string())?;
    let secrets = resolve_secrets(&tables.secrets, &dir, |name| wiring.env.get(name).cloned())
        .map_err(|e| e.to_string())?;
    Ok(Outbound::new(
        policies,
        secrets,
        tables.config,
        Default::default(),
        Arc::new(TracingRecorder),
    ))
}
