//! The conformance suite: what every backend of [`Store`] must do, the
//! same way. Each case is a public `async fn` taking a fresh store
//! ([`Fresh`]); [`conformance_tests!`](crate::conformance_tests) makes one
//! `#[test]` per case, so a backend runs the whole suite with one line and
//! a failure names its case:
//!
//! ```ignore
//! async fn fresh(options: onething_store::StoreOptions) -> onething_store::conformance::Fresh {
//!     let dir = tempfile::tempdir().expect("tempdir");
//!     let store = MyStore::open(dir.path(), options).expect("open");
//!     onething_store::conformance::Fresh::keeping(store, dir)
//! }
//! onething_store::conformance_tests!(fresh);
//! ```
//!
//! Behind the `conformance` feature (a backend's dev-dependency turns it
//! on). Not for a backend's own concerns (reopening, group commit, files):
//! those are its own tests.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use onething_model::application::Material;
use onething_model::audit::{Action, Entry, Flow};
use onething_model::consent::{ConsentRecord, PrefillRecord, value_digest};
use onething_model::events::Event;
use onething_model::ids::{BundleId, DepartmentId, Digest, FieldKey, MaterialCode, StepRef};
use onething_model::problem::Problem;
use onething_model::state::{AppState, AppStatus};
use serde_json::json;

use crate::audit::{self, Record};
use crate::{
    ActivationStack, ChangeAction, ChangeRecord, Created, MaterialMeta, Store, StoreError,
    StoredVersion, VersionKind,
};

/// A fresh, empty store for one case, with whatever must outlive it (a
/// temporary directory, a database to drop afterwards).
pub struct Fresh {
    /// The store, as the engine holds it.
    pub store: Arc<dyn Store>,
    /// Dropped after the store.
    _keep: Option<Box<dyn Any + Send + Sync>>,
}

impl Fresh {
    /// A store that needs nothing kept.
    pub fn new(store: impl Store) -> Self {
        Self {
            store: Arc::new(store),
            _keep: None,
        }
    }

    /// A store with something to keep until it is dropped (fields drop in
    /// order: the store first).
    pub fn keeping(store: impl Store, keep: impl Any + Send + Sync) -> Self {
        Self {
            store: Arc::new(store),
            _keep: Some(Box::new(keep)),
        }
    }
}

/// Run one case on a multi-threaded runtime of two workers (what the
/// generated tests call).
pub fn run(case: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(case);
}

/// One `#[test]` per conformance case, each on a fresh store from
/// `$fresh`: an `async fn(StoreOptions) -> Fresh` (or any expression
/// callable so).
#[macro_export]
macro_rules! conformance_tests {
    ($fresh:expr) => {
        $crate::conformance_tests!(@cases $fresh, $crate::StoreOptions::default();
            create_state_and_events,
            idempotent_client_key,
            append_folds_like_the_engine,
            events_after_a_seq,
            unfinished_list_and_counts,
            a_second_approval_is_refused_and_stores_nothing,
            materials_dedup_meta_and_bytes,
            versions_history_and_activation,
            consents_round_trip,
            kv_get_set_insert_delete_and_isolation,
            kv_insert_new_races_set_once,
            audit_seals_every_write,
            ping_and_describe,
        );
        $crate::conformance_tests!(@cases $fresh, $crate::StoreOptions { audit: false };
            audit_off_seals_nothing,
        );
    };
    (@cases $fresh:expr, $options:expr; $($case:ident),+ $(,)?) => {
        $(
            #[test]
            fn $case() {
                $crate::conformance::run(async {
                    let fresh = ($fresh)($options).await;
                    $crate::conformance::$case(fresh).await;
                });
            }
        )+
    };
}

// ---------------------------------------------------------------------
// Fixtures.

/// Every value in the fixtures carries this, so the audit log can be
/// searched for values that should never be there.
const SECRET: &str = "SECRET-VALUE";

const HEALTH: &str = "health/birth-certificate";
const POLICE: &str = "public-security/household-registration";

fn step(s: &str) -> StepRef {
    StepRef::parse(s).expect("step ref")
}

fn key(s: &str) -> FieldKey {
    FieldKey::parse(s).expect("field key")
}

fn dept(s: &str) -> DepartmentId {
    DepartmentId::parse(s).expect("department id")
}

fn code(s: &str) -> MaterialCode {
    MaterialCode::parse(s).expect("material code")
}

fn submission() -> Event {
    Event::Submitted {
        bundle: BundleId::parse("newborn").expect("bundle id"),
        bundle_digest: Digest::of(b"bundle newborn"),
        form: BTreeMap::from([
            (key("child.name"), json!(format!("{SECRET}-child-name"))),
            (
                key("mother.id_number"),
                json!(format!("{SECRET}-mother-id")),
            ),
        ]),
        materials: BTreeMap::from([(
            code("marriage-certificate"),
            Material {
                digest: Digest::of(b"scan"),
                media_type: "application/pdf".into(),
                size: 4,
            },
        )]),
        steps: vec![(step(HEALTH), 60), (step(POLICE), 60)],
        time_limit_secs: 3600,
        consent: None,
    }
}

fn attempt(s: &str, n: u32) -> Event {
    Event::AttemptStarted {
        step: step(s),
        attempt: n,
        plugin_version: "1.0.0".into(),
        plugin_digest: Digest::of(b"plugin"),
        disclosed: vec![
            Flow {
                key: "child.name".into(),
                from: "applicant".into(),
            },
            Flow {
                key: "mother.id_number".into(),
                from: "applicant".into(),
            },
        ],
        materials: vec![code("marriage-certificate")],
    }
}

fn approved(s: &str) -> Event {
    Event::StepApproved {
        step: step(s),
        attempt: 1,
        outputs: BTreeMap::from([(
            key("child.birth_certificate_number"),
            json!(format!("{SECRET}-issued")),
        )]),
        documents: vec![],
        note: None,
        operator: None,
    }
}

/// Submit a new application at `at_ms`; its state.
async fn submit(store: &dyn Store, id: &str, at_ms: i64) -> AppState {
    let event = submission();
    let state = AppState::submitted(id, at_ms, &event).expect("a submission");
    let created = store
        .create(None, &state, &event, at_ms)
        .await
        .expect("create");
    assert_eq!(created, Created::New, "{id}");
    state
}

/// What the engine does: fold `events` into the state, then append them
/// taking the stored application from the old state to the new.
async fn apply(
    store: &dyn Store,
    state: &mut AppState,
    events: Vec<Event>,
    at_ms: i64,
) -> Result<(), StoreError> {
    let events: Vec<(Event, i64)> = events.into_iter().map(|e| (e, at_ms)).collect();
    let mut after = state.clone();
    for (e, at) in &events {
        after.apply(e, *at);
    }
    store.append(state, &after, &events).await?;
    *state = after;
    Ok(())
}

async fn all_records(store: &dyn Store) -> Vec<Record> {
    store
        .audit_records(0, usize::MAX)
        .await
        .expect("audit records")
}

fn entries_of(records: &[Record]) -> Vec<Entry> {
    records
        .iter()
        .flat_map(|r| r.entries().expect("a record's entries"))
        .collect()
}

fn version(kind: VersionKind, subject: &str, name: &str, added_ms: i64) -> StoredVersion {
    StoredVersion {
        kind,
        subject: subject.into(),
        digest: Digest::of(format!("{subject} {name}").as_bytes()),
        version: name.into(),
        source: "upload".into(),
        added_ms,
        added_by: "ops-1".into(),
        bytes: format!("bytes of {subject} {name}").into_bytes(),
        signature: Some(format!("signature of {name}")),
    }
}

fn change(v: &StoredVersion, action: ChangeAction, at_ms: i64) -> ChangeRecord {
    ChangeRecord {
        seq: 0,
        at_ms,
        kind: v.kind,
        subject: Some(v.subject.clone()),
        action,
        digest: Some(v.digest),
        version: Some(v.version.clone()),
        actor: "ops-1".into(),
        source: "upload".into(),
        reason: None,
    }
}

/// Record changes (and a version), noting what the history should hold.
async fn record(
    store: &dyn Store,
    expected: &mut Vec<ChangeRecord>,
    version: Option<&StoredVersion>,
    changes: Vec<ChangeRecord>,
) -> Vec<u64> {
    let seqs = store
        .record_changes(version, &changes)
        .await
        .expect("record changes");
    assert_eq!(seqs.len(), changes.len());
    for (c, seq) in changes.into_iter().zip(&seqs) {
        expected.push(ChangeRecord { seq: *seq, ..c });
    }
    seqs
}

fn consent(id: &str) -> ConsentRecord {
    let ps = dept("public-security");
    ConsentRecord {
        id: id.into(),
        bundle: BundleId::parse("newborn").expect("bundle id"),
        departments: vec![ps.clone()],
        fields: vec![key("household.address")],
        granted_ms: 1_000,
        prefilled: vec![PrefillRecord {
            key: key("household.address"),
            from: ps,
            step: step(POLICE),
            value_digest: value_digest(&json!(format!("{SECRET}-address"))),
        }],
    }
}

fn consent_entries(id: &str) -> Vec<Entry> {
    let mut granted = Entry::new(Action::ConsentGranted, "applicant");
    granted.recipient = Some("public-security".into());
    granted.fields = vec![Flow {
        key: "household.address".into(),
        from: "public-security".into(),
    }];
    granted.note = Some(id.into());
    let mut prefilled = Entry::new(Action::Prefilled, "public-security");
    prefilled.recipient = Some("applicant".into());
    prefilled.step = Some(POLICE.into());
    prefilled.fields = granted.fields.clone();
    vec![granted, prefilled]
}

// ---------------------------------------------------------------------
// Cases.

/// A created application reads back as its state and its one event; an
/// unknown one reads as nothing; an id cannot be created twice.
pub async fn create_state_and_events(fresh: Fresh) {
    let s = &*fresh.store;
    let state = submit(s, "app-1", 1_000).await;
    assert_eq!(s.state("app-1").await.expect("state"), Some(state.clone()));
    let events = s.events("app-1", 0).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].seq, events[0].at_ms), (1, 1_000));
    assert_eq!(events[0].event, submission());
    let written = serde_json::to_value(&events[0]).expect("an event record as JSON");
    assert_eq!(written["seq"], 1, "{written}");
    assert_eq!(
        written["kind"], "submitted",
        "the event is flattened: {written}"
    );
    assert_eq!(written["bundle"], "newborn", "{written}");

    assert_eq!(s.state("app-none").await.expect("state"), None);
    assert!(s.events("app-none", 0).await.expect("events").is_empty());

    let again = s.create(None, &state, &submission(), 2_000).await;
    assert!(again.is_err(), "an id stored twice: {again:?}");
    assert_eq!(s.events("app-1", 0).await.expect("events").len(), 1);
}

/// A second create with a client key already used stores nothing (not
/// even an audit record) and names the first application.
pub async fn idempotent_client_key(fresh: Fresh) {
    let s = &*fresh.store;
    let event = submission();
    let a = AppState::submitted("app-a", 1_000, &event).expect("submission");
    let b = AppState::submitted("app-b", 2_000, &event).expect("submission");
    let first = s.create(Some("key-1"), &a, &event, 1_000).await;
    assert_eq!(first.expect("create"), Created::New);
    let sealed = all_records(s).await.len();
    let second = s.create(Some("key-1"), &b, &event, 2_000).await;
    assert_eq!(second.expect("create"), Created::Existing("app-a".into()));
    assert_eq!(s.state("app-b").await.expect("state"), None);
    assert_eq!(s.events("app-a", 0).await.expect("events").len(), 1);
    assert_eq!(
        s.counts().await.expect("counts"),
        vec![(AppStatus::Running, 1)]
    );
    assert_eq!(
        all_records(s).await.len(),
        sealed,
        "a repeated submission seals nothing"
    );
    let other = s.create(Some("key-2"), &b, &event, 2_000).await;
    assert_eq!(other.expect("create"), Created::New);
}

/// Appends fold to the same state as the engine's own fold, step by step,
/// through retries, needs-more, a correction, a deadline, the manual
/// queue and an operator's approval; the status columns follow.
pub async fn append_folds_like_the_engine(fresh: Fresh) {
    let s = &*fresh.store;
    let id = "app-1";
    let mut st = submit(s, id, 1_000).await;
    let steps: Vec<(Vec<Event>, i64)> = vec![
        (vec![attempt(HEALTH, 1)], 2_000),
        (
            vec![
                Event::AttemptFailed {
                    step: step(HEALTH),
                    attempt: 1,
                    error: "timed out".into(),
                    retryable: true,
                },
                Event::RetryScheduled {
                    step: step(HEALTH),
                    at_ms: 5_000,
                },
            ],
            3_000,
        ),
        (vec![attempt(HEALTH, 2), approved(HEALTH)], 5_000),
        (
            vec![
                attempt(POLICE, 1),
                Event::StepNeedsMore {
                    step: step(POLICE),
                    problems: vec![Problem::general("unreadable", "the scan is unreadable")],
                },
            ],
            6_000,
        ),
        (
            vec![Event::FormCorrected {
                fields: BTreeMap::from([(key("child.name"), json!(format!("{SECRET}-fixed")))]),
                materials: BTreeMap::new(),
            }],
            7_000,
        ),
        (
            vec![Event::DeadlinePassed {
                step: Some(step(POLICE)),
            }],
            8_000,
        ),
        (
            vec![
                attempt(POLICE, 2),
                Event::SentToManualQueue {
                    step: step(POLICE),
                    reason: "needs a look".into(),
                },
            ],
            9_000,
        ),
        (
            vec![Event::StepApproved {
                step: step(POLICE),
                attempt: 0,
                outputs: BTreeMap::from([(key("child.id_number"), json!(format!("{SECRET}-id")))]),
                documents: vec![],
                note: None,
                operator: Some("ops-1".into()),
            }],
            10_000,
        ),
    ];
    let mut seen = Vec::new();
    for (events, at_ms) in steps {
        apply(s, &mut st, events, at_ms).await.expect("append");
        let stored = s.state(id).await.expect("state").expect("stored");
        assert_eq!(stored, st, "after {} events", st.events);
        let listed = s.list(None, false, 10).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].status, listed[0].overdue),
            (st.status, st.is_overdue()),
            "after {} events",
            st.events
        );
        seen.push(st.status);
    }
    for status in [
        AppStatus::Running,
        AppStatus::NeedsMore,
        AppStatus::Manual,
        AppStatus::Completed,
    ] {
        assert!(seen.contains(&status), "{status:?} in {seen:?}");
    }
    let events = s.events(id, 0).await.expect("events");
    assert_eq!(events.len() as u64, st.events);
    assert!(
        events.iter().zip(1..).all(|(r, seq)| r.seq == seq),
        "seqs from 1 without gaps"
    );

    // An append to an application never stored is an error.
    let mut ghost = st.clone();
    ghost.id = "app-ghost".into();
    let err = apply(s, &mut ghost, vec![attempt(HEALTH, 3)], 11_000).await;
    assert!(err.is_err(), "{err:?}");
    assert!(s.events("app-ghost", 0).await.expect("events").is_empty());
}

/// Events after a seq are the later ones, in order, with their times.
pub async fn events_after_a_seq(fresh: Fresh) {
    let s = &*fresh.store;
    let mut st = submit(s, "app-1", 1_000).await;
    apply(s, &mut st, vec![attempt(HEALTH, 1)], 2_000)
        .await
        .expect("append");
    apply(
        s,
        &mut st,
        vec![approved(HEALTH), attempt(POLICE, 1)],
        3_000,
    )
    .await
    .expect("append");
    let seqs =
        |rs: Vec<crate::EventRecord>| rs.iter().map(|r| (r.seq, r.at_ms)).collect::<Vec<_>>();
    assert_eq!(
        seqs(s.events("app-1", 0).await.expect("events")),
        [(1, 1_000), (2, 2_000), (3, 3_000), (4, 3_000)]
    );
    let later = s.events("app-1", 2).await.expect("events");
    assert_eq!(seqs(later.clone()), [(3, 3_000), (4, 3_000)]);
    assert_eq!(later[0].event, approved(HEALTH));
    assert!(s.events("app-1", 4).await.expect("events").is_empty());
}

/// Running applications are unfinished; lists filter by status and
/// overdue, keep submission order and stop at the limit; counts count.
pub async fn unfinished_list_and_counts(fresh: Fresh) {
    let s = &*fresh.store;
    // Created out of submission order.
    let mut c = submit(s, "app-c", 3_000).await;
    let _a = submit(s, "app-a", 1_000).await;
    let mut d = submit(s, "app-d", 4_000).await;
    let mut b = submit(s, "app-b", 2_000).await;
    apply(
        s,
        &mut b,
        vec![
            attempt(HEALTH, 1),
            Event::SentToManualQueue {
                step: step(HEALTH),
                reason: "check".into(),
            },
        ],
        5_000,
    )
    .await
    .expect("append");
    apply(s, &mut c, vec![attempt(HEALTH, 1), approved(HEALTH)], 5_000)
        .await
        .expect("append");
    apply(s, &mut c, vec![attempt(POLICE, 1), approved(POLICE)], 6_000)
        .await
        .expect("append");
    apply(s, &mut d, vec![Event::DeadlinePassed { step: None }], 7_000)
        .await
        .expect("append");
    assert_eq!(b.status, AppStatus::Manual);
    assert_eq!(c.status, AppStatus::Completed);

    assert_eq!(
        s.unfinished().await.expect("unfinished"),
        ["app-a", "app-d"]
    );
    let ids = |l: Vec<crate::AppSummary>| l.into_iter().map(|x| x.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.list(None, false, 10).await.expect("list")),
        ["app-a", "app-b", "app-c", "app-d"]
    );
    assert_eq!(
        ids(s.list(None, false, 2).await.expect("list")),
        ["app-a", "app-b"]
    );
    let manual = s
        .list(Some(AppStatus::Manual), false, 10)
        .await
        .expect("list");
    assert_eq!(
        manual,
        [crate::AppSummary {
            id: "app-b".into(),
            bundle: BundleId::parse("newborn").expect("bundle id"),
            status: AppStatus::Manual,
            overdue: false,
            submitted_ms: 2_000,
        }]
    );
    let overdue = s.list(None, true, 10).await.expect("list");
    assert_eq!(ids(overdue.clone()), ["app-d"]);
    assert!(overdue[0].overdue);
    assert_eq!(
        ids(s
            .list(Some(AppStatus::Running), true, 10)
            .await
            .expect("list")),
        ["app-d"]
    );
    assert!(
        s.list(Some(AppStatus::Completed), true, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(s.list(None, false, 0).await.expect("list").is_empty());
    assert_eq!(
        s.counts().await.expect("counts"),
        [
            (AppStatus::Completed, 1),
            (AppStatus::Manual, 1),
            (AppStatus::Running, 2)
        ]
    );
}

/// A second approval of a step is refused with `AlreadyApproved` and
/// nothing of that append is stored or sealed, while the writes of other
/// applications arriving at the same time all land; two approvals of one
/// step in one append are refused too.
pub async fn a_second_approval_is_refused_and_stores_nothing(fresh: Fresh) {
    let store = fresh.store.clone();
    let s = &*store;
    let mut x = submit(s, "app-x", 1_000).await;
    apply(s, &mut x, vec![attempt(HEALTH, 1), approved(HEALTH)], 2_000)
        .await
        .expect("the first approval");
    let mut others = Vec::new();
    for i in 0..8 {
        others.push(submit(s, &format!("app-{i}"), 1_000 + i).await);
    }
    let sealed = all_records(s).await.len();

    let mut tasks = Vec::new();
    {
        let store = store.clone();
        let mut x = x.clone();
        tasks.push(tokio::spawn(async move {
            let r = apply(
                &*store,
                &mut x,
                vec![attempt(POLICE, 1), approved(HEALTH)],
                3_000,
            )
            .await;
            (x, r)
        }));
    }
    for mut o in others {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let r = apply(
                &*store,
                &mut o,
                vec![attempt(HEALTH, 1), approved(HEALTH)],
                3_000,
            )
            .await;
            (o, r)
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    let (_, refused) = &results[0];
    assert_eq!(
        refused,
        &Err(StoreError::AlreadyApproved {
            application: "app-x".into(),
            step: step(HEALTH),
        })
    );
    assert_eq!(
        s.state("app-x").await.expect("state"),
        Some(x.clone()),
        "nothing of the refused append is stored"
    );
    for (o, r) in &results[1..] {
        assert_eq!(r, &Ok(()), "{}", o.id);
        assert_eq!(s.state(&o.id).await.expect("state").as_ref(), Some(o));
    }
    let records = all_records(s).await;
    let new_entries = entries_of(&records[sealed..]);
    assert_eq!(
        new_entries.len(),
        16,
        "two entries for each other application"
    );
    assert!(
        new_entries
            .iter()
            .all(|e| e.application.as_deref() != Some("app-x")),
        "the refused append sealed nothing"
    );

    // Two approvals of one step in one append.
    let err = apply(s, &mut x, vec![approved(POLICE), approved(POLICE)], 4_000).await;
    assert_eq!(
        err,
        Err(StoreError::AlreadyApproved {
            application: "app-x".into(),
            step: step(POLICE),
        })
    );
    assert_eq!(s.state("app-x").await.expect("state"), Some(x));
    assert!(s.verify_audit().await.expect("verify").is_ok());
}

/// Materials are stored once per digest (the first description stays)
/// and read back by digest, description and bytes.
pub async fn materials_dedup_meta_and_bytes(fresh: Fresh) {
    let s = &*fresh.store;
    let bytes = b"%PDF-1.4 a scan".to_vec();
    let meta = MaterialMeta {
        digest: Digest::of(&bytes),
        media_type: "application/pdf".into(),
        size: bytes.len() as u64,
    };
    s.put_material(&meta, &bytes).await.expect("put");
    assert_eq!(
        s.material(&meta.digest).await.expect("meta"),
        Some(meta.clone())
    );
    assert_eq!(
        s.material_bytes(&meta.digest).await.expect("bytes"),
        Some(bytes.clone())
    );
    let again = MaterialMeta {
        media_type: "image/png".into(),
        ..meta.clone()
    };
    s.put_material(&again, &bytes).await.expect("put again");
    assert_eq!(
        s.material(&meta.digest).await.expect("meta"),
        Some(meta.clone()),
        "stored once: the first description stays"
    );
    let other = b"\x89PNG\r\n\x1a\nanother".to_vec();
    let other_meta = MaterialMeta {
        digest: Digest::of(&other),
        media_type: "image/png".into(),
        size: other.len() as u64,
    };
    s.put_material(&other_meta, &other).await.expect("put");
    assert_eq!(
        s.material_bytes(&other_meta.digest).await.expect("bytes"),
        Some(other)
    );
    assert_eq!(
        s.material_bytes(&meta.digest).await.expect("bytes"),
        Some(bytes)
    );
    let unknown = Digest::of(b"never stored");
    assert_eq!(s.material(&unknown).await.expect("meta"), None);
    assert_eq!(s.material_bytes(&unknown).await.expect("bytes"), None);
}

/// Versions are stored once per (kind, digest); the history keeps order,
/// filters by kind and subject, keeps the last `limit`; the activation
/// stack replays it.
pub async fn versions_history_and_activation(fresh: Fresh) {
    let s = &*fresh.store;
    let v1 = version(VersionKind::Plugin, "health", "1.0.0", 1_000);
    let v2 = version(VersionKind::Plugin, "health", "2.0.0", 2_000);
    let b1 = version(VersionKind::Bundle, "newborn", "b1", 1_500);
    let mut expected = Vec::new();
    record(
        s,
        &mut expected,
        Some(&v1),
        vec![
            change(&v1, ChangeAction::Admitted, 1_000),
            change(&v1, ChangeAction::Activated, 1_000),
        ],
    )
    .await;
    record(
        s,
        &mut expected,
        Some(&b1),
        vec![
            change(&b1, ChangeAction::Admitted, 1_500),
            change(&b1, ChangeAction::Activated, 1_500),
        ],
    )
    .await;
    let refused = ChangeRecord {
        reason: Some("not signed".into()),
        digest: Some(Digest::of(b"unsigned")),
        version: None,
        ..change(&v1, ChangeAction::Refused, 1_800)
    };
    record(s, &mut expected, None, vec![refused]).await;
    record(
        s,
        &mut expected,
        Some(&v2),
        vec![
            change(&v2, ChangeAction::Admitted, 2_000),
            change(&v2, ChangeAction::Activated, 2_000),
        ],
    )
    .await;
    // The same version again: stored once, the first stays.
    let v1_again = StoredVersion {
        added_by: "someone-else".into(),
        added_ms: 3_000,
        ..v1.clone()
    };
    assert!(
        record(s, &mut expected, Some(&v1_again), vec![])
            .await
            .is_empty()
    );

    let seqs: Vec<u64> = expected.iter().map(|c| c.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seqs increase: {seqs:?}"
    );
    assert_eq!(
        s.version(VersionKind::Plugin, &v1.digest)
            .await
            .expect("version"),
        Some(v1.clone())
    );
    assert_eq!(
        s.version(VersionKind::Bundle, &v1.digest)
            .await
            .expect("version"),
        None,
        "kinds are apart"
    );
    let without_bytes = |v: &StoredVersion| StoredVersion {
        bytes: Vec::new(),
        ..v.clone()
    };
    assert_eq!(
        s.versions(VersionKind::Plugin, "health")
            .await
            .expect("versions"),
        [without_bytes(&v1), without_bytes(&v2)]
    );
    assert_eq!(
        s.versions(VersionKind::Bundle, "newborn")
            .await
            .expect("versions"),
        [without_bytes(&b1)]
    );
    assert!(
        s.versions(VersionKind::Plugin, "tax")
            .await
            .expect("versions")
            .is_empty()
    );

    assert_eq!(s.changes(None, None, 100).await.expect("changes"), expected);
    let health: Vec<ChangeRecord> = expected
        .iter()
        .filter(|c| c.kind == VersionKind::Plugin)
        .cloned()
        .collect();
    assert_eq!(
        s.changes(Some(VersionKind::Plugin), Some("health"), 100)
            .await
            .expect("changes"),
        health
    );
    assert_eq!(
        s.changes(Some(VersionKind::Bundle), None, 100)
            .await
            .expect("changes"),
        expected[2..4]
    );
    assert_eq!(
        s.changes(Some(VersionKind::Plugin), Some("health"), 2)
            .await
            .expect("changes"),
        health[health.len() - 2..],
        "the last two, oldest first"
    );
    assert!(
        s.changes(Some(VersionKind::Bundle), Some("health"), 100)
            .await
            .expect("changes")
            .is_empty()
    );

    let history = s
        .changes(Some(VersionKind::Plugin), Some("health"), usize::MAX)
        .await
        .expect("changes");
    let stack = ActivationStack::replay(&history);
    assert_eq!(
        (stack.active(), stack.previous()),
        (Some(v2.digest), Some(v1.digest))
    );
    record(
        s,
        &mut expected,
        None,
        vec![change(&v1, ChangeAction::RolledBack, 4_000)],
    )
    .await;
    let history = s
        .changes(Some(VersionKind::Plugin), Some("health"), usize::MAX)
        .await
        .expect("changes");
    let stack = ActivationStack::replay(&history);
    assert_eq!((stack.active(), stack.previous()), (Some(v1.digest), None));
}

/// A consent reads back as stored; its entries are sealed; an id cannot
/// be stored twice.
pub async fn consents_round_trip(fresh: Fresh) {
    let s = &*fresh.store;
    let c = consent("consent-1");
    let entries = consent_entries("consent-1");
    s.record_consent(&c, &entries).await.expect("record");
    assert_eq!(
        s.consent("consent-1").await.expect("consent"),
        Some(c.clone())
    );
    assert_eq!(s.consent("consent-none").await.expect("consent"), None);
    assert_eq!(entries_of(&all_records(s).await), entries);
    let again = s.record_consent(&c, &entries).await;
    assert!(again.is_err(), "{again:?}");
    assert_eq!(
        entries_of(&all_records(s).await),
        entries,
        "a refused consent seals nothing"
    );
}

/// The key-value store gets, sets, inserts only new keys and deletes,
/// each department apart.
pub async fn kv_get_set_insert_delete_and_isolation(fresh: Fresh) {
    let kv = fresh.store.kv();
    let (health, tax) = (dept("health"), dept("tax"));
    assert_eq!(kv.get(&health, "k").await.expect("get"), None);
    kv.set(&health, "k", b"one").await.expect("set");
    assert_eq!(
        kv.get(&health, "k").await.expect("get"),
        Some(b"one".to_vec())
    );
    assert_eq!(
        kv.get(&tax, "k").await.expect("get"),
        None,
        "departments apart"
    );
    kv.set(&health, "k", b"two").await.expect("set");
    assert_eq!(
        kv.get(&health, "k").await.expect("get"),
        Some(b"two".to_vec())
    );
    assert!(!kv.insert_new(&health, "k", b"three").await.expect("insert"));
    assert_eq!(
        kv.get(&health, "k").await.expect("get"),
        Some(b"two".to_vec())
    );
    assert!(kv.insert_new(&tax, "k", b"tax's").await.expect("insert"));
    assert_eq!(
        kv.get(&tax, "k").await.expect("get"),
        Some(b"tax's".to_vec())
    );
    kv.set(&health, "empty", b"").await.expect("set");
    assert_eq!(
        kv.get(&health, "empty").await.expect("get"),
        Some(Vec::new())
    );
    assert!(kv.delete(&health, "k").await.expect("delete"));
    assert!(!kv.delete(&health, "k").await.expect("delete"));
    assert_eq!(kv.get(&health, "k").await.expect("get"), None);
    assert_eq!(
        kv.get(&tax, "k").await.expect("get"),
        Some(b"tax's".to_vec()),
        "a delete touches one department"
    );
    assert!(kv.insert_new(&health, "k", b"again").await.expect("insert"));
}

/// `insert_new` from 50 concurrent tasks sets the key exactly once.
pub async fn kv_insert_new_races_set_once(fresh: Fresh) {
    let kv = fresh.store.kv();
    let health = dept("health");
    let tasks: Vec<_> = (0..50u8)
        .map(|i| {
            let (kv, health) = (kv.clone(), health.clone());
            tokio::spawn(async move {
                let won = kv
                    .insert_new(&health, "once", &[i])
                    .await
                    .expect("insert_new");
                (i, won)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for t in tasks {
        let (i, won) = t.await.expect("task");
        if won {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "set exactly once: {winners:?}");
    assert_eq!(
        kv.get(&health, "once").await.expect("get"),
        Some(vec![winners[0]])
    );
}

/// Every create, append, activation, rollback and consent is sealed;
/// materials and key-value writes are not; the chain verifies, the
/// checkpoint is its head, seqs run from 1 without gaps, and no entry
/// holds a value.
pub async fn audit_seals_every_write(fresh: Fresh) {
    let s = &*fresh.store;
    assert_eq!(s.audit_checkpoint().await.expect("checkpoint"), None);
    let mut st = submit(s, "app-1", 1_000).await;
    apply(
        s,
        &mut st,
        vec![attempt(HEALTH, 1), approved(HEALTH)],
        2_000,
    )
    .await
    .expect("append");
    let v1 = version(VersionKind::Plugin, "health", "1.0.0", 1_000);
    let v2 = version(VersionKind::Plugin, "health", "2.0.0", 2_000);
    s.record_changes(
        Some(&v1),
        &[
            change(&v1, ChangeAction::Admitted, 1_000),
            change(&v1, ChangeAction::Activated, 1_000),
        ],
    )
    .await
    .expect("changes");
    s.record_changes(
        Some(&v2),
        &[
            change(&v2, ChangeAction::Admitted, 2_000),
            change(&v2, ChangeAction::Activated, 2_000),
        ],
    )
    .await
    .expect("changes");
    s.record_changes(None, &[change(&v1, ChangeAction::RolledBack, 3_000)])
        .await
        .expect("changes");
    s.record_consent(&consent("consent-1"), &consent_entries("consent-1"))
        .await
        .expect("consent");
    let sealed = all_records(s).await.len();
    let bytes = b"%PDF-1.4 scan";
    s.put_material(
        &MaterialMeta {
            digest: Digest::of(bytes),
            media_type: "application/pdf".into(),
            size: bytes.len() as u64,
        },
        bytes,
    )
    .await
    .expect("material");
    s.kv()
        .set(&dept("health"), "k", SECRET.as_bytes())
        .await
        .expect("kv");

    let records = all_records(s).await;
    assert_eq!(records.len(), sealed, "materials and kv are not audited");
    assert!(
        records.iter().zip(1..).all(|(r, seq)| r.seq == seq),
        "seqs from 1 without gaps: {:?}",
        records.iter().map(|r| r.seq).collect::<Vec<_>>()
    );
    let entries = entries_of(&records);
    let count = |a: Action| entries.iter().filter(|e| e.action == a).count();
    assert_eq!(count(Action::Received), 1, "the submission");
    assert_eq!(count(Action::Disclosed), 1, "the attempt");
    assert_eq!(count(Action::Produced), 1, "the approval");
    assert_eq!(
        count(Action::VersionActivated),
        2,
        "activations, not admissions"
    );
    assert_eq!(count(Action::VersionRolledBack), 1);
    assert_eq!(count(Action::ConsentGranted), 1);
    assert_eq!(count(Action::Prefilled), 1);
    assert_eq!(entries.len(), 8);
    let activation = entries
        .iter()
        .find(|e| e.action == Action::VersionActivated)
        .and_then(|e| e.note.clone())
        .unwrap_or_default();
    assert!(activation.contains(&v1.digest.to_string()), "{activation}");
    let disclosed = entries
        .iter()
        .find(|e| e.action == Action::Disclosed)
        .expect("a disclosure");
    assert_eq!(disclosed.recipient.as_deref(), Some("health"));
    assert_eq!(disclosed.step.as_deref(), Some(HEALTH));
    assert_eq!(
        disclosed
            .fields
            .iter()
            .map(|f| f.key.as_str())
            .collect::<Vec<_>>(),
        ["child.name", "mother.id_number"]
    );
    for r in &records {
        let json =
            String::from_utf8(audit::decompress(&r.body).expect("a body")).expect("UTF-8 JSON");
        assert!(
            !json.contains(SECRET),
            "record {}: a value in {json}",
            r.seq
        );
    }

    let checkpoint = s
        .audit_checkpoint()
        .await
        .expect("checkpoint")
        .expect("a checkpoint");
    let last = records.last().expect("records");
    assert_eq!(
        (checkpoint.seq, &checkpoint.digest),
        (last.seq, &last.digest)
    );
    let verified = s
        .verify_audit()
        .await
        .expect("verify")
        .expect("an intact chain");
    assert_eq!(verified.records, checkpoint.seq);
    assert_eq!(verified.head, checkpoint.digest);
    assert_eq!(
        audit::verify(records.clone(), Some(&checkpoint)),
        Ok(verified),
        "the records as read verify on their own"
    );
    let page = s.audit_records(1, 1).await.expect("records");
    assert_eq!(page, records[1..2]);
    assert!(
        s.audit_records(last.seq, 10)
            .await
            .expect("records")
            .is_empty()
    );
}

/// With the audit log off, every write still lands and nothing is sealed.
pub async fn audit_off_seals_nothing(fresh: Fresh) {
    let s = &*fresh.store;
    let mut st = submit(s, "app-1", 1_000).await;
    apply(
        s,
        &mut st,
        vec![attempt(HEALTH, 1), approved(HEALTH)],
        2_000,
    )
    .await
    .expect("append");
    let v1 = version(VersionKind::Plugin, "health", "1.0.0", 1_000);
    s.record_changes(Some(&v1), &[change(&v1, ChangeAction::Activated, 1_000)])
        .await
        .expect("changes");
    s.record_consent(&consent("consent-1"), &consent_entries("consent-1"))
        .await
        .expect("consent");
    assert_eq!(s.state("app-1").await.expect("state"), Some(st));
    assert!(all_records(s).await.is_empty());
    assert_eq!(s.audit_checkpoint().await.expect("checkpoint"), None);
    let verified = s.verify_audit().await.expect("verify").expect("intact");
    assert_eq!(verified.records, 0);
}

/// The store answers and says what it is.
pub async fn ping_and_describe(fresh: Fresh) {
    fresh.store.ping().await.expect("ping");
    assert!(!fresh.store.describe().is_empty());
}
