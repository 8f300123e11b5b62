//! Why a store operation failed, the same for every backend.
//!
//! Not for the department key-value store, whose errors
//! ([`crate::kv::KvError`]) are what plugins see.

use onething_model::ids::StepRef;

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database (or the backend's own bookkeeping) reported an error;
    /// the message names what was being done.
    #[error("store: {0}")]
    Database(String),
    /// A stored record of an application could not be decoded.
    #[error("store: record of application {application} is corrupt: {message}")]
    Corrupt {
        /// The application.
        application: String,
        /// What failed.
        message: String,
    },
    /// An approval for this step is already recorded (the unique guard
    /// that keeps an approved outcome from being recorded twice). Nothing
    /// of the refused append was stored.
    #[error("store: step {step} of application {application} is already approved")]
    AlreadyApproved {
        /// The application.
        application: String,
        /// The step.
        step: StepRef,
    },
    /// A key-value write refused by the department's quota (nothing was
    /// written).
    #[error("store: {0}")]
    Kv(crate::kv::KvError),
    /// The backend is gone (the host is shutting down).
    #[error("store: the writer has stopped")]
    Closed,
}
