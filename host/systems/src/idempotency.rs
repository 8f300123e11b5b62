//! `Idempotency-Key` on the systems' writes: the same key with the same
//! body gets the first answer again (a retry after a lost answer issues
//! nothing new), the same key with another body is refused. Hosts send
//! the key of the application's step (`application/department/step`).

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::problem::Problem;

/// The longest key accepted, in bytes.
pub const MAX_KEY_BYTES: usize = 256;

/// The header carrying the key.
pub const HEADER: &str = "idempotency-key";

/// The key of a request that must carry one, or a problem saying why not.
pub fn required_key(headers: &HeaderMap) -> Result<String, Problem> {
    let value = headers.get(HEADER).ok_or_else(|| {
        Problem::bad_request(
            "idempotency-key-missing",
            "this write needs an Idempotency-Key header (the step's key), so a retry issues nothing twice",
        )
    })?;
    let key = value.to_str().map_err(|_| {
        Problem::bad_request("idempotency-key-invalid", "Idempotency-Key is not text")
    })?;
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Problem::bad_request(
            "idempotency-key-invalid",
            format!(
                "Idempotency-Key is {} bytes; 1 to {MAX_KEY_BYTES} are accepted",
                key.len()
            ),
        ));
    }
    Ok(key.to_owned())
}

/// What the ledger says of a keyed request.
#[derive(Debug)]
pub enum Seen {
    /// Not seen: handle it, then [`Ledger::record`] the answer.
    New,
    /// Seen with the same body: answer this again.
    Replay(StatusCode, Value),
}

/// The answers given under each key, with the digest of their request.
#[derive(Debug, Default)]
pub struct Ledger {
    answers: HashMap<String, ([u8; 32], StatusCode, Value)>,
}

impl Ledger {
    /// Whether `key` was seen, and with `body`.
    pub fn seen(&self, key: &str, body: &Value) -> Result<Seen, Problem> {
        match self.answers.get(key) {
            None => Ok(Seen::New),
            Some((digest, status, answer)) if *digest == digest_of(body) => {
                Ok(Seen::Replay(*status, answer.clone()))
            }
            Some(_) => Err(Problem::refused(
                "idempotency-key-reused",
                "this Idempotency-Key was used with another request body",
            )),
        }
    }

    /// Remembers the answer to `body` under `key`.
    pub fn record(&mut self, key: String, body: &Value, status: StatusCode, answer: Value) {
        self.answers.insert(key, (digest_of(body), status, answer));
    }
}

fn digest_of(body: &Value) -> [u8; 32] {
    // serde_json's maps are ordered, so equal bodies serialise equally.
    Sha256::digest(body.to_string().as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_key_replays_its_answer_and_refuses_another_body() {
        let mut ledger = Ledger::default();
        let body = json!({"a": 1});
        assert!(matches!(ledger.seen("k", &body), Ok(Seen::New)));
        ledger.record("k".into(), &body, StatusCode::CREATED, json!({"n": 7}));
        match ledger.seen("k", &json!({"a": 1})) {
            Ok(Seen::Replay(s, v)) => {
                assert_eq!(s, StatusCode::CREATED);
                assert_eq!(v, json!({"n": 7}));
            }
            other => panic!("{other:?}"),
        }
        let e = ledger.seen("k", &json!({"a": 2})).expect_err("other body");
        assert_eq!(e.code(), "idempotency-key-reused");
    }

    #[test]
    fn a_missing_or_overlong_key_is_refused() {
        let mut h = HeaderMap::new();
        assert_eq!(
            required_key(&h).expect_err("missing").code(),
            "idempotency-key-missing"
        );
        h.insert(
            HEADER,
            "x".repeat(MAX_KEY_BYTES + 1).parse().expect("ascii"),
        );
        assert_eq!(
            required_key(&h).expect_err("long").code(),
            "idempotency-key-invalid"
        );
        h.insert(HEADER, "app/dept/step".parse().expect("ascii"));
        assert_eq!(required_key(&h).ok().as_deref(), Some("app/dept/step"));
    }
}
