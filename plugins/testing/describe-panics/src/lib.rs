//! A test component for the host, not a department: `describe()` prints a
//! line to stderr and then panics with [`PANIC_MESSAGE`], as a department
//! with a bug in its manifest code would. The host must put the panic
//! message in the load error itself, not only in its log.

use onething_sdk::{Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError};

/// The component.
pub struct DescribePanics;

/// What `describe()` panics with.
pub const PANIC_MESSAGE: &str = "describe-panics: the manifest table is missing (on purpose)";

/// What `describe()` prints to stderr before panicking.
pub const STDERR_LINE: &str = "describe-panics: reading the manifest table";

impl Department for DescribePanics {
    fn describe() -> Manifest {
        eprintln!("{STDERR_LINE}");
        panic!("{PANIC_MESSAGE}")
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

onething_sdk::export!(DescribePanics);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "manifest table is missing")]
    fn describe_panics() {
        let _ = DescribePanics::describe();
    }
}
