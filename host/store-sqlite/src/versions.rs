//! The catalog on SQLite: the `versions` table (every admitted
//! version's bytes, once per kind and digest) and the `changes` table
//! (the history, numbered by SQLite), written together through the writer
//! with the audit entries of activations and rollbacks. Not for deciding
//! what is admitted or active: the catalog does.

use async_trait::async_trait;
use onething_model::ids::Digest;
use onething_store::{
    ChangeAction, ChangeRecord, StoreError, StoredVersion, VersionKind, Versions, audit,
};
use rusqlite::{OptionalExtension, params};

use crate::writer::{RunFn, Write, exec};
use crate::{SqliteStore, db};

/// A version row as read, before its kind and digest are checked.
struct VersionRow {
    kind: String,
    subject: String,
    digest: String,
    version: String,
    source: String,
    added_ms: i64,
    added_by: String,
    bytes: Vec<u8>,
    signature: Option<String>,
}

/// Read a version row (`kind, subject, digest, version, source,
/// added_ms, added_by, bytes, signature`); the bytes only `with_bytes`.
fn version_row(r: &rusqlite::Row<'_>, with_bytes: bool) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        kind: r.get(0)?,
        subject: r.get(1)?,
        digest: r.get(2)?,
        version: r.get(3)?,
        source: r.get(4)?,
        added_ms: r.get(5)?,
        added_by: r.get(6)?,
        bytes: if with_bytes { r.get(7)? } else { Vec::new() },
        signature: r.get(8)?,
    })
}

impl VersionRow {
    fn check(self) -> Result<StoredVersion, StoreError> {
        let bad = |what: String| {
            StoreError::Database(format!(
                "stored version {} of {}: {what}",
                self.digest, self.subject
            ))
        };
        let kind = VersionKind::parse(&self.kind)
            .ok_or_else(|| bad(format!("unknown kind {:?}", self.kind)))?;
        let digest = Digest::parse(&self.digest).map_err(|e| bad(e.to_string()))?;
        Ok(StoredVersion {
            kind,
            subject: self.subject,
            digest,
            version: self.version,
            source: self.source,
            added_ms: self.added_ms,
            added_by: self.added_by,
            bytes: self.bytes,
            signature: self.signature,
        })
    }
}

#[async_trait]
impl Versions for SqliteStore {
    async fn record_changes(
        &self,
        version: Option<&StoredVersion>,
        changes: &[ChangeRecord],
    ) -> Result<Vec<u64>, StoreError> {
        let audit = audit::changes_part(self.audit, changes);
        let version = version.cloned();
        let changes = changes.to_vec();
        let run: RunFn = Box::new(move |conn| {
            if let Some(v) = &version {
                exec(
                    conn,
                    "INSERT OR IGNORE INTO versions (kind, digest, subject, version, source, added_ms, added_by, bytes, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        v.kind.as_str(),
                        v.digest.to_string(),
                        v.subject,
                        v.version,
                        v.source,
                        v.added_ms,
                        v.added_by,
                        v.bytes,
                        v.signature
                    ],
                )
                .map_err(db)?;
            }
            let mut seqs = Vec::with_capacity(changes.len());
            for c in &changes {
                exec(
                    conn,
                    "INSERT INTO changes (at_ms, kind, subject, action, digest, version, actor, source, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        c.at_ms,
                        c.kind.as_str(),
                        c.subject,
                        c.action.as_str(),
                        c.digest.map(|d| d.to_string()),
                        c.version,
                        c.actor,
                        c.source,
                        c.reason
                    ],
                )
                .map_err(db)?;
                seqs.push(conn.last_insert_rowid() as u64);
            }
            Ok(seqs)
        });
        self.write(move |reply| Write::Run { run, audit, reply })
            .await
    }

    async fn version(
        &self,
        kind: VersionKind,
        digest: &Digest,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let key = digest.to_string();
        self.read(|c| {
            c.prepare_cached(
                "SELECT kind, subject, digest, version, source, added_ms, added_by, bytes, signature FROM versions WHERE kind = ?1 AND digest = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![kind.as_str(), key], |r| version_row(r, true))
                    .optional()
            })
            .map_err(db)?
            .map(VersionRow::check)
            .transpose()
        })
        .await
    }

    async fn versions(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Vec<StoredVersion>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT kind, subject, digest, version, source, added_ms, added_by, NULL, signature FROM versions WHERE kind = ?1 AND subject = ?2 ORDER BY added_ms, rowid",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![kind.as_str(), subject], |r| version_row(r, false))
                .map_err(db)?;
            rows.map(|r| r.map_err(db).and_then(VersionRow::check))
                .collect()
        })
        .await
    }

    async fn changes(
        &self,
        kind: Option<VersionKind>,
        subject: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT seq, at_ms, kind, subject, action, digest, version, actor, source, reason FROM changes \
                     WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR subject = ?2) ORDER BY seq DESC LIMIT ?3",
                )
                .map_err(db)?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![kind.map(VersionKind::as_str), subject, limit], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at_ms, kind, subject, action, digest, version, actor, source, reason) =
                    row.map_err(db)?;
                let bad = |what: String| StoreError::Database(format!("change {seq}: {what}"));
                out.push(ChangeRecord {
                    seq: seq as u64,
                    at_ms,
                    kind: VersionKind::parse(&kind)
                        .ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
                    subject,
                    action: ChangeAction::parse(&action)
                        .ok_or_else(|| bad(format!("unknown action {action:?}")))?,
                    digest: digest
                        .map(|d| Digest::parse(&d))
                        .transpose()
                        .map_err(|e| bad(e.to_string()))?,
                    version,
                    actor,
                    source,
                    reason,
                });
            }
            out.reverse();
            Ok(out)
        })
        .await
    }
}
