//! The `store` capability: a durable key-value store private to each
//! department, served by the store's [`DepartmentKv`] backend.
//!
//! The department comes from the host's per-call state (the plugin's
//! manifest), never from the guest, so a plugin can only reach its own
//! keys. Limits on one key or value are enforced here, once, for every
//! backend; the department's quota (keys and bytes, `limits.kv_max_keys`
//! and `limits.kv_max_bytes`, per department overridable) is passed to the
//! backend with every write, which enforces it atomically. What goes wrong
//! goes back to the plugin as a store error it can act on (too large, or
//! unavailable: answer transient), naming the setting.
//!
//! Every write of a call is recorded in an [`UndoLog`]: the host undoes
//! them when the attempt fails (a trap, a limit, an error the department
//! returns, an output the host refuses), so a failed attempt leaves
//! nothing behind. Writes go to the backend at once — a reservation made
//! with `insert-new` holds against concurrent attempts — and are taken
//! back, newest first, only if the attempt does not stand.

use std::sync::{Arc, Mutex};

use onething_contract::StoreFailure;
use onething_model::ids::DepartmentId;
use onething_store::kv::{DepartmentKv, KvError, KvQuota};

use crate::limits::KvQuotaSource;

/// Largest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest value a plugin may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

fn check_key(key: &str) -> Result<(), StoreFailure> {
    if key.len() > MAX_KEY_BYTES {
        return Err(StoreFailure::TooLarge(format!(
            "key of {} bytes is over the limit of {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    Ok(())
}

fn check_value(value: &[u8]) -> Result<(), StoreFailure> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(StoreFailure::TooLarge(format!(
            "value of {} bytes is over the limit of {MAX_VALUE_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

/// How to take one write back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Undo {
    /// The key did not exist: remove it.
    Remove(String),
    /// The key held this value: put it back.
    Restore(String, Vec<u8>),
}

/// The writes of one call, to take back if its attempt does not stand.
#[derive(Debug, Clone, Default)]
pub struct UndoLog(Arc<Mutex<Vec<Undo>>>);

impl UndoLog {
    fn push(&self, undo: Undo) {
        if let Ok(mut log) = self.0.lock() {
            log.push(undo);
        }
    }

    /// How many writes were recorded.
    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |l| l.len())
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Take every recorded write of `department` back, newest first.
    /// Failures are logged: the attempt failed either way.
    pub async fn undo(&self, kv: &dyn DepartmentKv, department: &DepartmentId) {
        let entries: Vec<Undo> = self
            .0
            .lock()
            .map(|mut l| std::mem::take(&mut *l))
            .unwrap_or_default();
        let count = entries.len();
        for entry in entries.into_iter().rev() {
            let result = match &entry {
                Undo::Remove(key) => kv.delete(department, key).await.map(|_| ()),
                Undo::Restore(key, value) => {
                    kv.set(department, key, value, KvQuota::UNLIMITED).await
                }
            };
            if let Err(e) = result {
                tracing::error!(%department, error = %e, "could not take back a write of a failed attempt");
            }
        }
        if count > 0 {
            tracing::debug!(%department, writes = count, "the writes of a failed attempt were taken back");
        }
    }
}

/// One department's view of the key-value backend during one call, with
/// the limits applied and every write recorded.
pub struct DepartmentStore<'a> {
    /// The backend.
    pub kv: &'a dyn DepartmentKv,
    /// The department whose keys these are.
    pub department: &'a DepartmentId,
    /// Its quota.
    pub quota: KvQuota,
    /// Where the quota is set, for messages.
    pub quota_source: KvQuotaSource,
    /// Where writes are recorded.
    pub undo: &'a UndoLog,
}

impl DepartmentStore<'_> {
    fn failure(&self, e: KvError) -> StoreFailure {
        match e {
            KvError::TooLarge(m) => StoreFailure::TooLarge(m),
            KvError::Quota { would, quota, .. } => {
                let (keys, bytes) = self.quota_source.settings(self.department);
                StoreFailure::TooLarge(format!(
                    "department {} may keep {} keys and {} bytes ({keys} and {bytes}); this write would make {} keys and {} bytes, so nothing was written",
                    self.department, quota.max_keys, quota.max_bytes, would.keys, would.bytes
                ))
            }
            KvError::Unavailable(m) => StoreFailure::Unavailable(m),
        }
    }

    /// `get`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreFailure> {
        check_key(key)?;
        self.kv
            .get(self.department, key)
            .await
            .map_err(|e| self.failure(e))
    }

    /// What undoes a write of `key`: its value now, or its absence.
    async fn before(&self, key: &str) -> Result<Undo, StoreFailure> {
        Ok(match self.get(key).await? {
            Some(old) => Undo::Restore(key.to_owned(), old),
            None => Undo::Remove(key.to_owned()),
        })
    }

    /// `set`.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreFailure> {
        check_key(key)?;
        check_value(value)?;
        let undo = self.before(key).await?;
        self.kv
            .set(self.department, key, value, self.quota)
            .await
            .map_err(|e| self.failure(e))?;
        self.undo.push(undo);
        Ok(())
    }

    /// `insert-new`.
    pub async fn insert_new(&self, key: &str, value: &[u8]) -> Result<bool, StoreFailure> {
        check_key(key)?;
        check_value(value)?;
        let inserted = self
            .kv
            .insert_new(self.department, key, value, self.quota)
            .await
            .map_err(|e| self.failure(e))?;
        if inserted {
            self.undo.push(Undo::Remove(key.to_owned()));
        }
        Ok(inserted)
    }

    /// `delete`.
    pub async fn delete(&self, key: &str) -> Result<bool, StoreFailure> {
        check_key(key)?;
        let undo = self.before(key).await?;
        let deleted = self
            .kv
            .delete(self.department, key)
            .await
            .map_err(|e| self.failure(e))?;
        if deleted {
            self.undo.push(undo);
        }
        Ok(deleted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onething_store::MemoryKv;

    fn dept(s: &str) -> DepartmentId {
        DepartmentId::parse(s).expect("id")
    }

    #[tokio::test]
    async fn limits_apply_before_the_backend_and_departments_are_apart() {
        let kv = MemoryKv::default();
        let (health, tax) = (dept("health"), dept("tax"));
        let undo = UndoLog::default();
        let store = |department| DepartmentStore {
            kv: &kv,
            department,
            quota: KvQuota::UNLIMITED,
            quota_source: KvQuotaSource::default(),
            undo: &undo,
        };
        let (h, t) = (store(&health), store(&tax));
        assert_eq!(h.insert_new("k", b"1").await, Ok(true));
        assert_eq!(h.insert_new("k", b"2").await, Ok(false));
        assert_eq!(h.get("k").await, Ok(Some(b"1".to_vec())));
        assert_eq!(t.get("k").await, Ok(None), "another department's key");
        let long_key = "k".repeat(MAX_KEY_BYTES + 1);
        assert!(
            matches!(h.get(&long_key).await, Err(StoreFailure::TooLarge(m)) if m.contains("512"))
        );
        let big = vec![0u8; MAX_VALUE_BYTES + 1];
        assert!(matches!(
            h.set("k", &big).await,
            Err(StoreFailure::TooLarge(_))
        ));
        assert_eq!(h.delete("k").await, Ok(true));
        assert_eq!(h.delete("k").await, Ok(false));
    }

    #[tokio::test]
    async fn item_11_a_quota_refusal_names_the_settings_and_writes_nothing() {
        let kv = MemoryKv::default();
        let health = dept("health");
        let undo = UndoLog::default();
        let h = DepartmentStore {
            kv: &kv,
            department: &health,
            quota: KvQuota {
                max_keys: 1,
                max_bytes: 100,
            },
            quota_source: KvQuotaSource::default(),
            undo: &undo,
        };
        h.set("a", b"1").await.expect("first key");
        let Err(StoreFailure::TooLarge(message)) = h.insert_new("b", b"2").await else {
            panic!("the second key is over the quota");
        };
        assert!(
            message.contains("limits.kv_max_keys") && message.contains("nothing was written"),
            "{message}"
        );
        assert_eq!(h.get("b").await, Ok(None));
    }

    #[tokio::test]
    async fn item_11_the_writes_of_a_failed_attempt_are_taken_back() {
        let kv = MemoryKv::default();
        let health = dept("health");
        let earlier = UndoLog::default();
        let store = |undo| DepartmentStore {
            kv: &kv,
            department: &health,
            quota: KvQuota::UNLIMITED,
            quota_source: KvQuotaSource::default(),
            undo,
        };
        // What an earlier, successful attempt left.
        store(&earlier).set("kept", b"old").await.expect("set");
        store(&earlier).set("gone", b"x").await.expect("set");
        // A failing attempt: a reservation, a replacement, a deletion.
        let attempt = UndoLog::default();
        let s = store(&attempt);
        assert_eq!(s.insert_new("reserved", b"me").await, Ok(true));
        s.set("kept", b"new").await.expect("set");
        assert_eq!(s.delete("gone").await, Ok(true));
        assert_eq!(s.insert_new("kept", b"no").await, Ok(false), "not recorded");
        assert_eq!(attempt.len(), 3);
        attempt.undo(&kv, &health).await;
        assert!(attempt.is_empty());
        assert_eq!(kv.get(&health, "reserved").await, Ok(None));
        assert_eq!(kv.get(&health, "kept").await, Ok(Some(b"old".to_vec())));
        assert_eq!(kv.get(&health, "gone").await, Ok(Some(b"x".to_vec())));
        assert_eq!(
            kv.usage(&health).await.expect("usage"),
            onething_store::KvUsage {
                keys: 2,
                bytes: 4 + 3 + 4 + 1
            },
            "usage is back where it was"
        );
    }
}
