//! # onething-sdk
//!
//! Everything a department needs to ship its rules as a OneThing plugin: a
//! Wasm component implementing the `department` world of
//! `onething:matter@0.2.0` (the contract in `wit/0.2.0/matter.wit`).
//!
//! - [`Department`]: the trait a plugin implements (`describe`,
//!   `check(draft)`, `prefill(draft)`, `handle(request)`), and
//!   [`export!`], the one line of glue.
//! - The contract's types under friendly names ([`Manifest`],
//!   [`StepSpec`], [`Draft`], [`Request`], [`Field`], [`Value`], [`Item`],
//!   [`Date`], [`Text`], [`Problem`], [`Outcome`], [`StepError`] …), with
//!   builders ([`StepSpec::new`], [`approve`], [`Problems`]) and typed
//!   field access by dictionary key ([`Fields`], [`Materials`]).
//! - Every text for people in Chinese and English ([`Text`], [`text`]):
//!   the builders take both, and the host refuses a manifest missing one.
//! - Exact money ([`Money`], in fen) and list values ([`Value::Items`],
//!   [`Fields::texts`]).
//! - The host's imports: [`log`], [`clock`], [`store`] (whose
//!   `insert_new` says who holds a key, [`store::Inserted`]), [`config`]
//!   (the operator's configuration values and secrets) and [`http`] (a
//!   small client for the department's own system over wasi:http).
//! - Coded identifiers ([`ids`]: resident ID, unified social credit code,
//!   organization code, bank card, phone, postcode, with the host's rules
//!   and problem codes), stable hashing ([`hash`]) and idempotent, unique
//!   issuing ([`issue`]).
//! - [`testkit`] (native builds only): unit-test a department with
//!   `cargo test`, no host needed, its HTTP calls answered by mocks
//!   ([`testkit::http`]).
//!
//! ## A complete department
//!
//! ```
//! use onething_sdk::{approve, clock, config, http, issue, Department, Draft, Field, Manifest};
//! use onething_sdk::{Outcome, Problem, Problems, Request, StepError, StepSpec};
//!
//! pub struct Tax;
//!
//! #[derive(serde::Deserialize)]
//! struct Registered { taxpayer_number: String }
//!
//! impl Department for Tax {
//!     fn describe() -> Manifest {
//!         Manifest::new("tax", "国家税务总局厦门市税务局", "Xiamen Tax Bureau", "1.0.0").step(
//!             StepSpec::new("tax-registration", "税务登记", "Tax registration")
//!                 .reads("enterprise.uscc", "确定纳税人识别号", "To identify the taxpayer")
//!                 .reads_optional("enterprise.invoice_needed", "核定发票用量", "To set the invoice quota")
//!                 .writes("tax.registration_date")
//!                 .writes("tax.invoice_quota")
//!                 .time_limit_hours(4),
//!         )
//!     }
//!
//!     fn check(draft: Draft) -> Vec<Problem> {
//!         if draft.step != "tax-registration" {
//!             return vec![Problem::unknown_step(&draft.step)];
//!         }
//!         let mut problems = Problems::new();
//!         problems.take(draft.fields().issued_uscc("enterprise.uscc"));
//!         problems.into_vec()
//!     }
//!
//!     fn prefill(_draft: Draft) -> Vec<Field> {
//!         Vec::new()
//!     }
//!
//!     fn handle(request: Request) -> Result<Outcome, StepError> {
//!         let fields = request.fields();
//!         let mut problems = Problems::new();
//!         let uscc = problems.take(fields.require_uscc("enterprise.uscc"));
//!         let quota = if fields.boolean("enterprise.invoice_needed") == Some(true) { 25i64 } else { 0 };
//!         problems.into_outcome(|| {
//!             // The tax system issues the taxpayer number; the key makes
//!             // a retried attempt get the first answer again.
//!             let base = config::require_for("tax", "base_url")?;
//!             let registered: Registered = http::post_json(
//!                 format!("{base}/registrations"),
//!                 &serde_json::json!({"uscc": uscc, "name": "厦门鹭岛茶业有限公司"}),
//!             )
//!             .idempotency_key(&request.idempotency_key)
//!             .send_json()?;
//!             // Remember the registration date, so a retry on a later day
//!             // answers the first day.
//!             let date = issue::remembered("registration-date", &request.idempotency_key, || {
//!                 clock::today().to_string()
//!             })?;
//!             Ok(approve()
//!                 .field("tax.registration_date", onething_sdk::Date::parse(&date).unwrap_or(clock::today()))
//!                 .field("tax.invoice_quota", quota)
//!                 .document("tax-registration", registered.taxpayer_number, "税务登记回执", "Tax registration receipt"))
//!         })
//!     }
//! }
//!
//! onething_sdk::export!(Tax);
//!
//! // Natively, the test kit runs it without a host, its system mocked:
//! use onething_sdk::testkit;
//! testkit::pin_today(testkit::date("2026-11-28"));
//! testkit::config("base_url", "http://tax.test/tax/v1");
//! testkit::http::expect(http::Method::Post, "http://tax.test/tax/v1/registrations")
//!     .json(201, &serde_json::json!({"taxpayer_number": "TX000000000001"}));
//! let request = testkit::request("tax-registration").field("enterprise.uscc", "91350206MA2Y3K5P9T").build();
//! let outcome = testkit::handle::<Tax>(request).unwrap();
//! assert_eq!(outcome.approval().unwrap().get("tax.invoice_quota"), Some(&onething_sdk::Value::Integer(0)));
//! assert_eq!(outcome.approval().unwrap().documents[0].number, "TX000000000001");
//! testkit::http::verify();
//! ```
//!
//! Build it with `cargo build --release --target wasm32-wasip2` (crate
//! type `cdylib`); the result is a component the host loads directly.
//! See `docs/plugin-guide.md` for the whole walk-through.

pub mod clock;
pub mod config;
pub mod date;
mod fields;
pub mod hash;
pub mod http;
pub mod ids;
pub mod issue;
pub mod log;
mod manifest;
pub mod money;
mod outcome;
pub mod store;
mod text;
mod values;

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub mod testkit;

/// The wit-bindgen bindings of the `department` world of
/// `onething:matter@0.2.0`, generated from `wit/0.2.0` (the single source
/// of truth), with the wasi:http and wasi:io interfaces it imports.
/// Plugins use the friendly re-exports at the crate root instead.
#[allow(unsafe_code, missing_docs)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit/0.2.0",
        world: "department",
        // The world imports wasi:http/outgoing-handler, whose types (and
        // wasi:io's) are generated here too; `clocks-timezone` only lets
        // this wit-bindgen parse the wasi:cli package beside them.
        generate_all,
        features: ["clocks-timezone"],
        pub_export_macro: true,
        default_bindings_module: "onething_sdk::bindings",
        additional_derives: [PartialEq],
        // wasi:io's stream error holds a resource, which has no `==`.
        additional_derives_ignore: ["stream-error"],
    });
}

pub use bindings::exports::onething::matter::handler::Guest as Department;
pub use bindings::onething::matter::store::StoreError;
pub use bindings::onething::matter::types::{
    Approval, Date, Document, Draft, Field, FieldNeed, Item, Manifest, Material, MaterialNeed,
    Outcome, Problem, Request, StepError, StepSpec, Subject, Text, Ticket, Value,
};
pub use fields::{Fields, Materials};
pub use ids::Sex;
pub use manifest::DEFAULT_TIME_LIMIT_MINUTES;
pub use money::{Money, MoneyError};
pub use outcome::{Problems, approve, defer, needs_more, reject};
pub use text::text;

/// The version of the WIT package these bindings were generated from.
pub const WIT_VERSION: &str = "onething:matter@0.2.0";

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
