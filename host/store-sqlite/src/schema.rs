//! The tables of `onething.db` (all but the audit log's, which are in
//! [`crate::audit`]), created when missing. The same schema as the
//! single-crate host's, so a data directory it wrote opens as it is.
//!
//! Later versions of the schema are applied in order by [`migrate`],
//! numbered by SQLite's `user_version`, each in one transaction.

use rusqlite::Connection;

use crate::db;

/// Every table but the audit log's.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS applications (
    id           TEXT PRIMARY KEY,
    bundle       TEXT NOT NULL,
    status       TEXT NOT NULL,
    overdue      INTEGER NOT NULL DEFAULT 0,
    client_key   TEXT UNIQUE,
    submitted_ms INTEGER NOT NULL,
    updated_ms   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS applications_status ON applications(status);
CREATE TABLE IF NOT EXISTS events (
    application TEXT NOT NULL REFERENCES applications(id),
    seq         INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    step        TEXT,
    body        TEXT NOT NULL,
    PRIMARY KEY (application, seq)
);
-- An approved outcome is recorded once per step, whatever happens.
CREATE UNIQUE INDEX IF NOT EXISTS events_one_approval ON events(application, step) WHERE kind = 'step-approved';
CREATE TABLE IF NOT EXISTS materials (
    digest     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    bytes      BLOB NOT NULL
);
-- Every admitted version of a component or bundle, with its bytes.
CREATE TABLE IF NOT EXISTS versions (
    kind      TEXT NOT NULL,
    digest    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    version   TEXT NOT NULL,
    source    TEXT NOT NULL,
    added_ms  INTEGER NOT NULL,
    added_by  TEXT NOT NULL,
    bytes     BLOB NOT NULL,
    signature TEXT,
    PRIMARY KEY (kind, digest)
);
-- The catalog's history: admitted, refused, activated, rolled back.
CREATE TABLE IF NOT EXISTS changes (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms   INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    subject TEXT,
    action  TEXT NOT NULL,
    digest  TEXT,
    version TEXT,
    actor   TEXT NOT NULL,
    source  TEXT NOT NULL,
    reason  TEXT
);
CREATE INDEX IF NOT EXISTS changes_subject ON changes(kind, subject);
-- Prefill consents, by id (the application records the one it used).
CREATE TABLE IF NOT EXISTS consents (
    id         TEXT PRIMARY KEY,
    bundle     TEXT NOT NULL,
    granted_ms INTEGER NOT NULL,
    body       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (
    department TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      BLOB NOT NULL,
    PRIMARY KEY (department, key)
);
"#;

/// Create every table that is missing, the audit log's included, and
/// bring the schema to the newest version.
#[cfg(test)]
pub(crate) fn create(conn: &Connection) -> Result<(), crate::StoreError> {
    create_with(conn, |_| Ok(()))
}

/// The same, running `at_v3` inside the transaction that brings a store
/// to version 3 (sealing the events stored before it), so the schema
/// never says 3 while those events are unsealed.
pub(crate) fn create_with(
    conn: &Connection,
    at_v3: impl FnOnce(&Connection) -> Result<(), crate::StoreError>,
) -> Result<(), crate::StoreError> {
    conn.execute_batch(SCHEMA).map_err(db)?;
    conn.execute_batch(crate::audit::SCHEMA).map_err(db)?;
    migrate(conn, at_v3)
}

/// Version 1: the digest of the request a client key came with; the
/// values issued to each application (one application per value); each
/// department's key-value usage, counted from what it keeps.
const V1: &str = r#"
ALTER TABLE applications ADD COLUMN client_request TEXT;
CREATE TABLE issued_values (
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    application TEXT NOT NULL,
    PRIMARY KEY (key, value)
);
CREATE TABLE kv_usage (
    department TEXT PRIMARY KEY,
    keys       INTEGER NOT NULL,
    bytes      INTEGER NOT NULL
);
INSERT INTO kv_usage (department, keys, bytes)
    SELECT department, COUNT(*), SUM(length(CAST(key AS BLOB)) + length(value)) FROM kv GROUP BY department;
"#;

/// Version 2: who uploaded each material (only they may reference it).
const V2: &str = r#"
CREATE TABLE material_uploads (
    digest   TEXT NOT NULL,
    uploader TEXT NOT NULL,
    PRIMARY KEY (digest, uploader)
);
"#;

/// Version 3: the checkpoint's signature by the host's key. (The events
/// stored before it are sealed into the chain when the store opens:
/// [`crate::audit::seal_events_before_v3`].)
const V3: &str = r#"
ALTER TABLE audit_checkpoint ADD COLUMN signature TEXT;
"#;

/// Version 4: each application's lease (which host drives it, until
/// when, ms since the epoch by the system clock; both NULL when none, as
/// every application stored before has), with an index of the leased
/// ones for the list of leases.
const V4: &str = r#"
ALTER TABLE applications ADD COLUMN lease_host TEXT;
ALTER TABLE applications ADD COLUMN lease_until_ms INTEGER;
CREATE INDEX applications_leased ON applications(lease_host) WHERE lease_host IS NOT NULL;
"#;

/// The schema versions after the first, in order.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// Apply the migrations a database has not had yet, each in one
/// transaction (version 3's with `at_v3`).
fn migrate(
    conn: &Connection,
    at_v3: impl FnOnce(&Connection) -> Result<(), crate::StoreError>,
) -> Result<(), crate::StoreError> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db)?;
    let mut at_v3 = Some(at_v3);
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let version = i as i64 + 1;
        if version <= current {
            continue;
        }
        let failed = |e: String| {
            let _ = conn.execute_batch("ROLLBACK");
            crate::StoreError::Database(format!(
                "migrating the store to schema version {version}: {e}"
            ))
        };
        conn.execute_batch(&format!("BEGIN; {sql}"))
            .map_err(|e| failed(e.to_string()))?;
        if version == 3
            && let Some(hook) = at_v3.take()
        {
            hook(conn).map_err(|e| failed(e.to_string()))?;
        }
        conn.execute_batch(&format!("PRAGMA user_version = {version}; COMMIT;"))
            .map_err(|e| failed(e.to_string()))?;
    }
    Ok(())
}
