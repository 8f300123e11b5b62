//! The durable engine: applications as event histories in a [`Store`],
//! driven step by step, surviving crashes.
//!
//! Every state change is committed before it is acted on: an attempt is
//! recorded before the plugin is called and its outcome after. Steps run in
//! dependency order, independent ones concurrently; transient failures and
//! traps retry with exponential backoff and jitter; exhausted retries,
//! permanent errors, deferrals and missing plugins send the step to the
//! manual queue, where an operator resolves it and the bundle goes on.
//! On start, every unfinished application is resumed.
//!
//! Changes to one application are serialised by a per-application lock
//! ([`apps`]); what to do next is decided by the pure [`plan`]; outcomes
//! become events in [`outcome`]. Not for HTTP: see [`crate::api`].

mod apps;
mod outcome;
pub mod plan;
pub mod state;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::application::{ApplicationDoc, Contents, Material, read_contents};
use crate::bundle::{Bundle, BundleStep};
use crate::check::{check_all, visible_fields, visible_materials};
use crate::dictionary::{Dictionary, FieldValue};
use crate::ids::{Digest, FieldKey, MaterialCode, StepRef};
use crate::metrics::Metrics;
use crate::problem::{Problem, Subject};
use crate::registry::Registry;
use crate::runtime::{Plugin, StepCall};
use crate::store::{Created, Store, StoreError};

use apps::Apps;
use state::{AppState, AppStatus, Event, MaterialRecord, StepStatus};

/// Retry policy for transient failures and traps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Attempts in all before the step goes to the manual queue.
    pub max_attempts: u32,
    /// Delay before the first retry, in ms; doubles each time.
    pub first_backoff_ms: u64,
    /// Longest delay between attempts, in ms.
    pub max_backoff_ms: u64,
    /// Random spread added to each delay, as a fraction (0.2 = up to +20%).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            first_backoff_ms: 200,
            max_backoff_ms: 30_000,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .first_backoff_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff_ms);
        let spread = (base as f64 * self.jitter.clamp(0.0, 1.0) * fastrand::f64()) as u64;
        Duration::from_millis(base + spread)
    }

    /// Refuse settings that cannot work, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err("retry.max_attempts must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(format!(
                "retry.jitter = {} must be between 0 and 1",
                self.jitter
            ));
        }
        Ok(())
    }
}

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

/// Why a submission was refused. Nothing is stored for any of these.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// No bundle has that id.
    #[error("unknown bundle {0}")]
    UnknownBundle(String),
    /// The form has problems: every one of them.
    #[error("the application has {} problem(s)", .0.len())]
    Problems(Vec<Problem>),
    /// The consent it names is unknown or for another bundle.
    #[error("{0}")]
    Consent(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a prefill request was refused.
#[derive(Debug, thiserror::Error)]
pub enum PrefillFailure {
    /// No bundle has that id.
    #[error("unknown bundle {0}")]
    UnknownBundle(String),
    /// No consent, or a consent naming something wrong.
    #[error(transparent)]
    Refused(#[from] crate::prefill::PrefillError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an operator's or applicant's action was refused.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such application.
    #[error("no application {0}")]
    NotFound(String),
    /// The application or step is not in a state that allows it.
    #[error("{0}")]
    Conflict(String),
    /// The request names something wrong (field, step, value).
    #[error("{0}")]
    Invalid(String),
    /// The corrected form still has problems.
    #[error("the corrected application has {} problem(s)", .0.len())]
    Problems(Vec<Problem>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An operator's decision on a step in the manual queue.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Resolution {
    /// Complete the step by hand, with the fields it writes.
    Approve {
        /// Output fields (keys the step declares it writes).
        #[serde(default)]
        outputs: BTreeMap<String, serde_json::Value>,
    },
    /// Refuse the application at this step.
    Reject {
        /// Why, for the applicant.
        reason: String,
    },
}

/// What the engine works with: plugins, bundles, dictionary. The engine
/// holds one at a time and swaps it whole ([`Engine::swap_catalogue`]).
#[derive(Clone)]
pub struct Catalogue {
    /// The dictionary.
    pub dict: Arc<Dictionary>,
    /// Loaded plugins.
    pub registry: Arc<Registry>,
    /// Bundles by id.
    pub bundles: BTreeMap<String, Arc<Bundle>>,
}

impl Catalogue {
    /// Take a loaded platform apart: the catalogue for the engine, and the
    /// runtime, which must outlive every plugin call.
    pub fn from_platform(platform: crate::platform::Platform) -> (Self, crate::runtime::Runtime) {
        let crate::platform::Platform {
            dict,
            runtime,
            registry,
            bundles,
        } = platform;
        let catalogue = Self {
            dict: Arc::new(dict),
            registry: Arc::new(registry),
            bundles: bundles
                .into_iter()
                .map(|b| (b.id.to_string(), Arc::new(b)))
                .collect(),
        };
        (catalogue, runtime)
    }
}

/// The durable engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    catalogue: arc_swap::ArcSwap<Catalogue>,
    /// Every bundle version served since start, by digest: applications
    /// finish on the bundle they were submitted with.
    bundle_versions: std::sync::Mutex<std::collections::HashMap<String, Arc<Bundle>>>,
    retry: RetryPolicy,
    apps: Apps,
    updates: broadcast::Sender<Update>,
    metrics: Arc<Metrics>,
    stopping: tokio::sync::watch::Sender<bool>,
    tasks: tokio_util_tasks::Tracker,
}

mod tokio_util_tasks {
    //! Counting in-flight drivers, for graceful shutdown.
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default, Clone)]
    pub struct Tracker(Arc<(AtomicUsize, tokio::sync::Notify)>);

    pub struct Guard(Tracker);

    impl Tracker {
        pub fn enter(&self) -> Guard {
            self.0.0.fetch_add(1, Ordering::SeqCst);
            Guard(self.clone())
        }
        pub fn count(&self) -> usize {
            self.0.0.load(Ordering::SeqCst)
        }
        pub async fn idle(&self) {
            while self.count() > 0 {
                let notified = self.0.1.notified();
                if self.count() == 0 {
                    break;
                }
                notified.await;
            }
        }
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.0.0.fetch_sub(1, Ordering::SeqCst);
            self.0.0.1.notify_waiters();
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Engine {
    /// An engine over a store and a catalogue.
    pub fn new(
        store: Arc<dyn Store>,
        catalogue: Catalogue,
        retry: RetryPolicy,
        metrics: Arc<Metrics>,
    ) -> Self {
        let (updates, _) = broadcast::channel(8192);
        let (stopping, _) = tokio::sync::watch::channel(false);
        let bundle_versions = catalogue
            .bundles
            .values()
            .map(|b| (b.digest.to_string(), b.clone()))
            .collect();
        Self {
            inner: Arc::new(Inner {
                apps: Apps::new(store.clone()),
                store,
                catalogue: arc_swap::ArcSwap::from_pointee(catalogue),
                bundle_versions: std::sync::Mutex::new(bundle_versions),
                retry,
                updates,
                metrics,
                stopping,
                tasks: tokio_util_tasks::Tracker::default(),
            }),
        }
    }

    /// The catalogue serving now. Hold it for one piece of work only: a
    /// swap does not change a catalogue already taken.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.inner.catalogue.load_full()
    }

    /// Serve a new catalogue from now on. Attempts already started keep
    /// the plugin they started with; applications keep their bundle
    /// version.
    pub fn swap_catalogue(&self, catalogue: Catalogue) {
        {
            let mut versions = self
                .inner
                .bundle_versions
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            for b in catalogue.bundles.values() {
                versions
                    .entry(b.digest.to_string())
                    .or_insert_with(|| b.clone());
            }
        }
        self.inner.catalogue.store(Arc::new(catalogue));
    }

    /// The bundle version an application was submitted with: from memory,
    /// or read back from the store's version history (after a restart).
    pub async fn bundle_of(&self, state: &AppState) -> Option<Arc<Bundle>> {
        if let Some(b) = self
            .inner
            .bundle_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&state.bundle_digest)
        {
            return Some(b.clone());
        }
        let cat = self.catalogue();
        let stored = match self
            .inner
            .store
            .version(
                crate::store::versions::VersionKind::Bundle,
                &state.bundle_digest,
            )
            .await
        {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(application = %state.id, error = %e, "reading a bundle version");
                None
            }
        };
        let bundle = match stored {
            Some(v) => {
                let text = String::from_utf8_lossy(&v.bytes);
                match Bundle::from_toml(&text, &v.source, &cat.dict, &*cat.registry) {
                    Ok(b) => Arc::new(b),
                    Err(e) => {
                        tracing::error!(application = %state.id, bundle = %state.bundle, error = %e, "the application's bundle version no longer resolves");
                        return None;
                    }
                }
            }
            // Histories written before versions were stored: the bundle
            // serving under that id.
            None => cat.bundles.get(&state.bundle).cloned()?,
        };
        self.inner
            .bundle_versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(state.bundle_digest.clone(), bundle.clone());
        Some(bundle)
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Live updates of every application.
    pub fn subscribe(&self) -> broadcast::Receiver<Update> {
        self.inner.updates.subscribe()
    }

    /// Resume every unfinished application (after a start or a crash).
    pub async fn resume(&self) -> Result<usize, StoreError> {
        let ids = self.inner.store.unfinished().await?;
        let n = ids.len();
        for id in ids {
            self.spawn_drive(id);
        }
        if n > 0 {
            tracing::info!(applications = n, "resumed unfinished applications");
        }
        Ok(n)
    }

    /// Read and check an application document against its bundle: the one
    /// notification, without storing anything.
    pub async fn check(
        &self,
        doc: &ApplicationDoc,
    ) -> Result<(Arc<Bundle>, Contents, Vec<Problem>), SubmitError> {
        let cat = self.catalogue();
        let bundle = cat
            .bundles
            .get(doc.bundle.as_str())
            .cloned()
            .ok_or_else(|| SubmitError::UnknownBundle(doc.bundle.to_string()))?;
        let mut contents = read_contents(doc, &bundle, &cat.dict, None);
        self.check_stored_materials(&mut contents).await?;
        let (problems, _failures) = check_all(&bundle, &contents, &cat.registry, &cat.dict).await;
        Ok((bundle, contents, problems))
    }

    async fn check_stored_materials(&self, contents: &mut Contents) -> Result<(), StoreError> {
        let mut unknown = Vec::new();
        for (code, m) in &contents.materials {
            match self.inner.store.material(&m.digest.to_string()).await? {
                Some(meta) if meta.size == m.size && meta.media_type == m.media_type => {}
                Some(meta) => contents.problems.push(Problem::material(
                    code.as_str(),
                    "mismatch",
                    format!(
                        "material {code}: stored {} is {} of {} bytes, not {} of {} bytes",
                        m.digest, meta.media_type, meta.size, m.media_type, m.size
                    ),
                )),
                None => {
                    unknown.push(code.clone());
                    contents.problems.push(Problem::material(
                        code.as_str(),
                        "unknown-digest",
                        format!(
                            "material {code}: {} has not been uploaded (POST /api/materials first)",
                            m.digest
                        ),
                    ));
                }
            }
        }
        for code in unknown {
            contents.materials.remove(&code);
        }
        Ok(())
    }

    /// Submit an application. Refused with every problem and nothing
    /// stored, or stored and driven; idempotent on the client key.
    pub async fn submit(&self, doc: &ApplicationDoc) -> Result<(String, bool), SubmitError> {
        let (bundle, contents, problems) = self.check(doc).await?;
        if !problems.is_empty() {
            return Err(SubmitError::Problems(problems));
        }
        let form: BTreeMap<String, serde_json::Value> = contents
            .form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_json()))
            .collect();
        let consent = match &doc.consent {
            None => None,
            Some(cid) => {
                let record = self.inner.store.consent(cid).await?.ok_or_else(|| {
                    SubmitError::Consent(format!(
                        "consent {cid} is unknown (POST /api/bundles/{}/prefill gives one)",
                        bundle.id
                    ))
                })?;
                if record.bundle != bundle.id.as_str() {
                    return Err(SubmitError::Consent(format!(
                        "consent {cid} was given for bundle {}, not {}",
                        record.bundle, bundle.id
                    )));
                }
                Some(record.used_by(&form))
            }
        };
        let id = format!("app-{}", uuid::Uuid::now_v7().simple());
        let at = now_ms();
        let event = Event::Submitted {
            bundle: bundle.id.to_string(),
            bundle_digest: bundle.digest.to_string(),
            form,
            materials: contents
                .materials
                .iter()
                .map(|(k, m)| {
                    (
                        k.to_string(),
                        MaterialRecord {
                            digest: m.digest.to_string(),
                            media_type: m.media_type.clone(),
                            size: m.size,
                        },
                    )
                })
                .collect(),
            steps: bundle
                .steps
                .iter()
                .map(|s| (s.reference.to_string(), s.time_limit.as_secs()))
                .collect(),
            time_limit_secs: bundle.time_limit.as_secs(),
            consent,
        };
        let state = AppState::submitted(&id, at, &event)
            .ok_or_else(|| StoreError::Database("submitted event".into()))?;
        match self
            .inner
            .store
            .create(doc.idempotency_key.as_deref(), &state, &event, at)
            .await?
        {
            Created::Existing(existing) => Ok((existing, true)),
            Created::New => {
                self.inner.metrics.submitted.inc();
                self.inner.apps.insert(state);
                self.publish(&id, AppStatus::Running, 1, vec!["submitted"]);
                self.spawn_drive(id.clone());
                Ok((id, false))
            }
        }
    }

    /// Ask the consented departments of a bundle to prefill what they
    /// hold; the consent and every flow are recorded before the answer.
    pub async fn prefill(
        &self,
        bundle: &str,
        request: crate::prefill::PrefillRequest,
    ) -> Result<crate::prefill::Prefilled, PrefillFailure> {
        let cat = self.catalogue();
        let bundle = cat
            .bundles
            .get(bundle)
            .cloned()
            .ok_or_else(|| PrefillFailure::UnknownBundle(bundle.to_owned()))?;
        let id = format!("consent-{}", uuid::Uuid::now_v7().simple());
        let (record, entries, answer) =
            crate::prefill::prefill(&bundle, &cat.registry, &cat.dict, request, id, now_ms())
                .await?;
        self.inner.store.record_consent(&record, entries).await?;
        tracing::info!(consent = %record.id, bundle = %bundle.id, departments = ?record.departments, filled = record.prefilled.len(), "prefill with consent");
        Ok(answer)
    }

    /// An application's state.
    pub async fn state(&self, id: &str) -> Result<Option<AppState>, StoreError> {
        self.inner.apps.snapshot(id).await
    }

    /// An operator completes or rejects a step in the manual queue.
    pub async fn resolve(
        &self,
        id: &str,
        step: &str,
        resolution: Resolution,
        operator: &str,
    ) -> Result<AppState, ActionError> {
        let cat = self.catalogue();
        let current = self
            .state(id)
            .await?
            .ok_or_else(|| ActionError::NotFound(id.into()))?;
        let bundle = self.bundle_of(&current).await.ok_or_else(|| {
            ActionError::Conflict(format!("bundle {} is no longer loaded", current.bundle))
        })?;
        let new_state = self
            .inner
            .apps
            .change(id, |state| {
                let s = state.step(step).ok_or_else(|| {
                    ActionError::Invalid(format!("application {id} has no step {step}"))
                })?;
                if s.status != StepStatus::Manual {
                    return Err(ActionError::Conflict(format!(
                        "step {step} of application {id} is {:?}, not in the manual queue",
                        s.status
                    )));
                }
                let event = match &resolution {
                    Resolution::Approve { outputs } => {
                        let reference = StepRef::parse(step)
                            .map_err(|e| ActionError::Invalid(e.to_string()))?;
                        let spec = bundle.step(&reference).ok_or_else(|| {
                            ActionError::Invalid(format!(
                                "bundle {} has no step {step}",
                                state.bundle
                            ))
                        })?;
                        for (k, v) in outputs {
                            let key = FieldKey::parse(k)
                                .map_err(|e| ActionError::Invalid(e.to_string()))?;
                            if !spec.spec.writes.contains(&key) {
                                return Err(ActionError::Invalid(format!(
                                    "step {step} does not write {key}; it writes: {}",
                                    spec.spec
                                        .writes
                                        .iter()
                                        .map(ToString::to_string)
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                )));
                            }
                            cat.dict
                                .parse_json(&key, v)
                                .map_err(|e| ActionError::Invalid(e.message))?;
                        }
                        Event::StepApproved {
                            step: step.into(),
                            attempt: 0,
                            outputs: outputs.clone(),
                            documents: vec![],
                            operator: Some(operator.into()),
                        }
                    }
                    Resolution::Reject { reason } => {
                        if reason.trim().is_empty() {
                            return Err(ActionError::Invalid(
                                "a rejection needs a reason for the applicant".into(),
                            ));
                        }
                        Event::StepRejected {
                            step: step.into(),
                            reason: reason.clone(),
                            operator: Some(operator.into()),
                        }
                    }
                };
                Ok(vec![event])
            })
            .await?;
        tracing::info!(application = id, step, operator, "manual step resolved");
        self.after_change(&new_state, &["resolved-by-operator"]);
        self.spawn_drive(id.to_owned());
        Ok(new_state)
    }

    /// The applicant corrects a needs-more application; approved steps are
    /// not run again.
    pub async fn correct(
        &self,
        id: &str,
        fields: BTreeMap<String, serde_json::Value>,
    ) -> Result<AppState, ActionError> {
        let cat = self.catalogue();
        let current = self
            .state(id)
            .await?
            .ok_or_else(|| ActionError::NotFound(id.into()))?;
        if current.status != AppStatus::NeedsMore {
            return Err(ActionError::Conflict(format!(
                "application {id} is {}, not needs-more",
                current.status.as_str()
            )));
        }
        let bundle = self.bundle_of(&current).await.ok_or_else(|| {
            ActionError::Conflict(format!("bundle {} is no longer loaded", current.bundle))
        })?;
        // Check the corrected form with the steps still to do.
        let mut merged = (*current.form).clone();
        for (k, v) in &fields {
            if v.is_null() {
                merged.remove(k);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        let doc = ApplicationDoc {
            bundle: bundle.id.clone(),
            fields: merged.into_iter().collect(),
            materials: Vec::new(),
            idempotency_key: None,
            consent: None,
        };
        let mut contents = read_contents(&doc, &bundle, &cat.dict, None);
        contents.materials = stored_materials(&current);
        let remaining = Bundle {
            steps: bundle
                .steps
                .iter()
                .filter(|s| {
                    current
                        .step(&s.reference.to_string())
                        .is_some_and(|st| st.status != StepStatus::Approved)
                })
                .cloned()
                .collect(),
            ..(*bundle).clone()
        };
        let (problems, _) = check_all(&remaining, &contents, &cat.registry, &cat.dict).await;
        if !problems.is_empty() {
            return Err(ActionError::Problems(problems));
        }
        let new_state = self
            .inner
            .apps
            .change(id, |state| {
                if state.status != AppStatus::NeedsMore {
                    return Err(ActionError::Conflict(format!(
                        "application {id} is {}, not needs-more",
                        state.status.as_str()
                    )));
                }
                Ok(vec![Event::FormCorrected {
                    fields: fields.clone(),
                    materials: BTreeMap::new(),
                }])
            })
            .await?;
        self.after_change(&new_state, &["form-corrected"]);
        self.spawn_drive(id.to_owned());
        Ok(new_state)
    }

    /// Flag steps and bundles past their time limit (once each).
    pub async fn sweep_deadlines(&self) -> Result<usize, StoreError> {
        let now = now_ms();
        let mut flagged = 0;
        for status in [AppStatus::Running, AppStatus::Manual, AppStatus::NeedsMore] {
            for summary in self.inner.store.list(Some(status), false, 10_000).await? {
                let Some(state) = self.state(&summary.id).await? else {
                    continue;
                };
                let events = plan::deadlines(&state, now);
                if events.is_empty() {
                    continue;
                }
                flagged += events.len();
                let result = self
                    .inner
                    .apps
                    .change(&summary.id, |s| {
                        Ok::<_, ActionError>(plan::deadlines(s, now))
                    })
                    .await;
                match result {
                    Ok(st) => self.after_change(&st, &["deadline-passed"]),
                    Err(e) => {
                        tracing::warn!(application = %summary.id, error = %e, "could not flag a deadline")
                    }
                }
            }
        }
        if flagged > 0 {
            self.inner.metrics.overdue_flagged.inc_by(flagged as u64);
        }
        Ok(flagged)
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

    fn spawn_drive(&self, id: String) {
        if self.stopping() {
            return;
        }
        let engine = self.clone();
        let guard = self.inner.tasks.enter();
        tokio::spawn(async move {
            let _guard = guard;
            if !engine.inner.apps.claim(&id) {
                // Another driver is on it; it will see the change.
                engine.inner.apps.poke(&id);
                return;
            }
            loop {
                if let Err(e) = engine.drive(&id).await {
                    tracing::error!(application = %id, error = %e, "driving the application failed; it resumes at the next start");
                }
                // A change that arrived while we were finishing is picked up here.
                if !engine.inner.apps.release_unless_poked(&id) {
                    break;
                }
            }
        });
    }

    /// Drive one application until it is final or parked.
    async fn drive(&self, id: &str) -> Result<(), StoreError> {
        loop {
            if self.stopping() {
                return Ok(());
            }
            let Some(state) = self.inner.apps.snapshot(id).await? else {
                return Ok(());
            };
            let Some(bundle) = self.bundle_of(&state).await else {
                tracing::error!(application = id, bundle = %state.bundle, "the application's bundle is not loaded; it stays as it is");
                return Ok(());
            };
            let now = now_ms();
            // Conditions only test a few form fields: type just those.
            let tested = bundle
                .steps
                .iter()
                .filter_map(|s| s.when.as_ref().map(|c| &c.field));
            let form = typed(&state.form, tested, &self.catalogue().dict);
            let decision = plan::next(&state, &bundle, &form, now);
            if !decision.skip.is_empty() {
                let skips = decision.skip.clone();
                let st = self
                    .inner
                    .apps
                    .change(id, |_| {
                        Ok::<_, ActionError>(
                            skips
                                .iter()
                                .map(|s| Event::StepSkipped { step: s.clone() })
                                .collect(),
                        )
                    })
                    .await
                    .map_err(into_store)?;
                self.after_change(&st, &["step-skipped"]);
                continue;
            }
            if decision.start.is_empty() {
                match decision.wake_at_ms {
                    Some(at) => {
                        let wait = Duration::from_millis((at - now).max(0) as u64);
                        let mut stop = self.inner.stopping.subscribe();
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            _ = stop.changed() => return Ok(()),
                        }
                        continue;
                    }
                    None => return Ok(()),
                }
            }
            self.wave(id, &bundle, &decision.start).await?;
        }
    }

    /// One attempt at each of `steps`, concurrently: the attempts are
    /// recorded (in one commit) before any plugin is called, and the
    /// outcomes (in one commit) before anything acts on them.
    async fn wave(&self, id: &str, bundle: &Bundle, steps: &[String]) -> Result<(), StoreError> {
        let wanted: Vec<BundleStep> = steps
            .iter()
            .filter_map(|step| {
                StepRef::parse(step)
                    .ok()
                    .and_then(|r| bundle.step(&r).cloned())
            })
            .collect();
        // Record every attempt before calling any plugin. The plugin is
        // chosen under the application's lock, just before the attempt is
        // stamped, from the catalogue serving at that moment; the call
        // then runs on that version whatever is activated meanwhile. What
        // the step is sent is decided here too, and recorded (keys only)
        // with the attempt for the audit log.
        let mut calls: Vec<(BundleStep, Arc<Plugin>, StepCall)> = Vec::with_capacity(wanted.len());
        let mut parked = 0;
        let st = self
            .inner
            .apps
            .change(id, |s| {
                let cat = self.catalogue();
                let mut events = Vec::with_capacity(wanted.len());
                for b in &wanted {
                    let step = b.reference.to_string();
                    let Some(plugin) = cat.registry.get(&b.reference.department).cloned() else {
                        parked += 1;
                        events.push(Event::SentToManualQueue {
                            step,
                            reason: format!(
                                "no plugin is loaded for department {}",
                                b.reference.department
                            ),
                        });
                        continue;
                    };
                    let attempt = s.step(&step).map_or(0, |x| x.attempts) + 1;
                    match call_input(id, s, bundle, b, attempt, &cat.dict) {
                        Ok((call, disclosed)) => {
                            events.push(Event::AttemptStarted {
                                step,
                                attempt,
                                plugin_version: plugin.manifest().version.clone(),
                                plugin_digest: plugin.digest().to_string(),
                                disclosed,
                                materials: call.materials.iter().map(|m| m.code.clone()).collect(),
                            });
                            calls.push((b.clone(), plugin, call));
                        }
                        Err(reason) => {
                            parked += 1;
                            events.push(Event::SentToManualQueue { step, reason });
                        }
                    }
                }
                Ok::<_, ActionError>(events)
            })
            .await
            .map_err(into_store)?;
        self.after_change(&st, &["attempt-started"]);
        let runs = calls.into_iter().map(|(b, plugin, call)| async move {
            let started = std::time::Instant::now();
            let result = plugin.handle(&call).await;
            self.inner
                .metrics
                .observe_step(b.reference.department.as_str(), started.elapsed());
            outcome::events(
                &b,
                call.attempt,
                result,
                &self.catalogue().dict,
                &self.inner.retry,
                now_ms(),
            )
        });
        let events: Vec<Event> = futures::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect();
        let kinds: Vec<&'static str> = events.iter().map(Event::kind).collect();
        let manual = parked
            + kinds
                .iter()
                .filter(|k| **k == "sent-to-manual-queue")
                .count();
        self.inner.metrics.manual.inc_by(manual as u64);
        for e in events.iter().filter(|e| e.kind() == "retry-scheduled") {
            let department = e
                .step()
                .and_then(|s| s.split('/').next())
                .unwrap_or("")
                .to_owned();
            self.inner
                .metrics
                .retries
                .get_or_create(&crate::metrics::DepartmentLabel { department })
                .inc();
        }
        if events.is_empty() {
            return Ok(());
        }
        match self
            .inner
            .apps
            .change(id, |_| Ok::<_, ActionError>(events))
            .await
        {
            Ok(st) => {
                if st.status.is_final() {
                    self.inner.metrics.finished(st.status);
                }
                self.after_change(&st, &kinds);
                Ok(())
            }
            Err(ActionError::Store(StoreError::AlreadyApproved { step, .. })) => {
                tracing::warn!(
                    application = id,
                    step,
                    "approval already recorded; keeping the first"
                );
                self.inner.apps.forget(id);
                Ok(())
            }
            Err(e) => Err(into_store(e)),
        }
    }
}

/// What one attempt at `bstep` is sent: exactly the fields it declared it
/// reads (from the form and earlier outputs) and the materials it needs,
/// with where each field came from; or why it cannot run.
fn call_input(
    id: &str,
    st: &AppState,
    bundle: &Bundle,
    bstep: &BundleStep,
    attempt: u32,
    dict: &Dictionary,
) -> Result<(StepCall, Vec<crate::audit::Flow>), String> {
    // Type only what the step reads: that is all it will see.
    let reads = || bstep.spec.reads.iter().map(|r| &r.key);
    let form = typed(&st.form, reads(), dict);
    let produced = typed(&st.outputs, reads(), dict);
    let fields = visible_fields(bstep, &form, &produced);
    let missing = crate::check::missing_required(bstep, &fields);
    if !missing.is_empty() {
        return Err(format!(
            "required input not available: {}",
            missing.join(", ")
        ));
    }
    let disclosed = fields
        .iter()
        .map(|f| crate::audit::Flow {
            key: f.key.clone(),
            from: if produced.keys().any(|k| k.as_str() == f.key) {
                bundle
                    .steps
                    .iter()
                    .find(|s| s.spec.writes.iter().any(|w| w.as_str() == f.key))
                    .map_or_else(
                        || "platform".to_owned(),
                        |s| s.reference.department.to_string(),
                    )
            } else {
                "applicant".to_owned()
            },
        })
        .collect();
    let step = bstep.reference.to_string();
    Ok((
        StepCall {
            application: id.to_owned(),
            step: bstep.reference.step.clone(),
            idempotency_key: format!("{id}/{step}"),
            attempt,
            fields,
            materials: visible_materials(bstep, &stored_materials(st)),
        },
        disclosed,
    ))
}

fn into_store(e: ActionError) -> StoreError {
    match e {
        ActionError::Store(s) => s,
        other => StoreError::Database(other.to_string()),
    }
}

/// Stored JSON values of `keys`, typed again by the dictionary.
fn typed<'k>(
    map: &BTreeMap<String, serde_json::Value>,
    keys: impl Iterator<Item = &'k FieldKey>,
    dict: &Dictionary,
) -> BTreeMap<FieldKey, FieldValue> {
    keys.filter_map(|key| {
        let v = map.get(key.as_str())?;
        let def = dict.field(key)?;
        let key = key.clone();
        // Outputs were validated when written; re-typing cannot fail
        // for a value of the right kind.
        let value = match (&def.kind, v) {
            (crate::dictionary::FieldKind::Date, serde_json::Value::String(s)) => {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .ok()
                    .map(FieldValue::Date)
            }
            (crate::dictionary::FieldKind::Integer { .. }, serde_json::Value::Number(n)) => {
                n.as_i64().map(FieldValue::Integer)
            }
            (crate::dictionary::FieldKind::Decimal { .. }, serde_json::Value::Number(n)) => {
                n.as_f64().map(FieldValue::Decimal)
            }
            (crate::dictionary::FieldKind::Boolean, serde_json::Value::Bool(b)) => {
                Some(FieldValue::Boolean(*b))
            }
            (_, serde_json::Value::String(s)) => Some(FieldValue::Text(s.clone())),
            _ => None,
        }?;
        Some((key, value))
    })
    .collect()
}

fn stored_materials(state: &AppState) -> BTreeMap<MaterialCode, Material> {
    state
        .materials
        .iter()
        .filter_map(|(k, m)| {
            Some((
                MaterialCode::parse(k).ok()?,
                Material {
                    digest: Digest::parse(&m.digest).ok()?,
                    media_type: m.media_type.clone(),
                    size: m.size,
                },
            ))
        })
        .collect()
}

impl From<&Problem> for Subject {
    fn from(p: &Problem) -> Self {
        p.subject.clone()
    }
}
