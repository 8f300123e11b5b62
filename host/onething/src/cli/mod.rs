//! Command-line interface: argument parsing, logging setup, and one module
//! per command. Errors reach here as `anyhow` and are printed with their
//! whole cause chain.

#[macro_use]
mod out;

mod audit;
mod dev;
mod dictionary;
mod form;
mod identity;
mod init;
mod plugin;
mod project;
mod render;
pub(crate) mod run;
mod scaffold;
mod serve;
mod submit;
pub(crate) mod systems;
mod test;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::paths::Paths;

/// OneThing: a WebAssembly plugin host for cross-department public services.
#[derive(Debug, Parser)]
#[command(name = "onething", version, about, long_about = None)]
struct Cli {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where inputs live; the defaults are the repository layout, relative to
/// the current directory.
#[derive(Debug, clap::Args)]
struct PathArgs {
    /// Directory of bundle files.
    #[arg(long, value_name = "DIR")]
    bundles: Option<PathBuf>,
    /// Directory of department components (.wasm).
    #[arg(long, value_name = "DIR")]
    plugins: Option<PathBuf>,
    /// The data dictionary.
    #[arg(long, value_name = "FILE")]
    dictionary: Option<PathBuf>,
    /// The data-sharing register (grants).
    #[arg(long, value_name = "FILE")]
    grants: Option<PathBuf>,
}

impl PathArgs {
    /// The paths given, the defaults for the others.
    fn resolve(&self) -> Paths {
        self.resolve_over(Paths::default())
    }

    /// The paths given, `base`'s for the others.
    fn resolve_over(&self, base: Paths) -> Paths {
        Paths {
            dictionary: self.dictionary.clone().unwrap_or(base.dictionary),
            grants: self.grants.clone().unwrap_or(base.grants),
            plugins: self.plugins.clone().unwrap_or(base.plugins),
            bundles: self.bundles.clone().unwrap_or(base.bundles),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API over the durable store.
    Serve(serve::Args),
    /// Set up a service directory: config, an operator and their token, a
    /// key pair per department, the components signed, the bundles.
    Init(init::Args),
    /// Submit applications to a running service and follow them.
    Submit(submit::Args),
    /// Run one application through its bundle, locally, step by step.
    Run(run::Args),
    /// Print a bundle's one form (JSON Schema), materials and notification.
    Form(form::Args),
    /// Work with plugin components.
    #[command(subcommand)]
    Plugin(plugin::Command),
    /// Work with the data dictionary: check a proposed version.
    #[command(subcommand)]
    Dictionary(dictionary::Command),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(audit::Command),
    /// A development identity issuer: make one, mint tokens with it.
    #[command(subcommand)]
    Identity(identity::Command),
    /// Simulated department systems, for demos and local runs.
    #[command(subcommand)]
    Systems(systems::Command),
    /// Run a department's declarative test cases (TOML) in the sandbox.
    Test(test::Args),
    /// Watch a plugin project: rebuild on change, hot-load it into a
    /// running service, re-run its cases.
    Dev(dev::Args),
}

/// Limits for the local commands (`run`, `form`, `plugin check`): the
/// defaults, with compiled components cached per user.
fn local_limits() -> onething_runtime::Limits {
    let cache = crate::paths::user_compile_cache();
    let usable = cap_std::fs::Dir::create_ambient_dir_all(&cache, cap_std::ambient_authority());
    if let Err(e) = &usable {
        tracing::warn!(cache = %cache.display(), error = %e, "cannot use the compile cache; components are compiled every time");
    }
    onething_runtime::Limits {
        compile_cache_dir: usable.ok().map(|()| cache),
        ..onething_runtime::Limits::default()
    }
}

/// Parse arguments, run the command, print errors with their causes.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    // TLS (a JWKS URL, `submit` to an https server) with ring's crypto.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(args).await,
            Command::Init(args) => init::run(args).await,
            Command::Submit(args) => submit::run(args).await,
            Command::Run(args) => run::run(args).await,
            Command::Form(args) => form::run(args).await,
            Command::Plugin(cmd) => plugin::run(cmd).await,
            Command::Dictionary(cmd) => dictionary::run(cmd).await,
            Command::Audit(cmd) => audit::run(cmd).await,
            Command::Identity(cmd) => identity::run(cmd).await,
            Command::Systems(cmd) => systems::run(cmd).await,
            Command::Test(args) => test::run(args).await,
            Command::Dev(args) => dev::run(args).await,
        }
    });
    // Nothing the commands leave behind (a blocking read of a client gone,
    // a task of a dropped connection) may hold the process up.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in causes_to_print(&e) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::from(2)
        }
    }
}

/// The causes of `e` worth printing after its message: those not already
/// in the text printed before them (most of the host's errors say their
/// cause inline, "…: calling describe() failed: <cause>", and also expose
/// it as their `source`).
fn causes_to_print(e: &anyhow::Error) -> Vec<String> {
    let mut shown = e.to_string();
    let mut causes = Vec::new();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            shown.push('\n');
            shown.push_str(&text);
            causes.push(text);
        }
    }
    causes
}

/// The logging directive that keeps WASI's copy of plugin output out of
/// the log.
const RAW_PLUGIN_OUTPUT_OFF: &str = "wasmtime_wasi::p2::write_stream=info";

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"))
        // WASI logs a plugin's raw stdout bytes at debug; plugin output
        // reaches the log only through the host, which masks sensitive
        // values (target `plugin`). Whatever RUST_LOG says.
        .add_directive(RAW_PLUGIN_OUTPUT_OFF.parse().expect("a valid directive"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("inner fault")]
    struct Inner;

    #[derive(Debug, thiserror::Error)]
    #[error("loading x.wasm failed: {source}")]
    struct Inline {
        source: Inner,
    }

    #[derive(Debug, thiserror::Error)]
    #[error("loading y.wasm failed")]
    struct Separate {
        #[source]
        source: Inner,
    }

    #[test]
    fn item_14_causes_already_in_the_message_are_not_printed_again() {
        let inline = anyhow::Error::new(Inline { source: Inner });
        assert!(causes_to_print(&inline).is_empty());
        let separate = anyhow::Error::new(Separate { source: Inner });
        assert_eq!(causes_to_print(&separate), ["inner fault"]);
        let context = anyhow::Error::new(Inline { source: Inner }).context("checking x.wasm");
        assert_eq!(
            causes_to_print(&context),
            ["loading x.wasm failed: inner fault"]
        );
    }
}
