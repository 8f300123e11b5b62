//! The catalog in PostgreSQL: the `versions` table (every admitted
//! version's bytes, once per kind and digest) and the `changes` table
//! (the history), written together, with the audit record of the
//! activations and rollbacks among the changes, in one transaction.
//!
//! Changes are written under a transaction-level advisory lock
//! ([`crate::schema::CHANGES_LOCK`]): their seqs come from an identity
//! column, and without the lock two hosts could commit seqs out of
//! order, so a host reading "the changes after N" could miss one.
//!
//! Not for deciding what is admitted or active: the catalog does.

use async_trait::async_trait;
use onething_model::ids::Digest;
use onething_store::{
    ChangeAction, ChangeRecord, StoreError, StoredVersion, VersionKind, Versions, audit,
};
use tokio_postgres::Row;

use crate::PostgresStore;
use crate::error::db;
use crate::schema::CHANGES_LOCK;
use crate::sql::{execute, query, query_opt, unsigned};

/// The columns a version is read from, bytes last.
const VERSION_COLUMNS: &str =
    "kind, subject, digest, version, source, added_ms, added_by, signature";

/// A version row (`VERSION_COLUMNS`, then the bytes when `with_bytes`).
fn version_of(r: &Row, with_bytes: bool) -> Result<StoredVersion, StoreError> {
    let doing = "reading a stored version";
    let text = |i: usize| -> Result<String, StoreError> { r.try_get(i).map_err(db(doing)) };
    let (kind, subject, digest) = (text(0)?, text(1)?, text(2)?);
    let bad = |what: String| {
        StoreError::Database(format!("stored version {digest} of {subject}: {what}"))
    };
    Ok(StoredVersion {
        kind: VersionKind::parse(&kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
        digest: Digest::parse(&digest).map_err(|e| bad(e.to_string()))?,
        version: text(3)?,
        source: text(4)?,
        added_ms: r.try_get(5).map_err(db(doing))?,
        added_by: text(6)?,
        signature: r.try_get(7).map_err(db(doing))?,
        bytes: if with_bytes {
            r.try_get(8).map_err(db(doing))?
        } else {
            Vec::new()
        },
        subject,
    })
}

/// A change row (`seq, at_ms, kind, subject, action, digest, version,
/// actor, source, reason`).
fn change_of(r: &Row) -> Result<ChangeRecord, StoreError> {
    let doing = "reading the catalog's history";
    let seq: i64 = r.try_get(0).map_err(db(doing))?;
    let bad = |what: String| StoreError::Database(format!("change {seq}: {what}"));
    let kind: &str = r.try_get(2).map_err(db(doing))?;
    let action: &str = r.try_get(4).map_err(db(doing))?;
    let digest: Option<&str> = r.try_get(5).map_err(db(doing))?;
    Ok(ChangeRecord {
        seq: unsigned(seq),
        at_ms: r.try_get(1).map_err(db(doing))?,
        kind: VersionKind::parse(kind).ok_or_else(|| bad(format!("unknown kind {kind:?}")))?,
        subject: r.try_get(3).map_err(db(doing))?,
        action: ChangeAction::parse(action)
            .ok_or_else(|| bad(format!("unknown action {action:?}")))?,
        digest: digest
            .map(Digest::parse)
            .transpose()
            .map_err(|e| bad(e.to_string()))?,
        version: r.try_get(6).map_err(db(doing))?,
        actor: r.try_get(7).map_err(db(doing))?,
        source: r.try_get(8).map_err(db(doing))?,
        reason: r.try_get(9).map_err(db(doing))?,
    })
}

#[async_trait]
impl Versions for PostgresStore {
    async fn record_changes(
        &self,
        version: Option<&StoredVersion>,
        changes: &[ChangeRecord],
    ) -> Result<Vec<u64>, StoreError> {
        let part = audit::changes_part(self.audit, changes);
        let doing = "recording catalog changes";
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(db(doing))?;
        // Held until commit: seqs in commit order (see the module's doc).
        execute(&tx, "SELECT pg_advisory_xact_lock($1)", &[&CHANGES_LOCK])
            .await
            .map_err(db("taking the catalog's lock"))?;
        if let Some(v) = version {
            execute(
                &tx,
                "INSERT INTO versions (kind, digest, subject, version, source, added_ms, added_by, bytes, signature) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (kind, digest) DO NOTHING",
                &[
                    &v.kind.as_str(),
                    &v.digest.to_string(),
                    &v.subject,
                    &v.version,
                    &v.source,
                    &v.added_ms,
                    &v.added_by,
                    &v.bytes,
                    &v.signature,
                ],
            )
            .await
            .map_err(db(&format!("storing version {} of {}", v.digest, v.subject)))?;
        }
        let mut seqs = Vec::with_capacity(changes.len());
        for c in changes {
            let row = query_opt(
                &tx,
                "INSERT INTO changes (at_ms, kind, subject, action, digest, version, actor, source, reason) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING seq",
                &[
                    &c.at_ms,
                    &c.kind.as_str(),
                    &c.subject,
                    &c.action.as_str(),
                    &c.digest.map(|d| d.to_string()),
                    &c.version,
                    &c.actor,
                    &c.source,
                    &c.reason,
                ],
            )
            .await
            .map_err(db(doing))?
            .ok_or_else(|| StoreError::Database(format!("{doing}: no seq returned")))?;
            seqs.push(unsigned(row.try_get(0).map_err(db(doing))?));
        }
        self.seal_and_commit(tx, part.as_deref()).await?;
        Ok(seqs)
    }

    async fn version(
        &self,
        kind: VersionKind,
        digest: &Digest,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(
            &client,
            &format!(
                "SELECT {VERSION_COLUMNS}, bytes FROM versions WHERE kind = $1 AND digest = $2"
            ),
            &[&kind.as_str(), &digest.to_string()],
        )
        .await
        .map_err(db(&format!("reading version {digest}")))?;
        row.map(|r| version_of(&r, true)).transpose()
    }

    async fn versions(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Vec<StoredVersion>, StoreError> {
        let client = self.client().await?;
        query(
            &client,
            &format!(
                "SELECT {VERSION_COLUMNS} FROM versions WHERE kind = $1 AND subject = $2 ORDER BY added_ms, stored"
            ),
            &[&kind.as_str(), &subject],
        )
        .await
        .map_err(db(&format!("reading the versions of {subject}")))?
        .iter()
        .map(|r| version_of(r, false))
        .collect()
    }

    async fn changes(
        &self,
        kind: Option<VersionKind>,
        subject: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        let client = self.client().await?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut out = query(
            &client,
            "SELECT seq, at_ms, kind, subject, action, digest, version, actor, source, reason FROM changes \
             WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR subject = $2) \
             ORDER BY seq DESC LIMIT $3",
            &[&kind.map(VersionKind::as_str), &subject, &limit],
        )
        .await
        .map_err(db("reading the catalog's history"))?
        .iter()
        .map(change_of)
        .collect::<Result<Vec<_>, _>>()?;
        out.reverse();
        Ok(out)
    }
}
