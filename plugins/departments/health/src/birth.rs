//! Step `birth-certificate` (出生医学证明): the newborn's particulars and
//! the parents' identities, checked against the rules of the Maternal and
//! Infant Health Care Law's implementing measures as applied in Xiamen.
//!
//! Rules: the birth date is not in the future and the child is under six
//! months old (older children go through the supplementary-issue
//! procedure, off-line); the mother's ID number is valid and encodes a
//! woman; the father's, if given, is valid and encodes a man, and comes
//! with his name. The number issued is `Q350200` + 6 digits, derived from
//! the idempotency key so a retry issues the same certificate.

use onething_sdk::ids::Sex;
use onething_sdk::{
    Fields, Outcome, Problems, Request, StepError, StepSpec, approve, clock, hash, issue, log,
};

/// Step id.
pub const STEP: &str = "birth-certificate";

/// Issuing authority prefix: Xiamen (350200).
const PREFIX: &str = "Q350200";

/// Children older than this (in months) need the supplementary procedure.
const MAX_AGE_MONTHS: i32 = 6;

pub fn spec() -> StepSpec {
    StepSpec::new(STEP, "出生医学证明签发", "Birth medical certificate")
        .reads(
            "child.name",
            "填写出生医学证明上的新生儿姓名",
            "The newborn's name on the certificate",
        )
        .reads(
            "child.sex",
            "填写出生医学证明上的新生儿性别",
            "The newborn's sex on the certificate",
        )
        .reads(
            "child.birth_date",
            "核对出生日期，确认在六个月内申领",
            "To check the birth date is within six months",
        )
        .reads(
            "child.birth_place",
            "填写出生地点（助产机构）",
            "The place of birth (the maternity hospital)",
        )
        .reads(
            "mother.name",
            "填写母亲姓名",
            "The mother's name on the certificate",
        )
        .reads(
            "mother.id_number",
            "核验母亲身份",
            "To verify the mother's identity",
        )
        .reads_optional(
            "father.name",
            "填写父亲姓名",
            "The father's name on the certificate",
        )
        .reads_optional(
            "father.id_number",
            "核验父亲身份",
            "To verify the father's identity",
        )
        .writes("child.birth_certificate_number")
        .time_limit_hours(24)
}

pub fn check(f: Fields) -> Problems {
    let mut p = Problems::new();
    p.take(f.require_text("child.name"));
    p.take(f.require_text("child.sex"));
    p.take(f.require_text("child.birth_place"));
    p.take(f.require_text("mother.name"));

    let today = clock::today();
    let birth = p.take(f.require_date("child.birth_date"));
    if let Some(birth) = birth {
        if birth > today {
            p.field(
                "child.birth_date",
                "future-date",
                "出生日期不能晚于今天",
                "The birth date cannot be later than today",
            );
        } else if birth.add_months(MAX_AGE_MONTHS) <= today {
            p.field(
                "child.birth_date",
                "too-old",
                "新生儿出生已满六个月，请携带相关材料到助产机构办理出生医学证明补发手续",
                "The child is six months old or more: please apply for a late certificate at the maternity hospital, with the supporting documents",
            );
        }
    }

    if let Some(mother) = p.take(f.require_resident_id("mother.id_number")) {
        if mother.sex() != Sex::Female {
            p.field(
                "mother.id_number",
                "not-female",
                "母亲公民身份号码的性别位显示为男性，请核对",
                "The mother's resident ID number encodes a man; please check it",
            );
        }
        if let Some(birth) = birth {
            let age = mother.birth_date().years_until(&birth);
            if !(12..=60).contains(&age) {
                p.field(
                    "mother.id_number",
                    "implausible-age",
                    "按公民身份号码计算的母亲分娩年龄不合常理，请核对",
                    "The mother's age at the birth, from her ID number, is implausible; please check it",
                );
            }
        }
    }

    match (f.text("father.name"), f.resident_id("father.id_number")) {
        (_, Some(Err(problem))) => {
            p.push(problem);
        }
        (_, Some(Ok(father))) => {
            if father.sex() != Sex::Male {
                p.field(
                    "father.id_number",
                    "not-male",
                    "父亲公民身份号码的性别位显示为女性，请核对",
                    "The father's resident ID number encodes a woman; please check it",
                );
            }
            if f.text("father.name").is_none() {
                p.field(
                    "father.name",
                    "missing",
                    "已填写父亲公民身份号码，请同时填写父亲姓名",
                    "The father's ID number is given: please give his name too",
                );
            }
        }
        (Some(_), None) => {
            p.field(
                "father.id_number",
                "missing",
                "已填写父亲姓名，请同时填写父亲公民身份号码",
                "The father's name is given: please give his resident ID number too",
            );
        }
        (None, None) => {}
    }
    p
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let problems = check(request.fields());
    if !problems.is_empty() {
        log::info(
            "birth certificate needs more",
            &[("step", STEP), ("problems", &problems.len().to_string())],
        );
    }
    problems.into_outcome(|| {
        let number = issue::unique(
            "child.birth_certificate_number",
            &request.idempotency_key,
            |salt| {
                format!(
                    "{PREFIX}{}",
                    hash::digits(&[&request.idempotency_key, &salt.to_string()], 6)
                )
            },
        )?;
        log::info(
            "birth certificate issued",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("child.birth_certificate_number", number.as_str())
            .document(
                "birth-medical-certificate",
                number.as_str(),
                "出生医学证明",
                "Birth medical certificate",
            )
            .note(
                "出生医学证明已签发，请妥善保管，可凭证明编号办理户口登记",
                "The birth medical certificate is issued: keep it safe; its number registers the child's household",
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Health;
    use onething_sdk::testkit::{self, RequestBuilder};

    fn valid() -> RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::request(STEP)
            .field("child.name", "林安然")
            .field("child.sex", "female")
            .field("child.birth_date", testkit::date("2026-10-20"))
            .field("child.birth_place", "厦门市妇幼保健院")
            .field("mother.name", "陈静")
            .field("mother.id_number", "350203199003071527")
            .field("father.name", "林志远")
            .field("father.id_number", "350206198811230519")
    }

    #[test]
    fn issues_a_certificate_and_the_same_on_retry() {
        let outcome = testkit::handle::<Health>(valid().build()).expect("handled");
        let number = outcome
            .approval()
            .and_then(|a| a.text("child.birth_certificate_number"))
            .map(str::to_owned);
        let number = number.expect("issued");
        assert!(
            number.starts_with("Q350200") && number.len() == 13,
            "{number}"
        );
        let again = testkit::handle::<Health>(valid().attempt(2).build()).expect("handled");
        assert_eq!(
            again
                .approval()
                .and_then(|a| a.text("child.birth_certificate_number")),
            Some(number.as_str())
        );
        let other =
            testkit::handle::<Health>(valid().application("app-2").build()).expect("handled");
        assert_ne!(
            other
                .approval()
                .and_then(|a| a.text("child.birth_certificate_number")),
            Some(number.as_str())
        );
    }

    #[test]
    fn father_is_optional() {
        let r = valid()
            .without("father.name")
            .without("father.id_number")
            .build();
        assert!(testkit::handle::<Health>(r).expect("handled").is_approved());
    }

    #[test]
    fn reports_every_fault_at_once() {
        let r = valid()
            .field("child.birth_date", testkit::date("2026-05-27"))
            .field("mother.id_number", "350203199003071510")
            .field("father.id_number", "350206198811230519")
            .without("father.name")
            .without("child.birth_place")
            .build();
        let outcome = testkit::handle::<Health>(r).expect("handled");
        assert!(outcome.has_field_problem("child.birth_date", "too-old"));
        assert!(outcome.has_field_problem("mother.id_number", "bad-check-digit"));
        assert!(outcome.has_field_problem("father.name", "missing"));
        assert!(outcome.has_field_problem("child.birth_place", "missing"));
        assert!(testkit::stored_keys().is_empty(), "nothing issued");
    }

    #[test]
    fn six_months_is_the_limit() {
        let ok = valid()
            .field("child.birth_date", testkit::date("2026-05-29"))
            .build();
        assert!(
            testkit::handle::<Health>(ok)
                .expect("handled")
                .is_approved()
        );
        let old = valid()
            .field("child.birth_date", testkit::date("2026-05-28"))
            .build();
        assert!(
            testkit::handle::<Health>(old)
                .expect("handled")
                .has_field_problem("child.birth_date", "too-old")
        );
        let future = valid()
            .field("child.birth_date", testkit::date("2026-11-29"))
            .build();
        let outcome = testkit::handle::<Health>(future).expect("handled");
        assert!(outcome.has_field_problem("child.birth_date", "future-date"));
    }

    #[test]
    fn parents_sexes_follow_the_id_numbers() {
        let r = valid()
            .field("mother.id_number", "350206198811230519")
            .field("father.id_number", "350203199003071527")
            .build();
        let outcome = testkit::handle::<Health>(r).expect("handled");
        assert!(outcome.has_field_problem("mother.id_number", "not-female"));
        assert!(outcome.has_field_problem("father.id_number", "not-male"));
    }

    #[test]
    fn store_outage_is_transient() {
        let r = valid().build();
        testkit::fail_store(Some(onething_sdk::StoreError::Unavailable("db".into())));
        assert!(testkit::handle::<Health>(r).is_err_and(|e| e.is_transient()));
    }

    #[test]
    fn check_matches_handle_and_logs_no_values() {
        assert!(testkit::check::<Health>(&valid().build()).is_empty());
        let bad = valid().without("child.name").build();
        assert_eq!(testkit::check::<Health>(&bad).len(), 1);
        let _ = testkit::handle::<Health>(valid().build());
        for record in testkit::logs() {
            for (_, v) in &record.attributes {
                assert!(!v.contains("林") && !v.contains("3502031990"), "{v}");
            }
        }
    }
}
