//! # onething-sdk
//!
//! Everything a department needs to ship its rules as a OneThing plugin: a
//! Wasm component implementing the `department` world of
//! `onething:matter@0.1.0` (the contract in `wit/0.1.0/matter.wit`).
//!
//! - [`Department`]: the trait a plugin implements (`describe`, `check`,
//!   `prefill`, `handle`), and [`export!`], the one line of glue.
//! - The contract's types under friendly names ([`Manifest`],
//!   [`StepSpec`], [`Request`], [`Field`], [`Value`], [`Date`],
//!   [`Problem`], [`Outcome`], [`StepError`] …), with builders
//!   ([`StepSpec::new`], [`approve`], [`Problems`]) and typed field access
//!   by dictionary key ([`Fields`], [`Materials`]).
//! - The host's imports: [`log`], [`clock`], [`store`].
//! - Coded identifiers ([`ids`]: resident ID, unified social credit code,
//!   organization code, bank card, phone, postcode, with the host's rules
//!   and problem codes), stable hashing ([`hash`]) and idempotent, unique
//!   issuing ([`issue`]).
//! - [`testkit`] (native builds only): unit-test a department with
//!   `cargo test`, no host needed.
//!
//! ## A complete department
//!
//! ```
//! use onething_sdk::{approve, clock, hash, store, Department, Field, Manifest, Material};
//! use onething_sdk::{Outcome, Problem, Problems, Request, StepError, StepSpec};
//!
//! pub struct Tax;
//!
//! impl Department for Tax {
//!     fn describe() -> Manifest {
//!         Manifest::new("tax", "国家税务总局厦门市税务局", "1.0.0").step(
//!             StepSpec::new("tax-registration", "税务登记")
//!                 .reads("enterprise.uscc", "确定纳税人识别号")
//!                 .reads_optional("enterprise.invoice_needed", "核定发票用量")
//!                 .writes("tax.registration_date")
//!                 .writes("tax.invoice_quota")
//!                 .time_limit_hours(4),
//!         )
//!     }
//!
//!     fn check(step: String, fields: Vec<Field>, _materials: Vec<Material>) -> Vec<Problem> {
//!         if step != "tax-registration" {
//!             return vec![Problem::unknown_step(&step)];
//!         }
//!         let mut problems = Problems::new();
//!         problems.take(onething_sdk::Fields::new(&fields).require_text("enterprise.uscc"));
//!         problems.into_vec()
//!     }
//!
//!     fn prefill(_step: String, _known: Vec<Field>) -> Vec<Field> {
//!         Vec::new()
//!     }
//!
//!     fn handle(request: Request) -> Result<Outcome, StepError> {
//!         let fields = request.fields();
//!         let mut problems = Problems::new();
//!         let uscc = problems.take(fields.require_text("enterprise.uscc"));
//!         let quota = if fields.boolean("enterprise.invoice_needed") == Some(true) { 25i64 } else { 0 };
//!         problems.into_outcome(|| {
//!             // Remember the registration date under the idempotency key, so
//!             // a retry answers what the first attempt answered.
//!             let today = clock::today().to_string();
//!             store::insert_new(&request.idempotency_key, today.as_bytes())?;
//!             let date = store::get_text(&request.idempotency_key)?.unwrap_or(today);
//!             let number = format!("TR{}", hash::digits(&[uscc.unwrap_or_default()], 8));
//!             Ok(approve()
//!                 .field("tax.registration_date", onething_sdk::Date::parse(&date).unwrap_or(clock::today()))
//!                 .field("tax.invoice_quota", quota)
//!                 .document("tax-registration", number, "税务登记回执"))
//!         })
//!     }
//! }
//!
//! onething_sdk::export!(Tax);
//!
//! // Natively, the test kit runs it without a host:
//! use onething_sdk::testkit;
//! testkit::pin_today(testkit::date("2026-11-28"));
//! let request = testkit::request("tax-registration").field("enterprise.uscc", "91350200MA34XB6J2C").build();
//! let outcome = testkit::handle::<Tax>(request).unwrap();
//! assert_eq!(outcome.approval().unwrap().get("tax.invoice_quota"), Some(&onething_sdk::Value::Integer(0)));
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` (crate
//! type `cdylib`); the result is a component the host loads directly.
//! See `docs/plugin-guide.md` for the whole walk-through.

pub mod clock;
pub mod date;
mod fields;
pub mod hash;
pub mod ids;
pub mod issue;
pub mod log;
mod manifest;
mod outcome;
pub mod store;
mod values;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub mod testkit;

/// The wit-bindgen bindings of the `department` world, generated from
/// `wit/` (the single source of truth). Plugins use the friendly
/// re-exports at the crate root instead.
#[allow(unsafe_code, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.1.0",
        world: "department",
        pub_export_macro: true,
        default_bindings_module: "onething_sdk::bindings",
        additional_derives: [PartialEq],
    });
}

pub use bindings::exports::onething::matter::handler::Guest as Department;
pub use bindings::onething::matter::store::StoreError;
pub use bindings::onething::matter::types::{
    Approval, Date, Document, Field, FieldNeed, Manifest, Material, MaterialNeed, Outcome, Problem,
    Request, StepError, StepSpec, Subject, Ticket, Value,
};
pub use fields::{Fields, Materials};
pub use ids::Sex;
pub use manifest::DEFAULT_TIME_LIMIT_MINUTES;
pub use outcome::{Problems, approve, defer, needs_more, reject};

/// The version of the WIT package these bindings were generated from.
pub const WIT_VERSION: &str = "onething:matter@0.1.0";

/// Export a type implementing [`Department`] as the component's `handler`.
/// A plugin's whole glue:
///
/// ```ignore
/// onething_sdk::export!(Health);
/// ```
///
/// For wasm32 it expands to the wit-bindgen export glue (with the bindings
/// of this crate); natively it only checks that the type implements
/// [`Department`], so the same crate unit-tests with `cargo test`.
#[macro_export]
macro_rules! export {
    ($ty:ident) => {
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export!($ty with_types_in $crate::bindings);
        #[cfg(not(target_arch = "wasm32"))]
        const _: () = {
            fn assert_department<T: $crate::Department>() {}
            let _ = assert_department::<$ty>;
        };
    };
}
