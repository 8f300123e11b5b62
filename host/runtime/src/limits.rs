//! Sandbox limits: memory, wall-clock deadline, fuel, output size, what a
//! guest may hand the host and log, concurrency, and the pooling
//! allocator's size and what it keeps resident, with sane defaults and
//! per-department overrides of the deadline and concurrency.
//!
//! Every limit is a setting of `[limits]` in `onething.toml`; a message
//! about a limit names its setting and value. Not for enforcing them: the
//! per-call state, the loader's admission check and the engine's pool do.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use onething_model::ids::DepartmentId;

/// How instances are allocated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllocationStrategy {
    /// Pooling if the machine allows it, else on-demand with a warning.
    #[default]
    Auto,
    /// Pooling or fail.
    Pooling,
    /// Allocate each instance on demand.
    OnDemand,
}

/// Per-department overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentLimits {
    /// Wall-clock budget per call, in milliseconds.
    pub call_timeout_ms: Option<u64>,
    /// Calls of this department running at once.
    pub concurrency: Option<usize>,
    /// Keys this department may keep in its key-value store.
    pub kv_max_keys: Option<u64>,
    /// Bytes (keys and values) this department may keep in its key-value
    /// store.
    pub kv_max_bytes: Option<u64>,
}

/// Where a department's key-value quota is set: its own override, or the
/// general setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KvQuotaSource {
    /// `limits.departments.<department>.kv_max_keys` is set.
    pub keys_overridden: bool,
    /// `limits.departments.<department>.kv_max_bytes` is set.
    pub bytes_overridden: bool,
}

impl KvQuotaSource {
    /// The settings to change, keys then bytes.
    pub fn settings(self, department: &DepartmentId) -> (String, String) {
        let name = |overridden: bool, key: &str| {
            if overridden {
                format!("limits.departments.{department}.{key}")
            } else {
                format!("limits.{key}")
            }
        };
        (
            name(self.keys_overridden, "kv_max_keys"),
            name(self.bytes_overridden, "kv_max_bytes"),
        )
    }
}

/// The limits every plugin call runs under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Memory one component instance may hold, in bytes: all its linear
    /// memories and tables together (table elements count 8 bytes each).
    pub memory_bytes: usize,
    /// Wall-clock budget per call, in milliseconds (epoch deadline).
    pub call_timeout_ms: u64,
    /// Optional deterministic instruction budget per call.
    pub fuel: Option<u64>,
    /// Largest result a call may return, in bytes.
    pub max_output_bytes: usize,
    /// Calls of one department running at once.
    pub concurrency_per_department: usize,
    /// Most bytes a guest may hand the host in one transfer (a call's
    /// result, or the arguments of one import call such as `log`):
    /// wasmtime's host-copy budget.
    pub max_host_copy_bytes: usize,
    /// Component instances the pooling allocator reserves room for (calls
    /// running at once across all departments; further calls wait).
    pub pool_instances: u32,
    /// Core module instances one component may create; the pool holds
    /// `pool_instances` times this many.
    pub max_core_instances_per_component: u32,
    /// Linear memories one component may define in all its core modules;
    /// the pool holds `pool_instances` times this many.
    pub max_memories_per_component: u32,
    /// Tables one component may define in all its core modules; the pool
    /// holds `pool_instances` times this many.
    pub max_tables_per_component: u32,
    /// Bytes of each pooled linear memory kept resident (and reset in
    /// place) when its instance ends; the rest is returned to the system.
    pub pool_keep_resident_bytes: usize,
    /// Memories returned to the system together: 1 returns each at once;
    /// more saves system calls but leaves up to (this - 1) memories per
    /// CPU (at most 16) resident until their batch fills.
    pub pool_decommit_batch: usize,
    /// Unused pool slots kept warm for reuse before a slot last used by
    /// another component is taken over.
    pub pool_max_unused_warm_slots: u32,
    /// Most `log` records one call may write; further ones are dropped and
    /// counted.
    pub log_records_per_call: u32,
    /// Most bytes (messages and attributes) one call may log; further
    /// records are dropped and counted.
    pub log_bytes_per_call: usize,
    /// Most attributes kept per `log` record; the rest are dropped and
    /// counted in the record.
    pub log_attributes_per_record: usize,
    /// Most bytes of stdout, and of stderr, kept per call; the rest is
    /// dropped and counted.
    pub stdio_bytes_per_call: usize,
    /// What reaches the host's log of what a plugin logs and prints in a
    /// call with applicant data: `keys` (never text) or `text` (masked,
    /// best effort: for development).
    pub plugin_log: crate::capabilities::log::PluginLog,
    /// Pooling, on-demand, or pooling with fallback.
    pub allocation: AllocationStrategy,
    /// Wasm stack size, in bytes.
    pub max_wasm_stack_bytes: usize,
    /// Keys one department may keep in its key-value store.
    pub kv_max_keys: u64,
    /// Bytes (keys and values together) one department may keep in its
    /// key-value store.
    pub kv_max_bytes: u64,
    /// Per-department overrides.
    pub departments: BTreeMap<DepartmentId, DepartmentLimits>,
    /// Where compiled components are cached on disk, keyed by content
    /// digest, compiler settings and wasmtime version (none: no cache).
    pub compile_cache_dir: Option<std::path::PathBuf>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 128 << 20,
            call_timeout_ms: 2_000,
            fuel: None,
            max_output_bytes: 1 << 20,
            concurrency_per_department: 32,
            max_host_copy_bytes: 128 << 20,
            pool_instances: 256,
            max_core_instances_per_component: 32,
            max_memories_per_component: 4,
            max_tables_per_component: 16,
            pool_keep_resident_bytes: 1 << 20,
            pool_decommit_batch: 1,
            pool_max_unused_warm_slots: 16,
            log_records_per_call: 1_000,
            log_bytes_per_call: 64 << 10,
            log_attributes_per_record: 32,
            stdio_bytes_per_call: 64 << 10,
            plugin_log: crate::capabilities::log::PluginLog::Keys,
            allocation: AllocationStrategy::Auto,
            max_wasm_stack_bytes: 512 << 10,
            kv_max_keys: 10_000_000,
            kv_max_bytes: 1 << 30,
            departments: BTreeMap::new(),
            compile_cache_dir: None,
        }
    }
}

impl Limits {
    /// The call deadline for a department.
    pub fn timeout_for(&self, department: &DepartmentId) -> Duration {
        let ms = self
            .departments
            .get(department)
            .and_then(|d| d.call_timeout_ms)
            .unwrap_or(self.call_timeout_ms);
        Duration::from_millis(ms)
    }

    /// The concurrency limit for a department.
    pub fn concurrency_for(&self, department: &DepartmentId) -> usize {
        self.departments
            .get(department)
            .and_then(|d| d.concurrency)
            .unwrap_or(self.concurrency_per_department)
            .max(1)
    }

    /// A department's key-value quota, and where each half is set.
    pub fn kv_quota_for(
        &self,
        department: &DepartmentId,
    ) -> (onething_store::KvQuota, KvQuotaSource) {
        let own = self.departments.get(department);
        let keys = own.and_then(|d| d.kv_max_keys);
        let bytes = own.and_then(|d| d.kv_max_bytes);
        (
            onething_store::KvQuota {
                max_keys: keys.unwrap_or(self.kv_max_keys),
                max_bytes: bytes.unwrap_or(self.kv_max_bytes),
            },
            KvQuotaSource {
                keys_overridden: keys.is_some(),
                bytes_overridden: bytes.is_some(),
            },
        )
    }

    /// What one call may log and print.
    pub fn log_limits(&self) -> crate::capabilities::log::LogLimits {
        crate::capabilities::log::LogLimits {
            records_per_call: self.log_records_per_call,
            bytes_per_call: self.log_bytes_per_call,
            attributes_per_record: self.log_attributes_per_record,
            stdio_bytes_per_call: self.stdio_bytes_per_call,
            content: self.plugin_log,
        }
    }

    /// Refuse settings that cannot work, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        if self.memory_bytes < (1 << 20) {
            return Err(format!(
                "limits.memory_bytes = {} is under 1 MiB; no component can run",
                self.memory_bytes
            ));
        }
        if self.call_timeout_ms == 0 {
            return Err("limits.call_timeout_ms must be more than 0".into());
        }
        if self.fuel == Some(0) {
            return Err("limits.fuel must be more than 0 (or left out to disable fuel)".into());
        }
        if self.max_output_bytes == 0 {
            return Err("limits.max_output_bytes must be more than 0".into());
        }
        if self.pool_instances == 0 {
            return Err("limits.pool_instances must be more than 0".into());
        }
        if self.max_host_copy_bytes < self.max_output_bytes {
            return Err(format!(
                "limits.max_host_copy_bytes = {} is under limits.max_output_bytes = {}: a result of allowed size could not reach the host",
                self.max_host_copy_bytes, self.max_output_bytes
            ));
        }
        for (name, value) in [
            (
                "max_core_instances_per_component",
                self.max_core_instances_per_component,
            ),
            (
                "max_memories_per_component",
                self.max_memories_per_component,
            ),
            ("max_tables_per_component", self.max_tables_per_component),
        ] {
            if value == 0 {
                return Err(format!(
                    "limits.{name} must be more than 0; no component can run"
                ));
            }
        }
        if self.pool_decommit_batch == 0 {
            return Err("limits.pool_decommit_batch must be at least 1".into());
        }
        if self.pool_keep_resident_bytes > self.memory_bytes {
            return Err(format!(
                "limits.pool_keep_resident_bytes = {} is over limits.memory_bytes = {}",
                self.pool_keep_resident_bytes, self.memory_bytes
            ));
        }
        Ok(())
    }
}
