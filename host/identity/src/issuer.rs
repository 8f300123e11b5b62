//! One trusted issuer as configured (`[[identity.issuers]]` in
//! onething.toml): who it is, which audience its tokens must name, where
//! its keys are, which algorithms and how much clock skew are accepted,
//! and which claims carry the subject, the resident ID number, a name and
//! an officer's department.

use std::path::PathBuf;

use jsonwebtoken::Algorithm;
use serde::{Deserialize, Serialize};

/// The signature algorithms a host accepts (a subset per issuer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithms {
    /// Ed25519 signatures.
    EdDSA,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
}

impl Algorithms {
    /// As jsonwebtoken names it.
    pub fn algorithm(self) -> Algorithm {
        match self {
            Algorithms::EdDSA => Algorithm::EdDSA,
            Algorithms::ES256 => Algorithm::ES256,
            Algorithms::RS256 => Algorithm::RS256,
        }
    }
}

fn all_algorithms() -> Vec<Algorithms> {
    vec![Algorithms::EdDSA, Algorithms::ES256, Algorithms::RS256]
}

fn sub() -> String {
    "sub".into()
}

fn id_number() -> String {
    "id_number".into()
}

fn name() -> String {
    "name".into()
}

fn department() -> String {
    "department".into()
}

fn leeway() -> u64 {
    60
}

fn refresh() -> u64 {
    300
}

/// One trusted issuer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// Its identifier, as tokens carry it in `iss`.
    pub issuer: String,
    /// What tokens must carry in `aud` to be for this service.
    pub audience: String,
    /// Its keys, as a JWKS file (offline; relative to the config file).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Its keys, as a JWKS URL, fetched at start and every
    /// `jwks_refresh_secs`.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// How often a JWKS URL is fetched again.
    #[serde(default = "refresh")]
    pub jwks_refresh_secs: u64,
    /// Accepted algorithms (default EdDSA, ES256, RS256).
    #[serde(default = "all_algorithms")]
    pub algorithms: Vec<Algorithms>,
    /// Allowed clock skew on `exp` and `nbf`, seconds.
    #[serde(default = "leeway")]
    pub leeway_secs: u64,
    /// The claim naming the subject.
    #[serde(default = "sub")]
    pub subject_claim: String,
    /// The claim carrying the resident ID number the issuer vouches for.
    #[serde(default = "id_number")]
    pub id_number_claim: String,
    /// The claim carrying a name to show.
    #[serde(default = "name")]
    pub name_claim: String,
    /// The claim naming the department of an officer; a token with it is
    /// a department officer's, not an applicant's.
    #[serde(default = "department")]
    pub department_claim: String,
}

impl IssuerConfig {
    /// Every setting that cannot work, named by its key.
    pub fn check(&self, at: &str) -> Result<(), String> {
        let mut faults = Vec::new();
        if self.issuer.trim().is_empty() {
            faults.push(format!("{at}.issuer is empty"));
        }
        if self.audience.trim().is_empty() {
            faults.push(format!("{at}.audience is empty"));
        }
        match (&self.jwks_file, &self.jwks_url) {
            (None, None) => faults.push(format!(
                "{at} names no keys: give jwks_file (a JWKS file) or jwks_url"
            )),
            (Some(_), Some(_)) => {
                faults.push(format!("{at} gives both jwks_file and jwks_url: give one"))
            }
            (None, Some(url)) if !(url.starts_with("https://") || url.starts_with("http://")) => {
                faults.push(format!("{at}.jwks_url {url:?} is not an http(s) URL"))
            }
            _ => {}
        }
        if self.algorithms.is_empty() {
            faults.push(format!(
                "{at}.algorithms is empty (EdDSA, ES256 and RS256 are accepted)"
            ));
        }
        if self.jwks_refresh_secs == 0 {
            faults.push(format!("{at}.jwks_refresh_secs must be at least 1"));
        }
        if faults.is_empty() {
            Ok(())
        } else {
            Err(faults.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_faults_are_named() {
        let c: IssuerConfig =
            toml::from_str("issuer = \"i\"\naudience = \"a\"\njwks_file = \"k.json\"\n")
                .expect("parses");
        assert_eq!(c.algorithms.len(), 3);
        assert_eq!(c.subject_claim, "sub");
        assert_eq!(c.leeway_secs, 60);
        assert!(c.check("identity.issuers[0]").is_ok());
        let bad: IssuerConfig =
            toml::from_str("issuer = \"\"\naudience = \"a\"\nalgorithms = []\n").expect("parses");
        let err = bad.check("identity.issuers[0]").expect_err("faults");
        assert!(
            err.contains("identity.issuers[0].issuer is empty")
                && err.contains("names no keys")
                && err.contains("algorithms is empty"),
            "{err}"
        );
        let typo =
            toml::from_str::<IssuerConfig>("issuer = \"i\"\naudience = \"a\"\njwks = \"x\"\n");
        assert!(typo.is_err_and(|e| e.to_string().contains("jwks")));
        let none = toml::from_str::<IssuerConfig>(
            "issuer = \"i\"\naudience = \"a\"\njwks_file = \"k\"\nalgorithms = [\"none\"]\n",
        );
        assert!(none.is_err(), "alg none cannot even be configured");
    }
}
