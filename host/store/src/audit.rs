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
//! load. The entries themselves are `onething_model::audit`.

use onething_model::audit::Entry;
use sha2::{Digest as _, Sha256};

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

/// The head of the chain, as the writer keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("audit record {seq}: {reason}")]
pub struct Broken {
    /// The first record that is wrong (for truncation: the first missing).
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// What a verification found.
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
