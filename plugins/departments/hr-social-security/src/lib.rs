//! The human resources and social security bureau (人力资源和社会保障局)
//! as a OneThing department.
//!
//! Step `social-security-card` (社会保障卡申领): issues the newborn's
//! social security card once he or she is enrolled in medical insurance.
//! Rules: the child's ID number is valid and registered in Xiamen; the
//! medical insurance number is one the healthcare security bureau issued
//! (`YB3502…`); a guardian's mobile number is given for collection notice.
//!
//! The child is enrolled in the social-insurance system (`POST
//! {base_url}/enrolments`, with the step's idempotency key), whose
//! enrolment number is the card's number; a child enrolled already (409
//! `already-registered`) keeps the number, so a re-run answers what the
//! first run did. The system's prefix is the configuration value
//! `base_url`; the host adds its credential.

use onething_sdk::{
    Department, Draft, Field, Fields, Manifest, Outcome, Problem, Problems, Request, StepError,
    StepSpec, approve, config, http, log,
};
use serde::Deserialize;

/// The department.
pub struct HrSocialSecurity;

/// Department id.
pub const DEPARTMENT: &str = "hr-social-security";

/// Step id.
pub const STEP: &str = "social-security-card";

/// Region-code prefix this bureau covers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

/// The configuration key holding the social-insurance system's prefix
/// (`http://…/social-insurance/v1`).
pub const BASE_URL: &str = "base_url";

fn spec() -> StepSpec {
    StepSpec::new(STEP, "社会保障卡申领", "Social security card")
        .reads(
            "child.id_number",
            "以公民身份号码制卡",
            "The card is made out to the resident ID number",
        )
        .reads("child.name", "卡面姓名", "The name on the card")
        .reads(
            "child.medical_insurance_number",
            "关联医保账户",
            "To link the medical insurance account",
        )
        .reads(
            "guardian.phone",
            "通知领卡",
            "To say when the card can be collected",
        )
        .writes("child.social_security_card_number")
        .time_limit_hours(48)
}

fn check_fields(f: Fields) -> Problems {
    let mut p = Problems::new();
    if let Some(child) = p.take(f.issued_resident_id("child.id_number")).flatten()
        && !child.region().starts_with(REGION_PREFIX)
    {
        p.field(
            "child.id_number",
            "not-local",
            "新生儿户籍不在本市，请在户籍地申领社会保障卡",
            "The newborn's household is not in Xiamen: please apply for the card where it is registered",
        );
    }
    p.take(f.require_text("child.name"));
    if let Some(number) = p
        .take(f.issued_text("child.medical_insurance_number"))
        .flatten()
        && !number.starts_with("YB")
    {
        p.field(
            "child.medical_insurance_number",
            "unknown-insurance",
            "医保参保编号无法识别，请先完成医保参保",
            "The medical insurance number is not one Xiamen issued: enrol in medical insurance first",
        );
    }
    p.take(f.require_text("guardian.phone"));
    p
}

impl Department for HrSocialSecurity {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市人力资源和社会保障局",
            "Xiamen Human Resources and Social Security Bureau",
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
        let child = request.fields().text("child.id_number").unwrap_or_default();
        check_fields(request.fields()).into_outcome(|| {
            let number = enrol(&request.idempotency_key, child)?;
            log::info("card issued", &[("step", STEP), ("application", &request.application)]);
            Ok(approve()
                .field("child.social_security_card_number", number.as_str())
                .document(
                    "social-security-card",
                    number.as_str(),
                    "社会保障卡",
                    "Social security card",
                )
                .note(
                    "社会保障卡将在 15 个工作日内制成，届时短信通知到指定网点领取；电子社保卡可即时申领",
                    "The card is made within 15 working days and a text message says where to collect it; the electronic card can be claimed at once",
                ))
        })
    }
}

/// Enrol the child in the social-insurance system: the enrolment number
/// it issued, or the one the child already holds.
fn enrol(idempotency_key: &str, id_number: &str) -> Result<String, StepError> {
    #[derive(Deserialize)]
    struct Enrolled {
        enrolment_number: String,
    }
    let base = config::require_for(DEPARTMENT, BASE_URL)?;
    let response = http::post_json(
        format!("{}/enrolments", base.trim_end_matches('/')),
        &serde_json::json!({"id_number": id_number}),
    )
    .idempotency_key(idempotency_key)
    .send()?;
    if let Some(number) = response.problem_member("already-registered", "number") {
        log::info(
            "child was enrolled already",
            &[("step", STEP), ("number", &number)],
        );
        return Ok(number);
    }
    Ok(response
        .error_for_status()?
        .json::<Enrolled>()?
        .enrolment_number)
}

onething_sdk::export!(HrSocialSecurity);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::http::Method;
    use onething_sdk::testkit;

    const ENROLMENTS: &str = "http://systems.test/social-insurance/v1/enrolments";

    fn valid() -> testkit::RequestBuilder {
        testkit::config(BASE_URL, "http://systems.test/social-insurance/v1");
        testkit::request(STEP)
            .field("child.id_number", "350206202610200021")
            .field("child.name", "林安然")
            .field("child.medical_insurance_number", "YB3502123456789012")
            .field("guardian.phone", "13906001234")
    }

    fn card(outcome: &Outcome) -> Option<&str> {
        outcome
            .approval()
            .and_then(|a| a.text("child.social_security_card_number"))
    }

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&HrSocialSecurity::describe());
    }

    #[test]
    fn the_card_number_is_the_systems_enrolment_number() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, ENROLMENTS).json(
            201,
            &serde_json::json!({"enrolment_number": "SI000000000001"}),
        );
        let first = testkit::handle::<HrSocialSecurity>(valid().build()).expect("handled");
        assert_eq!(card(&first), Some("SI000000000001"));
        let sent = &testkit::http::requests()[0];
        assert_eq!(
            sent.header("idempotency-key"),
            Some("app-test/social-security-card")
        );
        assert_eq!(
            sent.json::<serde_json::Value>(),
            serde_json::json!({"id_number": "350206202610200021"})
        );
        // A re-run after the child was enrolled gets the same number.
        testkit::http::expect(Method::Post, ENROLMENTS)
            .problem(409, "already-registered")
            .member("number", "SI000000000001");
        let again =
            testkit::handle::<HrSocialSecurity>(valid().attempt(3).build()).expect("handled");
        assert_eq!(card(&again), Some("SI000000000001"));
    }

    #[test]
    fn a_system_down_is_transient_a_missing_base_url_permanent() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, ENROLMENTS).status(503);
        let down = testkit::handle::<HrSocialSecurity>(valid().build());
        assert!(down.is_err_and(|e| e.is_transient()));
        testkit::http::expect(Method::Post, ENROLMENTS).fail(testkit::http::Failure::Denied);
        let denied = testkit::handle::<HrSocialSecurity>(valid().build());
        assert!(
            matches!(&denied, Err(StepError::Permanent(m)) if m.contains("outbound policy")),
            "{denied:?}"
        );
        let request = valid().build();
        testkit::unset_config(BASE_URL);
        let err = testkit::handle::<HrSocialSecurity>(request);
        assert!(
            matches!(&err, Err(StepError::Permanent(m)) if m.contains("`base_url`") && m.contains("hr-social-security")),
            "{err:?}"
        );
    }

    #[test]
    fn a_draft_need_not_hold_issued_fields_but_handling_does() {
        let draft = valid()
            .without("child.id_number")
            .without("child.medical_insurance_number")
            .build();
        assert!(testkit::check::<HrSocialSecurity>(&draft).is_empty());
        let outcome = testkit::handle::<HrSocialSecurity>(draft).expect("handled");
        assert!(outcome.has_field_problem("child.id_number", "missing"));
        assert!(outcome.has_field_problem("child.medical_insurance_number", "missing"));
        assert!(testkit::http::requests().is_empty());
    }

    #[test]
    fn needs_insurance_first() {
        let r = valid()
            .field("child.medical_insurance_number", "X")
            .without("guardian.phone")
            .build();
        let outcome = testkit::handle::<HrSocialSecurity>(r).expect("handled");
        assert!(outcome.has_field_problem("child.medical_insurance_number", "unknown-insurance"));
        assert!(outcome.has_field_problem("guardian.phone", "missing"));
        assert!(HrSocialSecurity::handle(testkit::request("x").build()).is_err());
        assert_eq!(
            testkit::check::<HrSocialSecurity>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
    }
}
