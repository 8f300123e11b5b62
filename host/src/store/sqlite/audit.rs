//! The audit log in the SQLite file: the `audit` table (one row per
//! sealed record), the one-row `audit_checkpoint`, and the writer's view
//! of the chain head ([`Auditor`]), which seals entries in the same
//! transaction as the writes they describe.

use rusqlite::{Connection, OptionalExtension, params};

use super::{db, exec};
use crate::audit::{Broken, Chain, Entry, Record, Verified};
use crate::store::StoreError;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS audit (
    seq         INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    application TEXT,
    body        TEXT NOT NULL,
    prev        TEXT NOT NULL,
    digest      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_application ON audit(application) WHERE application IS NOT NULL;
CREATE TABLE IF NOT EXISTS audit_checkpoint (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    seq    INTEGER NOT NULL,
    digest TEXT NOT NULL
);
"#;

/// The writer's audit state: whether to audit, and the chain head.
pub(super) struct Auditor {
    pub(super) enabled: bool,
    pub(super) chain: Chain,
}

impl Auditor {
    /// The chain head as committed (from the checkpoint).
    pub(super) fn load(conn: &Connection, enabled: bool) -> Result<Self, StoreError> {
        Ok(Self {
            enabled,
            chain: checkpoint(conn)?.unwrap_or_default(),
        })
    }

    /// Seal `entries` as the next record (nothing when there are none).
    pub(super) fn append(
        &mut self,
        conn: &Connection,
        at_ms: i64,
        entries: &[Entry],
    ) -> Result<(), StoreError> {
        if !self.enabled || entries.is_empty() {
            return Ok(());
        }
        let r = self.chain.append(at_ms, entries);
        exec(
            conn,
            "INSERT INTO audit (seq, at_ms, application, body, prev, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![r.seq as i64, r.at_ms, r.application, r.body, r.prev, r.digest],
        )
        .map_err(db)?;
        Ok(())
    }

    /// Keep the checkpoint at the chain head (in the group's transaction).
    pub(super) fn write_checkpoint(&self, conn: &Connection) -> Result<(), StoreError> {
        if !self.enabled {
            return Ok(());
        }
        exec(
            conn,
            "INSERT INTO audit_checkpoint (id, seq, digest) VALUES (1, ?1, ?2) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, digest = excluded.digest",
            params![self.chain.seq as i64, self.chain.digest],
        )
        .map_err(db)?;
        Ok(())
    }
}

/// The checkpoint, if any record was ever written.
pub(super) fn checkpoint(conn: &Connection) -> Result<Option<Chain>, StoreError> {
    conn.query_row(
        "SELECT seq, digest FROM audit_checkpoint WHERE id = 1",
        [],
        |r| {
            Ok(Chain {
                seq: r.get::<_, i64>(0)? as u64,
                digest: r.get(1)?,
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
        application: r.get(2)?,
        body: r.get(3)?,
        prev: r.get(4)?,
        digest: r.get(5)?,
    })
}

/// The records of one application, in order.
pub(super) fn of_application(conn: &Connection, id: &str) -> Result<Vec<Record>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT seq, at_ms, application, body, prev, digest FROM audit WHERE application = ?1 ORDER BY seq",
        )
        .map_err(db)?;
    let rows = stmt.query_map(params![id], record).map_err(db)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(db)
}

/// Check the whole chain against the checkpoint, reading it a page at a
/// time in seq order (rowid order would hide a renumbering).
pub fn verify(conn: &Connection) -> Result<Result<Verified, Broken>, StoreError> {
    let checkpoint = checkpoint(conn)?;
    let mut failure = None;
    let mut after = i64::MIN;
    let mut buffer = std::collections::VecDeque::new();
    let records = std::iter::from_fn(|| {
        if buffer.is_empty() {
            let page = conn
                .prepare_cached(
                    "SELECT seq, at_ms, application, body, prev, digest FROM audit WHERE seq > ?1 ORDER BY seq LIMIT 10000",
                )
                .and_then(|mut stmt| {
                    stmt.query_map(params![after], record)?
                        .collect::<Result<Vec<_>, _>>()
                });
            match page {
                Ok(page) => {
                    after = page.last()?.seq as i64;
                    buffer.extend(page);
                }
                Err(e) => {
                    failure = Some(db(e));
                    return None;
                }
            }
        }
        buffer.pop_front()
    });
    let result = crate::audit::verify(records, checkpoint.as_ref());
    match failure {
        Some(e) => Err(e),
        None => Ok(result),
    }
}
