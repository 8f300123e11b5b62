//! The PostgreSQL store: every concern of `onething_store` in one
//! PostgreSQL database, for many hosts at once. The embedded SQLite store
//! stays the default for one host; this one is for a platform that runs
//! several hosts behind a load balancer and must survive losing one.
//!
//! Built on tokio-postgres with a deadpool pool ([`PoolOptions`]). Each
//! write is one transaction on a pooled connection; the schema (and why
//! each key is what it is) is in [`schema`], migrated when a host
//! connects, under an advisory lock.
//!
//! # Many hosts, one database
//!
//! Nothing here relies on being the only writer, nor on state kept in the
//! process: every rule is the database's.
//!
//! - One approval per application, department and step: a partial unique
//!   index on the events (`events_one_approval`); a second approval from
//!   any host fails there and nothing of its append is stored.
//! - Events are numbered without gaps: an append moves the application's
//!   `last_seq` from the seq it was made after, so two hosts appending
//!   from the same state cannot both succeed.
//! - Client idempotency keys: UNIQUE, taken with `INSERT … ON CONFLICT DO
//!   NOTHING`; the loser of a race reads the winner back.
//! - The audit chain: every sealing transaction locks the one-row chain
//!   head (`SELECT … FOR UPDATE`), seals its entries on the head it read
//!   ([`onething_store::audit::Sealer`]), stores the record and the new
//!   head, and commits; the next waits for it. One chain, one sequence.
//!   The head is locked last, after the transaction's other writes, so
//!   the chain is held only for the few statements that extend it.
//! - The department key-value store: `insert-new` is `INSERT … ON
//!   CONFLICT DO NOTHING`; a department's usage row is locked by every
//!   write to it, and the quota checked and the usage updated in the same
//!   transaction ([`PostgresKv`]).
//! - Issued values: a primary key on `(field, value)`.
//! - The catalog's history: written under a transaction-level advisory
//!   lock, so its seqs follow commit order.
//! - Which host drives an application: a lease on its row, with an
//!   expiry by the database's clock (`now()`), claimed by an `UPDATE`
//!   that re-checks it is free; the orphans of a host that died are
//!   claimed with `SELECT … FOR NO KEY UPDATE SKIP LOCKED`, so hosts
//!   split them without waiting for each other or claiming one twice
//!   (`leases`).
//!
//! Locks are always taken in one order (the application's row, a
//! department's usage row or the catalog's lock first; the chain head
//! last; several applications' rows, when a renewal of leases takes
//! them, by id), so these transactions cannot deadlock one another.
//!
//! Connections are made without TLS (`NoTls`): the database is reached
//! over a trusted network or a local socket. It implements every trait
//! of `onething_store` and passes its conformance suite. Not for deciding
//! anything, nor for making audit entries (both are done above it).

mod applications;
mod audit;
mod consents;
mod error;
mod issued;
mod kv;
mod leases;
mod materials;
pub mod schema;
mod sql;
mod target;
mod versions;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use onething_store::audit::Sealer;
use onething_store::{DepartmentKv, Store, StoreError, StoreOptions};
use tokio_postgres::NoTls;

pub use kv::PostgresKv;

use crate::error::db;
use crate::target::Target;

/// How a store's connections are pooled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// Connections at most. Every host has its own pool: the hosts'
    /// sizes together must stay under the server's `max_connections`
    /// (100 by default).
    pub max_size: usize,
    /// How long a write waits for a free connection before failing.
    pub wait_timeout: Duration,
    /// How long making a connection may take (when the URL sets no
    /// `connect_timeout` of its own).
    pub connect_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    /// `user@host:port/database`, for messages.
    target: Arc<str>,
    audit: bool,
    /// The host's key, signing each new head of the chain.
    key: Option<ed25519_dalek::SigningKey>,
    /// Its public half, checked by `verify_audit`.
    verifying: Option<ed25519_dalek::VerifyingKey>,
    kv: Arc<PostgresKv>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

impl PostgresStore {
    /// Connect to the database at `url` (`postgres://user:password@host:port/database`)
    /// with the default pool, bringing its schema up to date first.
    pub async fn connect(url: &str, options: StoreOptions) -> Result<Self, StoreError> {
        Self::connect_with(url, options, PoolOptions::default()).await
    }

    /// The same, with a pool of its own size and timeouts.
    pub async fn connect_with(
        url: &str,
        options: StoreOptions,
        pool: PoolOptions,
    ) -> Result<Self, StoreError> {
        Self::connect_with_password(url, None, options, pool).await
    }

    /// The same, with the password given apart from the URL (read from
    /// a secret file or the environment, so it is in neither the URL nor
    /// the config file); it replaces one the URL holds.
    pub async fn connect_with_password(
        url: &str,
        password: Option<&str>,
        options: StoreOptions,
        pool: PoolOptions,
    ) -> Result<Self, StoreError> {
        let mut target = Target::parse(url, pool.connect_timeout)?;
        if let Some(password) = password {
            target.config.password(password);
        }
        let shown: Arc<str> = Arc::from(target.shown.as_str());
        let failed = |doing: &str, why: String| {
            StoreError::Database(format!("{doing} postgres://{shown}: {why}"))
        };
        // The migrations run on a connection of their own, outside the
        // pool: the advisory lock they hold is the session's, and closing
        // the connection releases it whatever happens.
        let (mut client, connection) = target
            .config
            .connect(NoTls)
            .await
            .map_err(|e| failed("connecting to", error::message(&e)))?;
        let driver = tokio::spawn(connection);
        let migrated = schema::migrate(&mut client).await;
        drop(client);
        let _ = driver.await;
        migrated.map_err(|e| match e {
            StoreError::Database(why) => failed("migrating", why),
            other => failed("migrating", other.to_string()),
        })?;

        let manager = Manager::from_config(
            target.config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool.max_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(pool.wait_timeout))
            .create_timeout(Some(pool.connect_timeout))
            .recycle_timeout(Some(pool.connect_timeout))
            .build()
            .map_err(|e| failed("making a connection pool for", e.to_string()))?;
        let key = options.checkpoint_key.map(|k| k.0);
        Ok(Self {
            kv: Arc::new(PostgresKv::new(pool.clone(), shown.clone())),
            pool,
            target: shown,
            audit: options.audit,
            verifying: key.as_ref().map(ed25519_dalek::SigningKey::verifying_key),
            key,
        })
    }

    /// The database, as `user@host:port/database` (no password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<Object, StoreError> {
        self.pool
            .get()
            .await
            .map_err(|e| error::pool(&self.target, e))
    }

    /// Seal `part` (a write's audit entries, if any) into the chain and
    /// commit `tx`: the head row is locked, the record sealed on the head
    /// read from it, and the record and the new head stored, all in `tx`.
    /// Without entries (or with the audit log off) it only commits.
    pub(crate) async fn seal_and_commit(
        &self,
        tx: deadpool_postgres::Transaction<'_>,
        part: Option<&str>,
    ) -> Result<(), StoreError> {
        if self.audit
            && let Some(part) = part
        {
            let head = audit::lock_head(&tx).await?;
            let mut sealer = Sealer::new(true, head).signing(self.key.clone());
            sealer.begin();
            sealer.add(Some(part));
            if let Some(record) = sealer.seal() {
                audit::store_record(&tx, &record, sealer.head()).await?;
            }
        }
        // Should the connection fail after COMMIT was sent, the outcome
        // is unknown to this host: the error says so much, and the caller
        // reads the application back before trying again.
        tx.commit().await.map_err(db("committing"))
    }
}

#[async_trait]
impl Store for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(db("pinging the database"))
    }

    fn kv(&self) -> Arc<dyn DepartmentKv> {
        self.kv.clone()
    }

    fn describe(&self) -> String {
        format!("postgres {}", self.target)
    }
}
