//! Per-application serialisation and a write-through cache of states.
//!
//! Every change to an application goes through [`Apps::change`]: under the
//! application's lock, the change is computed from the current state,
//! appended to the store with the state it produces, and only then becomes
//! the cached state. One driver at a time per application ([`Apps::claim`]);
//! a change made while it runs "pokes" it so it looks again. A cached
//! state is used only while this host holds the application's lease
//! (`leases`); otherwise every read and change starts from the store, as
//! another host may be driving it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use onething_model::events::Event;
use onething_model::state::{AppState, AppStatus};
use onething_store::{Store, StoreError};

use crate::ActionError;

type Slot = Arc<tokio::sync::Mutex<Option<AppState>>>;

pub(super) struct Apps {
    store: Arc<dyn Store>,
    /// The leases this host holds: a cached state is trusted only while
    /// its lease is held (no other host then changes the application).
    held: Arc<crate::leases::Held>,
    slots: Mutex<HashMap<String, Slot>>,
    /// Applications with a driver, and whether it was poked.
    drivers: Mutex<HashMap<String, bool>>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Apps {
    pub(super) fn new(store: Arc<dyn Store>, held: Arc<crate::leases::Held>) -> Self {
        Self {
            store,
            held,
            slots: Mutex::new(HashMap::new()),
            drivers: Mutex::new(HashMap::new()),
        }
    }

    fn slot(&self, id: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(id.to_owned()).or_default().clone()
    }

    /// Cache a state just created.
    pub(super) fn insert(&self, state: AppState) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.insert(
            state.id.clone(),
            Arc::new(tokio::sync::Mutex::new(Some(state))),
        );
    }

    /// Drop a cached state (it is reloaded from the store when next needed).
    pub(super) fn forget(&self, id: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.remove(id);
    }

    async fn load(&self, guard: &mut Option<AppState>, id: &str) -> Result<(), StoreError> {
        // Without this host's lease another host may have moved the
        // application on: read it from the store.
        if guard.is_none() || !self.held.contains(id) {
            *guard = self.store.state(id).await?;
        }
        Ok(())
    }

    /// A copy of the current state.
    pub(super) async fn snapshot(&self, id: &str) -> Result<Option<AppState>, StoreError> {
        let slot = self.slot(id);
        let mut guard = slot.lock().await;
        self.load(&mut guard, id).await?;
        let out = guard.clone();
        if out.is_none() {
            drop(guard);
            self.forget(id);
        }
        Ok(out)
    }

    /// Compute events from the current state, store them with the new
    /// state, then make it current. Nothing changes if any step fails.
    pub(super) async fn change(
        &self,
        id: &str,
        f: impl FnOnce(&AppState) -> Result<Vec<Event>, ActionError>,
    ) -> Result<AppState, ActionError> {
        self.change_with(id, false, f).await
    }

    /// [`Apps::change`] by the application's driver: when this host no
    /// longer holds the lease (another host took the application over
    /// while a step ran), nothing is recorded and the state is returned as
    /// stored, so an outcome computed from an older state is never
    /// appended onto the new holder's.
    pub(super) async fn change_as_driver(
        &self,
        id: &str,
        f: impl FnOnce(&AppState) -> Result<Vec<Event>, ActionError>,
    ) -> Result<AppState, ActionError> {
        self.change_with(id, true, f).await
    }

    async fn change_with(
        &self,
        id: &str,
        driver: bool,
        f: impl FnOnce(&AppState) -> Result<Vec<Event>, ActionError>,
    ) -> Result<AppState, ActionError> {
        let slot = self.slot(id);
        let mut guard = slot.lock().await;
        self.load(&mut guard, id).await?;
        let Some(current) = guard.as_ref() else {
            drop(guard);
            self.forget(id);
            return Err(ActionError::NotFound(id.to_owned()));
        };
        if driver && !self.held.contains(id) {
            tracing::info!(
                application = id,
                "this host no longer holds the application's lease: the step's outcome is left to the host that does"
            );
            return Ok(current.clone());
        }
        let events = f(current)?;
        if events.is_empty() {
            return Ok(current.clone());
        }
        let at = now_ms();
        let mut next = current.clone();
        for e in &events {
            next.apply(e, at);
        }
        let stamped: Vec<(Event, i64)> = events.into_iter().map(|e| (e, at)).collect();
        if let Err(e) = self.store.append(current, &next, &stamped).await {
            // The store may hold more than this copy (another host moved
            // the application on): read it again next time.
            *guard = None;
            return Err(e.into());
        }
        let parked = next.status != AppStatus::Running;
        *guard = Some(next.clone());
        drop(guard);
        if parked {
            // Final or waiting for someone: no need to keep it in memory.
            self.forget(id);
        }
        Ok(next)
    }

    /// Become the application's driver; false if one is already running.
    pub(super) fn claim(&self, id: &str) -> bool {
        let mut d = self.drivers.lock().unwrap_or_else(|p| p.into_inner());
        if d.contains_key(id) {
            false
        } else {
            d.insert(id.to_owned(), false);
            true
        }
    }

    /// Stop being the application's driver, poked or not.
    pub(super) fn release(&self, id: &str) {
        let mut d = self.drivers.lock().unwrap_or_else(|p| p.into_inner());
        d.remove(id);
    }

    /// Tell the running driver to look again before it stops.
    pub(super) fn poke(&self, id: &str) {
        let mut d = self.drivers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = d.get_mut(id) {
            *p = true;
        }
    }

    /// Stop driving unless poked meanwhile; true means drive once more.
    pub(super) fn release_unless_poked(&self, id: &str) -> bool {
        let mut d = self.drivers.lock().unwrap_or_else(|p| p.into_inner());
        match d.get_mut(id) {
            Some(p) if *p => {
                *p = false;
                true
            }
            _ => {
                d.remove(id);
                false
            }
        }
    }
}
