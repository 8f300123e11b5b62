//! Signatures of components: ed25519 over the component's content digest,
//! kept in a detached file beside it (`health.wasm.sig`).
//!
//! A key pair belongs to a department: `onething plugin keygen` writes
//! `NAME.key` (secret, hex, readable by its owner only) and `NAME.pub`
//! (public, hex) into a directory opened with cap-std; `onething plugin
//! sign` writes the signature;
//! [`TrustedKeys::verify`] says which department's key made it, so the
//! host can refuse a component signed by another department's key. Not
//! for deciding whether signatures are required: that is configuration.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cap_std::fs::Dir;

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use onething_model::ids::{DepartmentId, Digest};

/// What is signed: a domain tag and the digest, so a signature over a
/// component can never be replayed as a signature over anything else.
fn message(digest: &Digest) -> Vec<u8> {
    let mut m = b"onething component v1\n".to_vec();
    m.extend_from_slice(digest.to_string().as_bytes());
    m
}

/// Why signing or verifying failed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A key or signature file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A key or signature is not well-formed.
    #[error("{what}: {message}")]
    Malformed {
        /// The file or setting.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// No randomness for a new key.
    #[error("cannot get randomness for a new key: {0}")]
    Random(String),
    /// The component has no signature file.
    #[error(
        "{component} is not signed: no {signature} beside it (sign it with `onething plugin sign`)"
    )]
    Unsigned {
        /// The component.
        component: String,
        /// Where the signature was looked for.
        signature: String,
    },
    /// No trusted key verifies the signature.
    #[error(
        "the signature of {component} is not valid for any trusted key (tampered with, or signed by an unknown key)"
    )]
    BadSignature {
        /// The component.
        component: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SigningError + '_ {
    move |source| SigningError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn hex32(text: &str, what: &str) -> Result<[u8; 32], SigningError> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut out).map_err(|e| SigningError::Malformed {
        what: what.to_owned(),
        message: format!("expected 64 hex digits: {e}"),
    })?;
    Ok(out)
}

/// Parse a public key written as 64 hex digits.
pub fn parse_public_key(text: &str, what: &str) -> Result<VerifyingKey, SigningError> {
    VerifyingKey::from_bytes(&hex32(text, what)?).map_err(|e| SigningError::Malformed {
        what: what.to_owned(),
        message: format!("not an ed25519 public key: {e}"),
    })
}

/// Parse a secret key written as 64 hex digits (the text of a `.key`
/// file).
pub fn parse_secret_key(text: &str, what: &str) -> Result<SigningKey, SigningError> {
    Ok(SigningKey::from_bytes(&hex32(text, what)?))
}

/// Make a key pair in `dir`: `NAME.key` (secret, owner-only) and
/// `NAME.pub` (public); their file names and the public key. Refuses to
/// overwrite an existing secret key. `shown` names the directory in errors.
pub fn keygen(
    dir: &Dir,
    shown: &Path,
    name: &str,
) -> Result<(PathBuf, PathBuf, VerifyingKey), SigningError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| SigningError::Random(e.to_string()))?;
    let key = SigningKey::from_bytes(&secret);
    let secret_name = PathBuf::from(format!("{name}.key"));
    let public_name = PathBuf::from(format!("{name}.pub"));
    let secret_path = shown.join(&secret_name);
    let public_path = shown.join(&public_name);
    let mut options = cap_std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use cap_std::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = dir
        .open_with(&secret_name, &options)
        .map_err(io(&secret_path))?;
    std::io::Write::write_all(
        &mut f,
        format!("{}\n", hex::encode(key.to_bytes())).as_bytes(),
    )
    .map_err(io(&secret_path))?;
    let public = key.verifying_key();
    dir.write(
        &public_name,
        format!("{}\n", hex::encode(public.to_bytes())),
    )
    .map_err(io(&public_path))?;
    Ok((secret_path, public_path, public))
}

/// The signature file of a component: `X.wasm` -> `X.wasm.sig`.
pub fn signature_path(component: &Path) -> PathBuf {
    let mut p = component.as_os_str().to_owned();
    p.push(".sig");
    PathBuf::from(p)
}

/// Sign component bytes with a secret key (the text of a `.key` file);
/// `what` names the key in errors.
pub fn sign(bytes: &[u8], secret_key: &str, what: &str) -> Result<String, SigningError> {
    let key = parse_secret_key(secret_key, what)?;
    let signature = key.sign(&message(&Digest::of(bytes)));
    Ok(hex::encode(signature.to_bytes()))
}

/// Trusted public keys by department.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<DepartmentId, Vec<VerifyingKey>>,
}

impl TrustedKeys {
    /// Trust `key` for `department`.
    pub fn add(&mut self, department: DepartmentId, key: VerifyingKey) {
        self.keys.entry(department).or_default().push(key);
    }

    /// The departments whose keys verify `signature_hex` over `bytes`;
    /// empty when none does. (One key is normally one department's.)
    pub fn verify(
        &self,
        bytes: &[u8],
        signature_hex: &str,
        component: &str,
    ) -> Result<Vec<DepartmentId>, SigningError> {
        let mut raw = [0u8; 64];
        hex::decode_to_slice(signature_hex.trim(), &mut raw).map_err(|e| {
            SigningError::Malformed {
                what: format!("signature of {component}"),
                message: format!("expected 128 hex digits: {e}"),
            }
        })?;
        let signature = Signature::from_bytes(&raw);
        let msg = message(&Digest::of(bytes));
        let signers: Vec<DepartmentId> = self
            .keys
            .iter()
            .filter(|(_, keys)| {
                keys.iter()
                    .any(|k| k.verify_strict(&msg, &signature).is_ok())
            })
            .map(|(d, _)| d.clone())
            .collect();
        if signers.is_empty() {
            return Err(SigningError::BadSignature {
                component: component.to_owned(),
            });
        }
        Ok(signers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dept(s: &str) -> DepartmentId {
        DepartmentId::parse(s).expect("id")
    }

    #[test]
    fn sign_and_verify_names_the_signing_department() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).expect("dir");
        let (secret, public, key) = keygen(&dir, tmp.path(), "health").expect("keygen");
        let (other_secret, _, other_key) = keygen(&dir, tmp.path(), "tax").expect("keygen");
        assert!(secret.exists() && public.exists());
        let bytes = b"\0asm component bytes";
        let read = |p: &Path| std::fs::read_to_string(p).expect("key file");
        let sig = sign(bytes, &read(&secret), "health.key").expect("sign");
        let mut trusted = TrustedKeys::default();
        trusted.add(dept("health"), key);
        trusted.add(dept("tax"), other_key);
        assert_eq!(
            trusted.verify(bytes, &sig, "c.wasm").expect("valid"),
            vec![dept("health")]
        );
        // Signed by tax's key: verifies, but as tax.
        let tax_sig = sign(bytes, &read(&other_secret), "tax.key").expect("sign");
        assert_eq!(
            trusted.verify(bytes, &tax_sig, "c.wasm").expect("valid"),
            vec![dept("tax")]
        );
        // Tampered bytes and garbage signatures are refused.
        let err = trusted
            .verify(b"\0asm other bytes", &sig, "c.wasm")
            .expect_err("tampered");
        assert!(
            err.to_string().contains("not valid for any trusted key"),
            "{err}"
        );
        assert!(trusted.verify(bytes, "zz", "c.wasm").is_err());
        // The public key file round-trips.
        let text = std::fs::read_to_string(&public).expect("read");
        assert_eq!(parse_public_key(&text, "health.pub").expect("parse"), key);
    }

    #[test]
    fn keygen_never_overwrites_a_secret_key() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority()).expect("dir");
        keygen(&dir, tmp.path(), "health").expect("first");
        let err = keygen(&dir, tmp.path(), "health").expect_err("second");
        assert!(err.to_string().contains("health.key"), "{err}");
    }

    #[test]
    fn signature_file_sits_beside_the_component() {
        assert_eq!(
            signature_path(Path::new("/p/health.wasm")),
            PathBuf::from("/p/health.wasm.sig")
        );
    }
}
