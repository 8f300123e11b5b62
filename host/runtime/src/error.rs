//! Errors of loading a component and of calling it. Every message names
//! the plugin (file or department), the WIT function and, for limits,
//! which limit, its value and how far the call got.

use std::time::Duration;

use onething_contract::{ContractVersion, WorldError};
use onething_model::manifest::ManifestError;

/// Why a component was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The runtime could not be configured.
    #[error("runtime configuration: {0}")]
    Config(String),
    /// The file could not be read.
    #[error("cannot read {origin}: {source}")]
    Io {
        /// The file.
        origin: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not WebAssembly at all.
    #[error("{origin} is not a WebAssembly component: {detail}")]
    NotWasm {
        /// The file.
        origin: String,
        /// What the first bytes were.
        detail: String,
    },
    /// A core module, not a component.
    #[error(
        "{origin} is a core WebAssembly module, not a component: build it with `cargo build --target wasm32-wasip2` (Rust 1.82+) or wrap it with `wasm-tools component new`"
    )]
    CoreModule {
        /// The file.
        origin: String,
    },
    /// It is a valid component but needs more than the sandbox allows
    /// (memories, tables, core instances, initial memory): refused at
    /// admission, naming each count and the setting to change.
    #[error("{origin} does not fit this host's sandbox: {detail}")]
    DoesNotFit {
        /// The file.
        origin: String,
        /// Each count over its setting, with the setting's name and value.
        detail: String,
    },
    /// The component's bytes are malformed.
    #[error("{origin} is not a valid component: {detail}")]
    Invalid {
        /// The file.
        origin: String,
        /// wasmtime's message, with the byte offset.
        detail: String,
    },
    /// It is not a department of a contract version this host speaks: it
    /// exports no handler, another version's, or imports what is not
    /// granted.
    #[error("{origin} is not a department this host can load: {source}")]
    World {
        /// The file.
        origin: String,
        /// What is wrong, naming the versions and what differs.
        source: WorldError,
    },
    /// Imports or exports exist but their types differ from the contract.
    #[error(
        "{origin} does not match the contract {expected}: {detail}; rebuild it against the current SDK"
    )]
    TypeMismatch {
        /// The file.
        origin: String,
        /// The version it exports.
        expected: ContractVersion,
        /// wasmtime's account of the mismatch (names the function).
        detail: String,
    },
    /// `describe()` failed.
    #[error("{origin}: calling describe() failed: {source}")]
    Describe {
        /// The file.
        origin: String,
        /// The failure.
        source: CallError,
    },
    /// A 0.1.0 department reads or writes a list field, which its
    /// contract cannot carry.
    #[error(
        "{origin} is built against {version}, which has no list values, but step {step} {uses} the list field {key}: build it against onething:matter@0.2.0"
    )]
    ListInOldContract {
        /// The file.
        origin: String,
        /// The version it speaks.
        version: ContractVersion,
        /// The step.
        step: String,
        /// `reads` or `writes`.
        uses: &'static str,
        /// The field.
        key: String,
    },
    /// The manifest is not sound.
    #[error("{origin}: {source}")]
    Manifest {
        /// The file.
        origin: String,
        /// Every fault.
        source: ManifestError,
    },
}

/// Why one call on a plugin failed. The host carries on after every one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    /// The wall-clock deadline passed.
    #[error("{function}: call deadline of {} ms exceeded (stopped after {} ms)", .limit.as_millis(), .elapsed.as_millis())]
    Deadline {
        /// The WIT function.
        function: &'static str,
        /// The limit.
        limit: Duration,
        /// How long it ran.
        elapsed: Duration,
    },
    /// The fuel budget ran out.
    #[error("{function}: fuel limit of {limit} instructions exhausted (ran {} ms)", .elapsed.as_millis())]
    Fuel {
        /// The WIT function.
        function: &'static str,
        /// The budget.
        limit: u64,
        /// How long it ran.
        elapsed: Duration,
    },
    /// Memory growth past the limit was refused and the guest trapped.
    #[error(
        "{function}: memory limit of {limit} bytes per instance exceeded (the guest asked to grow to {requested} bytes, all its memories and tables together; limits.memory_bytes = {limit})"
    )]
    Memory {
        /// The WIT function.
        function: &'static str,
        /// The limit.
        limit: usize,
        /// What it asked for.
        requested: usize,
    },
    /// The result was larger than allowed.
    #[error("{function}: output of {actual} bytes is over the limit of {limit} bytes")]
    OutputTooLarge {
        /// The WIT function.
        function: &'static str,
        /// The limit.
        limit: usize,
        /// The result's size.
        actual: usize,
    },
    /// The guest handed the host more than wasmtime's host-copy budget in
    /// one transfer (a result, or one import call's arguments).
    #[error(
        "{function}: the plugin handed the host more than {limit} bytes in one transfer (a result or one import call's arguments; limits.max_host_copy_bytes = {limit})"
    )]
    HostCopy {
        /// The WIT function.
        function: &'static str,
        /// The budget.
        limit: usize,
    },
    /// The guest trapped (a panic, an unreachable, a bad memory access).
    #[error("{function}: the plugin trapped: {message}")]
    Trap {
        /// The WIT function.
        function: &'static str,
        /// The trap and the guest's last lines on stderr (its panic
        /// message, a Python traceback, a JavaScript error), masked.
        message: String,
    },
    /// An instance could not be created (e.g. the pool is exhausted).
    #[error("{function}: could not instantiate: {message}")]
    Instantiate {
        /// The WIT function.
        function: &'static str,
        /// Why.
        message: String,
    },
    /// The guest returned something the host refuses (an undeclared
    /// field, a value the dictionary refuses).
    #[error("{function}: {message}")]
    BadOutput {
        /// The WIT function.
        function: &'static str,
        /// What is wrong, naming the field.
        message: String,
    },
}

impl CallError {
    /// A short code for the kind of failure, for status and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::Deadline { .. } => "deadline",
            CallError::Fuel { .. } => "fuel",
            CallError::Memory { .. } => "memory",
            CallError::OutputTooLarge { .. } => "output-too-large",
            CallError::HostCopy { .. } => "host-copy",
            CallError::Trap { .. } => "trap",
            CallError::Instantiate { .. } => "instantiate",
            CallError::BadOutput { .. } => "bad-output",
        }
    }

    /// Whether the same call on the same input would fail the same way, so
    /// retrying it only wastes attempts. A fresh instance gets the same
    /// code and the same input on every attempt: running out of fuel,
    /// memory or the host-copy budget, or returning too much or something
    /// refused, is a property of the plugin and the input. A deadline
    /// depends on the machine's load, a trap may come from a store or
    /// clock the plugin reads, and instantiation fails when the pool is
    /// momentarily full: those may pass on a later attempt.
    pub fn repeats(&self) -> bool {
        match self {
            CallError::Fuel { .. }
            | CallError::Memory { .. }
            | CallError::OutputTooLarge { .. }
            | CallError::HostCopy { .. }
            | CallError::BadOutput { .. } => true,
            CallError::Deadline { .. } | CallError::Trap { .. } | CallError::Instantiate { .. } => {
                false
            }
        }
    }
}
