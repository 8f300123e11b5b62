//! The events of every application, vouched for by the chain: each
//! commit that stores events seals, beside what they disclosed, a
//! `recorded` entry naming each event's sequence number and the digest of
//! what was stored ([`event_digest`]). [`verify_events`] then checks the
//! events table against those seals, so an event edited, deleted, added
//! or moved outside the host is named, and so is every view made from the
//! events (the status, the data flows) that would show it.
//!
//! Not for the chain's own links (the parent module) nor for what the
//! entries say of data flows (`onething_model::audit::derive`).

use std::collections::{BTreeMap, BTreeSet};

use onething_model::audit::{Action, Entry, EventSeal};
use sha2::{Digest as _, Sha256};

use super::{Broken, Record};

/// The digest of an event as stored: its application, sequence number,
/// time and body (the event's JSON, exactly as kept).
pub fn event_digest(application: &str, seq: u64, at_ms: i64, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"onething event v1\n");
    h.update(application.as_bytes());
    h.update(b"\n");
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(at_ms.to_string().as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// One event as a backend stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The application.
    pub application: String,
    /// Its sequence number there, from 1.
    pub seq: u64,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// The event's JSON as stored.
    pub body: String,
}

impl StoredEvent {
    /// Its seal.
    pub fn seal(&self) -> EventSeal {
        EventSeal {
            seq: self.seq,
            digest: event_digest(&self.application, self.seq, self.at_ms, &self.body),
        }
    }
}

/// The `recorded` entry of events stored for one application.
pub fn recorded(application: &str, events: &[StoredEvent]) -> Entry {
    let mut e = Entry::new(Action::Recorded, "platform");
    e.application = Some(application.to_owned());
    e.events = events.iter().map(StoredEvent::seal).collect();
    e
}

/// Every seal a chain holds: by application and sequence number, the
/// digest and the record that sealed it.
#[derive(Debug, Default)]
pub struct Seals {
    by_event: BTreeMap<(String, u64), (String, u64)>,
}

impl Seals {
    /// Take the seals of one record (its entries already read).
    pub fn add(&mut self, record: &Record, entries: &[Entry]) -> Result<(), Broken> {
        for e in entries.iter().filter(|e| e.action == Action::Recorded) {
            let Some(app) = &e.application else { continue };
            for seal in &e.events {
                let key = (app.clone(), seal.seq);
                if self
                    .by_event
                    .insert(key, (seal.digest.clone(), record.seq))
                    .is_some()
                {
                    return Err(Broken {
                        seq: record.seq,
                        reason: format!(
                            "it seals event {} of application {app} a second time",
                            seal.seq
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// How many events are sealed.
    pub fn len(&self) -> usize {
        self.by_event.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.by_event.is_empty()
    }
}

/// Check the stored events (any order) and the stored applications
/// against the seals: the count of events checked, or the first fault.
pub fn verify_events(
    seals: &Seals,
    events: impl IntoIterator<Item = StoredEvent>,
    applications: impl IntoIterator<Item = String>,
) -> Result<u64, Broken> {
    let mut seen = BTreeSet::new();
    let mut checked = 0u64;
    for event in events {
        let key = (event.application.clone(), event.seq);
        match seals.by_event.get(&key) {
            None => {
                return Err(Broken {
                    seq: 0,
                    reason: format!(
                        "event {} of application {} is not sealed in the audit log: it was added or rewritten outside the host (or the log was cut)",
                        event.seq, event.application
                    ),
                });
            }
            Some((digest, record)) if digest != &event.seal().digest => {
                return Err(Broken {
                    seq: *record,
                    reason: format!(
                        "event {} of application {} does not match the digest this record sealed: the event was edited",
                        event.seq, event.application
                    ),
                });
            }
            Some(_) => {}
        }
        seen.insert(key);
        checked += 1;
    }
    if let Some(((app, seq), (_, record))) =
        seals.by_event.iter().find(|(key, _)| !seen.contains(*key))
    {
        return Err(Broken {
            seq: *record,
            reason: format!(
                "this record sealed event {seq} of application {app}, which is no longer stored: the event was deleted"
            ),
        });
    }
    let sealed_apps: BTreeSet<&str> = seals.by_event.keys().map(|(a, _)| a.as_str()).collect();
    for app in applications {
        if !sealed_apps.contains(app.as_str()) {
            return Err(Broken {
                seq: 0,
                reason: format!(
                    "application {app} is stored but the audit log holds nothing of it (the log was wiped or cut)"
                ),
            });
        }
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::Chain;

    fn stored(app: &str, seq: u64, body: &str) -> StoredEvent {
        StoredEvent {
            application: app.into(),
            seq,
            at_ms: 1_000 + seq as i64,
            body: body.into(),
        }
    }

    fn sealed(events: &[StoredEvent]) -> Seals {
        let mut chain = Chain::default();
        let entries = vec![recorded("app-1", events)];
        let record = chain.append(5, &entries);
        let mut seals = Seals::default();
        seals.add(&record, &entries).expect("sealed");
        seals
    }

    #[test]
    fn each_change_to_the_events_is_named() {
        let events = vec![
            stored("app-1", 1, "{\"kind\":\"submitted\"}"),
            stored("app-1", 2, "{\"kind\":\"step-approved\"}"),
        ];
        let seals = sealed(&events);
        let apps = || vec!["app-1".to_owned()];
        assert_eq!(verify_events(&seals, events.clone(), apps()), Ok(2));
        // Edited.
        let mut edited = events.clone();
        edited[1].body = "{\"kind\":\"step-rejected\"}".into();
        let err = verify_events(&seals, edited, apps()).expect_err("edited");
        assert!(
            err.reason.contains("event 2") && err.reason.contains("edited"),
            "{err}"
        );
        // Deleted.
        let err = verify_events(&seals, events[..1].to_vec(), apps()).expect_err("deleted");
        assert!(err.reason.contains("deleted"), "{err}");
        // Added.
        let mut added = events.clone();
        added.push(stored("app-1", 3, "{}"));
        let err = verify_events(&seals, added, apps()).expect_err("added");
        assert!(err.reason.contains("not sealed"), "{err}");
        // Moved (renumbered).
        let mut moved = events.clone();
        moved[1].seq = 3;
        assert!(verify_events(&seals, moved, apps()).is_err());
        // An application the log knows nothing of.
        let err = verify_events(&seals, events, vec!["app-1".into(), "app-2".into()])
            .expect_err("unknown app");
        assert!(err.reason.contains("app-2"), "{err}");
    }
}
