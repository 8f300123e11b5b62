//! Cases on what else a store keeps: materials, version history and
//! activations, consents.

use onething_model::ids::Digest;

use onething_store::{
    ActivationStack, ChangeAction, ChangeRecord, MaterialMeta, StoredVersion, VersionKind,
};

use super::Fresh;
use super::fixtures::*;

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

/// A material is referenced only by who uploaded it: uploads are noted per
/// uploader (twice is no error), whoever else stored the same bytes.
pub async fn material_uploads_are_noted_per_uploader(fresh: Fresh) {
    let s = &*fresh.store;
    let bytes = b"%PDF-1.4 a birth record".to_vec();
    let meta = MaterialMeta {
        digest: Digest::of(&bytes),
        media_type: "application/pdf".into(),
        size: bytes.len() as u64,
    };
    s.put_material(&meta, &bytes).await.expect("put");
    s.record_upload(&meta.digest, "issuer#mother")
        .await
        .expect("noted");
    s.record_upload(&meta.digest, "issuer#mother")
        .await
        .expect("noted twice");
    assert!(
        s.uploaded_by(&meta.digest, "issuer#mother")
            .await
            .expect("read")
    );
    assert!(
        !s.uploaded_by(&meta.digest, "issuer#stranger")
            .await
            .expect("read")
    );
    let other = Digest::of(b"not uploaded");
    assert!(!s.uploaded_by(&other, "issuer#mother").await.expect("read"));
}
