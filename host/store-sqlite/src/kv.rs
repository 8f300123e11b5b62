//! The plugins' key-value store on the SQLite file: the `kv` table,
//! keyed by (department, key). Reads on a connection of its own; writes
//! through the store's group-committing writer, so `insert_new` is
//! atomic and key-value writes share commits with everything else.
//!
//! Each department's usage (keys and bytes) is kept in `kv_usage`,
//! updated by the writer in the same transaction as the write it counts,
//! so a quota holds however many writers there are. Not for limits on one
//! key or value: the runtime checks those, the same for every backend.

use std::sync::Mutex;

use async_trait::async_trait;
use onething_model::ids::DepartmentId;
use onething_store::{DepartmentKv, KvError, KvQuota, KvUsage, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::writer::{KvOp, Queue, Write};

/// The plugins' key-value store on the SQLite file (from
/// [`onething_store::Store::kv`] on a [`crate::SqliteStore`]).
pub struct SqliteKv {
    reader: Mutex<Connection>,
    writer: Queue,
}

impl std::fmt::Debug for SqliteKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteKv").finish_non_exhaustive()
    }
}

impl SqliteKv {
    pub(crate) fn new(reader: Connection, writer: Queue) -> Self {
        Self {
            reader: Mutex::new(reader),
            writer,
        }
    }

    async fn write(&self, op: KvOp) -> Result<bool, KvError> {
        let gone = || KvError::Unavailable("the store is shutting down".into());
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(Write::Kv { op, reply: tx })
            .map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?.map_err(|e| match e {
            StoreError::Kv(e) => e,
            other => KvError::Unavailable(other.to_string()),
        })
    }
}

#[async_trait]
impl DepartmentKv for SqliteKv {
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let conn = self
            .reader
            .lock()
            .map_err(|_| KvError::Unavailable("connection poisoned by a panic".into()))?;
        conn.prepare_cached("SELECT value FROM kv WHERE department = ?1 AND key = ?2")
            .and_then(|mut s| {
                s.query_row(params![department.as_str(), key], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| KvError::Unavailable(e.to_string()))
    }

    async fn set(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<(), KvError> {
        self.write(KvOp::Set {
            department: department.to_string(),
            key: key.to_owned(),
            value: value.to_vec(),
            quota,
        })
        .await
        .map(|_| ())
    }

    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<bool, KvError> {
        self.write(KvOp::InsertNew {
            department: department.to_string(),
            key: key.to_owned(),
            value: value.to_vec(),
            quota,
        })
        .await
    }

    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError> {
        self.write(KvOp::Delete {
            department: department.to_string(),
            key: key.to_owned(),
        })
        .await
    }

    async fn usage(&self, department: &DepartmentId) -> Result<KvUsage, KvError> {
        let conn = self
            .reader
            .lock()
            .map_err(|_| KvError::Unavailable("connection poisoned by a panic".into()))?;
        conn.prepare_cached("SELECT keys, bytes FROM kv_usage WHERE department = ?1")
            .and_then(|mut s| {
                s.query_row(params![department.as_str()], |r| {
                    Ok(KvUsage {
                        keys: r.get::<_, i64>(0)?.max(0) as u64,
                        bytes: r.get::<_, i64>(1)?.max(0) as u64,
                    })
                })
                .optional()
            })
            .map(Option::unwrap_or_default)
            .map_err(|e| KvError::Unavailable(e.to_string()))
    }
}
