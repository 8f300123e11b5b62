//! Identifier newtypes: dictionary keys, department and step ids, material
//! codes, bundle ids and content digests.
//!
//! Each is parsed once at the edge (a TOML file, a manifest, a request) and
//! is valid from then on, so the engine never compares or re-checks raw
//! strings. The rules themselves are `onething_idcodes::ids`, shared with
//! the SDK. Not for values of fields: see [`crate::dictionary::FieldValue`].

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {rule}")]
pub struct IdError {
    /// What kind of identifier it was meant to be.
    pub kind: &'static str,
    /// The text that was refused.
    pub value: String,
    /// The rule it broke.
    pub rule: &'static str,
}

macro_rules! kebab_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parse, refusing anything but kebab-case `[a-z0-9-]`, at most 64 bytes.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                if onething_idcodes::ids::is_kebab(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(IdError { kind: $kind, value: s.to_owned(), rule: "must be kebab-case [a-z0-9-], 1 to 64 characters" })
                }
            }
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

kebab_id!(
    /// A department id, e.g. `public-security`.
    DepartmentId,
    "department id"
);
kebab_id!(
    /// A step id within a department, e.g. `household-registration`.
    StepId,
    "step id"
);
kebab_id!(
    /// A material code from the dictionary, e.g. `marriage-certificate`.
    MaterialCode,
    "material code"
);
kebab_id!(
    /// A bundle id, e.g. `newborn`.
    BundleId,
    "bundle id"
);

/// A data dictionary key: lowercase `segment.segment`, e.g. `mother.id_number`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldKey(String);

impl FieldKey {
    /// Parse, refusing anything but dot-separated segments of `[a-z0-9_]`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        if onething_idcodes::ids::is_key(s) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError {
                kind: "field key",
                value: s.to_owned(),
                rule: "must be dot-separated segments of [a-z0-9_], at most 128 bytes, e.g. child.name",
            })
        }
    }
    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for FieldKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FieldKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A step of a bundle: which department, which of its steps.
/// Written `department/step`, e.g. `health/birth-certificate`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepRef {
    /// The department that owns the step.
    pub department: DepartmentId,
    /// The step within the department.
    pub step: StepId,
}

impl StepRef {
    /// Parse `department/step`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bad = || IdError {
            kind: "step reference",
            value: s.to_owned(),
            rule: "must be department/step, e.g. health/birth-certificate",
        };
        let (d, st) = s.split_once('/').ok_or_else(bad)?;
        Ok(Self {
            department: DepartmentId::parse(d).map_err(|_| bad())?,
            step: StepId::parse(st).map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for StepRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.department, self.step)
    }
}

impl Serialize for StepRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for StepRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A SHA-256 content digest, written `sha256:` and 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Parse `sha256:<64 hex>`.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let bad = || IdError {
            kind: "digest",
            value: s.to_owned(),
            rule: "must be sha256: followed by 64 lowercase hex digits",
        };
        let hex_part = s.strip_prefix("sha256:").ok_or_else(bad)?;
        if hex_part.len() != 64 || hex_part.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut out).map_err(|_| bad())?;
        Ok(Self(out))
    }

    /// The first 12 hex digits, for logs and progress lines.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..6])
    }

    /// The raw bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_ids_accept_and_refuse() {
        assert!(DepartmentId::parse("public-security").is_ok());
        for bad in ["", "Public", "a_b", "-a", "a-", "a--b", "a/b", "名字"] {
            let err = DepartmentId::parse(bad).expect_err(bad);
            assert_eq!(err.kind, "department id");
        }
    }

    #[test]
    fn field_keys() {
        assert!(FieldKey::parse("mother.id_number").is_ok());
        assert!(FieldKey::parse("a.b.c").is_ok());
        for bad in [
            "child",
            "child.",
            ".name",
            "Child.name",
            "child.name-x",
            "child..name",
        ] {
            assert!(FieldKey::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn step_refs_round_trip() {
        let r = StepRef::parse("health/birth-certificate").expect("valid");
        assert_eq!(r.to_string(), "health/birth-certificate");
        assert!(StepRef::parse("health").is_err());
        assert!(StepRef::parse("health/Birth").is_err());
    }

    #[test]
    fn digests_round_trip() {
        let d = Digest::of(b"hello");
        let text = d.to_string();
        assert_eq!(
            text,
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(Digest::parse(&text).expect("parses"), d);
        assert!(Digest::parse("sha256:abc").is_err());
        assert!(Digest::parse(&text.to_uppercase()).is_err());
        assert!(Digest::parse(&text.replace("sha256:", "md5:")).is_err());
    }
}
