//! Terminal rendering of local runs: a progress line per event as the
//! engine records it, and the final summary, with sensitive values masked.

use std::path::Path;
use std::time::Duration;

use onething_catalog::Catalog;
use onething_engine::{Engine, RunReport};
use onething_model::bundle::Bundle;
use onething_model::dictionary::{Dictionary, Sensitivity};
use onething_model::events::Event;
use onething_model::ids::{FieldKey, StepRef};
use onething_model::state::{AppStatus, StepStatus};
use onething_store::applications::EventRecord;
use tokio::sync::{broadcast, oneshot};

pub fn header(bundle: &Bundle, id: &str, path: &Path) {
    outln!("{} / {}  [{}]", bundle.title.zh, bundle.title.en, bundle.id);
    outln!("  application {id} from {}", path.display());
}

/// A value as shown on a terminal: sensitive values keep only their ends.
pub fn shown(key: &FieldKey, value: &serde_json::Value, dict: &Dictionary) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let sensitive = dict
        .field(key)
        .is_some_and(|f| f.sensitivity == Sensitivity::Sensitive);
    if !sensitive {
        return text;
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

fn title(catalog: &Catalog, step: &StepRef) -> String {
    catalog
        .plugin(&step.department)
        .and_then(|p| p.manifest().step(&step.step))
        .map_or_else(String::new, |s| format!(" — {}", s.title))
}

/// One line (and its details) per event.
fn event(record: &EventRecord, catalog: &Catalog) {
    let dict = catalog.dict();
    match &record.event {
        Event::Submitted { .. } | Event::FormCorrected { .. } => {}
        Event::StepSkipped { step } => {
            outln!(
                "  – {step}{}: skipped (condition not met)",
                title(catalog, step)
            )
        }
        Event::AttemptStarted {
            step,
            attempt,
            plugin_version,
            plugin_digest,
            ..
        } => outln!(
            "  ▶ {step} (attempt {attempt}) by v{plugin_version} @{}",
            plugin_digest.short()
        ),
        Event::AttemptFailed {
            step,
            attempt,
            error,
            ..
        } => outln!("  ↻ {step} attempt {attempt} failed: {error}"),
        Event::RetryScheduled { step, at_ms } => {
            let wait = at_ms - record.at_ms;
            outln!("      {step} will be tried again in {wait} ms")
        }
        Event::StepWaiting {
            step,
            origin,
            until_ms,
            ..
        } => {
            let wait = until_ms - record.at_ms;
            outln!(
                "      {step} waits for {origin}, taken as down: tried again in {wait} ms, the attempt not counted"
            )
        }
        Event::StepApproved {
            step,
            outputs,
            documents,
            note,
            operator,
            ..
        } => {
            let by = operator
                .as_ref()
                .map_or_else(String::new, |op| format!(" by operator {op}"));
            outln!("  ✔ {step}{}: approved{by}", title(catalog, step));
            for (k, v) in outputs {
                outln!("      {k} = {}", shown(k, v, dict));
            }
            for d in documents {
                outln!("      issued {} № {}", d.title, d.number);
            }
            if let Some(note) = note {
                outln!("      note: {note}");
            }
        }
        Event::StepNeedsMore { step, problems } => {
            outln!("  ✗ {step}{}: needs more", title(catalog, step));
            for p in problems {
                outln!("      problem: {}", p.line_both());
            }
        }
        Event::StepRejected { step, reason, .. } => {
            outln!("  ✗ {step}{}: rejected: {reason}", title(catalog, step))
        }
        Event::SentToManualQueue { step, reason } => outln!(
            "  ✗ {step}{}: sent to the manual queue: {reason}",
            title(catalog, step)
        ),
        Event::DeadlinePassed { step: Some(step) } => {
            outln!("  ⏰ {step} passed its time limit")
        }
        Event::DeadlinePassed { step: None } => outln!("  ⏰ the bundle passed its time limit"),
    }
}

/// Printing one application's events as the engine records them.
pub struct Progress {
    id: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<u64>,
}

async fn print_new(engine: &Engine, id: &str, last: &mut u64) {
    let Ok(records) = engine.store().events(id, *last).await else {
        return;
    };
    let catalog = engine.catalog();
    for r in &records {
        event(r, &catalog);
        *last = r.seq;
    }
}

/// Start printing `id`'s events (subscribe before submitting, so none is
/// missed).
pub fn follow(engine: &Engine, id: &str) -> Progress {
    let mut updates = engine.subscribe();
    let (stop, mut stopped) = oneshot::channel();
    let engine = engine.clone();
    let id = id.to_owned();
    let task = {
        let id = id.clone();
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    u = updates.recv() => match u {
                        Ok(u) if u.application == id => print_new(&engine, &id, &mut last).await,
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            print_new(&engine, &id, &mut last).await
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    }
                }
            }
            last
        })
    };
    Progress { id, stop, task }
}

impl Progress {
    /// Print what is left and stop.
    pub async fn finish(self, engine: &Engine) {
        let _ = self.stop.send(());
        let mut last = self.task.await.unwrap_or(0);
        print_new(engine, &self.id, &mut last).await;
    }
}

pub fn summary(report: &RunReport, elapsed: Duration) {
    let word = match report.status {
        AppStatus::Completed => "COMPLETED",
        AppStatus::NeedsMore => "NEEDS MORE",
        AppStatus::Rejected => "REJECTED",
        AppStatus::Manual => "WAITING IN THE MANUAL QUEUE",
        AppStatus::Running => "RUNNING",
    };
    if !report.problems.is_empty() {
        outln!(
            "  ✗ the form has {} problem(s); no step was started",
            report.problems.len()
        );
        outln!("  One notification — everything to correct at once:");
        for (i, p) in report.problems.iter().enumerate() {
            outln!("    {}. {}", i + 1, p.line_both());
        }
    }
    let approved = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Approved)
        .count();
    outln!(
        "  => {word}: {approved} of {} steps approved in {} ms\n",
        report.steps.len(),
        elapsed.as_millis()
    );
}
