//! The `store` capability: a durable key-value store private to each
//! department, served by the store's [`DepartmentKv`] backend.
//!
//! The department comes from the host's per-call state (the plugin's
//! manifest), never from the guest, so a plugin can only reach its own
//! keys. Limits on key and value size are enforced here, once, for every
//! backend; what the backend says goes back to the plugin as a store
//! error it can act on (too large, or unavailable: answer transient).

use onething_contract::StoreFailure;
use onething_model::ids::DepartmentId;
use onething_store::kv::{DepartmentKv, KvError};

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

fn failure(e: KvError) -> StoreFailure {
    match e {
        KvError::TooLarge(m) => StoreFailure::TooLarge(m),
        KvError::Unavailable(m) => StoreFailure::Unavailable(m),
    }
}

/// One department's view of the key-value backend, with the limits
/// applied: what a plugin's `store` imports reach.
pub struct DepartmentStore<'a> {
    /// The backend.
    pub kv: &'a dyn DepartmentKv,
    /// The department whose keys these are.
    pub department: &'a DepartmentId,
}

impl DepartmentStore<'_> {
    /// `get`.
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreFailure> {
        check_key(key)?;
        self.kv.get(self.department, key).await.map_err(failure)
    }

    /// `set`.
    pub async fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreFailure> {
        check_key(key)?;
        check_value(value)?;
        self.kv
            .set(self.department, key, value)
            .await
            .map_err(failure)
    }

    /// `insert-new`.
    pub async fn insert_new(&self, key: &str, value: &[u8]) -> Result<bool, StoreFailure> {
        check_key(key)?;
        check_value(value)?;
        self.kv
            .insert_new(self.department, key, value)
            .await
            .map_err(failure)
    }

    /// `delete`.
    pub async fn delete(&self, key: &str) -> Result<bool, StoreFailure> {
        check_key(key)?;
        self.kv.delete(self.department, key).await.map_err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// A map backend for these tests.
    #[derive(Default)]
    struct MapKv(Mutex<HashMap<(DepartmentId, String), Vec<u8>>>);

    #[async_trait::async_trait]
    impl DepartmentKv for MapKv {
        async fn get(&self, d: &DepartmentId, k: &str) -> Result<Option<Vec<u8>>, KvError> {
            Ok(self
                .0
                .lock()
                .expect("lock")
                .get(&(d.clone(), k.into()))
                .cloned())
        }
        async fn set(&self, d: &DepartmentId, k: &str, v: &[u8]) -> Result<(), KvError> {
            self.0
                .lock()
                .expect("lock")
                .insert((d.clone(), k.into()), v.to_vec());
            Ok(())
        }
        async fn insert_new(&self, d: &DepartmentId, k: &str, v: &[u8]) -> Result<bool, KvError> {
            let mut m = self.0.lock().expect("lock");
            let key = (d.clone(), k.to_owned());
            if m.contains_key(&key) {
                return Ok(false);
            }
            m.insert(key, v.to_vec());
            Ok(true)
        }
        async fn delete(&self, d: &DepartmentId, k: &str) -> Result<bool, KvError> {
            Ok(self
                .0
                .lock()
                .expect("lock")
                .remove(&(d.clone(), k.into()))
                .is_some())
        }
    }

    fn dept(s: &str) -> DepartmentId {
        DepartmentId::parse(s).expect("id")
    }

    #[tokio::test]
    async fn limits_apply_before_the_backend_and_departments_are_apart() {
        let kv = MapKv::default();
        let (health, tax) = (dept("health"), dept("tax"));
        let h = DepartmentStore {
            kv: &kv,
            department: &health,
        };
        let t = DepartmentStore {
            kv: &kv,
            department: &tax,
        };
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
}
