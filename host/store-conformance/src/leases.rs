//! Cases on leases (which host drives each application): a claim held by
//! one host at a time, expiry, renewal, release, and the orphans hosts
//! take over, never one twice. "Hosts" here are host ids on one store;
//! the PostgreSQL backend's own tests race stores on one database.

use std::collections::BTreeSet;
use std::time::Duration;

use onething_model::events::Event;
use onething_model::problem::Problem;
use onething_model::state::AppStatus;
use onething_store::{Lease, LeaseInfo, Store};

use super::Fresh;
use super::fixtures::*;

/// A lease that outlives any case.
const LONG: Duration = Duration::from_secs(60);

/// A lease that runs out within a case ...
const SHORT: Duration = Duration::from_millis(200);

/// ... once this much has passed.
const PAST_SHORT: Duration = Duration::from_millis(450);

/// The stored lease of `id`, if any.
async fn lease_of(s: &dyn Store, id: &str) -> Option<LeaseInfo> {
    s.leases()
        .await
        .expect("leases")
        .into_iter()
        .find(|l| l.application == id)
}

/// Its expiry, when `host` holds it.
fn held(lease: Lease) -> i64 {
    match lease {
        Lease::Held { expires_ms } => expires_ms,
        other => panic!("not held: {other:?}"),
    }
}

/// A new application has no lease; a claim of a free one holds it; a
/// second host is refused and told who holds it until when; the holder
/// claiming again extends it; any status may be claimed; an application
/// not stored, or an empty host id, is an error.
pub async fn a_lease_is_held_by_one_host_at_a_time(fresh: Fresh) {
    let s = &*fresh.store;
    submit(s, "app-1", 1_000).await;
    assert!(
        s.leases().await.expect("leases").is_empty(),
        "a new application has no lease"
    );
    let first = held(s.claim_lease("app-1", "host-a", LONG).await.expect("claim"));
    assert_eq!(
        s.leases().await.expect("leases"),
        [LeaseInfo {
            application: "app-1".into(),
            host: "host-a".into(),
            expires_ms: first,
            expired: false,
        }]
    );
    assert_eq!(
        s.claim_lease("app-1", "host-b", LONG).await.expect("claim"),
        Lease::Elsewhere {
            host: "host-a".into(),
            expires_ms: first,
        }
    );
    let lease = s
        .claim_lease("app-1", "host-a", LONG * 2)
        .await
        .expect("claim");
    assert!(lease.is_held());
    let extended = held(lease);
    assert!(
        extended > first,
        "the holder's claim extends it: {extended} after {first}"
    );
    assert_eq!(
        lease_of(s, "app-1").await.map(|l| (l.host, l.expires_ms)),
        Some(("host-a".to_owned(), extended))
    );

    // A parked application is claimed as any other.
    let mut parked = submit(s, "app-manual", 2_000).await;
    apply(
        s,
        &mut parked,
        vec![
            attempt(HEALTH, 1),
            Event::SentToManualQueue {
                step: step(HEALTH),
                reason: "check".into(),
            },
        ],
        3_000,
    )
    .await
    .expect("append");
    assert!(
        s.claim_lease("app-manual", "host-b", LONG)
            .await
            .expect("claim")
            .is_held()
    );

    let unknown = s.claim_lease("app-none", "host-a", LONG).await;
    assert!(unknown.is_err(), "{unknown:?}");
    let nameless = s.claim_lease("app-1", "", LONG).await;
    assert!(nameless.is_err(), "{nameless:?}");
    assert_eq!(
        lease_of(s, "app-1").await.map(|l| l.host),
        Some("host-a".to_owned()),
        "a refused claim changes nothing"
    );
    assert_eq!(s.leases().await.expect("leases").len(), 2);
}

/// A lease that ran out is listed as expired and taken by the next host
/// to claim it; its former holder is then refused, and its renewal names
/// the application as lost.
pub async fn an_expired_lease_is_taken_by_another_host(fresh: Fresh) {
    let s = &*fresh.store;
    submit(s, "app-1", 1_000).await;
    held(
        s.claim_lease("app-1", "host-a", SHORT)
            .await
            .expect("claim"),
    );
    tokio::time::sleep(PAST_SHORT).await;
    let lease = lease_of(s, "app-1").await.expect("a lease");
    assert_eq!(lease.host, "host-a");
    assert!(lease.expired, "{lease:?}");

    let taken = held(s.claim_lease("app-1", "host-b", LONG).await.expect("claim"));
    assert_eq!(
        s.claim_lease("app-1", "host-a", LONG).await.expect("claim"),
        Lease::Elsewhere {
            host: "host-b".into(),
            expires_ms: taken,
        }
    );
    assert_eq!(
        s.renew_leases("host-a", &["app-1".to_owned()], LONG)
            .await
            .expect("renew"),
        ["app-1"]
    );
    assert_eq!(
        lease_of(s, "app-1").await,
        Some(LeaseInfo {
            application: "app-1".into(),
            host: "host-b".into(),
            expires_ms: taken,
            expired: false,
        }),
        "a lost renewal changes nothing"
    );
}

/// A renewal extends the leases the host still holds (one that ran out
/// but that no one took included) and names, in the order asked and
/// once each, those it does not: taken by another host, never claimed,
/// not stored.
pub async fn renewals_extend_what_is_held_and_name_what_is_lost(fresh: Fresh) {
    let s = &*fresh.store;
    for (i, id) in ["app-x", "app-y", "app-z", "app-v", "app-w"]
        .iter()
        .enumerate()
    {
        submit(s, id, 1_000 + i as i64).await;
    }
    let x = held(s.claim_lease("app-x", "host-a", LONG).await.expect("claim"));
    held(s.claim_lease("app-y", "host-a", LONG).await.expect("claim"));
    held(
        s.claim_lease("app-z", "host-a", SHORT)
            .await
            .expect("claim"),
    );
    held(
        s.claim_lease("app-v", "host-a", SHORT)
            .await
            .expect("claim"),
    );
    tokio::time::sleep(PAST_SHORT).await;
    held(s.claim_lease("app-z", "host-b", LONG).await.expect("claim"));

    let asked: Vec<String> = [
        "app-x", "app-z", "app-y", "app-w", "app-v", "app-x", "app-none",
    ]
    .map(String::from)
    .to_vec();
    let lost = s
        .renew_leases("host-a", &asked, LONG * 2)
        .await
        .expect("renew");
    assert_eq!(lost, ["app-z", "app-w", "app-none"]);
    let leases = s.leases().await.expect("leases");
    let shown: Vec<(&str, &str, bool)> = leases
        .iter()
        .map(|l| (l.application.as_str(), l.host.as_str(), l.expired))
        .collect();
    assert_eq!(
        shown,
        [
            ("app-v", "host-a", false),
            ("app-x", "host-a", false),
            ("app-y", "host-a", false),
            ("app-z", "host-b", false),
        ],
        "by application id"
    );
    let renewed = leases[1].expires_ms;
    assert!(renewed > x, "extended: {renewed} after {x}");
    assert!(
        s.renew_leases("host-a", &[], LONG)
            .await
            .expect("renew")
            .is_empty()
    );
}

/// A release frees the lease when its host holds it (even run out), and
/// does nothing otherwise: another host's lease, none, an application
/// not stored.
pub async fn a_release_frees_only_the_holders_lease(fresh: Fresh) {
    let s = &*fresh.store;
    submit(s, "app-1", 1_000).await;
    submit(s, "app-2", 2_000).await;
    held(s.claim_lease("app-1", "host-a", LONG).await.expect("claim"));
    s.release_lease("app-1", "host-b").await.expect("release");
    assert_eq!(
        lease_of(s, "app-1").await.map(|l| l.host),
        Some("host-a".to_owned()),
        "another host's release does nothing"
    );
    s.release_lease("app-1", "host-a").await.expect("release");
    assert!(s.leases().await.expect("leases").is_empty());
    held(s.claim_lease("app-1", "host-b", LONG).await.expect("claim"));

    held(
        s.claim_lease("app-2", "host-a", SHORT)
            .await
            .expect("claim"),
    );
    tokio::time::sleep(PAST_SHORT).await;
    s.release_lease("app-2", "host-a").await.expect("release");
    assert_eq!(lease_of(s, "app-2").await, None, "its own, run out");

    s.release_lease("app-2", "host-a")
        .await
        .expect("a release of no lease");
    s.release_lease("app-none", "host-a")
        .await
        .expect("a release of no application");
    assert_eq!(
        s.leases()
            .await
            .expect("leases")
            .into_iter()
            .map(|l| (l.application, l.host))
            .collect::<Vec<_>>(),
        [("app-1".to_owned(), "host-b".to_owned())]
    );
}

/// Orphans are the unfinished applications (as `unfinished` lists them)
/// with no lease or one run out, claimed oldest first up to the limit;
/// finished, parked and live-leased applications are never taken.
pub async fn orphans_are_the_unfinished_applications_without_a_live_lease(fresh: Fresh) {
    let s = &*fresh.store;
    // Created out of submission order.
    submit(s, "app-o3", 3_000).await;
    submit(s, "app-o1", 1_000).await;
    submit(s, "app-held", 500).await;
    submit(s, "app-o4", 4_000).await;
    submit(s, "app-expired", 1_500).await;
    submit(s, "app-o2", 2_000).await;
    let mut done = submit(s, "app-done", 100).await;
    apply(
        s,
        &mut done,
        vec![
            attempt(HEALTH, 1),
            approved(HEALTH),
            attempt(POLICE, 1),
            approved(POLICE),
        ],
        5_000,
    )
    .await
    .expect("append");
    let mut manual = submit(s, "app-manual", 200).await;
    apply(
        s,
        &mut manual,
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
    let mut needs = submit(s, "app-needs", 300).await;
    apply(
        s,
        &mut needs,
        vec![
            attempt(HEALTH, 1),
            Event::StepNeedsMore {
                step: step(HEALTH),
                problems: vec![Problem::general("unreadable", "the scan is unreadable")],
            },
        ],
        5_000,
    )
    .await
    .expect("append");
    assert_eq!(done.status, AppStatus::Completed);
    assert_eq!(manual.status, AppStatus::Manual);
    assert_eq!(needs.status, AppStatus::NeedsMore);
    held(
        s.claim_lease("app-held", "host-b", LONG)
            .await
            .expect("claim"),
    );
    held(
        s.claim_lease("app-expired", "host-b", SHORT)
            .await
            .expect("claim"),
    );
    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(
        s.unfinished().await.expect("unfinished"),
        [
            "app-held",
            "app-o1",
            "app-expired",
            "app-o2",
            "app-o3",
            "app-o4"
        ]
    );

    assert!(
        s.claim_orphans("host-a", LONG, 0)
            .await
            .expect("claim")
            .is_empty()
    );
    assert_eq!(
        s.claim_orphans("host-a", LONG, 2).await.expect("claim"),
        ["app-o1", "app-expired"]
    );
    assert_eq!(
        s.claim_orphans("host-a", LONG, 10).await.expect("claim"),
        ["app-o2", "app-o3", "app-o4"]
    );
    assert!(
        s.claim_orphans("host-c", LONG, 10)
            .await
            .expect("claim")
            .is_empty(),
        "nothing left"
    );
    let holders: Vec<(String, String, bool)> = s
        .leases()
        .await
        .expect("leases")
        .into_iter()
        .map(|l| (l.application, l.host, l.expired))
        .collect();
    let row = |a: &str, h: &str| (a.to_owned(), h.to_owned(), false);
    assert_eq!(
        holders,
        [
            row("app-expired", "host-a"),
            row("app-held", "host-b"),
            row("app-o1", "host-a"),
            row("app-o2", "host-a"),
            row("app-o3", "host-a"),
            row("app-o4", "host-a"),
        ]
    );
    let nameless = s.claim_orphans("", LONG, 10).await;
    assert!(nameless.is_err(), "{nameless:?}");
}

/// Two hosts claiming orphans at once, a few at a time until none is
/// left, split the applications between them: no application claimed by
/// both, none left out, each leased to the host that claimed it.
pub async fn two_hosts_claiming_orphans_at_once_never_share_one(fresh: Fresh) {
    let store = fresh.store.clone();
    let total = 60;
    for i in 0..total {
        submit(&*store, &format!("app-{i:03}"), 1_000 + i).await;
    }
    let mut tasks = Vec::new();
    for host in ["host-a", "host-b"] {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let claimed = store.claim_orphans(host, LONG, 5).await.expect("claim");
                if claimed.is_empty() {
                    return (host, mine);
                }
                mine.extend(claimed);
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut all = BTreeSet::new();
    let mut by_host = Vec::new();
    for t in tasks {
        let (host, mine) = t.await.expect("task");
        for id in &mine {
            assert!(all.insert(id.clone()), "{id} claimed twice");
        }
        by_host.push((host, mine));
    }
    assert_eq!(all.len(), total as usize, "every orphan claimed");
    for lease in store.leases().await.expect("leases") {
        let (host, _) = by_host
            .iter()
            .find(|(_, mine)| mine.contains(&lease.application))
            .expect("claimed by one of the hosts");
        assert_eq!(&lease.host, host, "{}", lease.application);
    }
}
