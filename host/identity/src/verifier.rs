//! The trusted issuers' keys and the verification of a token against them.
//!
//! A token names its key (`kid`); the key picks the issuer, whose settings
//! say which algorithms, audience and clock skew hold. The signature, `exp`,
//! `nbf`, `iss` and `aud` are checked by `jsonwebtoken`; then the claims are
//! mapped to an [`Identity`]. Keys come from a JWKS file (read once) or URL
//! (fetched at start and every `jwks_refresh_secs`; a failed refresh keeps
//! the keys it had).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use onething_model::ids::DepartmentId;
use serde_json::Value;

use crate::{AuthError, Identity, IssuerConfig};

/// Why the verifier could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// An issuer's settings cannot work.
    #[error("{0}")]
    Config(String),
    /// Its JWKS could not be read or fetched.
    #[error("the keys of issuer {issuer:?} ({source_of_keys}): {message}")]
    Jwks {
        /// The issuer.
        issuer: String,
        /// The file or URL.
        source_of_keys: String,
        /// What went wrong.
        message: String,
    },
}

/// One usable key.
struct Key {
    kid: Option<String>,
    algorithm: Algorithm,
    decoding: DecodingKey,
}

/// One issuer and its current keys.
struct Issuer {
    config: IssuerConfig,
    keys: RwLock<Vec<Key>>,
}

/// Every trusted issuer's keys, and the tokens verified lately.
pub struct Verifier {
    issuers: Vec<Issuer>,
    /// Tokens already verified (by the SHA-256 of the whole token, so an
    /// altered one never matches), with who they name, until they expire:
    /// a client polling with one token is verified once.
    verified: std::sync::Mutex<std::collections::HashMap<[u8; 32], Identity>>,
}

/// Most verified tokens remembered; past it the memory starts afresh.
const VERIFIED_KEPT: usize = 10_000;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.issuers.iter().map(|i| &i.config.issuer))
            .finish()
    }
}

/// The algorithm a published key is for.
fn key_algorithm(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    if let Some(alg) = jwk.common.key_algorithm {
        return match alg {
            KeyAlgorithm::EdDSA => Some(Algorithm::EdDSA),
            KeyAlgorithm::ES256 => Some(Algorithm::ES256),
            KeyAlgorithm::RS256 => Some(Algorithm::RS256),
            _ => None,
        };
    }
    match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Some(Algorithm::EdDSA)
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        _ => None,
    }
}

/// The usable keys of a JWKS: those of an accepted algorithm (others are
/// skipped, with a warning).
fn keys_of(config: &IssuerConfig, set: &JwkSet) -> Vec<Key> {
    let accepted: Vec<Algorithm> = config.algorithms.iter().map(|a| a.algorithm()).collect();
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone();
            let Some(algorithm) = key_algorithm(jwk).filter(|a| accepted.contains(a)) else {
                tracing::warn!(issuer = %config.issuer, kid = ?kid, "a published key is of an algorithm not accepted; skipped");
                return None;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(decoding) => Some(Key {
                    kid,
                    algorithm,
                    decoding,
                }),
                Err(e) => {
                    tracing::warn!(issuer = %config.issuer, kid = ?kid, error = %e, "a published key cannot be used; skipped");
                    None
                }
            }
        })
        .collect()
}

/// A JWKS file's keys, read through its directory.
fn read_jwks_file(path: &Path) -> Result<JwkSet, String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().ok_or("not a file name")?;
    let dir = cap_std::fs::Dir::open_ambient_dir(dir, cap_std::ambient_authority())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    let text = dir.read_to_string(name).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("not a JWKS: {e}"))
}

/// The HTTP client keys are fetched with: TLS by rustls, with ring's
/// crypto (installed as the process's provider when none is).
fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A JWKS URL's keys.
async fn fetch_jwks(client: &reqwest::Client, url: &str) -> Result<JwkSet, String> {
    let answer = client
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !answer.status().is_success() {
        return Err(format!("answered {}", answer.status()));
    }
    let text = answer.text().await.map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("not a JWKS: {e}"))
}

impl Verifier {
    /// The issuers with their keys: files read, URLs fetched, each key
    /// checked. An issuer whose keys cannot be had is refused, named.
    pub async fn load(configs: Vec<IssuerConfig>) -> Result<Self, VerifierError> {
        let client = http_client();
        let mut issuers = Vec::with_capacity(configs.len());
        for (i, config) in configs.into_iter().enumerate() {
            config
                .check(&format!("identity.issuers[{i}]"))
                .map_err(VerifierError::Config)?;
            let (source, set) = match (&config.jwks_file, &config.jwks_url) {
                (Some(path), _) => (path.display().to_string(), read_jwks_file(path)),
                (None, Some(url)) => (url.clone(), fetch_jwks(&client, url).await),
                (None, None) => unreachable_keys(&config)?,
            };
            let set = set.map_err(|message| VerifierError::Jwks {
                issuer: config.issuer.clone(),
                source_of_keys: source.clone(),
                message,
            })?;
            let keys = keys_of(&config, &set);
            if keys.is_empty() {
                return Err(VerifierError::Jwks {
                    issuer: config.issuer.clone(),
                    source_of_keys: source,
                    message: "it publishes no usable key (EdDSA, ES256 or RS256, as accepted)"
                        .into(),
                });
            }
            issuers.push(Issuer {
                config,
                keys: RwLock::new(keys),
            });
        }
        Ok(Self {
            issuers,
            verified: Default::default(),
        })
    }

    /// A verifier trusting one issuer with the given keys (tests, the
    /// local tools).
    pub fn with_keys(config: IssuerConfig, set: &JwkSet) -> Self {
        let keys = keys_of(&config, set);
        Self {
            issuers: vec![Issuer {
                config,
                keys: RwLock::new(keys),
            }],
            verified: Default::default(),
        }
    }

    /// Whether any issuer is trusted.
    pub fn is_empty(&self) -> bool {
        self.issuers.is_empty()
    }

    /// The issuers trusted.
    pub fn issuers(&self) -> impl Iterator<Item = &str> {
        self.issuers.iter().map(|i| i.config.issuer.as_str())
    }

    /// Fetch the keys of every issuer with a JWKS URL again, every
    /// `jwks_refresh_secs`; a failed fetch keeps the keys it had.
    pub fn spawn_refresh(self: &Arc<Self>) -> Option<tokio::task::JoinHandle<()>> {
        if self.issuers.iter().all(|i| i.config.jwks_url.is_none()) {
            return None;
        }
        let me = self.clone();
        Some(tokio::spawn(async move {
            let client = http_client();
            let every = me
                .issuers
                .iter()
                .filter(|i| i.config.jwks_url.is_some())
                .map(|i| i.config.jwks_refresh_secs)
                .min()
                .unwrap_or(300);
            let mut tick = tokio::time::interval(Duration::from_secs(every));
            tick.tick().await;
            loop {
                tick.tick().await;
                for issuer in me.issuers.iter() {
                    let Some(url) = &issuer.config.jwks_url else {
                        continue;
                    };
                    match fetch_jwks(&client, url).await {
                        Ok(set) => {
                            let keys = keys_of(&issuer.config, &set);
                            if keys.is_empty() {
                                tracing::warn!(issuer = %issuer.config.issuer, url, "the JWKS has no usable key now; keeping the keys it had");
                            } else if let Ok(mut held) = issuer.keys.write() {
                                *held = keys;
                                // A key gone may have signed a token held.
                                if let Ok(mut verified) = me.verified.lock() {
                                    verified.clear();
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(issuer = %issuer.config.issuer, url, error = %e, "cannot fetch the JWKS; keeping the keys it had")
                        }
                    }
                }
            }
        }))
    }

    /// Who a token names, or why it is refused. A token verified before
    /// is answered from memory until it expires (keys rotated away by a
    /// JWKS refresh clear that memory).
    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        use sha2::{Digest as _, Sha256};
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = chrono::Utc::now().timestamp();
        if let Ok(verified) = self.verified.lock()
            && let Some(identity) = verified.get(&key)
            && identity.expires_at > now
        {
            return Ok(identity.clone());
        }
        let identity = self.verify_afresh(token)?;
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= VERIFIED_KEPT {
                verified.clear();
            }
            verified.insert(key, identity.clone());
        }
        Ok(identity)
    }

    fn verify_afresh(&self, token: &str) -> Result<Identity, AuthError> {
        let header = decode_header(token).map_err(|e| match e.kind() {
            ErrorKind::InvalidAlgorithmName => {
                AuthError::Algorithm("one this host does not know".into())
            }
            // The header's `alg` is none of the algorithms jsonwebtoken
            // knows: `none`, or a made-up one.
            ErrorKind::Json(json) if json.to_string().contains("unknown variant") => {
                AuthError::Algorithm(
                    json.to_string()
                        .split('`')
                        .nth(1)
                        .unwrap_or("unknown")
                        .to_owned(),
                )
            }
            ErrorKind::Base64(_) | ErrorKind::Json(_) | ErrorKind::Utf8(_) => {
                AuthError::Malformed("its header does not decode".into())
            }
            _ => AuthError::Malformed("it is not three base64url parts".into()),
        })?;
        let mut algorithm_refused = false;
        for issuer in &self.issuers {
            let accepted = issuer
                .config
                .algorithms
                .iter()
                .any(|a| a.algorithm() == header.alg);
            let Ok(keys) = issuer.keys.read() else {
                continue;
            };
            for key in keys.iter() {
                let same_kid = match (&header.kid, &key.kid) {
                    (Some(a), Some(b)) => a == b,
                    (None, _) => true,
                    (Some(_), None) => false,
                };
                if !same_kid {
                    continue;
                }
                if !accepted || key.algorithm != header.alg {
                    algorithm_refused = true;
                    continue;
                }
                match self.check(issuer, key, token) {
                    // Without a kid, another key may be the one.
                    Err(AuthError::BadSignature) if header.kid.is_none() => continue,
                    other => return other,
                }
            }
        }
        if algorithm_refused {
            return Err(AuthError::Algorithm(format!("{:?}", header.alg)));
        }
        match header.kid {
            Some(kid) => Err(AuthError::UnknownKey { kid }),
            None => Err(AuthError::BadSignature),
        }
    }

    fn check(&self, issuer: &Issuer, key: &Key, token: &str) -> Result<Identity, AuthError> {
        let c = &issuer.config;
        let mut validation = Validation::new(key.algorithm);
        validation.set_issuer(&[&c.issuer]);
        validation.set_audience(&[&c.audience]);
        validation.leeway = c.leeway_secs;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        let data =
            decode::<BTreeMap<String, Value>>(token, &key.decoding, &validation).map_err(|e| {
                match e.kind() {
                    ErrorKind::InvalidSignature => AuthError::BadSignature,
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                    ErrorKind::InvalidIssuer => AuthError::WrongIssuer {
                        expected: c.issuer.clone(),
                    },
                    ErrorKind::InvalidAudience => AuthError::WrongAudience {
                        expected: c.audience.clone(),
                    },
                    ErrorKind::MissingRequiredClaim(claim) => {
                        AuthError::MissingClaim(claim.clone())
                    }
                    ErrorKind::InvalidAlgorithm => {
                        AuthError::Algorithm(format!("{:?}", key.algorithm))
                    }
                    ErrorKind::InvalidClaimFormat(claim) => {
                        AuthError::Malformed(format!("its claim {claim} is not of the right type"))
                    }
                    _ => AuthError::Malformed("its claims do not decode".into()),
                }
            })?;
        let claims = data.claims;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text(&c.subject_claim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| AuthError::MissingClaim(c.subject_claim.clone()))?;
        let department = match text(&c.department_claim) {
            None => None,
            Some(d) => Some(DepartmentId::parse(&d).map_err(|_| AuthError::BadDepartment(d))?),
        };
        Ok(Identity {
            issuer: c.issuer.clone(),
            subject,
            id_number: text(&c.id_number_claim),
            name: text(&c.name_claim),
            department,
            expires_at: claims.get("exp").and_then(Value::as_i64).unwrap_or(0),
        })
    }
}

fn unreachable_keys(
    config: &IssuerConfig,
) -> Result<(String, Result<JwkSet, String>), VerifierError> {
    Err(VerifierError::Config(format!(
        "issuer {:?} names no keys (jwks_file or jwks_url)",
        config.issuer
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev::{DevIssuer, TokenClaims};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// A JWKS served over HTTP, as an identity provider publishes it.
    async fn serve_once(body: String) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut buf = [0u8; 2048];
                let _ = socket.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        format!("http://{addr}/.well-known/jwks.json")
    }

    #[tokio::test]
    async fn keys_come_from_a_jwks_url_and_a_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let issuer = DevIssuer::create(dir.path()).expect("issuer");
        let url = serve_once(serde_json::to_string(issuer.jwks()).expect("json")).await;
        let mut config = issuer.config();
        config.jwks_file = None;
        config.jwks_url = Some(url);
        let verifier = Verifier::load(vec![config]).await.expect("fetched");
        let token = issuer
            .mint(
                &TokenClaims {
                    subject: "s".into(),
                    ..TokenClaims::default()
                },
                Duration::from_secs(60),
            )
            .expect("mint");
        assert_eq!(verifier.verify(&token).expect("verifies").subject, "s");
        // Remembered: the same token again, from memory.
        assert_eq!(verifier.verify(&token).expect("again").subject, "s");
        let from_file = Verifier::load(vec![issuer.config()]).await.expect("file");
        assert!(from_file.verify(&token).is_ok());
        // Keys that cannot be had refuse the start, naming the issuer.
        let mut missing = issuer.config();
        missing.jwks_file = Some(dir.path().join("nope.json"));
        let err = Verifier::load(vec![missing]).await.expect_err("no keys");
        assert!(err.to_string().contains("nope.json"), "{err}");
    }
}
