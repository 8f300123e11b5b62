//! What the host grants a department component, one module per capability
//! (in the spirit of Spin's factors): structured logging ([`log`]), a
//! clock ([`clock`]), a department-scoped key-value store ([`kv`]), and
//! the operator's policy for outbound HTTP and the departments' secrets
//! ([`outbound`]) with a circuit breaker per origin ([`breaker`]), and
//! the outgoing requests of 0.2.0 departments sent under them ([`http`]).
//!
//! Each capability is a small trait with a default implementation, its
//! limits and its tests, in its own module; [`Capabilities`] wires the
//! chosen implementations together, and the per-call state
//! (`state`) answers the contract's imports from them. Not for
//! WASI: that is linked, with nothing granted, by [`crate::Runtime`].

pub mod breaker;
pub mod clock;
pub mod http;
pub mod kv;
pub mod log;
pub mod outbound;

use std::sync::Arc;

use onething_store::kv::DepartmentKv;

pub use clock::{Clock, FixedClock, SystemClock};
pub use log::{LogSink, TracingLog};

/// The capability implementations a runtime hands to every call.
#[derive(Clone)]
pub struct Capabilities {
    /// Where plugins' log records and output go.
    pub log: Arc<dyn LogSink>,
    /// The clock plugins read.
    pub clock: Arc<dyn Clock>,
    /// The durable key-value store, partitioned by department.
    pub kv: Arc<dyn DepartmentKv>,
    /// Outgoing HTTP, configuration and secrets (nothing allowed, none
    /// set, unless the operator says).
    pub outbound: Arc<http::Outbound>,
}

impl Capabilities {
    /// Logging to `tracing`, the given clock and key-value backend.
    pub fn new(clock: Arc<dyn Clock>, kv: Arc<dyn DepartmentKv>) -> Self {
        Self {
            log: Arc::new(TracingLog),
            clock,
            kv,
            outbound: Arc::new(http::Outbound::default()),
        }
    }

    /// The same, with the operator's outbound policy, secrets and
    /// configuration.
    pub fn with_outbound(mut self, outbound: Arc<http::Outbound>) -> Self {
        self.outbound = outbound;
        self
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").finish_non_exhaustive()
    }
}
