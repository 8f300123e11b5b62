//! `onething plugin`: commands for plugin components (check now; sign,
//! keygen and new come with hot loading).

use std::path::PathBuf;
use std::process::ExitCode;

use onething::capabilities::Capabilities;
use onething::dictionary::Dictionary;
use onething::platform::Paths;
use onething::runtime::{Limits, Runtime};

/// Plugin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a component: it parses, implements the world, and its
    /// describe() is sound against the dictionary. Prints its manifest.
    Check {
        /// The component file.
        file: PathBuf,
        /// The data dictionary.
        #[arg(long, value_name = "FILE")]
        dictionary: Option<PathBuf>,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Check {
            file,
            dictionary,
            json,
        } => {
            let dict =
                Dictionary::load(&dictionary.unwrap_or_else(|| Paths::default().dictionary))?;
            let runtime = Runtime::new(
                Limits {
                    compile_cache_dir: Some(onething::platform::default_compile_cache()),
                    ..Limits::default()
                },
                Capabilities::in_memory(),
            )?;
            let plugin = runtime.load_file(&file, &dict).await?;
            let m = plugin.manifest();
            if json {
                let out = serde_json::json!({
                    "file": file,
                    "digest": plugin.digest(),
                    "size": plugin.size(),
                    "manifest": m,
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                println!("{}: ok", file.display());
                println!(
                    "  department {} ({}) version {}",
                    m.department, m.name, m.version
                );
                println!("  digest {} ({} bytes)", plugin.digest(), plugin.size());
                for s in &m.steps {
                    println!(
                        "  step {} — {} (time limit {} min)",
                        s.id,
                        s.title,
                        s.time_limit.as_secs() / 60
                    );
                    for r in &s.reads {
                        println!(
                            "    reads  {}{} — {}",
                            r.key,
                            if r.required { "" } else { " (optional)" },
                            r.purpose
                        );
                    }
                    for w in &s.writes {
                        println!("    writes {w}");
                    }
                    for mat in &s.materials {
                        println!(
                            "    needs  {}{} — {}",
                            mat.code,
                            if mat.required { "" } else { " (optional)" },
                            mat.purpose
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
