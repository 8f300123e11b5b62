//! The per-call store state: WASI with nothing granted, the capability
//! handles, the memory limiter and the deadline, for exactly one call.
//!
//! A fresh `CallState` (and store, and instance) is made for every call, so
//! nothing an applicant sent survives into the next call.

use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::Shared;
use crate::capabilities::Capabilities;
use crate::capabilities::log::CapturedOutput;
use crate::ids::{DepartmentId, Digest};

/// Everything one call's store holds.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) department: DepartmentId,
    pub(crate) version: String,
    pub(crate) caps: Capabilities,
    pub(crate) log_records: u32,
    pub(crate) stdout: CapturedOutput,
    pub(crate) stderr: CapturedOutput,
    pub(crate) started: Instant,
    pub(crate) timeout: Duration,
    pub(crate) deadline_hit: Option<Duration>,
    /// Values of the call's sensitive input fields, masked in everything
    /// the plugin logs or prints.
    pub(crate) secrets: Vec<String>,
}

/// What replaces a sensitive value in logs.
pub const MASK: &str = "[sensitive]";

/// `text` with every one of `secrets` replaced by [`MASK`].
pub fn redact<'t>(text: &'t str, secrets: &[String]) -> std::borrow::Cow<'t, str> {
    let mut out = std::borrow::Cow::Borrowed(text);
    for s in secrets {
        if out.contains(s.as_str()) {
            out = std::borrow::Cow::Owned(out.replace(s.as_str(), MASK));
        }
    }
    out
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Refuses memory growth past the limit and remembers the request, so a
/// trap that follows can be reported as what it is.
pub(crate) struct MemoryLimiter {
    pub(crate) limit: usize,
    pub(crate) refused: Option<usize>,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.refused = Some(desired);
            return Ok(false);
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}

/// Build the store for one call of `department`'s plugin.
pub(crate) fn new_store(
    shared: &Shared,
    department: &DepartmentId,
    version: &str,
    _digest: &Digest,
) -> Store<CallState> {
    let stdout = CapturedOutput::default();
    let stderr = CapturedOutput::default();
    let mut wasi = WasiCtx::builder();
    wasi.stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    let limits = &shared.limits;
    let state = CallState {
        wasi: wasi.build(),
        table: ResourceTable::new(),
        limiter: MemoryLimiter {
            limit: limits.memory_bytes,
            refused: None,
        },
        department: department.clone(),
        version: version.to_owned(),
        caps: shared.caps.clone(),
        log_records: 0,
        stdout,
        stderr,
        started: Instant::now(),
        timeout: limits.timeout_for(department),
        deadline_hit: None,
        secrets: Vec::new(),
    };
    let mut store = Store::new(&shared.engine, state);
    store.limiter(|s| &mut s.limiter);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut ctx| {
        let state = ctx.data_mut();
        let elapsed = state.started.elapsed();
        if elapsed >= state.timeout {
            state.deadline_hit = Some(elapsed);
            return Err(wasmtime::Error::msg("call deadline exceeded"));
        }
        Ok(UpdateDeadline::Yield(1))
    });
    if let Some(fuel) = limits.fuel {
        // Fuel is enabled on the engine whenever a budget is configured.
        if let Err(e) = store.set_fuel(fuel) {
            tracing::error!(error = %e, "could not set fuel");
        }
    }
    store
}
