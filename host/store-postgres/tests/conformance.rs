//! The whole `onething_store` conformance suite on a PostgreSQL store,
//! each case in a schema of its own on the test server
//! (`ONETHING_TEST_POSTGRES`). Not for what only many hosts show: see
//! `hosts.rs`.

mod common;

use onething_store::StoreOptions;
use onething_store_conformance::Fresh;
use onething_store_postgres::PostgresStore;

async fn fresh(options: StoreOptions) -> Fresh {
    let schema = common::Schema::new().await;
    let store = PostgresStore::connect(&schema.url, options)
        .await
        .unwrap_or_else(|e| panic!("connecting the store: {e}"));
    Fresh::keeping(store, schema)
}

onething_store_conformance::conformance_tests!(fresh);
