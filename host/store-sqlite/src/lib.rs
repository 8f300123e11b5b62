//! The embedded SQLite store: one file under the data directory, WAL
//! journal, and one writer thread that commits in groups (every write waits
//! for its own commit, but writes arriving together share one transaction).
//!
//! Reads use their own connection. The key-value capability of plugins is
//! served from the same file ([`SqliteKv`]).

mod audit;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use super::versions::{ChangeAction, ChangeRecord, StoredVersion, VersionKind};
use super::{AppSummary, Created, EventRecord, MaterialMeta, Store, StoreError};
use crate::audit::{Broken, Chain, Entry as AuditEntry, Verified};
use crate::capabilities::kv::{KeyValue, KvError};
use crate::engine::state::{AppState, AppStatus, Event};
use crate::ids::DepartmentId;
use crate::prefill::ConsentRecord;

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
-- The catalogue's history: admitted, refused, activated, rolled back.
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

fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(db)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000;")
        .map_err(db)?;
    Ok(conn)
}

enum Write {
    Create {
        client_key: Option<String>,
        id: String,
        bundle: String,
        status: &'static str,
        event: PreparedEvent,
        audit: Option<String>,
        reply: oneshot::Sender<Result<Created, StoreError>>,
    },
    Append {
        header: AppendHeader,
        events: Vec<PreparedEvent>,
        audit: Option<String>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Material {
        meta: MaterialMeta,
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    Kv {
        op: KvOp,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// A rare write (the catalogue's history, consents): any statements,
    /// in the group, with the audit entries that describe it.
    Run {
        run: RunFn,
        audit: Option<String>,
        reply: oneshot::Sender<Result<Vec<u64>, StoreError>>,
    },
}

impl Write {
    /// The audit entries of this write (comma-joined JSON objects),
    /// prepared by the caller off the writer thread.
    fn audit(&self) -> Option<&str> {
        match self {
            Write::Create { audit, .. }
            | Write::Append { audit, .. }
            | Write::Run { audit, .. } => audit.as_deref(),
            Write::Material { .. } | Write::Kv { .. } => None,
        }
    }
}

/// A write run by [`Write::Run`]; it may run twice (see [`run_group`]).
type RunFn = Box<dyn Fn(&Connection) -> Result<Vec<u64>, StoreError> + Send>;

/// An event ready to insert, serialised by the caller so the writer
/// thread (which every commit waits for) only binds and inserts.
struct PreparedEvent {
    kind: &'static str,
    step: Option<String>,
    body: String,
    at_ms: i64,
}

impl PreparedEvent {
    fn of(event: &Event, at_ms: i64) -> Result<Self, StoreError> {
        Ok(Self {
            kind: event.kind(),
            step: event.step().map(str::to_owned),
            body: serde_json::to_string(event).map_err(|e| StoreError::Database(e.to_string()))?,
            at_ms,
        })
    }
}

/// What an append needs to know of the state it produces.
struct AppendHeader {
    id: String,
    first_seq: u64,
    /// New status and overdue flag, when either changed.
    status: Option<(AppStatus, bool)>,
    updated_ms: i64,
}

/// A key-value write, committed with the group like every other write.
enum KvOp {
    Set {
        department: String,
        key: String,
        value: Vec<u8>,
    },
    InsertNew {
        department: String,
        key: String,
        value: Vec<u8>,
    },
    Delete {
        department: String,
        key: String,
    },
}

/// The SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    audit: bool,
    writer: std::sync::mpsc::Sender<Write>,
    reader: Arc<Mutex<Connection>>,
}

/// How a store is opened.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// Keep the audit log (on in every deployment; off only to measure
    /// what it costs).
    pub audit: bool,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { audit: true }
    }
}

impl SqliteStore {
    /// Open (or create) `onething.db` in `data_dir`, with the audit log.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with(data_dir, StoreOptions::default())
    }

    /// Open (or create) `onething.db` in `data_dir`.
    pub fn open_with(data_dir: &Path, options: StoreOptions) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::Database(format!("creating {}: {e}", data_dir.display())))?;
        let path = data_dir.join("onething.db");
        let conn = open(&path)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        conn.execute_batch(audit::SCHEMA).map_err(db)?;
        let auditor = audit::Auditor::load(&conn, options.audit)?;
        let reader = open(&path)?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("onething-store-writer".into())
            .spawn(move || writer_loop(conn, rx, auditor))
            .map_err(|e| StoreError::Database(format!("starting the writer thread: {e}")))?;
        Ok(Self {
            path,
            audit: options.audit,
            writer: tx,
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// The audit entries of a write, serialised here, on the caller's
    /// task, so the writer thread only joins and seals them.
    fn audit_part(&self, entries: &[AuditEntry]) -> Option<String> {
        if self.audit {
            crate::audit::to_body_part(entries)
        } else {
            None
        }
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A key-value backend for plugins on the same file: reads on its own
    /// connection, writes through the group-committing writer.
    pub fn kv(&self) -> Result<SqliteKv, StoreError> {
        Ok(SqliteKv {
            reader: Mutex::new(open(&self.path)?),
            writer: self.writer.clone(),
        })
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        // Reads are short indexed lookups on their own WAL connection: run
        // them in place rather than paying for a hop to the blocking pool.
        let conn = self
            .reader
            .lock()
            .map_err(|_| StoreError::Database("reader poisoned".into()))?;
        f(&conn)
    }

    async fn write<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, StoreError>>) -> Write,
    ) -> Result<T, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.writer.send(make(tx)).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// Apply writes in groups: take everything queued, run each in one
/// transaction under its own savepoint, commit once, then answer each.
fn writer_loop(
    mut conn: Connection,
    rx: std::sync::mpsc::Receiver<Write>,
    mut auditor: audit::Auditor,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < 512 {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        // Fast path: the whole group in one transaction. If any write
        // fails, roll the group back and run it again with a savepoint
        // per write, so one refused write costs nothing to the others.
        let head = auditor.chain.clone();
        let outcomes = match run_group(&mut conn, &batch, false, &mut auditor) {
            Ok(outcomes) if outcomes.iter().all(Result::is_ok) => Ok(outcomes),
            _ => {
                // Nothing of the first try was committed.
                auditor.chain = head.clone();
                run_group(&mut conn, &batch, true, &mut auditor)
            }
        };
        if outcomes.is_err() {
            auditor.chain = head;
        }
        match outcomes {
            Ok(outcomes) => {
                for (w, outcome) in batch.into_iter().zip(outcomes) {
                    reply(w, outcome);
                }
            }
            Err(e) => {
                let message = e.to_string();
                for w in batch {
                    reply(w, Err(StoreError::Database(message.clone())));
                }
            }
        }
    }
}

/// Apply a group of writes in one transaction; with `isolate`, each write
/// under its own savepoint. The transaction is committed only when every
/// write succeeded (fast path) or always (isolated path); an `Err` means
/// the commit itself failed.
fn run_group(
    conn: &mut Connection,
    batch: &[Write],
    isolate: bool,
    auditor: &mut audit::Auditor,
) -> Result<Vec<Result<Done, StoreError>>, StoreError> {
    let mut tx = conn.transaction().map_err(db)?;
    auditor.begin();
    let mut outcomes = Vec::with_capacity(batch.len());
    for w in batch {
        let result = if isolate {
            match tx.savepoint() {
                Ok(mut sp) => {
                    let r = apply_write(&sp, w);
                    if r.is_ok() {
                        sp.commit().map_err(db).and(r)
                    } else {
                        let _ = sp.rollback();
                        r
                    }
                }
                Err(e) => Err(db(e)),
            }
        } else {
            apply_write(&tx, w)
        };
        if result.is_ok() {
            auditor.add(w.audit());
        }
        let failed = result.is_err();
        outcomes.push(result);
        if failed && !isolate {
            // Dropping the transaction rolls the whole group back.
            return Ok(outcomes);
        }
    }
    auditor.seal(&tx)?;
    tx.commit().map_err(db)?;
    Ok(outcomes)
}

/// What a write produced, before its reply is typed.
enum Done {
    Created(Created),
    Unit,
    Flag(bool),
    Ids(Vec<u64>),
}

/// Run a statement through the connection's statement cache: the writer
/// runs the same few statements thousands of times a second.
fn exec(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute(params)
}

fn apply_write(conn: &Connection, w: &Write) -> Result<Done, StoreError> {
    match w {
        Write::Create {
            client_key,
            id,
            bundle,
            status,
            event,
            ..
        } => {
            if let Some(key) = client_key {
                let existing: Option<String> = conn
                    .query_row(
                        "SELECT id FROM applications WHERE client_key = ?1",
                        params![key],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db)?;
                if let Some(id) = existing {
                    return Ok(Done::Created(Created::Existing(id)));
                }
            }
            exec(conn,
                "INSERT INTO applications (id, bundle, status, overdue, client_key, submitted_ms, updated_ms) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5)",
                params![id, bundle, status, client_key, event.at_ms],
            )
            .map_err(db)?;
            insert_event(conn, id, 1, event)?;
            Ok(Done::Created(Created::New))
        }
        Write::Append { header, events, .. } => {
            for (i, event) in events.iter().enumerate() {
                insert_event(conn, &header.id, header.first_seq + i as u64, event)?;
            }
            if let Some((status, overdue)) = header.status {
                exec(conn,
                    "UPDATE applications SET status = ?2, overdue = ?3, updated_ms = ?4 WHERE id = ?1",
                    params![header.id, status.as_str(), overdue, header.updated_ms],
                )
                .map_err(db)?;
            }
            Ok(Done::Unit)
        }
        Write::Kv { op, .. } => {
            let changed = match op {
                KvOp::Set { department, key, value } => exec(
                        conn,

                        "INSERT INTO kv (department, key, value) VALUES (?1, ?2, ?3) ON CONFLICT(department, key) DO UPDATE SET value = excluded.value",
                        params![department, key, value],
                    )
                    .map_err(db)?,
                KvOp::InsertNew { department, key, value } => exec(
                        conn,
                        "INSERT OR IGNORE INTO kv (department, key, value) VALUES (?1, ?2, ?3)", params![department, key, value])
                    .map_err(db)?,
                KvOp::Delete { department, key } => {
                    exec(conn, "DELETE FROM kv WHERE department = ?1 AND key = ?2", params![department, key]).map_err(db)?
                }
            };
            Ok(Done::Flag(changed == 1))
        }
        Write::Run { run, .. } => run(conn).map(Done::Ids),
        Write::Material { meta, bytes, .. } => {
            exec(conn,
                "INSERT OR IGNORE INTO materials (digest, media_type, size, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![meta.digest, meta.media_type, meta.size as i64, bytes],
            )
            .map_err(db)?;
            Ok(Done::Unit)
        }
    }
}

fn insert_event(
    conn: &Connection,
    app: &str,
    seq: u64,
    event: &PreparedEvent,
) -> Result<(), StoreError> {
    let r = exec(
        conn,
        "INSERT INTO events (application, seq, at_ms, kind, step, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            app,
            seq as i64,
            event.at_ms,
            event.kind,
            event.step,
            event.body
        ],
    );
    match r {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, msg))
            if e.code == rusqlite::ErrorCode::ConstraintViolation
                && msg.as_deref().is_some_and(|m| m.contains("events.step")) =>
        {
            Err(StoreError::AlreadyApproved {
                application: app.into(),
                step: event.step.clone().unwrap_or_default(),
            })
        }
        Err(e) => Err(db(e)),
    }
}

fn reply(w: Write, outcome: Result<Done, StoreError>) {
    match w {
        Write::Create { reply, .. } => {
            let _ = reply.send(outcome.map(|d| match d {
                Done::Created(c) => c,
                Done::Unit | Done::Flag(_) | Done::Ids(_) => Created::New,
            }));
        }
        Write::Kv { reply, .. } => {
            let _ = reply.send(outcome.map(|d| matches!(d, Done::Flag(true))));
        }
        Write::Run { reply, .. } => {
            let _ = reply.send(outcome.map(|d| match d {
                Done::Ids(ids) => ids,
                _ => Vec::new(),
            }));
        }
        Write::Append { reply, .. } | Write::Material { reply, .. } => {
            let _ = reply.send(outcome.map(|_| ()));
        }
    }
}

fn parse_status(s: &str) -> AppStatus {
    match s {
        "needs-more" => AppStatus::NeedsMore,
        "manual" => AppStatus::Manual,
        "completed" => AppStatus::Completed,
        "rejected" => AppStatus::Rejected,
        _ => AppStatus::Running,
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create(
        &self,
        client_key: Option<&str>,
        state: &AppState,
        event: &Event,
        at_ms: i64,
    ) -> Result<Created, StoreError> {
        let client_key = client_key.map(str::to_owned);
        let audit = if self.audit {
            self.audit_part(&crate::audit::derive::from_events(&state.id, [event]))
        } else {
            None
        };
        let event = PreparedEvent::of(event, at_ms)?;
        let (id, bundle, status) = (
            state.id.clone(),
            state.bundle.clone(),
            state.status.as_str(),
        );
        self.write(move |reply| Write::Create {
            client_key,
            id,
            bundle,
            status,
            event,
            audit,
            reply,
        })
        .await
    }

    async fn append(
        &self,
        before: &AppState,
        after: &AppState,
        events: &[(Event, i64)],
    ) -> Result<(), StoreError> {
        let flags = |s: &AppState| (s.status, s.is_overdue());
        let header = AppendHeader {
            id: after.id.clone(),
            first_seq: after.events + 1 - events.len() as u64,
            status: (flags(before) != flags(after)).then(|| flags(after)),
            updated_ms: events.last().map_or(0, |(_, at)| *at),
        };
        let audit = if self.audit {
            self.audit_part(&crate::audit::derive::from_events(
                &after.id,
                events.iter().map(|(e, _)| e),
            ))
        } else {
            None
        };
        let events = events
            .iter()
            .map(|(e, at)| PreparedEvent::of(e, *at))
            .collect::<Result<Vec<_>, _>>()?;
        self.write(move |reply| Write::Append {
            header,
            events,
            audit,
            reply,
        })
        .await
    }

    /// The state is not stored as such: it is the fold of the events, so
    /// the history is the one source of truth.
    async fn state(&self, id: &str) -> Result<Option<AppState>, StoreError> {
        let events = self.events(id, 0).await?;
        let mut iter = events.into_iter();
        let Some(first) = iter.next() else {
            return Ok(None);
        };
        let mut state = AppState::submitted(id, first.at_ms, &first.event).ok_or_else(|| {
            StoreError::Corrupt {
                application: id.to_owned(),
                message: format!("the first event is {}, not submitted", first.event.kind()),
            }
        })?;
        for r in iter {
            state.apply(&r.event, r.at_ms);
        }
        Ok(Some(state))
    }

    async fn events(&self, id: &str, after_seq: u64) -> Result<Vec<EventRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT seq, at_ms, body FROM events WHERE application = ?1 AND seq > ?2 ORDER BY seq")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![id, after_seq as i64], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?)))
                .map_err(db)?;
            let mut out = Vec::new();
            for row in rows {
                let (seq, at_ms, body) = row.map_err(db)?;
                let event = serde_json::from_str(&body).map_err(|e| StoreError::Corrupt { application: id.clone(), message: format!("event {seq}: {e}") })?;
                out.push(EventRecord { seq: seq as u64, at_ms, event });
            }
            Ok(out)
        })
        .await
    }

    async fn unfinished(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT id FROM applications WHERE status = 'running' ORDER BY submitted_ms",
                )
                .map_err(db)?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }

    async fn list(
        &self,
        status: Option<AppStatus>,
        overdue_only: bool,
        limit: usize,
    ) -> Result<Vec<AppSummary>, StoreError> {
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT id, bundle, status, overdue, submitted_ms FROM applications \
                     WHERE (?1 IS NULL OR status = ?1) AND (?2 = 0 OR overdue = 1) ORDER BY submitted_ms LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![status.map(AppStatus::as_str), overdue_only, limit as i64], |r| {
                    Ok(AppSummary {
                        id: r.get(0)?,
                        bundle: r.get(1)?,
                        status: parse_status(&r.get::<_, String>(2)?),
                        overdue: r.get(3)?,
                        submitted_ms: r.get(4)?,
                    })
                })
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }

    async fn counts(&self) -> Result<Vec<(AppStatus, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c
                .prepare("SELECT status, COUNT(*) FROM applications GROUP BY status")
                .map_err(db)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        parse_status(&r.get::<_, String>(0)?),
                        r.get::<_, i64>(1)? as u64,
                    ))
                })
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }

    async fn put_material(&self, meta: &MaterialMeta, bytes: &[u8]) -> Result<(), StoreError> {
        let meta = meta.clone();
        let bytes = bytes.to_vec();
        self.write(move |reply| Write::Material { meta, bytes, reply })
            .await
    }

    async fn material(&self, digest: &str) -> Result<Option<MaterialMeta>, StoreError> {
        let digest = digest.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT digest, media_type, size FROM materials WHERE digest = ?1",
                params![digest],
                |r| {
                    Ok(MaterialMeta {
                        digest: r.get(0)?,
                        media_type: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                    })
                },
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db))
            .await
    }

    async fn record_changes(
        &self,
        version: Option<&StoredVersion>,
        changes: &[ChangeRecord],
    ) -> Result<Vec<u64>, StoreError> {
        let version = version.cloned();
        let changes = changes.to_vec();
        let changes_for_audit = changes.clone();
        let run: RunFn = Box::new(move |conn| {
            if let Some(v) = &version {
                exec(conn,
                    "INSERT OR IGNORE INTO versions (kind, digest, subject, version, source, added_ms, added_by, bytes, signature) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![v.kind.as_str(), v.digest, v.subject, v.version, v.source, v.added_ms, v.added_by, v.bytes, v.signature],
                )
                .map_err(db)?;
            }
            let mut ids = Vec::with_capacity(changes.len());
            for c in &changes {
                exec(conn,
                    "INSERT INTO changes (at_ms, kind, subject, action, digest, version, actor, source, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![c.at_ms, c.kind.as_str(), c.subject, c.action.as_str(), c.digest, c.version, c.actor, c.source, c.reason],
                )
                .map_err(db)?;
                ids.push(conn.last_insert_rowid() as u64);
            }
            Ok(ids)
        });
        let audit = self.audit_part(&changes_audit(changes_for_audit));
        self.write(move |reply| Write::Run { run, audit, reply })
            .await
    }

    async fn verify_audit(&self) -> Result<Result<Verified, Broken>, StoreError> {
        self.read(audit::verify).await
    }

    async fn audit_checkpoint(&self) -> Result<Option<Chain>, StoreError> {
        self.read(audit::checkpoint).await
    }

    async fn record_consent(
        &self,
        consent: &ConsentRecord,
        entries: Vec<AuditEntry>,
    ) -> Result<(), StoreError> {
        let body =
            serde_json::to_string(consent).map_err(|e| StoreError::Database(e.to_string()))?;
        let (id, bundle, at) = (
            consent.id.clone(),
            consent.bundle.clone(),
            consent.granted_ms,
        );
        let run: RunFn = Box::new(move |conn| {
            exec(
                conn,
                "INSERT INTO consents (id, bundle, granted_ms, body) VALUES (?1, ?2, ?3, ?4)",
                params![id, bundle, at, body],
            )
            .map_err(db)?;
            Ok(Vec::new())
        });
        let audit = self.audit_part(&entries);
        self.write(move |reply| Write::Run { run, audit, reply })
            .await
            .map(|_| ())
    }

    async fn consent(&self, id: &str) -> Result<Option<ConsentRecord>, StoreError> {
        let id = id.to_owned();
        self.read(move |c| {
            let body: Option<String> = c
                .query_row(
                    "SELECT body FROM consents WHERE id = ?1",
                    params![id],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            body.map(|b| {
                serde_json::from_str(&b)
                    .map_err(|e| StoreError::Database(format!("consent {id}: {e}")))
            })
            .transpose()
        })
        .await
    }

    async fn version(
        &self,
        kind: VersionKind,
        digest: &str,
    ) -> Result<Option<StoredVersion>, StoreError> {
        let digest = digest.to_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT kind, subject, digest, version, source, added_ms, added_by, bytes, signature FROM versions WHERE kind = ?1 AND digest = ?2",
                params![kind.as_str(), digest],
                |r| version_row(r, true),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn versions(
        &self,
        kind: VersionKind,
        subject: &str,
    ) -> Result<Vec<StoredVersion>, StoreError> {
        let subject = subject.to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT kind, subject, digest, version, source, added_ms, added_by, NULL, signature FROM versions WHERE kind = ?1 AND subject = ?2 ORDER BY added_ms, rowid",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![kind.as_str(), subject], |r| version_row(r, false))
                .map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
        .await
    }

    async fn changes(
        &self,
        kind: Option<VersionKind>,
        subject: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        let subject = subject.map(str::to_owned);
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT seq, at_ms, kind, subject, action, digest, version, actor, source, reason FROM changes \
                     WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR subject = ?2) ORDER BY seq DESC LIMIT ?3",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![kind.map(VersionKind::as_str), subject, limit as i64], |r| {
                    let kind: String = r.get(2)?;
                    let action: String = r.get(4)?;
                    Ok(ChangeRecord {
                        seq: r.get::<_, i64>(0)? as u64,
                        at_ms: r.get(1)?,
                        kind: VersionKind::parse(&kind).unwrap_or(VersionKind::Plugin),
                        subject: r.get(3)?,
                        action: ChangeAction::parse(&action).unwrap_or(ChangeAction::Refused),
                        digest: r.get(5)?,
                        version: r.get(6)?,
                        actor: r.get(7)?,
                        source: r.get(8)?,
                        reason: r.get(9)?,
                    })
                })
                .map_err(db)?;
            let mut out = rows.collect::<Result<Vec<_>, _>>().map_err(db)?;
            out.reverse();
            Ok(out)
        })
        .await
    }
}

/// Audit entries for activations and rollbacks (admissions and refusals
/// move no data and are kept in the catalogue's history).
fn changes_audit(changes: Vec<ChangeRecord>) -> Vec<AuditEntry> {
    changes
        .into_iter()
        .filter_map(|c| {
            let action = match c.action {
                ChangeAction::Activated => crate::audit::Action::VersionActivated,
                ChangeAction::RolledBack => crate::audit::Action::VersionRolledBack,
                ChangeAction::Admitted | ChangeAction::Refused => return None,
            };
            let mut e = AuditEntry::new(action, c.actor);
            e.note = Some(format!(
                "{} {} {} {} (from {})",
                c.kind.as_str(),
                c.subject.unwrap_or_default(),
                c.version.unwrap_or_default(),
                c.digest.unwrap_or_default(),
                c.source
            ));
            Some(e)
        })
        .collect()
}

fn version_row(r: &rusqlite::Row<'_>, with_bytes: bool) -> rusqlite::Result<StoredVersion> {
    let kind: String = r.get(0)?;
    Ok(StoredVersion {
        kind: VersionKind::parse(&kind).unwrap_or(VersionKind::Plugin),
        subject: r.get(1)?,
        digest: r.get(2)?,
        version: r.get(3)?,
        source: r.get(4)?,
        added_ms: r.get(5)?,
        added_by: r.get(6)?,
        bytes: if with_bytes { r.get(7)? } else { Vec::new() },
        signature: r.get(8)?,
    })
}

/// The plugins' key-value store on the SQLite file.
pub struct SqliteKv {
    reader: Mutex<Connection>,
    writer: std::sync::mpsc::Sender<Write>,
}

impl SqliteKv {
    async fn write(&self, op: KvOp) -> Result<bool, KvError> {
        let (tx, rx) = oneshot::channel();
        self.writer
            .send(Write::Kv { op, reply: tx })
            .map_err(|_| KvError::Unavailable("the store is shutting down".into()))?;
        rx.await
            .map_err(|_| KvError::Unavailable("the store is shutting down".into()))?
            .map_err(|e| KvError::Unavailable(e.to_string()))
    }
}

#[async_trait]
impl KeyValue for SqliteKv {
    async fn get(&self, department: &DepartmentId, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let conn = self
            .reader
            .lock()
            .map_err(|_| KvError::Unavailable("connection poisoned".into()))?;
        conn.query_row(
            "SELECT value FROM kv WHERE department = ?1 AND key = ?2",
            params![department.as_str(), key],
            |r| r.get(0),
        )
        .optional()
        .map_err(|e| KvError::Unavailable(e.to_string()))
    }
    async fn set(&self, department: &DepartmentId, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.write(KvOp::Set {
            department: department.to_string(),
            key: key.to_owned(),
            value: value.to_vec(),
        })
        .await
        .map(|_| ())
    }
    async fn insert_new(
        &self,
        department: &DepartmentId,
        key: &str,
        value: &[u8],
    ) -> Result<bool, KvError> {
        self.write(KvOp::InsertNew {
            department: department.to_string(),
            key: key.to_owned(),
            value: value.to_vec(),
        })
        .await
    }
    async fn delete(&self, department: &DepartmentId, key: &str) -> Result<bool, KvError> {
        self.write(KvOp::Delete {
            department: department.to_string(),
            key: key.to_owned(),
        })
        .await
    }
}

/// Verify the audit log of the store in `data_dir` without opening it for
/// writing (for `onething audit verify`).
pub fn verify_audit_in(data_dir: &Path) -> Result<Result<Verified, Broken>, StoreError> {
    audit::verify(&open_read_only(data_dir)?)
}

/// The digest of audit record `seq` in the store in `data_dir`, if present.
pub fn audit_digest_in(data_dir: &Path, seq: u64) -> Result<Option<String>, StoreError> {
    open_read_only(data_dir)?
        .query_row(
            "SELECT digest FROM audit WHERE seq = ?1",
            params![seq as i64],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)
}

/// The store in `data_dir`, opened read-only (for the offline tools).
fn open_read_only(data_dir: &Path) -> Result<Connection, StoreError> {
    let path = data_dir.join("onething.db");
    if !path.exists() {
        return Err(StoreError::Database(format!(
            "no store at {}",
            path.display()
        )));
    }
    Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(db)
}
