//! The example departments wired to their simulated systems: the
//! `[outbound]`, `[secrets]` and `[config]` tables of a host's
//! onething.toml that let each department call its own system, and
//! nothing else, with its credential injected by the host.
//!
//! | department | system | its `base_url` |
//! | --- | --- | --- |
//! | public-security | household | `{base}/household/v1` |
//! | market-regulation | enterprise-names | `{base}/enterprise-names/v1` |
//! | hr-social-security | social-insurance | `{base}/social-insurance/v1` |
//! | tax | tax | `{base}/tax/v1` |
//! | housing-fund | housing-fund | `{base}/housing-fund/v1` |
//!
//! What `onething init --systems`, `onething run` (which starts the
//! systems in-process unless told where they are) and the tests write.
//! Not for a deployment's real systems, whose tables an operator writes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::{System, SystemsConfig};

impl System {
    /// The example department whose system this is.
    pub fn department(self) -> &'static str {
        match self {
            System::Household => "public-security",
            System::EnterpriseNames => "market-regulation",
            System::SocialInsurance => "hr-social-security",
            System::Tax => "tax",
            System::HousingFund => "housing-fund",
        }
    }
}

/// Where the wired departments' credentials are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Files under this directory of the config's (`secrets/systems`):
    /// [`Wiring::files`] holds what to write there.
    Files(String),
    /// Environment-style names, answered from [`Wiring::env`] by the
    /// caller's lookup (nothing is written, no variable is set).
    Named,
}

/// The tables, and the credentials they refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// TOML to append to an onething.toml.
    pub toml: String,
    /// For [`Credentials::Files`]: each file's path (relative to the
    /// config's directory) and content.
    pub files: Vec<(String, String)>,
    /// For [`Credentials::Named`]: each name's credential.
    pub env: BTreeMap<String, String>,
}

/// The name a credential goes by with [`Credentials::Named`].
pub fn credential_name(system: System) -> String {
    format!(
        "ONETHING_SYSTEMS_{}",
        system.name().replace('-', "_").to_ascii_uppercase()
    )
}

/// Every example department wired to its system at `base`
/// (`http://127.0.0.1:8090`, no trailing slash), with the credentials of
/// `config`.
pub fn example_departments(
    base: &str,
    config: &SystemsConfig,
    credentials: &Credentials,
) -> Wiring {
    let base = base.trim_end_matches('/');
    let mut wiring = Wiring {
        toml: String::from(
            "\n# The example departments' systems (the simulator): each department\n# may call its own, with the credential the host injects.\n",
        ),
        files: Vec::new(),
        env: BTreeMap::new(),
    };
    for system in System::ALL {
        let department = system.department();
        let origin = format!("{base}{}/", system.prefix());
        let credential = config.credential(system).unwrap_or_default().to_owned();
        let source = match credentials {
            Credentials::Files(dir) => {
                let path = format!("{}/{}.token", dir.trim_end_matches('/'), system.name());
                wiring.files.push((path.clone(), format!("{credential}\n")));
                format!("{{ file = \"{path}\" }}")
            }
            Credentials::Named => {
                let name = credential_name(system);
                wiring.env.insert(name.clone(), credential);
                format!("{{ env = \"{name}\" }}")
            }
        };
        let _ = write!(
            wiring.toml,
            "\n[outbound.{department}]\nallow = [\"{origin}\"]\n\
             [[outbound.{department}.inject]]\norigin = \"{origin}\"\nheader = \"authorization\"\nprefix = \"Bearer \"\nsecret = \"{system}\"\n\
             [secrets.{department}]\n{system} = {source}\n\
             [config.{department}]\nbase_url = \"{base}{}/v1\"\n",
            system.prefix(),
        );
    }
    wiring
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_department_may_call_its_own_system_with_its_credential() {
        let config = SystemsConfig::generated().expect("credentials");
        let w = example_departments("http://127.0.0.1:8090/", &config, &Credentials::Named);
        let table: toml::Table = toml::from_str(&w.toml).expect("valid TOML");
        let outbound = table["outbound"].as_table().expect("outbound");
        assert_eq!(outbound.len(), 5);
        assert_eq!(
            outbound["public-security"]["allow"][0].as_str(),
            Some("http://127.0.0.1:8090/household/")
        );
        assert_eq!(
            table["config"]["tax"]["base_url"].as_str(),
            Some("http://127.0.0.1:8090/tax/v1")
        );
        let name = credential_name(System::Household);
        assert_eq!(name, "ONETHING_SYSTEMS_HOUSEHOLD");
        assert_eq!(
            w.env[&name],
            config.credential(System::Household).expect("c")
        );
        assert!(!w.toml.contains(config.credential(System::Tax).expect("c")));

        let files = example_departments(
            "http://x:1",
            &config,
            &Credentials::Files("secrets/systems".into()),
        );
        assert_eq!(files.files.len(), 5);
        assert!(
            files
                .toml
                .contains("{ file = \"secrets/systems/household.token\" }")
        );
    }
}
