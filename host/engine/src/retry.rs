//! How transient failures and traps are retried: attempts in all, an
//! exponential backoff with a ceiling, and jitter so retries of many
//! applications do not arrive together.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Retry policy for transient failures and traps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryPolicy {
    /// Attempts in all before the step goes to the manual queue.
    pub max_attempts: u32,
    /// Delay before the first retry, in ms; doubles each time.
    pub first_backoff_ms: u64,
    /// Longest delay between attempts, in ms.
    pub max_backoff_ms: u64,
    /// Random spread added to each delay, as a fraction (0.2 = up to +20%).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            first_backoff_ms: 200,
            max_backoff_ms: 30_000,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .first_backoff_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_backoff_ms);
        let spread = (base as f64 * self.jitter.clamp(0.0, 1.0) * fastrand::f64()) as u64;
        Duration::from_millis(base + spread)
    }

    /// Refuse settings that cannot work, naming the setting.
    pub fn check(&self) -> Result<(), String> {
        if self.max_attempts == 0 {
            return Err("retry.max_attempts must be at least 1".into());
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(format!(
                "retry.jitter = {} must be between 0 and 1",
                self.jitter
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_ceiling_with_bounded_jitter() {
        let p = RetryPolicy {
            max_attempts: 10,
            first_backoff_ms: 100,
            max_backoff_ms: 1_000,
            jitter: 0.5,
        };
        for _ in 0..50 {
            let first = p.backoff(1).as_millis();
            assert!((100..=150).contains(&first), "{first}");
            let third = p.backoff(3).as_millis();
            assert!((400..=600).contains(&third), "{third}");
            assert!(p.backoff(9).as_millis() <= 1_500);
        }
    }

    #[test]
    fn bad_settings_are_named() {
        let zero = RetryPolicy {
            max_attempts: 0,
            ..RetryPolicy::default()
        };
        assert!(zero.check().expect_err("zero").contains("max_attempts"));
        let wide = RetryPolicy {
            jitter: 2.0,
            ..RetryPolicy::default()
        };
        assert!(wide.check().expect_err("jitter").contains("retry.jitter"));
    }
}
