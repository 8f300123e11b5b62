//! A test component for the host, not a department: a well-formed
//! department that also imports `wasi:http/types` (building a header map
//! for a request), as a JavaScript component built with componentize-js
//! without `-d http` does. The host grants departments no outgoing HTTP,
//! so it must refuse the component at load naming that import as not
//! granted, not as a contract mismatch. (Only the one constructor is
//! declared here; the linker upgrades it to the WASI release it knows.)

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

use onething_sdk::{
    Department, Field, Manifest, Material, Outcome, Problem, Request, StepError, StepSpec, approve,
};

/// The component.
pub struct WantsHttp;

impl Department for WantsHttp {
    fn describe() -> Manifest {
        Manifest::new("wants-http", "测试组件（非真实部门）", "1.0.0")
            .step(StepSpec::new("fetch", "取数（非真实事项）").writes("testkit.seen"))
    }

    fn check(_step: String, _fields: Vec<Field>, _materials: Vec<Material>) -> Vec<Problem> {
        Vec::new()
    }

    fn prefill(_step: String, _known: Vec<Field>) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        if request.step != "fetch" {
            return Err(StepError::unknown_step(&request.step));
        }
        drop(http::wasi::http::types::Fields::new());
        Ok(approve().field("testkit.seen", "fetched").into())
    }
}

onething_sdk::export!(WantsHttp);
