//! The conformance suite: what every backend of [`Store`] must do, the
//! same way. Each case is a public `async fn` taking a fresh store
//! ([`Fresh`]); [`conformance_tests!`] makes one
//! `#[test]` per case, so a backend runs the whole suite with one line and
//! a failure names its case:
//!
//! ```ignore
//! async fn fresh(options: onething_store::StoreOptions) -> onething_store_conformance::Fresh {
//!     let dir = tempfile::tempdir().expect("tempdir");
//!     let store = MyStore::open(dir.path(), options).expect("open");
//!     onething_store_conformance::Fresh::keeping(store, dir)
//! }
//! onething_store_conformance::conformance_tests!(fresh);
//! ```
//!
//! A crate of its own, a backend's dev-dependency, so no feature of the
//! store changes between building the service and testing it (the two
//! share one build). Not for a backend's own concerns (reopening, group
//! commit, files): those are its own tests.

mod applications;
mod audit;
mod fixtures;
mod kv;
mod leases;
mod records;

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use onething_store::Store;

#[doc(hidden)]
pub use onething_store::StoreOptions;

pub use applications::*;
pub use audit::*;
pub use kv::*;
pub use leases::*;
pub use records::*;

/// A fresh, empty store for one case, with whatever must outlive it (a
/// temporary directory, a database to drop afterwards).
pub struct Fresh {
    /// The store, as the engine holds it.
    pub store: Arc<dyn Store>,
    /// Dropped after the store.
    _keep: Option<Box<dyn Any + Send + Sync>>,
}

impl Fresh {
    /// A store that needs nothing kept.
    pub fn new(store: impl Store) -> Self {
        Self {
            store: Arc::new(store),
            _keep: None,
        }
    }

    /// A store with something to keep until it is dropped (fields drop in
    /// order: the store first).
    pub fn keeping(store: impl Store, keep: impl Any + Send + Sync) -> Self {
        Self {
            store: Arc::new(store),
            _keep: Some(Box::new(keep)),
        }
    }
}

/// Run one case on a multi-threaded runtime of two workers (what the
/// generated tests call).
pub fn run(case: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(case);
}

/// One `#[test]` per conformance case, each on a fresh store from
/// `$fresh`: an `async fn(StoreOptions) -> Fresh` (or any expression
/// callable so).
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:expr) => {
        $crate::conformance_tests!(@cases $fresh, $crate::StoreOptions::default();
            create_state_and_events,
            idempotent_client_key,
            append_folds_like_the_engine,
            events_after_a_seq,
            unfinished_list_and_counts,
            a_second_approval_is_refused_and_stores_nothing,
            materials_dedup_meta_and_bytes,
            material_uploads_are_noted_per_uploader,
            versions_history_and_activation,
            consents_round_trip,
            kv_get_set_insert_delete_and_isolation,
            kv_insert_new_races_set_once,
            kv_quota_holds,
            issued_values_are_claimed_once,
            a_lease_is_held_by_one_host_at_a_time,
            an_expired_lease_is_taken_by_another_host,
            renewals_extend_what_is_held_and_name_what_is_lost,
            a_release_frees_only_the_holders_lease,
            orphans_are_the_unfinished_applications_without_a_live_lease,
            two_hosts_claiming_orphans_at_once_never_share_one,
            audit_seals_every_write,
            recorded_entries_are_sealed_and_found_by_application,
            an_outbound_call_is_sealed_and_found,
            ping_and_describe,
        );
        $crate::conformance_tests!(@cases $fresh, $crate::StoreOptions { audit: false, ..Default::default() };
            audit_off_seals_nothing,
        );
    };
    (@cases $fresh:expr, $options:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::run(async {
                    let fresh = ($fresh)($options).await;
                    $crate::$case(fresh).await;
                });
            }
        )+
    };
}
