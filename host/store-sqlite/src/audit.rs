//! The audit log in the SQLite file: the `audit` table (one row per
//! sealed record) and the one-row `audit_checkpoint`, written by the
//! writer in the same transaction as the writes the record describes
//! (the sealing itself is [`onething_store::audit::Sealer`]'s); reading
//! and verifying them, for the running store and the offline tools.
//!
//! Not for making entries or digests: that is `onething_store::audit`.

use async_trait::async_trait;
use onething_store::StoreError;
use onething_store::audit::{
    AuditLog, Broken, Chain, Record, Sealer, StoredEvent, Verified, VerifyOptions,
};
use rusqlite::{Connection, OptionalExtension, params};

use onething_model::audit::Entry;

use crate::writer::{RunFn, Write, exec};
use crate::{SqliteStore, db};

/// The audit tables.
pub(crate) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS audit (
    seq    INTEGER PRIMARY KEY,
    at_ms  INTEGER NOT NULL,
    body   BLOB NOT NULL,
    prev   TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_checkpoint (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    seq    INTEGER NOT NULL,
    digest TEXT NOT NULL
);
"#;

/// Records read per page when verifying.
const PAGE: i64 = 10_000;

/// Store a sealed record and move the checkpoint to `head`, in the
/// caller's transaction.
pub(crate) fn store_record(
    conn: &Connection,
    record: &Record,
    head: &Chain,
) -> Result<(), StoreError> {
    exec(
        conn,
        "INSERT INTO audit (seq, at_ms, body, prev, digest) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            record.seq as i64,
            record.at_ms,
            record.body,
            record.prev,
            record.digest
        ],
    )
    .map_err(db)?;
    exec(
        conn,
        "INSERT INTO audit_checkpoint (id, seq, digest, signature) VALUES (1, ?1, ?2, ?3) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest, signature = excluded.signature",
        params![head.seq as i64, head.digest, head.signature],
    )
    .map_err(db)?;
    Ok(())
}

/// Every stored event, by application and sequence number.
fn stored_events(conn: &Connection) -> Result<Vec<StoredEvent>, StoreError> {
    conn.prepare("SELECT application, seq, at_ms, body FROM events ORDER BY application, seq")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| {
                Ok(StoredEvent {
                    application: r.get(0)?,
                    seq: r.get::<_, i64>(1)? as u64,
                    at_ms: r.get(2)?,
                    body: r.get(3)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db)
}

/// Every stored application's id.
fn applications(conn: &Connection) -> Result<Vec<String>, StoreError> {
    conn.prepare("SELECT id FROM applications")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(db)
}

/// A store from before schema 3 kept events the chain did not seal: seal
/// them now, in one record of their own, in the transaction that brings
/// the store to schema 3 and before anything else is written (so `audit
/// verify` vouches for the history from here on; what happened to them
/// before this moment the chain cannot say, and the record's note says
/// so).
pub(crate) fn seal_events_before_v3(
    conn: &Connection,
    sealer: &mut Sealer,
) -> Result<(), StoreError> {
    if !sealer.enabled() {
        return Ok(());
    }
    let events = stored_events(conn)?;
    if events.is_empty() {
        return Ok(());
    }
    let mut by_app: std::collections::BTreeMap<&str, Vec<StoredEvent>> = Default::default();
    for e in &events {
        by_app.entry(&e.application).or_default().push(e.clone());
    }
    let mut entries = Vec::new();
    for (app, evs) in &by_app {
        let mut entry = onething_store::audit::recorded(app, evs);
        entry.note =
            Some("sealed when the store was brought to schema 3 (events stored before)".into());
        entries.push(entry);
    }
    let part = onething_store::audit::entries_part(true, &entries);
    sealer.begin();
    sealer.add(part.as_deref());
    if let Some(record) = sealer.seal() {
        store_record(conn, &record, sealer.head())?;
    }
    Ok(())
}

/// The checkpoint, if any record was ever written.
pub(crate) fn checkpoint(conn: &Connection) -> Result<Option<Chain>, StoreError> {
    conn.query_row(
        "SELECT seq, digest, signature FROM audit_checkpoint WHERE id = 1",
        [],
        |r| {
            Ok(Chain {
                seq: r.get::<_, i64>(0)? as u64,
                digest: r.get(1)?,
                signature: r.get(2)?,
            })
        },
    )
    .optional()
    .map_err(db)
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
    Ok(Record {
        seq: r.get::<_, i64>(0)? as u64,
        at_ms: r.get(1)?,
        body: r.get(2)?,
        prev: r.get(3)?,
        digest: r.get(4)?,
    })
}

/// Up to `limit` records after `after_seq`, in seq order.
pub(crate) fn records(
    conn: &Connection,
    after_seq: u64,
    limit: usize,
) -> Result<Vec<Record>, StoreError> {
    page(
        conn,
        i64::try_from(after_seq).unwrap_or(i64::MAX),
        i64::try_from(limit).unwrap_or(i64::MAX),
    )
}

/// Records with a stored seq above `after`, in seq order (rowid order
/// would hide a renumbering).
fn page(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Record>, StoreError> {
    conn.prepare_cached(
        "SELECT seq, at_ms, body, prev, digest FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )
    .and_then(|mut stmt| {
        stmt.query_map(params![after, limit], record)?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(db)
}

/// Check the whole chain against the checkpoint, reading it a page at a
/// time, in one read transaction: the checkpoint and the records are one
/// snapshot even while the writer commits.
pub(crate) fn verify(
    conn: &Connection,
    options: &VerifyOptions,
) -> Result<Result<Verified, Broken>, StoreError> {
    let snapshot = conn.unchecked_transaction().map_err(db)?;
    let checkpoint = checkpoint(&snapshot)?;
    let mut failure = None;
    let mut after = i64::MIN;
    let mut buffer = std::collections::VecDeque::new();
    let records = std::iter::from_fn(|| {
        if buffer.is_empty() {
            match page(&snapshot, after, PAGE) {
                Ok(page) => {
                    after = page.last()?.seq as i64;
                    buffer.extend(page);
                }
                Err(e) => {
                    failure = Some(e);
                    return None;
                }
            }
        }
        buffer.pop_front()
    });
    let result = onething_store::audit::verify(records, checkpoint.as_ref(), options);
    if let Some(e) = failure {
        return Err(e);
    }
    let (mut verified, seals) = match result {
        Ok(v) => v,
        Err(broken) => return Ok(Err(broken)),
    };
    // The events, in the same snapshot, against what the chain sealed.
    let events = stored_events(&snapshot)?;
    let apps = applications(&snapshot)?;
    Ok(
        onething_store::audit::verify_events(&seals, events, apps).map(|n| {
            verified.events = n;
            verified
        }),
    )
}

#[async_trait]
impl AuditLog for SqliteStore {
    async fn verify_audit(
        &self,
        options: &VerifyOptions,
    ) -> Result<Result<Verified, Broken>, StoreError> {
        let options = &options.or_key(self.verifying);
        if !self.audit {
            return self
                .read(|c| {
                    let cp = checkpoint(c)?;
                    Ok(
                        onething_store::audit::verify(Vec::new(), cp.as_ref(), options)
                            .map(|(v, _)| v),
                    )
                })
                .await;
        }
        self.read(|c| verify(c, options)).await
    }

    async fn audit_checkpoint(&self) -> Result<Option<Chain>, StoreError> {
        self.read(checkpoint).await
    }

    async fn record_entries(&self, entries: &[Entry]) -> Result<(), StoreError> {
        let audit = onething_store::audit::entries_part(self.audit, entries);
        if audit.is_none() {
            return Ok(());
        }
        let run: RunFn = Box::new(|_| Ok(Vec::new()));
        self.write(move |reply| Write::Run { run, audit, reply })
            .await
            .map(|_| ())
    }

    async fn entries_of(&self, application: &str) -> Result<Vec<(i64, Entry)>, StoreError> {
        let application = application.to_owned();
        self.read(move |c| {
            let all = records(c, 0, usize::MAX >> 1)?;
            onething_store::audit::entries_about(all.iter(), &application)
        })
        .await
    }

    async fn audit_records(&self, after_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError> {
        self.read(|c| records(c, after_seq, limit)).await
    }
}
