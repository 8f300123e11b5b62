//! The whole conformance suite on the in-memory store (`onething run`'s).

use onething_store::{MemoryStore, StoreOptions};
use onething_store_conformance::Fresh;

async fn fresh(options: StoreOptions) -> Fresh {
    Fresh::new(MemoryStore::new(options))
}

onething_store_conformance::conformance_tests!(fresh);
