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

/// The imports every contract version has in the same shape (`types`,
/// `log`, `clock`, and the store's error), forwarded to [`Imports`].
/// Expanded inside each version's module, where `types`, `log`, `clock`,
/// `store` and `date_to_wit` name that version's own generated items; the
/// store's functions, which differ between versions, stay in the module.
macro_rules! forward_shared_imports {
    () => {
        impl<T: $crate::imports::Imports> types::Host for $crate::imports::Ctx<'_, T> {}

        impl<T: $crate::imports::Imports> log::Host for $crate::imports::Ctx<'_, T> {
            async fn log(
                &mut self,
                level: log::Level,
                message: String,
                attributes: Vec<(String, String)>,
            ) -> wasmtime::Result<()> {
                use $crate::imports::LogLevel;
                let level = match level {
                    log::Level::Trace => LogLevel::Trace,
                    log::Level::Debug => LogLevel::Debug,
                    log::Level::Info => LogLevel::Info,
                    log::Level::Warn => LogLevel::Warn,
                    log::Level::Error => LogLevel::Error,
                };
                self.0.log(level, message, attributes);
                Ok(())
            }
        }

        impl<T: $crate::imports::Imports> clock::Host for $crate::imports::Ctx<'_, T> {
            async fn now(&mut self) -> wasmtime::Result<i64> {
                Ok(self.0.now())
            }

            async fn today(&mut self) -> wasmtime::Result<types::Date> {
                Ok(date_to_wit(self.0.today()))
            }
        }

        fn store_error(e: $crate::imports::StoreFailure) -> store::StoreError {
            match e {
                $crate::imports::StoreFailure::TooLarge(m) => store::StoreError::TooLarge(m),
                $crate::imports::StoreFailure::Unavailable(m) => store::StoreError::Unavailable(m),
            }
        }
    };
}

pub(crate) use forward_shared_imports;
