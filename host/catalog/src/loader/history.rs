//! The loader and the store's version history: what the history says is
//! active, what a rollback goes back to, which stored version an operator
//! means, and recording changes and refusals.

use std::collections::BTreeMap;

use onething_model::ids::Digest;
use onething_store::versions::{
    ActivationStack, ChangeAction, ChangeRecord, StoredVersion, VersionKind,
};

use super::candidate::serving_digest;
use super::{Loaded, Loader, LoaderError, Origin, now_ms};

impl Loader {
    /// The active digest of each subject of `kind`, by its history.
    pub(super) async fn active_in_history(
        &self,
        kind: VersionKind,
    ) -> Result<BTreeMap<String, Digest>, LoaderError> {
        let history = self
            .store
            .changes(Some(kind), None, usize::MAX >> 1)
            .await?;
        let mut by_subject: BTreeMap<&str, Vec<&ChangeRecord>> = BTreeMap::new();
        for c in &history {
            if let Some(s) = &c.subject {
                by_subject.entry(s).or_default().push(c);
            }
        }
        Ok(by_subject
            .into_iter()
            .filter_map(|(subject, changes)| {
                let digest = ActivationStack::replay(changes).active()?;
                Some((subject.to_owned(), digest))
            })
            .collect())
    }

    /// Serve, for each subject, the version its history says is active.
    pub(super) async fn restore_active(
        &self,
        loaded: &mut Loaded,
        kind: VersionKind,
        active: &BTreeMap<String, Digest>,
    ) {
        for (subject, digest) in active {
            if serving_digest(&self.serving.current(), kind, subject) == Some(*digest) {
                continue;
            }
            match self.load_stored(loaded, kind, *digest).await {
                Ok(candidate) => self.publish(candidate),
                Err(e) => {
                    tracing::error!(subject, %digest, reason = %e, "the active version recorded in the history cannot serve; keeping the directory's");
                }
            }
        }
    }

    /// What a rollback of `subject` goes back to.
    pub(super) async fn previous(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Digest, LoaderError> {
        let history = self
            .store
            .changes(Some(kind), Some(subject), usize::MAX >> 1)
            .await?;
        if history.is_empty() {
            return Err(LoaderError::NotFound(format!(
                "no {} {subject} has a history",
                kind.as_str()
            )));
        }
        ActivationStack::replay(&history).previous().ok_or_else(|| {
            LoaderError::Conflict(format!(
                "{} {subject} has no earlier version to roll back to",
                kind.as_str()
            ))
        })
    }

    /// Whether the store holds this version (without reading its bytes).
    pub(super) async fn is_stored(
        &self,
        kind: VersionKind,
        subject: &str,
        digest: &Digest,
    ) -> Result<bool, LoaderError> {
        Ok(self
            .store
            .versions(kind, subject)
            .await?
            .iter()
            .any(|v| &v.digest == digest))
    }

    /// A stored version of `subject` named by its digest or a prefix of
    /// its hex (at least 8 digits), or by its declared version.
    pub(super) async fn full_digest(
        &self,
        kind: VersionKind,
        subject: &str,
        wanted: &str,
    ) -> Result<Digest, LoaderError> {
        let versions = self.store.versions(kind, subject).await?;
        let hex = wanted.strip_prefix("sha256:").unwrap_or(wanted);
        let matches: Vec<&StoredVersion> = versions
            .iter()
            .filter(|v| {
                let text = v.digest.to_string();
                text == wanted
                    || (hex.len() >= 8 && text.trim_start_matches("sha256:").starts_with(hex))
                    || v.version == wanted
            })
            .collect();
        match matches.as_slice() {
            [one] => Ok(one.digest),
            [] => Err(LoaderError::NotFound(format!(
                "{} {subject} has no stored version {wanted}",
                kind.as_str()
            ))),
            many => {
                // The same declared version admitted twice: the latest.
                match many.last() {
                    Some(last) if many.iter().all(|v| v.version == wanted) => Ok(last.digest),
                    _ => Err(LoaderError::Conflict(format!(
                        "{wanted} matches {} versions of {} {subject}; give more of the digest",
                        many.len(),
                        kind.as_str()
                    ))),
                }
            }
        }
    }

    /// Log and record a refusal; a failure to record it is logged too.
    /// The same refusal (kind, subject, digest and reason) is recorded
    /// once: offered again, it is logged and answered, not recorded again.
    pub(super) async fn refused(
        &self,
        kind: VersionKind,
        subject: Option<&str>,
        digest: Option<Digest>,
        origin: &Origin,
        error: &LoaderError,
    ) {
        let subject = subject.map(str::to_owned).or_else(|| error.subject());
        let reason = error.to_string();
        match self
            .refusal_recorded(kind, subject.as_deref(), digest, &reason)
            .await
        {
            Ok(true) => {
                tracing::info!(kind = kind.as_str(), source = %origin.source, by = %origin.actor, reason, "version refused again (recorded before); what served before still serves");
                return;
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not read the history for an earlier refusal; recording this one");
            }
        }
        tracing::warn!(kind = kind.as_str(), source = %origin.source, by = %origin.actor, reason, "version refused; what served before still serves");
        let record = ChangeRecord {
            seq: 0,
            at_ms: now_ms(),
            kind,
            subject,
            action: ChangeAction::Refused,
            digest,
            version: None,
            actor: origin.actor.clone(),
            source: origin.source.clone(),
            reason: Some(reason),
        };
        if let Err(e) = self.store.record_changes(None, &[record]).await {
            tracing::error!(error = %e, "could not record a refusal");
        }
    }

    /// Whether the history holds this very refusal already.
    async fn refusal_recorded(
        &self,
        kind: VersionKind,
        subject: Option<&str>,
        digest: Option<Digest>,
        reason: &str,
    ) -> Result<bool, LoaderError> {
        let history = self
            .store
            .changes(Some(kind), subject, usize::MAX >> 1)
            .await?;
        Ok(history.iter().any(|c| {
            c.action == ChangeAction::Refused
                && c.subject.as_deref() == subject
                && c.digest == digest
                && c.reason.as_deref() == Some(reason)
        }))
    }
}

/// A change of `subject` to record.
pub(super) fn change(
    kind: VersionKind,
    subject: &str,
    action: ChangeAction,
    digest: Digest,
    version: &str,
    origin: &Origin,
) -> ChangeRecord {
    ChangeRecord {
        seq: 0,
        at_ms: now_ms(),
        kind,
        subject: Some(subject.to_owned()),
        action,
        digest: Some(digest),
        version: Some(version.to_owned()),
        actor: origin.actor.clone(),
        source: origin.source.clone(),
        reason: None,
    }
}
