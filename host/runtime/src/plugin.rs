//! A loaded department component: compiled once, type-checked against the
//! contract into an `InstancePre`, described, and then called with a fresh
//! instance per call under the runtime's limits.
//!
//! Loading turns every way a component can be wrong into a [`LoadError`]
//! that names the file and what to rebuild; calling turns every way a call
//! can fail into a [`CallError`] that names the function and the limit.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use onething_contract::{ContractVersion, HandlerPre};
use onething_model::call::{
    CallMaterial, Field, Handled, OutputSize, ReturnedField, StepError, StepOutcome, StepRequest,
};
use onething_model::dictionary::{Dictionary, FieldKind, FieldValue, Sensitivity};
use onething_model::ids::{DepartmentId, Digest, FieldKey, StepId, StepRef};
use onething_model::manifest::{self, Manifest, RawManifest};
use onething_model::problem::Problem;
use tokio::sync::Semaphore;
use tracing::Instrument;
use wasmtime::component::Component;
use wasmtime::{Store, Trap};

use onething_store::DepartmentKv;

use crate::capabilities::http::Notes;
use crate::capabilities::kv::UndoLog;
use crate::capabilities::log::CallInput;
use crate::error::{CallError, LoadError};
use crate::footprint::Footprint;
use crate::state::{CallState, new_store};
use crate::{Runtime, Shared, redact};

/// The key-value writes of one attempt, to take back if it does not
/// stand.
pub struct Writes {
    undo: UndoLog,
    kv: Arc<dyn DepartmentKv>,
    department: DepartmentId,
}

impl Writes {
    /// How many writes the attempt made.
    pub fn len(&self) -> usize {
        self.undo.len()
    }

    /// Whether it made none.
    pub fn is_empty(&self) -> bool {
        self.undo.is_empty()
    }

    /// Take them back, newest first.
    pub async fn undo(self) {
        self.undo.undo(&*self.kv, &self.department).await;
    }
}

/// What one call used of the sandbox's limits: for test runners and
/// tools that show a department how close it runs to them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Instructions (fuel units) it ran, when fuel is on
    /// (`limits.fuel`).
    pub fuel: Option<u64>,
    /// Bytes its linear memories and tables reached (they only grow), as
    /// counted against `limits.memory_bytes`.
    pub memory_bytes: usize,
    /// Wall time from instantiation to its answer.
    pub wall: std::time::Duration,
    /// Size of its answer as `limits.max_output_bytes` counts it (0 when
    /// it failed).
    pub output_bytes: usize,
}

/// One `handle()` call's answer, its key-value writes and what it used.
pub struct Measured {
    /// What it answered, or how the call failed.
    pub result: Result<Handled, CallError>,
    /// Its writes, to take back if the attempt does not stand.
    pub writes: Writes,
    /// What it used of the limits.
    pub usage: Usage,
}

/// A loaded, described department component.
pub struct Plugin {
    shared: Arc<Shared>,
    pre: HandlerPre<CallState>,
    manifest: Manifest,
    digest: Digest,
    size: usize,
    origin: String,
    /// What the loader noticed that does not stop it (a setting nearly
    /// filled), each naming the setting.
    warnings: Vec<String>,
    semaphore: Arc<Semaphore>,
    /// Keys the dictionary marks sensitive.
    sensitive: Arc<BTreeSet<FieldKey>>,
    /// Keys the dictionary types as money (converted for 0.1.0).
    money: Arc<BTreeSet<FieldKey>>,
}

/// A step's error with what the host noticed of its outgoing requests
/// (a limit hit, a refusal, each naming its setting); a transient error
/// after a request found its system taken as down is that system's
/// being unreachable.
fn with_notes(result: Result<Handled, CallError>, notes: &Notes) -> Result<Handled, CallError> {
    let taken = notes.taken();
    let add = |m: String| {
        if taken.is_empty() {
            m
        } else {
            format!("{m} [the host: {}]", taken.join("; "))
        }
    };
    result.map(|handled| match handled {
        Err(StepError::Transient(m)) => match notes.system_down() {
            Some((origin, retry_in)) => Err(StepError::Unreachable {
                message: add(m),
                origin,
                retry_in_ms: retry_in.as_millis() as u64,
            }),
            None => Err(StepError::Transient(add(m))),
        },
        Err(StepError::Permanent(m)) => Err(StepError::Permanent(add(m))),
        other => other,
    })
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("department", &self.manifest.department)
            .field("version", &self.manifest.version)
            .field("digest", &self.digest)
            .field("contract", &self.pre.version())
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Load a component from bytes; `origin` names it in errors.
    pub async fn load_bytes(
        &self,
        bytes: Vec<u8>,
        origin: &str,
        dict: &Dictionary,
    ) -> Result<Plugin, LoadError> {
        let (component, warnings) = self.compile(bytes.clone(), origin).await?;
        let digest = Digest::of(&bytes);
        let shared = self.shared().clone();
        let version =
            onething_contract::detect(&shared.engine, &component, &bytes).map_err(|source| {
                LoadError::World {
                    origin: origin.into(),
                    source,
                }
            })?;
        let mismatch = |e: wasmtime::Error| LoadError::TypeMismatch {
            origin: origin.into(),
            expected: version,
            detail: format!("{e:#}"),
        };
        let instance_pre = shared
            .linker
            .instantiate_pre(&component)
            .map_err(mismatch)?;
        let pre = HandlerPre::new(version, instance_pre).map_err(mismatch)?;
        // describe() runs before the department is known: name it by file.
        let provisional =
            DepartmentId::parse("unknown").map_err(|e| LoadError::Config(e.to_string()))?;
        let raw = call_describe(&shared, &pre, &provisional)
            .await
            .map_err(|source| LoadError::Describe {
                origin: origin.into(),
                source,
            })?;
        let manifest = manifest::validate(raw, dict).map_err(|source| LoadError::Manifest {
            origin: origin.into(),
            source,
        })?;
        let kind_of = |k: &FieldKey| dict.field(k).map(|f| &f.kind);
        if !version.has_lists() {
            for step in &manifest.steps {
                let reads = step.reads.iter().map(|n| ("reads", &n.key));
                let writes = step.writes.iter().map(|k| ("writes", k));
                if let Some((uses, key)) = reads
                    .chain(writes)
                    .find(|(_, k)| matches!(kind_of(k), Some(FieldKind::List { .. })))
                {
                    return Err(LoadError::ListInOldContract {
                        origin: origin.into(),
                        version,
                        step: step.id.to_string(),
                        uses,
                        key: key.to_string(),
                    });
                }
            }
        }
        for warning in &warnings {
            tracing::warn!(department = %manifest.department, version = %manifest.version, origin, "{warning}");
        }
        let semaphore = shared.semaphore(&manifest.department);
        tracing::info!(department = %manifest.department, version = %manifest.version, contract = version.as_str(), digest = %digest.short(), origin, "plugin loaded");
        Ok(Plugin {
            shared,
            pre,
            manifest,
            digest,
            size: bytes.len(),
            origin: origin.into(),
            warnings,
            semaphore,
            sensitive: Arc::new(
                dict.fields()
                    .filter(|f| f.sensitivity == Sensitivity::Sensitive)
                    .map(|f| f.key.clone())
                    .collect(),
            ),
            money: Arc::new(
                dict.fields()
                    .filter(|f| matches!(f.kind, FieldKind::Money { .. }))
                    .map(|f| f.key.clone())
                    .collect(),
            ),
        })
    }

    /// The compiled component, and the warnings of its footprint
    /// ([`Footprint::warnings`]).
    async fn compile(
        &self,
        bytes: Vec<u8>,
        origin: &str,
    ) -> Result<(Component, Vec<String>), LoadError> {
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            return Err(LoadError::NotWasm {
                origin: origin.into(),
                detail: not_wasm(&bytes),
            });
        }
        if bytes[4..8] == [1, 0, 0, 0] {
            return Err(LoadError::CoreModule {
                origin: origin.into(),
            });
        }
        let limits = &self.shared().limits;
        let mut warnings = Vec::new();
        if let Some(footprint) = Footprint::of(&bytes) {
            let faults = footprint.faults(limits);
            if !faults.is_empty() {
                return Err(LoadError::DoesNotFit {
                    origin: origin.into(),
                    detail: faults.join("; "),
                });
            }
            warnings = footprint.warnings(limits);
        }
        let engine = self.engine().clone();
        let origin_owned = origin.to_owned();
        let compiled = tokio::task::spawn_blocking(move || Component::from_binary(&engine, &bytes))
            .await
            .map_err(|e| LoadError::Invalid {
                origin: origin_owned.clone(),
                detail: format!("compiler task failed: {e}"),
            })?;
        compiled.map(|c| (c, warnings)).map_err(|e| {
            let detail = format!("{e:#}");
            if detail.contains("pooling allocator") {
                // The pool's own check, for what the count above cannot see.
                LoadError::DoesNotFit {
                    origin: origin_owned,
                    detail: format!(
                        "{detail} (the pool holds per component limits.max_core_instances_per_component = {}, limits.max_memories_per_component = {}, limits.max_tables_per_component = {} and memories of limits.memory_bytes = {})",
                        limits.max_core_instances_per_component,
                        limits.max_memories_per_component,
                        limits.max_tables_per_component,
                        limits.memory_bytes
                    ),
                }
            } else {
                LoadError::Invalid {
                    origin: origin_owned,
                    detail,
                }
            }
        })
    }
}

/// Why bytes that do not start with the Wasm magic are not a component,
/// and what to build instead.
fn not_wasm(bytes: &[u8]) -> String {
    const BUILD: &str = "build the plugin with `cargo build --release --target wasm32-wasip2` (Rust 1.82+) and load the .wasm it writes";
    if bytes.is_empty() {
        return "the file is empty".to_string();
    }
    let native = match bytes {
        [0x7f, b'E', b'L', b'F', ..] => Some("a native ELF executable or library (Linux)"),
        [0xcf, 0xfa, 0xed, 0xfe, ..]
        | [0xce, 0xfa, 0xed, 0xfe, ..]
        | [0xfe, 0xed, 0xfa, 0xcf, ..]
        | [0xfe, 0xed, 0xfa, 0xce, ..]
        | [0xca, 0xfe, 0xba, 0xbe, ..] => Some("a native Mach-O executable or library (macOS)"),
        [b'M', b'Z', ..] => Some("a native Windows executable or DLL"),
        [b'!', b'<', b'a', b'r', b'c', b'h', b'>', ..] => Some(
            "a static library archive (an rlib or .a; the crate needs `crate-type = [\"cdylib\"]`)",
        ),
        _ => None,
    };
    match native {
        Some(kind) => format!("it is {kind}, not WebAssembly: {BUILD}"),
        None => {
            let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!(
                "it starts with bytes [{}], not the Wasm magic 00 61 73 6d: {BUILD}",
                shown.join(" ")
            )
        }
    }
}

/// Run `$call` on a fresh instance of `$pre` under the limits, turning any
/// failure into a [`CallError`] and checking the output size. What the
/// plugin printed goes to the log sink, masked, whatever happened. Gives
/// the result, the call's key-value writes and what it used ([`Usage`]).
macro_rules! fresh_call {
    ($shared:expr, $pre:expr, $department:expr, $version:expr, $input:expr, $notes:expr, $function:literal, |$store:ident, $instance:ident| $call:expr) => {{
        let shared: &Shared = $shared;
        // A pool slot: calls beyond the pool's size wait here rather than
        // fail to instantiate.
        let _slot = shared.slots.acquire().await.ok();
        let mut $store = new_store(shared, $department, $version, $input, $notes);
        let started = Instant::now();
        let result = async {
            let $instance = $pre.instantiate(&mut $store).await.map_err(|e| (true, e))?;
            $call.await.map_err(|e| (false, e))
        }
        .await;
        let state = $store.data_mut();
        let lines = state.stderr.last_lines(STDERR_LINES, STDERR_LINE_BYTES);
        // From a call with applicant data, by default none of its text.
        let last_stderr: Vec<String> = if state.log.keys_only() && !lines.is_empty() {
            vec![format!(
                "{} lines not kept (limits.plugin_log = \"keys\")",
                lines.len()
            )]
        } else {
            lines
                .iter()
                .map(|l| redact(l, state.log.secrets()).into_owned())
                .collect()
        };
        state.flush_output();
        let undo = state.undo.clone();
        let mut usage = Usage {
            fuel: None,
            memory_bytes: state.limiter.used,
            wall: started.elapsed(),
            output_bytes: 0,
        };
        if let Some(budget) = shared.limits.fuel {
            usage.fuel = $store
                .get_fuel()
                .ok()
                .map(|left| budget.saturating_sub(left));
        }
        let result = match result {
            Ok(out) => {
                let size = out.output_size();
                usage.output_bytes = size;
                if size > shared.limits.max_output_bytes {
                    Err(CallError::OutputTooLarge {
                        function: $function,
                        limit: shared.limits.max_output_bytes,
                        actual: size,
                    })
                } else {
                    Ok(out)
                }
            }
            Err((instantiating, e)) => Err(classify(
                &$store,
                $function,
                instantiating,
                e,
                started,
                &last_stderr,
                &shared.limits,
            )),
        };
        (result, undo, usage)
    }};
}

/// How many of the guest's last stderr lines a trap message carries.
const STDERR_LINES: usize = 8;
/// How long each of those lines may be, in bytes.
const STDERR_LINE_BYTES: usize = 240;

/// The text of wasmtime's error when a guest hands the host more than the
/// host-copy budget (the error type is private to wasmtime).
const HOST_COPY_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

fn classify(
    store: &Store<CallState>,
    function: &'static str,
    instantiating: bool,
    e: wasmtime::Error,
    started: Instant,
    stderr: &[String],
    limits: &crate::Limits,
) -> CallError {
    let state = store.data();
    let elapsed = started.elapsed();
    if let Some(elapsed) = state.deadline_hit {
        return CallError::Deadline {
            function,
            limit: state.timeout,
            elapsed,
        };
    }
    if let Some(requested) = state.limiter.refused {
        return CallError::Memory {
            function,
            limit: state.limiter.limit,
            requested,
        };
    }
    if let (Some(Trap::OutOfFuel), Some(limit)) = (e.downcast_ref::<Trap>(), limits.fuel) {
        return CallError::Fuel {
            function,
            limit,
            elapsed,
        };
    }
    if e.chain()
        .any(|cause| cause.to_string().contains(HOST_COPY_EXHAUSTED))
    {
        return CallError::HostCopy {
            function,
            limit: limits.max_host_copy_bytes,
        };
    }
    if instantiating && e.downcast_ref::<Trap>().is_none() {
        return CallError::Instantiate {
            function,
            message: format!("{e:#}"),
        };
    }
    let trap = e
        .downcast_ref::<Trap>()
        .map_or_else(|| format!("{e:#}"), |t| t.to_string());
    let message = if stderr.is_empty() {
        trap
    } else {
        format!(
            "{trap}; the plugin's last lines on stderr: {}",
            stderr.join(" | ")
        )
    };
    CallError::Trap { function, message }
}

/// [`fresh_call!`] on this plugin's own pre-instance and identity.
macro_rules! on_this_plugin {
    ($self:ident, $input:expr, $notes:expr, $function:literal, |$store:ident, $instance:ident| $call:expr) => {
        fresh_call!(
            &$self.shared,
            $self.pre,
            &$self.manifest.department,
            &$self.manifest.version,
            Some($input),
            $notes,
            $function,
            |$store, $instance| $call
        )
    };
}

async fn call_describe(
    shared: &Arc<Shared>,
    pre: &HandlerPre<CallState>,
    department: &DepartmentId,
) -> Result<RawManifest, CallError> {
    fresh_call!(
        shared,
        pre,
        department,
        "?",
        None,
        Notes::default(),
        "describe",
        |store, h| h.describe(&mut store)
    )
    .0
}

impl Plugin {
    /// What the loader noticed that does not stop it, each naming the
    /// setting to change (logged at load too).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The validated manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The department id.
    pub fn department(&self) -> &DepartmentId {
        &self.manifest.department
    }

    /// The content digest of the component's bytes.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The contract version the component speaks.
    pub fn contract(&self) -> ContractVersion {
        self.pre.version()
    }

    /// The component's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Where it was loaded from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Call `describe()` again on a fresh instance.
    pub async fn describe(&self) -> Result<RawManifest, CallError> {
        let _permit = self.permit().await;
        call_describe(&self.shared, &self.pre, &self.manifest.department).await
    }

    /// Call `check()` for a step of `application` (when the draft has
    /// one): the problems it reports, found by that step of this
    /// department.
    pub async fn check(
        &self,
        application: Option<&str>,
        step: &StepId,
        fields: &[Field],
        materials: &[CallMaterial],
    ) -> Result<Vec<Problem>, CallError> {
        let _permit = self.permit().await;
        let input = self.input(fields, application, step);
        let reported = on_this_plugin!(self, input, Notes::default(), "check", |store, h| h.check(
            &mut store,
            application,
            step.as_str(),
            fields,
            materials
        ))
        .0?;
        let by = StepRef {
            department: self.manifest.department.clone(),
            step: step.clone(),
        };
        Ok(reported.into_iter().map(|p| p.found_by(&by)).collect())
    }

    /// Call `prefill()` for a step: what the department returned, not yet
    /// checked.
    pub async fn prefill(
        &self,
        application: Option<&str>,
        step: &StepId,
        known: &[Field],
    ) -> Result<Vec<ReturnedField>, CallError> {
        let _permit = self.permit().await;
        let input = self.input(known, application, step);
        on_this_plugin!(self, input, Notes::default(), "prefill", |store, h| h
            .prefill(&mut store, application, step.as_str(), known))
        .0
        .map(|fields| self.money_of_0_1(fields))
    }

    /// Call `handle()` for one attempt at a step. When the attempt fails
    /// (the call fails, or the department returns an error), the
    /// key-value writes it made are taken back.
    pub async fn handle(&self, request: &StepRequest) -> Result<Handled, CallError> {
        let (result, writes) = self.handle_recorded(request).await;
        if !matches!(result, Ok(Ok(_))) {
            writes.undo().await;
        }
        result
    }

    /// Call `handle()` for one attempt at a step, keeping its key-value
    /// writes: the caller takes them back ([`Writes::undo`]) when the
    /// attempt does not stand (an output it refuses, say), or lets them
    /// be.
    pub async fn handle_recorded(
        &self,
        request: &StepRequest,
    ) -> (Result<Handled, CallError>, Writes) {
        let m = self.handle_measured(request).await;
        (m.result, m.writes)
    }

    /// [`Plugin::handle_recorded`], with what the call used of the limits.
    pub async fn handle_measured(&self, request: &StepRequest) -> Measured {
        let _permit = self.permit().await;
        let span = tracing::info_span!("step", department = %self.manifest.department, step = %request.step, version = %self.manifest.version, application = %request.application, attempt = request.attempt);
        let notes = Notes::default();
        let input = self.input(&request.fields, Some(&request.application), &request.step);
        let (result, undo, usage) = async {
            on_this_plugin!(self, input, notes.clone(), "handle", |store, h| h
                .handle(&mut store, request))
        }
        .instrument(span)
        .await;
        let result = with_notes(result, &notes).map(|handled| {
            handled.map(|outcome| match outcome {
                StepOutcome::Approved(mut a) => {
                    a.fields = self.money_of_0_1(a.fields);
                    StepOutcome::Approved(a)
                }
                other => other,
            })
        });
        let writes = Writes {
            undo,
            kv: self.shared.caps.kv.clone(),
            department: self.manifest.department.clone(),
        };
        Measured {
            result,
            writes,
            usage,
        }
    }

    /// What a call with `fields` carries, for its logging: their keys,
    /// and the values of the sensitive ones (by the dictionary), masked
    /// when the text is kept. Very short values are not masked: masking
    /// "1" everywhere would hide nothing.
    fn input(&self, fields: &[Field], application: Option<&str>, step: &StepId) -> CallInput {
        CallInput {
            application: application.map(str::to_owned),
            step: Some(step.to_string()),
            keys: fields.iter().map(|f| f.key.to_string()).collect(),
            secrets: fields
                .iter()
                .filter(|f| self.sensitive.contains(&f.key))
                .filter_map(|f| match &f.value {
                    FieldValue::Text(t) if t.chars().count() >= 4 => Some(t.clone()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// A 0.1.0 department gives money as a decimal of yuan: the fields
    /// the dictionary types as money, in fen (or refused if not whole
    /// fen). Newer departments' fields pass as they are.
    fn money_of_0_1(&self, fields: Vec<ReturnedField>) -> Vec<ReturnedField> {
        if self.pre.version().has_money() || self.money.is_empty() {
            return fields;
        }
        fields
            .into_iter()
            .map(|mut f| {
                if let Ok(FieldValue::Decimal(yuan)) = f.value
                    && FieldKey::parse(&f.key).is_ok_and(|k| self.money.contains(&k))
                {
                    f.value =
                        onething_contract::v0_1::money_from_decimal(yuan).map(FieldValue::Money);
                }
                f
            })
            .collect()
    }

    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.semaphore.acquire().await.ok()
    }
}
