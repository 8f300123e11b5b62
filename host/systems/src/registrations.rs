//! The three registries that issue a number for a person or an
//! enterprise: social-insurance enrolment (人社参保), tax registration
//! (税务登记) and the housing fund's employer accounts (住房公积金单位
//! 账户). Each checks the identifiers it is given with the one rule set
//! (`onething-idcodes`), issues each subject one number (a second
//! registration of the same subject answers 409 with the number it
//! holds), and is idempotent under `Idempotency-Key`.
//!
//! - `POST /social-insurance/v1/enrolments`: `{id_number, employer_uscc?}`
//!   → `{enrolment_number}`.
//! - `POST /tax/v1/registrations`: `{uscc, name}` → `{taxpayer_number}`.
//! - `POST /housing-fund/v1/employer-accounts`: `{uscc, name}` →
//!   `{account_number}`.

use std::collections::HashMap;

use onething_idcodes::{resident_id, uscc};
use serde::Deserialize;

use crate::idempotency::Ledger;
use crate::problem::Problem;

/// An enrolment in social insurance.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrolment {
    /// The insured person.
    pub id_number: String,
    /// The employer, if employed.
    #[serde(default)]
    pub employer_uscc: Option<String>,
}

/// An enterprise's registration (tax, housing fund).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enterprise {
    /// The unified social credit code.
    pub uscc: String,
    /// The enterprise's name.
    pub name: String,
}

/// One numbering registry: subject → number, and its ledger.
#[derive(Debug)]
pub struct Numbers {
    prefix: &'static str,
    issued: HashMap<String, String>,
    next: u64,
    /// Answers given under each Idempotency-Key.
    pub ledger: Ledger,
}

impl Numbers {
    /// A registry issuing `prefix` followed by a 12-digit sequence.
    pub fn new(prefix: &'static str) -> Numbers {
        Numbers {
            prefix,
            issued: HashMap::new(),
            next: 0,
            ledger: Ledger::default(),
        }
    }

    /// Issues `subject` its number, or answers 409 with the one it holds.
    pub fn issue(&mut self, subject: &str) -> Result<String, Problem> {
        if let Some(number) = self.issued.get(subject) {
            return Err(Problem::conflict(
                "already-registered",
                "this subject is registered already",
            )
            .with("number", number.clone()));
        }
        self.next += 1;
        let number = format!("{}{:012}", self.prefix, self.next);
        self.issued.insert(subject.to_owned(), number.clone());
        Ok(number)
    }

    /// How many numbers were issued.
    pub fn count(&self) -> usize {
        self.issued.len()
    }
}

/// The enrolment's subject, its identifiers checked.
pub fn enrolment_subject(e: &Enrolment) -> Result<String, Problem> {
    resident_id::validate(&e.id_number)
        .map_err(|err| Problem::refused("bad-id-number", format!("id_number: {err}")))?;
    if let Some(employer) = &e.employer_uscc {
        uscc::validate(employer)
            .map_err(|err| Problem::refused("bad-uscc", format!("employer_uscc: {err}")))?;
    }
    Ok(e.id_number.clone())
}

/// The enterprise's subject, its code checked and its name present.
pub fn enterprise_subject(e: &Enterprise) -> Result<String, Problem> {
    uscc::validate(&e.uscc).map_err(|err| Problem::refused("bad-uscc", format!("uscc: {err}")))?;
    if e.name.trim().is_empty() {
        return Err(Problem::refused("bad-name", "name is empty"));
    }
    Ok(e.uscc.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_per_subject() {
        let mut n = Numbers::new("SI");
        let a = n.issue("350206198811230519").expect("issued");
        assert_eq!(a, "SI000000000001");
        let e = n.issue("350206198811230519").expect_err("twice");
        assert_eq!(e.code(), "already-registered");
        assert!(format!("{e:?}").contains(&a));
        assert_eq!(
            n.issue("350203199003071527").ok().as_deref(),
            Some("SI000000000002")
        );
        assert_eq!(n.count(), 2);
    }

    #[test]
    fn identifiers_are_checked_by_the_one_rule_set() {
        let bad = Enrolment {
            id_number: "350206198811230510".into(),
            employer_uscc: None,
        };
        assert_eq!(
            enrolment_subject(&bad).expect_err("bad").code(),
            "bad-id-number"
        );
        let bad_employer = Enrolment {
            id_number: "350206198811230519".into(),
            employer_uscc: Some("91350200MA2Y0XXX1A".into()),
        };
        assert_eq!(
            enrolment_subject(&bad_employer).expect_err("bad").code(),
            "bad-uscc"
        );
        let e = Enterprise {
            uscc: "nope".into(),
            name: "厦门鹭岛茶业有限公司".into(),
        };
        assert_eq!(enterprise_subject(&e).expect_err("bad").code(), "bad-uscc");
    }
}
