//! The configuration the operator set for this department
//! (`[config.<department>]` in the host's configuration) and the secrets
//! it gave it (`[secrets.<department>]`): [`get`], [`keys`], [`secret`],
//! and [`require`] / [`require_for`] for a value a step cannot do
//! without (a permanent [`StepError`] naming the key).
//!
//! ```
//! use onething_sdk::{config, testkit};
//!
//! testkit::config("base_url", "http://127.0.0.1:8090/tax/v1");
//! assert_eq!(config::require("base_url").as_deref(), Ok("http://127.0.0.1:8090/tax/v1"));
//! assert!(config::require("greeting").is_err_and(|e| !e.is_transient()));
//! ```
//!
//! Prefer not to read a credential at all: the operator can have the host
//! add it to requests to the department's system as a header the plugin
//! never sees. Never log a secret. Natively these read what
//! [`crate::testkit::config`] and [`crate::testkit::secret`] set.

use crate::StepError;

/// The value set under `key`, if any.
pub fn get(key: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::config::get(key);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::native::with(|s| s.config.get(key).cloned());
}

/// Every key set, sorted (not the secrets).
pub fn keys() -> Vec<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::config::keys();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::native::with(|s| s.config.keys().cloned().collect());
}

/// The secret named `name`, if the operator gave the department one.
pub fn secret(name: &str) -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::config::secret(name);
    #[cfg(not(target_arch = "wasm32"))]
    return crate::native::with(|s| s.secrets.get(name).cloned());
}

/// The value under `key`, or a permanent error naming the missing key (a
/// person must set it; retrying will not help). A blank value counts as
/// missing.
pub fn require(key: &str) -> Result<String, StepError> {
    get(key).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
        StepError::permanent(format!(
            "the configuration value `{key}` is not set for this department"
        ))
    })
}

/// As [`require`], the error also naming the department and where the
/// operator sets the value (`[config.<department>] <key>`).
pub fn require_for(department: &str, key: &str) -> Result<String, StepError> {
    require(key).map_err(|_| {
        StepError::permanent(format!(
            "department {department}: the configuration value `{key}` is not set \
             (set it under [config.{department}] in the host's configuration)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn reads_what_the_operator_set() {
        testkit::reset();
        assert_eq!(get("base_url"), None);
        assert!(keys().is_empty());
        testkit::config("base_url", "http://h/x/v1");
        testkit::config("a", "1");
        testkit::config("blank", " ");
        testkit::secret("token", "s3cret");
        assert_eq!(keys(), ["a", "base_url", "blank"]);
        assert_eq!(get("a").as_deref(), Some("1"));
        assert_eq!(secret("token").as_deref(), Some("s3cret"));
        assert_eq!(secret("a"), None);
        assert_eq!(require("base_url").as_deref(), Ok("http://h/x/v1"));
        assert_eq!(
            require("blank"),
            Err(StepError::Permanent(
                "the configuration value `blank` is not set for this department".into()
            ))
        );
        let err = require_for("tax", "missing").err();
        assert!(
            matches!(&err, Some(StepError::Permanent(m))
                if m.contains("department tax") && m.contains("`missing`") && m.contains("[config.tax]")),
            "{err:?}"
        );
    }
}
