//! `onething init DIR`: a service directory ready to serve, with the
//! operator API usable at once. It writes the config (signatures
//! required, one operator with a fresh random token), a key pair per
//! department, each component copied and signed with its department's
//! key, the bundles and the dictionary, then prints how to serve it and
//! how to use `/admin`.
//!
//! Everything is checked before anything is written (each component loads
//! and declares its department once, the bundles resolve against them),
//! and only into a new or empty directory, so a mistake costs nothing and
//! overwrites nothing. Not a deployment tool: a department keeps its own
//! secret key, where here one directory holds them all.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use cap_std::fs::Dir;
use onething_catalog::Catalog;
use onething_catalog::local;
use onething_catalog::source::SourceDir;
use onething_model::ids::DepartmentId;
use onething_runtime::Runtime;
use onething_runtime::capabilities::{Capabilities, SystemClock};
use onething_runtime::signing;
use onething_store::memory::MemoryKv;

use super::PathArgs;
use crate::config::Config;

/// Arguments of `onething init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to set up: created if absent, refused if not empty.
    dir: PathBuf,
    #[command(flatten)]
    paths: PathArgs,
    /// Name of the operator to create (recorded with every action).
    #[arg(long, default_value = "operator")]
    operator: String,
    /// Address the service will listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Where the departments' simulated systems will be (`onething
    /// systems serve`): the example departments are wired to them.
    #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8090")]
    systems: String,
    /// The systems' credentials file, when they run already; without it,
    /// fresh credentials are written to DIR/systems.toml for them.
    #[arg(long, value_name = "FILE")]
    systems_credentials: Option<PathBuf>,
}

/// A component to copy: its file name, bytes and department.
struct Component {
    name: String,
    bytes: Vec<u8>,
    department: DepartmentId,
}

/// Operator tokens: 32 random bytes, as hex.
const TOKEN_BYTES: usize = 32;

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let paths = args.paths.resolve();
    if args.operator.trim().is_empty() {
        anyhow::bail!("--operator must name someone");
    }
    // 1. Check everything before writing anything.
    let (dict_dir, dict_name) = SourceDir::of_file(&paths.dictionary)?;
    let dictionary_text = dict_dir.read_to_string(&dict_name)?;
    let dict = Arc::new(local::load_dictionary(&paths.dictionary)?);
    let (grants_dir, grants_name) = SourceDir::of_file(&paths.grants)?;
    let grants_text = grants_dir.read_to_string(&grants_name)?;
    let grants = Arc::new(local::load_grants(&paths.grants, &dict)?);
    let caps = Capabilities::new(
        Arc::new(SystemClock::china_standard_time()),
        Arc::new(MemoryKv::default()),
    );
    let runtime = Runtime::new(super::local_limits(), caps)?;
    let plugins = SourceDir::open(&paths.plugins)?;
    let mut components = Vec::new();
    let mut catalog = Catalog::new(dict.clone());
    catalog.replace_grants(grants.clone());
    for name in plugins.files_with("wasm")? {
        let origin = plugins.shown(&name);
        let bytes = plugins.read(&name)?;
        let plugin = runtime.load_bytes(bytes.clone(), &origin, &dict).await?;
        let department = plugin.manifest().department.clone();
        if let Some(other) = components
            .iter()
            .find(|c: &&Component| c.department == department)
        {
            anyhow::bail!(
                "{origin} and {} both declare department {department}; a service serves one component per department",
                plugins.shown(&other.name)
            );
        }
        let ungranted = grants.ungranted(plugin.manifest());
        if !ungranted.is_empty() {
            let faults: Vec<String> = ungranted.iter().map(ToString::to_string).collect();
            anyhow::bail!(
                "{origin}: {} (grants {}); the service would refuse it",
                faults.join("; "),
                paths.grants.display()
            );
        }
        catalog.add_plugin(Arc::new(plugin))?;
        components.push(Component {
            name,
            bytes,
            department,
        });
    }
    if components.is_empty() {
        anyhow::bail!(
            "{} holds no components (*.wasm); build them with `cargo xtask build-plugins` or name another directory with --plugins",
            paths.plugins.display()
        );
    }
    let bundles = SourceDir::open(&paths.bundles)?;
    local::load_bundles(&mut catalog, &bundles)?;
    let mut bundle_files = BTreeMap::new();
    for name in bundles.files_with("toml")? {
        let bytes = bundles.read(&name)?;
        bundle_files.insert(name, bytes);
    }

    // 2. Write, into a new or empty directory only.
    let site = open_empty(&args.dir)?;
    let shown = |p: &str| args.dir.join(p).display().to_string();
    let mut token = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut token)
        .map_err(|e| anyhow::anyhow!("cannot get randomness for the operator's token: {e}"))?;
    let token = hex::encode(token);
    write_private(&site, "operator-token", &format!("{token}\n"))
        .with_context(|| format!("writing {}", shown("operator-token")))?;
    for sub in ["keys", "plugins", "bundles"] {
        site.create_dir(sub)
            .with_context(|| format!("creating {}", shown(sub)))?;
    }
    let keys = site.open_dir("keys")?;
    let plugins_out = site.open_dir("plugins")?;
    let mut trusted = String::new();
    for c in &components {
        let dept = c.department.to_string();
        let (secret, public, _) = signing::keygen(&keys, &args.dir.join("keys"), &dept)?;
        let secret_text = keys
            .read_to_string(format!("{dept}.key"))
            .with_context(|| format!("reading {}", secret.display()))?;
        let signature = signing::sign(&c.bytes, &secret_text, &secret.display().to_string())?;
        plugins_out
            .write(&c.name, &c.bytes)
            .with_context(|| format!("writing {}", shown(&format!("plugins/{}", c.name))))?;
        plugins_out
            .write(format!("{}.sig", c.name), format!("{signature}\n"))
            .with_context(|| format!("writing the signature of {}", c.name))?;
        let public_name = public
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| format!("{dept}.pub"));
        trusted.push_str(&format!("{dept} = [\"keys/{public_name}\"]\n"));
    }
    // The host's own key, which signs the audit log's checkpoints.
    signing::keygen(&keys, &args.dir.join("keys"), "audit")?;
    let bundles_out = site.open_dir("bundles")?;
    for (name, bytes) in &bundle_files {
        bundles_out
            .write(name, bytes)
            .with_context(|| format!("writing {}", shown(&format!("bundles/{name}"))))?;
    }
    site.write("dictionary.toml", &dictionary_text)
        .with_context(|| format!("writing {}", shown("dictionary.toml")))?;
    site.write("grants.toml", &grants_text)
        .with_context(|| format!("writing {}", shown("grants.toml")))?;
    onething_identity::dev::DevIssuer::create(&args.dir.join("dev-issuer"))
        .with_context(|| format!("making the development issuer in {}", shown("dev-issuer")))?;
    let mut config = config_text(&args.listen, &args.operator, &token, &trusted);
    // The example departments' systems: their tables, and each credential
    // in its own owner-only file under secrets/systems/.
    let systems = match &args.systems_credentials {
        Some(path) => super::systems::credentials_at(path)?,
        None => {
            let generated = onething_systems::SystemsConfig::generated()?;
            write_private(&site, "systems.toml", &generated.to_toml())
                .with_context(|| format!("writing {}", shown("systems.toml")))?;
            generated
        }
    };
    let wiring = onething_systems::wiring::example_departments(
        &args.systems,
        &systems,
        &onething_systems::wiring::Credentials::Files("secrets/systems".into()),
    );
    site.create_dir_all("secrets/systems")
        .with_context(|| format!("creating {}", shown("secrets/systems")))?;
    for (path, text) in &wiring.files {
        write_private(&site, path, text).with_context(|| format!("writing {}", shown(path)))?;
    }
    config.push_str(&wiring.toml);
    write_private(&site, "onething.toml", &config)
        .with_context(|| format!("writing {}", shown("onething.toml")))?;
    // The service will read this very file: read it as the service does.
    let config_path = args.dir.join("onething.toml");
    Config::load(&config_path).context("the config just written does not load (a bug)")?;

    print_summary(&args, &components, bundle_files.len(), &config_path);
    Ok(ExitCode::SUCCESS)
}

/// Create `dir` if absent and open it; refuse one that holds anything.
fn open_empty(dir: &Path) -> anyhow::Result<Dir> {
    Dir::create_ambient_dir_all(dir, cap_std::ambient_authority())
        .with_context(|| format!("creating {}", dir.display()))?;
    let site = Dir::open_ambient_dir(dir, cap_std::ambient_authority())
        .with_context(|| format!("opening {}", dir.display()))?;
    let mut entries = site
        .entries()
        .with_context(|| format!("listing {}", dir.display()))?;
    if entries.next().is_some() {
        anyhow::bail!(
            "{} is not empty: init writes only into a new or empty directory, so nothing there is overwritten",
            dir.display()
        );
    }
    Ok(site)
}

/// Write a file only its owner may read (it holds a token).
pub(super) fn write_private(dir: &Dir, name: &str, text: &str) -> std::io::Result<()> {
    let mut options = cap_std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = dir.open_with(name, &options)?;
    std::io::Write::write_all(&mut f, text.as_bytes())
}

/// The config `init` writes; paths are relative to its directory.
fn config_text(listen: &SocketAddr, operator: &str, token: &str, trusted: &str) -> String {
    format!(
        "# Written by `onething init`. Every setting not named here has its default;\n\
         # docs/operator-guide.md lists them all.\n\
         listen = \"{listen}\"\n\
         data_dir = \"data\"\n\
         plugins_dir = \"plugins\"\n\
         bundles_dir = \"bundles\"\n\
         dictionary = \"dictionary.toml\"\n\
         grants = \"grants.toml\"  # the data-sharing register, watched\n\
         \n\
         [[operators]]\n\
         name = {operator:?}\n\
         token = \"{token}\"  # also in operator-token\n\
         roles = [\"viewer\", \"resolver\", \"publisher\", \"auditor\"]\n\
         \n\
         # Applicants and officers: a DEVELOPMENT issuer (keys in dev-issuer/), for a\n\
         # trial; a deployment lists its identity provider under [[identity.issuers]].\n\
         [identity]\n\
         dev_issuer = \"dev-issuer\"\n\
         \n\
         # The host's own key: signs every checkpoint of the audit log. Keep a copy of\n\
         # keys/audit.pub away from the host: `onething audit verify --key` checks with it.\n\
         [audit]\n\
         signing_key = \"keys/audit.key\"\n\
         \n\
         [signatures]\n\
         required = true\n\
         [signatures.trusted]  # one key pair per department, in keys/\n\
         {trusted}"
    )
}

fn print_summary(args: &Args, components: &[Component], bundles: usize, config: &Path) {
    let dir = args.dir.display();
    outln!("set up {dir}:");
    outln!(
        "  onething.toml    the service's config: signatures required, operator {:?}",
        args.operator
    );
    outln!("  operator-token   the operator's bearer token (owner-only)");
    outln!(
        "  keys/            a key pair per department ({}) and the host's audit key, secret keys owner-only",
        components.len()
    );
    outln!(
        "  plugins/         {} components, each signed with its department's key",
        components.len()
    );
    outln!("  bundles/         {bundles} bundles");
    outln!("  dictionary.toml  the data dictionary");
    outln!("  grants.toml      the data-sharing register: who may read which field, why");
    outln!("  dev-issuer/      a DEVELOPMENT identity issuer for applicants and officers");
    outln!(
        "  secrets/systems/ the departments' credentials for their systems at {} (owner-only)",
        args.systems
    );
    if args.systems_credentials.is_none() {
        outln!("  systems.toml     the simulated systems' credentials (owner-only)");
        outln!();
        outln!("start the departments' simulated systems:");
        outln!(
            "  onething systems serve --listen {} --credentials {dir}/systems.toml",
            args.systems
                .trim_start_matches("http://")
                .trim_end_matches('/')
        );
    }
    outln!();
    outln!("serve it:");
    outln!("  onething serve --config {}", config.display());
    outln!();
    outln!("as an applicant (a token from the development issuer):");
    outln!(
        "  export ONETHING_TOKEN=$(onething identity token --issuer {dir}/dev-issuer --subject mother-1 --id-number 350203199003071527)"
    );
    outln!(
        "  onething submit --follow --server http://{} examples/applications/newborn.json",
        args.listen
    );
    outln!();
    print_operator_help(
        &dir.to_string(),
        &format!("http://{}", args.listen),
        components,
    );
}

/// How to use the operator API of a service set up by `init` in `dir`,
/// listening at `base`.
fn print_operator_help(dir: &str, base: &str, components: &[Component]) {
    let example = components
        .iter()
        .find(|c| c.department.as_str() == "health")
        .or(components.first());
    outln!("as the operator:");
    outln!("  TOKEN=$(cat {dir}/operator-token)");
    outln!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/admin/plugins");
    outln!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/admin/manual-queue");
    if let Some(c) = example {
        let d = &c.department;
        outln!(
            "  # a new version of {d}'s component, signed with its key, served without a restart:"
        );
        outln!("  onething plugin sign --key {dir}/keys/{d}.key NEW.wasm");
        outln!(
            "  curl -H \"Authorization: Bearer $TOKEN\" -H \"Content-Type: application/wasm\" \\\n       -H \"Onething-Signature: $(cat NEW.wasm.sig)\" --data-binary @NEW.wasm {base}/admin/plugins"
        );
        outln!(
            "  # (or copy NEW.wasm and NEW.wasm.sig into {dir}/plugins/: the service watches it)"
        );
        outln!("  curl -H \"Authorization: Bearer $TOKEN\" {base}/admin/plugins/{d}/versions");
        outln!(
            "  curl -X POST -H \"Authorization: Bearer $TOKEN\" {base}/admin/plugins/{d}/rollback"
        );
    }
}
