//! Every end-to-end and host test in one binary, as wasmtime's
//! `tests/all`: the suite links wasmtime once.
//!
//! - [`components`]: the host against the real components built from
//!   `plugins/` (both bundles, the one notification, data rights, hostile
//!   components, refusals), through the engine over the in-memory store;
//! - [`cli`]: the commands an integrator types, through the real binary;
//! - [`cases`]: `onething test`, the declarative cases of the example
//!   departments and a failing suite's diff and JUnit XML;
//! - [`service`], [`crash`], [`hotload`], [`audit`]: `onething serve`
//!   through HTTP and signals, with its SQLite store;
//! - [`postgres`]: `onething serve` on PostgreSQL (`[store] url`), on a
//!   database of its own on the server `cargo xtask test` starts;
//! - [`hardening_engine`]: idempotency keys, issued values and department
//!   storage quotas, through the service;
//! - [`hardening_hotload`]: the watcher's and the loader's hardening
//!   (issue 10), with a 60 s soak that runs alongside the other tests;
//! - [`dev`]: `onething dev` on a new project: a round, hot-loading
//!   into a service, and rounds started by edits;
//! - [`dictionary`]: the data dictionary hot-loaded, refused when it
//!   would break what serves, rolled back, watched and restored;
//! - [`data_rights`]: who may see what: the data-sharing register,
//!   tokens and their verification, an application's owner, officers and
//!   operator roles, masking, prefill bound to the person, rate limits,
//!   reads on the record;
//! - [`agreement`]: `onething run` and `onething serve` give the same
//!   result for the same applications;
//! - [`hardening_sandbox`]: hostile components against the sandbox's
//!   limits on memory, the pool, logging, manifests, errors and retries;
//! - [`hardening_service`]: the service's shutdown, connection limits,
//!   bounded work per request, failed checks and new users' stumbles.
//!
//! Components come from `cargo xtask build-plugins` (`cargo xtask test`
//! builds them first).

mod agreement;
mod audit;
mod cases;
mod cli;
mod components;
mod crash;
mod data_rights;
mod dev;
mod dictionary;
mod drill;
mod hardening_engine;
mod hardening_hotload;
mod hardening_sandbox;
mod hardening_service;
mod hotload;
mod localisation;
mod outbound;
mod pages;
mod postgres;
mod service;
mod support;
mod systems;
mod world;
