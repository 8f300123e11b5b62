//! The healthcare security bureau (医疗保障局) as a OneThing department.
//!
//! Steps: `newborn-enrolment` (新生儿城乡居民医保参保登记) and
//! `maternity-benefit` (生育津贴申领). Rules live in [`enrolment`] and
//! [`maternity`].

mod enrolment;
mod maternity;

use onething_sdk::{Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError};

/// The department.
pub struct MedicalInsurance;

/// Department id.
pub const DEPARTMENT: &str = "medical-insurance";

/// Region-code prefix this bureau covers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

impl Department for MedicalInsurance {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市医疗保障局",
            "Xiamen Healthcare Security Bureau",
            env!("CARGO_PKG_VERSION"),
        )
        .step(enrolment::spec())
        .step(maternity::spec())
    }

    fn check(draft: Draft) -> Vec<Problem> {
        match draft.step.as_str() {
            enrolment::STEP => enrolment::check(draft.fields()).into_vec(),
            maternity::STEP => maternity::check(draft.fields()).into_vec(),
            other => vec![Problem::unknown_step(other)],
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        match request.step.as_str() {
            enrolment::STEP => enrolment::handle(&request),
            maternity::STEP => maternity::handle(&request),
            other => Err(StepError::unknown_step(other)),
        }
    }
}

onething_sdk::export!(MedicalInsurance);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&MedicalInsurance::describe());
    }

    #[test]
    fn unknown_steps_are_named() {
        assert_eq!(
            testkit::check::<MedicalInsurance>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
        assert!(MedicalInsurance::handle(testkit::request("x").build()).is_err());
    }
}
