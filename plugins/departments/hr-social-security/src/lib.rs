//! The human resources and social security bureau (人力资源和社会保障局)
//! as a OneThing department.
//!
//! Step `social-security-card` (社会保障卡申领): issues the newborn's
//! social security card once he or she is enrolled in medical insurance.
//! Rules: the child's ID number is valid and registered in Xiamen; the
//! medical insurance number is one the healthcare security bureau issued
//! (`YB3502…`); a guardian's mobile number is given for collection notice.
//! The card number is 9 characters (a letter and 8 digits), unique and
//! the same on a retry.

use onething_sdk::{
    Department, Field, Fields, Manifest, Material, Outcome, Problem, Problems, Request, StepError,
    StepSpec, approve, hash, issue, log,
};

/// The department.
pub struct HrSocialSecurity;

/// Department id.
pub const DEPARTMENT: &str = "hr-social-security";

/// Step id.
pub const STEP: &str = "social-security-card";

/// Region-code prefix this bureau covers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

fn spec() -> StepSpec {
    StepSpec::new(STEP, "社会保障卡申领")
        .reads("child.id_number", "以公民身份号码制卡")
        .reads("child.name", "卡面姓名")
        .reads("child.medical_insurance_number", "关联医保账户")
        .reads("guardian.phone", "通知领卡")
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
            env!("CARGO_PKG_VERSION"),
        )
        .step(spec())
    }

    fn check(step: String, fields: Vec<Field>, _materials: Vec<Material>) -> Vec<Problem> {
        match step.as_str() {
            STEP => check_fields(Fields::draft(&fields)).into_vec(),
            other => vec![Problem::unknown_step(other)],
        }
    }

    fn prefill(_step: String, _known: Vec<Field>) -> Vec<Field> {
        Vec::new()
    }

    fn handle(request: Request) -> Result<Outcome, StepError> {
        if request.step != STEP {
            return Err(StepError::unknown_step(&request.step));
        }
        let key = &request.idempotency_key;
        check_fields(request.fields()).into_outcome(|| {
            let number = issue::unique("child.social_security_card_number", key, |salt| {
                let letter = char::from(b'A' + hash::below(&[key, "letter", &salt.to_string()], 26) as u8);
                format!("{letter}{}", hash::digits(&[key, "card", &salt.to_string()], 8))
            })?;
            log::info("card issued", &[("step", STEP), ("application", &request.application)]);
            Ok(approve()
                .field("child.social_security_card_number", number.as_str())
                .document("social-security-card", number.as_str(), "社会保障卡")
                .note("社会保障卡将在 15 个工作日内制成，届时短信通知到指定网点领取；电子社保卡可即时申领"))
        })
    }
}

onething_sdk::export!(HrSocialSecurity);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    fn valid() -> testkit::RequestBuilder {
        testkit::request(STEP)
            .field("child.id_number", "350206202610200021")
            .field("child.name", "林安然")
            .field("child.medical_insurance_number", "YB3502123456789012")
            .field("guardian.phone", "13906001234")
    }

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&HrSocialSecurity::describe());
    }

    #[test]
    fn issues_a_card_number_once() {
        let first = testkit::handle::<HrSocialSecurity>(valid().build()).expect("handled");
        let number = first
            .approval()
            .and_then(|a| a.text("child.social_security_card_number"))
            .map(str::to_owned);
        let number = number.expect("issued");
        assert_eq!(number.len(), 9);
        assert!(number.starts_with(|c: char| c.is_ascii_uppercase()));
        let again =
            testkit::handle::<HrSocialSecurity>(valid().attempt(3).build()).expect("handled");
        assert_eq!(
            again
                .approval()
                .and_then(|a| a.text("child.social_security_card_number")),
            Some(&*number)
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
            HrSocialSecurity::check("x".into(), vec![], vec![])[0].code,
            "unknown-step"
        );
    }
}
