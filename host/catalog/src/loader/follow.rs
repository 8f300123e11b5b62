//! Following the store's history: when several hosts share one store, a
//! version activated or rolled back through any of them is recorded in
//! the one history, and every host serves what that history says is
//! active. A follower looks at the history's last seq every
//! `catalog_poll_ms` (one indexed read) and, when it moved, serves for
//! each department, bundle, the grants register and the dictionary the
//! version the history names, loading it from the store if this host has
//! not seen it.
//!
//! Not for making changes (the loader's own paths record them), nor for
//! the watched directories: a host's watcher acts on its own files only,
//! and a file already stored is not activated again at the next start, so
//! hosts watching directories do not undo each other's activations.

use std::sync::Arc;
use std::time::Duration;

use onething_store::versions::VersionKind;

use super::{Loader, LoaderError};

impl Loader {
    /// The seq of the history's last change (0 before any).
    pub async fn history_head(&self) -> Result<u64, LoaderError> {
        Ok(self
            .store
            .changes(None, None, 1)
            .await?
            .last()
            .map_or(0, |c| c.seq))
    }

    /// Serve, for every kind and subject, what the history says is active
    /// (what another host may have changed); whether anything changed.
    pub async fn follow_history(&self) -> Result<bool, LoaderError> {
        let mut loaded = self.loaded.lock().await;
        let before = self.serving.current();
        // The dictionary first (what follows may need a field it adds) and
        // again last (a dictionary removing a field can serve only once
        // what used it no longer does); the second pass is a no-op when
        // the first served it.
        for kind in [
            VersionKind::Dictionary,
            VersionKind::Grants,
            VersionKind::Plugin,
            VersionKind::Bundle,
            VersionKind::Dictionary,
        ] {
            let active = self.active_in_history(kind).await?;
            self.restore_active(&mut loaded, kind, &active).await;
        }
        Ok(!Arc::ptr_eq(&before, &self.serving.current()))
    }

    /// Follow the history every `every` until the returned task is
    /// dropped or aborted, starting from the head seen now.
    pub fn spawn_history_follower(self: &Arc<Self>, every: Duration) -> Follower {
        let loader = self.clone();
        let task = tokio::spawn(async move {
            let mut seen = loader.history_head().await.unwrap_or(0);
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let head = match loader.history_head().await {
                    Ok(h) => h,
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the catalog's history failed; retried at the next tick");
                        continue;
                    }
                };
                if head == seen {
                    continue;
                }
                match loader.follow_history().await {
                    Ok(true) => {
                        tracing::info!(
                            history_seq = head,
                            "serving what the shared history says is active (a change made through another host)"
                        );
                        seen = head;
                    }
                    Ok(false) => seen = head,
                    Err(e) => {
                        tracing::warn!(error = %e, "following the catalog's history failed; retried at the next tick")
                    }
                }
            }
        });
        Follower(task)
    }
}

/// A running history follower, stopped when dropped.
pub struct Follower(tokio::task::JoinHandle<()>);

impl Drop for Follower {
    fn drop(&mut self) {
        self.0.abort();
    }
}
