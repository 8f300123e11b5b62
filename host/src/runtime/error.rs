//! Errors of loading a component and of calling it. Every message names
//! the plugin (file or department), the WIT function and, for limits,
//! which limit, its value and how far the call got.

use std::time::Duration;

use crate::manifest::ManifestError;

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
    /// The component's bytes are malformed.
    #[error("{origin} is not a valid component: {detail}")]
    Invalid {
        /// The file.
        origin: String,
        /// wasmtime's message, with the byte offset.
        detail: String,
    },
    /// It does not export the handler at all.
    #[error("{origin} does not implement the world onething:matter/department@{expected}: it exports [{}] but a department must export onething:matter/handler@{expected}; build it against the OneThing SDK", .exports.join(", "))]
    WrongWorld {
        /// The file.
        origin: String,
        /// The exports it has.
        exports: Vec<String>,
        /// The WIT version the host speaks.
        expected: &'static str,
    },
    /// It was built against another version of the contract.
    #[error(
        "{origin} was built against onething:matter@{found}, but this host speaks onething:matter@{expected}{}: rebuild it against an SDK for onething:matter@{expected}",
        differences_text(.differences)
    )]
    WitVersion {
        /// The file.
        origin: String,
        /// The version it was built against.
        found: String,
        /// The version the host speaks.
        expected: &'static str,
        /// Each function or type that differs, in words.
        differences: Vec<String>,
    },
    /// It imports something the host does not grant.
    #[error(
        "{origin} imports {import}, which this host does not grant (a department may import onething:matter/log, clock and store, and WASI p2)"
    )]
    UnknownImport {
        /// The file.
        origin: String,
        /// The import's name.
        import: String,
    },
    /// Imports or exports exist but their types differ from the contract.
    #[error(
        "{origin} does not match the contract onething:matter@{expected}: {detail}; rebuild it against the current SDK"
    )]
    TypeMismatch {
        /// The file.
        origin: String,
        /// The version the host speaks.
        expected: &'static str,
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
        "{function}: memory limit of {limit} bytes exceeded (the guest asked to grow to {requested} bytes)"
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
    /// The guest trapped (a panic, an unreachable, a bad memory access).
    #[error("{function}: the plugin trapped: {message}")]
    Trap {
        /// The WIT function.
        function: &'static str,
        /// The trap and, where the guest printed one, its panic message.
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
            CallError::Trap { .. } => "trap",
            CallError::Instantiate { .. } => "instantiate",
            CallError::BadOutput { .. } => "bad-output",
        }
    }
}

fn differences_text(differences: &[String]) -> String {
    if differences.is_empty() {
        String::new()
    } else {
        format!(" ({})", differences.join("; "))
    }
}
