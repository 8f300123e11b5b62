//! Issuing numbers idempotently: a retried attempt of a step gets the
//! number the first attempt issued, and no two applications get the same
//! number.
//!
//! Both live in the department's [`crate::store`]:
//! `issued/<kind>/<idempotency key>` remembers what a step issued, and
//! `number/<kind>/<number>` reserves a number for one idempotency key.
//! Not for choosing the number's shape: the caller's `candidate` does that
//! (usually from [`crate::hash`] over the idempotency key).
//!
//! Use the dictionary key of the field the number is written to as the
//! `kind` (`child.id_number`): when an operator completes a step by hand
//! with a number of that field, the host reserves it in the department's
//! store under `number/<field key>/<number>`, so [`unique`] never hands it
//! out again. (The host also refuses any value of a `unique` field that
//! another application already holds.)

use crate::StepError;
use crate::store::{self, Inserted};

/// How many candidates [`unique`] tries before giving up.
pub const MAX_CANDIDATES: u32 = 64;

/// The number of `kind` issued under `idempotency_key`: the remembered one
/// on a retry, else the first `candidate(0)`, `candidate(1)` … that no
/// other idempotency key holds. A transient error if the store is down or
/// every candidate is taken.
pub fn unique(
    kind: &str,
    idempotency_key: &str,
    mut candidate: impl FnMut(u32) -> String,
) -> Result<String, StepError> {
    let issued_key = format!("issued/{kind}/{idempotency_key}");
    if let Some(number) = store::get_text(&issued_key)? {
        return Ok(number);
    }
    for salt in 0..MAX_CANDIDATES {
        let number = candidate(salt);
        let number_key = format!("number/{kind}/{number}");
        if store::reserve(&number_key, idempotency_key)?.is_some() {
            continue;
        }
        match store::insert_new(&issued_key, number.as_bytes())? {
            Inserted::Set => return Ok(number),
            Inserted::Held(first) => {
                // A concurrent attempt of the same step issued first: keep
                // its number and free ours.
                store::delete(&number_key)?;
                return Ok(String::from_utf8_lossy(&first).into_owned());
            }
        }
    }
    Err(StepError::transient(format!(
        "no free {kind} number after {MAX_CANDIDATES} candidates"
    )))
}

/// A value of `kind` made once under `idempotency_key` and remembered (a
/// registration date, say): later attempts get the first value back.
pub fn remembered(
    kind: &str,
    idempotency_key: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StepError> {
    let key = format!("issued/{kind}/{idempotency_key}");
    if let Some(value) = store::get_text(&key)? {
        return Ok(value);
    }
    let value = make();
    Ok(match store::insert_new(&key, value.as_bytes())? {
        Inserted::Set => value,
        Inserted::Held(first) => String::from_utf8_lossy(&first).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit;

    #[test]
    fn same_key_same_number_other_key_other_number() {
        testkit::reset();
        let first = unique("cert", "app-1/s", |salt| format!("N{}", salt % 2));
        assert_eq!(first, Ok("N0".to_string()));
        assert_eq!(
            unique("cert", "app-1/s", |_| "other".into()),
            Ok("N0".to_string())
        );
        assert_eq!(
            unique("cert", "app-2/s", |salt| format!("N{}", salt % 2)),
            Ok("N1".to_string())
        );
        let exhausted = unique("cert", "app-3/s", |salt| format!("N{}", salt % 2));
        assert!(exhausted.is_err_and(|e| e.is_transient()));
        assert_eq!(
            testkit::stored_text("number/cert/N1").as_deref(),
            Some("app-2/s")
        );
    }

    #[test]
    fn remembers_values() {
        testkit::reset();
        assert_eq!(
            remembered("date", "k", || "2026-11-28".into()),
            Ok("2026-11-28".to_string())
        );
        assert_eq!(
            remembered("date", "k", || "2026-11-29".into()),
            Ok("2026-11-28".to_string())
        );
        testkit::fail_store(Some(crate::StoreError::Unavailable("down".into())));
        assert!(remembered("date", "k2", String::new).is_err_and(|e| e.is_transient()));
    }
}
