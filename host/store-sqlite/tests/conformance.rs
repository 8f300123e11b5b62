//! The whole `onething_store` conformance suite on a SQLite store in a
//! temporary directory. Not for SQLite's own behaviour (reopening, group
//! commit, the offline tools): see `sqlite.rs`.

use onething_store::StoreOptions;
use onething_store_conformance::Fresh;
use onething_store_sqlite::SqliteStore;

async fn fresh(options: StoreOptions) -> Fresh {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = SqliteStore::open(dir.path().join("data"), options).expect("open the store");
    Fresh::keeping(store, dir)
}

onething_store_conformance::conformance_tests!(fresh);
