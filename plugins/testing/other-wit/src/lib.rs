//! Test component: a "health" department built against a different
//! version of the contract (`wit/matter.wit` here is a made-up onething:matter@0.9.0).
//! It is otherwise well formed, so the only reason to refuse it is the
//! contract.

wit_bindgen::generate!({
    path: "wit",
    world: "department",
});

use exports::onething::matter::handler::Guest;
use onething::matter::types::{Field, Manifest, Outcome, Request, StepError};

struct OtherWit;

impl Guest for OtherWit {
    fn describe() -> Manifest {
        Manifest {
            department: "health".into(),
            name: "Health (next contract)".into(),
            version: "2.0.0".into(),
        }
    }

    fn check(_step: String, _fields: Vec<Field>) -> Vec<String> {
        Vec::new()
    }

    fn handle(request: Request, _context: String) -> Result<Outcome, StepError> {
        Ok(Outcome {
            outputs: request.fields,
        })
    }
}

export!(OtherWit);
