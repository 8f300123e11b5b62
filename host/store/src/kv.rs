//! The department key-value store: a durable map private to each
//! department, the backend of the `store` capability plugins import.
//!
//! Partitioned by department id: the department is always the host's (from
//! the plugin's manifest), never the guest's word, so a plugin can only
//! reach its own keys. A department's quota (keys and bytes, a [`KvQuota`]
//! the runtime passes with every write) is enforced by the backend, in the
//! same atomic step as the write, so concurrent writers cannot overrun it.
//! Size limits on a single key or value are the runtime's.

use async_trait::async_trait;
use onething_model::ids::DepartmentId;

/// How much one department may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvQuota {
    /// Keys at most.
    pub max_keys: u64,
    /// Bytes of keys and values together at most.
    pub max_bytes: u64,
}

impl KvQuota {
    /// No limit (for tests and tools).
    pub const UNLIMITED: KvQuota = KvQuota {
        max_keys: u64::MAX,
        max_bytes: u64::MAX,
    };
}

/// What one department keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KvUsage {
    /// Keys.
    pub keys: u64,
    /// Bytes of keys and values together.
    pub bytes: u64,
}

impl KvUsage {
    /// The usage after replacing `old` (a value of `key`, if any) with
    /// `new` (if any).
    pub fn after(self, key: &str, old: Option<usize>, new: Option<usize>) -> KvUsage {
        let entry = |len: Option<usize>| len.map_or(0, |n| (key.len() + n) as u64);
        KvUsage {
            keys: self.keys + u64::from(new.is_some()) - u64::from(old.is_some()),
            bytes: (self.bytes + entry(new)).saturating_sub(entry(old)),
        }
    }

    /// Whether this usage is within `quota`.
    pub fn within(self, quota: KvQuota) -> bool {
        self.keys <= quota.max_keys && self.bytes <= quota.max_bytes
    }
}

/// Why a key-value operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// A key or value over a limit.
    #[error("{0}")]
    TooLarge(String),
    /// The write would take the department over its quota; nothing was
    /// written.
    #[error(
        "department {department} would keep {} keys and {} bytes, over its quota of {} keys and {} bytes",
        .would.keys, .would.bytes, .quota.max_keys, .quota.max_bytes
    )]
    Quota {
        /// The department.
        department: DepartmentId,
        /// What it would keep after the write.
        would: KvUsage,
        /// Its quota.
        quota: KvQuota,
    },
    /// The backend failed or is shutting down.
    #[error("key-value store unavailable: {0}")]
    Unavailable(String),
}

/// A key-value backend partitioned by department.
#[async_trait]
pub trait DepartmentKv: Send + Sync {
    /// The value under `key`, if any.
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    /// Set `key` to `value`, replacing what was there, unless the
    /// department would go over `quota`.
    async fn set(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<(), KvError>;
    /// Set `key` only if it is absent, atomically (even across hosts
    /// sharing the backend), unless the department would go over `quota`;
    /// whether it was set.
    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
        quota: KvQuota,
    ) -> Result<bool, KvError>;
    /// Remove `key`; whether it was there.
    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError>;
    /// What the department keeps.
    async fn usage(&self, department: &DepartmentId) -> Result<KvUsage, KvError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_follows_replacements() {
        let u = KvUsage::default().after("k", None, Some(10));
        assert_eq!(u, KvUsage { keys: 1, bytes: 11 });
        let u = u.after("k", Some(10), Some(3));
        assert_eq!(u, KvUsage { keys: 1, bytes: 4 });
        let u = u.after("k", Some(3), None);
        assert_eq!(u, KvUsage::default());
        assert!(!KvUsage { keys: 2, bytes: 1 }.within(KvQuota {
            max_keys: 1,
            max_bytes: 10
        }));
    }
}
