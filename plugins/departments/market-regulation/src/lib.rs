//! The market regulation administration (市场监督管理局) as a OneThing
//! department.
//!
//! Step `business-licence` (企业设立登记): checks the proposed name, the
//! address and the legal representative, reserves the name in the
//! enterprise-name registry (reached at the configuration value
//! `base_url`), and issues the unified social credit code and the
//! business licence. Name rules live in [`name`], the step itself in
//! [`licence`].

mod licence;
mod name;

use onething_sdk::{Department, Draft, Field, Manifest, Outcome, Problem, Request, StepError};

/// The department.
pub struct MarketRegulation;

/// Department id.
pub const DEPARTMENT: &str = "market-regulation";

impl Department for MarketRegulation {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市市场监督管理局",
            "Xiamen Administration for Market Regulation",
            env!("CARGO_PKG_VERSION"),
        )
        .step(licence::spec())
    }

    fn check(draft: Draft) -> Vec<Problem> {
        match draft.step.as_str() {
            licence::STEP => {
                licence::check(draft.fields(), draft.materials(), draft.application()).into_vec()
            }
            other => vec![Problem::unknown_step(other)],
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        match request.step.as_str() {
            licence::STEP => licence::handle(&request),
            other => Err(StepError::unknown_step(other)),
        }
    }
}

onething_sdk::export!(MarketRegulation);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&MarketRegulation::describe());
    }

    #[test]
    fn unknown_steps_are_named() {
        assert_eq!(
            testkit::check::<MarketRegulation>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
        assert!(MarketRegulation::handle(testkit::request("x").build()).is_err());
    }
}
