//! Driving an application: one driver task at a time per application,
//! looking at its state, skipping steps whose condition fails, and running
//! waves of ready steps concurrently, each attempt recorded before the
//! plugin is called and its outcome after.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use onething_model::application::Material;
use onething_model::audit::Flow;
use onething_model::bundle::{Bundle, BundleStep};
use onething_model::call::StepRequest;
use onething_model::dictionary::{Dictionary, FieldValue};
use onething_model::events::Event;
use onething_model::ids::{FieldKey, MaterialCode, StepRef};
use onething_model::rules::{missing_required, visible_fields, visible_materials};
use onething_model::state::AppState;
use onething_runtime::Plugin;
use onething_store::StoreError;

use crate::{ActionError, Engine, now_ms, outcome, plan};

impl Engine {
    /// Drive `id` on a task of its own, unless a driver is already on it
    /// (which then looks again before it stops).
    pub(crate) fn spawn_drive(&self, id: String) {
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
            if !engine.take_lease(&id).await {
                // Another host drives it.
                engine.inner.apps.release(&id);
                return;
            }
            loop {
                let mut driven = engine.drive(&id).await;
                if let Err(e) = &driven {
                    // Once more, from the store: another host may have
                    // changed the application since this host read it.
                    tracing::debug!(application = %id, error = %e, "driving the application failed; once more from the stored state");
                    driven = engine.drive(&id).await;
                }
                if let Err(e) = driven {
                    tracing::error!(application = %id, error = %e, "driving the application failed; it is taken up again when its lease runs out");
                    // Not released: it runs out, and the lease keeper (this
                    // host's or another's) drives the application again.
                    engine.inner.apps.release(&id);
                    engine.forget_lease(&id);
                    return;
                }
                // Given up while this host is still the driver, so no other
                // driver of this host can take it in between.
                engine.drop_lease(&id).await;
                // A change that arrived while we were finishing is picked up here.
                if !engine.inner.apps.release_unless_poked(&id) {
                    break;
                }
                if !engine.take_lease(&id).await {
                    engine.inner.apps.release(&id);
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
            if self.lease_lost(id) {
                // Another host drives it now.
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
            let form = typed(&state.form, tested, self.catalog().dict());
            let decision = plan::next(&state, &bundle, &form, now);
            if !decision.skip.is_empty() {
                let skips = decision.skip.clone();
                let st = self
                    .inner
                    .apps
                    .change_as_driver(id, |_| {
                        Ok::<_, ActionError>(
                            skips
                                .iter()
                                .map(|s| Event::StepSkipped { step: s.clone() })
                                .collect(),
                        )
                    })
                    .await
                    .map_err(ActionError::into_store)?;
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
    async fn wave(&self, id: &str, bundle: &Bundle, steps: &[StepRef]) -> Result<(), StoreError> {
        let wanted: Vec<BundleStep> = steps
            .iter()
            .filter_map(|step| bundle.step(step).cloned())
            .collect();
        // Record every attempt before calling any plugin. The plugin is
        // chosen under the application's lock, just before the attempt is
        // stamped, from the catalog serving at that moment; the call then
        // runs on that version whatever is activated meanwhile. What the
        // step is sent is decided here too, and recorded (keys only) with
        // the attempt for the audit log.
        let mut calls: Vec<(BundleStep, Arc<Plugin>, StepRequest)> =
            Vec::with_capacity(wanted.len());
        let mut parked = 0;
        let st = self
            .inner
            .apps
            .change_as_driver(id, |s| {
                let cat = self.catalog();
                let mut events = Vec::with_capacity(wanted.len());
                for b in &wanted {
                    let step = b.reference.clone();
                    let Some(plugin) = cat.plugin(&b.reference.department).cloned() else {
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
                    // A step waiting for its system past its time limit
                    // goes to a person instead of trying again.
                    if let Some(st) = s.step(&step)
                        && let (Some(origin), Some(started)) = (&st.waiting_for, st.started_ms)
                        && now_ms() >= started + st.time_limit_secs as i64 * 1000
                    {
                        parked += 1;
                        events.push(Event::SentToManualQueue {
                            step,
                            reason: format!(
                                "its department's system {origin} was down past the step's time limit of {} min; the last attempt: {}",
                                st.time_limit_secs / 60,
                                st.reason.as_ref().map_or("-", |r| r.en.as_str())
                            ),
                        });
                        continue;
                    }
                    let attempt = s.step(&step).map_or(0, |x| x.attempts) + 1;
                    match call_input(id, s, bundle, b, attempt, cat.dict()) {
                        Ok((request, disclosed)) => {
                            events.push(Event::AttemptStarted {
                                step,
                                attempt,
                                plugin_version: plugin.manifest().version.clone(),
                                plugin_digest: *plugin.digest(),
                                disclosed,
                                materials: request
                                    .materials
                                    .iter()
                                    .map(|m| m.code.clone())
                                    .collect(),
                            });
                            calls.push((b.clone(), plugin, request));
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
            .map_err(ActionError::into_store)?;
        self.after_change(&st, &["attempt-started"]);
        let runs = calls.into_iter().map(|(b, plugin, request)| async move {
            let started = std::time::Instant::now();
            let (result, writes) = plugin.handle_recorded(&request).await;
            self.inner
                .metrics
                .observe_step(&b.reference.department, started.elapsed());
            let events = outcome::events(
                &b,
                request.attempt,
                result,
                self.catalog().dict(),
                &self.inner.retry,
                now_ms(),
            );
            (events, writes)
        });
        let mut events: Vec<Event> = Vec::new();
        for (outcome, writes) in futures::future::join_all(runs).await {
            let (outcome, refused) = self
                .claim_approval(id, outcome, self.catalog().dict())
                .await?;
            // An attempt that does not stand leaves nothing behind in the
            // department's store.
            if refused
                || outcome
                    .iter()
                    .any(|e| matches!(e, Event::AttemptFailed { .. }))
            {
                writes.undo().await;
            }
            events.extend(outcome);
        }
        let kinds: Vec<&'static str> = events.iter().map(Event::kind).collect();
        let manual = parked
            + events
                .iter()
                .filter(|e| matches!(e, Event::SentToManualQueue { .. }))
                .count();
        self.inner.metrics.manual.inc_by(manual as u64);
        for e in &events {
            if let Event::RetryScheduled { step, .. } = e {
                self.inner.metrics.retried(&step.department);
            }
        }
        if events.is_empty() {
            return Ok(());
        }
        match self
            .inner
            .apps
            .change_as_driver(id, |_| Ok::<_, ActionError>(events))
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
                    %step,
                    "approval already recorded; keeping the first"
                );
                self.inner.apps.forget(id);
                Ok(())
            }
            Err(e) => Err(e.into_store()),
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
) -> Result<(StepRequest, Vec<Flow>), String> {
    // Type only what the step reads: that is all it will see.
    let reads = || bstep.spec.reads.iter().map(|r| &r.key);
    let form = typed(&st.form, reads(), dict);
    let produced = typed(&st.outputs, reads(), dict);
    let fields = visible_fields(bstep, &form, &produced);
    let missing = missing_required(bstep, &fields);
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(ToString::to_string).collect();
        return Err(format!(
            "required input not available: {}",
            names.join(", ")
        ));
    }
    let disclosed = fields
        .iter()
        .map(|f| Flow {
            key: f.key.to_string(),
            from: if produced.contains_key(&f.key) {
                bundle
                    .steps
                    .iter()
                    .find(|s| s.spec.writes.contains(&f.key))
                    .map_or_else(
                        || "platform".to_owned(),
                        |s| s.reference.department.to_string(),
                    )
            } else {
                "applicant".to_owned()
            },
        })
        .collect();
    Ok((
        StepRequest {
            application: id.to_owned(),
            step: bstep.reference.step.clone(),
            idempotency_key: format!("{id}/{}", bstep.reference),
            attempt,
            fields,
            materials: visible_materials(bstep, &st.materials),
        },
        disclosed,
    ))
}

/// Stored JSON values of `keys`, typed again by the dictionary (they were
/// validated when they entered).
pub(crate) fn typed<'k>(
    map: &BTreeMap<FieldKey, serde_json::Value>,
    keys: impl Iterator<Item = &'k FieldKey>,
    dict: &Dictionary,
) -> BTreeMap<FieldKey, FieldValue> {
    keys.filter_map(|key| Some((key.clone(), dict.retype(key, map.get(key)?)?)))
        .collect()
}

/// The materials of an application, as recorded.
pub(crate) fn materials_of(state: &AppState) -> BTreeMap<MaterialCode, Material> {
    (*state.materials).clone()
}
