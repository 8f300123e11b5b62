//! Cases on applications and their events: create, idempotent keys, the
//! fold, events after a seq, lists and counts, and the unique approval.

use std::collections::BTreeMap;

use onething_model::events::Event;
use onething_model::ids::BundleId;
use onething_model::problem::Problem;
use onething_model::state::{AppState, AppStatus};
use serde_json::json;

use onething_model::ids::Digest;
use onething_store::{ClientKey, Created, StoreError};

use super::Fresh;
use super::fixtures::*;

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
    let key = |k: &str, body: &[u8]| ClientKey {
        key: k.to_owned(),
        request: Digest::of(body),
    };
    assert_eq!(s.by_client_key("key-1").await.expect("lookup"), None);
    let first = s
        .create(Some(&key("key-1", b"one")), &a, &event, 1_000)
        .await;
    assert_eq!(first.expect("create"), Created::New);
    assert_eq!(
        s.by_client_key("key-1").await.expect("lookup"),
        Some(("app-a".to_owned(), Some(Digest::of(b"one"))))
    );
    let sealed = all_records(s).await.len();
    // Another request under the same key: nothing stored either, and the
    // first request's digest is returned for the caller to compare.
    let second = s
        .create(Some(&key("key-1", b"two")), &b, &event, 2_000)
        .await;
    assert_eq!(
        second.expect("create"),
        Created::Existing {
            id: "app-a".into(),
            request: Some(Digest::of(b"one"))
        }
    );
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
    let other = s
        .create(Some(&key("key-2", b"one")), &b, &event, 2_000)
        .await;
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
    let seqs = |rs: Vec<onething_store::EventRecord>| {
        rs.iter().map(|r| (r.seq, r.at_ms)).collect::<Vec<_>>()
    };
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
    let ids = |l: Vec<onething_store::AppSummary>| l.into_iter().map(|x| x.id).collect::<Vec<_>>();
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
        [onething_store::AppSummary {
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
        24,
        "for each other application two entries of what moved and the seal of its events"
    );
    assert_eq!(
        new_entries
            .iter()
            .filter(|e| e.action == onething_model::audit::Action::Recorded)
            .count(),
        8
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
    assert!(
        s.verify_audit(&Default::default())
            .await
            .expect("verify")
            .is_ok()
    );
}

/// An issued value belongs to one application: claiming it again for the
/// same application keeps it; another application's claim is refused
/// whole (none of its values claimed), naming the holder.
pub async fn issued_values_are_claimed_once(fresh: Fresh) {
    let s = &*fresh.store;
    let id_number = key("child.id_number");
    let hukou = key("child.hukou_number");
    let mine = vec![
        (id_number.clone(), "350203202610200016".to_owned()),
        (hukou.clone(), "H-1".to_owned()),
    ];
    assert!(
        s.claim_issued("app-a", &mine)
            .await
            .expect("claim")
            .is_empty()
    );
    assert!(
        s.claim_issued("app-a", &mine)
            .await
            .expect("again")
            .is_empty(),
        "a claim the application holds is kept"
    );
    let theirs = vec![
        (hukou.clone(), "H-2".to_owned()),
        (id_number.clone(), "350203202610200016".to_owned()),
    ];
    let refused = s.claim_issued("app-b", &theirs).await.expect("claim");
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].holder, "app-a");
    assert_eq!(refused[0].key, id_number);
    assert_eq!(
        s.issued_to(&hukou, "H-2").await.expect("lookup"),
        None,
        "nothing of a refused claim is kept"
    );
    assert_eq!(
        s.issued_to(&id_number, "350203202610200016")
            .await
            .expect("lookup"),
        Some("app-a".to_owned())
    );
}
