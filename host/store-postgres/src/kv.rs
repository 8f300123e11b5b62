//! The plugins' key-value store in PostgreSQL: the `kv` table, keyed by
//! (department, key), and `kv_usage`, each department's keys and bytes.
//!
//! Every write is one transaction that first locks its department's
//! usage row (`FOR UPDATE`, the row made on the department's first
//! write), then checks the quota against that usage and updates it with
//! the write: writers of one department, on any host, take turns, so a
//! quota holds across hosts and the usage always matches what is kept.
//! `insert-new` is `INSERT … ON CONFLICT DO NOTHING`: whether the key
//! was absent is the database's word, not this process's.
//!
//! Not for limits on one key or value: the runtime checks those, the
//! same for every backend.

use std::sync::Arc;

use async_trait::async_trait;
use deadpool_postgres::{Object, Pool, Transaction};
use onething_model::ids::DepartmentId;
use onething_store::{DepartmentKv, KvError, KvQuota, KvUsage};

use crate::error::{message, pool_message};
use crate::sql::{execute, query_opt, signed, unsigned};

/// The plugins' key-value store in PostgreSQL (from
/// [`onething_store::Store::kv`] on a [`crate::PostgresStore`]; it shares
/// the store's pool).
pub struct PostgresKv {
    pool: Pool,
    target: Arc<str>,
}

impl std::fmt::Debug for PostgresKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresKv")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// A driver error as plugins see it.
fn unavailable(doing: &str) -> impl FnOnce(tokio_postgres::Error) -> KvError + '_ {
    move |e| KvError::Unavailable(format!("{doing}: {}", message(&e)))
}

/// A write.
enum Op<'a> {
    Set(&'a [u8], KvQuota),
    InsertNew(&'a [u8], KvQuota),
    Delete,
}

/// A value's length as stored.
fn stored_len(n: i32) -> usize {
    usize::try_from(n).unwrap_or(0)
}

impl PostgresKv {
    pub(crate) fn new(pool: Pool, target: Arc<str>) -> Self {
        Self { pool, target }
    }

    async fn client(&self) -> Result<Object, KvError> {
        self.pool
            .get()
            .await
            .map_err(|e| KvError::Unavailable(pool_message(&self.target, e)))
    }

    /// Lock the department's usage row (making it on its first write)
    /// and read it.
    async fn lock_usage(tx: &Transaction<'_>, department: &str) -> Result<KvUsage, KvError> {
        let doing = "locking the department's key-value usage";
        execute(
            tx,
            "INSERT INTO kv_usage (department, keys, bytes) VALUES ($1, 0, 0) ON CONFLICT (department) DO NOTHING",
            &[&department],
        )
        .await
        .map_err(unavailable(doing))?;
        let row = query_opt(
            tx,
            "SELECT keys, bytes FROM kv_usage WHERE department = $1 FOR UPDATE",
            &[&department],
        )
        .await
        .map_err(unavailable(doing))?
        .ok_or_else(|| KvError::Unavailable(format!("{doing}: the row is missing")))?;
        Ok(KvUsage {
            keys: unsigned(row.try_get(0).map_err(unavailable(doing))?),
            bytes: unsigned(row.try_get(1).map_err(unavailable(doing))?),
        })
    }

    /// Apply one write with its department's usage; whether it changed
    /// anything (an `insert-new` of a present key and a delete of an
    /// absent one do not, and store nothing).
    async fn write(
        &self,
        department: &DepartmentId,
        key: &str,
        op: Op<'_>,
    ) -> Result<bool, KvError> {
        let dept = department.as_str();
        let doing = format!("writing key {key:?} of department {dept}");
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(unavailable(&doing))?;
        let usage = Self::lock_usage(&tx, dept).await?;
        let (would, quota) = match op {
            Op::InsertNew(value, quota) => {
                let inserted = execute(
                    &tx,
                    "INSERT INTO kv (department, key, value) VALUES ($1, $2, $3) ON CONFLICT (department, key) DO NOTHING",
                    &[&dept, &key, &value],
                )
                .await
                .map_err(unavailable(&doing))?;
                if inserted == 0 {
                    return Ok(false);
                }
                (usage.after(key, None, Some(value.len())), Some(quota))
            }
            Op::Set(value, quota) => {
                let old: Option<i32> = query_opt(
                    &tx,
                    "SELECT octet_length(value) FROM kv WHERE department = $1 AND key = $2",
                    &[&dept, &key],
                )
                .await
                .and_then(|row| row.map(|r| r.try_get(0)).transpose())
                .map_err(unavailable(&doing))?;
                execute(
                    &tx,
                    "INSERT INTO kv (department, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT (department, key) DO UPDATE SET value = excluded.value",
                    &[&dept, &key, &value],
                )
                .await
                .map_err(unavailable(&doing))?;
                (
                    usage.after(key, old.map(stored_len), Some(value.len())),
                    Some(quota),
                )
            }
            Op::Delete => {
                let old: Option<i32> = query_opt(
                    &tx,
                    "DELETE FROM kv WHERE department = $1 AND key = $2 RETURNING octet_length(value)",
                    &[&dept, &key],
                )
                .await
                .and_then(|row| row.map(|r| r.try_get(0)).transpose())
                .map_err(unavailable(&doing))?;
                let Some(old) = old else { return Ok(false) };
                (usage.after(key, Some(stored_len(old)), None), None)
            }
        };
        // Over the quota only when the write grows the usage: replacing
        // with a smaller value, or deleting, is always allowed.
        if let Some(quota) = quota
            && !would.within(quota)
            && (would.keys > usage.keys || would.bytes > usage.bytes)
        {
            // Dropping the transaction rolls the write back.
            return Err(KvError::Quota {
                department: department.clone(),
                would,
                quota,
            });
        }
        execute(
            &tx,
            "UPDATE kv_usage SET keys = $2, bytes = $3 WHERE department = $1",
            &[&dept, &signed(would.keys), &signed(would.bytes)],
        )
        .await
        .map_err(unavailable(&doing))?;
        tx.commit().await.map_err(unavailable(&doing))?;
        Ok(true)
    }
}

#[async_trait]
impl DepartmentKv for PostgresKv {
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let doing = format!("reading key {key:?} of department {department}");
        let client = self.client().await?;
        query_opt(
            &client,
            "SELECT value FROM kv WHERE department = $1 AND key = $2",
            &[&department.as_str(), &key],
        )
        .await
        .and_then(|row| row.map(|r| r.try_get(0)).transpose())
        .map_err(unavailable(&doing))
    }

    async fn set(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<(), KvError> {
        self.write(department, key, Op::Set(value, quota))
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
        self.write(department, key, Op::InsertNew(value, quota))
            .await
    }

    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError> {
        self.write(department, key, Op::Delete).await
    }

    async fn usage(&self, department: &DepartmentId) -> Result<KvUsage, KvError> {
        let doing = format!("reading the key-value usage of department {department}");
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT keys, bytes FROM kv_usage WHERE department = $1",
            &[&department.as_str()],
        )
        .await
        .map_err(unavailable(&doing))?;
        let Some(row) = row else {
            return Ok(KvUsage::default());
        };
        Ok(KvUsage {
            keys: unsigned(row.try_get(0).map_err(unavailable(&doing))?),
            bytes: unsigned(row.try_get(1).map_err(unavailable(&doing))?),
        })
    }
}
