//! What the host grants a department component, one module per capability
//! (in the spirit of Spin's factors): structured logging, a clock, and a
//! department-scoped key-value store.
//!
//! Each capability is a small trait or a sink with one default
//! implementation; [`Capabilities`] wires the chosen implementations
//! together, and the generated WIT `Host` traits are implemented for the
//! per-call state in the capability's own module. Not for WASI: that is
//! linked (with nothing granted) in [`crate::runtime`].

pub mod clock;
pub mod kv;
pub mod log;

use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock};
pub use kv::{KeyValue, KvError, MemoryKv};

/// The capability implementations a runtime hands to every call.
#[derive(Clone)]
pub struct Capabilities {
    /// The clock plugins read.
    pub clock: Arc<dyn Clock>,
    /// The durable key-value store, partitioned by department.
    pub kv: Arc<dyn KeyValue>,
}

impl Capabilities {
    /// The system clock (China Standard Time) and an in-memory store.
    pub fn in_memory() -> Self {
        Self {
            clock: Arc::new(SystemClock::china_standard_time()),
            kv: Arc::new(MemoryKv::default()),
        }
    }
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities").finish_non_exhaustive()
    }
}

impl crate::bindings::types::Host for crate::runtime::CallState {}
