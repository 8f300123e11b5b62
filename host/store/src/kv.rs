//! The department key-value store: a durable map private to each
//! department, the backend of the `store` capability plugins import.
//!
//! Partitioned by department id: the department is always the host's (from
//! the plugin's manifest), never the guest's word, so a plugin can only
//! reach its own keys. Size limits on keys and values are the runtime's
//! (they are the same for every backend); a backend only stores.

use async_trait::async_trait;
use onething_model::ids::DepartmentId;

/// Why a key-value operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// A key or value over a limit, or a quota used up.
    #[error("{0}")]
    TooLarge(String),
    /// The backend failed or is shutting down.
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
}

/// A key-value backend partitioned by department.
#[async_trait]
pub trait DepartmentKv: Send + Sync {
    /// The value under `key`, if any.
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Set `key` to `value`, replacing what was there.
    async fn set(&self, department: &DepartmentId, key: &str, value: &[u8]) -> Result<(), KvError>;
    /// Set `key` only if it is absent, atomically (even across hosts
    /// sharing the backend); whether it was set.
    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
    ) -> Result<bool, KvError>;
    /// Remove `key`; whether it was there.
    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError>;
}
