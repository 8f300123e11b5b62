//! The fixtures the cases share: one application of a two-step bundle,
//! its events, versions, consents, and the audit records of a store.

#![allow(dead_code)]

use std::collections::BTreeMap;

use onething_model::application::Material;
use onething_model::audit::{Action, Entry, Flow};
use onething_model::consent::{ConsentRecord, PrefillRecord, value_digest};
use onething_model::events::Event;
use onething_model::ids::{BundleId, DepartmentId, Digest, FieldKey, MaterialCode, StepRef};
use onething_model::state::AppState;
use serde_json::json;

use onething_store::audit::Record;
use onething_store::{
    ChangeAction, ChangeRecord, Created, Store, StoreError, StoredVersion, VersionKind,
};
// ---------------------------------------------------------------------
// Fixtures.

/// Every value in the fixtures carries this, so the audit log can be
/// searched for values that should never be there.
pub(super) const SECRET: &str = "SECRET-VALUE";

pub(super) const HEALTH: &str = "health/birth-certificate";
pub(super) const POLICE: &str = "public-security/household-registration";

pub(super) fn step(s: &str) -> StepRef {
    StepRef::parse(s).expect("step ref")
}

pub(super) fn key(s: &str) -> FieldKey {
    FieldKey::parse(s).expect("field key")
}

pub(super) fn dept(s: &str) -> DepartmentId {
    DepartmentId::parse(s).expect("department id")
}

pub(super) fn code(s: &str) -> MaterialCode {
    MaterialCode::parse(s).expect("material code")
}

pub(super) fn submission() -> Event {
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
        owner: Some("issuer#applicant".into()),
    }
}

pub(super) fn attempt(s: &str, n: u32) -> Event {
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

pub(super) fn approved(s: &str) -> Event {
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
pub(super) async fn submit(store: &dyn Store, id: &str, at_ms: i64) -> AppState {
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
pub(super) async fn apply(
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

pub(super) async fn all_records(store: &dyn Store) -> Vec<Record> {
    store
        .audit_records(0, usize::MAX)
        .await
        .expect("audit records")
}

pub(super) fn entries_of(records: &[Record]) -> Vec<Entry> {
    records
        .iter()
        .flat_map(|r| r.entries().expect("a record's entries"))
        .collect()
}

pub(super) fn version(
    kind: VersionKind,
    subject: &str,
    name: &str,
    added_ms: i64,
) -> StoredVersion {
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

pub(super) fn change(v: &StoredVersion, action: ChangeAction, at_ms: i64) -> ChangeRecord {
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
pub(super) async fn record(
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

pub(super) fn consent(id: &str) -> ConsentRecord {
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
        owner: Some("issuer#applicant".into()),
    }
}

pub(super) fn consent_entries(id: &str) -> Vec<Entry> {
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
