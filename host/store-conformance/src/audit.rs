//! Cases on the audit chain: every write sealed and verifiable, values
//! never in it, nothing sealed when the audit log is off.

use onething_model::audit::Action;
use onething_model::ids::Digest;

use onething_store::audit;
use onething_store::{ChangeAction, KvQuota, MaterialMeta, VersionKind};

use super::Fresh;
use super::fixtures::*;

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
        .set(&dept("health"), "k", SECRET.as_bytes(), KvQuota::UNLIMITED)
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
    assert_eq!(
        count(Action::Recorded),
        2,
        "the events of the submission and of the append, sealed"
    );
    assert_eq!(entries.len(), 10);
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
        .verify_audit(&Default::default())
        .await
        .expect("verify")
        .expect("an intact chain");
    assert_eq!(verified.records, checkpoint.seq);
    assert_eq!(verified.head, checkpoint.digest);
    let (alone, _) = audit::verify(records.clone(), Some(&checkpoint), &Default::default())
        .expect("the records as read verify on their own");
    assert_eq!(alone.records, verified.records);
    assert_eq!(alone.head, verified.head);
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
    let verified = s
        .verify_audit(&Default::default())
        .await
        .expect("verify")
        .expect("intact");
    assert_eq!(verified.records, 0);
}

/// The store answers and says what it is.
pub async fn ping_and_describe(fresh: Fresh) {
    fresh.store.ping().await.expect("ping");
    assert!(!fresh.store.describe().is_empty());
}

/// A department's outbound call is sealed with its record (method, origin,
/// path, status, bytes, duration) and read back unchanged.
pub async fn an_outbound_call_is_sealed_and_found(fresh: Fresh) {
    use onething_model::audit::{Action, Entry, OutboundCall};
    let s = &*fresh.store;
    let mut call = Entry::new(Action::OutboundCall, "public-security");
    call.application = Some("app-call".into());
    call.step = Some("public-security/household-registration".into());
    call.call = Some(OutboundCall {
        status: Some(503),
        bytes_sent: 96,
        bytes_received: 180,
        duration_ms: 7,
        ..OutboundCall::to_url("POST", "http://127.0.0.1:8090/household/v1/births")
    });
    s.record_entries(std::slice::from_ref(&call))
        .await
        .expect("recorded");
    let found = s.entries_of("app-call").await.expect("entries");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, call);
    assert!(
        s.verify_audit(&Default::default())
            .await
            .expect("verify")
            .is_ok()
    );
}

/// Entries recorded on their own (a read by someone other than the owner)
/// are sealed into the chain, and an application's entries are found by
/// its id, in order, with their times.
pub async fn recorded_entries_are_sealed_and_found_by_application(fresh: Fresh) {
    use onething_model::audit::{Action, Entry};
    let s = &*fresh.store;
    let before = s.audit_checkpoint().await.expect("checkpoint");
    let mut read = Entry::new(Action::Read, "officer wang (tax)");
    read.application = Some("app-read".into());
    read.note = Some("GET /api/applications/{id}".into());
    let mut other = Entry::new(Action::Read, "duty-officer");
    other.application = Some("app-other".into());
    s.record_entries(&[read.clone(), other])
        .await
        .expect("recorded");
    s.record_entries(&[]).await.expect("nothing to record");
    let after = s
        .audit_checkpoint()
        .await
        .expect("checkpoint")
        .expect("a record");
    assert_eq!(
        after.seq,
        before.map_or(0, |c| c.seq) + 1,
        "one record for one commit"
    );
    let found = s.entries_of("app-read").await.expect("entries");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, read);
    assert!(found[0].0 > 0, "with its record's time");
    assert!(s.entries_of("app-none").await.expect("entries").is_empty());
    assert!(
        s.verify_audit(&Default::default())
            .await
            .expect("verify")
            .is_ok()
    );
}
