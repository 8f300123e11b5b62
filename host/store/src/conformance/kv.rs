//! Cases on the departments' key-value store: semantics, isolation, and
//! `insert_new` racing.

use super::Fresh;
use super::fixtures::*;

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
