//! `onething form`: a bundle's one form (JSON Schema), its one list of
//! materials, and the notification text.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use onething_catalog::local;
use onething_catalog::source::SourceDir;
use onething_model::bundle::Bundle;
use onething_model::text::Lang;
use onething_runtime::Runtime;
use onething_runtime::capabilities::{Capabilities, SystemClock};
use onething_store::memory::MemoryKv;

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
    /// The language of the notification and the form's labels: zh or en.
    #[arg(long, default_value = "zh", value_parser = parse_lang)]
    lang: Lang,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("{s:?} is not a language served: zh or en"))
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = args.paths.resolve();
    let dict = Arc::new(local::load_dictionary(&paths.dictionary)?);
    let grants = Arc::new(local::load_grants(&paths.grants, &dict)?);
    let caps = Capabilities::new(
        Arc::new(SystemClock::china_standard_time()),
        Arc::new(MemoryKv::default()),
    );
    let runtime = Runtime::new(super::local_limits(), caps)?;
    let catalog = local::load_plugins(
        &runtime,
        &SourceDir::open(&paths.plugins)?,
        dict,
        grants,
        None,
    )
    .await?;
    let (dir, name) = SourceDir::of_file(&args.bundle)?;
    let text = dir.read_to_string(&name)?;
    let bundle = Bundle::from_toml(
        &text,
        &args.bundle.display().to_string(),
        catalog.dict(),
        &catalog,
    )?;
    let dict = catalog.dict();
    let form = onething_model::form::build(&bundle, dict, catalog.grants());
    let schema = form.json_schema(dict, args.lang);
    if args.json {
        let mut out = serde_json::json!({
            "bundle": bundle.id,
            "schema": schema,
            "materials": form.materials,
            "notification": form.notification(args.lang),
        });
        onething_model::text::localise(&mut out, args.lang);
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        outln!("{}", form.notification(args.lang));
        outln!("One form (JSON Schema):");
        outln!("{}", serde_json::to_string_pretty(&schema)?);
        outln!("\nOne set of materials:");
        outln!("{}", serde_json::to_string_pretty(&form.materials)?);
    }
    Ok(ExitCode::SUCCESS)
}
