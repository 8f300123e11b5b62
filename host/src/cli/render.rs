//! Terminal rendering of runs: progress lines and the final summary, with
//! sensitive values masked.

use std::path::Path;

use onething::bundle::Bundle;
use onething::dictionary::{Dictionary, FieldValue, Sensitivity};
use onething::ids::FieldKey;
use onething::run::{Progress, RunReport, RunStatus, StepStatus};

pub fn header(bundle: &Bundle, id: &str, path: &Path) {
    println!("{} / {}  [{}]", bundle.title.zh, bundle.title.en, bundle.id);
    println!("  application {id} from {}", path.display());
}

/// A value as shown on a terminal: sensitive values keep only their ends.
pub fn shown(key: &FieldKey, value: &FieldValue, dict: &Dictionary) -> String {
    let text = match value.to_json() {
        serde_json::Value::String(s) => s,
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

fn status_word(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Approved => "approved",
        StepStatus::Skipped => "skipped (condition not met)",
        StepStatus::NeedsMore => "needs more",
        StepStatus::Rejected => "rejected",
        StepStatus::Deferred => "deferred",
        StepStatus::Failed => "FAILED",
        StepStatus::NotRun => "not run",
    }
}

pub fn progress(p: &Progress, dict: &Dictionary) {
    match p {
        Progress::Problems(n) => println!("  ✗ the form has {n} problem(s); no step was started"),
        Progress::Started { step, attempt } => println!("  ▶ {step} (attempt {attempt})"),
        Progress::Retrying {
            step,
            attempt,
            error,
        } => println!("  ↻ {step} attempt {attempt} failed, retrying: {error}"),
        Progress::Finished(r) => {
            let mark = match r.status {
                StepStatus::Approved => "✔",
                StepStatus::Skipped => "–",
                _ => "✗",
            };
            let by = match (&r.plugin_version, &r.plugin_digest) {
                (Some(v), Some(d)) => format!(
                    " by v{v} @{}",
                    d.trim_start_matches("sha256:").get(..12).unwrap_or("")
                ),
                _ => String::new(),
            };
            println!(
                "  {mark} {} — {}: {}{by} in {} ms",
                r.step,
                r.title,
                status_word(r.status),
                r.elapsed_ms
            );
            for (k, v) in &r.outputs {
                println!("      {k} = {}", shown(k, v, dict));
            }
            for d in &r.documents {
                println!("      issued {} № {}", d.title, d.number);
            }
            for problem in &r.problems {
                println!("      problem: {}", problem.line());
            }
            if let Some(reason) = &r.reason {
                println!("      {reason}");
            }
        }
    }
}

pub fn summary(report: &RunReport, _dict: &Dictionary) {
    let word = match report.status {
        RunStatus::Completed => "COMPLETED",
        RunStatus::NeedsMore => "NEEDS MORE",
        RunStatus::Rejected => "REJECTED",
        RunStatus::Deferred => "DEFERRED",
        RunStatus::Failed => "FAILED",
    };
    if !report.problems.is_empty() {
        println!("  One notification — everything to correct at once:");
        for (i, p) in report.problems.iter().enumerate() {
            println!("    {}. {}", i + 1, p.line());
        }
    }
    let approved = report
        .steps
        .iter()
        .filter(|s| s.status == StepStatus::Approved)
        .count();
    println!(
        "  => {word}: {approved} of {} steps approved in {} ms\n",
        report.steps.len(),
        report.elapsed_ms
    );
}
