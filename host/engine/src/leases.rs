//! Which applications this host drives, when several hosts share one
//! store: a driver holds the application's lease in the store
//! ([`onething_store::Leases`]) while it works, a task renews the leases
//! held every third of their time to live and takes over the unfinished
//! applications whose lease ran out (a host that died), and a driver that
//! loses its lease stops at the next step.
//!
//! With one host (SQLite, the in-memory store) the same code runs and
//! every lease is this host's: a host restarted with the same id (the
//! same data directory) takes its own leases back at once.
//!
//! Not for keeping two drivers from corrupting an application (the
//! store's rules do that: events appended only after the last one, one
//! approval per step), only from doing the same work twice.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use onething_store::Lease;

use crate::Engine;

/// How this host names itself and how long its leases last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseSettings {
    /// This host's id in the store: the same across its restarts, and
    /// different from every other host's on the same database.
    pub host: String,
    /// How long a lease lasts unless renewed: how long a dead host's
    /// applications wait before another host takes them.
    pub ttl: Duration,
    /// Most unfinished applications taken over in one sweep.
    pub orphans_per_sweep: usize,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        Self {
            host: "local".into(),
            ttl: Duration::from_secs(15),
            orphans_per_sweep: 256,
        }
    }
}

/// The leases this host holds, and the ones it has lost.
#[derive(Default)]
pub(crate) struct Held {
    held: Mutex<HashSet<String>>,
    lost: Mutex<HashSet<String>>,
}

impl Held {
    fn held(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lost(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.lost.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this host holds `id`'s lease.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.held().contains(id)
    }
}

impl Engine {
    /// Take `id`'s lease for this host; false if another host holds it
    /// (it drives the application) or the store cannot say.
    pub(crate) async fn take_lease(&self, id: &str) -> bool {
        let l = &self.inner.lease;
        match self.inner.store.claim_lease(id, &l.host, l.ttl).await {
            Ok(Lease::Held { .. }) => {
                self.inner.held.lost().remove(id);
                let fresh = self.inner.held.held().insert(id.to_owned());
                if fresh {
                    // Another host may have moved it on since this host
                    // last looked: read it from the store again.
                    self.inner.apps.forget(id);
                }
                true
            }
            Ok(Lease::Elsewhere { host, .. }) => {
                tracing::debug!(application = id, holder = %host, "another host drives the application");
                false
            }
            Err(e) => {
                tracing::warn!(application = id, error = %e, "cannot take the application's lease; it is taken up again at the next sweep");
                false
            }
        }
    }

    /// Give `id`'s lease up (the driver has stopped).
    pub(crate) async fn drop_lease(&self, id: &str) {
        self.inner.held.held().remove(id);
        self.inner.held.lost().remove(id);
        if let Err(e) = self
            .inner
            .store
            .release_lease(id, &self.inner.lease.host)
            .await
        {
            tracing::warn!(application = id, error = %e, "cannot release the application's lease; it runs out by itself");
        }
    }

    /// Stop renewing `id`'s lease without releasing it: it runs out and
    /// is taken up again by a lease keeper.
    pub(crate) fn forget_lease(&self, id: &str) {
        self.inner.held.held().remove(id);
        self.inner.held.lost().remove(id);
    }

    /// Whether another host has taken `id` over from this one.
    pub(crate) fn lease_lost(&self, id: &str) -> bool {
        self.inner.held.lost().contains(id)
    }

    /// Renew the leases held; mark the lost ones so their drivers stop.
    async fn renew(&self) {
        let held: Vec<String> = self.inner.held.held().iter().cloned().collect();
        if held.is_empty() {
            return;
        }
        let l = &self.inner.lease;
        match self.inner.store.renew_leases(&l.host, &held, l.ttl).await {
            Ok(lost) => {
                for id in lost {
                    // One given up meanwhile (its driver stopped) is not lost.
                    if !self.inner.held.held().remove(&id) {
                        continue;
                    }
                    tracing::warn!(application = %id, "another host took the application over (this host's lease ran out); this host stops driving it");
                    self.inner.held.lost().insert(id);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "renewing this host's leases failed; retried at the next tick");
            }
        }
    }

    /// Take over unfinished applications whose lease ran out (or that
    /// never had one), and drive them; how many.
    pub(crate) async fn take_orphans(&self) -> Result<usize, onething_store::StoreError> {
        let l = &self.inner.lease;
        let mut taken = 0;
        loop {
            let ids = self
                .inner
                .store
                .claim_orphans(&l.host, l.ttl, l.orphans_per_sweep.max(1))
                .await?;
            let n = ids.len();
            for id in ids {
                self.spawn_drive(id);
            }
            taken += n;
            if n < l.orphans_per_sweep.max(1) {
                return Ok(taken);
            }
        }
    }

    /// Renew this host's leases and take over orphans, every third of
    /// the lease's time to live, until the engine stops.
    pub fn spawn_lease_keeper(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        let every = (self.inner.lease.ttl / 3).max(Duration::from_millis(100));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if engine.stopping() {
                    return;
                }
                engine.renew().await;
                match engine.take_orphans().await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(
                            applications = n,
                            "took over applications whose lease ran out"
                        )
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "looking for applications to take over failed")
                    }
                }
            }
        })
    }
}
