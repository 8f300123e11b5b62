//! The per-call store state: WASI with nothing granted, the capability
//! handles, the memory limiter and the deadline, for exactly one call.
//!
//! A fresh `CallState` (and store, and instance) is made for every call, so
//! nothing an applicant sent survives into the next call. It answers the
//! contract's imports ([`Imports`]) from the runtime's capabilities, always
//! as its own department.

use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use chrono::NaiveDate;
use onething_contract::{Imports, LogLevel, StoreFailure};
use onething_model::ids::DepartmentId;

use crate::Shared;
use crate::capabilities::Capabilities;
use crate::capabilities::kv::{DepartmentStore, UndoLog};
use crate::capabilities::log::{CallLog, CapturedOutput};
use crate::limits::KvQuotaSource;
use onething_store::KvQuota;

/// Everything one call's store holds.
pub struct CallState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: MemoryLimiter,
    pub(crate) caps: Capabilities,
    /// Who is calling, what to mask, how much was logged.
    pub(crate) log: CallLog,
    pub(crate) stdout: CapturedOutput,
    pub(crate) stderr: CapturedOutput,
    pub(crate) started: Instant,
    pub(crate) timeout: Duration,
    pub(crate) deadline_hit: Option<Duration>,
    /// The department's key-value quota, and where it is set.
    kv_quota: (KvQuota, KvQuotaSource),
    /// The call's key-value writes, to take back if its attempt fails.
    pub(crate) undo: UndoLog,
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
    secrets: Vec<String>,
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
        caps: shared.caps.clone(),
        log: {
            let mut log = CallLog::new(department.clone(), version.to_owned());
            log.secrets = secrets;
            log
        },
        stdout,
        stderr,
        started: Instant::now(),
        timeout: limits.timeout_for(department),
        deadline_hit: None,
        kv_quota: limits.kv_quota_for(department),
        undo: UndoLog::default(),
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

impl CallState {
    fn kv(&self) -> DepartmentStore<'_> {
        DepartmentStore {
            kv: &*self.caps.kv,
            department: &self.log.department,
            quota: self.kv_quota.0,
            quota_source: self.kv_quota.1,
            undo: &self.undo,
        }
    }

    /// Pass what the plugin printed to the log sink (at the end of a call).
    pub(crate) fn flush_output(&self) {
        use crate::capabilities::log::Stream;
        self.stdout
            .flush(Stream::Stdout, &self.log, &*self.caps.log);
        self.stderr
            .flush(Stream::Stderr, &self.log, &*self.caps.log);
    }
}

impl Imports for CallState {
    fn log(&mut self, level: LogLevel, message: String, attributes: Vec<(String, String)>) {
        self.log.log(&*self.caps.log, level, &message, &attributes);
    }

    fn now(&mut self) -> i64 {
        self.caps.clock.now()
    }

    fn today(&mut self) -> NaiveDate {
        self.caps.clock.today()
    }

    async fn kv_get(&mut self, key: String) -> Result<Option<Vec<u8>>, StoreFailure> {
        self.kv().get(&key).await
    }

    async fn kv_set(&mut self, key: String, value: Vec<u8>) -> Result<(), StoreFailure> {
        self.kv().set(&key, &value).await
    }

    async fn kv_insert_new(&mut self, key: String, value: Vec<u8>) -> Result<bool, StoreFailure> {
        self.kv().insert_new(&key, &value).await
    }

    async fn kv_delete(&mut self, key: String) -> Result<bool, StoreFailure> {
        self.kv().delete(&key).await
    }
}
