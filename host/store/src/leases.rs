//! Leases on applications: which host drives each one. Several hosts may
//! share one database (the PostgreSQL store), and an application must be
//! driven by one host at a time. A host claims an application's lease
//! for a time to live, renews it while it works on it, and releases it
//! when it stops; when a host dies its leases run out, and the other
//! hosts take its unfinished applications over
//! ([`Leases::claim_orphans`]).
//!
//! # One clock
//!
//! Whether a lease has expired is judged by the store, on one clock: the
//! database's `now()` on PostgreSQL (the hosts' clocks may differ), the
//! system clock for SQLite and the in-memory store (one host). Every
//! expiry the store hands out (`expires_ms`, ms since the epoch) is on
//! that clock: compare it with other expiries from the store, never with
//! the host's own clock. A host renews on a timer of its own (every third
//! of the time to live, say), which no clock skew can fool.
//!
//! # What a lease is, and is not
//!
//! - Kept beside the application (on PostgreSQL and SQLite, two columns
//!   of its row: `lease_host`, `lease_until_ms`), so an application has
//!   at most one lease and the unfinished applications without a live
//!   lease are found in one query.
//! - A new application ([`crate::Applications::create`]) has none: the
//!   host that stored it claims it right after.
//! - A lease is left as it is when its application finishes or parks
//!   (needs more, manual): the host releases it when it stops driving
//!   the application, or it runs out. Nothing reads a finished
//!   application's lease ([`Leases::claim_orphans`] takes only
//!   unfinished ones, the set [`crate::Applications::unfinished`]
//!   returns), and a parked application resuming (a correction, an
//!   operator's decision) is claimed again by the host that resumes it.
//! - Not audited: a lease is not a fact about the application but about
//!   which process works on it, and changes every few seconds; nothing of
//!   it goes into the audit chain.
//! - Not a fence: the store does not refuse an append from a host whose
//!   lease ran out. What keeps two hosts from corrupting an application
//!   is the store's own rules (events appended only after the last one
//!   stored, one approval per step); the lease keeps them from doing the
//!   same work twice.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::Serialize;

use crate::error::StoreError;

/// What [`Leases::claim_lease`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This host holds the lease now (it was free, had expired, or was
    /// already its own), until `expires_ms`.
    Held {
        /// When it runs out, ms since the epoch on the store's clock.
        expires_ms: i64,
    },
    /// Another host holds it; nothing changed.
    Elsewhere {
        /// The host holding it.
        host: String,
        /// When its lease runs out, on the store's clock.
        expires_ms: i64,
    },
}

impl Lease {
    /// Whether the claiming host holds the lease now.
    pub fn is_held(&self) -> bool {
        matches!(self, Self::Held { .. })
    }
}

/// A lease as stored, for the health and admin views.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaseInfo {
    /// The application.
    pub application: String,
    /// The host holding (or last holding) it.
    pub host: String,
    /// When it runs out (or ran out), ms since the epoch on the store's
    /// clock.
    pub expires_ms: i64,
    /// Whether it has run out, by the store's clock: another host may
    /// claim the application.
    pub expired: bool,
}

/// Leases on applications: one host drives an application at a time.
///
/// A host is named by an id of its own, the same for all its calls (its
/// instance id); an empty id is refused. A time to live is rounded up to
/// whole milliseconds.
#[async_trait]
pub trait Leases: Send + Sync {
    /// Claim `application` for `host` for `ttl`: when its lease is free,
    /// expired or already this host's, this host holds it now, until now
    /// plus `ttl` ([`Lease::Held`]); otherwise nothing changes and the
    /// holder is named ([`Lease::Elsewhere`]). Any application may be
    /// claimed, whatever its status; an application not stored is an
    /// error.
    async fn claim_lease(
        &self,
        application: &str,
        host: &str,
        ttl: Duration,
    ) -> Result<Lease, StoreError>;

    /// Extend to now plus `ttl` the leases `host` still holds among
    /// `applications`; the ones it no longer holds (taken by another host
    /// after expiring, released, never claimed, or not stored), in the
    /// order given, each once. A lease that ran out but that no other
    /// host took since is still this host's, and is renewed.
    async fn renew_leases(
        &self,
        host: &str,
        applications: &[String],
        ttl: Duration,
    ) -> Result<Vec<String>, StoreError>;

    /// Free `application`'s lease if `host` holds it (expired or not);
    /// otherwise (another host's, none, not stored) do nothing.
    async fn release_lease(&self, application: &str, host: &str) -> Result<(), StoreError>;

    /// Claim for `host`, for `ttl`, up to `limit` unfinished applications
    /// (those [`crate::Applications::unfinished`] returns) that have no
    /// lease or an expired one, oldest submission first; the ones
    /// claimed, in that order. Hosts calling it at once split the
    /// applications between them, never claiming one twice and (on
    /// PostgreSQL, with `SELECT … FOR NO KEY UPDATE SKIP LOCKED`) without
    /// waiting for each other.
    async fn claim_orphans(
        &self,
        host: &str,
        ttl: Duration,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;

    /// Every lease stored, expired ones too, by application id (ordered
    /// byte by byte).
    async fn leases(&self) -> Result<Vec<LeaseInfo>, StoreError>;
}

/// Refuse an empty host id (every backend checks the same).
pub fn check_host(host: &str) -> Result<(), StoreError> {
    if host.is_empty() {
        return Err(StoreError::Database(
            "a lease needs a host id, and the one given is empty".into(),
        ));
    }
    Ok(())
}

/// A time to live in whole milliseconds, rounded up, and kept far below
/// `i64::MAX` so an expiry (now plus it) never overflows.
pub fn ttl_ms(ttl: Duration) -> i64 {
    const MAX: i64 = i64::MAX / 4;
    i64::try_from(ttl.as_micros().div_ceil(1_000)).map_or(MAX, |ms| ms.min(MAX))
}

/// Now, by the system clock, in ms since the epoch: the clock leases
/// expire by in the stores of one host (SQLite, in memory).
pub fn system_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The applications of `asked` not in `renewed`, in the order asked,
/// each once: what [`Leases::renew_leases`] returns.
pub fn lost<'a>(asked: &'a [String], renewed: impl Fn(&str) -> bool) -> Vec<String> {
    let mut seen = std::collections::HashSet::<&'a str>::new();
    asked
        .iter()
        .filter(|a| seen.insert(a.as_str()) && !renewed(a.as_str()))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_round_up_and_never_overflow() {
        assert_eq!(ttl_ms(Duration::ZERO), 0);
        assert_eq!(ttl_ms(Duration::from_micros(1)), 1);
        assert_eq!(ttl_ms(Duration::from_millis(200)), 200);
        assert_eq!(ttl_ms(Duration::from_micros(200_001)), 201);
        let max = ttl_ms(Duration::MAX);
        assert!(max.checked_add(system_now_ms()).is_some());
    }

    #[test]
    fn lost_keeps_the_order_asked_once_each() {
        let asked: Vec<String> = ["c", "a", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(lost(&asked, |a| a == "a"), ["c", "b", "d"]);
        assert!(lost(&asked, |_| true).is_empty());
    }

    #[test]
    fn an_empty_host_is_refused() {
        assert!(check_host("").is_err());
        assert!(check_host("host-1").is_ok());
    }
}
