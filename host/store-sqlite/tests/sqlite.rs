//! What the SQLite store does beyond the conformance suite: a reopened
//! store keeps its applications, history and audit chain (and the chain
//! goes on from the checkpoint); the offline tools read a store while it
//! is open and name an edited record; errors name the data directory; a
//! database written before the restructure opens and reads; one from
//! before leases gains them.
//!
//! Not for the shared semantics: `conformance.rs` runs the suite.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use onething_model::events::Event;
use onething_model::ids::{BundleId, DepartmentId, Digest, FieldKey, StepRef};
use onething_model::state::{AppState, AppStatus};
use onething_store::audit::{compress, decompress};
use onething_store::prelude::*;
use onething_store::{
    ActivationStack, ChangeAction, ChangeRecord, StoreOptions, StoredVersion, VersionKind,
};
use onething_store_sqlite::{DB_FILE, SqliteStore, verify_audit_in};

fn step(s: &str) -> StepRef {
    StepRef::parse(s).expect("step ref")
}

fn submission() -> Event {
    Event::Submitted {
        bundle: BundleId::parse("newborn").expect("bundle id"),
        bundle_digest: Digest::of(b"bundle"),
        form: BTreeMap::from([(
            FieldKey::parse("child.name").expect("key"),
            serde_json::json!("a value"),
        )]),
        materials: BTreeMap::new(),
        steps: vec![(step("health/birth-certificate"), 60)],
        time_limit_secs: 3600,
        consent: None,
        owner: None,
    }
}

fn attempt() -> Event {
    Event::AttemptStarted {
        step: step("health/birth-certificate"),
        attempt: 1,
        plugin_version: "1.0.0".into(),
        plugin_digest: Digest::of(b"plugin"),
        disclosed: vec![onething_model::audit::Flow {
            key: "child.name".into(),
            from: "applicant".into(),
        }],
        materials: vec![],
    }
}

/// Submit an application and start its first attempt; its state.
async fn submit(store: &dyn Store, id: &str, at_ms: i64) -> AppState {
    let event = submission();
    let state = AppState::submitted(id, at_ms, &event).expect("a submission");
    let key = onething_store::ClientKey {
        key: format!("key-{id}"),
        request: Digest::of(id.as_bytes()),
    };
    store
        .create(Some(&key), &state, &event, at_ms)
        .await
        .expect("create");
    let mut after = state.clone();
    after.apply(&attempt(), at_ms + 1);
    store
        .append(&state, &after, &[(attempt(), at_ms + 1)])
        .await
        .expect("append");
    after
}

fn activation(subject: &str, digest: Digest) -> ChangeRecord {
    ChangeRecord {
        seq: 0,
        at_ms: 1_000,
        kind: VersionKind::Plugin,
        subject: Some(subject.into()),
        action: ChangeAction::Activated,
        digest: Some(digest),
        version: Some("1.0.0".into()),
        actor: "ops-1".into(),
        source: "upload".into(),
        reason: None,
    }
}

fn open(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir, StoreOptions::default()).expect("open the store")
}

#[tokio::test]
async fn a_reopened_store_keeps_everything_and_the_chain_goes_on() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let version = StoredVersion {
        kind: VersionKind::Plugin,
        subject: "health".into(),
        digest: Digest::of(b"component"),
        version: "1.0.0".into(),
        source: "upload".into(),
        added_ms: 1_000,
        added_by: "ops-1".into(),
        bytes: b"component".to_vec(),
        signature: None,
    };
    let (state, checkpoint) = {
        let store = open(&data);
        let state = submit(&store, "app-1", 1_000).await;
        store
            .record_changes(Some(&version), &[activation("health", version.digest)])
            .await
            .expect("changes");
        store
            .kv()
            .set(
                &DepartmentId::parse("health").expect("id"),
                "k",
                b"v",
                onething_store::KvQuota::UNLIMITED,
            )
            .await
            .expect("kv");
        let checkpoint = store
            .audit_checkpoint()
            .await
            .expect("checkpoint")
            .expect("a checkpoint");
        (state, checkpoint)
    };

    let store = open(&data);
    assert_eq!(
        store.state("app-1").await.expect("state"),
        Some(state.clone())
    );
    assert_eq!(store.unfinished().await.expect("unfinished"), ["app-1"]);
    let event = submission();
    let again = AppState::submitted("app-2", 5_000, &event).expect("submission");
    assert_eq!(
        store
            .create(
                Some(&onething_store::ClientKey {
                    key: "key-app-1".into(),
                    request: Digest::of(b"another request"),
                }),
                &again,
                &event,
                5_000
            )
            .await
            .expect("create"),
        onething_store::Created::Existing {
            id: "app-1".into(),
            request: Some(Digest::of(b"app-1")),
        },
        "client keys survive a restart"
    );
    assert_eq!(
        store
            .version(VersionKind::Plugin, &version.digest)
            .await
            .expect("version"),
        Some(version.clone())
    );
    let history = store
        .changes(Some(VersionKind::Plugin), Some("health"), 100)
        .await
        .expect("changes");
    assert_eq!(
        ActivationStack::replay(&history).active(),
        Some(version.digest)
    );
    assert_eq!(
        store
            .kv()
            .get(&DepartmentId::parse("health").expect("id"), "k")
            .await
            .expect("kv"),
        Some(b"v".to_vec())
    );
    assert_eq!(
        store.audit_checkpoint().await.expect("checkpoint"),
        Some(checkpoint.clone())
    );

    // The chain goes on from the checkpoint.
    submit(&store, "app-3", 6_000).await;
    let next = store
        .audit_records(checkpoint.seq, 10)
        .await
        .expect("records");
    assert_eq!(next.first().map(|r| r.seq), Some(checkpoint.seq + 1));
    assert_eq!(
        next.first().map(|r| r.prev.clone()),
        Some(checkpoint.digest.clone())
    );
    let verified = store
        .verify_audit(&Default::default())
        .await
        .expect("verify")
        .expect("intact");
    assert_eq!(verified.records, checkpoint.seq + next.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offline_verify_reads_a_store_while_it_is_open_and_written() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().to_path_buf();
    let store = Arc::new(open(&data));
    submit(&*store, "app-0", 1_000).await;
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 1..40 {
                submit(&*store, &format!("app-{i}"), 1_000 + i).await;
            }
        })
    };
    let mut checks = 0;
    while !writer.is_finished() {
        let dir = data.clone();
        let result =
            tokio::task::spawn_blocking(move || verify_audit_in(&dir, &Default::default()))
                .await
                .expect("task")
                .expect("read");
        assert!(result.is_ok(), "a consistent snapshot: {result:?}");
        checks += 1;
    }
    writer.await.expect("writer");
    assert!(checks > 0);
    let offline = verify_audit_in(&data, &Default::default())
        .expect("read")
        .expect("intact");
    let online = store
        .verify_audit(&Default::default())
        .await
        .expect("verify")
        .expect("intact");
    assert_eq!(offline, online);
}

#[tokio::test]
async fn an_edited_audit_row_is_named_by_the_offline_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().to_path_buf();
    {
        let store = open(&data);
        for i in 0..3 {
            submit(&store, &format!("app-{i}"), 1_000 + i).await;
        }
        assert!(
            verify_audit_in(&data, &Default::default())
                .expect("read")
                .is_ok()
        );
    }
    // Someone with the file rewrites what record 2 says.
    let conn = rusqlite::Connection::open(data.join(DB_FILE)).expect("open the file");
    let body: Vec<u8> = conn
        .query_row("SELECT body FROM audit WHERE seq = 2", [], |r| r.get(0))
        .expect("record 2");
    let json = String::from_utf8(decompress(&body).expect("a body")).expect("UTF-8");
    assert!(json.contains("child.name"), "{json}");
    let edited = compress(json.replace("child.name", "child.sex").as_bytes());
    conn.execute(
        "UPDATE audit SET body = ?1 WHERE seq = 2",
        rusqlite::params![edited],
    )
    .expect("edit");
    drop(conn);

    let broken = verify_audit_in(&data, &Default::default())
        .expect("read")
        .expect_err("an edited record");
    assert_eq!(broken.seq, 2);
    assert!(broken.reason.contains("edited"), "{broken}");
    // The running store says the same.
    let store = open(&data);
    let online = store
        .verify_audit(&Default::default())
        .await
        .expect("verify");
    assert_eq!(online, Err(broken));
}

#[test]
fn errors_name_the_data_directory() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("nowhere");
    let err = verify_audit_in(&missing, &Default::default()).expect_err("no directory");
    assert!(err.to_string().contains("nowhere"), "{err}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let err = verify_audit_in(&empty, &Default::default()).expect_err("no database");
    assert!(
        err.to_string().contains("empty") && err.to_string().contains(DB_FILE),
        "{err}"
    );
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"not a directory").expect("write");
    let err = SqliteStore::open(&file, StoreOptions::default()).expect_err("a file");
    assert!(err.to_string().contains("a-file"), "{err}");
    let store = open(&tmp.path().join("made"));
    assert!(
        store
            .dir()
            .metadata(DB_FILE)
            .expect("the database in the directory")
            .is_file()
    );
    assert!(store.describe().starts_with("sqlite "));
    assert!(store.describe().ends_with(DB_FILE));
}

#[tokio::test]
async fn a_database_written_before_the_restructure_opens_and_reads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().to_path_buf();
    drop(open(&data));
    // Rows exactly as the single-crate host wrote them, in a store of
    // schema 2 (before events were sealed).
    let digest = Digest::of(b"bundle");
    let conn = rusqlite::Connection::open(data.join(DB_FILE)).expect("open the file");
    conn.execute_batch(&format!(
        r#"
        ALTER TABLE audit_checkpoint DROP COLUMN signature;
        DROP INDEX applications_leased;
        ALTER TABLE applications DROP COLUMN lease_host;
        ALTER TABLE applications DROP COLUMN lease_until_ms;
        PRAGMA user_version = 2;
        INSERT INTO applications (id, bundle, status, overdue, client_key, submitted_ms, updated_ms)
            VALUES ('app-old', 'newborn', 'manual', 0, 'key-old', 1000, 3000);
        INSERT INTO events (application, seq, at_ms, kind, step, body) VALUES
            ('app-old', 1, 1000, 'submitted', NULL,
             '{{"kind":"submitted","bundle":"newborn","bundle_digest":"{digest}","form":{{"child.name":"a value"}},"materials":{{}},"steps":[["health/birth-certificate",60]],"time_limit_secs":3600}}'),
            ('app-old', 2, 2000, 'attempt-started', 'health/birth-certificate',
             '{{"kind":"attempt-started","step":"health/birth-certificate","attempt":1,"plugin_version":"1.0.0","plugin_digest":"{digest}","disclosed":{{"applicant":["child.name"]}}}}'),
            ('app-old', 3, 3000, 'sent-to-manual-queue', 'health/birth-certificate',
             '{{"kind":"sent-to-manual-queue","step":"health/birth-certificate","reason":"check"}}');
        INSERT INTO versions (kind, digest, subject, version, source, added_ms, added_by, bytes, signature)
            VALUES ('plugin', '{digest}', 'health', '1.0.0', 'upload', 1000, 'ops-1', x'00', NULL);
        INSERT INTO changes (at_ms, kind, subject, action, digest, version, actor, source, reason)
            VALUES (1000, 'plugin', 'health', 'activated', '{digest}', '1.0.0', 'ops-1', 'upload', NULL);
        "#
    ))
    .expect("old rows");
    drop(conn);

    let store = open(&data);
    // The events found are sealed as the store is brought to schema 3.
    let verified = store
        .verify_audit(&Default::default())
        .await
        .expect("verify")
        .expect("the old events are sealed");
    assert_eq!((verified.records, verified.events), (1, 3));
    let state = store
        .state("app-old")
        .await
        .expect("state")
        .expect("stored");
    assert_eq!(state.status, AppStatus::Manual);
    assert_eq!(state.events, 3);
    let manual = store
        .list(Some(AppStatus::Manual), false, 10)
        .await
        .expect("list");
    assert_eq!(manual.len(), 1);
    assert_eq!(manual[0].bundle.as_str(), "newborn");
    let history = store.changes(None, None, 10).await.expect("changes");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].digest, Some(digest));
    assert!(
        store
            .version(VersionKind::Plugin, &digest)
            .await
            .expect("version")
            .is_some()
    );
    // The unique approval holds on old rows too.
    let mut after = state.clone();
    let approval = Event::StepApproved {
        step: step("health/birth-certificate"),
        attempt: 0,
        outputs: BTreeMap::new(),
        documents: vec![],
        note: None,
        operator: Some("ops-1".into()),
    };
    after.apply(&approval, 4_000);
    store
        .append(&state, &after, &[(approval.clone(), 4_000)])
        .await
        .expect("approve");
    let mut twice = after.clone();
    twice.apply(&approval, 5_000);
    let err = store
        .append(&after, &twice, &[(approval, 5_000)])
        .await
        .expect_err("a second approval");
    assert!(
        matches!(err, onething_store::StoreError::AlreadyApproved { .. }),
        "{err}"
    );
    assert_eq!(
        store.state("app-old").await.expect("state"),
        Some(after),
        "the stored fold is the engine's"
    );
}

/// A store written before the schema's first migration (no request
/// digests, no issued values, no key-value usage) is brought up to date
/// when opened: keys keep working without a digest, and each department's
/// usage is counted from what it already keeps.
#[tokio::test]
async fn a_store_from_before_the_migration_is_brought_up_to_date() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().to_path_buf();
    drop(open(&data));
    let conn = rusqlite::Connection::open(data.join(DB_FILE)).expect("open the file");
    conn.execute_batch(
        r#"
        ALTER TABLE applications DROP COLUMN client_request;
        DROP TABLE issued_values;
        DROP TABLE kv_usage;
        DROP TABLE material_uploads;
        ALTER TABLE audit_checkpoint DROP COLUMN signature;
        DROP INDEX applications_leased;
        ALTER TABLE applications DROP COLUMN lease_host;
        ALTER TABLE applications DROP COLUMN lease_until_ms;
        PRAGMA user_version = 0;
        INSERT INTO kv (department, key, value) VALUES
            ('health', 'a', x'0102'), ('health', 'bb', x'03'), ('tax', 'c', x'');
        INSERT INTO applications (id, bundle, status, overdue, client_key, submitted_ms, updated_ms)
            VALUES ('app-old', 'newborn', 'manual', 0, 'key-old', 1000, 3000);
        "#,
    )
    .expect("an old store");
    drop(conn);
    let store = open(&data);
    let kv = store.kv();
    let usage = |d: &str| {
        let kv = kv.clone();
        let d = DepartmentId::parse(d).expect("id");
        async move { kv.usage(&d).await.expect("usage") }
    };
    assert_eq!(
        usage("health").await,
        onething_store::KvUsage { keys: 2, bytes: 6 }
    );
    assert_eq!(
        usage("tax").await,
        onething_store::KvUsage { keys: 1, bytes: 1 }
    );
    assert_eq!(
        store.by_client_key("key-old").await.expect("lookup"),
        Some(("app-old".to_owned(), None))
    );
    let version: i64 = rusqlite::Connection::open(data.join(DB_FILE))
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 4);
}

/// A store of schema 3 (before leases) gains them when opened: its
/// applications have none, the running ones are orphans to claim, and
/// leases work on them as on new ones.
#[tokio::test]
async fn a_store_from_before_leases_gains_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().to_path_buf();
    let store = open(&data);
    submit(&store, "app-running", 1_000).await;
    submit(&store, "app-later", 2_000).await;
    drop(store);
    let conn = rusqlite::Connection::open(data.join(DB_FILE)).expect("open the file");
    conn.execute_batch(
        r#"
        DROP INDEX applications_leased;
        ALTER TABLE applications DROP COLUMN lease_host;
        ALTER TABLE applications DROP COLUMN lease_until_ms;
        PRAGMA user_version = 3;
        "#,
    )
    .expect("a store of schema 3");
    drop(conn);

    let store = open(&data);
    assert!(store.leases().await.expect("leases").is_empty());
    let ttl = std::time::Duration::from_secs(60);
    assert_eq!(
        store.claim_orphans("host-a", ttl, 10).await.expect("claim"),
        ["app-running", "app-later"]
    );
    let leases = store.leases().await.expect("leases");
    assert_eq!(
        leases
            .iter()
            .map(|l| (l.application.as_str(), l.host.as_str()))
            .collect::<Vec<_>>(),
        [("app-later", "host-a"), ("app-running", "host-a")]
    );
    assert_eq!(
        store
            .claim_lease("app-later", "host-b", ttl)
            .await
            .expect("claim"),
        onething_store::Lease::Elsewhere {
            host: "host-a".into(),
            expires_ms: leases[0].expires_ms,
        }
    );
    store
        .release_lease("app-later", "host-a")
        .await
        .expect("release");
    assert!(
        store
            .claim_lease("app-later", "host-b", ttl)
            .await
            .expect("claim")
            .is_held()
    );
    let version: i64 = rusqlite::Connection::open(data.join(DB_FILE))
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, 4);
    assert!(
        store
            .verify_audit(&Default::default())
            .await
            .expect("verify")
            .is_ok(),
        "leases are not sealed, and the chain is whole"
    );
}
