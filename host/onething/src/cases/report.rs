//! What `onething test` prints and writes: a line per case with what it
//! used of each limit, the diff and the plugin's log for a failure, a
//! summary; and the same as JUnit XML for CI.

use std::fmt::Write as _;
use std::time::Duration;

use onething_runtime::Usage;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::run::{CaseResult, Failure, Shown, SuiteResult};

/// `1.2 MiB`, `312 B`.
fn bytes(n: usize) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f >= KIB * KIB {
        format!("{:.1} MiB", f / KIB / KIB)
    } else if f >= KIB {
        format!("{:.1} KiB", f / KIB)
    } else {
        format!("{n} B")
    }
}

/// `1.23 M`, `45.6 k`.
fn count(n: u64) -> String {
    let f = n as f64;
    if f >= 1e9 {
        format!("{:.2} G", f / 1e9)
    } else if f >= 1e6 {
        format!("{:.2} M", f / 1e6)
    } else if f >= 1e3 {
        format!("{:.1} k", f / 1e3)
    } else {
        n.to_string()
    }
}

fn millis(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn percent(used: f64, limit: f64) -> String {
    if limit <= 0.0 {
        String::new()
    } else {
        format!(" ({:.1}%)", used / limit * 100.0)
    }
}

/// What a call used against each limit, the settings named.
pub fn usage_line(u: &Usage, limits: &Shown) -> String {
    let fuel = match (u.fuel, limits.fuel) {
        (Some(used), Some(limit)) => format!(
            "fuel {} of limits.fuel {}{}",
            count(used),
            count(limit),
            percent(used as f64, limit as f64)
        ),
        (Some(used), None) => format!("fuel {} (limits.fuel unset)", count(used)),
        (None, _) => "fuel not counted".into(),
    };
    format!(
        "{fuel} · memory {} of limits.memory_bytes {}{} · wall {} of {}{} · output {} of limits.max_output_bytes {}{}",
        bytes(u.memory_bytes),
        bytes(limits.memory_bytes),
        percent(u.memory_bytes as f64, limits.memory_bytes as f64),
        millis(u.wall),
        millis(limits.timeout),
        percent(u.wall.as_secs_f64(), limits.timeout.as_secs_f64()),
        bytes(u.output_bytes),
        bytes(limits.output_bytes),
        percent(u.output_bytes as f64, limits.output_bytes as f64),
    )
}

fn failure_text(f: &Failure) -> String {
    match f {
        Failure::Invalid(why) => format!("the case cannot run: {why}\n"),
        Failure::Mismatch { diff, faults } => {
            let mut out = String::new();
            if let Some(d) = diff {
                out.push_str(d);
            }
            for fault in faults {
                let _ = writeln!(out, "{fault}");
            }
            out
        }
    }
}

fn indent(text: &str, by: &str) -> String {
    text.lines().map(|l| format!("{by}{l}\n")).collect()
}

/// The whole run as text.
pub fn text(suites: &[SuiteResult], elapsed: Duration) -> String {
    let mut out = String::new();
    let (mut total, mut failed) = (0usize, 0usize);
    for s in suites {
        let _ = writeln!(out, "{} · {}", s.file.display(), s.department);
        if let Some(e) = &s.error {
            failed += 1;
            total += 1;
            let _ = writeln!(out, "  ERROR {}", e.replace('\n', "\n        "));
        }
        for c in &s.cases {
            total += 1;
            let mark = if c.failure.is_some() {
                failed += 1;
                "FAIL"
            } else {
                "ok  "
            };
            let _ = writeln!(out, "  {mark} {}", c.name);
            if let Some(u) = &c.usage {
                let _ = writeln!(out, "       {}", usage_line(u, &c.limits));
            }
            if let Some(f) = &c.failure {
                out.push_str(&indent(&failure_text(f), "       "));
                if !c.log.is_empty() {
                    let _ = writeln!(out, "       the plugin logged:");
                    out.push_str(&indent(&c.log.join("\n"), "         "));
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{total} case(s): {} passed, {failed} failed ({:.2} s)",
        total - failed,
        elapsed.as_secs_f64()
    );
    out
}

fn junit_case(c: &CaseResult) -> TestCase {
    let status = match &c.failure {
        None => TestCaseStatus::success(),
        Some(f) => {
            let kind = match f {
                Failure::Invalid(_) => NonSuccessKind::Error,
                Failure::Mismatch { .. } => NonSuccessKind::Failure,
            };
            let mut status = TestCaseStatus::non_success(kind);
            let message = match f {
                Failure::Invalid(why) => why.clone(),
                Failure::Mismatch { diff: Some(_), .. } => {
                    "the outcome differs from the expected one".into()
                }
                Failure::Mismatch { faults, .. } => faults.join("; "),
            };
            status.set_message(message);
            status.set_description(failure_text(f));
            status
        }
    };
    let mut case = TestCase::new(c.name.clone(), status);
    case.set_time(c.time);
    let mut out = String::new();
    if let Some(u) = &c.usage {
        let _ = writeln!(out, "{}", usage_line(u, &c.limits));
    }
    for l in &c.log {
        let _ = writeln!(out, "{l}");
    }
    if !out.is_empty() {
        case.set_system_out(out);
    }
    case
}

/// The whole run as JUnit XML.
pub fn junit(suites: &[SuiteResult]) -> anyhow::Result<String> {
    let mut report = Report::new("onething test");
    for s in suites {
        let mut suite = TestSuite::new(s.file.display().to_string());
        suite.set_time(s.time);
        if let Some(e) = &s.error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(e.clone());
            suite.add_test_case(TestCase::new("(loading the case file)", status));
        }
        for c in &s.cases {
            suite.add_test_case(junit_case(c));
        }
        report.add_test_suite(suite);
    }
    Ok(report.to_string()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_names_each_setting_and_the_share_used() {
        let u = Usage {
            fuel: Some(1_500_000),
            memory_bytes: 2 << 20,
            wall: Duration::from_millis(5),
            output_bytes: 300,
        };
        let limits = Shown {
            fuel: Some(10_000_000),
            memory_bytes: 64 << 20,
            timeout: Duration::from_secs(5),
            output_bytes: 1 << 20,
        };
        let line = usage_line(&u, &limits);
        assert!(
            line.contains("fuel 1.50 M of limits.fuel 10.00 M (15.0%)"),
            "{line}"
        );
        assert!(
            line.contains("memory 2.0 MiB of limits.memory_bytes 64.0 MiB (3.1%)"),
            "{line}"
        );
        assert!(line.contains("output 300 B"), "{line}");
        let unset = usage_line(
            &u,
            &Shown {
                fuel: None,
                ..limits
            },
        );
        assert!(unset.contains("(limits.fuel unset)"), "{unset}");
    }

    #[test]
    fn junit_has_a_failure_with_the_diff() {
        let suite = SuiteResult {
            file: "cases/a.toml".into(),
            department: "tax".into(),
            error: None,
            cases: vec![CaseResult {
                name: "wrong <name>".into(),
                failure: Some(Failure::Mismatch {
                    diff: Some("-outcome = \"approved\"\n+outcome = \"rejected\"\n".into()),
                    faults: Vec::new(),
                }),
                usage: None,
                limits: Shown::default(),
                time: Duration::from_millis(3),
                log: Vec::new(),
            }],
            time: Duration::from_millis(10),
        };
        let xml = junit(&[suite]).expect("xml");
        assert!(xml.contains("<testsuites"), "{xml}");
        assert!(xml.contains("failures=\"1\""), "{xml}");
        assert!(xml.contains("wrong &lt;name&gt;"), "{xml}");
        assert!(
            xml.contains("+outcome = &quot;rejected&quot;")
                || xml.contains("+outcome = \"rejected\""),
            "{xml}"
        );
    }
}
