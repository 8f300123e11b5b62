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

use onething_sdk::{
    Date, Department, Field, Fields, Manifest, Material, Outcome, Problem, Problems, Request,
    StepError, StepSpec, approve, clock, issue, log,
};

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

fn spec() -> StepSpec {
    StepSpec::new(STEP, "新办纳税人税务登记及发票领用")
        .reads("enterprise.uscc", "以统一社会信用代码作为纳税人识别号")
        .reads("enterprise.name", "登记纳税人名称")
        .reads("legal_rep.id_number", "核验法定代表人身份（实名办税）")
        .reads_optional("enterprise.invoice_needed", "核定首次发票领用数量")
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
        let f = request.fields();
        let quota = if f.boolean("enterprise.invoice_needed") == Some(true) {
            FIRST_INVOICE_QUOTA
        } else {
            0
        };
        let taxpayer = f.text("enterprise.uscc").unwrap_or_default().to_owned();
        check_fields(request.fields()).into_outcome(|| {
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
                );
            if quota > 0 {
                approval = approval.note(format!(
                    "已核定每月领用增值税普通发票 {quota} 份，可通过电子税务局领用"
                ));
            }
            Ok(approval)
        })
    }
}

onething_sdk::export!(Tax);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::{Value, testkit};

    fn valid() -> testkit::RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::request(STEP)
            .field("enterprise.uscc", "91350206MA2Y3K5P9T")
            .field("enterprise.name", "厦门鹭岛茶业有限公司")
            .field("legal_rep.id_number", "350203199003071527")
            .field("enterprise.invoice_needed", true)
    }

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&Tax::describe());
    }

    #[test]
    fn registers_and_remembers_the_date() {
        let outcome = testkit::handle::<Tax>(valid().build()).expect("handled");
        let a = outcome.approval().expect("approved");
        assert_eq!(a.get("tax.invoice_quota"), Some(&Value::Integer(25)));
        assert_eq!(
            a.get("tax.registration_date"),
            Some(&Value::Date(testkit::date("2026-11-28")))
        );
        testkit::pin_today(testkit::date("2026-11-30"));
        let retry = testkit::handle::<Tax>(valid().attempt(2).build());
        let retry = retry.expect("handled");
        assert_eq!(
            retry
                .approval()
                .and_then(|a| a.get("tax.registration_date")),
            Some(&Value::Date(testkit::date("2026-11-28")))
        );
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
        let outcome = testkit::handle::<Tax>(valid().without("enterprise.invoice_needed").build());
        let quota = outcome
            .expect("handled")
            .approval()
            .and_then(|a| a.get("tax.invoice_quota"))
            .cloned();
        assert_eq!(quota, Some(Value::Integer(0)));
    }

    #[test]
    fn refuses_bad_and_foreign_codes() {
        let outcome = testkit::handle::<Tax>(
            valid()
                .field("enterprise.uscc", "9144030071526726XG")
                .build(),
        );
        assert!(
            outcome
                .expect("handled")
                .has_field_problem("enterprise.uscc", "not-local")
        );
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
        assert_eq!(
            Tax::check("x".into(), vec![], vec![])[0].code,
            "unknown-step"
        );
        assert!(Tax::handle(testkit::request("x").build()).is_err());
    }
}
