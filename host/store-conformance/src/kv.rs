//! Cases on the departments' key-value store: semantics, isolation, and
//! `insert_new` racing.

use onething_store::{KvError, KvQuota, KvUsage};

use super::Fresh;
use super::fixtures::*;

/// The key-value store gets, sets, inserts only new keys and deletes,
/// each department apart.
pub async fn kv_get_set_insert_delete_and_isolation(fresh: Fresh) {
    let kv = fresh.store.kv();
    let (health, tax) = (dept("health"), dept("tax"));
    assert_eq!(kv.get(&health, "k").await.expect("get"), None);
    kv.set(&health, "k", b"one", KvQuota::UNLIMITED)
        .await
        .expect("set");
    assert_eq!(
        kv.get(&health, "k").await.expect("get"),
        Some(b"one".to_vec())
    );
    assert_eq!(
        kv.get(&tax, "k").await.expect("get"),
        None,
        "departments apart"
    );
    kv.set(&health, "k", b"two", KvQuota::UNLIMITED)
        .await
        .expect("set");
    assert_eq!(
        kv.get(&health, "k").await.expect("get"),
        Some(b"two".to_vec())
    );
    assert!(
        !kv.insert_new(&health, "k", b"three", KvQuota::UNLIMITED)
            .await
            .expect("insert")
    );
    assert_eq!(
        kv.get(&health, "k").await.expect("get"),
        Some(b"two".to_vec())
    );
    assert!(
        kv.insert_new(&tax, "k", b"tax's", KvQuota::UNLIMITED)
            .await
            .expect("insert")
    );
    assert_eq!(
        kv.get(&tax, "k").await.expect("get"),
        Some(b"tax's".to_vec())
    );
    kv.set(&health, "empty", b"", KvQuota::UNLIMITED)
        .await
        .expect("set");
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
    assert!(
        kv.insert_new(&health, "k", b"again", KvQuota::UNLIMITED)
            .await
            .expect("insert")
    );
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
                    .insert_new(&health, "once", &[i], KvQuota::UNLIMITED)
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

/// A department's quota holds: a write that would take it over is refused
/// with what it would keep, nothing is written, other departments are
/// not affected, and a write that does not grow the usage still goes
/// through (replacing with a smaller value, deleting).
pub async fn kv_quota_holds(fresh: Fresh) {
    let kv = fresh.store.kv();
    let (health, tax) = (dept("health"), dept("tax"));
    let quota = KvQuota {
        max_keys: 2,
        max_bytes: 20,
    };
    kv.set(&health, "a", b"12345", quota).await.expect("a");
    assert!(kv.insert_new(&health, "b", b"123", quota).await.expect("b"));
    assert_eq!(
        kv.usage(&health).await.expect("usage"),
        KvUsage { keys: 2, bytes: 10 }
    );
    // A third key: over the key quota.
    let err = kv
        .insert_new(&health, "c", b"1", quota)
        .await
        .expect_err("third key");
    assert!(
        matches!(&err, KvError::Quota { would, .. } if would.keys == 3),
        "{err}"
    );
    assert_eq!(kv.get(&health, "c").await.expect("get"), None);
    // A bigger value: over the byte quota.
    let err = kv
        .set(&health, "a", &[b'x'; 40], quota)
        .await
        .expect_err("too many bytes");
    assert!(err.to_string().contains("quota"), "{err}");
    assert_eq!(
        kv.get(&health, "a").await.expect("get"),
        Some(b"12345".to_vec())
    );
    // Smaller values and deletes are always allowed, and free room.
    kv.set(&health, "a", b"1", quota).await.expect("smaller");
    assert!(kv.delete(&health, "b").await.expect("delete"));
    assert!(
        kv.insert_new(&health, "c", b"1", quota)
            .await
            .expect("room again")
    );
    assert_eq!(
        kv.usage(&health).await.expect("usage"),
        KvUsage { keys: 2, bytes: 4 }
    );
    // Another department has its own quota.
    kv.set(&tax, "a", b"12345", quota).await.expect("tax");
    assert_eq!(kv.usage(&tax).await.expect("usage").keys, 1);
}
