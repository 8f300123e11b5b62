//! What a department may import, in the host's own terms: structured
//! logging, a clock, its department's key-value store and (from 0.2.0)
//! its configuration and secrets. Every contract
//! version's generated import traits forward here, so the runtime
//! implements the capabilities once ([`Imports`]) whatever version a
//! component speaks.
//!
//! Not for WASI (linked by the runtime, with nothing granted) and not for
//! the capabilities' own rules (size limits, masking), which are the
//! runtime's.

use std::future::Future;
use std::marker::PhantomData;

use chrono::NaiveDate;
use wasmtime::component::HasData;

/// Severity of a plugin's log record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something unexpected but handled.
    Warn,
    /// Something failed.
    Error,
}

/// Why a key-value operation failed, as the plugin is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreFailure {
    /// A key or value over a limit, or the department's quota used up.
    TooLarge(String),
    /// The store could not be reached; the plugin may answer transient.
    Unavailable(String),
}

/// What setting a key only if absent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// The key was absent and now holds the value.
    Set,
    /// The key was held: the value under it.
    Held(Vec<u8>),
}

/// The host side of a department's imports, implemented by the runtime's
/// per-call state. The department is the state's, never the guest's word.
pub trait Imports: Send {
    /// Write one log record.
    fn log(&mut self, level: LogLevel, message: String, attributes: Vec<(String, String)>);
    /// Seconds since the Unix epoch, UTC.
    fn now(&mut self) -> i64;
    /// Today in the host's time zone.
    fn today(&mut self) -> NaiveDate;
    /// The value under `key`.
    fn kv_get(
        &mut self,
        key: String,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, StoreFailure>> + Send;
    /// Set `key`.
    fn kv_set(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> impl Future<Output = Result<(), StoreFailure>> + Send;
    /// Set `key` only if absent, or the value that holds it.
    fn kv_insert_or_holder(
        &mut self,
        key: String,
        value: Vec<u8>,
    ) -> impl Future<Output = Result<Inserted, StoreFailure>> + Send;
    /// Remove `key`; whether it was there.
    fn kv_delete(&mut self, key: String)
    -> impl Future<Output = Result<bool, StoreFailure>> + Send;
    /// The department's configuration value under `key`.
    fn config_get(&mut self, key: &str) -> Option<String>;
    /// Every configuration key the department has, sorted.
    fn config_keys(&mut self) -> Vec<String>;
    /// The department's secret named `name`.
    fn config_secret(&mut self, name: &str) -> Option<String>;
}

/// The store data, seen through a contract version's import traits.
pub struct Ctx<'a, T>(pub &'a mut T);

/// Names [`Ctx`] as the data the generated `add_to_linker` hands to the
/// import implementations.
pub struct ImportsOf<T>(PhantomData<fn() -> T>);

impl<T: 'static> HasData for ImportsOf<T> {
    type Data<'a> = Ctx<'a, T>;
}
