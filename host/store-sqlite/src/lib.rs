//! The embedded SQLite store: one file, `onething.db`, in the data
//! directory; WAL journal; one writer thread that commits in groups
//! (`writer`: every write waits for its own commit, but writes arriving
//! together share one transaction and one audit record); reads on their
//! own connection. The plugins' key-value store is served from the same
//! file ([`SqliteKv`]), and the audit chain is sealed by the writer in
//! the same transaction as the writes it describes (`audit`). Leases
//! (which host drives an application) are two columns of the
//! application's row, written through the writer and judged by the
//! system clock (`leases`). The offline audit tools ([`offline`]) read
//! a store, running or not, without writing it.
//!
//! The data directory is created and opened with cap-std and kept in the
//! store ([`SqliteStore::dir`]); SQLite itself opens `data_dir/onething.db`
//! by path, as it has no way to open a file relative to a directory
//! handle. One store opens a data directory at a time.
//!
//! It implements every trait of `onething_store` and passes its
//! conformance suite. Not for deciding anything, nor for making audit
//! entries (both are done above it).

mod applications;
mod audit;
mod consents;
mod issued;
mod kv;
mod leases;
mod materials;
pub mod offline;
mod schema;
mod versions;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use onething_store::audit::Sealer;
use onething_store::{DepartmentKv, Store, StoreError, StoreOptions};
use rusqlite::Connection;
use tokio::sync::oneshot;

pub use kv::SqliteKv;
pub use offline::{checkpoint_in, verify_audit_in};

/// The database file's name in the data directory.
pub const DB_FILE: &str = "onething.db";

/// The SQLite store.
pub struct SqliteStore {
    dir: Dir,
    path: PathBuf,
    audit: bool,
    /// The public half of the key checkpoints are signed with.
    verifying: Option<ed25519_dalek::VerifyingKey>,
    writer: writer::Queue,
    reader: Mutex<Connection>,
    kv: Arc<SqliteKv>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("audit", &self.audit)
            .finish_non_exhaustive()
    }
}

/// A database error as the store reports it.
pub(crate) fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

/// A connection to the database file, set up as every connection is.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Database(format!("opening {}: {e}", path.display())))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;",
    )
    .map_err(|e| StoreError::Database(format!("setting up {}: {e}", path.display())))?;
    Ok(conn)
}

/// The data directory as an error names it.
fn dir_error(data_dir: &Path, doing: &str, e: std::io::Error) -> StoreError {
    StoreError::Database(format!(
        "data directory {}: {doing}: {e}",
        data_dir.display()
    ))
}

impl SqliteStore {
    /// Open (or create) `onething.db` in `data_dir`, creating the
    /// directory if need be; the writer thread starts here, continuing
    /// the audit chain from the checkpoint.
    pub fn open(data_dir: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        let data_dir = data_dir.as_ref();
        Dir::create_ambient_dir_all(data_dir, ambient_authority())
            .map_err(|e| dir_error(data_dir, "creating it", e))?;
        let dir = Dir::open_ambient_dir(data_dir, ambient_authority())
            .map_err(|e| dir_error(data_dir, "opening it", e))?;
        match dir.metadata(DB_FILE) {
            Ok(m) if !m.is_file() => {
                return Err(StoreError::Database(format!(
                    "data directory {}: {DB_FILE} is not a file",
                    data_dir.display()
                )));
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(dir_error(data_dir, DB_FILE, e)),
        }
        let path = data_dir.join(DB_FILE);
        let conn = connect(&path)?;
        let key = options.checkpoint_key.map(|k| k.0);
        let mut migrated = None;
        schema::create_with(&conn, |conn| {
            // Events stored before version 3 are sealed as it is made.
            let head = audit::checkpoint(conn)?.unwrap_or_default();
            let mut sealer = Sealer::new(options.audit, head).signing(key.clone());
            audit::seal_events_before_v3(conn, &mut sealer)?;
            migrated = Some(sealer);
            Ok(())
        })?;
        let sealer = match migrated {
            Some(sealer) => sealer,
            None => {
                let head = audit::checkpoint(&conn)?.unwrap_or_default();
                Sealer::new(options.audit, head).signing(key)
            }
        };
        let verifying = sealer.public_key();
        let reader = connect(&path)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let kv = Arc::new(SqliteKv::new(connect(&path)?, tx.clone()));
        std::thread::Builder::new()
            .name("onething-store-writer".into())
            .spawn(move || writer::run(conn, rx, sealer))
            .map_err(|e| StoreError::Database(format!("starting the writer thread: {e}")))?;
        Ok(Self {
            dir,
            path,
            audit: options.audit,
            verifying,
            writer: tx,
            reader: Mutex::new(reader),
            kv,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The data directory, as opened (for what the host keeps beside the
    /// database).
    pub fn dir(&self) -> &Dir {
        &self.dir
    }

    /// Run a read on the reader connection.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        // Reads are short indexed lookups on their own WAL connection: run
        // them in place rather than paying for a hop to the blocking pool.
        let conn = self
            .reader
            .lock()
            .map_err(|_| StoreError::Database("reader connection poisoned by a panic".into()))?;
        f(&conn)
    }

    /// Queue a write and wait for its commit.
    async fn write<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> writer::Write,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer.send(make(tx)).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db))
            .await
    }

    fn kv(&self) -> Arc<dyn DepartmentKv> {
        self.kv.clone()
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.path.display())
    }
}
