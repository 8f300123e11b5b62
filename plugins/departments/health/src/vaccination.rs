//! Step `vaccination-record` (预防接种证建档): opens the newborn's
//! immunisation record at the community vaccination clinic, once the birth
//! medical certificate exists.
//!
//! Rules: the certificate number is one this health commission issues
//! (`Q350200…`); the child is under one year old (later records are
//! opened at the clinic in person); a guardian's mobile number is given
//! for appointment reminders.

use onething_sdk::{
    Fields, Outcome, Problems, Request, StepError, StepSpec, approve, clock, hash, issue, log,
};

/// Step id.
pub const STEP: &str = "vaccination-record";

pub fn spec() -> StepSpec {
    StepSpec::new(STEP, "预防接种证建档", "Vaccination record")
        .reads(
            "child.name",
            "建立预防接种档案",
            "To open the vaccination record",
        )
        .reads(
            "child.birth_date",
            "按出生日期排定免疫程序",
            "To schedule the vaccinations by age",
        )
        .reads(
            "child.birth_certificate_number",
            "关联出生医学证明",
            "To link the birth medical certificate",
        )
        .reads(
            "guardian.phone",
            "发送接种预约提醒",
            "To send vaccination appointment reminders",
        )
        .writes("child.vaccination_record_number")
        .time_limit_hours(24)
}

pub fn check(f: Fields) -> Problems {
    let mut p = Problems::new();
    p.take(f.require_text("child.name"));
    p.take(f.require_text("guardian.phone"));
    if let Some(number) = p
        .take(f.issued_text("child.birth_certificate_number"))
        .flatten()
        && !number.starts_with('Q')
    {
        p.field(
            "child.birth_certificate_number",
            "unknown-certificate",
            "出生医学证明编号无法识别",
            "The birth medical certificate number is not one we issued",
        );
    }
    if let Some(birth) = p.take(f.require_date("child.birth_date"))
        && birth.add_months(12) <= clock::today()
    {
        p.field(
            "child.birth_date",
            "too-old",
            "儿童已满一周岁，请到接种门诊现场建档",
            "The child is one year old or more: please open the record at the vaccination clinic in person",
        );
    }
    p
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    check(request.fields()).into_outcome(|| {
        let number = issue::unique(
            "child.vaccination_record_number",
            &request.idempotency_key,
            |salt| {
                format!(
                    "JZ350200{}",
                    hash::digits(&[&request.idempotency_key, "jz", &salt.to_string()], 8)
                )
            },
        )?;
        log::info(
            "vaccination record opened",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("child.vaccination_record_number", number.as_str())
            .document(
                "vaccination-certificate",
                number.as_str(),
                "预防接种证",
                "Vaccination certificate",
            )
            .note(
                "请按预约短信时间携带预防接种证到社区接种门诊接种",
                "Bring the vaccination certificate to the community clinic at the time the text message gives",
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Health;
    use onething_sdk::testkit;

    #[test]
    fn opens_a_record() {
        testkit::pin_today(testkit::date("2026-11-28"));
        let r = testkit::request(STEP)
            .field("child.name", "林安然")
            .field("child.birth_date", testkit::date("2026-10-20"))
            .field("child.birth_certificate_number", "Q350200123456")
            .field("guardian.phone", "13906001234")
            .build();
        let outcome = testkit::handle::<Health>(r).expect("handled");
        let number = outcome
            .approval()
            .and_then(|a| a.text("child.vaccination_record_number"));
        assert!(number.is_some_and(|n| n.starts_with("JZ350200") && n.len() == 16));
    }

    #[test]
    fn refuses_unknown_certificates_and_older_children() {
        testkit::pin_today(testkit::date("2026-11-28"));
        let r = testkit::request(STEP)
            .field("child.name", "林安然")
            .field("child.birth_date", testkit::date("2025-11-28"))
            .field("child.birth_certificate_number", "X1")
            .build();
        let outcome = testkit::handle::<Health>(r).expect("handled");
        assert!(outcome.has_field_problem("child.birth_date", "too-old"));
        assert!(outcome.has_field_problem("child.birth_certificate_number", "unknown-certificate"));
        assert!(outcome.has_field_problem("guardian.phone", "missing"));
    }
}
