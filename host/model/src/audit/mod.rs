//! Audit entries: what the audit log says happened, in words an auditor
//! reads — who (department, operator, applicant), what (field keys and
//! material codes, **never values**), which application, when, and under
//! which bundle step (the purpose).
//!
//! Entries are made from an application's events ([`derive`](mod@derive)) and from
//! catalog changes and prefills. Sealing them into the hash chain is the
//! store's job (`onething_store::audit`); this module is only the data.

pub mod derive;

use serde::{Deserialize, Serialize};

/// What happened.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Someone other than its owner (an officer, an operator, an auditor)
    /// read an application's data: who, the fields they saw in full, the
    /// route.
    Read,
    /// Events of an application were stored: each one's sequence number
    /// and digest, so the chain vouches for the history (and every view
    /// made from it) as much as for itself.
    Recorded,
}

/// One stored event as the chain seals it: its sequence number within
/// the application and the digest of what was stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSeal {
    /// The event's sequence number, from 1.
    pub seq: u64,
    /// SHA-256 of the event as stored (see the store's `event_digest`).
    pub digest: String,
}

/// One field that flowed, and where its value came from.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// The dictionary key.
    pub key: String,
    /// `applicant`, or the department whose step wrote it.
    pub from: String,
}

/// One thing that happened, in words an auditor reads.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[cfg_attr(feature = "openapi", schema(value_type = std::collections::BTreeMap<String, Vec<String>>))]
    pub fields: Vec<Flow>,
    /// Material codes that flowed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub materials: Vec<String>,
    /// Anything else that identifies the act: a decision, a version's
    /// digest, a consent id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The events stored, sealed (`recorded`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventSeal>,
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
            events: Vec::new(),
        }
    }
}

/// Flows written as `{source: [keys]}`, in order of first appearance of
/// each source, keys in their order (for serde's `with`).
pub mod by_source {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
