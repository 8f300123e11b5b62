//! Prometheus metrics: applications by status, step latency by
//! department, retries, manual queue depth and overdue work, and what
//! plugins' calls dropped over their log and output limits.
//!
//! Counters and histograms are updated as things happen; gauges that
//! describe the store (applications by status, queue depth, overdue) are
//! set from the store when scraped, so they are right after a restart too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use onething_model::ids::DepartmentId;
use onething_model::state::AppStatus;
use onething_runtime::OutputDrops;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

/// A department label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DepartmentLabel {
    /// Department id.
    pub department: String,
}

/// A status label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    /// Application status.
    pub status: String,
}

/// The department and origin of an outgoing request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OriginLabel {
    /// Department id.
    pub department: String,
    /// `scheme://host:port`.
    pub origin: String,
}

/// How an outgoing request ended: its status class (`2xx`, `4xx`,
/// `5xx`) or why it got no answer (`denied`, `timeout`, `too-large`,
/// `breaker-open` …).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    /// Department id.
    pub department: String,
    /// `scheme://host:port`.
    pub origin: String,
    /// The status class or the failure.
    pub outcome: String,
}

/// A breaker's change.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BreakerLabel {
    /// `scheme://host:port`.
    pub origin: String,
    /// The state it went to.
    pub to: String,
}

fn step_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
}

/// Every metric the host exports.
pub struct Metrics {
    registry: Mutex<Registry>,
    /// Applications accepted.
    pub submitted: Counter,
    /// Applications that reached a final status, by status.
    pub finished: Family<StatusLabel, Counter>,
    /// Step attempt latency, by department.
    pub step_seconds: Family<DepartmentLabel, Histogram, fn() -> Histogram>,
    /// Retries scheduled, by department.
    pub retries: Family<DepartmentLabel, Counter>,
    /// Steps sent to the manual queue.
    pub manual: Counter,
    /// Deadlines flagged.
    pub overdue_flagged: Counter,
    /// Applications in the store, by status (set on scrape).
    pub applications: Family<StatusLabel, Gauge>,
    /// Applications waiting in the manual queue (set on scrape).
    pub manual_queue_depth: Gauge,
    /// Applications with something overdue (set on scrape).
    pub overdue: Gauge,
    /// HTTP connections open now.
    pub http_connections_open: Gauge,
    /// HTTP connections refused over `http.max_connections`.
    pub http_connections_refused: Counter,
    /// Departments' outgoing requests, by department, origin and outcome.
    pub outbound_requests: Family<OutcomeLabel, Counter>,
    /// Time of the outgoing requests that got an answer, by department
    /// and origin.
    pub outbound_seconds: Family<OriginLabel, Histogram, fn() -> Histogram>,
    /// Circuit breakers' changes, by origin and the state entered.
    pub breaker_changes: Family<BreakerLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh set of metrics with its own registry.
    pub fn new() -> Self {
        let m = Self {
            registry: Mutex::new(Registry::with_prefix("onething")),
            submitted: Counter::default(),
            finished: Family::default(),
            step_seconds: Family::new_with_constructor(step_histogram as fn() -> Histogram),
            retries: Family::default(),
            manual: Counter::default(),
            overdue_flagged: Counter::default(),
            applications: Family::default(),
            manual_queue_depth: Gauge::default(),
            overdue: Gauge::default(),
            http_connections_open: Gauge::default(),
            http_connections_refused: Counter::default(),
            outbound_requests: Family::default(),
            outbound_seconds: Family::new_with_constructor(step_histogram as fn() -> Histogram),
            breaker_changes: Family::default(),
        };
        if let Ok(mut r) = m.registry.lock() {
            r.register(
                "applications_submitted",
                "Applications accepted",
                m.submitted.clone(),
            );
            r.register(
                "applications_finished",
                "Applications that reached a final status",
                m.finished.clone(),
            );
            r.register(
                "step_duration_seconds",
                "Time of one step attempt, by department",
                m.step_seconds.clone(),
            );
            r.register(
                "step_retries",
                "Retries scheduled, by department",
                m.retries.clone(),
            );
            r.register(
                "manual_queue_entries",
                "Steps sent to the manual queue",
                m.manual.clone(),
            );
            r.register(
                "deadlines_passed",
                "Step and bundle deadlines flagged",
                m.overdue_flagged.clone(),
            );
            r.register(
                "applications",
                "Applications in the store, by status",
                m.applications.clone(),
            );
            r.register(
                "manual_queue_depth",
                "Applications waiting in the manual queue",
                m.manual_queue_depth.clone(),
            );
            r.register(
                "overdue_applications",
                "Applications with a step or the bundle past its time limit",
                m.overdue.clone(),
            );
            r.register(
                "http_connections_open",
                "HTTP connections open now",
                m.http_connections_open.clone(),
            );
            r.register(
                "http_connections_refused",
                "HTTP connections refused over http.max_connections",
                m.http_connections_refused.clone(),
            );
            r.register(
                "outbound_requests",
                "Departments' outgoing requests, by department, origin and outcome (status class or failure)",
                m.outbound_requests.clone(),
            );
            r.register(
                "outbound_duration_seconds",
                "Time of departments' outgoing requests that got an answer, by department and origin",
                m.outbound_seconds.clone(),
            );
            r.register(
                "breaker_changes",
                "Circuit breakers' changes, by origin and the state entered",
                m.breaker_changes.clone(),
            );
        }
        m
    }

    /// Count one outgoing request (and its breaker change), and time it
    /// if it got an answer.
    pub fn observe_outbound(&self, r: &onething_runtime::capabilities::http::OutboundRecord) {
        let call = &r.call;
        let outcome = match (call.status, &call.failure) {
            (_, Some(failure)) => failure.clone(),
            (Some(status), None) => format!("{}xx", status / 100),
            (None, None) => "unknown".to_owned(),
        };
        self.outbound_requests
            .get_or_create(&OutcomeLabel {
                department: r.department.clone(),
                origin: call.origin.clone(),
                outcome,
            })
            .inc();
        if call.status.is_some() && call.failure.is_none() {
            self.outbound_seconds
                .get_or_create(&OriginLabel {
                    department: r.department.clone(),
                    origin: call.origin.clone(),
                })
                .observe(call.duration_ms as f64 / 1000.0);
        }
        if let Some(t) = &r.breaker {
            self.breaker_changed(t);
        }
    }

    /// Count one breaker's change.
    pub fn breaker_changed(&self, t: &onething_runtime::capabilities::breaker::Transition) {
        self.breaker_changes
            .get_or_create(&BreakerLabel {
                origin: t.origin.clone(),
                to: t.to.as_str().to_owned(),
            })
            .inc();
    }

    /// Record one step attempt's latency.
    pub fn observe_step(&self, department: &DepartmentId, elapsed: Duration) {
        self.step_seconds
            .get_or_create(&DepartmentLabel {
                department: department.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Count a retry scheduled for a department's step.
    pub fn retried(&self, department: &DepartmentId) {
        self.retries
            .get_or_create(&DepartmentLabel {
                department: department.to_string(),
            })
            .inc();
    }

    /// Count an application reaching a final status.
    pub fn finished(&self, status: AppStatus) {
        self.finished
            .get_or_create(&StatusLabel {
                status: status.as_str().to_owned(),
            })
            .inc();
    }

    /// Export the runtime's counters of plugin output dropped over its
    /// limits, read at each scrape: `plugin_log_records_dropped_total`,
    /// `plugin_log_attributes_dropped_total`,
    /// `plugin_output_bytes_dropped_total`.
    pub fn watch_output_drops(&self, drops: Arc<OutputDrops>) {
        if let Ok(mut r) = self.registry.lock() {
            r.register_collector(Box::new(DropsCollector(drops)));
        }
    }

    /// Set the store-derived gauges.
    pub fn set_store_gauges(&self, counts: &[(AppStatus, u64)], overdue: u64) {
        for s in [
            AppStatus::Running,
            AppStatus::NeedsMore,
            AppStatus::Manual,
            AppStatus::Completed,
            AppStatus::Rejected,
        ] {
            let n = counts.iter().find(|(c, _)| *c == s).map_or(0, |(_, n)| *n);
            self.applications
                .get_or_create(&StatusLabel {
                    status: s.as_str().to_owned(),
                })
                .set(n as i64);
            if s == AppStatus::Manual {
                self.manual_queue_depth.set(n as i64);
            }
        }
        self.overdue.set(overdue as i64);
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(r) = self.registry.lock()
            && encode(&mut out, &r).is_err()
        {
            out.clear();
        }
        out
    }
}

/// Reads [`OutputDrops`] at scrape time.
#[derive(Debug)]
struct DropsCollector(Arc<OutputDrops>);

impl Collector for DropsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, value) in [
            (
                "plugin_log_records_dropped",
                "Plugin log records dropped over limits.log_records_per_call or limits.log_bytes_per_call",
                self.0.records(),
            ),
            (
                "plugin_log_attributes_dropped",
                "Plugin log attributes dropped over limits.log_attributes_per_record",
                self.0.attributes(),
            ),
            (
                "plugin_output_bytes_dropped",
                "Plugin stdout and stderr bytes dropped over limits.stdio_bytes_per_call",
                self.0.stdio_bytes(),
            ),
        ] {
            let counter = ConstCounter::new(value);
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_happens_and_what_is_stored_are_exported() {
        let m = Metrics::new();
        let health = DepartmentId::parse("health").expect("id");
        m.submitted.inc();
        m.observe_step(&health, Duration::from_millis(3));
        m.retried(&health);
        m.finished(AppStatus::Completed);
        m.set_store_gauges(&[(AppStatus::Manual, 2), (AppStatus::Completed, 5)], 1);
        let text = m.render();
        for line in [
            "onething_applications_submitted_total 1",
            "onething_step_retries_total{department=\"health\"} 1",
            "onething_applications_finished_total{status=\"completed\"} 1",
            "onething_manual_queue_depth 2",
            "onething_applications{status=\"completed\"} 5",
            "onething_overdue_applications 1",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
        assert!(
            text.contains("onething_step_duration_seconds_bucket{"),
            "{text}"
        );
    }

    #[test]
    fn item_12_plugin_output_drops_are_exported() {
        let m = Metrics::new();
        m.watch_output_drops(Arc::new(OutputDrops::default()));
        let text = m.render();
        for line in [
            "onething_plugin_log_records_dropped_total 0",
            "onething_plugin_log_attributes_dropped_total 0",
            "onething_plugin_output_bytes_dropped_total 0",
        ] {
            assert!(text.contains(line), "{line} missing from\n{text}");
        }
    }
}
