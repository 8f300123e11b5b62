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

pub mod checkpoint;
pub mod events;

pub use events::{Seals, StoredEvent, event_digest, recorded, verify_events};

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
/// keeps it beside the log), signed by the host's key when it has one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chain {
    /// Sequence number of the last record (0 before the first).
    pub seq: u64,
    /// Digest of the last record ([`GENESIS`] before the first).
    pub digest: String,
    /// The host's signature over both ([`checkpoint::sign`]), hex.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl Default for Chain {
    fn default() -> Self {
        Self {
            seq: 0,
            digest: GENESIS.to_owned(),
            signature: None,
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
        // A new head is unsigned until the sealer signs it.
        self.signature = None;
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
#[error("{}{reason}", if *seq == 0 { "the stored events: ".to_owned() } else { format!("audit record {seq}: ") })]
pub struct Broken {
    /// The first record that is wrong (for truncation: the first missing);
    /// 0 when the fault is in the stored events and no record names it.
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
    /// Events checked against their seals.
    pub events: u64,
    /// Whether the checkpoint carries a signature (checked against the
    /// host's key when one was given).
    pub signed: bool,
}

/// What a verification checks beyond the chain's own links.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// The host's public key: the checkpoint must carry its signature.
    pub key: Option<ed25519_dalek::VerifyingKey>,
    /// A checkpoint kept elsewhere (`SEQ`, `DIGEST`): the chain must still
    /// hold that record with that digest.
    pub expected: Option<(u64, String)>,
}

impl VerifyOptions {
    /// These options, checking against `key` (a store's own) when they
    /// name no key of their own.
    pub fn or_key(&self, key: Option<ed25519_dalek::VerifyingKey>) -> Self {
        Self {
            key: self.key.or(key),
            expected: self.expected.clone(),
        }
    }
}

/// Check a chain, records in stored order (by seq), against the
/// checkpoint (last seq and digest) kept beside it, and `options`: what it
/// found, and every event it seals (for [`verify_events`]).
pub fn verify(
    records: impl IntoIterator<Item = Record>,
    checkpoint: Option<&Chain>,
    options: &VerifyOptions,
) -> Result<(Verified, Seals), Broken> {
    let mut head = Chain::default();
    let mut seals = Seals::default();
    let mut expected_found = false;
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
        let Ok(entries) = r.entries() else {
            return Err(Broken {
                seq: r.seq,
                reason: "its body is not a list of audit entries".into(),
            });
        };
        seals.add(&r, &entries)?;
        if let Some((seq, want)) = &options.expected
            && *seq == r.seq
        {
            if &r.digest != want {
                return Err(Broken {
                    seq: r.seq,
                    reason: format!(
                        "its digest is {}, not {want} as the checkpoint kept elsewhere says: the log was rewritten since",
                        r.digest
                    ),
                });
            }
            expected_found = true;
        }
        head = Chain {
            seq: r.seq,
            digest: r.digest,
            signature: None,
        };
    }
    if let Some((seq, _)) = &options.expected
        && !expected_found
    {
        return Err(Broken {
            seq: *seq,
            reason: format!(
                "the checkpoint kept elsewhere names record {seq}, but the log ends at {} (truncated)",
                head.seq
            ),
        });
    }
    match checkpoint {
        None if head.seq > 0 => {
            return Err(Broken {
                seq: head.seq,
                reason: "the checkpoint is missing: the log holds records but nothing says where it ends (a truncation would not show)".into(),
            });
        }
        None => {}
        Some(cp) => {
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
    }
    let signed = match (&options.key, checkpoint) {
        (None, cp) => cp.is_some_and(|c| c.signature.is_some()),
        (Some(_), None) => false,
        (Some(key), Some(cp)) => {
            let good = cp
                .signature
                .as_deref()
                .is_some_and(|sig| checkpoint::signed_by(key, cp.seq, &cp.digest, sig));
            if !good {
                return Err(Broken {
                    seq: cp.seq,
                    reason: if cp.signature.is_some() {
                        "the checkpoint's signature is not the host's key's: the log and its checkpoint were rewritten together".into()
                    } else {
                        "the checkpoint is not signed, but the host signs every checkpoint with its key: it was rewritten outside the host".into()
                    },
                });
            }
            true
        }
    };
    Ok((
        Verified {
            records: head.seq,
            head: head.digest,
            events: 0,
            signed,
        },
        seals,
    ))
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
    key: Option<ed25519_dalek::SigningKey>,
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
            key: None,
        }
    }

    /// The same, signing each new head with the host's key.
    pub fn signing(mut self, key: Option<ed25519_dalek::SigningKey>) -> Self {
        self.key = key;
        self
    }

    /// The public half of the key it signs with.
    pub fn public_key(&self) -> Option<ed25519_dalek::VerifyingKey> {
        self.key
            .as_ref()
            .map(ed25519_dalek::SigningKey::verifying_key)
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
        let record = self.chain.append_compressed(now_ms(), body);
        self.chain.signature = self
            .key
            .as_ref()
            .map(|k| checkpoint::sign(k, self.chain.seq, &self.chain.digest));
        Some(record)
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

/// The entries of a new application's first event, stored as `stored`:
/// what it disclosed, and its seal.
pub fn create_entries(application: &str, event: &Event, stored: &StoredEvent) -> Vec<Entry> {
    let mut entries = derive::from_events(application, [event]);
    entries.push(recorded(application, std::slice::from_ref(stored)));
    entries
}

/// The entries of events appended to an application, stored as `stored`.
pub fn append_entries(
    application: &str,
    events: &[(Event, i64)],
    stored: &[StoredEvent],
) -> Vec<Entry> {
    let mut entries = derive::from_events(application, events.iter().map(|(e, _)| e));
    if !stored.is_empty() {
        entries.push(recorded(application, stored));
    }
    entries
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
pub fn create_part(
    enabled: bool,
    application: &str,
    event: &Event,
    stored: &StoredEvent,
) -> Option<String> {
    enabled
        .then(|| to_body_part(&create_entries(application, event, stored)))
        .flatten()
}

/// The body part of an append ([`append_entries`]); None when `enabled`
/// is false or there is nothing to log.
pub fn append_part(
    enabled: bool,
    application: &str,
    events: &[(Event, i64)],
    stored: &[StoredEvent],
) -> Option<String> {
    enabled
        .then(|| to_body_part(&append_entries(application, events, stored)))
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
    /// Check the whole chain against the checkpoint, and every stored
    /// event against its seal, on one consistent view: `Ok(Err(broken))`
    /// names the first fault. A store opened with a checkpoint key checks
    /// the checkpoint's signature with it unless `options` name a key.
    async fn verify_audit(
        &self,
        options: &VerifyOptions,
    ) -> Result<Result<Verified, Broken>, StoreError>;

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
        let v = verify(records, Some(&head), &VerifyOptions::default())
            .expect("sound")
            .0;
        assert_eq!(v.records, 5);
        assert_eq!(v.head, head.digest);
        assert_eq!(
            verify(
                Vec::new(),
                Some(&Chain::default()),
                &VerifyOptions::default()
            )
            .expect("empty")
            .0
            .records,
            0
        );
    }

    #[test]
    fn an_edit_names_the_edited_record() {
        let (mut records, head) = chain(5);
        records[2].body = rewrite(&records[2].body, "child.name", "child.sex");
        let err = verify(records, Some(&head), &VerifyOptions::default()).expect_err("edited");
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("edited"), "{err}");
    }

    #[test]
    fn an_edit_with_a_recomputed_digest_breaks_the_next_link() {
        let (mut records, head) = chain(5);
        let r = &mut records[1];
        r.body = rewrite(&r.body, "health", "tax");
        r.digest = seal(r.seq, r.at_ms, &r.body, &r.prev);
        let err = verify(records, Some(&head), &VerifyOptions::default()).expect_err("rewritten");
        assert_eq!(err.seq, 3, "{err}");
    }

    #[test]
    fn a_deletion_names_the_missing_record() {
        let (mut records, head) = chain(5);
        records.remove(1);
        let err = verify(records, Some(&head), &VerifyOptions::default()).expect_err("deleted");
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
        let err = verify(records, Some(&head), &VerifyOptions::default()).expect_err("reordered");
        assert_eq!(err.seq, 2);
    }

    #[test]
    fn truncation_is_caught_by_the_checkpoint() {
        let (mut records, head) = chain(5);
        records.truncate(3);
        let err =
            verify(records.clone(), Some(&head), &VerifyOptions::default()).expect_err("truncated");
        assert_eq!(err.seq, 4);
        assert!(err.reason.contains("truncated"), "{err}");
        // Without a checkpoint the log is refused: a cut would not show.
        let err = verify(records, None, &VerifyOptions::default()).expect_err("no checkpoint");
        assert!(err.reason.contains("checkpoint is missing"), "{err}");
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
        let v = verify(
            [first, second],
            Some(sealer.head()),
            &VerifyOptions::default(),
        )
        .expect("sound")
        .0;
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

#[cfg(test)]
mod signed {
    use super::*;

    fn part(actor: &str) -> String {
        to_body_part(&[Entry::new(Action::Received, actor)]).expect("a part")
    }

    /// A sealer with the host's key signs every head; a rewrite of the
    /// records and the checkpoint together fails against the key, and a
    /// checkpoint kept elsewhere finds a rewrite made since.
    #[test]
    fn a_consistent_rewrite_fails_the_key_and_the_kept_checkpoint() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let options = VerifyOptions {
            key: Some(key.verifying_key()),
            expected: None,
        };
        let mut sealer = Sealer::new(true, Chain::default()).signing(Some(key));
        let mut records = Vec::new();
        for actor in ["a", "b", "c"] {
            sealer.begin();
            sealer.add(Some(&part(actor)));
            records.push(sealer.seal().expect("record"));
        }
        let head = sealer.head().clone();
        assert!(head.signature.is_some());
        let (v, _) = verify(records.clone(), Some(&head), &options).expect("sound");
        assert!(v.signed);
        let kept = (2, records[1].digest.clone());

        // Everything rewritten consistently, without the key.
        let mut forger = Sealer::new(true, Chain::default());
        let mut forged = Vec::new();
        for actor in ["a", "x", "c"] {
            forger.begin();
            forger.add(Some(&part(actor)));
            forged.push(forger.seal().expect("record"));
        }
        let forged_head = forger.head().clone();
        assert!(
            verify(
                forged.clone(),
                Some(&forged_head),
                &VerifyOptions::default()
            )
            .is_ok(),
            "unkeyed, the rewrite passes"
        );
        let err = verify(forged.clone(), Some(&forged_head), &options).expect_err("keyed");
        assert!(err.reason.contains("not signed"), "{err}");
        let err = verify(
            forged,
            Some(&forged_head),
            &VerifyOptions {
                key: None,
                expected: Some(kept.clone()),
            },
        )
        .expect_err("kept checkpoint");
        assert_eq!(err.seq, 2);
        assert!(err.reason.contains("rewritten since"), "{err}");
        // The honest chain holds the kept checkpoint.
        assert!(
            verify(
                records,
                Some(&head),
                &VerifyOptions {
                    key: None,
                    expected: Some(kept)
                }
            )
            .is_ok()
        );
    }
}
