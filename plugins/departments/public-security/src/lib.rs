//! The public security bureau (公安局) as a OneThing department.
//!
//! Steps: `household-registration` (新生儿出生登记: enters the child in a
//! parent's household and issues the child's resident ID number) and
//! `seal-engraving` (印章刻制备案, for new enterprises). Rules live in
//! [`household`] and [`seal`]; [`region`] knows which places are ours;
//! [`registry`] is the household registry, the bureau's system, reached
//! at the configuration value `base_url`.

mod household;
mod region;
mod registry;
mod seal;

use onething_sdk::{Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError};

/// The department.
pub struct PublicSecurity;

/// Department id.
pub const DEPARTMENT: &str = "public-security";

impl Department for PublicSecurity {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市公安局",
            "Xiamen Public Security Bureau",
            env!("CARGO_PKG_VERSION"),
        )
        .step(household::spec())
        .step(seal::spec())
    }

    fn check(draft: Draft) -> Vec<Problem> {
        match draft.step.as_str() {
            household::STEP => household::check(draft.fields(), draft.materials()).into_vec(),
            seal::STEP => seal::check(draft.fields()).into_vec(),
            other => vec![Problem::unknown_step(other)],
        }
    }

    fn prefill(draft: Draft) -> Vec<Field> {
        match draft.step.as_str() {
            household::STEP => household::prefill(&draft),
            _ => Vec::new(),
        }
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        match request.step.as_str() {
            household::STEP => household::handle(&request),
            seal::STEP => seal::handle(&request),
            other => Err(StepError::unknown_step(other)),
        }
    }
}

onething_sdk::export!(PublicSecurity);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&PublicSecurity::describe());
    }

    #[test]
    fn unknown_steps_are_named() {
        assert_eq!(
            testkit::check::<PublicSecurity>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
        assert!(testkit::prefill::<PublicSecurity>(&testkit::request("x").build()).is_empty());
        assert!(PublicSecurity::handle(testkit::request("x").build()).is_err());
    }
}
