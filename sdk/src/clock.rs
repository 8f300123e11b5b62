//! The host's clock: today's date in the host's time zone (China Standard
//! Time by default) and the current Unix time.
//!
//! Rules that depend on the date ("under six months old") must use
//! [`today`], never the system clock, so the host (and natively,
//! [`crate::testkit::pin_today`]) decides what day it is.

use crate::Date;

/// Today's date in the host's configured time zone.
pub fn today() -> Date {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::clock::today();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::native::today();
}

/// Seconds since the Unix epoch, UTC.
pub fn now() -> i64 {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::onething::matter::clock::now();
    #[cfg(not(target_arch = "wasm32"))]
    return crate::native::now();
}
