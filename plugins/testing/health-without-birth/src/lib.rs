//! Test component: department `health`, version 2.0.0, with only the
//! `vaccination-record` step. It is a sound component on its own; what
//! makes it unfit to serve is that a serving bundle (newborn) needs
//! `health/birth-certificate`, which this version dropped.

use onething_sdk::{
    Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError, StepSpec, approve,
};

/// The department.
pub struct HealthWithoutBirth;

const STEP: &str = "vaccination-record";

impl Department for HealthWithoutBirth {
    fn describe() -> Manifest {
        Manifest::new(
            "health",
            "厦门市卫生健康委员会",
            "Xiamen Municipal Health Commission",
            env!("CARGO_PKG_VERSION"),
        )
        .step(
            StepSpec::new(STEP, "预防接种证建档", "Vaccination record")
                .reads(
                    "child.name",
                    "建立预防接种档案",
                    "To open the vaccination record",
                )
                .reads(
                    "child.birth_date",
                    "按出生日期排定免疫程序",
                    "To schedule the vaccinations by age",
                )
                .writes("child.vaccination_record_number")
                .time_limit_hours(24),
        )
    }

    fn check(draft: Draft) -> Vec<Problem> {
        if draft.step == STEP {
            Vec::new()
        } else {
            vec![Problem::unknown_step(&draft.step)]
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        if request.step != STEP {
            return Err(StepError::unknown_step(&request.step));
        }
        Ok(approve()
            .field("child.vaccination_record_number", "JZ35020000000000")
            .into())
    }
}

onething_sdk::export!(HealthWithoutBirth);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    #[test]
    fn a_sound_manifest_without_the_birth_step() {
        let m = HealthWithoutBirth::describe();
        testkit::assert_manifest_sound(&m);
        assert_eq!(m.department, "health");
        assert!(m.steps.iter().all(|s| s.id != "birth-certificate"));
    }
}
