//! Runs every test vector of `onething-idcodes` through the SDK's own entry
//! points (the `Fields` helpers, with a field holding the text, so the
//! problem code compared is the one a department would return; the
//! `ids::validate_*` functions where no helper exists) and requires the
//! verdict and code the vector gives. The host runs the same vectors
//! through its data dictionary, so the two cannot drift apart.
//!
//! Not for the rules themselves: those are tested in `onething-idcodes`.

use onething_idcodes::vectors::{Kind, VECTORS, Vector};
use onething_sdk::{Field, Fields, Problem, Value, ids};

const KEY: &str = "vector.value";

/// What the SDK's entry point for `v.kind` answers for `v.input`: `None`
/// if accepted, else the problem code.
fn sdk_verdict(v: &Vector) -> Option<String> {
    let fields = [Field {
        key: KEY.into(),
        value: Value::Text(v.input.into()),
    }];
    let f = Fields::new(&fields);
    let code = |r: Result<(), Problem>| {
        r.err().map(|p| {
            assert_eq!(p.field_key(), Some(KEY), "{p:?}");
            p.code
        })
    };
    let id_code = |r: Result<(), ids::IdError>| r.err().map(|e| e.code().to_owned());
    match v.kind {
        Kind::ResidentId => {
            let required = f.require_resident_id(KEY);
            if let Ok(id) = &required {
                assert_eq!(id.as_str(), v.input, "stored as typed");
            }
            // The optional helper answers the same.
            let optional = f.resident_id(KEY).map(|r| r.map(|_| ()));
            let required = code(required.map(|_| ()));
            assert_eq!(optional.map(code), Some(required.clone()), "{}", v.input);
            // And so does parsing directly.
            assert_eq!(
                id_code(ids::ResidentId::parse(v.input).map(|_| ())),
                required
            );
            required
        }
        Kind::Uscc => {
            let required = code(f.require_uscc(KEY).map(|_| ()));
            assert_eq!(id_code(ids::validate_uscc(v.input)), required);
            required
        }
        Kind::BankCard => {
            let required = code(f.require_bank_card(KEY).map(|_| ()));
            assert_eq!(id_code(ids::validate_bank_card(v.input)), required);
            required
        }
        Kind::OrgCode => id_code(ids::validate_org_code(v.input)),
        Kind::MobilePhone => id_code(ids::validate_mobile_phone(v.input)),
        Kind::PostalCode => id_code(ids::validate_postal_code(v.input)),
    }
}

#[test]
fn every_vector_gets_the_same_verdict_and_code_in_the_sdk() {
    assert!(VECTORS.len() >= 40);
    let mut failures = Vec::new();
    for v in VECTORS {
        let got = sdk_verdict(v);
        if got.as_deref() != v.expected {
            failures.push(format!(
                "{:?} {:?}: expected {:?}, the SDK says {got:?} ({})",
                v.kind, v.input, v.expected, v.about
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
