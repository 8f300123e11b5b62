//! The sandbox: a wasmtime engine configured for department components,
//! the per-call store every plugin call runs in, and what a department
//! may import.
//!
//! One [`Runtime`] per host. It owns the engine (component model, async,
//! pooling allocator when the machine can reserve it, epoch interruption,
//! optional fuel), one linker with WASI p2 (nothing granted) and the
//! imports of every contract version, wired to the host's [`capabilities`],
//! and a thread that advances the epoch. Loading a component gives a
//! [`Plugin`] that speaks model types whatever contract version the
//! component was built against; every call on it gets a fresh instance in
//! a fresh store (`state`). Component signatures are [`signing`].
//!
//! Not for deciding what a step may see or write (the model's rules and
//! the engine), nor for which version serves (the catalog).

pub mod capabilities;
mod error;
mod footprint;
mod limits;
mod plugin;
pub mod signing;
mod state;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onething_model::ids::DepartmentId;
use tokio::sync::Semaphore;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::capabilities::Capabilities;

pub use capabilities::log::{LogLimits, MASK, OutputDrops, redact};
pub use error::{CallError, LoadError};
pub use footprint::Footprint;
pub use limits::{AllocationStrategy, DepartmentLimits, KvQuotaSource, Limits};
pub use onething_contract::ContractVersion;
pub use plugin::{Measured, Plugin, Usage, Writes};
pub use state::CallState;

/// How often the epoch advances. Call deadlines are checked at this grain.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// The wasmtime engine, linker and capabilities shared by every plugin.
pub struct Runtime {
    shared: Arc<Shared>,
    _ticker: EpochTicker,
}

/// State every plugin of a runtime refers to.
pub(crate) struct Shared {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<CallState>,
    pub(crate) limits: Limits,
    pub(crate) caps: Capabilities,
    pub(crate) pooling: bool,
    /// What plugins dropped over their output limits.
    pub(crate) drops: Arc<OutputDrops>,
    /// One permit per pool slot (`pool_instances`), so calls beyond the
    /// pool's size wait instead of failing to instantiate.
    pub(crate) slots: Arc<Semaphore>,
    semaphores: Mutex<HashMap<DepartmentId, Arc<Semaphore>>>,
}

impl Shared {
    /// The concurrency limiter of a department, shared across its versions.
    pub(crate) fn semaphore(&self, department: &DepartmentId) -> Arc<Semaphore> {
        let mut map = match self.semaphores.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.entry(department.clone())
            .or_insert_with(|| Arc::new(Semaphore::new(self.limits.concurrency_for(department))))
            .clone()
    }
}

impl Runtime {
    /// Build the engine and linker. With [`AllocationStrategy::Auto`] the
    /// pooling allocator is tried first and, if the machine cannot reserve
    /// its virtual memory, the runtime falls back to on-demand allocation
    /// with a warning.
    pub fn new(limits: Limits, caps: Capabilities) -> Result<Self, LoadError> {
        limits.check().map_err(LoadError::Config)?;
        let (engine, pooling) = match limits.allocation {
            AllocationStrategy::OnDemand => (build_engine(&limits, false)?, false),
            AllocationStrategy::Pooling => (build_engine(&limits, true)?, true),
            AllocationStrategy::Auto => match build_engine(&limits, true) {
                Ok(e) => (e, true),
                Err(err) => {
                    tracing::warn!(error = %err, "pooling allocator unavailable on this machine; falling back to on-demand instance allocation");
                    (build_engine(&limits, false)?, false)
                }
            },
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(|e| LoadError::Config(format!("linking WASI: {e}")))?;
        onething_contract::add_to_linker(&mut linker)
            .map_err(|e| LoadError::Config(format!("linking host capabilities: {e}")))?;
        // Outgoing HTTP for 0.2.0 departments, every request through the
        // outbound policy (`capabilities::http`).
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(|e| LoadError::Config(format!("linking wasi:http: {e}")))?;
        let ticker = EpochTicker::start(engine.clone());
        let slots = Arc::new(Semaphore::new(limits.pool_instances as usize));
        Ok(Self {
            shared: Arc::new(Shared {
                engine,
                linker,
                limits,
                caps,
                pooling,
                drops: Arc::new(OutputDrops::default()),
                slots,
                semaphores: Mutex::new(HashMap::new()),
            }),
            _ticker: ticker,
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.shared.limits
    }

    /// Whether the pooling allocator is in use.
    pub fn is_pooling(&self) -> bool {
        self.shared.pooling
    }

    /// What plugins' calls have dropped over their log and output limits
    /// since the runtime started (for metrics).
    pub fn output_drops(&self) -> Arc<OutputDrops> {
        self.shared.drops.clone()
    }

    /// The wasmtime engine (for benchmarks and compile caches).
    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }
}

fn build_engine(limits: &Limits, pooling: bool) -> Result<Engine, LoadError> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.consume_fuel(limits.fuel.is_some());
    config.max_wasm_stack(limits.max_wasm_stack_bytes);
    if let Some(dir) = &limits.compile_cache_dir {
        let mut cache = wasmtime::CacheConfig::new();
        cache.with_directory(dir);
        let cache = wasmtime::Cache::new(cache)
            .map_err(|e| LoadError::Config(format!("compile cache in {}: {e:#}", dir.display())))?;
        config.cache(Some(cache));
    }
    if pooling {
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool_config(limits)));
    }
    Engine::new(&config)
        .map_err(|e| LoadError::Config(format!("creating the wasmtime engine: {e:#}")))
}

/// The pooling allocator sized from the limits: room for `pool_instances`
/// component instances, each with up to the per-component maxima of core
/// instances, memories and tables, so any admitted component fits in any
/// free slot.
fn pool_config(limits: &Limits) -> PoolingAllocationConfig {
    let instances = limits.pool_instances;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(instances)
        .total_core_instances(instances.saturating_mul(limits.max_core_instances_per_component))
        .total_memories(instances.saturating_mul(limits.max_memories_per_component))
        .total_tables(instances.saturating_mul(limits.max_tables_per_component))
        .total_stacks(instances)
        .max_memory_size(limits.memory_bytes)
        .max_memories_per_component(limits.max_memories_per_component)
        .max_memories_per_module(limits.max_memories_per_component)
        .max_tables_per_component(limits.max_tables_per_component)
        .max_tables_per_module(limits.max_tables_per_component)
        .max_core_instances_per_component(limits.max_core_instances_per_component)
        // What stays resident when an instance ends: the first
        // `pool_keep_resident_bytes` of each memory (reset in place; where
        // the kernel can (Linux 6.7+), only the pages a call dirtied), and
        // what waits in a decommit batch. See the operator guide's bound.
        .decommit_batch_size(limits.pool_decommit_batch)
        .linear_memory_keep_resident(limits.pool_keep_resident_bytes)
        .max_unused_warm_slots(limits.pool_max_unused_warm_slots)
        .pagemap_scan(wasmtime::Enabled::Auto)
        .table_keep_resident(TABLE_KEEP_RESIDENT);
    pool
}

/// Bytes of each pooled table kept resident between instances.
pub const TABLE_KEEP_RESIDENT: usize = 16 << 10;

/// Advances the engine's epoch every [`EPOCH_TICK`] on its own thread until
/// dropped.
struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    fn start(engine: Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("onething-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the epoch thread: call deadlines will not fire");
        }
        Self { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
