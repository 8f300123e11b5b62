//! Counting the drivers in flight, so shutdown can wait for the attempts
//! under way to be recorded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many drivers run; notifies when one ends.
#[derive(Default, Clone)]
pub(crate) struct Tracker(Arc<(AtomicUsize, tokio::sync::Notify)>);

/// One driver in flight, until dropped.
pub(crate) struct Guard(Tracker);

impl Tracker {
    /// A driver starts.
    pub(crate) fn enter(&self) -> Guard {
        self.0.0.fetch_add(1, Ordering::SeqCst);
        Guard(self.clone())
    }

    /// Drivers in flight.
    pub(crate) fn count(&self) -> usize {
        self.0.0.load(Ordering::SeqCst)
    }

    /// Wait until none is in flight.
    pub(crate) async fn idle(&self) {
        while self.count() > 0 {
            let notified = self.0.1.notified();
            if self.count() == 0 {
                break;
            }
            notified.await;
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.0.0.fetch_sub(1, Ordering::SeqCst);
        self.0.0.1.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn idle_waits_for_every_guard() {
        let t = Tracker::default();
        let a = t.enter();
        let b = t.enter();
        assert_eq!(t.count(), 2);
        let waiter = tokio::spawn({
            let t = t.clone();
            async move { t.idle().await }
        });
        drop(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(b);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("idle once every guard is gone")
            .expect("task");
        assert_eq!(t.count(), 0);
    }
}
