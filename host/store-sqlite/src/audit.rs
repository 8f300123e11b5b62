//! The audit log in the SQLite file: the `audit` table (one row per
//! sealed record), the one-row `audit_checkpoint`, and the writer's view
//! of the chain head ([`Auditor`]), which seals entries in the same
//! transaction as the writes they describe.

use rusqlite::{Connection, OptionalExtension, params};

use super::{db, exec};
use crate::audit::{Broken, Chain, Record, Verified};
use crate::store::StoreError;

pub(super) const SCHEMA: &str = r#"
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

/// The writer's audit state: whether to audit, the chain head, and the
/// entries of the group being committed (comma-joined JSON objects).
pub(super) struct Auditor {
    pub(super) enabled: bool,
    pub(super) chain: Chain,
    pending: String,
    /// One compression context for the writer's life (making one per
    /// record costs more than compressing).
    compressor: Option<zstd::bulk::Compressor<'static>>,
}

impl Auditor {
    /// The chain head as committed (from the checkpoint).
    pub(super) fn load(conn: &Connection, enabled: bool) -> Result<Self, StoreError> {
        Ok(Self {
            enabled,
            chain: checkpoint(conn)?.unwrap_or_default(),
            pending: String::new(),
            compressor: zstd::bulk::Compressor::new(1).ok(),
        })
    }

    /// Start a group: nothing pending.
    pub(super) fn begin(&mut self) {
        self.pending.clear();
    }

    /// A write of the group succeeded: its entries join the group's record.
    pub(super) fn add(&mut self, part: Option<&str>) {
        if let (true, Some(part)) = (self.enabled, part) {
            if !self.pending.is_empty() {
                self.pending.push(',');
            }
            self.pending.push_str(part);
        }
    }

    /// Seal the group's entries as the next record and move the
    /// checkpoint to it, in the group's transaction (nothing when the
    /// group moved no data).
    pub(super) fn seal(&mut self, conn: &Connection) -> Result<(), StoreError> {
        if !self.enabled || self.pending.is_empty() {
            return Ok(());
        }
        self.pending.insert(0, '[');
        self.pending.push(']');
        let json = self.pending.as_bytes();
        let body = match self.compressor.as_mut().map(|c| c.compress(json)) {
            Some(Ok(b)) => b,
            _ => crate::audit::compress(json),
        };
        self.pending.clear();
        let r = self
            .chain
            .append_compressed(chrono::Utc::now().timestamp_millis(), body);
        exec(
            conn,
            "INSERT INTO audit (seq, at_ms, body, prev, digest) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![r.seq as i64, r.at_ms, r.body, r.prev, r.digest],
        )
        .map_err(db)?;
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
        body: r.get(2)?,
        prev: r.get(3)?,
        digest: r.get(4)?,
    })
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
                    "SELECT seq, at_ms, body, prev, digest FROM audit WHERE seq > ?1 ORDER BY seq LIMIT 10000",
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
