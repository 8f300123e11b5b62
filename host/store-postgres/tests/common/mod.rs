//! What the PostgreSQL tests share: a fresh schema on the test server
//! for each test, and the events they store.
//!
//! The server is named by `ONETHING_TEST_POSTGRES`; `cargo xtask test`
//! starts a throwaway one and sets it. Without it every test fails (never
//! skips): a backend whose tests did not run is not a tested backend.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use onething_model::events::Event;
use onething_model::ids::{BundleId, Digest, FieldKey, StepRef};
use onething_model::state::AppState;
use onething_store::{Store, StoreError};
use tokio_postgres::NoTls;

/// The variable naming the test server.
pub const ENV: &str = "ONETHING_TEST_POSTGRES";

/// The test server's URL, or a failure saying how to get one.
pub fn server() -> String {
    match std::env::var(ENV) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{ENV} is not set, so the PostgreSQL store cannot be tested. Run `cargo xtask test`, \
             which starts a throwaway PostgreSQL server for the tests, or set {ENV} to the URL of a \
             server on which the tests may create and drop schemas \
             (e.g. postgres://postgres@127.0.0.1:5432/postgres)."
        ),
    }
}

/// Connect to `url` for the test's own statements.
pub async fn admin(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test server ({ENV}): {e:?}"));
    tokio::spawn(connection);
    client
}

/// A schema of its own for one test, dropped (best effort) afterwards;
/// `url` connects with it as the search path, so a store made on it sees
/// only its own tables.
pub struct Schema {
    server: String,
    /// The schema's name.
    pub name: String,
    /// The server's URL with the schema as the search path.
    pub url: String,
}

impl Schema {
    /// Create a uniquely named schema.
    pub async fn new() -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let server = server();
        let name = format!(
            "onething_test_{}_{}_{:08x}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..)
        );
        admin(&server)
            .await
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap_or_else(|e| panic!("creating schema {name}: {e:?}"));
        let sep = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{sep}options=-c%20search_path%3D{name}");
        Self { server, name, url }
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        // Dropped inside the test's runtime, which cannot be blocked on:
        // a thread with a runtime of its own drops the schema.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok((client, connection)) = tokio_postgres::connect(&server, NoTls).await {
                    tokio::spawn(connection);
                    let _ = client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .await;
                }
            });
        });
        let _ = dropped.join();
    }
}

pub const HEALTH: &str = "health/birth-certificate";
pub const POLICE: &str = "public-security/household-registration";

pub fn step(s: &str) -> StepRef {
    StepRef::parse(s).expect("step ref")
}

pub fn key(s: &str) -> FieldKey {
    FieldKey::parse(s).expect("field key")
}

pub fn submission() -> Event {
    Event::Submitted {
        bundle: BundleId::parse("newborn").expect("bundle id"),
        bundle_digest: Digest::of(b"bundle newborn"),
        form: BTreeMap::from([(key("child.name"), serde_json::json!("a name"))]),
        materials: BTreeMap::new(),
        steps: vec![(step(HEALTH), 60), (step(POLICE), 60)],
        time_limit_secs: 3600,
        consent: None,
        owner: None,
    }
}

pub fn approved(s: &str) -> Event {
    Event::StepApproved {
        step: step(s),
        attempt: 1,
        outputs: BTreeMap::new(),
        documents: vec![],
        note: None,
        operator: None,
    }
}

/// Submit a new application; its state.
pub async fn submit(store: &dyn Store, id: &str, at_ms: i64) -> AppState {
    let event = submission();
    let state = AppState::submitted(id, at_ms, &event).expect("a submission");
    store
        .create(None, &state, &event, at_ms)
        .await
        .expect("create");
    state
}

/// Fold `events` into `state` and append them, as the engine does; the
/// state after, or why the store refused.
pub async fn apply(
    store: &dyn Store,
    state: &AppState,
    events: Vec<Event>,
    at_ms: i64,
) -> Result<AppState, StoreError> {
    let events: Vec<(Event, i64)> = events.into_iter().map(|e| (e, at_ms)).collect();
    let mut after = state.clone();
    for (e, at) in &events {
        after.apply(e, *at);
    }
    store.append(state, &after, &events).await?;
    Ok(after)
}
