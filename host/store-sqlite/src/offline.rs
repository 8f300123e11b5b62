//! The offline audit tools (`onething audit verify`): check a store's
//! audit chain, or read one record's digest, from its data directory,
//! opening the database read-only. Safe while the service runs (the check
//! reads one consistent snapshot); never writes.
//!
//! Not for a running store's own checks: those are
//! [`onething_store::AuditLog`] on the store.

use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use onething_store::StoreError;
use onething_store::audit::{Broken, Verified};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::{DB_FILE, db};

/// Verify the audit log of the store in `data_dir` against its
/// checkpoint, without opening it for writing.
pub fn verify_audit_in(data_dir: &Path) -> Result<Result<Verified, Broken>, StoreError> {
    crate::audit::verify(&open_read_only(data_dir)?)
}

/// The digest of audit record `seq` in the store in `data_dir`, if
/// present (to compare with a checkpoint kept elsewhere).
pub fn audit_digest_in(data_dir: &Path, seq: u64) -> Result<Option<String>, StoreError> {
    let Ok(seq) = i64::try_from(seq) else {
        return Ok(None);
    };
    open_read_only(data_dir)?
        .query_row(
            "SELECT digest FROM audit WHERE seq = ?1",
            params![seq],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)
}

/// The store in `data_dir`, opened read-only. The directory and the file
/// are checked through cap-std first, so a missing one is named; SQLite
/// then opens the file by path.
fn open_read_only(data_dir: &Path) -> Result<Connection, StoreError> {
    let dir = Dir::open_ambient_dir(data_dir, ambient_authority())
        .map_err(|e| StoreError::Database(format!("data directory {}: {e}", data_dir.display())))?;
    match dir.metadata(DB_FILE) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(StoreError::Database(format!(
                "data directory {}: {DB_FILE} is not a file",
                data_dir.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Database(format!(
                "no store in data directory {} (no {DB_FILE})",
                data_dir.display()
            )));
        }
        Err(e) => {
            return Err(StoreError::Database(format!(
                "data directory {}: {DB_FILE}: {e}",
                data_dir.display()
            )));
        }
    }
    let path = data_dir.join(DB_FILE);
    let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| StoreError::Database(format!("opening {} read-only: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db)?;
    Ok(conn)
}
