//! The model every layer of OneThing speaks: the data dictionary and typed
//! values, department manifests, bundles, application documents and their
//! typed contents, the one form, the rules of what a step may see and
//! write, plugin calls in the host's own terms, an application's events
//! and the state they fold into, prefill consents and audit entries.
//!
//! Pure data and rules: no wasmtime, no database, no file system, no
//! network. Everything here is tested on its own (`cargo test -p
//! onething-model`). The crates above it (contract, runtime, store,
//! catalog, engine, api) exchange these types and never each other's.

pub mod application;
pub mod audit;
pub mod bundle;
pub mod call;
pub mod consent;
pub mod dictionary;
pub mod events;
pub mod exposure;
pub mod faults;
pub mod form;
pub mod grants;
pub mod ids;
pub mod manifest;
#[cfg(feature = "openapi")]
mod openapi;
pub mod party;
pub mod problem;
pub mod rules;
pub mod state;
pub mod suggest;
pub mod text;

/// The coded-identifier rules (GB 11643, GB 32100, GB 11714, Luhn) the
/// dictionary applies, shared with the SDK.
pub use onething_idcodes as idcodes;
