//! Prefill consents as stored: what the applicant allowed and what was
//! filled in (values only as digests), recorded with the audit entries of
//! the prefill in the same commit.
//!
//! Not for asking departments or deciding what may be prefilled: the
//! engine does that, and makes the entries.

use async_trait::async_trait;
use onething_model::audit::Entry;
use onething_model::consent::ConsentRecord;

use crate::error::StoreError;

/// Prefill consents by id.
#[async_trait]
pub trait Consents: Send + Sync {
    /// Store a consent, atomically with the audit entries of the prefill
    /// it allowed (sealed into the chain with it). An id already stored
    /// is an error.
    async fn record_consent(
        &self,
        consent: &ConsentRecord,
        entries: &[Entry],
    ) -> Result<(), StoreError>;

    /// A stored consent.
    async fn consent(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError>;
}
