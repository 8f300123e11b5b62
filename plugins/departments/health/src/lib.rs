//! The health commission (卫生健康委员会) as a OneThing department.
//!
//! Steps: `birth-certificate` (出生医学证明签发: checks the newborn's and
//! parents' particulars, issues the certificate number) and
//! `vaccination-record` (预防接种证建档). The rules live in
//! [`birth`] and [`vaccination`]; this file only describes and dispatches.

mod birth;
mod vaccination;

use onething_sdk::{Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError};

/// The department.
pub struct Health;

/// Department id.
pub const DEPARTMENT: &str = "health";

impl Department for Health {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市卫生健康委员会",
            "Xiamen Municipal Health Commission",
            env!("CARGO_PKG_VERSION"),
        )
        .step(birth::spec())
        .step(vaccination::spec())
    }

    fn check(draft: Draft) -> Vec<Problem> {
        match draft.step.as_str() {
            birth::STEP => birth::check(draft.fields()).into_vec(),
            vaccination::STEP => vaccination::check(draft.fields()).into_vec(),
            other => vec![Problem::unknown_step(other)],
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        // The hospital's delivery record is not exposed to the platform.
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        match request.step.as_str() {
            birth::STEP => birth::handle(&request),
            vaccination::STEP => vaccination::handle(&request),
            other => Err(StepError::unknown_step(other)),
        }
    }
}

onething_sdk::export!(Health);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&Health::describe());
    }

    #[test]
    fn unknown_steps_are_named() {
        let problems = testkit::check::<Health>(&testkit::request("nope").build());
        assert_eq!(problems[0].code, "unknown-step");
        let err = Health::handle(testkit::request("nope").build());
        assert!(matches!(err, Err(StepError::Permanent(m)) if m.contains("nope")));
    }
}
