//! The `store` capability: a durable key-value store private to each
//! department.
//!
//! The trait is partitioned by department id, so a plugin can only ever
//! reach its own keys: the department comes from the host's per-call state,
//! never from the guest. Limits on key and value size are enforced here,
//! once, for every backend.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::bindings::onething::matter::store;
use crate::ids::DepartmentId;
use crate::runtime::CallState;

/// Largest key a plugin may use, in bytes.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest value a plugin may store, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Why a store operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// Key or value over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The backend failed.
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
}

/// A key-value backend partitioned by department.
#[async_trait::async_trait]
pub trait KeyValue: Send + Sync {
    /// Read a value.
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Write a value.
    async fn set(&self, department: &DepartmentId, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Write a value only if the key is absent; whether it was written.
    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
    ) -> Result<bool, KvError>;
    /// Remove a key; whether it was there.
    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError>;
}

/// An in-memory backend: for `onething run` and tests.
#[derive(Debug, Default)]
pub struct MemoryKv {
    map: Mutex<HashMap<(DepartmentId, String), Vec<u8>>>,
}

impl MemoryKv {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut HashMap<(DepartmentId, String), Vec<u8>>) -> T,
    ) -> Result<T, KvError> {
        let mut guard = self
            .map
            .lock()
            .map_err(|_| KvError::Unavailable("in-memory store poisoned by a panic".into()))?;
        Ok(f(&mut guard))
    }
}

#[async_trait::async_trait]
impl KeyValue for MemoryKv {
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.with(|m| m.get(&(department.clone(), key.to_owned())).cloned())
    }
    async fn set(&self, department: &DepartmentId, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.with(|m| {
            m.insert((department.clone(), key.to_owned()), value.to_vec());
        })
    }
    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
    ) -> Result<bool, KvError> {
        self.with(|m| match m.entry((department.clone(), key.to_owned())) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(value.to_vec());
                true
            }
        })
    }
    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError> {
        self.with(|m| m.remove(&(department.clone(), key.to_owned())).is_some())
    }
}

fn check_key(key: &str) -> Result<(), KvError> {
    if key.len() > MAX_KEY_BYTES {
        return Err(KvError::TooLarge(format!(
            "key of {} bytes is over the limit of {MAX_KEY_BYTES}",
            key.len()
        )));
    }
    Ok(())
}

fn check_value(value: &[u8]) -> Result<(), KvError> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(KvError::TooLarge(format!(
            "value of {} bytes is over the limit of {MAX_VALUE_BYTES}",
            value.len()
        )));
    }
    Ok(())
}

fn to_wit(e: KvError) -> store::StoreError {
    match e {
        KvError::TooLarge(m) => store::StoreError::TooLarge(m),
        KvError::Unavailable(m) => store::StoreError::Unavailable(m),
    }
}

impl store::Host for CallState {
    async fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<Vec<u8>>, store::StoreError>> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(to_wit(e)));
        }
        Ok(self
            .caps
            .kv
            .get(&self.department, &key)
            .await
            .map_err(to_wit))
    }

    async fn set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), store::StoreError>> {
        if let Err(e) = check_key(&key).and_then(|()| check_value(&value)) {
            return Ok(Err(to_wit(e)));
        }
        Ok(self
            .caps
            .kv
            .set(&self.department, &key, &value)
            .await
            .map_err(to_wit))
    }

    async fn insert_new(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<bool, store::StoreError>> {
        if let Err(e) = check_key(&key).and_then(|()| check_value(&value)) {
            return Ok(Err(to_wit(e)));
        }
        Ok(self
            .caps
            .kv
            .insert_new(&self.department, &key, &value)
            .await
            .map_err(to_wit))
    }

    async fn delete(&mut self, key: String) -> wasmtime::Result<Result<bool, store::StoreError>> {
        if let Err(e) = check_key(&key) {
            return Ok(Err(to_wit(e)));
        }
        Ok(self
            .caps
            .kv
            .delete(&self.department, &key)
            .await
            .map_err(to_wit))
    }
}
