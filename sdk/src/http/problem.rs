//! The error answers of a department's system as RFC 9457 problem
//! details (`application/problem+json`): `type`, `title`, `status`,
//! `detail`, and any further members (who holds a name, the number a
//! subject already has).
//!
//! Not a schema: a member the step needs is read by name
//! ([`ProblemDetails::text`]), whatever else the body holds.

use serde_json::{Map, Value};

/// One problem a system answered.
#[derive(Debug, Clone, PartialEq)]
pub struct ProblemDetails {
    members: Map<String, Value>,
}

impl ProblemDetails {
    /// The problem in `body`, if it is a JSON object.
    pub fn parse(body: &[u8]) -> Option<ProblemDetails> {
        match serde_json::from_slice(body) {
            Ok(Value::Object(members)) => Some(ProblemDetails { members }),
            _ => None,
        }
    }

    /// Its short machine code: `title` when it is one word of kebab-case,
    /// else the last `:` or `/` segment of `type`, else empty.
    /// (`urn:onething:systems:name-taken` → `name-taken`.)
    pub fn code(&self) -> &str {
        let kebab = |t: &&str| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        };
        if let Some(title) = self.text("title").filter(kebab) {
            return title;
        }
        self.text("type")
            .and_then(|t| t.rsplit([':', '/']).next())
            .unwrap_or_default()
    }

    /// `detail`, if given.
    pub fn detail(&self) -> Option<&str> {
        self.text("detail")
    }

    /// The text member `name`, if it is text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.members.get(name).and_then(Value::as_str)
    }

    /// Any member, as JSON.
    pub fn member(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// `code: detail`, for error messages (operators read these).
    pub fn summary(&self) -> String {
        match self.detail() {
            Some(d) => format!("{}: {d}", self.code()),
            None => self.code().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_systems_problem() {
        let body = br#"{"type":"urn:onething:systems:name-taken","title":"name-taken","status":409,"detail":"reserved","holder":"app-1"}"#;
        let p = ProblemDetails::parse(body).expect("an object");
        assert_eq!(p.code(), "name-taken");
        assert_eq!(p.text("holder"), Some("app-1"));
        assert_eq!(p.member("status").and_then(Value::as_u64), Some(409));
        assert_eq!(p.summary(), "name-taken: reserved");
        let typed = ProblemDetails::parse(br#"{"type":"https://x.test/probs/out-of-credit","title":"You do not have enough credit."}"#);
        assert_eq!(
            typed.as_ref().map(ProblemDetails::code),
            Some("out-of-credit")
        );
        assert_eq!(typed.map(|p| p.summary()).as_deref(), Some("out-of-credit"));
        assert_eq!(ProblemDetails::parse(b"[1]"), None);
        assert_eq!(ProblemDetails::parse(b"<html>"), None);
        assert_eq!(
            ProblemDetails::parse(b"{}").map(|p| p.code().to_owned()),
            Some(String::new())
        );
    }
}
