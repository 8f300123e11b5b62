//! Step `newborn-enrolment` (新生儿城乡居民医保参保登记): enrols the
//! newborn in Xiamen's urban and rural residents' medical insurance.
//!
//! Rules: the child's ID number is valid and registered in Xiamen; the
//! mother's ID number is valid. A child enrolled within 90 days of birth
//! is covered from the date of birth (the note says so); later, from the
//! day after the premium is paid.

use onething_sdk::{
    Fields, Outcome, Problems, Request, StepError, StepSpec, approve, clock, hash, issue, log, text,
};

use crate::REGION_PREFIX;

/// Step id.
pub const STEP: &str = "newborn-enrolment";

/// Enrolled within this many days of birth: covered from birth.
const COVER_FROM_BIRTH_DAYS: i64 = 90;

pub fn spec() -> StepSpec {
    StepSpec::new(
        STEP,
        "新生儿城乡居民医保参保登记",
        "Newborn's enrolment in residents' medical insurance",
    )
    .reads(
        "child.id_number",
        "以新生儿公民身份号码建立参保档案",
        "To open the insurance record under the newborn's ID number",
    )
    .reads("child.name", "登记参保人姓名", "The insured person's name")
    .reads(
        "mother.id_number",
        "关联母亲参保信息，核定待遇起始日",
        "To link the mother's insurance and set when cover starts",
    )
    .reads(
        "insurance.address",
        "确定参保所属街道（乡镇）",
        "To find the insured person's sub-district",
    )
    .reads(
        "guardian.phone",
        "通知缴费及待遇信息",
        "To tell the guardian about premiums and cover",
    )
    .writes("child.medical_insurance_number")
    .time_limit_hours(24)
}

pub fn check(f: Fields) -> Problems {
    let mut p = Problems::new();
    if let Some(child) = p.take(f.issued_resident_id("child.id_number")).flatten() {
        if !child.region().starts_with(REGION_PREFIX) {
            p.field(
                "child.id_number",
                "not-local",
                "新生儿户籍不在本市，请在户籍地参保",
                "The newborn's household is not in Xiamen: please enrol where it is registered",
            );
        }
        if child.birth_date() > clock::today() {
            p.field(
                "child.id_number",
                "future-date",
                "公民身份号码中的出生日期晚于今天",
                "The birth date in the resident ID number is later than today",
            );
        }
    }
    p.take(f.require_text("child.name"));
    p.take(f.require_resident_id("mother.id_number"));
    if let Some(address) = p.take(f.require_text("insurance.address"))
        && !address.contains("厦门")
        && !address.contains("区")
    {
        p.field(
            "insurance.address",
            "address-not-local",
            "参保地址应填写本市具体街道（乡镇）地址",
            "Give an address in Xiamen, down to the sub-district",
        );
    }
    p.take(f.require_text("guardian.phone"));
    p
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let key = &request.idempotency_key;
    let birth = request
        .fields()
        .require_resident_id("child.id_number")
        .ok()
        .map(|id| id.birth_date());
    check(request.fields()).into_outcome(|| {
        let number = issue::unique("child.medical_insurance_number", key, |salt| {
            format!(
                "YB{REGION_PREFIX}{}",
                hash::digits(&[key, "yb", &salt.to_string()], 12)
            )
        })?;
        let today = clock::today();
        let note = match birth {
            Some(b) if b.days_until(&today) <= COVER_FROM_BIRTH_DAYS => text(
                format!("已参保。出生 90 天内参保缴费，医保待遇自出生之日（{b}）起享受"),
                format!("Enrolled. Enrolled within 90 days of birth, the child is covered from the date of birth ({b})"),
            ),
            _ => text(
                "已参保。出生超过 90 天参保，医保待遇自缴费次日起享受",
                "Enrolled. Enrolled more than 90 days after birth, the child is covered from the day after the premium is paid",
            ),
        };
        log::info(
            "newborn enrolled",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("child.medical_insurance_number", number.as_str())
            .document(
                "medical-insurance-enrolment",
                number.as_str(),
                "城乡居民医保参保登记凭证",
                "Residents' medical insurance enrolment certificate",
            )
            .note_text(note))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MedicalInsurance;
    use onething_sdk::testkit;

    fn valid() -> testkit::RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::request(STEP)
            .field("child.id_number", "350206202610200021")
            .field("child.name", "林安然")
            .field("mother.id_number", "350203199003071527")
            .field("insurance.address", "厦门市湖里区金山街道")
            .field("guardian.phone", "13906001234")
    }

    #[test]
    fn enrols_and_covers_from_birth() {
        let outcome = testkit::handle::<MedicalInsurance>(valid().build()).expect("handled");
        let a = outcome.approval().expect("approved");
        assert!(
            a.text("child.medical_insurance_number")
                .is_some_and(|n| n.starts_with("YB3502") && n.len() == 18)
        );
        assert!(a.note.as_ref().is_some_and(|n| n.zh.contains("2026-10-20")
            && n.en.contains("covered from the date of birth (2026-10-20)")));
    }

    #[test]
    fn late_enrolment_is_covered_from_payment() {
        let r = valid().build();
        testkit::pin_today(testkit::date("2027-03-01"));
        let outcome = testkit::handle::<MedicalInsurance>(r).expect("handled");
        assert!(
            outcome
                .approval()
                .and_then(|a| a.note.as_ref())
                .is_some_and(|n| n.zh.contains("缴费次日") && n.en.contains("after the premium"))
        );
    }

    #[test]
    fn a_draft_need_not_hold_the_child_id() {
        assert!(
            testkit::check::<MedicalInsurance>(&valid().without("child.id_number").build())
                .is_empty()
        );
    }

    #[test]
    fn refuses_children_registered_elsewhere() {
        let r = valid()
            .field("child.id_number", "350102202610200020")
            .build();
        let outcome = testkit::handle::<MedicalInsurance>(r).expect("handled");
        assert!(outcome.has_field_problem("child.id_number", "not-local"));
    }
}
