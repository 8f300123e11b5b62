//! A test component for the host, not a department: a well-formed
//! department of contract **0.1.0** that also imports `wasi:http/types`
//! (building a header map for a request), as a JavaScript component built
//! with componentize-js without `-d http` does. Contract 0.1.0 grants no
//! outgoing HTTP, so the host must refuse the component at load naming
//! that import as not granted, not as a contract mismatch. (Only the one
//! constructor is declared here; the linker upgrades it to the WASI
//! release it knows.)
//!
//! It speaks 0.1.0 through raw wit-bindgen bindings, not the SDK: the SDK
//! builds against 0.2.0, whose world grants wasi:http, which would take
//! away the point of this component.

#![allow(missing_docs)]

wit_bindgen::generate!({
    path: "../../../wit/0.1.0",
    world: "department",
});

mod http {
    wit_bindgen::generate!({
        inline: r#"
            package wasi:http@0.2.0;

            interface types {
                resource fields {
                    constructor();
                }
            }

            world fetcher {
                import types;
            }
        "#,
        world: "fetcher",
    });
}

use exports::onething::matter::handler::Guest;
use onething::matter::types::{
    Approval, Field, Manifest, Material, Outcome, Problem, Request, StepError, StepSpec, Value,
};

/// The component.
pub struct WantsHttp;

impl Guest for WantsHttp {
    fn describe() -> Manifest {
        Manifest {
            department: "wants-http".into(),
            name: "测试组件（非真实部门）".into(),
            version: "1.0.0".into(),
            steps: vec![StepSpec {
                id: "fetch".into(),
                title: "取数（非真实事项）".into(),
                reads: Vec::new(),
                writes: vec!["testkit.seen".into()],
                materials: Vec::new(),
                time_limit_minutes: 24 * 60,
            }],
        }
    }

    fn check(_step: String, _fields: Vec<Field>, _materials: Vec<Material>) -> Vec<Problem> {
        Vec::new()
    }

    fn prefill(_step: String, _known: Vec<Field>) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        if request.step != "fetch" {
            return Err(StepError::Permanent(format!(
                "unknown step {}",
                request.step
            )));
        }
        drop(http::wasi::http::types::Fields::new());
        Ok(Outcome::Approved(Approval {
            fields: vec![Field {
                key: "testkit.seen".into(),
                value: Value::Text("fetched".into()),
            }],
            documents: Vec::new(),
            note: None,
        }))
    }
}

export!(WantsHttp);
