//! A development issuer, for demos, tests and integrators' local runs:
//! an Ed25519 key pair, the JWKS that publishes its public half, and
//! tokens minted with it. Never a deployment's identity provider.
//!
//! A dev issuer lives in a directory of its own:
//!
//! - `issuer.json`: its issuer name, audience and key id;
//! - `jwks.json`: its public key, as a JWKS (what the host is told to
//!   trust: `jwks_file`);
//! - `signing.key`: its secret key (owner-only).

use std::path::{Path, PathBuf};
use std::time::Duration;

use cap_std::fs::Dir;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde::{Deserialize, Serialize};

use crate::IssuerConfig;

/// The issuer name a dev issuer gives its tokens.
pub const DEV_ISSUER: &str = "https://dev-issuer.onething.invalid";
/// The audience a dev issuer's tokens are for.
pub const DEV_AUDIENCE: &str = "onething";

/// Why a dev issuer could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not what a dev issuer writes.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// No randomness for a key.
    #[error("cannot get randomness for a key: {0}")]
    Random(String),
    /// Signing a token failed.
    #[error("cannot sign a token: {0}")]
    Sign(String),
}

/// What `issuer.json` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Described {
    issuer: String,
    audience: String,
    kid: String,
}

/// What a minted token says of its holder.
#[derive(Debug, Clone, Default)]
pub struct TokenClaims {
    /// The subject.
    pub subject: String,
    /// The resident ID number vouched for.
    pub id_number: Option<String>,
    /// A name to show.
    pub name: Option<String>,
    /// An officer's department.
    pub department: Option<String>,
}

/// A development issuer.
pub struct DevIssuer {
    dir: PathBuf,
    described: Described,
    key: EncodingKey,
    jwks: JwkSet,
}

impl std::fmt::Debug for DevIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIssuer")
            .field("dir", &self.dir)
            .field("issuer", &self.described.issuer)
            .field("kid", &self.described.kid)
            .finish_non_exhaustive()
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> DevError + '_ {
    move |source| DevError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn open_dir(dir: &Path) -> Result<Dir, DevError> {
    Dir::open_ambient_dir(dir, cap_std::ambient_authority()).map_err(io(dir))
}

fn encoding_key(seed: &[u8; 32], shown: &Path) -> Result<EncodingKey, DevError> {
    let der = SigningKey::from_bytes(seed)
        .to_pkcs8_der()
        .map_err(|e| DevError::Invalid {
            path: shown.display().to_string(),
            message: format!("cannot encode the key: {e}"),
        })?;
    Ok(EncodingKey::from_ed_der(der.as_bytes()))
}

/// The JWKS publishing the public half of `seed` (an OKP key, RFC 8037).
fn jwks_of(seed: &[u8; 32], kid: &str) -> JwkSet {
    use base64::Engine as _;
    let public = SigningKey::from_bytes(seed).verifying_key().to_bytes();
    let jwk = Jwk {
        common: CommonParameters {
            key_algorithm: Some(KeyAlgorithm::EdDSA),
            key_id: Some(kid.to_owned()),
            public_key_use: Some(PublicKeyUse::Signature),
            ..CommonParameters::default()
        },
        algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
            key_type: OctetKeyPairType::OctetKeyPair,
            curve: EllipticCurve::Ed25519,
            x: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public),
        }),
    };
    JwkSet { keys: vec![jwk] }
}

impl DevIssuer {
    /// Make a new dev issuer in `dir` (created if absent); refuses a
    /// directory that already holds one.
    pub fn create(dir: &Path) -> Result<Self, DevError> {
        Dir::create_ambient_dir_all(dir, cap_std::ambient_authority()).map_err(io(dir))?;
        let d = open_dir(dir)?;
        if d.exists("signing.key") {
            return Err(DevError::Invalid {
                path: dir.join("signing.key").display().to_string(),
                message: "a dev issuer is there already; use it, or remove the directory first"
                    .into(),
            });
        }
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| DevError::Random(e.to_string()))?;
        let mut kid = [0u8; 4];
        getrandom::fill(&mut kid).map_err(|e| DevError::Random(e.to_string()))?;
        let described = Described {
            issuer: DEV_ISSUER.into(),
            audience: DEV_AUDIENCE.into(),
            kid: format!("dev-{}", hex::encode(kid)),
        };
        let key = encoding_key(&seed, dir)?;
        let jwks = jwks_of(&seed, &described.kid);
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use cap_std::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let secret = dir.join("signing.key");
        let mut f = d.open_with("signing.key", &options).map_err(io(&secret))?;
        std::io::Write::write_all(&mut f, format!("{}\n", hex::encode(seed)).as_bytes())
            .map_err(io(&secret))?;
        d.write("jwks.json", pretty(&jwks))
            .map_err(io(&dir.join("jwks.json")))?;
        d.write("issuer.json", pretty(&described))
            .map_err(io(&dir.join("issuer.json")))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            described,
            key,
            jwks,
        })
    }

    /// Read the dev issuer in `dir`.
    pub fn open(dir: &Path) -> Result<Self, DevError> {
        let d = open_dir(dir)?;
        let shown = |name: &str| dir.join(name);
        let read = |name: &str| d.read_to_string(name).map_err(io(&shown(name)));
        let described: Described =
            serde_json::from_str(&read("issuer.json")?).map_err(|e| DevError::Invalid {
                path: shown("issuer.json").display().to_string(),
                message: e.to_string(),
            })?;
        let seed_hex = read("signing.key")?;
        let mut seed = [0u8; 32];
        hex::decode_to_slice(seed_hex.trim(), &mut seed).map_err(|e| DevError::Invalid {
            path: shown("signing.key").display().to_string(),
            message: format!("not 64 hex digits: {e}"),
        })?;
        let key = encoding_key(&seed, dir)?;
        let jwks = jwks_of(&seed, &described.kid);
        Ok(Self {
            dir: dir.to_path_buf(),
            described,
            key,
            jwks,
        })
    }

    /// The dev issuer in `dir`, made first when there is none.
    pub fn open_or_create(dir: &Path) -> Result<Self, DevError> {
        let exists = open_dir(dir).is_ok_and(|d| d.exists("signing.key"));
        if exists {
            Self::open(dir)
        } else {
            Self::create(dir)
        }
    }

    /// How the host is told to trust it.
    pub fn config(&self) -> IssuerConfig {
        IssuerConfig {
            issuer: self.described.issuer.clone(),
            audience: self.described.audience.clone(),
            jwks_file: Some(self.dir.join("jwks.json")),
            jwks_url: None,
            jwks_refresh_secs: 300,
            algorithms: vec![crate::Algorithms::EdDSA],
            leeway_secs: 60,
            subject_claim: "sub".into(),
            id_number_claim: "id_number".into(),
            name_claim: "name".into(),
            department_claim: "department".into(),
        }
    }

    /// Its public key, as published.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    /// Its directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A token for `claims`, valid for `ttl` from now.
    pub fn mint(&self, claims: &TokenClaims, ttl: Duration) -> Result<String, DevError> {
        let now = chrono::Utc::now().timestamp();
        let mut body = serde_json::json!({
            "iss": self.described.issuer,
            "aud": self.described.audience,
            "sub": claims.subject,
            "iat": now,
            "nbf": now,
            "exp": now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
        });
        for (name, value) in [
            ("id_number", &claims.id_number),
            ("name", &claims.name),
            ("department", &claims.department),
        ] {
            if let Some(v) = value {
                body[name] = serde_json::json!(v);
            }
        }
        self.sign(&body)
    }

    /// A token with exactly these claims (tests make expired, misaddressed
    /// and otherwise wrong tokens with it).
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, DevError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.described.kid.clone());
        encode(&header, claims, &self.key).map_err(|e| DevError::Sign(e.to_string()))
    }
}

/// Pretty JSON of what a dev issuer writes.
fn pretty<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthError, Verifier};

    fn claims() -> TokenClaims {
        TokenClaims {
            subject: "mother-1".into(),
            id_number: Some("350203199003071527".into()),
            name: Some("林秀英".into()),
            department: None,
        }
    }

    #[test]
    fn a_minted_token_verifies_and_names_its_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let issuer = DevIssuer::create(dir.path()).expect("create");
        let verifier = Verifier::with_keys(issuer.config(), issuer.jwks());
        let token = issuer
            .mint(&claims(), Duration::from_secs(3600))
            .expect("mint");
        let who = verifier.verify(&token).expect("verifies");
        assert_eq!(who.subject, "mother-1");
        assert_eq!(who.id_number.as_deref(), Some("350203199003071527"));
        assert_eq!(who.owner(), format!("{DEV_ISSUER}#mother-1"));
        assert!(!who.is_officer());
        // The same issuer read back signs tokens the first verifies.
        let again = DevIssuer::open(dir.path()).expect("open");
        let token = again
            .mint(&claims(), Duration::from_secs(60))
            .expect("mint");
        assert!(verifier.verify(&token).is_ok());
        assert!(DevIssuer::create(dir.path()).is_err(), "not made twice");
    }

    #[test]
    fn each_wrong_token_is_refused_naming_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let issuer = DevIssuer::create(dir.path()).expect("create");
        let verifier = Verifier::with_keys(issuer.config(), issuer.jwks());
        let now = chrono::Utc::now().timestamp();
        let base = serde_json::json!({"iss": DEV_ISSUER, "aud": DEV_AUDIENCE, "sub": "s", "exp": now + 600});
        let with = |k: &str, v: serde_json::Value| {
            let mut c = base.clone();
            c[k] = v;
            issuer.sign(&c).expect("sign")
        };
        assert_eq!(
            verifier.verify(&with("exp", (now - 3600).into())),
            Err(AuthError::Expired)
        );
        assert!(matches!(
            verifier.verify(&with("aud", "another-service".into())),
            Err(AuthError::WrongAudience { .. })
        ));
        assert!(matches!(
            verifier.verify(&with("iss", "https://elsewhere.invalid".into())),
            Err(AuthError::WrongIssuer { .. })
        ));
        assert_eq!(
            verifier.verify(&with("sub", "".into())),
            Err(AuthError::MissingClaim("sub".into()))
        );
        // Another issuer's key.
        let other_dir = tempfile::tempdir().expect("tempdir");
        let other = DevIssuer::create(other_dir.path()).expect("create");
        let foreign = other
            .mint(&claims(), Duration::from_secs(60))
            .expect("mint");
        assert!(matches!(
            verifier.verify(&foreign),
            Err(AuthError::UnknownKey { .. })
        ));
        // A payload changed after signing.
        let good = issuer
            .mint(&claims(), Duration::from_secs(60))
            .expect("mint");
        let parts: Vec<&str> = good.split('.').collect();
        let forged_payload = {
            use base64::Engine as _;
            let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            let mut payload: serde_json::Value =
                serde_json::from_slice(&engine.decode(parts[1]).expect("b64")).expect("json");
            payload["sub"] = "someone-else".into();
            engine.encode(payload.to_string())
        };
        let tampered = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(verifier.verify(&tampered), Err(AuthError::BadSignature));
        // alg none, without a signature.
        let unsigned = {
            use base64::Engine as _;
            let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
            format!(
                "{}.{}.",
                engine.encode(r#"{"alg":"none","typ":"JWT"}"#),
                parts[1]
            )
        };
        let refused = verifier.verify(&unsigned);
        assert!(
            matches!(refused, Err(AuthError::Algorithm(_))),
            "{refused:?}"
        );
        assert!(matches!(
            verifier.verify("not-a-token"),
            Err(AuthError::Malformed(_))
        ));
    }
}
