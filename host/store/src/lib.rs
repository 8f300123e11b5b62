//! OneThing's storage seam: what the host remembers, as one trait per
//! concern, with no backend named.
//!
//! - [`Applications`]: applications as append-only event histories (their
//!   state is the fold of the events), with a client's idempotency key and
//!   the one approval per step the store guarantees.
//! - [`Materials`]: applicants' files by content digest.
//! - [`Versions`]: every admitted component and bundle version, and the
//!   catalog's history.
//! - [`Consents`]: prefill consents.
//! - [`DepartmentKv`]: the plugins' key-value store, partitioned by
//!   department.
//! - [`Leases`]: which host drives each application, for many hosts on
//!   one database (a lease with an expiry, on the store's one clock).
//! - [`AuditLog`]: the hash-chained audit log ([`audit`]), sealed by the
//!   backend in the same commit as the writes it describes, with the
//!   entries and the sealing made here ([`audit::Sealer`]) so every backend
//!   logs the same.
//!
//! [`Store`] is all of them together; the engine holds an
//! `Arc<dyn Store>` and never knows which backend it has. As with
//! ripgrep's `grep-matcher` or Spin's key-value factor, backends live in
//! their own crates behind this one (`onething-store-sqlite`, a PostgreSQL
//! backend next), and [`memory::MemoryStore`] here serves tests and the
//! local runner. One conformance suite (the crate
//! `onething-store-conformance`) says what "the same semantics" means: every
//! backend runs it with one line of its tests.
//!
//! Not for deciding anything: the engine decides, the store remembers, and
//! remembers atomically (events, the status they produce and their audit
//! record are committed together, or not at all). This crate does no I/O
//! of its own.

pub mod applications;
pub mod audit;
pub mod consents;
pub mod error;
pub mod issued;
pub mod kv;
pub mod leases;
pub mod materials;
pub mod memory;
pub mod versions;

use std::sync::Arc;

use async_trait::async_trait;

pub use applications::{AppSummary, Applications, ClientKey, Created, EventRecord};
pub use audit::AuditLog;
pub use consents::Consents;
pub use error::StoreError;
pub use issued::{IssuedElsewhere, IssuedValues};
pub use kv::{DepartmentKv, KvError, KvQuota, KvUsage};
pub use leases::{Lease, LeaseInfo, Leases};
pub use materials::{MaterialMeta, Materials};
pub use memory::{MemoryKv, MemoryStore};
pub use versions::{
    ActivationStack, ChangeAction, ChangeRecord, StoredVersion, VersionKind, Versions,
};

/// Every trait of the seam, to call a concrete store's methods
/// (`use onething_store::prelude::*;`); through `dyn Store` none is needed.
pub mod prelude {
    pub use crate::{
        Applications, AuditLog, Consents, DepartmentKv, IssuedValues, Leases, Materials, Store,
        Versions,
    };
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Keep the audit log: on in every deployment; off only to measure
    /// what the log costs.
    pub audit: bool,
    /// The host's key, to sign each checkpoint of the audit log.
    pub checkpoint_key: Option<CheckpointKey>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            audit: true,
            checkpoint_key: None,
        }
    }
}

/// The host's ed25519 key that signs the audit log's checkpoints.
#[derive(Clone)]
pub struct CheckpointKey(pub ed25519_dalek::SigningKey);

impl std::fmt::Debug for CheckpointKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CheckpointKey(public {})",
            hex::encode(self.0.verifying_key().to_bytes())
        )
    }
}

/// Durable storage for the engine and the HTTP API: every concern, from
/// one backend.
#[async_trait]
pub trait Store:
    Applications
    + Materials
    + Versions
    + Consents
    + AuditLog
    + IssuedValues
    + Leases
    + Send
    + Sync
    + 'static
{
    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// The plugins' key-value store, on the same backend.
    fn kv(&self) -> Arc<dyn DepartmentKv>;

    /// What this store is, for logs and the health endpoint, e.g.
    /// `sqlite /var/lib/onething/onething.db` or `memory`.
    fn describe(&self) -> String;
}
