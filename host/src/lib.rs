//! OneThing: a WebAssembly plugin host for cross-department public
//! services.
//!
//! Each department ships a sandboxed component implementing the contract
//! in `wit/` ("handle one step of a matter"); the host loads them
//! ([`runtime`], [`registry`]), checks them against the data dictionary
//! ([`dictionary`], [`manifest`]), chains their steps into bundles defined
//! in TOML ([`bundle`]), merges one form, one set of materials and one
//! notification for a bundle ([`form`], [`check`]), and runs applications
//! through them ([`run`]), durably as a service ([`engine`], [`store`],
//! [`api`]), with versions hot-loaded under load ([`hotload`]). The
//! `onething` binary is the edge.

pub mod api;
pub mod application;
pub mod audit;
pub mod bindings;
pub mod bundle;
pub mod capabilities;
pub mod check;
pub mod config;
pub mod dictionary;
pub mod engine;
pub mod form;
pub mod hotload;
pub mod ids;
pub mod manifest;
pub mod metrics;
pub mod platform;
pub mod prefill;
pub mod problem;
pub mod registry;
pub mod run;
pub mod runtime;
pub mod signing;
pub mod store;
