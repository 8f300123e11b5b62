//! A loaded department component: compiled once, type-checked against the
//! contract into an `InstancePre`, described, and then called with a fresh
//! instance per call under the runtime's limits.
//!
//! Loading turns every way a component can be wrong into a [`LoadError`]
//! that names the file and what to rebuild; calling turns every way a call
//! can fail into a [`CallError`] that names the function and the limit.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tracing::Instrument;
use wasmtime::component::Component;
use wasmtime::{Store, Trap};

use super::error::{CallError, LoadError};
use super::state::{CallState, new_store, redact};
use super::{Runtime, Shared};
use crate::bindings::{DepartmentPre, HANDLER_EXPORT, OutputSize, WIT_VERSION, handler, types};
use crate::dictionary::Dictionary;
use crate::ids::{DepartmentId, Digest, StepId};
use crate::manifest::{self, Manifest};

/// One attempt at a step, as the runtime passes it to a plugin.
#[derive(Debug, Clone)]
pub struct StepCall {
    /// Application id.
    pub application: String,
    /// Step id.
    pub step: StepId,
    /// Idempotency key (application + step).
    pub idempotency_key: String,
    /// Attempt number from 1.
    pub attempt: u32,
    /// The fields the step may see.
    pub fields: Vec<types::Field>,
    /// The materials the step may see.
    pub materials: Vec<types::Material>,
}

/// A loaded, described department component.
pub struct Plugin {
    shared: Arc<Shared>,
    pre: DepartmentPre<CallState>,
    manifest: Manifest,
    digest: Digest,
    size: usize,
    origin: String,
    semaphore: Arc<Semaphore>,
    /// Keys the dictionary marks sensitive.
    sensitive: Arc<std::collections::BTreeSet<String>>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("department", &self.manifest.department)
            .field("version", &self.manifest.version)
            .field("digest", &self.digest)
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// Load a component file.
    pub async fn load_file(&self, path: &Path, dict: &Dictionary) -> Result<Plugin, LoadError> {
        let origin = path.display().to_string();
        let bytes = tokio::fs::read(path)
            .await
            .map_err(|source| LoadError::Io {
                origin: origin.clone(),
                source,
            })?;
        self.load_bytes(bytes, &origin, dict).await
    }

    /// Load a component from bytes; `origin` names it in errors.
    pub async fn load_bytes(
        &self,
        bytes: Vec<u8>,
        origin: &str,
        dict: &Dictionary,
    ) -> Result<Plugin, LoadError> {
        let component = self.compile(bytes.clone(), origin).await?;
        let digest = Digest::of(&bytes);
        let shared = self.shared().clone();
        check_world(&shared, &component, &bytes, origin)?;
        let instance_pre =
            shared
                .linker
                .instantiate_pre(&component)
                .map_err(|e| LoadError::TypeMismatch {
                    origin: origin.into(),
                    expected: WIT_VERSION,
                    detail: format!("{e:#}"),
                })?;
        let pre = DepartmentPre::new(instance_pre).map_err(|e| LoadError::TypeMismatch {
            origin: origin.into(),
            expected: WIT_VERSION,
            detail: format!("{e:#}"),
        })?;
        // describe() runs before the department is known: name it by file.
        let provisional =
            DepartmentId::parse("unknown").map_err(|e| LoadError::Config(e.to_string()))?;
        let raw = call_describe(&shared, &pre, &provisional, &digest)
            .await
            .map_err(|source| LoadError::Describe {
                origin: origin.into(),
                source,
            })?;
        let manifest = manifest::validate(raw, dict).map_err(|source| LoadError::Manifest {
            origin: origin.into(),
            source,
        })?;
        let semaphore = shared.semaphore(&manifest.department);
        tracing::info!(department = %manifest.department, version = %manifest.version, digest = %digest.short(), origin, "plugin loaded");
        Ok(Plugin {
            shared,
            pre,
            manifest,
            digest,
            size: bytes.len(),
            origin: origin.into(),
            semaphore,
            sensitive: Arc::new(
                dict.fields()
                    .filter(|f| f.sensitivity == crate::dictionary::Sensitivity::Sensitive)
                    .map(|f| f.key.to_string())
                    .collect(),
            ),
        })
    }

    async fn compile(&self, bytes: Vec<u8>, origin: &str) -> Result<Component, LoadError> {
        if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
            let shown: Vec<String> = bytes.iter().take(8).map(|b| format!("{b:02x}")).collect();
            let detail = if bytes.is_empty() {
                "the file is empty".to_string()
            } else {
                format!(
                    "it starts with bytes [{}], not the Wasm magic 00 61 73 6d",
                    shown.join(" ")
                )
            };
            return Err(LoadError::NotWasm {
                origin: origin.into(),
                detail,
            });
        }
        if bytes[4..8] == [1, 0, 0, 0] {
            return Err(LoadError::CoreModule {
                origin: origin.into(),
            });
        }
        let engine = self.engine().clone();
        let origin_owned = origin.to_owned();
        tokio::task::spawn_blocking(move || Component::from_binary(&engine, &bytes))
            .await
            .map_err(|e| LoadError::Invalid {
                origin: origin_owned.clone(),
                detail: format!("compiler task failed: {e}"),
            })?
            .map_err(|e| LoadError::Invalid {
                origin: origin_owned,
                detail: format!("{e:#}"),
            })
    }
}

/// Refuse a component that does not export the handler, exports it at
/// another WIT version, or imports what the host does not grant — each
/// with a message that says what to rebuild.
fn check_world(
    shared: &Shared,
    component: &Component,
    bytes: &[u8],
    origin: &str,
) -> Result<(), LoadError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty
        .exports(&shared.engine)
        .map(|(name, _)| name.to_owned())
        .collect();
    if !exports.iter().any(|e| e == HANDLER_EXPORT) {
        if let Some(other) = exports
            .iter()
            .find_map(|e| e.strip_prefix("onething:matter/handler@"))
        {
            return Err(LoadError::WitVersion {
                origin: origin.into(),
                found: other.to_owned(),
                expected: WIT_VERSION,
                differences: super::contract::handler_differences(bytes),
            });
        }
        return Err(LoadError::WrongWorld {
            origin: origin.into(),
            exports,
            expected: WIT_VERSION,
        });
    }
    for (name, _) in ty.imports(&shared.engine) {
        if let Some(rest) = name.strip_prefix("onething:matter/") {
            let version = rest.split_once('@').map_or("", |(_, v)| v);
            if version != WIT_VERSION {
                return Err(LoadError::WitVersion {
                    origin: origin.into(),
                    found: version.to_owned(),
                    expected: WIT_VERSION,
                    differences: super::contract::handler_differences(bytes),
                });
            }
            let iface = rest.split('@').next().unwrap_or("");
            if !matches!(iface, "log" | "clock" | "store" | "types") {
                return Err(LoadError::UnknownImport {
                    origin: origin.into(),
                    import: name.to_owned(),
                });
            }
        } else if !name.starts_with("wasi:") {
            return Err(LoadError::UnknownImport {
                origin: origin.into(),
                import: name.to_owned(),
            });
        }
    }
    Ok(())
}

/// Run `$call` on a fresh instance of `$pre` under the limits, turning any
/// failure into a [`CallError`] and checking the output size.
macro_rules! fresh_call {
    ($shared:expr, $pre:expr, $department:expr, $version:expr, $digest:expr, $secrets:expr, $function:literal, |$store:ident, $instance:ident| $call:expr) => {{
        let shared: &Shared = $shared;
        let mut $store = new_store(shared, $department, $version, $digest);
        $store.data_mut().secrets = $secrets;
        let started = Instant::now();
        let result = async {
            let instance = $pre
                .instantiate_async(&mut $store)
                .await
                .map_err(|e| (true, e))?;
            let $instance = instance.onething_matter_handler();
            $call.await.map_err(|e| (false, e))
        }
        .await;
        let state = $store.data();
        state.stdout.flush_to_tracing(
            "stdout",
            state.department.as_str(),
            &state.version,
            &state.secrets,
        );
        let last_stderr = redact(&state.stderr.contents(), &state.secrets).into_owned();
        state.stderr.flush_to_tracing(
            "stderr",
            state.department.as_str(),
            &state.version,
            &state.secrets,
        );
        match result {
            Ok(out) => {
                let size = out.output_size();
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
                shared.limits.fuel,
            )),
        }
    }};
}

fn classify(
    store: &Store<CallState>,
    function: &'static str,
    instantiating: bool,
    e: wasmtime::Error,
    started: Instant,
    stderr: &str,
    fuel: Option<u64>,
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
    if let (Some(Trap::OutOfFuel), Some(limit)) = (e.downcast_ref::<Trap>(), fuel) {
        return CallError::Fuel {
            function,
            limit,
            elapsed,
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
        .map_or_else(|| e.to_string(), |t| t.to_string());
    let panic = stderr.lines().find(|l| l.contains("panicked at")).map(|l| {
        let mut rest = stderr.split_once(l).map_or("", |(_, r)| r).lines();
        let detail = rest.next().unwrap_or("").trim();
        if detail.is_empty() {
            l.trim().to_owned()
        } else {
            format!("{} {detail}", l.trim())
        }
    });
    let message = match panic {
        Some(p) => format!("{trap} ({p})"),
        None => trap,
    };
    CallError::Trap { function, message }
}

/// [`fresh_call!`] on this plugin's own pre-instance and identity.
macro_rules! on_this_plugin {
    ($self:ident, $secrets:expr, $function:literal, |$store:ident, $instance:ident| $call:expr) => {
        fresh_call!(
            &$self.shared,
            $self.pre,
            &$self.manifest.department,
            &$self.manifest.version,
            &$self.digest,
            $secrets,
            $function,
            |$store, $instance| $call
        )
    };
}

async fn call_describe(
    shared: &Arc<Shared>,
    pre: &DepartmentPre<CallState>,
    department: &DepartmentId,
    digest: &Digest,
) -> Result<types::Manifest, CallError> {
    fresh_call!(
        shared,
        pre,
        department,
        "?",
        digest,
        Vec::new(),
        "describe",
        |store, h| h.call_describe(&mut store)
    )
}

impl Plugin {
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

    /// The component's size in bytes.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Where it was loaded from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Call `describe()` again on a fresh instance.
    pub async fn describe(&self) -> Result<types::Manifest, CallError> {
        let _permit = self.permit().await;
        call_describe(
            &self.shared,
            &self.pre,
            &self.manifest.department,
            &self.digest,
        )
        .await
    }

    /// Call `check()` for a step.
    pub async fn check(
        &self,
        step: &StepId,
        fields: &[types::Field],
        materials: &[types::Material],
    ) -> Result<Vec<types::Problem>, CallError> {
        let _permit = self.permit().await;
        on_this_plugin!(self, self.secrets(fields), "check", |store, h| h
            .call_check(&mut store, step.as_str(), fields, materials))
    }

    /// Call `prefill()` for a step.
    pub async fn prefill(
        &self,
        step: &StepId,
        known: &[types::Field],
    ) -> Result<Vec<types::Field>, CallError> {
        let _permit = self.permit().await;
        on_this_plugin!(self, self.secrets(known), "prefill", |store, h| h
            .call_prefill(&mut store, step.as_str(), known))
    }

    /// Call `handle()` for one attempt at a step.
    pub async fn handle(
        &self,
        call: &StepCall,
    ) -> Result<Result<types::Outcome, types::StepError>, CallError> {
        let _permit = self.permit().await;
        let request = handler::Request {
            application: call.application.clone(),
            step: call.step.as_str().to_owned(),
            idempotency_key: call.idempotency_key.clone(),
            attempt: call.attempt,
            fields: call.fields.clone(),
            materials: call.materials.clone(),
        };
        let span = tracing::info_span!("step", department = %self.manifest.department, step = %call.step, version = %self.manifest.version, application = %call.application, attempt = call.attempt);
        async {
            on_this_plugin!(self, self.secrets(&call.fields), "handle", |store, h| h
                .call_handle(&mut store, &request))
        }
        .instrument(span)
        .await
    }

    /// The values of the sensitive fields among `fields` (by the
    /// dictionary), to be masked in what the plugin logs. Very short
    /// values are left alone: masking "1" everywhere would hide nothing.
    fn secrets(&self, fields: &[types::Field]) -> Vec<String> {
        fields
            .iter()
            .filter(|f| self.sensitive.contains(&f.key))
            .filter_map(|f| match &f.value {
                types::Value::Text(t) if t.chars().count() >= 4 => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.semaphore.acquire().await.ok()
    }
}
