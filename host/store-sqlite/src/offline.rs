//! The offline audit tools (`onething audit verify|checkpoint`): check a
//! store's audit chain, or read its checkpoint, from its data directory,
//! opening the database read-only. Safe while the service runs (the check
//! reads one consistent snapshot); never writes.
//!
//! Not for a running store's own checks: those are
//! [`onething_store::AuditLog`] on the store.

use std::path::Path;

use cap_std::ambient_authority;
use cap_std::fs::Dir;
use onething_store::StoreError;
use onething_store::audit::{Broken, Chain, Verified, VerifyOptions};
use rusqlite::{Connection, OpenFlags};

use crate::{DB_FILE, db};

/// Verify the audit log of the store in `data_dir` against its
/// checkpoint (and `options`), and every stored event against the chain's
/// seals, without opening it for writing.
pub fn verify_audit_in(
    data_dir: &Path,
    options: &VerifyOptions,
) -> Result<Result<Verified, Broken>, StoreError> {
    crate::audit::verify(&open_read_only(data_dir)?, options)
}

/// The checkpoint of the store in `data_dir` (seq, digest and, when the
/// host has a key, its signature).
pub fn checkpoint_in(data_dir: &Path) -> Result<Option<Chain>, StoreError> {
    crate::audit::checkpoint(&open_read_only(data_dir)?)
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
