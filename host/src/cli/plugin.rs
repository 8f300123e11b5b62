//! `onething plugin`: commands for plugin components: check (optionally
//! with signatures), keygen and sign.

use std::path::PathBuf;
use std::process::ExitCode;

use onething::capabilities::Capabilities;
use onething::dictionary::Dictionary;
use onething::platform::Paths;
use onething::runtime::Runtime;
use onething::signing;

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
) -> anyhow::Result<Vec<onething::ids::DepartmentId>> {
    use anyhow::Context as _;
    let mut trusted = signing::TrustedKeys::default();
    for t in trust {
        let (dept, key_file) = t
            .split_once('=')
            .with_context(|| format!("--trust {t:?}: expected DEPARTMENT=PUBLIC_KEY_FILE"))?;
        let dept = onething::ids::DepartmentId::parse(dept)?;
        let text =
            std::fs::read_to_string(key_file).with_context(|| format!("reading {key_file}"))?;
        trusted.add(dept, signing::parse_public_key(&text, key_file)?);
    }
    let sig_path = signing::signature_path(file);
    let sig = std::fs::read_to_string(&sig_path).map_err(|_| signing::SigningError::Unsigned {
        component: file.display().to_string(),
        signature: sig_path.display().to_string(),
    })?;
    Ok(trusted.verify(bytes, &sig, &file.display().to_string())?)
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Keygen { name, out } => {
            onething::ids::DepartmentId::parse(&name)?;
            let (secret, public, key) = signing::keygen(&out, &name)?;
            println!(
                "secret key {} (keep it with the department; never share it)",
                secret.display()
            );
            println!(
                "public key {} — trust it in the host's config for department {name}:",
                public.display()
            );
            println!("  {}", hex::encode(key.to_bytes()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Sign { file, key } => {
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
            let sig = signing::sign(&bytes, &key)?;
            let path = signing::signature_path(&file);
            std::fs::write(&path, format!("{sig}\n"))
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            println!(
                "{}: signed ({}), signature in {}",
                file.display(),
                onething::ids::Digest::of(&bytes),
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            file,
            dictionary,
            json,
            trust,
        } => {
            let signers = if trust.is_empty() {
                None
            } else {
                let bytes = std::fs::read(&file)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
                Some(verify_signature(&file, &bytes, &trust)?)
            };
            let dict =
                Dictionary::load(&dictionary.unwrap_or_else(|| Paths::default().dictionary))?;
            let runtime = Runtime::new(
                onething::platform::local_limits(),
                Capabilities::in_memory(),
            )?;
            let plugin = runtime.load_file(&file, &dict).await?;
            let m = plugin.manifest();
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
