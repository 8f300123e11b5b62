//! Durable storage of applications (append-only event histories plus a
//! materialised status), materials, bundle definitions and the
//! departments' key-value data.
//!
//! [`Store`] is the seam for backends: embedded SQLite ([`sqlite`]) is the
//! default; a PostgreSQL backend can implement the same trait. Not for
//! deciding anything: the engine decides, the store only remembers, and
//! remembers atomically (an event and the state it produces are committed
//! together, or not at all).

pub mod sqlite;
pub mod versions;

use async_trait::async_trait;

use crate::engine::state::{AppState, AppStatus, Event};
use versions::{ChangeRecord, StoredVersion, VersionKind};

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database reported an error.
    #[error("store: {0}")]
    Database(String),
    /// A stored record could not be decoded.
    #[error("store: record of application {application} is corrupt: {message}")]
    Corrupt {
        /// The application.
        application: String,
        /// What failed.
        message: String,
    },
    /// An approval for this step is already recorded (the unique guard
    /// that keeps an approved outcome from being recorded twice).
    #[error("store: step {step} of application {application} is already approved")]
    AlreadyApproved {
        /// The application.
        application: String,
        /// The step.
        step: String,
    },
    /// The writer is gone (the host is shutting down).
    #[error("store: the writer has stopped")]
    Closed,
}

/// One stored event.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EventRecord {
    /// Sequence number within the application, from 1.
    pub seq: u64,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
}

/// What `create` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new application was stored.
    New,
    /// An application with this client key already exists: its id.
    Existing(String),
}

/// A stored material's description.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MaterialMeta {
    /// Content digest.
    pub digest: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// Summary of an application for lists.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AppSummary {
    /// Id.
    pub id: String,
    /// Bundle.
    pub bundle: String,
    /// Status.
    pub status: AppStatus,
    /// Whether something is overdue.
    pub overdue: bool,
    /// Submitted, ms since the epoch.
    pub submitted_ms: i64,
}

/// Durable storage for the engine and the HTTP API.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Store a new application with its first event and state. With a
    /// client key already used, stores nothing and names the existing one.
    async fn create(
        &self,
        client_key: Option<&str>,
        state: &AppState,
        event: &Event,
        at_ms: i64,
    ) -> Result<Created, StoreError>;

    /// Append events, taking the application from state `before` to state
    /// `after`, atomically.
    async fn append(
        &self,
        before: &AppState,
        after: &AppState,
        events: &[(Event, i64)],
    ) -> Result<(), StoreError>;

    /// An application's state.
    async fn state(&self, id: &str) -> Result<Option<AppState>, StoreError>;

    /// An application's events after `after_seq`.
    async fn events(&self, id: &str, after_seq: u64) -> Result<Vec<EventRecord>, StoreError>;

    /// Ids of applications that are not final and not parked (running).
    async fn unfinished(&self) -> Result<Vec<String>, StoreError>;

    /// Applications by status (e.g. manual) or overdue.
    async fn list(
        &self,
        status: Option<AppStatus>,
        overdue_only: bool,
        limit: usize,
    ) -> Result<Vec<AppSummary>, StoreError>;

    /// Count of applications by status.
    async fn counts(&self) -> Result<Vec<(AppStatus, u64)>, StoreError>;

    /// Store material bytes (deduplicated by digest).
    async fn put_material(&self, meta: &MaterialMeta, bytes: &[u8]) -> Result<(), StoreError>;

    /// A stored material's description.
    async fn material(&self, digest: &str) -> Result<Option<MaterialMeta>, StoreError>;

    /// Whether the store answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Record changes to the catalogue atomically, storing `version` (its
    /// bytes; once per kind and digest) with them. The seq of each change.
    async fn record_changes(
        &self,
        version: Option<&StoredVersion>,
        changes: &[ChangeRecord],
    ) -> Result<Vec<u64>, StoreError>;

    /// A stored version, with its bytes.
    async fn version(
        &self,
        kind: VersionKind,
        digest: &str,
    ) -> Result<Option<StoredVersion>, StoreError>;

    /// The stored versions of a department or bundle, oldest first
    /// (without their bytes).
    async fn versions(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Vec<StoredVersion>, StoreError>;

    /// The catalogue's history, oldest first; filtered by kind and subject
    /// when given, the last `limit` records.
    async fn changes(
        &self,
        kind: Option<VersionKind>,
        subject: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError>;

    /// Check the whole audit chain against its checkpoint.
    async fn verify_audit(
        &self,
    ) -> Result<Result<crate::audit::Verified, crate::audit::Broken>, StoreError>;

    /// The audit checkpoint (last seq and digest), to keep elsewhere.
    async fn audit_checkpoint(&self) -> Result<Option<crate::audit::Chain>, StoreError>;

    /// Store a prefill consent with the audit entries of the prefill.
    async fn record_consent(
        &self,
        consent: &crate::prefill::ConsentRecord,
        entries: Vec<crate::audit::Entry>,
    ) -> Result<(), StoreError>;

    /// A stored consent.
    async fn consent(&self, id: &str) -> Result<Option<crate::prefill::ConsentRecord>, StoreError>;
}
