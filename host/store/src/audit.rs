//! The audit log's hash chain: sealed records, the chain head a writer
//! keeps, and verification.
//!
//! Each record carries the digest of the one before it, so editing,
//! deleting or reordering a record breaks the chain at that record; a
//! checkpoint (the last sequence number and digest, kept with every
//! commit) makes cutting records off the end detectable too. [`verify`]
//! walks the chain and names the first record that is wrong.
//!
//! A backend seals the entries of each commit into one record of the
//! chain, in the same transaction as what they describe: [`Sealer`] does
//! the sealing for every backend, so a backend only stores rows. One
//! record per commit, not per entry, keeps the log's cost small under
//! load. The entries themselves are `onething_model::audit`; the ones a
//! write carries are made here ([`create_part`], [`append_part`],
//! [`changes_part`], [`entries_part`]), on the caller's task, so no
//! backend derives anything itself and every backend logs the same.
//! [`AuditLog`] is what a backend answers about its log.
//!
//! Not for deciding what is audited (the model's `audit::derive` and the
//! engine) nor for storing rows (the backends).

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use onething_model::audit::{Action, Entry, derive};
use onething_model::events::Event;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::error::StoreError;
use crate::versions::{ChangeAction, ChangeRecord};

/// The digest before the first record.
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// A sealed record as stored: its body is the JSON array of its entries,
/// zstd-compressed (the JSON repeats itself; compressed, the log costs a
/// fraction of the bytes), exactly as hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The entries, as stored JSON.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// Digest of the record before.
    pub prev: String,
    /// Digest of this record.
    pub digest: String,
}

impl Record {
    /// The entries.
    pub fn entries(&self) -> Result<Vec<Entry>, serde_json::Error> {
        let json = decompress(&self.body).map_err(serde::de::Error::custom)?;
        serde_json::from_slice(&json)
    }
}

/// The digest of a record from its parts.
pub fn seal(seq: u64, at_ms: i64, body: &[u8], prev: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"onething audit v1\n");
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(at_ms.to_string().as_bytes());
    h.update(b"\n");
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(body);
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// The head of the chain, as the writer keeps it (and as the checkpoint
/// keeps it beside the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// Sequence number of the last record (0 before the first).
    pub seq: u64,
    /// Digest of the last record ([`GENESIS`] before the first).
    pub digest: String,
}

impl Default for Chain {
    fn default() -> Self {
        Self {
            seq: 0,
            digest: GENESIS.to_owned(),
        }
    }
}

impl Chain {
    /// Seal `entries` as the next record; the chain moves on.
    pub fn append(&mut self, at_ms: i64, entries: &[Entry]) -> Record {
        let json = serde_json::to_string(entries).unwrap_or_else(|_| "[]".into());
        self.append_compressed(at_ms, compress(json.as_bytes()))
    }

    /// Seal an already compressed body as the next record.
    pub fn append_compressed(&mut self, at_ms: i64, body: Vec<u8>) -> Record {
        let seq = self.seq + 1;
        let digest = seal(seq, at_ms, &body, &self.digest);
        let record = Record {
            seq,
            at_ms,
            body,
            prev: std::mem::replace(&mut self.digest, digest.clone()),
            digest,
        };
        self.seq = seq;
        record
    }
}

/// The stored form of a body.
pub fn compress(json: &[u8]) -> Vec<u8> {
    // Level 1: fast, and already several times smaller.
    zstd::bulk::compress(json, 1).unwrap_or_else(|_| json.to_vec())
}

/// The JSON of a stored body (at most 64 MiB).
pub fn decompress(body: &[u8]) -> Result<Vec<u8>, String> {
    zstd::bulk::decompress(body, 64 << 20).map_err(|e| format!("not a compressed body: {e}"))
}

/// Entries as the comma-joined JSON objects a record's body is made of
/// (done by the caller, off the writer thread); None when there are none.
pub fn to_body_part(entries: &[Entry]) -> Option<String> {
    if entries.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(256 * entries.len());
    for e in entries {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(e).ok()?);
    }
    Some(out)
}

/// The first thing wrong with a chain.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("audit record {seq}: {reason}")]
pub struct Broken {
    /// The first record that is wrong (for truncation: the first missing).
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// What a verification found.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// Records checked.
    pub records: u64,
    /// The last digest.
    pub head: String,
}

/// Check a chain, records in stored order (by seq), against the
/// checkpoint (last seq and digest) kept beside it.
pub fn verify(
    records: impl IntoIterator<Item = Record>,
    checkpoint: Option<&Chain>,
) -> Result<Verified, Broken> {
    let mut head = Chain::default();
    for r in records {
        let expected_seq = head.seq + 1;
        if r.seq != expected_seq {
            return Err(Broken {
                seq: expected_seq.min(r.seq),
                reason: if r.seq > expected_seq {
                    format!(
                        "missing: the record after {} is numbered {} (deleted records)",
                        head.seq, r.seq
                    )
                } else {
                    format!("numbered {} where {expected_seq} was expected", r.seq)
                },
            });
        }
        if r.prev != head.digest {
            return Err(Broken {
                seq: r.seq,
                reason: format!(
                    "it says the record before has digest {}, but that record's digest is {} (records removed, reordered or rewritten)",
                    r.prev, head.digest
                ),
            });
        }
        let digest = seal(r.seq, r.at_ms, &r.body, &r.prev);
        if digest != r.digest {
            return Err(Broken {
                seq: r.seq,
                reason: "its contents do not match its digest (edited)".into(),
            });
        }
        if r.entries().is_err() {
            return Err(Broken {
                seq: r.seq,
                reason: "its body is not a list of audit entries".into(),
            });
        }
        head = Chain {
            seq: r.seq,
            digest: r.digest,
        };
    }
    if let Some(cp) = checkpoint {
        if cp.seq > head.seq {
            return Err(Broken {
                seq: head.seq + 1,
                reason: format!(
                    "missing: the checkpoint says the log runs to record {}, but it ends at {} (truncated)",
                    cp.seq, head.seq
                ),
            });
        }
        if cp.seq < head.seq {
            return Err(Broken {
                seq: cp.seq + 1,
                reason: format!(
                    "records after the checkpoint ({}) were added outside the host",
                    cp.seq
                ),
            });
        }
        if cp.digest != head.digest {
            return Err(Broken {
                seq: head.seq,
                reason: "its digest is not the one the checkpoint kept (the log was rewritten)"
                    .into(),
            });
        }
    }
    Ok(Verified {
        records: head.seq,
        head: head.digest,
    })
}

/// A backend's sealing of its commits into the chain: whether to audit,
/// the chain head as committed, the entries of the group being committed
/// (comma-joined JSON objects, as the writes brought them), and one zstd
/// compressor for its life (making one per record costs more than
/// compressing).
///
/// A backend calls [`Sealer::begin`] when a group (or a single write)
/// starts, [`Sealer::add`] for each write that succeeded, and
/// [`Sealer::seal`] before committing: it stores the record it gets and
/// moves its checkpoint to [`Sealer::head`], in the same transaction. If
/// the commit fails, [`Sealer::rollback`] puts the head back.
pub struct Sealer {
    enabled: bool,
    chain: Chain,
    pending: String,
    compressor: Option<zstd::bulk::Compressor<'static>>,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("enabled", &self.enabled)
            .field("chain", &self.chain)
            .field("pending_bytes", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Sealer {
    /// A sealer continuing the chain from `head` (the backend's
    /// checkpoint, or [`Chain::default`] for a new log); with `enabled`
    /// false it seals nothing.
    pub fn new(enabled: bool, head: Chain) -> Self {
        Self {
            enabled,
            chain: head,
            pending: String::new(),
            compressor: zstd::bulk::Compressor::new(1).ok(),
        }
    }

    /// Whether this sealer audits at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The head of the chain: the last sealed record.
    pub fn head(&self) -> &Chain {
        &self.chain
    }

    /// Start a group: nothing pending.
    pub fn begin(&mut self) {
        self.pending.clear();
    }

    /// A write of the group succeeded: its entries (a body part from
    /// [`to_body_part`] and friends) join the group's record.
    pub fn add(&mut self, part: Option<&str>) {
        if let (true, Some(part)) = (self.enabled, part) {
            if !self.pending.is_empty() {
                self.pending.push(',');
            }
            self.pending.push_str(part);
        }
    }

    /// Seal the group's entries as the next record, moving the head to
    /// it; None when auditing is off or the group moved no data. The
    /// caller stores the record and the new head in the group's
    /// transaction.
    pub fn seal(&mut self) -> Option<Record> {
        if !self.enabled || self.pending.is_empty() {
            return None;
        }
        self.pending.insert(0, '[');
        self.pending.push(']');
        let json = self.pending.as_bytes();
        let body = match self.compressor.as_mut().map(|c| c.compress(json)) {
            Some(Ok(b)) => b,
            _ => compress(json),
        };
        self.pending.clear();
        Some(self.chain.append_compressed(now_ms(), body))
    }

    /// The group's commit failed: the head goes back to `to` (what
    /// [`Sealer::head`] was before the group) and nothing is pending.
    pub fn rollback(&mut self, to: Chain) {
        self.chain = to;
        self.pending.clear();
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The entries of a new application's first event.
pub fn create_entries(application: &str, event: &Event) -> Vec<Entry> {
    derive::from_events(application, [event])
}

/// The entries of events appended to an application.
pub fn append_entries(application: &str, events: &[(Event, i64)]) -> Vec<Entry> {
    derive::from_events(application, events.iter().map(|(e, _)| e))
}

/// The entries of catalog changes: activations and rollbacks only
/// (admissions and refusals move no data and are kept in the catalog's
/// history).
pub fn changes_entries(changes: &[ChangeRecord]) -> Vec<Entry> {
    changes
        .iter()
        .filter_map(|c| {
            let action = match c.action {
                ChangeAction::Activated => Action::VersionActivated,
                ChangeAction::RolledBack => Action::VersionRolledBack,
                ChangeAction::Admitted | ChangeAction::Refused => return None,
            };
            let mut e = Entry::new(action, c.actor.clone());
            e.note = Some(format!(
                "{} {} {} {} (from {})",
                c.kind.as_str(),
                c.subject.as_deref().unwrap_or_default(),
                c.version.as_deref().unwrap_or_default(),
                c.digest.map(|d| d.to_string()).unwrap_or_default(),
                c.source
            ));
            Some(e)
        })
        .collect()
}

/// The body part of a create ([`create_entries`]); None when `enabled`
/// is false (nothing is made at all) or there is nothing to log.
pub fn create_part(enabled: bool, application: &str, event: &Event) -> Option<String> {
    enabled
        .then(|| to_body_part(&create_entries(application, event)))
        .flatten()
}

/// The body part of an append ([`append_entries`]); None when `enabled`
/// is false or there is nothing to log.
pub fn append_part(enabled: bool, application: &str, events: &[(Event, i64)]) -> Option<String> {
    enabled
        .then(|| to_body_part(&append_entries(application, events)))
        .flatten()
}

/// The body part of catalog changes ([`changes_entries`]); None when
/// `enabled` is false or there is nothing to log.
pub fn changes_part(enabled: bool, changes: &[ChangeRecord]) -> Option<String> {
    enabled
        .then(|| to_body_part(&changes_entries(changes)))
        .flatten()
}

/// The body part of entries the caller made (a prefill's); None when
/// `enabled` is false or there are none.
pub fn entries_part(enabled: bool, entries: &[Entry]) -> Option<String> {
    enabled.then(|| to_body_part(entries)).flatten()
}

/// The entries of `records` about `application`, each with its record's
/// time (for a backend without an index of its own).
pub fn entries_about<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    application: &str,
) -> Result<Vec<(i64, Entry)>, StoreError> {
    let mut out = Vec::new();
    for r in records {
        let entries = r.entries().map_err(|e| {
            StoreError::Database(format!(
                "audit record {}: its body does not read: {e}",
                r.seq
            ))
        })?;
        out.extend(
            entries
                .into_iter()
                .filter(|e| e.application.as_deref() == Some(application))
                .map(|e| (r.at_ms, e)),
        );
    }
    Ok(out)
}

/// What a backend answers about its audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Check the whole chain against the checkpoint, on one consistent
    /// view of the log: `Ok(Err(broken))` names the first bad record.
    async fn verify_audit(&self) -> Result<Result<Verified, Broken>, StoreError>;

    /// The checkpoint (last seq and digest), to keep elsewhere; none
    /// before the first record.
    async fn audit_checkpoint(&self) -> Result<Option<Chain>, StoreError>;

    /// Up to `limit` records with a seq greater than `after_seq`, in seq
    /// order (for offline tools and tests).
    async fn audit_records(&self, after_seq: u64, limit: usize) -> Result<Vec<Record>, StoreError>;

    /// Seal entries that describe no other write (a read of an
    /// application by someone other than its owner), as one commit.
    async fn record_entries(&self, entries: &[Entry]) -> Result<(), StoreError>;

    /// The sealed entries about one application, each with its record's
    /// time, in order: what the chain itself says of it.
    async fn entries_of(&self, application: &str) -> Result<Vec<(i64, Entry)>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use onething_model::audit::Flow;

    fn rewrite(body: &[u8], from: &str, to: &str) -> Vec<u8> {
        let json = String::from_utf8(decompress(body).expect("body")).expect("utf-8");
        assert!(json.contains(from));
        compress(json.replace(from, to).as_bytes())
    }

    fn chain(n: u64) -> (Vec<Record>, Chain) {
        let mut c = Chain::default();
        let records = (0..n)
            .map(|i| {
                let mut e = Entry::new(Action::Disclosed, "platform");
                e.recipient = Some("health".into());
                e.application = Some(format!("app-{}", i % 3));
                assert!(to_body_part(std::slice::from_ref(&e)).is_some());
                e.fields = vec![Flow {
                    key: "child.name".into(),
                    from: "applicant".into(),
                }];
                c.append(1_000 + i as i64, &[e])
            })
            .collect();
        (records, c)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let (records, head) = chain(5);
        let v = verify(records, Some(&head)).expect("sound");
        assert_eq!(v.records, 5);
        assert_eq!(v.head, head.digest);
        assert_eq!(
            verify(Vec::new(), Some(&Chain::default()))
                .expect("empty")
                .records,
            0
        );
    }

    #[test]
    fn an_edit_names_the_edited_record() {
        let (mut records, head) = chain(5);
        records[2].body = rewrite(&records[2].body, "child.name", "child.sex");
        let err = verify(records, Some(&head)).expect_err("edited");
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("edited"), "{err}");
    }

    #[test]
    fn an_edit_with_a_recomputed_digest_breaks_the_next_link() {
        let (mut records, head) = chain(5);
        let r = &mut records[1];
        r.body = rewrite(&r.body, "health", "tax");
        r.digest = seal(r.seq, r.at_ms, &r.body, &r.prev);
        let err = verify(records, Some(&head)).expect_err("rewritten");
        assert_eq!(err.seq, 3, "{err}");
    }

    #[test]
    fn a_deletion_names_the_missing_record() {
        let (mut records, head) = chain(5);
        records.remove(1);
        let err = verify(records, Some(&head)).expect_err("deleted");
        assert_eq!(err.seq, 2);
        assert!(err.reason.contains("missing"), "{err}");
    }

    #[test]
    fn a_reordering_is_found() {
        let (mut records, head) = chain(5);
        // Swap the contents of 2 and 3, keeping the numbers in order.
        let (a, b) = (records[1].clone(), records[2].clone());
        records[1] = Record { seq: 2, ..b };
        records[2] = Record { seq: 3, ..a };
        let err = verify(records, Some(&head)).expect_err("reordered");
        assert_eq!(err.seq, 2);
    }

    #[test]
    fn truncation_is_caught_by_the_checkpoint() {
        let (mut records, head) = chain(5);
        records.truncate(3);
        let err = verify(records.clone(), Some(&head)).expect_err("truncated");
        assert_eq!(err.seq, 4);
        assert!(err.reason.contains("truncated"), "{err}");
        // Without a checkpoint the cut is invisible: that is what it is for.
        assert!(verify(records, None).is_ok());
    }

    fn part(actor: &str) -> String {
        to_body_part(&[Entry::new(Action::Received, actor)]).expect("a part")
    }

    #[test]
    fn a_sealer_seals_each_group_as_one_record_and_rolls_back() {
        let mut sealer = Sealer::new(true, Chain::default());
        sealer.begin();
        sealer.add(Some(&part("a")));
        sealer.add(None);
        sealer.add(Some(&part("b")));
        let first = sealer.seal().expect("a record");
        assert_eq!(first.seq, 1);
        let actors: Vec<String> = first
            .entries()
            .expect("entries")
            .into_iter()
            .map(|e| e.actor)
            .collect();
        assert_eq!(actors, ["a", "b"]);
        assert_eq!(sealer.head().digest, first.digest);

        // A group with nothing to log seals nothing.
        sealer.begin();
        sealer.add(None);
        assert_eq!(sealer.seal(), None);

        // A group whose commit failed: the head goes back.
        let before = sealer.head().clone();
        sealer.begin();
        sealer.add(Some(&part("lost")));
        assert!(sealer.seal().is_some());
        sealer.rollback(before.clone());
        assert_eq!(sealer.head(), &before);

        sealer.begin();
        sealer.add(Some(&part("c")));
        let second = sealer.seal().expect("a record");
        assert_eq!(
            (second.seq, second.prev.as_str()),
            (2, first.digest.as_str())
        );
        let v = verify([first, second], Some(sealer.head())).expect("sound");
        assert_eq!(v.records, 2);

        // A sealer continues a chain from its checkpoint.
        let mut reopened = Sealer::new(true, sealer.head().clone());
        reopened.begin();
        reopened.add(Some(&part("d")));
        assert_eq!(reopened.seal().map(|r| r.seq), Some(3));
    }

    #[test]
    fn a_disabled_sealer_seals_nothing_and_parts_are_not_made() {
        let mut sealer = Sealer::new(false, Chain::default());
        sealer.begin();
        sealer.add(Some(&part("a")));
        assert_eq!(sealer.seal(), None);
        assert_eq!(sealer.head(), &Chain::default());
        assert_eq!(
            entries_part(false, &[Entry::new(Action::Received, "a")]),
            None
        );
        assert_eq!(entries_part(true, &[]), None);
    }

    #[test]
    fn only_activations_and_rollbacks_are_audited_among_changes() {
        use crate::versions::VersionKind;
        use onething_model::ids::Digest;
        let change = |action| ChangeRecord {
            seq: 0,
            at_ms: 0,
            kind: VersionKind::Plugin,
            subject: Some("health".into()),
            action,
            digest: Some(Digest::of(b"v1")),
            version: Some("1.0.0".into()),
            actor: "ops-1".into(),
            source: "upload".into(),
            reason: None,
        };
        let entries = changes_entries(&[
            change(ChangeAction::Admitted),
            change(ChangeAction::Refused),
            change(ChangeAction::Activated),
            change(ChangeAction::RolledBack),
        ]);
        let actions: Vec<Action> = entries.iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [Action::VersionActivated, Action::VersionRolledBack]
        );
        assert_eq!(
            entries[0].note.as_deref(),
            Some(format!("plugin health 1.0.0 {} (from upload)", Digest::of(b"v1")).as_str())
        );
        assert_eq!(entries[0].actor, "ops-1");
    }
}
