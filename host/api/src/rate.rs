//! Rate limits on the operations that ask departments something for a
//! person (prefill, check, submit): per subject (the caller) and per
//! client address, each a quota per minute with a burst, kept by
//! `governor`. Over either, 429 problem+json with `Retry-After`, naming
//! the setting. Not for bounding the work one request may cause (the
//! engine's `max_form_fields`, the server's connection limits).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::StatusCode;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde::Deserialize;

use crate::error::ApiError;

/// The limits (`[rate_limits]` in onething.toml).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateSettings {
    /// Requests a minute one caller may make to prefill, check and submit.
    pub per_subject_per_minute: u32,
    /// Requests a minute one client address may make to them.
    pub per_address_per_minute: u32,
    /// Requests either may make at once before the rate applies.
    pub burst: u32,
}

impl Default for RateSettings {
    fn default() -> Self {
        Self {
            per_subject_per_minute: 60,
            per_address_per_minute: 600,
            burst: 20,
        }
    }
}

impl RateSettings {
    /// Every setting that cannot work, named.
    pub fn validate(&self) -> Result<(), String> {
        for (key, value) in [
            (
                "rate_limits.per_subject_per_minute",
                self.per_subject_per_minute,
            ),
            (
                "rate_limits.per_address_per_minute",
                self.per_address_per_minute,
            ),
            ("rate_limits.burst", self.burst),
        ] {
            if value == 0 {
                return Err(format!("{key} must be at least 1"));
            }
        }
        Ok(())
    }
}

/// The limiters.
pub struct RateLimits {
    settings: RateSettings,
    subjects: DefaultKeyedRateLimiter<String>,
    addresses: DefaultKeyedRateLimiter<IpAddr>,
    checks: AtomicU64,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn quota(per_minute: u32, burst: u32) -> Quota {
    let one = NonZeroU32::MIN;
    Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(one))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(one))
}

impl RateLimits {
    /// Limiters with these settings.
    pub fn new(settings: RateSettings) -> Self {
        Self {
            subjects: RateLimiter::keyed(quota(settings.per_subject_per_minute, settings.burst)),
            addresses: RateLimiter::keyed(quota(settings.per_address_per_minute, settings.burst)),
            settings,
            checks: AtomicU64::new(0),
        }
    }

    /// Take one request of `subject` from `address`, or 429 saying when to
    /// try again.
    pub fn take(&self, subject: &str, address: Option<IpAddr>) -> Result<(), ApiError> {
        // Forget keys that are full again, now and then, so the limiters
        // hold only recent callers.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.subjects.retain_recent();
            self.addresses.retain_recent();
        }
        let now = DefaultClock::default().now();
        if let Err(not_until) = self.subjects.check_key(&subject.to_owned()) {
            return Err(too_many(
                not_until.wait_time_from(now).as_secs() + 1,
                format!(
                    "over {} requests a minute for one caller (rate_limits.per_subject_per_minute, burst {})",
                    self.settings.per_subject_per_minute, self.settings.burst
                ),
            ));
        }
        if let Some(address) = address
            && let Err(not_until) = self.addresses.check_key(&address)
        {
            return Err(too_many(
                not_until.wait_time_from(now).as_secs() + 1,
                format!(
                    "over {} requests a minute from one address (rate_limits.per_address_per_minute, burst {})",
                    self.settings.per_address_per_minute, self.settings.burst
                ),
            ));
        }
        Ok(())
    }
}

fn too_many(retry_after: u64, detail: String) -> ApiError {
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", detail)
        .retry_after(retry_after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caller_over_the_limit_is_told_when_to_come_back() {
        let limits = RateLimits::new(RateSettings {
            per_subject_per_minute: 1,
            per_address_per_minute: 1000,
            burst: 3,
        });
        for _ in 0..3 {
            assert!(limits.take("issuer#a", None).is_ok());
        }
        let refused = limits.take("issuer#a", None).expect_err("over");
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
        // Another caller is not held back.
        assert!(limits.take("issuer#b", None).is_ok());
        assert!(RateSettings::default().validate().is_ok());
        let zero = RateSettings {
            burst: 0,
            ..RateSettings::default()
        };
        assert!(
            zero.validate()
                .is_err_and(|e| e.contains("rate_limits.burst"))
        );
    }
}
