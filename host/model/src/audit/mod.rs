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
    /// A department's plugin called its department's system: method,
    /// origin, path, status, bytes and duration ([`OutboundCall`]); never
    /// a query, a header or a body.
    OutboundCall,
}

impl Action {
    /// Whether an entry of this action is sealed on its own (the store's
    /// `record_entries`), not derived from an application's events: a
    /// read by someone other than its owner, a department's outbound call.
    pub fn stands_alone(self) -> bool {
        matches!(self, Action::Read | Action::OutboundCall)
    }
}

/// One outbound HTTP call by a department's plugin, as the audit log
/// keeps it: enough to say who called what and how it went, nothing that
/// could carry personal data or a credential (no query string, no
/// headers, no bodies).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundCall {
    /// The request method.
    pub method: String,
    /// `scheme://host:port`.
    pub origin: String,
    /// The path, without query or fragment.
    pub path: String,
    /// The answer's status; none when no answer came (refused by policy,
    /// timed out, connection failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why there was no answer, in a word (`denied`, `timeout`,
    /// `connect`, `too-large`, `breaker-open`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Request body bytes sent.
    pub bytes_sent: u64,
    /// Answer body bytes received.
    pub bytes_received: u64,
    /// How long the call took, in milliseconds.
    pub duration_ms: u64,
}

impl OutboundCall {
    /// The record of a call to `url`: its origin and path kept, anything
    /// after `?` or `#` dropped, and no user information (a URL carrying
    /// some is recorded by its host alone). A path segment holding six
    /// digits or more (a resident ID, a phone or card number: whose data
    /// was asked for) is recorded as `*`, so the record names the route
    /// and never a person.
    pub fn to_url(method: &str, url: &str) -> OutboundCall {
        let bare = url.split(['?', '#']).next().unwrap_or("");
        let (scheme, rest) = bare.split_once("://").unwrap_or(("", bare));
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let host = authority.rsplit('@').next().unwrap_or("");
        OutboundCall {
            method: method.to_ascii_uppercase(),
            origin: format!(
                "{}://{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            ),
            path: masked_path(path),
            status: None,
            failure: None,
            bytes_sent: 0,
            bytes_received: 0,
            duration_ms: 0,
        }
    }
}

/// `path` with each segment of six digits or more as `*`.
fn masked_path(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.bytes().filter(u8::is_ascii_digit).count() >= 6 {
                "*"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
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
    /// The call made (`outbound-call`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<OutboundCall>,
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
            call: None,
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
    fn an_outbound_call_keeps_no_query_user_or_fragment() {
        let c = OutboundCall::to_url(
            "get",
            "HTTP://user:pw@Registry.Example:8090/household/v1/persons/350203199003071527?token=abc#x",
        );
        assert_eq!(c.method, "GET");
        assert_eq!(c.origin, "http://registry.example:8090");
        assert_eq!(
            c.path, "/household/v1/persons/*",
            "whose data is not recorded"
        );
        let shown = serde_json::to_string(&c).expect("json");
        for hidden in ["token", "abc", "user", "pw", "#x", "350203"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        assert_eq!(OutboundCall::to_url("POST", "https://h").path, "/");
        assert_eq!(
            OutboundCall::to_url("GET", "http://h/tax/v1/registrations/TR2026/x").path,
            "/tax/v1/registrations/TR2026/x",
            "a short number is a route's"
        );
    }

    #[test]
    fn an_outbound_call_entry_round_trips_and_old_entries_still_read() {
        let mut e = Entry::new(Action::OutboundCall, "public-security");
        e.application = Some("app-1".into());
        e.step = Some("public-security/household-registration".into());
        e.call = Some(OutboundCall {
            status: Some(201),
            bytes_sent: 120,
            bytes_received: 64,
            duration_ms: 12,
            ..OutboundCall::to_url("POST", "http://127.0.0.1:8090/household/v1/births")
        });
        let text = serde_json::to_string(&e).expect("json");
        assert!(text.contains("\"action\":\"outbound-call\""), "{text}");
        assert_eq!(serde_json::from_str::<Entry>(&text).expect("back"), e);
        // An entry written before calls existed has none.
        let old: Entry =
            serde_json::from_str(r#"{"action":"read","actor":"duty-officer"}"#).expect("old");
        assert_eq!(old.call, None);
        assert!(!serde_json::to_string(&old).expect("json").contains("call"));
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
}
