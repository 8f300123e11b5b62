//! What the PostgreSQL store must do that one host never shows: several
//! stores on one database (several hosts) racing a second approval, a
//! client key, an issued value, `insert-new` and a shared quota, and
//! appending to one audit chain; migrations applied by hosts starting
//! together; a restarted host going on where the database is; errors that
//! name the server without its password; hosts splitting orphaned
//! applications between them (`SKIP LOCKED`) and taking over a dead
//! host's once its leases run out; a database from before leases
//! gaining them.
//!
//! Not for the shared semantics: `conformance.rs` runs the suite.

mod common;

use std::sync::Arc;

use common::*;
use onething_model::audit::{Action, Entry};
use onething_model::ids::DepartmentId;
use onething_model::state::AppState;
use onething_store::audit::{self, VerifyOptions};
use onething_store::prelude::*;
use onething_store::{
    CheckpointKey, ClientKey, Created, KvError, KvQuota, StoreError, StoreOptions,
};
use onething_store_postgres::{PoolOptions, PostgresStore, schema};

/// `n` stores ("hosts") on one schema, each with its own pool.
async fn hosts(schema: &Schema, n: usize, options: StoreOptions) -> Vec<Arc<PostgresStore>> {
    let mut out = Vec::new();
    for _ in 0..n {
        let store = PostgresStore::connect_with(
            &schema.url,
            options.clone(),
            PoolOptions {
                max_size: 8,
                ..PoolOptions::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("connecting a host: {e}"));
        out.push(Arc::new(store));
    }
    out
}

fn approvals_of(events: &[onething_store::EventRecord], s: &str) -> usize {
    events
        .iter()
        .filter(|r| matches!(&r.event, onething_model::events::Event::StepApproved { step: st, .. } if *st == step(s)))
        .count()
}

/// Two hosts append the same approval to the same applications at the
/// same moment: one lands, the other is refused and stores nothing. A
/// host that has read the approval and approves again is refused by the
/// database's constraint with `AlreadyApproved`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_race_a_second_approval() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 2, StoreOptions::default()).await;
    let mut states = Vec::new();
    for i in 0..12 {
        states.push(submit(&*h[0], &format!("app-{i}"), 1_000 + i).await);
    }
    let mut tasks = Vec::new();
    for st in &states {
        for host in &h {
            let (host, st) = (host.clone(), st.clone());
            tasks.push(tokio::spawn(async move {
                let r = apply(&*host, &st, vec![approved(HEALTH)], 2_000).await;
                (st.id.clone(), r)
            }));
        }
    }
    let mut won = std::collections::BTreeMap::<String, usize>::new();
    for t in tasks {
        let (id, r) = t.await.expect("task");
        match r {
            Ok(_) => *won.entry(id).or_default() += 1,
            Err(StoreError::AlreadyApproved { .. }) => {}
            Err(StoreError::Database(m)) if m.contains("appended after") => {}
            Err(e) => panic!("{id}: {e}"),
        }
    }
    for st in &states {
        assert_eq!(won.get(&st.id), Some(&1), "{}: one approval lands", st.id);
        let events = h[1].events(&st.id, 0).await.expect("events");
        assert_eq!(events.len(), 2, "{}: nothing of the refused append", st.id);
        assert_eq!(approvals_of(&events, HEALTH), 1);
    }

    // A host that read the approval (so its append is at the right seq)
    // approves the same step again: the unique index refuses it.
    let current = h[1].state("app-0").await.expect("state").expect("stored");
    let err = apply(&*h[1], &current, vec![approved(HEALTH)], 3_000).await;
    assert_eq!(
        err,
        Err(StoreError::AlreadyApproved {
            application: "app-0".into(),
            step: step(HEALTH),
        })
    );
    assert_eq!(h[0].state("app-0").await.expect("state"), Some(current));
    for host in &h {
        let verified = host
            .verify_audit(&VerifyOptions::default())
            .await
            .expect("verify")
            .expect("one intact chain");
        assert_eq!(verified.events, 24, "every stored event sealed once");
    }
}

/// `insert-new` from two hosts at once sets a key once; a quota is one
/// for the department whichever host writes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_race_insert_new_and_share_a_quota() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 2, StoreOptions::default()).await;
    let health = DepartmentId::parse("health").expect("department");
    let mut tasks = Vec::new();
    for i in 0..40u8 {
        let (kv, health) = (h[usize::from(i % 2)].kv(), health.clone());
        tasks.push(tokio::spawn(async move {
            let won = kv
                .insert_new(&health, "once", &[i], KvQuota::UNLIMITED)
                .await
                .expect("insert_new");
            (i, won)
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (i, won) = t.await.expect("task");
        if won {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "set exactly once: {winners:?}");
    assert_eq!(
        h[1].kv().get(&health, "once").await.expect("get"),
        Some(vec![winners[0]])
    );

    // Ten keys at most, 30 distinct keys written from both hosts at once.
    let tax = DepartmentId::parse("tax").expect("department");
    let quota = KvQuota {
        max_keys: 10,
        max_bytes: 1_000,
    };
    let mut tasks = Vec::new();
    for i in 0..30usize {
        let (kv, tax) = (h[i % 2].kv(), tax.clone());
        tasks.push(tokio::spawn(async move {
            let key = format!("key-{i}");
            let r = kv.set(&tax, &key, b"value", quota).await;
            (key, r)
        }));
    }
    let mut stored = Vec::new();
    for t in tasks {
        match t.await.expect("task") {
            (key, Ok(())) => stored.push(key),
            (_, Err(KvError::Quota { would, .. })) => assert_eq!(would.keys, 11),
            (_, Err(e)) => panic!("{e}"),
        }
    }
    assert_eq!(stored.len(), 10, "the quota holds across hosts");
    let bytes: usize = stored.iter().map(|k| k.len() + b"value".len()).sum();
    for host in &h {
        let usage = host.kv().usage(&tax).await.expect("usage");
        assert_eq!(
            (usage.keys, usage.bytes),
            (10, bytes as u64),
            "what is kept, counted once"
        );
        for key in &stored {
            assert_eq!(
                host.kv().get(&tax, key).await.expect("get"),
                Some(b"value".to_vec())
            );
        }
    }
}

/// Two hosts seal records into the chain at once, with the same host key:
/// one unbroken sequence, its head signed, verified from either host and
/// from the records alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_append_to_one_audit_chain() {
    let schema = Schema::new().await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let options = StoreOptions {
        audit: true,
        checkpoint_key: Some(CheckpointKey(key.clone())),
    };
    let h = hosts(&schema, 2, options).await;
    let per_host = 20;
    let mut tasks = Vec::new();
    for (n, host) in h.iter().enumerate() {
        for i in 0..per_host {
            let host = host.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("app-{n}-{i}");
                submit(&*host, &id, 1_000).await;
                let mut read = Entry::new(Action::Read, format!("officer of host {n}"));
                read.application = Some(id);
                host.record_entries(&[read]).await.expect("record");
            }));
        }
    }
    for t in tasks {
        t.await.expect("task");
    }
    let records = h[0].audit_records(0, usize::MAX).await.expect("records");
    let expected = 2 * per_host as u64 * 2;
    assert_eq!(records.len() as u64, expected, "one record per commit");
    assert!(
        records.iter().zip(1..).all(|(r, seq)| r.seq == seq),
        "one sequence without gaps: {:?}",
        records.iter().map(|r| r.seq).collect::<Vec<_>>()
    );
    assert!(
        records.windows(2).all(|w| w[1].prev == w[0].digest),
        "each record follows the one before"
    );
    let checkpoint = h[1]
        .audit_checkpoint()
        .await
        .expect("checkpoint")
        .expect("a checkpoint");
    let keyed = VerifyOptions {
        key: Some(key.verifying_key()),
        expected: None,
    };
    let (alone, _) = audit::verify(records, Some(&checkpoint), &keyed).expect("the records verify");
    assert_eq!(alone.records, expected);
    assert!(alone.signed);
    for host in &h {
        let verified = host
            .verify_audit(&VerifyOptions::default())
            .await
            .expect("verify")
            .expect("one intact chain");
        assert_eq!(verified.records, expected);
        assert_eq!(verified.events, 2 * per_host as u64);
        assert!(verified.signed);
    }
    // Each application's entries are found from the other host.
    let found = h[1].entries_of("app-0-3").await.expect("entries");
    assert!(
        found
            .iter()
            .any(|(_, e)| e.action == Action::Read && e.actor == "officer of host 0"),
        "{found:?}"
    );
}

/// The same client key from two hosts names one application; an issued
/// value claimed from two hosts at once goes to one application.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_race_a_client_key_and_an_issued_value() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 2, StoreOptions::default()).await;
    for round in 0..8 {
        let key = ClientKey {
            key: format!("key-{round}"),
            request: onething_model::ids::Digest::of(b"request"),
        };
        let mut tasks = Vec::new();
        for (n, host) in h.iter().enumerate() {
            let (host, key) = (host.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                let id = format!("app-{round}-{n}");
                let event = submission();
                let state = AppState::submitted(&id, 1_000, &event).expect("a submission");
                let created = host
                    .create(Some(&key), &state, &event, 1_000)
                    .await
                    .expect("create");
                (id, created)
            }));
        }
        let mut new = Vec::new();
        let mut existing = Vec::new();
        for t in tasks {
            match t.await.expect("task") {
                (id, Created::New) => new.push(id),
                (_, Created::Existing { id, .. }) => existing.push(id),
            }
        }
        assert_eq!(new.len(), 1, "round {round}: one application stored");
        assert_eq!(existing, new, "round {round}: the other names it");
        let winner = &new[0];
        assert_eq!(
            h[0].by_client_key(&key.key)
                .await
                .expect("lookup")
                .map(|(id, _)| id),
            Some(winner.clone())
        );
    }
    assert_eq!(h[1].list(None, false, 100).await.expect("list").len(), 8);

    let value = vec![(key("child.id_number"), "350203202610200016".to_owned())];
    let mut tasks = Vec::new();
    for (n, host) in h.iter().enumerate() {
        let (host, value) = (host.clone(), value.clone());
        tasks.push(tokio::spawn(async move {
            let app = format!("claimant-{n}");
            let refused = host.claim_issued(&app, &value).await.expect("claim");
            (app, refused)
        }));
    }
    let mut holders = Vec::new();
    for t in tasks {
        let (app, refused) = t.await.expect("task");
        if refused.is_empty() {
            holders.push(app);
        } else {
            assert_eq!(refused.len(), 1);
            holders.push(refused[0].holder.clone());
        }
    }
    assert_eq!(holders[0], holders[1], "both name one holder: {holders:?}");
    assert_eq!(
        h[0].issued_to(&value[0].0, &value[0].1)
            .await
            .expect("lookup"),
        Some(holders[0].clone())
    );
}

/// Hosts starting together on an empty database migrate it once; a host
/// started later applies nothing and goes on where the others left the
/// data (the audit chain included); a database newer than the host is
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_race_once_and_a_restart_goes_on() {
    let schema = Schema::new().await;
    let connects: Vec<_> = (0..4)
        .map(|_| {
            let url = schema.url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, StoreOptions::default()).await })
        })
        .collect();
    let mut stores = Vec::new();
    for c in connects {
        stores.push(c.await.expect("task").expect("every host connects"));
    }
    let admin = admin(&schema.url).await;
    let versions: Vec<i32> = admin
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("schema_migrations")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let known: Vec<i32> = schema::MIGRATIONS.iter().map(|m| m.version).collect();
    assert_eq!(versions, known, "each migration applied once");

    let st = submit(&stores[0], "app-1", 1_000).await;
    let st = apply(&stores[1], &st, vec![approved(HEALTH)], 2_000)
        .await
        .expect("append");
    let head = stores[2]
        .audit_checkpoint()
        .await
        .expect("checkpoint")
        .expect("a head");
    drop(stores);

    let restarted = PostgresStore::connect(&schema.url, StoreOptions::default())
        .await
        .expect("a restarted host connects");
    assert_eq!(
        restarted.state("app-1").await.expect("state"),
        Some(st.clone())
    );
    apply(&restarted, &st, vec![approved(POLICE)], 3_000)
        .await
        .expect("append after the restart");
    let records = restarted
        .audit_records(head.seq, 10)
        .await
        .expect("records");
    assert_eq!(records.len(), 1);
    assert_eq!(
        (records[0].seq, &records[0].prev),
        (head.seq + 1, &head.digest)
    );
    assert!(
        restarted
            .verify_audit(&VerifyOptions::default())
            .await
            .expect("verify")
            .is_ok()
    );

    admin
        .execute(
            "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (9999, 'from the future', 0)",
            &[],
        )
        .await
        .expect("a newer version");
    let err = PostgresStore::connect(&schema.url, StoreOptions::default())
        .await
        .expect_err("a newer schema");
    assert!(
        err.to_string().contains("newer than this host knows"),
        "{err}"
    );
}

/// A server that cannot be reached is named as `user@host:port/database`,
/// never with the password; `describe` says the same of a store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_and_describe_name_the_server_without_the_password() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let url = format!("postgres://onething:s3cret@127.0.0.1:{port}/onething");
    let err = PostgresStore::connect(&url, StoreOptions::default())
        .await
        .expect_err("nothing listens there");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "connecting to postgres://onething@127.0.0.1:{port}/onething: "
        )),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    let schema = Schema::new().await;
    let store = PostgresStore::connect(&schema.url, StoreOptions::default())
        .await
        .expect("connect");
    let described = store.describe();
    assert!(described.starts_with("postgres "), "{described}");
    assert!(
        described.contains('@') && described.contains(':'),
        "{described}"
    );
    assert_eq!(described, format!("postgres {}", store.target()));
}

/// Someone with the database's password (not a host) edits an event or a
/// record: the chain names what was changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_in_the_database_is_found() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 1, StoreOptions::default()).await;
    let st = submit(&*h[0], "app-1", 1_000).await;
    apply(&*h[0], &st, vec![approved(HEALTH)], 2_000)
        .await
        .expect("append");
    let admin = admin(&schema.url).await;
    admin
        .execute(
            "UPDATE events SET body = replace(body, 'a name', 'another name') WHERE application = 'app-1' AND seq = 1",
            &[],
        )
        .await
        .expect("an edit");
    let broken = h[0]
        .verify_audit(&VerifyOptions::default())
        .await
        .expect("verify")
        .expect_err("the edit is found");
    assert!(
        broken.reason.contains("event 1 of application app-1") && broken.reason.contains("edited"),
        "{broken}"
    );
    admin
        .execute("DELETE FROM audit WHERE seq = 1", &[])
        .await
        .expect("a deletion");
    let broken = h[0]
        .verify_audit(&VerifyOptions::default())
        .await
        .expect("verify")
        .expect_err("the deletion is found");
    assert_eq!(broken.seq, 1, "{broken}");
}

/// Two hosts, two claimers each, take 200 unfinished applications a few
/// at a time until none is left: disjoint sets whose union is all 200,
/// each leased (as either host reads it) to the host that claimed it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hosts_race_claim_orphans_over_200_applications() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 2, StoreOptions::default()).await;
    let total = 200;
    let mut tasks = Vec::new();
    for i in 0..total {
        let host = h[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            submit(&*host, &format!("app-{i:03}"), 1_000 + i as i64).await;
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    let ttl = std::time::Duration::from_secs(60);
    let mut tasks = Vec::new();
    for (n, host) in h.iter().enumerate() {
        for _ in 0..2 {
            let host = host.clone();
            tasks.push(tokio::spawn(async move {
                let name = format!("host-{n}");
                let mut mine = Vec::new();
                loop {
                    let claimed = host.claim_orphans(&name, ttl, 7).await.expect("claim");
                    if claimed.is_empty() {
                        return (name, mine);
                    }
                    mine.extend(claimed);
                }
            }));
        }
    }
    let mut owner = std::collections::BTreeMap::new();
    let mut per_host = std::collections::BTreeMap::<String, usize>::new();
    for t in tasks {
        let (name, mine) = t.await.expect("task");
        *per_host.entry(name.clone()).or_default() += mine.len();
        for id in mine {
            if let Some(first) = owner.insert(id.clone(), name.clone()) {
                panic!("{id} claimed by {first} and {name}");
            }
        }
    }
    assert_eq!(owner.len(), total, "every application claimed");
    eprintln!("claimed per host: {per_host:?}");
    for host in &h {
        let leases = host.leases().await.expect("leases");
        assert_eq!(leases.len(), total);
        for lease in leases {
            assert_eq!(Some(&lease.host), owner.get(&lease.application));
            assert!(!lease.expired);
        }
    }
}

/// A claim of orphans skips an application whose row another session
/// holds locked, instead of waiting for it, and takes it once the lock
/// is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_orphans_skips_a_locked_application_without_waiting() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 1, StoreOptions::default()).await;
    for i in 0..3 {
        submit(&*h[0], &format!("app-{i}"), 1_000 + i).await;
    }
    let mut admin = admin(&schema.url).await;
    let tx = admin.transaction().await.expect("a transaction");
    tx.execute(
        "SELECT id FROM applications WHERE id = 'app-0' FOR NO KEY UPDATE",
        &[],
    )
    .await
    .expect("lock app-0");
    let ttl = std::time::Duration::from_secs(60);
    let claimed = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        h[0].claim_orphans("host-a", ttl, 10),
    )
    .await
    .expect("the claim does not wait for the lock")
    .expect("claim");
    assert_eq!(claimed, ["app-1", "app-2"]);
    tx.commit().await.expect("unlock");
    assert_eq!(
        h[0].claim_orphans("host-b", ttl, 10).await.expect("claim"),
        ["app-0"]
    );
}

/// A host that dies (its store dropped, nothing released) leaves its
/// applications leased: no other host takes them while the leases last,
/// and another takes every one of them once they run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_hosts_applications_are_taken_over_once_its_leases_expire() {
    let schema = Schema::new().await;
    let mut h = hosts(&schema, 2, StoreOptions::default()).await;
    for i in 0..20 {
        submit(&*h[0], &format!("app-{i:02}"), 1_000 + i).await;
    }
    // Long enough for the checks below to run before it is out, even on
    // a busy machine.
    let short = std::time::Duration::from_millis(1_500);
    let long = std::time::Duration::from_secs(60);
    let taken = h[0]
        .claim_orphans("host-dying", short, 100)
        .await
        .expect("claim");
    assert_eq!(taken.len(), 20);
    drop(h.remove(0));
    let survivor = &h[0];
    assert!(
        survivor
            .claim_orphans("host-survivor", long, 100)
            .await
            .expect("claim")
            .is_empty(),
        "the dead host's leases still hold"
    );
    assert!(
        !survivor
            .claim_lease("app-00", "host-survivor", long)
            .await
            .expect("claim")
            .is_held()
    );
    tokio::time::sleep(short + std::time::Duration::from_millis(300)).await;
    assert!(
        survivor
            .leases()
            .await
            .expect("leases")
            .iter()
            .all(|l| l.expired && l.host == "host-dying")
    );
    assert_eq!(
        survivor
            .claim_orphans("host-survivor", long, 100)
            .await
            .expect("claim"),
        taken,
        "every one, oldest first"
    );
}

/// A database of schema 1 (before leases) gains them when a host
/// connects: its applications have no lease and are orphans to claim.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_leases_gains_them() {
    let schema = Schema::new().await;
    let h = hosts(&schema, 1, StoreOptions::default()).await;
    submit(&*h[0], "app-1", 1_000).await;
    submit(&*h[0], "app-2", 2_000).await;
    drop(h);
    let admin = admin(&schema.url).await;
    admin
        .batch_execute(
            "DROP INDEX applications_leased; \
             ALTER TABLE applications DROP CONSTRAINT applications_lease_whole, \
                 DROP COLUMN lease_host, DROP COLUMN lease_until_ms; \
             DELETE FROM schema_migrations WHERE version = 2;",
        )
        .await
        .expect("a database of schema 1");
    let store = PostgresStore::connect(&schema.url, StoreOptions::default())
        .await
        .expect("connect");
    let versions: Vec<i32> = admin
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .expect("schema_migrations")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);
    assert!(store.leases().await.expect("leases").is_empty());
    assert_eq!(
        store
            .claim_orphans("host-a", std::time::Duration::from_secs(60), 10)
            .await
            .expect("claim"),
        ["app-1", "app-2"]
    );
    // A lease is a host and an expiry together, or neither.
    let half = admin
        .execute(
            "UPDATE applications SET lease_until_ms = NULL WHERE id = 'app-1'",
            &[],
        )
        .await;
    assert!(half.is_err(), "{half:?}");
}
