//! The durable engine: applications as event histories in a store, driven
//! step by step, surviving crashes. The one behaviour of both `onething
//! serve` (on SQLite) and `onething run` (on the in-memory store).
//!
//! Every state change is committed before it is acted on: an attempt is
//! recorded before the plugin is called and its outcome after. Steps run in
//! dependency order, independent ones concurrently; transient failures and
//! traps retry with exponential backoff and jitter; exhausted retries,
//! permanent errors, deferrals and missing plugins send the step to the
//! manual queue, where an operator resolves it and the bundle goes on.
//! On start, every unfinished application is resumed.
//!
//! Rooms: the one notification before anything is stored
//! ([`notification`]), submission ([`submit`]), driving (`drive`: what
//! to do next is the pure [`plan`], outcomes become events in
//! [`outcome`]), what applicants and operators may do ([`actions`]),
//! deadlines ([`deadlines`]), prefill with consent ([`prefill`]), the
//! report of an application at rest ([`report`]), and [`metrics`].
//! Changes to one application are serialised by a per-application lock
//! (`apps`). Not for HTTP (the api crate) nor for what serves (the
//! catalog, read here through [`Serving`]).

pub mod actions;
mod apps;
pub mod deadlines;
mod drive;
mod errors;
#[cfg(test)]
mod fixtures;
mod issued;
pub mod leases;
pub mod metrics;
pub mod notification;
pub mod outbound;
pub mod outcome;
pub mod plan;
pub mod prefill;
pub mod report;
mod retry;
pub mod submit;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use onething_catalog::{Catalog, Serving};
use onething_model::bundle::Bundle;
use onething_model::state::{AppState, AppStatus};
use onething_store::{Store, StoreError};
use serde::Serialize;
use tokio::sync::broadcast;

pub use actions::Resolution;
pub use errors::{ActionError, PrefillFailure, SubmitError};
pub use leases::LeaseSettings;
pub use metrics::Metrics;
pub use report::{RunReport, StepReport};
pub use retry::RetryPolicy;
pub use submit::Checked;

/// A change to an application, broadcast for live views.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    /// Application id.
    pub application: String,
    /// Status after the change.
    pub status: AppStatus,
    /// Sequence number of the last event.
    pub seq: u64,
    /// Kinds of the events appended.
    pub events: Vec<&'static str>,
}

/// The durable engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

/// The engine's settings: retries, and the limits on what one submission
/// may carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Retry policy for transient failures and traps.
    pub retry: RetryPolicy,
    /// Longest client idempotency key, in bytes
    /// (`max_idempotency_key_bytes`).
    pub max_idempotency_key_bytes: usize,
    /// Most fields one application, draft or correction may carry
    /// (`max_form_fields`); more are refused before any is read.
    pub max_form_fields: usize,
    /// Most materials one application may reference (`max_materials`).
    pub max_materials: usize,
    /// Most problems listed in one answer (`max_problems`); the rest are
    /// counted in a last `more-problems` problem.
    pub max_problems: usize,
    /// This host's id and its leases on applications.
    pub lease: LeaseSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            max_idempotency_key_bytes: 200,
            max_form_fields: 500,
            max_materials: 100,
            max_problems: 100,
            lease: LeaseSettings::default(),
        }
    }
}

struct Inner {
    store: Arc<dyn Store>,
    serving: Arc<Serving>,
    retry: RetryPolicy,
    max_idempotency_key_bytes: usize,
    max_form_fields: usize,
    max_materials: usize,
    max_problems: usize,
    apps: apps::Apps,
    updates: broadcast::Sender<Update>,
    metrics: Arc<Metrics>,
    stopping: tokio::sync::watch::Sender<bool>,
    tasks: tasks::Tracker,
    /// This host's id and its leases' time to live.
    lease: LeaseSettings,
    /// The leases this host holds (shared with `apps`).
    held: Arc<leases::Held>,
    /// The departments' outgoing side, to tell which systems are down.
    outbound: std::sync::OnceLock<Arc<onething_runtime::capabilities::http::Outbound>>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Engine {
    /// An engine over a store, serving what `serving` serves, with the
    /// default settings but `retry`.
    pub fn new(
        store: Arc<dyn Store>,
        serving: Arc<Serving>,
        retry: RetryPolicy,
        metrics: Arc<Metrics>,
    ) -> Self {
        let settings = Settings {
            retry,
            ..Settings::default()
        };
        Self::with_settings(store, serving, settings, metrics)
    }

    /// An engine over a store, serving what `serving` serves.
    pub fn with_settings(
        store: Arc<dyn Store>,
        serving: Arc<Serving>,
        settings: Settings,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (updates, _) = broadcast::channel(8192);
        let (stopping, _) = tokio::sync::watch::channel(false);
        let held = Arc::new(leases::Held::default());
        Self {
            inner: Arc::new(Inner {
                apps: apps::Apps::new(store.clone(), held.clone()),
                store,
                serving,
                retry: settings.retry,
                max_idempotency_key_bytes: settings.max_idempotency_key_bytes,
                max_form_fields: settings.max_form_fields,
                max_materials: settings.max_materials,
                max_problems: settings.max_problems,
                lease: settings.lease,
                held,
                updates,
                metrics,
                stopping,
                tasks: tasks::Tracker::default(),
                outbound: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Watch the departments' outgoing side (once): which of their systems
    /// are taken as down ([`Engine::systems_down`]).
    pub fn watch_systems(&self, outbound: Arc<onething_runtime::capabilities::http::Outbound>) {
        let _ = self.inner.outbound.set(outbound);
    }

    /// Each origin of a department's system the host has called, with
    /// its circuit breaker's state (`closed`, `open`, `half-open`).
    pub fn systems(&self) -> std::collections::BTreeMap<String, &'static str> {
        self.inner
            .outbound
            .get()
            .map(|o| {
                o.breaker_states()
                    .into_iter()
                    .map(|(origin, s)| (origin, s.as_str()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The systems taken as down: those whose breaker is not closed.
    pub fn systems_down(&self) -> std::collections::BTreeMap<String, &'static str> {
        let mut all = self.systems();
        all.retain(|_, state| *state != "closed");
        all
    }

    /// The catalog serving now. Hold it for one piece of work only: an
    /// activation does not change a catalog already taken.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.inner.serving.current()
    }

    /// What serves, and the bundle versions applications were submitted
    /// with.
    pub fn serving(&self) -> &Arc<Serving> {
        &self.inner.serving
    }

    /// The bundle version an application was submitted with.
    pub async fn bundle_of(&self, state: &AppState) -> Option<Arc<Bundle>> {
        self.inner
            .serving
            .bundle_version(&state.bundle, &state.bundle_digest)
            .await
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Live updates of every application.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.inner.updates.subscribe()
    }

    /// An application's state.
    pub async fn state(&self, id: &str) -> Result<Option<AppState>, StoreError> {
        self.inner.apps.snapshot(id).await
    }

    /// Resume the unfinished applications no live host drives (after a
    /// start or a crash): every one whose lease is free, ran out, or is
    /// this host's own from before it stopped.
    pub async fn resume(&self) -> Result<usize, StoreError> {
        let n = self.take_orphans().await?;
        if n > 0 {
            tracing::info!(applications = n, "resumed unfinished applications");
        }
        Ok(n)
    }

    /// Wait until an application is at rest: completed, rejected, back
    /// with the applicant, or waiting in the manual queue (nothing more
    /// happens without someone acting). Its state then.
    pub async fn at_rest(&self, id: &str) -> Result<Option<AppState>, StoreError> {
        let mut updates = self.subscribe();
        loop {
            let Some(state) = self.state(id).await? else {
                return Ok(None);
            };
            if state.status != AppStatus::Running {
                return Ok(Some(state));
            }
            // Wake on any change of this application, and look again now
            // and then in case a broadcast was missed.
            let changed = async {
                loop {
                    match updates.recv().await {
                        Ok(u) if u.application == id => return,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => return,
                        Err(broadcast::error::RecvError::Closed) => {
                            std::future::pending::<()>().await
                        }
                    }
                }
            };
            let _ = tokio::time::timeout(Duration::from_millis(200), changed).await;
        }
    }

    /// Stop starting attempts and wait (up to `grace`) for those under way
    /// to finish and be recorded. What is left resumes at the next start.
    pub async fn shutdown(&self, grace: Duration) {
        let _ = self.inner.stopping.send(true);
        let idle = self.inner.tasks.idle();
        if tokio::time::timeout(grace, idle).await.is_err() {
            tracing::warn!(
                in_flight = self.inner.tasks.count(),
                "shutdown grace period over; unfinished steps resume at the next start"
            );
        }
    }

    fn stopping(&self) -> bool {
        *self.inner.stopping.borrow()
    }

    fn publish(&self, id: &str, status: AppStatus, seq: u64, events: Vec<&'static str>) {
        let _ = self.inner.updates.send(Update {
            application: id.to_owned(),
            status,
            seq,
            events,
        });
    }

    fn after_change(&self, state: &AppState, kinds: &[&'static str]) {
        self.publish(&state.id, state.status, state.events, kinds.to_vec());
    }
}
