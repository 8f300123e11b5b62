//! The checkpoint, signed: the host's own ed25519 key signs each new head
//! of the chain (its last sequence number and digest), so someone who can
//! rewrite the whole store (records and checkpoint alike) cannot make the
//! rewrite verify without the key. A checkpoint exported for safekeeping
//! ([`Exported`]) carries the signature and the public key, and proves
//! later that the chain still holds that record as it was.
//!
//! Not for the chain's links (the parent module).

use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};

/// What the host's key signs: the chain's head.
fn message(seq: u64, digest: &str) -> Vec<u8> {
    format!("onething audit checkpoint v1\n{seq}\n{digest}").into_bytes()
}

/// The signature of a head, as hex.
pub fn sign(key: &SigningKey, seq: u64, digest: &str) -> String {
    hex::encode(key.sign(&message(seq, digest)).to_bytes())
}

/// Whether `signature` (hex) is `key`'s over the head.
pub fn signed_by(key: &VerifyingKey, seq: u64, digest: &str, signature: &str) -> bool {
    let mut bytes = [0u8; 64];
    if hex::decode_to_slice(signature.trim(), &mut bytes).is_err() {
        return false;
    }
    key.verify(&message(seq, digest), &Signature::from_bytes(&bytes))
        .is_ok()
}

/// A checkpoint exported to be kept away from the host
/// (`onething audit checkpoint --out FILE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exported {
    /// The record's sequence number.
    pub seq: u64,
    /// Its digest.
    pub digest: String,
    /// The host's signature over both, when it has a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The public key it is signed with (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
    /// When it was exported, ms since the epoch.
    pub exported_ms: i64,
}

/// Read a `SEQ:DIGEST` or an exported checkpoint's JSON.
pub fn parse_expected(text: &str) -> Result<(u64, String), String> {
    let text = text.trim();
    if text.starts_with('{') {
        let e: Exported =
            serde_json::from_str(text).map_err(|e| format!("not an exported checkpoint: {e}"))?;
        return Ok((e.seq, e.digest));
    }
    let (seq, digest) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not SEQ:DIGEST (e.g. 1234:sha256:…)"))?;
    let seq = seq
        .parse()
        .map_err(|_| format!("{seq:?} is not a record's sequence number"))?;
    if !digest.starts_with("sha256:") {
        return Err(format!("{digest:?} is not a digest (sha256:…)"));
    }
    Ok((seq, digest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_signed_verifies_and_nothing_else_does() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let public = key.verifying_key();
        let sig = sign(&key, 12, "sha256:abc");
        assert!(signed_by(&public, 12, "sha256:abc", &sig));
        assert!(!signed_by(&public, 13, "sha256:abc", &sig));
        assert!(!signed_by(&public, 12, "sha256:abd", &sig));
        let other = SigningKey::from_bytes(&[8u8; 32]).verifying_key();
        assert!(!signed_by(&other, 12, "sha256:abc", &sig));
        assert!(!signed_by(&public, 12, "sha256:abc", "not hex"));
    }

    #[test]
    fn expected_checkpoints_read_both_ways() {
        assert_eq!(
            parse_expected("12:sha256:abc"),
            Ok((12, "sha256:abc".to_owned()))
        );
        let json = r#"{"seq": 3, "digest": "sha256:d", "exported_ms": 1}"#;
        assert_eq!(parse_expected(json), Ok((3, "sha256:d".to_owned())));
        assert!(parse_expected("twelve:sha256:x").is_err());
        assert!(parse_expected("12:md5:x").is_err());
    }
}
