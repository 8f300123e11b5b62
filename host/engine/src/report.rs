//! Run one application through a bundle, locally: the one notification
//! first, then every active step in dependency order, independent steps
//! concurrently, each seeing only what it declared it reads and writing
//! only what it declared it writes.
//!
//! This is the in-memory runner behind `onething run` and the host tests;
//! it retries transient failures a few times and reports everything. Not
//! durable: the service's engine records every attempt in a store.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::application::Contents;
use crate::bindings::types;
use crate::bundle::{Bundle, BundleStep};
use crate::check::{
    CheckFailure, accept_outputs, active_steps, check_all, visible_fields, visible_materials,
};
use crate::dictionary::{Dictionary, FieldValue};
use crate::ids::{FieldKey, StepRef};
use crate::problem::Problem;
use crate::registry::Registry;
use crate::runtime::{CallError, StepCall};

/// How a run ended. The order is precedence: a run with a rejected step is
/// `rejected` whatever else happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// Every active step approved.
    Completed,
    /// The applicant must correct or add something.
    NeedsMore,
    /// A department refused.
    Rejected,
    /// A department handles a step off-line.
    Deferred,
    /// A step failed (plugin error, trap, limit, missing plugin).
    Failed,
}

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepStatus {
    /// Done.
    Approved,
    /// Its condition did not hold.
    Skipped,
    /// Returned problems.
    NeedsMore,
    /// Refused.
    Rejected,
    /// Handled off-line.
    Deferred,
    /// Could not be handled.
    Failed,
    /// Never started (an earlier step did not approve).
    NotRun,
}

/// What happened to one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// `department/step`.
    pub step: StepRef,
    /// Step title from the manifest.
    pub title: String,
    /// How it ended.
    pub status: StepStatus,
    /// Attempts made.
    pub attempts: u32,
    /// Plugin version that handled the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_version: Option<String>,
    /// Plugin digest that handled the last attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_digest: Option<String>,
    /// Fields written.
    pub outputs: BTreeMap<FieldKey, FieldValue>,
    /// Documents issued.
    pub documents: Vec<Document>,
    /// Problems (needs-more).
    pub problems: Vec<Problem>,
    /// Rejection reason, deferral ticket or failure, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The department's note, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Wall time of the step, all attempts.
    pub elapsed_ms: u64,
}

/// A document a department issued.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// Kind.
    pub kind: String,
    /// Number.
    pub number: String,
    /// Title.
    pub title: String,
}

/// The result of a run.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Application id.
    pub application: String,
    /// Bundle id.
    pub bundle: String,
    /// Overall status.
    pub status: RunStatus,
    /// Problems of the one notification (needs-more before any step ran).
    pub problems: Vec<Problem>,
    /// Departments whose check could not run.
    pub check_failures: Vec<CheckFailure>,
    /// Every step, in bundle order.
    pub steps: Vec<StepReport>,
    /// Every field written by any step.
    pub outputs: BTreeMap<FieldKey, FieldValue>,
    /// Wall time of the run.
    pub elapsed_ms: u64,
}

/// Progress of a run, for a terminal or a live view.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The notification found problems; no step runs.
    Problems(usize),
    /// A step is starting an attempt.
    Started {
        /// The step.
        step: StepRef,
        /// Attempt number.
        attempt: u32,
    },
    /// An attempt failed and will be retried.
    Retrying {
        /// The step.
        step: StepRef,
        /// Attempt that failed.
        attempt: u32,
        /// Why.
        error: String,
    },
    /// A step ended.
    Finished(Box<StepReport>),
}

/// Retry policy of the local runner.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all.
    pub max_attempts: u32,
    /// Delay before the first retry; doubles each time.
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            first_backoff: Duration::from_millis(20),
        }
    }
}

/// Runs applications against a registry of plugins.
pub struct Runner<'a> {
    /// The plugins.
    pub registry: &'a Registry,
    /// The dictionary.
    pub dict: &'a Dictionary,
    /// Retries.
    pub retry: RetryPolicy,
}

enum Attempt {
    Approved {
        outputs: BTreeMap<FieldKey, FieldValue>,
        documents: Vec<Document>,
        note: Option<String>,
    },
    NeedsMore(Vec<Problem>),
    Rejected(String),
    Deferred(String),
    Failed(String),
}

impl Runner<'_> {
    /// Run one application (its contents already read) through `bundle`.
    pub async fn run(
        &self,
        bundle: &Bundle,
        application: &str,
        contents: &Contents,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> RunReport {
        let started = Instant::now();
        let (problems, check_failures) =
            check_all(bundle, contents, self.registry, self.dict).await;
        let mut reports: BTreeMap<StepRef, StepReport> = BTreeMap::new();
        if !problems.is_empty() {
            progress(Progress::Problems(problems.len()));
            let steps = bundle
                .steps
                .iter()
                .map(|s| not_run(s, StepStatus::NotRun))
                .collect();
            return RunReport {
                application: application.into(),
                bundle: bundle.id.to_string(),
                status: RunStatus::NeedsMore,
                problems,
                check_failures,
                steps,
                outputs: BTreeMap::new(),
                elapsed_ms: started.elapsed().as_millis() as u64,
            };
        }
        let active: BTreeSet<StepRef> = active_steps(bundle, &contents.form)
            .into_iter()
            .map(|s| s.reference.clone())
            .collect();
        for s in bundle
            .steps
            .iter()
            .filter(|s| !active.contains(&s.reference))
        {
            let r = not_run(s, StepStatus::Skipped);
            progress(Progress::Finished(Box::new(r.clone())));
            reports.insert(s.reference.clone(), r);
        }
        let mut produced: BTreeMap<FieldKey, FieldValue> = BTreeMap::new();
        let mut stopped = false;
        loop {
            // Steps whose predecessors are all approved or skipped.
            let ready: Vec<&BundleStep> = bundle
                .steps
                .iter()
                .filter(|s| !reports.contains_key(&s.reference))
                .filter(|s| {
                    s.after.iter().all(|a| {
                        reports.get(a).is_some_and(|r| {
                            matches!(r.status, StepStatus::Approved | StepStatus::Skipped)
                        })
                    })
                })
                .collect();
            if ready.is_empty() || stopped {
                break;
            }
            let wave = ready
                .iter()
                .map(|s| self.run_step(s, application, contents, &produced, progress));
            for report in futures::future::join_all(wave).await {
                if report.status == StepStatus::Approved {
                    produced.extend(report.outputs.iter().map(|(k, v)| (k.clone(), v.clone())));
                } else {
                    stopped = true;
                }
                progress(Progress::Finished(Box::new(report.clone())));
                reports.insert(report.step.clone(), report);
            }
        }
        let steps: Vec<StepReport> = bundle
            .steps
            .iter()
            .map(|s| {
                reports
                    .remove(&s.reference)
                    .unwrap_or_else(|| not_run(s, StepStatus::NotRun))
            })
            .collect();
        let status = overall(&steps);
        RunReport {
            application: application.into(),
            bundle: bundle.id.to_string(),
            status,
            problems: Vec::new(),
            check_failures,
            steps,
            outputs: produced,
            elapsed_ms: started.elapsed().as_millis() as u64,
        }
    }

    async fn run_step(
        &self,
        step: &BundleStep,
        application: &str,
        contents: &Contents,
        produced: &BTreeMap<FieldKey, FieldValue>,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> StepReport {
        let started = Instant::now();
        let mut report = not_run(step, StepStatus::Failed);
        let Some(plugin) = self.registry.get(&step.reference.department) else {
            report.reason = Some(format!(
                "no plugin is loaded for department {}",
                step.reference.department
            ));
            return report;
        };
        report.plugin_version = Some(plugin.manifest().version.clone());
        report.plugin_digest = Some(plugin.digest().to_string());
        let fields = visible_fields(step, &contents.form, produced);
        let missing = crate::check::missing_required(step, &fields);
        if !missing.is_empty() {
            report.reason = Some(format!(
                "required input not available: {} (an earlier step that writes it did not run)",
                missing.join(", ")
            ));
            return report;
        }
        let mut call = StepCall {
            application: application.into(),
            step: step.reference.step.clone(),
            idempotency_key: format!("{application}/{}", step.reference),
            attempt: 0,
            fields,
            materials: visible_materials(step, &contents.materials),
        };
        let mut backoff = self.retry.first_backoff;
        let outcome = loop {
            call.attempt += 1;
            progress(Progress::Started {
                step: step.reference.clone(),
                attempt: call.attempt,
            });
            let (attempt, retryable) = match plugin.handle(&call).await {
                Ok(Ok(outcome)) => (self.accept(step, outcome), false),
                Ok(Err(types::StepError::Transient(m))) => {
                    (Attempt::Failed(format!("transient error: {m}")), true)
                }
                Ok(Err(types::StepError::Permanent(m))) => {
                    (Attempt::Failed(format!("permanent error: {m}")), false)
                }
                Err(e @ CallError::BadOutput { .. }) => (Attempt::Failed(e.to_string()), false),
                Err(e) => (Attempt::Failed(e.to_string()), true),
            };
            match attempt {
                Attempt::Failed(reason) if retryable && call.attempt < self.retry.max_attempts => {
                    progress(Progress::Retrying {
                        step: step.reference.clone(),
                        attempt: call.attempt,
                        error: reason,
                    });
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
                other => break other,
            }
        };
        report.attempts = call.attempt;
        match outcome {
            Attempt::Approved {
                outputs,
                documents,
                note,
            } => {
                report.status = StepStatus::Approved;
                report.outputs = outputs;
                report.documents = documents;
                report.note = note;
            }
            Attempt::NeedsMore(p) => {
                report.status = StepStatus::NeedsMore;
                report.problems = p;
            }
            Attempt::Rejected(r) => {
                report.status = StepStatus::Rejected;
                report.reason = Some(r);
            }
            Attempt::Deferred(t) => {
                report.status = StepStatus::Deferred;
                report.reason = Some(t);
            }
            Attempt::Failed(r) => {
                report.status = StepStatus::Failed;
                report.reason = Some(r);
            }
        }
        report.elapsed_ms = started.elapsed().as_millis() as u64;
        report
    }

    /// Check an outcome against the step's declaration and the dictionary.
    fn accept(&self, step: &BundleStep, outcome: types::Outcome) -> Attempt {
        match outcome {
            types::Outcome::Approved(a) => {
                let outputs = match accept_outputs(step, a.fields, self.dict) {
                    Ok(o) => o,
                    Err(e) => return Attempt::Failed(e),
                };
                let documents = a
                    .documents
                    .into_iter()
                    .map(|d| Document {
                        kind: d.kind,
                        number: d.number,
                        title: d.title,
                    })
                    .collect();
                Attempt::Approved {
                    outputs,
                    documents,
                    note: a.note,
                }
            }
            types::Outcome::NeedsMore(ps) => Attempt::NeedsMore(
                ps.into_iter()
                    .map(|p| Problem::from_wit(p, &step.reference))
                    .collect(),
            ),
            types::Outcome::Rejected(r) => Attempt::Rejected(r),
            types::Outcome::Deferred(t) => {
                Attempt::Deferred(format!("ticket {}: {}", t.id, t.reason))
            }
        }
    }
}

fn not_run(step: &BundleStep, status: StepStatus) -> StepReport {
    StepReport {
        step: step.reference.clone(),
        title: step.spec.title.clone(),
        status,
        attempts: 0,
        plugin_version: None,
        plugin_digest: None,
        outputs: BTreeMap::new(),
        documents: Vec::new(),
        problems: Vec::new(),
        reason: None,
        note: None,
        elapsed_ms: 0,
    }
}

fn overall(steps: &[StepReport]) -> RunStatus {
    let has = |s: StepStatus| steps.iter().any(|r| r.status == s);
    if has(StepStatus::Rejected) {
        RunStatus::Rejected
    } else if has(StepStatus::Failed) {
        RunStatus::Failed
    } else if has(StepStatus::NeedsMore) {
        RunStatus::NeedsMore
    } else if has(StepStatus::Deferred) {
        RunStatus::Deferred
    } else if has(StepStatus::NotRun) {
        RunStatus::Failed
    } else {
        RunStatus::Completed
    }
}
