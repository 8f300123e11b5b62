//! The record of departments' outgoing requests: each one, sent or
//! refused, counted in the metrics at once and sealed into the audit log
//! as an `outbound-call` entry (method, origin, path without query,
//! status or failure, bytes, duration; never headers or bodies) about the
//! application and step it served.
//!
//! The runtime reports a request while the plugin call is still running
//! and must not wait on the store, so entries go through a channel to one
//! task that seals them in batches. An entry is sealed shortly after its
//! request, not in the same commit as the step's outcome; one the store
//! refuses is logged with its origin.

use std::sync::Arc;

use onething_model::audit::{Action, Entry};
use onething_runtime::capabilities::breaker::Transition;
use onething_runtime::capabilities::http::{OutboundRecord, OutboundRecorder};
use onething_store::Store;
use tokio::sync::mpsc;

use crate::metrics::Metrics;

/// Entries sealed in one commit, at most.
const BATCH: usize = 256;

/// Counts each request in the metrics and seals it into the audit log.
pub struct AuditRecorder {
    metrics: Arc<Metrics>,
    entries: mpsc::UnboundedSender<Entry>,
}

impl AuditRecorder {
    /// A recorder over `store`, with the task that seals its entries
    /// (on the current tokio runtime, until the recorder is dropped).
    pub fn spawn(store: Arc<dyn Store>, metrics: Arc<Metrics>) -> Arc<AuditRecorder> {
        let (entries, mut queue) = mpsc::unbounded_channel::<Entry>();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            while queue.recv_many(&mut batch, BATCH).await > 0 {
                if let Err(e) = store.record_entries(&batch).await {
                    tracing::error!(error = %e, entries = batch.len(), "outbound calls could not be sealed into the audit log");
                }
                batch.clear();
            }
        });
        Arc::new(AuditRecorder { metrics, entries })
    }
}

/// The audit entry of one request.
pub fn entry_of(record: &OutboundRecord) -> Entry {
    let mut entry = Entry::new(Action::OutboundCall, record.department.clone());
    entry.application = record.application.clone();
    entry.step = record
        .step
        .as_ref()
        .map(|s| format!("{}/{s}", record.department));
    entry.call = Some(record.call.clone());
    if let Some(t) = &record.breaker {
        entry.note = Some(format!(
            "circuit breaker of {} {} -> {}",
            record.call.origin,
            t.from.as_str(),
            t.to.as_str()
        ));
    }
    entry
}

impl OutboundRecorder for AuditRecorder {
    fn breaker_changed(&self, _department: &str, change: &Transition) {
        self.metrics.breaker_changed(change);
    }

    fn record(&self, record: OutboundRecord) {
        self.metrics.observe_outbound(&record);
        if self.entries.send(entry_of(&record)).is_err() {
            tracing::error!(origin = %record.call.origin, "the audit task has stopped: an outbound call is not sealed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onething_model::audit::OutboundCall;
    use onething_runtime::capabilities::breaker::{BreakerState, Transition};
    use onething_store::StoreOptions;
    use onething_store::audit::AuditLog as _;
    use onething_store::memory::MemoryStore;

    fn record(status: Option<u16>, failure: Option<&str>) -> OutboundRecord {
        let mut call =
            OutboundCall::to_url("POST", "http://127.0.0.1:8090/household/v1/births?debug=1");
        call.status = status;
        call.failure = failure.map(str::to_owned);
        OutboundRecord {
            department: "public-security".into(),
            application: Some("app-1".into()),
            step: Some("household-registration".into()),
            call,
            breaker: None,
        }
    }

    #[tokio::test]
    async fn each_request_is_sealed_about_its_application_and_counted() {
        let store = Arc::new(MemoryStore::new(StoreOptions::default()));
        let metrics = Arc::new(Metrics::new());
        let recorder = AuditRecorder::spawn(store.clone(), metrics.clone());
        recorder.record(record(Some(201), None));
        let mut down = record(None, Some("timeout"));
        down.breaker = Some(Transition {
            origin: down.call.origin.clone(),
            from: BreakerState::Closed,
            to: BreakerState::Open,
        });
        recorder.record(down);
        let entries = loop {
            let e = store.entries_of("app-1").await.expect("entries");
            if e.len() == 2 {
                break e;
            }
            tokio::task::yield_now().await;
        };
        let (_, first) = &entries[0];
        assert_eq!(first.action, Action::OutboundCall);
        assert_eq!(
            first.step.as_deref(),
            Some("public-security/household-registration")
        );
        let call = first.call.as_ref().expect("call");
        assert_eq!(
            (call.path.as_str(), call.status),
            ("/household/v1/births", Some(201))
        );
        let (_, second) = &entries[1];
        assert_eq!(
            second.note.as_deref(),
            Some("circuit breaker of http://127.0.0.1:8090 closed -> open")
        );
        let text = metrics.render();
        for line in [
            r#"onething_outbound_requests_total{department="public-security",origin="http://127.0.0.1:8090",outcome="2xx"} 1"#,
            r#"onething_outbound_requests_total{department="public-security",origin="http://127.0.0.1:8090",outcome="timeout"} 1"#,
            r#"onething_breaker_changes_total{origin="http://127.0.0.1:8090",to="open"} 1"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
