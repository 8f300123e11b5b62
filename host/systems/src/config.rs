//! The simulator's credentials: one bearer credential per system, which a
//! department's plugin must present (the host injects it from the
//! operator's secrets), and one for the admin endpoint that injects
//! faults. Read from TOML, or made at random for a demo or a test.
//!
//! ```toml
//! admin_token = "…"
//! [credentials]
//! household = "…"
//! enterprise-names = "…"
//! social-insurance = "…"
//! tax = "…"
//! housing-fund = "…"
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::System;

/// The shortest credential accepted, in bytes: anything shorter is
/// guessable.
pub const MIN_CREDENTIAL_BYTES: usize = 16;

/// What is wrong with a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not TOML of this shape.
    #[error("the systems configuration is not valid: {0}")]
    Toml(String),
    /// A system has no credential.
    #[error("the systems configuration gives no credential for `{0}` (under [credentials])")]
    MissingCredential(System),
    /// A credential is too short to be secret.
    #[error(
        "the credential for `{what}` is {len} bytes; at least {MIN_CREDENTIAL_BYTES} are needed"
    )]
    ShortCredential {
        /// The system, or `admin_token`.
        what: String,
        /// Its length.
        len: usize,
    },
    /// No randomness for generated credentials.
    #[error("cannot make random credentials: {0}")]
    Random(String),
}

/// Every credential the simulator checks.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemsConfig {
    /// The bearer credential of `/admin` (faults, counts).
    pub admin_token: String,
    /// Each system's bearer credential.
    pub credentials: BTreeMap<System, String>,
}

impl std::fmt::Debug for SystemsConfig {
    // Credentials never reach a log through Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemsConfig")
            .field("admin_token", &"<secret>")
            .field(
                "credentials",
                &self
                    .credentials
                    .keys()
                    .map(|s| s.name())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl SystemsConfig {
    /// Fresh random credentials for every system and the admin endpoint.
    pub fn generated() -> Result<SystemsConfig, ConfigError> {
        let mut credentials = BTreeMap::new();
        for s in System::ALL {
            credentials.insert(s, random_token()?);
        }
        Ok(SystemsConfig {
            admin_token: random_token()?,
            credentials,
        })
    }

    /// A configuration read from TOML, every credential present and long
    /// enough.
    pub fn from_toml(text: &str) -> Result<SystemsConfig, ConfigError> {
        let config: SystemsConfig =
            toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        config.validated()
    }

    /// The configuration as TOML (what [`SystemsConfig::from_toml`] reads).
    pub fn to_toml(&self) -> String {
        // A map of strings always serialises.
        toml::to_string(self).unwrap_or_default()
    }

    /// The credential `system` requires.
    pub fn credential(&self, system: System) -> Option<&str> {
        self.credentials.get(&system).map(String::as_str)
    }

    fn validated(self) -> Result<SystemsConfig, ConfigError> {
        for s in System::ALL {
            let c = self
                .credentials
                .get(&s)
                .ok_or(ConfigError::MissingCredential(s))?;
            check_length(s.name(), c)?;
        }
        check_length("admin_token", &self.admin_token)?;
        Ok(self)
    }
}

fn check_length(what: &str, credential: &str) -> Result<(), ConfigError> {
    if credential.len() < MIN_CREDENTIAL_BYTES {
        return Err(ConfigError::ShortCredential {
            what: what.to_owned(),
            len: credential.len(),
        });
    }
    Ok(())
}

fn random_token() -> Result<String, ConfigError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ConfigError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_credentials_round_trip_through_toml() {
        let config = SystemsConfig::generated().expect("random");
        let back = SystemsConfig::from_toml(&config.to_toml()).expect("valid");
        assert_eq!(back, config);
        assert_ne!(
            config.credential(System::Household),
            config.credential(System::Tax)
        );
    }

    #[test]
    fn a_missing_or_short_credential_is_named() {
        let mut config = SystemsConfig::generated().expect("random");
        config.credentials.remove(&System::Tax);
        let e = SystemsConfig::from_toml(&config.to_toml()).expect_err("no tax");
        assert!(e.to_string().contains("`tax`"), "{e}");

        let mut config = SystemsConfig::generated().expect("random");
        config
            .credentials
            .insert(System::HousingFund, "short".into());
        let e = SystemsConfig::from_toml(&config.to_toml()).expect_err("short");
        assert!(
            e.to_string().contains("housing-fund") && e.to_string().contains("16"),
            "{e}"
        );

        let e = SystemsConfig::from_toml("admin_token = 3").expect_err("shape");
        assert!(e.to_string().contains("not valid"), "{e}");
    }

    #[test]
    fn debug_shows_no_credential() {
        let config = SystemsConfig::generated().expect("random");
        let shown = format!("{config:?}");
        assert!(!shown.contains(&config.admin_token), "{shown}");
        for c in config.credentials.values() {
            assert!(!shown.contains(c.as_str()), "{shown}");
        }
    }
}
