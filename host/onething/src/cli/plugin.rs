//! `onething plugin`: commands for plugin components: new (a project,
//! [`super::scaffold`]), check (optionally with signatures), keygen and
//! sign.

use std::path::PathBuf;
use std::process::ExitCode;

use std::sync::Arc;

use onething_catalog::local;
use onething_catalog::source::SourceDir;
use onething_model::ids::{DepartmentId, Digest};
use onething_runtime::Runtime;
use onething_runtime::capabilities::{Capabilities, SystemClock};
use onething_runtime::signing;
use onething_store::memory::MemoryKv;

use crate::paths::Paths;

/// A file's bytes, read through its directory opened with cap-std.
fn read_file(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let (dir, name) = SourceDir::of_file(path)?;
    Ok(dir.read(&name)?)
}

/// Write a file through its directory opened with cap-std.
pub(super) fn write_beside(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} is not a file name", path.display()))?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let dir = cap_std::fs::Dir::open_ambient_dir(parent, cap_std::ambient_authority())
        .map_err(|e| anyhow::anyhow!("opening {}: {e}", parent.display()))?;
    dir.write(name, bytes)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))
}

/// A file's text, read through its directory opened with cap-std.
fn read_text(path: &std::path::Path) -> anyhow::Result<String> {
    let (dir, name) = SourceDir::of_file(path)?;
    Ok(dir.read_to_string(&name)?)
}

/// Plugin subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Start a department's plugin project: a manifest with one step,
    /// unit tests, declarative cases, a README and the build wired; it
    /// builds and passes `onething test` untouched.
    New {
        /// The department id (kebab-case).
        name: String,
        /// The language.
        #[arg(long, value_enum, default_value = "rust")]
        lang: super::scaffold::Lang,
        /// Where to make it (default ./NAME); must not exist, or be empty.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The OneThing SDK to depend on (default the repository's sdk/,
        /// found in the current directory or above it).
        #[arg(long, value_name = "DIR")]
        sdk: Option<PathBuf>,
        /// The id of its step.
        #[arg(long, default_value = "filing")]
        step: String,
    },
    /// Validate a component: it parses, implements the world, and its
    /// describe() is sound against the dictionary. Prints its manifest.
    Check {
        /// The component file.
        file: PathBuf,
        /// The data dictionary.
        #[arg(long, value_name = "FILE")]
        dictionary: Option<PathBuf>,
        /// The data-sharing register the reads must be granted by
        /// (default examples/grants.toml, when there is one).
        #[arg(long, value_name = "FILE")]
        grants: Option<PathBuf>,
        /// Print the manifest as JSON.
        #[arg(long)]
        json: bool,
        /// Require a valid signature (FILE.wasm.sig) by a key trusted for
        /// the component's own department: DEPARTMENT=PUBLIC_KEY_FILE,
        /// repeatable.
        #[arg(long, value_name = "DEPT=FILE")]
        trust: Vec<String>,
    },
    /// Make an ed25519 key pair for a department: NAME.key (secret) and
    /// NAME.pub (public).
    Keygen {
        /// Name of the key files, usually the department id.
        #[arg(long)]
        name: String,
        /// Directory to write them to.
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Sign a component with a secret key: writes FILE.wasm.sig beside it.
    Sign {
        /// The component file.
        file: PathBuf,
        /// The secret key file (from `keygen`).
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

/// Check the signature beside `file` against `--trust` keys; the
/// departments whose keys made it.
fn verify_signature(
    file: &std::path::Path,
    bytes: &[u8],
    trust: &[String],
) -> anyhow::Result<Vec<DepartmentId>> {
    use anyhow::Context as _;
    let mut trusted = signing::TrustedKeys::default();
    for t in trust {
        let (dept, key_file) = t
            .split_once('=')
            .with_context(|| format!("--trust {t:?}: expected DEPARTMENT=PUBLIC_KEY_FILE"))?;
        let dept = DepartmentId::parse(dept)?;
        let text = read_text(std::path::Path::new(key_file))
            .with_context(|| format!("reading {key_file}"))?;
        trusted.add(dept, signing::parse_public_key(&text, key_file)?);
    }
    let sig_path = signing::signature_path(file);
    let sig = read_text(&sig_path).map_err(|_| signing::SigningError::Unsigned {
        component: file.display().to_string(),
        signature: sig_path.display().to_string(),
    })?;
    Ok(trusted.verify(bytes, &sig, &file.display().to_string())?)
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::New {
            name,
            lang,
            dir,
            sdk,
            step,
        } => {
            let request = super::scaffold::Request {
                dir: dir.unwrap_or_else(|| PathBuf::from(&name)),
                sdk: super::scaffold::find_sdk(sdk.as_deref())?,
                name,
                step,
                lang,
            };
            let written = super::scaffold::create(&request)?;
            outln!(
                "{}: a plugin project for department {} (step {}, SDK {})",
                request.dir.display(),
                request.name,
                request.step,
                request.sdk.display()
            );
            for f in &written {
                outln!("  {f}");
            }
            outln!("next (the project's README says more):");
            outln!("  cd {}", request.dir.display());
            for step in request.lang.next_steps(&request.name) {
                outln!("  {step}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keygen { name, out } => {
            DepartmentId::parse(&name)?;
            let dir = cap_std::fs::Dir::open_ambient_dir(&out, cap_std::ambient_authority())
                .map_err(|e| anyhow::anyhow!("opening {}: {e}", out.display()))?;
            let (secret, public, key) = signing::keygen(&dir, &out, &name)?;
            outln!(
                "secret key {} (keep it with the department; never share it)",
                secret.display()
            );
            outln!(
                "public key {} — trust it in the host's config for department {name}:",
                public.display()
            );
            outln!("  {}", hex::encode(key.to_bytes()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign { file, key } => {
            let bytes = read_file(&file)?;
            let secret = read_text(&key)?;
            let sig = signing::sign(&bytes, &secret, &key.display().to_string())?;
            let path = signing::signature_path(&file);
            write_beside(&path, format!("{sig}\n").as_bytes())?;
            outln!(
                "{}: signed ({}), signature in {}",
                file.display(),
                Digest::of(&bytes),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            file,
            dictionary,
            grants,
            json,
            trust,
        } => {
            let signers = if trust.is_empty() {
                None
            } else {
                let bytes = read_file(&file)?;
                Some(verify_signature(&file, &bytes, &trust)?)
            };
            let dict =
                local::load_dictionary(&dictionary.unwrap_or_else(|| Paths::default().dictionary))?;
            let caps = Capabilities::new(
                Arc::new(SystemClock::china_standard_time()),
                Arc::new(MemoryKv::default()),
            );
            let runtime = Runtime::new(super::local_limits(), caps)?;
            let plugin = runtime
                .load_bytes(read_file(&file)?, &file.display().to_string(), &dict)
                .await?;
            let m = plugin.manifest();
            let grants_path = grants.clone().unwrap_or_else(|| Paths::default().grants);
            let register = if grants.is_some() || grants_path.exists() {
                Some(local::load_grants(&grants_path, &dict)?)
            } else {
                None
            };
            if let Some(register) = &register {
                let ungranted = register.ungranted(m);
                if !ungranted.is_empty() {
                    let faults: Vec<String> = ungranted.iter().map(ToString::to_string).collect();
                    anyhow::bail!(
                        "{}: {}; the service refuses a component reading a field no grant gives its department (grants {})",
                        file.display(),
                        faults.join("; "),
                        grants_path.display()
                    );
                }
            }
            if let Some(signers) = &signers
                && !signers.contains(&m.department)
            {
                let names: Vec<String> = signers.iter().map(ToString::to_string).collect();
                anyhow::bail!(
                    "{} declares department {} but is signed with the key of {}: refused",
                    file.display(),
                    m.department,
                    names.join(", ")
                );
            }
            if json {
                let out = serde_json::json!({
                    "file": file,
                    "digest": plugin.digest(),
                    "size": plugin.size(),
                    "contract": plugin.contract().to_string(),
                    "manifest": m,
                    "warnings": plugin.warnings(),
                });
                outln!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                outln!("{}: ok", file.display());
                outln!(
                    "  department {} ({}) version {}",
                    m.department,
                    m.name,
                    m.version
                );
                outln!("  digest {} ({} bytes)", plugin.digest(), plugin.size());
                outln!("  contract {}", plugin.contract());
                for w in plugin.warnings() {
                    outln!("  warning: {w}");
                }
                match &register {
                    Some(_) => outln!("  every read is granted by {}", grants_path.display()),
                    None => outln!(
                        "  reads not checked against a grants register (no {}; give --grants FILE)",
                        grants_path.display()
                    ),
                }
                for s in &m.steps {
                    outln!(
                        "  step {} — {} (time limit {} min)",
                        s.id,
                        s.title,
                        s.time_limit.as_secs() / 60
                    );
                    for r in &s.reads {
                        outln!(
                            "    reads  {}{} — {}",
                            r.key,
                            if r.required { "" } else { " (optional)" },
                            r.purpose
                        );
                    }
                    for w in &s.writes {
                        outln!("    writes {w}");
                    }
                    for mat in &s.materials {
                        outln!(
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
