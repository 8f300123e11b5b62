//! The audit log: an append-only, hash-chained record of every flow of
//! personal data and every operator action — who (department, operator,
//! applicant), what (field keys and material codes, **never values**),
//! which application, when, and under which bundle step (the purpose).
//!
//! Each record carries the digest of the one before it, so editing,
//! deleting or reordering a record breaks the chain at that record; a
//! checkpoint (the last sequence number and digest, kept with every
//! commit) makes cutting records off the end detectable too.
//! [`verify`] walks the chain and names the first record that is wrong.
//!
//! Entries are made from the application's events ([`derive`]) and from
//! catalogue changes and prefills. The store's writer seals the entries of
//! each group commit into one record of the chain, in the same transaction
//! as what they describe ([`Chain`]): one record per commit, not per entry,
//! keeps the log's cost small under load.

pub mod derive;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The applicant gave the platform fields (submission, correction).
    Received,
    /// Fields were sent to a department for one attempt at a step.
    Disclosed,
    /// A department wrote fields into the application.
    Produced,
    /// The applicant consented to prefill by departments, for fields.
    ConsentGranted,
    /// Fields were sent to a department to look up what it holds.
    PrefillQueried,
    /// A department returned fields it holds, to the applicant.
    Prefilled,
    /// An operator completed or rejected a step by hand.
    OperatorResolved,
    /// A component or bundle version was activated.
    VersionActivated,
    /// A component or bundle version was rolled back to.
    VersionRolledBack,
}

/// One field that flowed, and where its value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// The dictionary key.
    pub key: String,
    /// `applicant`, or the department whose step wrote it.
    pub from: String,
}

/// One thing that happened, in words an auditor reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// What happened.
    pub action: Action,
    /// Who acted: `applicant`, a department, an operator, `watcher`.
    pub actor: String,
    /// Who received the data: a department, `applicant`, `platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The application concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// The bundle step it served (the purpose), `department/step`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Field keys that flowed, with their sources. Never values. Stored
    /// grouped by source (`{"applicant": [keys], "health": [keys]}`),
    /// which keeps the log small.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "by_source")]
    pub fields: Vec<Flow>,
    /// Material codes that flowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials: Vec<String>,
    /// Anything else that identifies the act: a decision, a version's
    /// digest, a consent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Entry {
    /// An entry with only the required parts.
    pub fn new(action: Action, actor: impl Into<String>) -> Self {
        Self {
            action,
            actor: actor.into(),
            recipient: None,
            application: None,
            step: None,
            fields: Vec::new(),
            materials: Vec::new(),
            note: None,
        }
    }
}

/// Flows written as `{source: [keys]}`, in order of first appearance of
/// each source, keys in their order (for serde's `with`).
pub(crate) mod by_source {
    use super::Flow;
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Write flows grouped by source.
    pub fn serialize<S: Serializer>(flows: &[Flow], s: S) -> Result<S::Ok, S::Error> {
        let mut sources: Vec<(&str, Vec<&str>)> = Vec::new();
        for f in flows {
            match sources.iter_mut().find(|(src, _)| *src == f.from) {
                Some((_, keys)) => keys.push(&f.key),
                None => sources.push((&f.from, vec![&f.key])),
            }
        }
        let mut map = s.serialize_map(Some(sources.len()))?;
        for (src, keys) in sources {
            map.serialize_entry(src, &keys)?;
        }
        map.end()
    }

    /// Read flows grouped by source.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Flow>, D::Error> {
        let map = indexmap_like::OrderedMap::deserialize(d)?;
        Ok(map
            .0
            .into_iter()
            .flat_map(|(from, keys)| {
                keys.into_iter().map(move |key| Flow {
                    key,
                    from: from.clone(),
                })
            })
            .collect())
    }

    mod indexmap_like {
        //! A JSON object read in document order.
        use serde::de::{MapAccess, Visitor};
        use serde::{Deserialize, Deserializer};

        pub struct OrderedMap(pub Vec<(String, Vec<String>)>);

        impl<'de> Deserialize<'de> for OrderedMap {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = OrderedMap;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("an object of source: [field keys]")
                    }
                    fn visit_map<A: MapAccess<'de>>(
                        self,
                        mut a: A,
                    ) -> Result<OrderedMap, A::Error> {
                        let mut out = Vec::new();
                        while let Some((k, v)) = a.next_entry::<String, Vec<String>>()? {
                            out.push((k, v));
                        }
                        Ok(OrderedMap(out))
                    }
                }
                d.deserialize_map(V)
            }
        }
    }
}

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
    fn flows_are_stored_by_source_and_read_back_the_same() {
        let mut e = Entry::new(Action::Disclosed, "platform");
        e.fields = vec![
            Flow {
                key: "child.name".into(),
                from: "applicant".into(),
            },
            Flow {
                key: "child.birth_certificate_number".into(),
                from: "health".into(),
            },
            Flow {
                key: "mother.name".into(),
                from: "applicant".into(),
            },
        ];
        let text = serde_json::to_string(&e).expect("json");
        assert!(
            text.contains(r#""fields":{"applicant":["child.name","mother.name"],"health":["child.birth_certificate_number"]}"#),
            "{text}"
        );
        let back: Entry = serde_json::from_str(&text).expect("read");
        let mut expected = e.fields.clone();
        expected.sort_by_key(|f| f.from != "applicant");
        assert_eq!(back.fields, expected);
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
