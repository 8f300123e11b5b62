//! Structured logging through the host's `log` import, one function per
//! level: `log::info("certificate issued", &[("step", "birth-certificate")])`.
//!
//! The host attributes every record to the department and plugin version.
//! Put codes and keys in records, never an applicant's values (names, ID
//! numbers): logs are not covered by the audit trail's access rules.
//! Natively, records are kept for [`crate::testkit::logs`].

pub use crate::bindings::onething::matter::log::Level;

/// Write one record at `level`.
pub fn write(level: Level, message: &str, attributes: &[(&str, &str)]) {
    let attributes: Vec<(String, String)> = attributes
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    #[cfg(target_arch = "wasm32")]
    crate::bindings::onething::matter::log::log(level, message, &attributes);
    #[cfg(not(target_arch = "wasm32"))]
    crate::native::with(|s| {
        s.logs.push(crate::testkit::LogRecord {
            level,
            message: message.to_owned(),
            attributes,
        })
    });
}

/// Very detailed tracing.
pub fn trace(message: &str, attributes: &[(&str, &str)]) {
    write(Level::Trace, message, attributes);
}

/// Debugging detail.
pub fn debug(message: &str, attributes: &[(&str, &str)]) {
    write(Level::Debug, message, attributes);
}

/// Normal operation.
pub fn info(message: &str, attributes: &[(&str, &str)]) {
    write(Level::Info, message, attributes);
}

/// Something unexpected but handled.
pub fn warn(message: &str, attributes: &[(&str, &str)]) {
    write(Level::Warn, message, attributes);
}

/// Something failed.
pub fn error(message: &str, attributes: &[(&str, &str)]) {
    write(Level::Error, message, attributes);
}
