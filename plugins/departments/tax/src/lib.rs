//! The tax bureau (税务局) as a OneThing department.
//!
//! Step `tax-registration` (新办纳税人涉税事项): confirms the taxpayer
//! (whose taxpayer identification number is its unified social credit
//! code), records the registration date and grants the first invoice
//! quota. Rules: the credit code is valid and from a Xiamen registration
//! authority; the legal representative's ID number is valid. A new
//! taxpayer that needs invoices gets 25 ordinary VAT invoices a month;
//! one that does not, none. The date is remembered, so a retry on a
//! later day still answers the first day.
//!
//! The taxpayer is registered in the tax system (`POST
//! {base_url}/registrations`, with the step's idempotency key); the
//! taxpayer number it issues is the notice's number. A taxpayer already
//! registered (409 `already-registered`) gets the number it holds, so a
//! re-run answers what the first run did. The system's prefix is the
//! configuration value `base_url`; the host adds its credential.

use onething_sdk::{
    Date, Department, Draft, Field, Fields, Manifest, Outcome, Problem, Problems, Request,
    StepError, StepSpec, approve, clock, config, http, issue, log,
};
use serde::Deserialize;

/// The department.
pub struct Tax;

/// Department id.
pub const DEPARTMENT: &str = "tax";

/// Step id.
pub const STEP: &str = "tax-registration";

/// Region-code prefix this bureau covers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

/// Invoices a new taxpayer may draw a month.
pub const FIRST_INVOICE_QUOTA: i64 = 25;

/// The configuration key holding the tax system's prefix
/// (`http://…/tax/v1`).
pub const BASE_URL: &str = "base_url";

fn spec() -> StepSpec {
    StepSpec::new(
        STEP,
        "新办纳税人税务登记及发票领用",
        "Tax registration of a new taxpayer and first invoices",
    )
    .reads(
        "enterprise.uscc",
        "以统一社会信用代码作为纳税人识别号",
        "The credit code is the taxpayer identification number",
    )
    .reads(
        "enterprise.name",
        "登记纳税人名称",
        "To register the taxpayer's name",
    )
    .reads(
        "legal_rep.id_number",
        "核验法定代表人身份（实名办税）",
        "To verify the legal representative (real-name tax filing)",
    )
    .reads_optional(
        "enterprise.invoice_needed",
        "核定首次发票领用数量",
        "To set the first invoice quota",
    )
    .writes("tax.registration_date")
    .writes("tax.invoice_quota")
    .time_limit_hours(4)
}

fn check_fields(f: Fields) -> Problems {
    let mut p = Problems::new();
    if let Some(uscc) = p.take(f.issued_uscc("enterprise.uscc")).flatten()
        && !uscc.get(2..8).is_some_and(|r| r.starts_with(REGION_PREFIX))
    {
        p.field(
            "enterprise.uscc",
            "not-local",
            "企业登记机关不在本市，请到主管税务机关办理",
            "The enterprise was registered outside Xiamen: please apply to its own tax bureau",
        );
    }
    p.take(f.require_text("enterprise.name"));
    p.take(f.require_resident_id("legal_rep.id_number"));
    p
}

impl Department for Tax {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "国家税务总局厦门市税务局",
            "Xiamen Tax Service, State Taxation Administration",
            env!("CARGO_PKG_VERSION"),
        )
        .step(spec())
    }

    fn check(draft: Draft) -> Vec<Problem> {
        match draft.step.as_str() {
            STEP => check_fields(draft.fields()).into_vec(),
            other => vec![Problem::unknown_step(other)],
        }
    }

    fn prefill(_draft: Draft) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        if request.step != STEP {
            return Err(StepError::unknown_step(&request.step));
        }
        let f = request.fields();
        let quota = if f.boolean("enterprise.invoice_needed") == Some(true) {
            FIRST_INVOICE_QUOTA
        } else {
            0
        };
        let uscc = f.text("enterprise.uscc").unwrap_or_default();
        let name = f.text("enterprise.name").unwrap_or_default();
        check_fields(request.fields()).into_outcome(|| {
            let taxpayer = register(&request.idempotency_key, uscc, name)?;
            let date = issue::remembered("registration-date", &request.idempotency_key, || {
                clock::today().to_string()
            })?;
            let date = Date::parse(&date)
                .ok_or_else(|| StepError::permanent("stored registration date unreadable"))?;
            log::info(
                "taxpayer registered",
                &[("step", STEP), ("application", &request.application)],
            );
            let mut approval = approve()
                .field("tax.registration_date", date)
                .field("tax.invoice_quota", quota)
                .document(
                    "tax-registration-notice",
                    taxpayer,
                    "税务事项通知书（新办纳税人）",
                    "Tax matters notice (new taxpayer)",
                );
            if quota > 0 {
                approval = approval.note(
                    format!("已核定每月领用增值税普通发票 {quota} 份，可通过电子税务局领用"),
                    format!(
                        "A quota of {quota} ordinary VAT invoices a month is granted; draw them through the electronic tax bureau"
                    ),
                );
            }
            Ok(approval)
        })
    }
}

/// Register the taxpayer in the tax system: the taxpayer number it
/// issued, or the one the taxpayer already holds.
fn register(idempotency_key: &str, uscc: &str, name: &str) -> Result<String, StepError> {
    #[derive(Deserialize)]
    struct Registered {
        taxpayer_number: String,
    }
    let base = config::require_for(DEPARTMENT, BASE_URL)?;
    let response = http::post_json(
        format!("{}/registrations", base.trim_end_matches('/')),
        &serde_json::json!({"uscc": uscc, "name": name}),
    )
    .idempotency_key(idempotency_key)
    .send()?;
    if let Some(number) = response.problem_member("already-registered", "number") {
        log::info(
            "taxpayer was registered already",
            &[("step", STEP), ("number", &number)],
        );
        return Ok(number);
    }
    Ok(response
        .error_for_status()?
        .json::<Registered>()?
        .taxpayer_number)
}

onething_sdk::export!(Tax);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::http::Method;
    use onething_sdk::{Value, testkit};

    const BASE: &str = "http://systems.test/tax/v1";
    const REGISTRATIONS: &str = "http://systems.test/tax/v1/registrations";

    fn valid() -> testkit::RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::config(BASE_URL, BASE);
        testkit::request(STEP)
            .field("enterprise.uscc", "91350206MA2Y3K5P9T")
            .field("enterprise.name", "厦门鹭岛茶业有限公司")
            .field("legal_rep.id_number", "350203199003071527")
            .field("enterprise.invoice_needed", true)
    }

    fn issues(number: &str) {
        testkit::http::expect(Method::Post, REGISTRATIONS)
            .json(201, &serde_json::json!({"taxpayer_number": number}));
    }

    fn notice_number(outcome: &Outcome) -> Option<&str> {
        outcome
            .approval()
            .and_then(|a| a.documents.first())
            .map(|d| d.number.as_str())
    }

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&Tax::describe());
    }

    #[test]
    fn registers_in_the_tax_system_and_remembers_the_date() {
        let _http = testkit::http::guard();
        issues("TX000000000001");
        let outcome = testkit::handle::<Tax>(valid().build()).expect("handled");
        let a = outcome.approval().expect("approved");
        assert_eq!(a.get("tax.invoice_quota"), Some(&Value::Integer(25)));
        assert_eq!(
            a.get("tax.registration_date"),
            Some(&Value::Date(testkit::date("2026-11-28")))
        );
        assert_eq!(notice_number(&outcome), Some("TX000000000001"));
        let sent = &testkit::http::requests()[0];
        assert_eq!(
            sent.header("idempotency-key"),
            Some("app-test/tax-registration")
        );
        assert_eq!(
            sent.json::<serde_json::Value>(),
            serde_json::json!({"uscc": "91350206MA2Y3K5P9T", "name": "厦门鹭岛茶业有限公司"})
        );
        assert_eq!(
            sent.header("authorization"),
            None,
            "the host adds the credential"
        );

        testkit::pin_today(testkit::date("2026-11-30"));
        issues("TX000000000001");
        let retry = testkit::handle::<Tax>(valid().attempt(2).build()).expect("handled");
        assert_eq!(
            retry
                .approval()
                .and_then(|a| a.get("tax.registration_date")),
            Some(&Value::Date(testkit::date("2026-11-28")))
        );
    }

    #[test]
    fn a_taxpayer_registered_already_keeps_its_number() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, REGISTRATIONS)
            .problem(409, "already-registered")
            .member("number", "TX000000000042");
        let outcome = testkit::handle::<Tax>(valid().build()).expect("handled");
        assert_eq!(notice_number(&outcome), Some("TX000000000042"));
    }

    #[test]
    fn a_system_down_is_transient_a_refusal_permanent() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, REGISTRATIONS).status(503);
        let down = testkit::handle::<Tax>(valid().build());
        assert!(down.is_err_and(|e| e.is_transient()));
        testkit::http::expect(Method::Post, REGISTRATIONS)
            .fail(testkit::http::Failure::ConnectionRefused);
        assert!(testkit::handle::<Tax>(valid().build()).is_err_and(|e| e.is_transient()));
        testkit::http::expect(Method::Post, REGISTRATIONS).problem(400, "bad-uscc");
        let refused = testkit::handle::<Tax>(valid().build());
        assert!(
            matches!(&refused, Err(StepError::Permanent(m)) if m.contains("400 bad-uscc")),
            "{refused:?}"
        );
        assert!(
            testkit::stored_keys().is_empty(),
            "no date remembered before the registration"
        );
    }

    #[test]
    fn a_missing_base_url_is_permanent_and_named() {
        let request = valid().build();
        testkit::unset_config(BASE_URL);
        let err = testkit::handle::<Tax>(request);
        assert!(
            matches!(&err, Err(StepError::Permanent(m)) if m.contains("base_url") && m.contains("tax")),
            "{err:?}"
        );
        assert!(testkit::http::requests().is_empty());
    }

    #[test]
    fn a_draft_need_not_hold_the_credit_code() {
        assert!(testkit::check::<Tax>(&valid().without("enterprise.uscc").build()).is_empty());
        let bad = valid()
            .field("enterprise.uscc", "91350206MA2Y3K5P9U")
            .build();
        assert_eq!(testkit::check::<Tax>(&bad)[0].code, "bad-check-digit");
    }

    #[test]
    fn no_invoices_unless_asked() {
        issues("TX000000000003");
        let outcome = testkit::handle::<Tax>(valid().without("enterprise.invoice_needed").build());
        let outcome = outcome.expect("handled");
        let a = outcome.approval().expect("approved");
        assert_eq!(a.get("tax.invoice_quota"), Some(&Value::Integer(0)));
        assert_eq!(a.note, None);
    }

    #[test]
    fn refuses_bad_and_foreign_codes_without_calling_the_system() {
        let outcome = testkit::handle::<Tax>(
            valid()
                .field("enterprise.uscc", "9144030071526726XG")
                .build(),
        );
        let outcome = outcome.expect("handled");
        assert!(outcome.has_field_problem("enterprise.uscc", "not-local"));
        assert!(outcome.problems()[0].message.en.contains("outside Xiamen"));
        let outcome = testkit::handle::<Tax>(
            valid()
                .field("enterprise.uscc", "91350206MA2Y3K5P9U")
                .build(),
        );
        assert!(
            outcome
                .expect("handled")
                .has_field_problem("enterprise.uscc", "bad-check-digit")
        );
        assert!(testkit::http::requests().is_empty());
        assert_eq!(
            testkit::check::<Tax>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
        assert!(Tax::handle(testkit::request("x").build()).is_err());
    }
}
