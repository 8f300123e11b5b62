//! Applications as the store keeps them: each one's append-only event
//! history (its state is the fold of the events, never a stored
//! snapshot), plus the few columns lists need (status, overdue,
//! submission time) and the client's idempotency key.
//!
//! Not for deciding what an application does next (the engine) nor for
//! the audit entries of its events (made by [`crate::audit`] for every
//! backend alike).

use async_trait::async_trait;
use onething_model::events::Event;
use onething_model::ids::{BundleId, Digest};
use onething_model::state::{AppState, AppStatus};
use serde::Serialize;

use crate::error::StoreError;

/// One stored event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRecord {
    /// Sequence number within the application, from 1.
    pub seq: u64,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The event (written flattened: `{"seq":…,"at_ms":…,"kind":…,…}`).
    #[serde(flatten)]
    pub event: Event,
}

/// A client's idempotency key, with the digest of the request it came
/// with: the same key with another request is not a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey {
    /// The key as the client gave it.
    pub key: String,
    /// The digest of the request (without the key).
    pub request: Digest,
}

/// What [`Applications::create`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new application was stored.
    New,
    /// An application with this client key already exists. Nothing was
    /// stored (and nothing sealed into the audit log).
    Existing {
        /// Its id.
        id: String,
        /// The digest of the request it was made from (none for one
        /// stored before requests were digested).
        request: Option<Digest>,
    },
}

/// Summary of an application for lists.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppSummary {
    /// Id.
    pub id: String,
    /// Bundle.
    pub bundle: BundleId,
    /// Status.
    pub status: AppStatus,
    /// Whether something is overdue.
    pub overdue: bool,
    /// Submitted, ms since the epoch.
    pub submitted_ms: i64,
}

/// Applications and their event histories.
#[async_trait]
pub trait Applications: Send + Sync {
    /// Store a new application with its first event (`submitted`), at
    /// `at_ms`, with the audit entries of the submission. With a client
    /// key already used, stores nothing and names the existing
    /// application. An id already stored is an error.
    async fn create(
        &self,
        client_key: Option<&ClientKey>,
        state: &AppState,
        event: &Event,
        at_ms: i64,
    ) -> Result<Created, StoreError>;

    /// The application made with a client key, and the digest of its
    /// request, if any.
    async fn by_client_key(
        &self,
        key: &str,
    ) -> Result<Option<(String, Option<Digest>)>, StoreError>;

    /// Append `events`, taking the application from state `before` to
    /// state `after` (`after.events` counts them), atomically with their
    /// audit entries. A second approval of a step already approved is
    /// refused with [`StoreError::AlreadyApproved`] and nothing of the
    /// append is stored.
    async fn append(
        &self,
        before: &AppState,
        after: &AppState,
        events: &[(Event, i64)],
    ) -> Result<(), StoreError>;

    /// An application's state: the fold of its events ([`fold`]).
    async fn state(&self, id: &str) -> Result<Option<AppState>, StoreError> {
        fold(id, self.events(id, 0).await?)
    }

    /// An application's events with a seq greater than `after_seq`, in
    /// order (none for an unknown application).
    async fn events(&self, id: &str, after_seq: u64) -> Result<Vec<EventRecord>, StoreError>;

    /// Ids of the applications whose status is running (not final, not
    /// parked with the applicant or an operator), oldest submission first.
    async fn unfinished(&self) -> Result<Vec<String>, StoreError>;

    /// Applications with `status` (any when none), only overdue ones when
    /// `overdue_only`, at most `limit`, oldest submission first.
    async fn list(
        &self,
        status: Option<AppStatus>,
        overdue_only: bool,
        limit: usize,
    ) -> Result<Vec<AppSummary>, StoreError>;

    /// How many applications have each status (statuses with none are
    /// left out), ordered by the status's stored name.
    async fn counts(&self) -> Result<Vec<(AppStatus, u64)>, StoreError>;
}

/// An application's state from its stored events, oldest first: the
/// first must be `submitted`. None when there are no events.
pub fn fold(
    id: &str,
    records: impl IntoIterator<Item = EventRecord>,
) -> Result<Option<AppState>, StoreError> {
    let mut iter = records.into_iter();
    let Some(first) = iter.next() else {
        return Ok(None);
    };
    let mut state =
        AppState::submitted(id, first.at_ms, &first.event).ok_or_else(|| StoreError::Corrupt {
            application: id.to_owned(),
            message: format!("the first event is {}, not submitted", first.event.kind()),
        })?;
    for r in iter {
        state.apply(&r.event, r.at_ms);
    }
    Ok(Some(state))
}

/// The first seq of an append taking an application to `after` with
/// `count` events (the caller's `after.events` counts them all).
pub fn first_seq(after: &AppState, count: usize) -> Result<u64, StoreError> {
    (after.events + 1)
        .checked_sub(count as u64)
        .filter(|seq| *seq >= 2)
        .ok_or_else(|| {
            StoreError::Database(format!(
                "application {}: an append of {count} events cannot end at event {}",
                after.id, after.events
            ))
        })
}

/// The status and overdue flag an append writes: those of `after`, when
/// either differs from `before` (the stored row changes only then).
pub fn status_change(before: &AppState, after: &AppState) -> Option<(AppStatus, bool)> {
    let flags = |s: &AppState| (s.status, s.is_overdue());
    (flags(before) != flags(after)).then(|| flags(after))
}

/// A stored status name read back (unknown names read as running, so a
/// row never hides an application from recovery).
pub fn parse_status(s: &str) -> AppStatus {
    match s {
        "needs-more" => AppStatus::NeedsMore,
        "manual" => AppStatus::Manual,
        "completed" => AppStatus::Completed,
        "rejected" => AppStatus::Rejected,
        _ => AppStatus::Running,
    }
}
