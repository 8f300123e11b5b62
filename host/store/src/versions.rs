//! What the store remembers of the catalog's history: every admitted
//! version of a component or bundle (its bytes, so a rollback or a restart
//! needs nothing else), and every change — admitted, refused, activated,
//! rolled back — with who did it, when, from where and why.
//!
//! The active version of a department or bundle is the last activation in
//! its history; [`ActivationStack`] works out what a rollback goes back to.
//! [`Versions`] is what a backend stores of it.
//!
//! Not for admitting anything (checking signatures, manifests, bundle
//! graphs): the catalog decides, the store remembers.

use async_trait::async_trait;
use onething_model::ids::Digest;
use serde::Serialize;

use crate::error::StoreError;

/// What a version is a version of.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VersionKind {
    /// A department's component.
    Plugin,
    /// A bundle definition.
    Bundle,
    /// The data-sharing register (one subject, `grants`).
    Grants,
    /// The data dictionary (one subject, `dictionary`).
    Dictionary,
}

impl VersionKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plugin => "plugin",
            Self::Bundle => "bundle",
            Self::Grants => "grants",
            Self::Dictionary => "dictionary",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "plugin" => Some(Self::Plugin),
            "bundle" => Some(Self::Bundle),
            "grants" => Some(Self::Grants),
            "dictionary" => Some(Self::Dictionary),
            _ => None,
        }
    }
}

/// The one subject of the grants register's versions.
pub const GRANTS_SUBJECT: &str = "grants";

/// The one subject of the data dictionary's versions.
pub const DICTIONARY_SUBJECT: &str = "dictionary";

/// One admitted version, with its bytes.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredVersion {
    /// Plugin or bundle.
    pub kind: VersionKind,
    /// Department id or bundle id.
    pub subject: String,
    /// Content digest.
    pub digest: Digest,
    /// The component's declared version, or the bundle's digest prefix.
    pub version: String,
    /// Where it came from (`upload`, or the watched file's path).
    pub source: String,
    /// When it was admitted, ms since the epoch.
    pub added_ms: i64,
    /// Who admitted it (an operator, or `watcher`).
    pub added_by: String,
    /// The component bytes or the bundle's TOML.
    #[serde(skip)]
    pub bytes: Vec<u8>,
    /// The detached signature, when there was one.
    #[serde(skip)]
    pub signature: Option<String>,
}

/// What happened to a version.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeAction {
    /// Passed admission and was stored.
    Admitted,
    /// Failed admission; the reason says why. Nothing changed.
    Refused,
    /// Became the serving version.
    Activated,
    /// Became the serving version again by a rollback.
    RolledBack,
}

impl ChangeAction {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admitted => "admitted",
            Self::Refused => "refused",
            Self::Activated => "activated",
            Self::RolledBack => "rolled-back",
        }
    }

    /// Parse a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admitted" => Some(Self::Admitted),
            "refused" => Some(Self::Refused),
            "activated" => Some(Self::Activated),
            "rolled-back" => Some(Self::RolledBack),
            _ => None,
        }
    }
}

/// One line of the catalog's history.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRecord {
    /// Order of the change, from 1 (assigned by the store).
    pub seq: u64,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Plugin or bundle.
    pub kind: VersionKind,
    /// Department or bundle id; absent when a refused input could not be
    /// read far enough to tell.
    pub subject: Option<String>,
    /// What happened.
    pub action: ChangeAction,
    /// The version's digest, when known.
    pub digest: Option<Digest>,
    /// The version's declared version, when known.
    pub version: Option<String>,
    /// Operator name, `watcher` or `startup`.
    pub actor: String,
    /// `upload`, or the file it came from.
    pub source: String,
    /// Why it was refused (or a note).
    pub reason: Option<String>,
}

/// The activations of one subject, replayed: activations push, rollbacks
/// pop. The top is what serves; the one below is what a rollback restores.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ActivationStack(Vec<Digest>);

impl ActivationStack {
    /// Replay a subject's history, oldest first.
    pub fn replay<'a>(changes: impl IntoIterator<Item = &'a ChangeRecord>) -> Self {
        let mut stack = Vec::new();
        for c in changes {
            let Some(digest) = c.digest else { continue };
            match c.action {
                ChangeAction::Activated => {
                    if stack.last() != Some(&digest) {
                        stack.push(digest);
                    }
                }
                ChangeAction::RolledBack => {
                    stack.pop();
                    if stack.last() != Some(&digest) {
                        // A history written otherwise: trust the record.
                        stack.push(digest);
                    }
                }
                ChangeAction::Admitted | ChangeAction::Refused => {}
            }
        }
        Self(stack)
    }

    /// The serving digest.
    pub fn active(&self) -> Option<Digest> {
        self.0.last().copied()
    }

    /// What a rollback would restore.
    pub fn previous(&self) -> Option<Digest> {
        self.0
            .len()
            .checked_sub(2)
            .and_then(|i| self.0.get(i))
            .copied()
    }
}

/// The catalog's history and every admitted version's bytes.
#[async_trait]
pub trait Versions: Send + Sync {
    /// Record changes to the catalog atomically, storing `version` (its
    /// bytes; once per kind and digest: storing it again changes nothing)
    /// with them, and sealing the audit entries of the activations and
    /// rollbacks among them ([`crate::audit::changes_entries`]). The seq
    /// the store gave each change, in order.
    async fn record_changes(
        &self,
        version: Option<&StoredVersion>,
        changes: &[ChangeRecord],
    ) -> Result<Vec<u64>, StoreError>;

    /// A stored version, with its bytes.
    async fn version(
        &self,
        kind: VersionKind,
        digest: &Digest,
    ) -> Result<Option<StoredVersion>, StoreError>;

    /// The stored versions of a department or bundle, oldest first (by
    /// when they were admitted, then by when they were stored), without
    /// their bytes.
    async fn versions(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Vec<StoredVersion>, StoreError>;

    /// The catalog's history, filtered by kind and subject when given:
    /// the last `limit` records, oldest first.
    async fn changes(
        &self,
        kind: Option<VersionKind>,
        subject: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(name: &str) -> Digest {
        Digest::of(name.as_bytes())
    }

    fn change(action: ChangeAction, digest: &str) -> ChangeRecord {
        ChangeRecord {
            seq: 0,
            at_ms: 0,
            kind: VersionKind::Plugin,
            subject: Some("health".into()),
            action,
            digest: Some(d(digest)),
            version: None,
            actor: "op".into(),
            source: "upload".into(),
            reason: None,
        }
    }

    #[test]
    fn rollback_goes_back_one_activation_at_a_time() {
        use ChangeAction::*;
        let history = vec![
            change(Activated, "v1"),
            change(Refused, "bad"),
            change(Activated, "v2"),
            change(Activated, "v3"),
        ];
        let s = ActivationStack::replay(&history);
        assert_eq!(s.active(), Some(d("v3")));
        assert_eq!(s.previous(), Some(d("v2")));
        let mut history = history;
        history.push(change(RolledBack, "v2"));
        let s = ActivationStack::replay(&history);
        assert_eq!((s.active(), s.previous()), (Some(d("v2")), Some(d("v1"))));
        history.push(change(RolledBack, "v1"));
        let s = ActivationStack::replay(&history);
        assert_eq!((s.active(), s.previous()), (Some(d("v1")), None));
        // Activating the serving version again changes nothing.
        history.push(change(Activated, "v1"));
        assert_eq!(ActivationStack::replay(&history).previous(), None);
    }
}
