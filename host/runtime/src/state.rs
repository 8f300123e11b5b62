//! The per-call store state: WASI with nothing granted, the capability
//! handles, the memory limiter and the deadline, for exactly one call.
//!
//! A fresh `CallState` (and store, and instance) is made for every call, so
//! nothing an applicant sent survives into the next call. It answers the
//! contract's imports ([`Imports`]) from the runtime's capabilities, always
//! as its own department.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, Store, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use chrono::NaiveDate;
use onething_contract::{Imports, Inserted, LogLevel, StoreFailure};
use onething_model::ids::DepartmentId;

use crate::Shared;
use crate::capabilities::Capabilities;
use crate::capabilities::http::{CallContext, CallHttp, Notes};
use crate::capabilities::kv::{DepartmentStore, UndoLog};
use crate::capabilities::log::{CallInput, CallLog, CapturedOutput, OutputDrops};
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
    /// The runtime's counters of dropped output.
    pub(crate) drops: Arc<OutputDrops>,
    pub(crate) started: Instant,
    pub(crate) timeout: Duration,
    pub(crate) deadline_hit: Option<Duration>,
    /// The department's key-value quota, and where it is set.
    kv_quota: (KvQuota, KvQuotaSource),
    /// The call's key-value writes, to take back if its attempt fails.
    pub(crate) undo: UndoLog,
    http_ctx: WasiHttpCtx,
    /// Its outgoing requests, under the department's policy.
    http: CallHttp,
}

impl WasiHttpView for CallState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http_ctx,
            table: &mut self.table,
            hooks: &mut self.http,
        }
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Bytes a table element counts for against the memory limit (a pointer).
pub(crate) const TABLE_ELEMENT_BYTES: usize = 8;

/// Holds one instance to its memory budget: all its linear memories and
/// tables together (the store holds exactly one component instance, so
/// the store's total is the instance's). Refused growth is remembered, so
/// the trap that follows can be reported as what it is.
///
/// Every growth the limiter allows is counted, even if wasmtime then fails
/// it for another reason (the memory type's own maximum): the count can
/// only err on the side of the limit.
pub(crate) struct MemoryLimiter {
    /// `limits.memory_bytes`.
    pub(crate) limit: usize,
    /// Bytes allowed so far, memories and tables together.
    pub(crate) used: usize,
    /// The total a refused growth would have reached.
    pub(crate) refused: Option<usize>,
}

impl MemoryLimiter {
    fn grow(&mut self, more: usize) -> bool {
        let total = self.used.saturating_add(more);
        if total > self.limit {
            self.refused = Some(total);
            return false;
        }
        self.used = total;
        true
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(desired.saturating_sub(current)))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow(
            desired
                .saturating_sub(current)
                .saturating_mul(TABLE_ELEMENT_BYTES),
        ))
    }
}

/// Build the store for one call of `department`'s plugin.
pub(crate) fn new_store(
    shared: &Shared,
    department: &DepartmentId,
    version: &str,
    input: Option<CallInput>,
    notes: Notes,
) -> Store<CallState> {
    let limits = &shared.limits;
    let log_limits = limits.log_limits();
    let stdout = CapturedOutput::new(log_limits.stdio_bytes_per_call);
    let stderr = CapturedOutput::new(log_limits.stdio_bytes_per_call);
    let mut wasi = WasiCtx::builder();
    wasi.stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    let http = CallHttp::new(
        shared.caps.outbound.clone(),
        CallContext {
            department: department.to_string(),
            application: input.as_ref().and_then(|i| i.application.clone()),
            step: input.as_ref().and_then(|i| i.step.clone()),
            notes,
        },
    );
    let input = input.map(|mut i| {
        // A secret the department reads is masked wherever its words are
        // kept, like a sensitive field.
        i.secrets
            .extend(shared.caps.outbound.secret_values().iter().cloned());
        i
    });
    let state = CallState {
        wasi: wasi.build(),
        table: ResourceTable::new(),
        limiter: MemoryLimiter {
            limit: limits.memory_bytes,
            used: 0,
            refused: None,
        },
        caps: shared.caps.clone(),
        log: CallLog::with_limits(department.clone(), version.to_owned(), log_limits)
            .carrying(input),
        stdout,
        stderr,
        drops: shared.drops.clone(),
        started: Instant::now(),
        timeout: limits.timeout_for(department),
        deadline_hit: None,
        kv_quota: limits.kv_quota_for(department),
        undo: UndoLog::default(),
        http_ctx: WasiHttpCtx::new(),
        http,
    };
    let mut store = Store::new(&shared.engine, state);
    store.limiter(|s| &mut s.limiter);
    // wasmtime's budget for what the guest hands the host in one transfer.
    store.set_hostcall_fuel(limits.max_host_copy_bytes);
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

    /// Pass what the plugin printed to the log sink and count what it
    /// dropped (at the end of a call).
    pub(crate) fn flush_output(&mut self) {
        use crate::capabilities::log::Stream;
        let sink = &*self.caps.log;
        self.stdout
            .flush_counted(Stream::Stdout, &self.log, sink, Some(&self.drops));
        self.stderr
            .flush_counted(Stream::Stderr, &self.log, sink, Some(&self.drops));
        self.log.finish(sink, &self.drops);
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

    async fn kv_insert_or_holder(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> Result<Inserted, StoreFailure> {
        // Refused, then read: if the holder went in between, try again.
        for _ in 0..3 {
            if self.kv().insert_new(&key, &value).await? {
                return Ok(Inserted::Set);
            }
            if let Some(holder) = self.kv().get(&key).await? {
                return Ok(Inserted::Held(holder));
            }
        }
        Err(StoreFailure::Unavailable(format!(
            "key {key} kept changing while it was reserved; try again"
        )))
    }

    async fn kv_delete(&mut self, key: String) -> Result<bool, StoreFailure> {
        self.kv().delete(&key).await
    }

    fn config_get(&mut self, key: &str) -> Option<String> {
        self.caps
            .outbound
            .config_get(self.log.department.as_str(), key)
    }

    fn config_keys(&mut self) -> Vec<String> {
        self.caps.outbound.config_keys(self.log.department.as_str())
    }

    fn config_secret(&mut self, name: &str) -> Option<String> {
        let department = self.log.department.as_str();
        let value = self.caps.outbound.secret(department, name);
        tracing::debug!(
            department,
            secret = name,
            found = value.is_some(),
            "a plugin read a secret"
        );
        value
    }
}
