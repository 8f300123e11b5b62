//! The writer thread: the one connection that writes, committing in
//! groups. Every write waits for its own commit, but writes arriving
//! together share one transaction (and one audit record), which is what
//! keeps a busy host's commits cheap.
//!
//! A group first runs whole (the fast path); if any write in it fails,
//! the group is rolled back and replayed with a savepoint per write, so a
//! refused write (a second approval, say) costs the others nothing. The
//! audit entries of the writes that succeeded are sealed by
//! [`onething_store::audit::Sealer`] into one record, in the group's
//! transaction.
//!
//! Kept cheap on purpose: events arrive serialised (by the caller, off
//! this thread), statements are cached, and an application's status row
//! is updated only when it changes. Not for reads: those use their own
//! connections.

use std::sync::mpsc::{Receiver, Sender};

use onething_model::events::Event;
use onething_model::ids::{DepartmentId, Digest};
use onething_model::state::AppStatus;
use onething_store::audit::Sealer;
use onething_store::{Created, KvError, KvQuota, KvUsage, StoreError};
use rusqlite::{Connection, OptionalExtension, params};
use tokio::sync::oneshot;

use crate::{audit, db};

/// Most writes committed in one group.
const MAX_GROUP: usize = 512;

/// The writer's queue.
pub(crate) type Queue = Sender<Write>;

/// One write, with where its outcome goes.
pub(crate) enum Write {
    /// A new application.
    Create {
        client_key: Option<(String, String)>,
        id: String,
        bundle: String,
        status: &'static str,
        event: PreparedEvent,
        audit: Option<String>,
        reply: oneshot::Sender<Result<Created, StoreError>>,
    },
    /// Events appended to an application.
    Append {
        header: AppendHeader,
        events: Vec<PreparedEvent>,
        audit: Option<String>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Material bytes.
    Material {
        digest: String,
        media_type: String,
        size: u64,
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
    /// A key-value write.
    Kv {
        op: KvOp,
        reply: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// A rare write (the catalog's history, consents): any statements,
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
pub(crate) type RunFn = Box<dyn Fn(&Connection) -> Result<Vec<u64>, StoreError> + Send>;

/// An event ready to insert, serialised by the caller so the writer
/// thread (which every commit waits for) only binds and inserts.
pub(crate) struct PreparedEvent {
    kind: &'static str,
    step: Option<String>,
    body: String,
    at_ms: i64,
}

impl PreparedEvent {
    /// The event as the audit log seals it: its body exactly as stored.
    pub(crate) fn stored(&self, application: &str, seq: u64) -> onething_store::audit::StoredEvent {
        onething_store::audit::StoredEvent {
            application: application.to_owned(),
            seq,
            at_ms: self.at_ms,
            body: self.body.clone(),
        }
    }

    /// Serialise `event` as stored.
    pub(crate) fn of(event: &Event, at_ms: i64) -> Result<Self, StoreError> {
        Ok(Self {
            kind: event.kind(),
            step: event.step().map(ToString::to_string),
            body: serde_json::to_string(event)
                .map_err(|e| StoreError::Database(format!("serialising an event: {e}")))?,
            at_ms,
        })
    }
}

/// What an append needs to know of the state it produces.
pub(crate) struct AppendHeader {
    /// The application.
    pub(crate) id: String,
    /// Seq of the first event appended.
    pub(crate) first_seq: u64,
    /// New status and overdue flag, when either changed.
    pub(crate) status: Option<(AppStatus, bool)>,
    /// When the application last changed: the last event's time.
    pub(crate) updated_ms: i64,
}

/// A key-value write, committed with the group like every other write,
/// the department's usage counted in the same transaction.
pub(crate) enum KvOp {
    Set {
        department: String,
        key: String,
        value: Vec<u8>,
        quota: KvQuota,
    },
    InsertNew {
        department: String,
        key: String,
        value: Vec<u8>,
        quota: KvQuota,
    },
    Delete {
        department: String,
        key: String,
    },
}

impl KvOp {
    fn department(&self) -> &str {
        match self {
            KvOp::Set { department, .. }
            | KvOp::InsertNew { department, .. }
            | KvOp::Delete { department, .. } => department,
        }
    }

    fn key(&self) -> &str {
        match self {
            KvOp::Set { key, .. } | KvOp::InsertNew { key, .. } | KvOp::Delete { key, .. } => key,
        }
    }
}

/// Apply one key-value write with its department's usage: whether it
/// changed anything (an `insert_new` of a present key and a `delete` of an
/// absent one do not).
fn apply_kv(conn: &Connection, op: &KvOp) -> Result<bool, StoreError> {
    let (department, key) = (op.department(), op.key());
    let old: Option<i64> = conn
        .prepare_cached("SELECT length(value) FROM kv WHERE department = ?1 AND key = ?2")
        .and_then(|mut s| {
            s.query_row(params![department, key], |r| r.get(0))
                .optional()
        })
        .map_err(db)?;
    let old = old.map(|n| n.max(0) as usize);
    let (value, quota) = match op {
        KvOp::InsertNew { .. } if old.is_some() => return Ok(false),
        KvOp::Delete { .. } if old.is_none() => return Ok(false),
        KvOp::Set { value, quota, .. } | KvOp::InsertNew { value, quota, .. } => {
            (Some(value), Some(*quota))
        }
        KvOp::Delete { .. } => (None, None),
    };
    let usage: KvUsage = conn
        .prepare_cached("SELECT keys, bytes FROM kv_usage WHERE department = ?1")
        .and_then(|mut s| {
            s.query_row(params![department], |r| {
                Ok(KvUsage {
                    keys: r.get::<_, i64>(0)?.max(0) as u64,
                    bytes: r.get::<_, i64>(1)?.max(0) as u64,
                })
            })
            .optional()
        })
        .map_err(db)?
        .unwrap_or_default();
    let would = usage.after(key, old, value.map(Vec::len));
    if let Some(quota) = quota
        && !would.within(quota)
        && (would.keys > usage.keys || would.bytes > usage.bytes)
    {
        let department =
            DepartmentId::parse(department).map_err(|e| StoreError::Database(e.to_string()))?;
        return Err(StoreError::Kv(KvError::Quota {
            department,
            would,
            quota,
        }));
    }
    match value {
        Some(value) => exec(
            conn,
            "INSERT INTO kv (department, key, value) VALUES (?1, ?2, ?3) ON CONFLICT(department, key) DO UPDATE SET value = excluded.value",
            params![department, key, value],
        ),
        None => exec(
            conn,
            "DELETE FROM kv WHERE department = ?1 AND key = ?2",
            params![department, key],
        ),
    }
    .map_err(db)?;
    exec(
        conn,
        "INSERT INTO kv_usage (department, keys, bytes) VALUES (?1, ?2, ?3) ON CONFLICT(department) DO UPDATE SET keys = excluded.keys, bytes = excluded.bytes",
        params![department, would.keys as i64, would.bytes as i64],
    )
    .map_err(db)?;
    // A set and an insert wrote; a delete removed what was there.
    Ok(true)
}

/// Apply writes in groups until every sender is gone.
pub(crate) fn run(mut conn: Connection, rx: Receiver<Write>, mut sealer: Sealer) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(w) => batch.push(w),
                Err(_) => break,
            }
        }
        commit_group(&mut conn, batch, &mut sealer);
    }
}

/// Commit one group and answer each write. Fast path: the whole group in
/// one transaction. If any write fails, roll the group back and run it
/// again with a savepoint per write, so one refused write costs nothing
/// to the others.
pub(crate) fn commit_group(conn: &mut Connection, batch: Vec<Write>, sealer: &mut Sealer) {
    let head = sealer.head().clone();
    let outcomes = match run_group(conn, &batch, false, sealer) {
        Ok(outcomes) if outcomes.iter().all(Result::is_ok) => Ok(outcomes),
        _ => {
            // Nothing of the first try was committed.
            sealer.rollback(head.clone());
            run_group(conn, &batch, true, sealer)
        }
    };
    if outcomes.is_err() {
        sealer.rollback(head);
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

/// Apply a group of writes in one transaction; with `isolate`, each write
/// under its own savepoint. The transaction is committed only when every
/// write succeeded (fast path) or always (isolated path); an `Err` means
/// the commit itself failed.
fn run_group(
    conn: &mut Connection,
    batch: &[Write],
    isolate: bool,
    sealer: &mut Sealer,
) -> Result<Vec<Result<Done, StoreError>>, StoreError> {
    let mut tx = conn.transaction().map_err(db)?;
    sealer.begin();
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
        match &result {
            // A repeated submission stored nothing: nothing to log.
            Ok(Done::Created(Created::Existing { .. })) => {}
            Ok(_) => sealer.add(w.audit()),
            Err(_) if !isolate => {
                // Dropping the transaction rolls the whole group back.
                outcomes.push(result);
                return Ok(outcomes);
            }
            Err(_) => {}
        }
        outcomes.push(result);
    }
    if let Some(record) = sealer.seal() {
        audit::store_record(&tx, &record, sealer.head())?;
    }
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
pub(crate) fn exec(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
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
            if let Some((key, _)) = client_key {
                let existing: Option<(String, Option<String>)> = conn
                    .prepare_cached(
                        "SELECT id, client_request FROM applications WHERE client_key = ?1",
                    )
                    .and_then(|mut s| {
                        s.query_row(params![key], |r| Ok((r.get(0)?, r.get(1)?)))
                            .optional()
                    })
                    .map_err(db)?;
                if let Some((id, request)) = existing {
                    return Ok(Done::Created(Created::Existing {
                        id,
                        request: request.and_then(|r| Digest::parse(&r).ok()),
                    }));
                }
            }
            let (key, request) = match client_key {
                Some((k, r)) => (Some(k), Some(r)),
                None => (None, None),
            };
            exec(
                conn,
                "INSERT INTO applications (id, bundle, status, overdue, client_key, client_request, submitted_ms, updated_ms) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?6)",
                params![id, bundle, status, key, request, event.at_ms],
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
                exec(
                    conn,
                    "UPDATE applications SET status = ?2, overdue = ?3, updated_ms = ?4 WHERE id = ?1",
                    params![header.id, status.as_str(), overdue, header.updated_ms],
                )
                .map_err(db)?;
            }
            Ok(Done::Unit)
        }
        Write::Kv { op, .. } => apply_kv(conn, op).map(Done::Flag),
        Write::Run { run, .. } => run(conn).map(Done::Ids),
        Write::Material {
            digest,
            media_type,
            size,
            bytes,
            ..
        } => {
            exec(
                conn,
                "INSERT OR IGNORE INTO materials (digest, media_type, size, bytes) VALUES (?1, ?2, ?3, ?4)",
                params![digest, media_type, *size as i64, bytes],
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
            let step = event
                .step
                .as_deref()
                .and_then(|s| onething_model::ids::StepRef::parse(s).ok());
            match step {
                Some(step) => Err(StoreError::AlreadyApproved {
                    application: app.into(),
                    step,
                }),
                None => Err(StoreError::Database(format!(
                    "application {app}: a second approval of an unnamed step"
                ))),
            }
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
                Done::Created(_) | Done::Unit | Done::Flag(_) => Vec::new(),
            }));
        }
        Write::Append { reply, .. } | Write::Material { reply, .. } => {
            let _ = reply.send(outcome.map(|_| ()));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use onething_model::audit::Action;
    use onething_model::events::Event;
    use onething_model::ids::{BundleId, Digest, FieldKey, StepRef};
    use onething_store::audit::{Chain, Sealer, to_body_part};
    use tokio::sync::oneshot;

    use super::*;

    fn step(s: &str) -> StepRef {
        StepRef::parse(s).expect("step ref")
    }

    fn submitted() -> Event {
        Event::Submitted {
            bundle: BundleId::parse("newborn").expect("bundle id"),
            bundle_digest: Digest::of(b"bundle"),
            form: BTreeMap::from([(
                FieldKey::parse("child.name").expect("key"),
                serde_json::json!("x"),
            )]),
            materials: BTreeMap::new(),
            steps: vec![(step("health/birth-certificate"), 60)],
            time_limit_secs: 3600,
            consent: None,
            owner: None,
        }
    }

    fn approval() -> Event {
        Event::StepApproved {
            step: step("health/birth-certificate"),
            attempt: 1,
            outputs: BTreeMap::new(),
            documents: vec![],
            note: None,
            operator: None,
        }
    }

    /// An entry naming `actor`, and the seal of the events written.
    fn part(actor: &str, id: &str, events: &[(u64, &PreparedEvent)]) -> Option<String> {
        let stored: Vec<_> = events.iter().map(|(seq, e)| e.stored(id, *seq)).collect();
        to_body_part(&[
            onething_model::audit::Entry::new(Action::Received, actor),
            onething_store::audit::recorded(id, &stored),
        ])
    }

    fn create(id: &str) -> (Write, oneshot::Receiver<Result<Created, StoreError>>) {
        let (reply, rx) = oneshot::channel();
        let event = PreparedEvent::of(&submitted(), 1_000).expect("prepared");
        let write = Write::Create {
            client_key: None,
            id: id.into(),
            bundle: "newborn".into(),
            status: "running",
            audit: part(id, id, &[(1, &event)]),
            event,
            reply,
        };
        (write, rx)
    }

    fn append(
        id: &str,
        seq: u64,
        event: &Event,
    ) -> (Write, oneshot::Receiver<Result<(), StoreError>>) {
        let (reply, rx) = oneshot::channel();
        let prepared = PreparedEvent::of(event, 2_000).expect("prepared");
        let write = Write::Append {
            header: AppendHeader {
                id: id.into(),
                first_seq: seq,
                status: None,
                updated_ms: 2_000,
            },
            audit: part(&format!("{id} append {seq}"), id, &[(seq, &prepared)]),
            events: vec![prepared],
            reply,
        };
        (write, rx)
    }

    fn set(key: &str) -> (Write, oneshot::Receiver<Result<bool, StoreError>>) {
        let (reply, rx) = oneshot::channel();
        let op = KvOp::Set {
            department: "health".into(),
            key: key.into(),
            value: b"v".to_vec(),
            quota: KvQuota::UNLIMITED,
        };
        (Write::Kv { op, reply }, rx)
    }

    fn database() -> Connection {
        let conn = Connection::open_in_memory().expect("an in-memory database");
        crate::schema::create(&conn).expect("schema");
        conn
    }

    fn count(conn: &Connection, sql: &str) -> i64 {
        conn.query_row(sql, [], |r| r.get(0)).expect("a count")
    }

    #[test]
    fn a_group_commits_as_one_transaction_with_one_audit_record() {
        let mut conn = database();
        let mut sealer = Sealer::new(true, Chain::default());
        let (a, ra) = create("app-a");
        let (b, rb) = create("app-b");
        let (k, rk) = set("k");
        commit_group(&mut conn, vec![a, b, k], &mut sealer);
        assert_eq!(ra.blocking_recv().expect("reply"), Ok(Created::New));
        assert_eq!(rb.blocking_recv().expect("reply"), Ok(Created::New));
        assert_eq!(rk.blocking_recv().expect("reply"), Ok(true));
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM applications"), 2);
        assert_eq!(
            count(&conn, "SELECT COUNT(*) FROM audit"),
            1,
            "one record per group"
        );
        let verified = crate::audit::verify(&conn, &Default::default())
            .expect("read")
            .expect("intact");
        assert_eq!(verified.records, 1);
    }

    #[test]
    fn a_group_with_one_refused_write_commits_the_others() {
        let mut conn = database();
        let mut sealer = Sealer::new(true, Chain::default());
        let (a, _) = create("app-a");
        let (b, _) = create("app-b");
        let (first, r1) = append("app-a", 2, &approval());
        commit_group(&mut conn, vec![a, b, first], &mut sealer);
        assert_eq!(r1.blocking_recv().expect("reply"), Ok(()));
        let head = sealer.head().clone();

        // The refused write is in the middle of the group.
        let (c, rc) = create("app-c");
        let (again, r_again) = append("app-a", 3, &approval());
        let (other, r_other) = append("app-b", 2, &approval());
        let (k, rk) = set("k");
        commit_group(&mut conn, vec![c, again, other, k], &mut sealer);
        assert_eq!(rc.blocking_recv().expect("reply"), Ok(Created::New));
        assert_eq!(
            r_again.blocking_recv().expect("reply"),
            Err(StoreError::AlreadyApproved {
                application: "app-a".into(),
                step: step("health/birth-certificate"),
            })
        );
        assert_eq!(r_other.blocking_recv().expect("reply"), Ok(()));
        assert_eq!(rk.blocking_recv().expect("reply"), Ok(true));
        assert_eq!(count(&conn, "SELECT COUNT(*) FROM applications"), 3);
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM events WHERE application = 'app-a'"
            ),
            2,
            "nothing of the refused append"
        );
        assert_eq!(
            count(
                &conn,
                "SELECT COUNT(*) FROM events WHERE application = 'app-b'"
            ),
            2
        );
        // One record for the replayed group, with the entries of the
        // writes that landed and none of the refused one.
        let records = crate::audit::records(&conn, head.seq, 10).expect("records");
        assert_eq!(records.len(), 1);
        let actors: Vec<String> = records[0]
            .entries()
            .expect("entries")
            .into_iter()
            .filter(|e| e.action != Action::Recorded)
            .map(|e| e.actor)
            .collect();
        assert_eq!(actors, ["app-c", "app-b append 2"]);
        assert_eq!(records[0].prev, head.digest);
        assert!(
            crate::audit::verify(&conn, &Default::default())
                .expect("read")
                .is_ok()
        );
    }

    #[test]
    fn events_are_stored_as_the_single_crate_host_wrote_them() {
        // Bodies as the host before the restructure serialised them.
        let submitted_body = format!(
            r#"{{"kind":"submitted","bundle":"newborn","bundle_digest":"{}","form":{{"child.name":"x"}},"materials":{{}},"steps":[["health/birth-certificate",60]],"time_limit_secs":3600}}"#,
            Digest::of(b"bundle")
        );
        let approved_body = r#"{"kind":"step-approved","step":"health/birth-certificate","attempt":1,"outputs":{},"documents":[]}"#;
        let s = PreparedEvent::of(&submitted(), 0).expect("prepared");
        assert_eq!(s.body, submitted_body);
        assert_eq!((s.kind, s.step.as_deref()), ("submitted", None));
        let a = PreparedEvent::of(&approval(), 0).expect("prepared");
        assert_eq!(a.body, approved_body);
        assert_eq!(a.step.as_deref(), Some("health/birth-certificate"));
        let back: Event = serde_json::from_str(&submitted_body).expect("an old body reads");
        assert_eq!(back, submitted());
    }
}
