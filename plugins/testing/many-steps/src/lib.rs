//! A test component for the host, not a department: `describe()` returns
//! [`STEPS`] steps with empty ids and titles. Counted as text alone that is
//! nothing; the host must count every step and refuse the manifest with a
//! small error, not a refusal listing every fault.

use onething_sdk::{
    Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError, StepSpec,
};

/// The component.
pub struct ManySteps;

/// How many steps `describe()` returns.
pub const STEPS: usize = 200_000;

impl Department for ManySteps {
    fn describe() -> Manifest {
        let mut manifest = Manifest::new(
            "many-steps",
            "测试组件（非真实部门）",
            "Test component (not a department)",
            "1.0.0",
        );
        manifest.steps = vec![StepSpec::new("", "", ""); STEPS];
        manifest
    }

    fn check(draft: Draft) -> Vec<Problem> {
        vec![Problem::unknown_step(&draft.step)]
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        Err(StepError::unknown_step(&request.step))
    }
}

onething_sdk::export!(ManySteps);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_many_empty_steps() {
        let m = ManySteps::describe();
        assert_eq!(m.steps.len(), STEPS);
        assert!(m.steps.iter().all(|s| s.id.is_empty()));
    }
}
