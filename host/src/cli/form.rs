//! `onething form`: a bundle's one form (JSON Schema), its one list of
//! materials, and the notification text.

use std::path::PathBuf;
use std::process::ExitCode;

use onething::bundle::Bundle;
use onething::capabilities::Capabilities;
use onething::dictionary::Dictionary;
use onething::registry::Registry;
use onething::runtime::Runtime;

use super::PathArgs;

/// Arguments of `onething form`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle file (TOML).
    bundle: PathBuf,
    #[command(flatten)]
    paths: PathArgs,
    /// Print one JSON object {schema, materials, notification}.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = args.paths.resolve();
    let dict = Dictionary::load(&paths.dictionary)?;
    let runtime = Runtime::new(
        onething::platform::local_limits(),
        Capabilities::in_memory(),
    )?;
    let registry = Registry::load_dir(&runtime, &paths.plugins, &dict).await?;
    let bundle = Bundle::load(&args.bundle, &dict, &registry)?;
    let form = onething::form::build(&bundle, &dict);
    let schema = form.json_schema(&dict);
    if args.json {
        let out = serde_json::json!({
            "bundle": bundle.id,
            "schema": schema,
            "materials": form.materials,
            "notification": form.notification(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}", form.notification());
        println!("One form (JSON Schema):");
        println!("{}", serde_json::to_string_pretty(&schema)?);
        println!("\nOne set of materials:");
        println!("{}", serde_json::to_string_pretty(&form.materials)?);
    }
    Ok(ExitCode::SUCCESS)
}
