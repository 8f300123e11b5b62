//! The store's tables in PostgreSQL, and the versioned migrations that
//! make them.
//!
//! # Migrations
//!
//! [`MIGRATIONS`] is an ordered list; `schema_migrations` records each
//! version applied (with its name and when). Every host runs
//! [`migrate`] when it connects, holding a session-level advisory lock
//! ([`MIGRATION_LOCK`], `pg_advisory_lock`) for the whole check: hosts
//! starting together wait for each other, and the first applies what is
//! missing, each migration in its own transaction with its row in
//! `schema_migrations`, so a failed one leaves nothing half done. A
//! database at a version newer than the host knows is refused (an old
//! host must not write a schema it does not understand). Migrations are
//! never edited once released: a change is a new migration.
//!
//! # Tables (version 1)
//!
//! - `applications`: one row per application, for lists and recovery:
//!   `id` (primary key), `bundle`, `status`, `overdue`, `submitted_ms`,
//!   `ord` (creation order, breaking ties between equal submission
//!   times), `client_key` (UNIQUE: a client's idempotency key names one
//!   application, whichever host stored it; a create uses `INSERT … ON
//!   CONFLICT (client_key) DO NOTHING`) and its `client_request` digest,
//!   and `last_seq`, the seq of its last event: an append updates the row
//!   `WHERE last_seq = first_seq - 1`, which locks the row until commit
//!   and refuses an append made from a stale state, so the events of an
//!   application are numbered without gaps or forks however many hosts
//!   write.
//! - `events`: the append-only history, primary key `(application,
//!   seq)`; `body` is the event's JSON exactly as serialised (TEXT, not
//!   JSONB: the audit chain seals those bytes, and JSONB would reorder
//!   them). The partial unique index `events_one_approval` on
//!   `(application, step) WHERE kind = 'step-approved'` is the single
//!   approval per application, department and step: a second one fails
//!   at the database, whichever host tries.
//! - `materials` (by `digest`, bytes inline, `ON CONFLICT DO NOTHING`
//!   keeping the first description) and `material_uploads` (`(digest,
//!   uploader)`).
//! - `versions`: every admitted version with its bytes, primary key
//!   `(kind, digest)`; `stored` orders versions admitted at the same time.
//! - `changes`: the catalog's history, `seq` an identity column. Changes
//!   are written under a transaction-level advisory lock
//!   ([`CHANGES_LOCK`]), so seqs are handed out in commit order and a
//!   host reading "changes after seq N" never misses one committed late.
//! - `consents`: prefill consents by `id`, the record as JSON.
//! - `issued_values`: primary key `(key, value)`, the application holding
//!   each issued value; a claim inserts with `ON CONFLICT DO NOTHING` and
//!   reads back the holder, so a value is claimed once across hosts.
//! - `kv` (primary key `(department, key)`) and `kv_usage` (one row per
//!   department: keys and bytes kept). Every key-value write locks its
//!   department's usage row (`FOR UPDATE`), checks the quota and updates
//!   the usage in the same transaction, so a quota holds across hosts;
//!   `insert-new` is `INSERT … ON CONFLICT DO NOTHING`.
//! - `audit`: the sealed records of the chain, primary key `seq`, the
//!   body as sealed (zstd-compressed JSON).
//! - `audit_head`: one row (`id = 1`), the chain's head and checkpoint
//!   (seq, digest, signature), seq 0 and the genesis digest before the
//!   first record. Every transaction that seals a record locks it
//!   (`SELECT … FOR UPDATE`), seals on the head it read, and stores the
//!   record and the new head before committing: one chain, one
//!   sequence, whichever hosts append.
//!
//! # Version 2: application leases
//!
//! Which host drives each application (`onething_store::Leases`):
//!
//! - `applications.lease_host` (TEXT) and `applications.lease_until_ms`
//!   (BIGINT, ms since the epoch by the database's clock, `now()`), both
//!   NULL when the application has no lease (every application stored
//!   before version 2, and every new one); the CHECK
//!   `applications_lease_whole` keeps them NULL or set together. On the
//!   application's row rather than a table of their own: every
//!   application has a row to lock already, so a claim of orphans is one
//!   `SELECT … FOR NO KEY UPDATE SKIP LOCKED` over the running
//!   applications (the index `applications_by_status`), with nothing to
//!   backfill and no lease row to create with each application; and a
//!   lease cannot outlive its application nor exist twice for it.
//!   Renewals change only `lease_until_ms`, which no index covers, so
//!   they can be HOT updates.
//! - `applications_leased`, a partial index on `lease_host` of the leased
//!   applications only, for the list of leases (a handful of rows among
//!   all the applications ever stored).
//!
//! Adding the columns is instant (nullable, no default); the CHECK and
//! the index read the table once, while the migration holds it.
//!
//! Not for the statements the store runs: each module has its own.

use onething_store::StoreError;
use tokio_postgres::Client;

use crate::error::db;

/// The key of the advisory lock held while migrating (any constant both
/// old and new hosts agree on: the bytes of "onething" read as an
/// integer).
pub const MIGRATION_LOCK: i64 = 0x6f6e_6574_6869_6e67;

/// The key of the transaction-level advisory lock catalog changes are
/// written under ("onething" + 1).
pub const CHANGES_LOCK: i64 = MIGRATION_LOCK + 1;

/// One migration.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Its version, from 1, in order.
    pub version: i32,
    /// What it does, in a few words (kept in `schema_migrations`).
    pub name: &'static str,
    /// Its statements.
    pub sql: &'static str,
}

/// Version 1: every table of the store.
const V1: &str = r#"
CREATE TABLE applications (
    id             TEXT PRIMARY KEY,
    ord            BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    bundle         TEXT NOT NULL,
    status         TEXT NOT NULL,
    overdue        BOOLEAN NOT NULL DEFAULT FALSE,
    client_key     TEXT UNIQUE,
    client_request TEXT,
    submitted_ms   BIGINT NOT NULL,
    updated_ms     BIGINT NOT NULL,
    last_seq       BIGINT NOT NULL CHECK (last_seq >= 1)
);
CREATE INDEX applications_by_submission ON applications (submitted_ms, ord);
CREATE INDEX applications_by_status ON applications (status, submitted_ms, ord);

CREATE TABLE events (
    application TEXT NOT NULL REFERENCES applications (id),
    seq         BIGINT NOT NULL CHECK (seq >= 1),
    at_ms       BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    step        TEXT,
    body        TEXT NOT NULL,
    PRIMARY KEY (application, seq)
);
-- An approved outcome is recorded once per step, whichever host records it.
CREATE UNIQUE INDEX events_one_approval ON events (application, step) WHERE kind = 'step-approved';

CREATE TABLE materials (
    digest     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL
);
CREATE TABLE material_uploads (
    digest   TEXT NOT NULL,
    uploader TEXT NOT NULL,
    PRIMARY KEY (digest, uploader)
);

CREATE TABLE versions (
    kind      TEXT NOT NULL,
    digest    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    version   TEXT NOT NULL,
    source    TEXT NOT NULL,
    added_ms  BIGINT NOT NULL,
    added_by  TEXT NOT NULL,
    bytes     BYTEA NOT NULL,
    signature TEXT,
    stored    BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    PRIMARY KEY (kind, digest)
);
CREATE INDEX versions_by_subject ON versions (kind, subject, added_ms, stored);

CREATE TABLE changes (
    seq     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    subject TEXT,
    action  TEXT NOT NULL,
    digest  TEXT,
    version TEXT,
    actor   TEXT NOT NULL,
    source  TEXT NOT NULL,
    reason  TEXT
);
CREATE INDEX changes_by_subject ON changes (kind, subject, seq);

CREATE TABLE consents (
    id         TEXT PRIMARY KEY,
    bundle     TEXT NOT NULL,
    granted_ms BIGINT NOT NULL,
    body       TEXT NOT NULL
);

CREATE TABLE issued_values (
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    application TEXT NOT NULL,
    PRIMARY KEY (key, value)
);

CREATE TABLE kv (
    department TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BYTEA NOT NULL,
    PRIMARY KEY (department, key)
);
CREATE TABLE kv_usage (
    department TEXT PRIMARY KEY,
    keys       BIGINT NOT NULL CHECK (keys >= 0),
    bytes      BIGINT NOT NULL CHECK (bytes >= 0)
);

CREATE TABLE audit (
    seq    BIGINT PRIMARY KEY CHECK (seq >= 1),
    at_ms  BIGINT NOT NULL,
    body   BYTEA NOT NULL,
    prev   TEXT NOT NULL,
    digest TEXT NOT NULL
);
CREATE TABLE audit_head (
    id        SMALLINT PRIMARY KEY CHECK (id = 1),
    seq       BIGINT NOT NULL CHECK (seq >= 0),
    digest    TEXT NOT NULL,
    signature TEXT
);
INSERT INTO audit_head (id, seq, digest)
    VALUES (1, 0, 'sha256:0000000000000000000000000000000000000000000000000000000000000000');
"#;

/// Version 2: each application's lease (see the module's docs).
const V2: &str = r#"
ALTER TABLE applications
    ADD COLUMN lease_host     TEXT,
    ADD COLUMN lease_until_ms BIGINT,
    ADD CONSTRAINT applications_lease_whole CHECK ((lease_host IS NULL) = (lease_until_ms IS NULL));
CREATE INDEX applications_leased ON applications (lease_host) WHERE lease_host IS NOT NULL;
"#;

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "the store's tables",
        sql: V1,
    },
    Migration {
        version: 2,
        name: "application leases",
        sql: V2,
    },
];

/// The table of applied migrations (made under the lock, so hosts
/// starting together do not race to create it).
const MIGRATIONS_TABLE: &str = r#"
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_ms BIGINT NOT NULL
)"#;

/// Bring the database to the newest schema, under the migration lock;
/// the versions this call applied.
pub(crate) async fn migrate(client: &mut Client) -> Result<Vec<i32>, StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db("taking the migration lock"))?;
    let applied = apply(client).await;
    // The lock is the session's: released here, and in any case when the
    // caller drops this connection (it is one of its own, not pooled).
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(db("releasing the migration lock"));
    let applied = applied?;
    unlocked?;
    Ok(applied)
}

/// Apply the migrations not applied yet, each in its own transaction.
async fn apply(client: &mut Client) -> Result<Vec<i32>, StoreError> {
    client
        .batch_execute(MIGRATIONS_TABLE)
        .await
        .map_err(db("creating schema_migrations"))?;
    let done: Vec<i32> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .map_err(db("reading schema_migrations"))?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()
        .map_err(db("reading schema_migrations"))?;
    let known = MIGRATIONS.last().map_or(0, |m| m.version);
    if let Some(newer) = done.iter().find(|v| **v > known) {
        return Err(StoreError::Database(format!(
            "the database's schema has version {newer}, newer than this host knows (up to {known}): upgrade the host"
        )));
    }
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| !done.contains(&m.version)) {
        let doing = format!(
            "migrating the store to schema version {} ({})",
            m.version, m.name
        );
        let tx = client.transaction().await.map_err(db(&doing))?;
        tx.batch_execute(m.sql).await.map_err(db(&doing))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)",
            &[&m.version, &m.name],
        )
        .await
        .map_err(db(&doing))?;
        tx.commit().await.map_err(db(&doing))?;
        applied.push(m.version);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        assert!(
            MIGRATIONS
                .iter()
                .zip(1..)
                .all(|(m, version)| m.version == version)
        );
    }

    #[test]
    fn the_head_starts_at_the_genesis_digest() {
        assert!(V1.contains(&format!("'{}'", onething_store::audit::GENESIS)));
    }
}
