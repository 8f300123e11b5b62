//! `onething identity`: a development issuer for demos, tests and local
//! runs: `dev-issuer` makes one (a key pair and its JWKS), `token` mints a
//! token with it for an applicant (subject, resident ID number) or a
//! department officer. Never a deployment's identity provider: the
//! service trusts one only when its config names it (`[identity]
//! dev_issuer`) or when it runs without a config (the demo).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use onething_identity::dev::{DevIssuer, TokenClaims};

/// Identity subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Make a development issuer: DIR/issuer.json, DIR/jwks.json (trust
    /// it with `[identity] dev_issuer = "DIR"`) and DIR/signing.key.
    DevIssuer {
        /// Where to write it (created; refused when it holds one already).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Mint a token with a development issuer; prints it on stdout.
    Token {
        /// The development issuer's directory.
        #[arg(long, value_name = "DIR")]
        issuer: PathBuf,
        /// Who the token names.
        #[arg(long)]
        subject: String,
        /// The resident ID number it vouches for.
        #[arg(long, value_name = "NUMBER")]
        id_number: Option<String>,
        /// A name to show.
        #[arg(long)]
        name: Option<String>,
        /// Make it a department officer's token.
        #[arg(long, value_name = "DEPARTMENT")]
        department: Option<String>,
        /// How long it is valid: seconds, or a number with s, m, h or d.
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: Duration,
    },
}

/// `90`, `90s`, `30m`, `1h`, `2d`.
fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 3600, 90s, 30m, 1h, 2d)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        "d" => n.saturating_mul(86_400),
        other => return Err(format!("unknown unit {other:?} in {text:?} (s, m, h or d)")),
    };
    if secs == 0 {
        return Err("a token valid for no time is no token: give a longer --ttl".into());
    }
    Ok(Duration::from_secs(secs))
}

pub async fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::DevIssuer { out } => {
            let issuer = DevIssuer::create(&out)
                .with_context(|| format!("making a development issuer in {}", out.display()))?;
            let config = issuer.config();
            outln!(
                "development issuer {} in {} (key {})",
                config.issuer,
                out.display(),
                issuer
                    .jwks()
                    .keys
                    .first()
                    .and_then(|k| k.common.key_id.clone())
                    .unwrap_or_default()
            );
            outln!("trust it (demos and tests only) in onething.toml:");
            outln!("  [identity]");
            outln!("  dev_issuer = \"{}\"", out.display());
            outln!("mint a token:");
            outln!(
                "  onething identity token --issuer {} --subject mother-1 --id-number 350203199003071527",
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            issuer,
            subject,
            id_number,
            name,
            department,
            ttl,
        } => {
            if subject.trim().is_empty() {
                anyhow::bail!("--subject must name someone");
            }
            if let Some(d) = &department {
                onething_model::ids::DepartmentId::parse(d)?;
            }
            let dev = DevIssuer::open(&issuer).with_context(|| {
                format!("reading the development issuer in {}", issuer.display())
            })?;
            let token = dev.mint(
                &TokenClaims {
                    subject,
                    id_number,
                    name,
                    department,
                },
                ttl,
            )?;
            outln!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_ttl;
    use std::time::Duration;

    #[test]
    fn ttls_read_as_people_write_them() {
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_ttl("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_ttl("2d"), Ok(Duration::from_secs(172_800)));
        assert!(parse_ttl("1w").is_err_and(|e| e.contains("unknown unit")));
        assert!(parse_ttl("0").is_err());
        assert!(parse_ttl("soon").is_err());
    }
}
