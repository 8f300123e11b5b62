//! The housing provident fund management centre (住房公积金管理中心) as a
//! OneThing department.
//!
//! Step `employer-account` (单位住房公积金缴存登记): opens the new
//! employer's contribution account. Rules: the credit code is valid and
//! from a Xiamen registration authority; the enterprise has at least one
//! employee (an employer without staff need not open an account). The
//! account number is `DW3502` + 10 digits, unique and the same on a retry.

use onething_sdk::{
    Department, Field, Fields, Manifest, Material, Outcome, Problem, Problems, Request, StepError,
    StepSpec, approve, hash, issue, log,
};

/// The department.
pub struct HousingFund;

/// Department id.
pub const DEPARTMENT: &str = "housing-fund";

/// Step id.
pub const STEP: &str = "employer-account";

/// Region-code prefix this centre covers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

fn spec() -> StepSpec {
    StepSpec::new(STEP, "单位住房公积金缴存登记")
        .reads("enterprise.uscc", "登记缴存单位")
        .reads("enterprise.name", "登记缴存单位名称")
        .reads("enterprise.employee_count", "核定缴存职工人数")
        .writes("housing_fund.employer_account_number")
        .time_limit_hours(8)
}

fn check_fields(f: Fields) -> Problems {
    let mut p = Problems::new();
    if let Some(uscc) = p.take(f.issued_uscc("enterprise.uscc")).flatten()
        && !uscc.get(2..8).is_some_and(|r| r.starts_with(REGION_PREFIX))
    {
        p.field(
            "enterprise.uscc",
            "not-local",
            "企业登记机关不在本市，请到所在地公积金中心开户",
        );
    }
    p.take(f.require_text("enterprise.name"));
    if let Some(count) = p.take(f.require_integer("enterprise.employee_count"))
        && count < 1
    {
        p.field(
            "enterprise.employee_count",
            "no-employees",
            "单位暂无职工的，无需办理住房公积金缴存登记",
        );
    }
    p
}

impl Department for HousingFund {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市住房公积金中心",
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
            let account = issue::unique("housing_fund.employer_account_number", key, |salt| {
                format!(
                    "DW{REGION_PREFIX}{}",
                    hash::digits(&[key, "dw", &salt.to_string()], 10)
                )
            })?;
            log::info(
                "employer account opened",
                &[("step", STEP), ("application", &request.application)],
            );
            Ok(approve()
                .field("housing_fund.employer_account_number", account.as_str())
                .document(
                    "housing-fund-registration",
                    account.as_str(),
                    "住房公积金单位缴存登记回执",
                )
                .note("请于每月 15 日前为职工汇缴住房公积金，缴存比例 5%–12%"))
        })
    }
}

onething_sdk::export!(HousingFund);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::testkit;

    fn valid() -> testkit::RequestBuilder {
        testkit::request(STEP)
            .field("enterprise.uscc", "91350206MA2Y3K5P9T")
            .field("enterprise.name", "厦门鹭岛茶业有限公司")
            .field("enterprise.employee_count", 8i64)
    }

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&HousingFund::describe());
    }

    #[test]
    fn opens_one_account_per_application() {
        let first = testkit::handle::<HousingFund>(valid().build()).expect("handled");
        let number = first
            .approval()
            .and_then(|a| a.text("housing_fund.employer_account_number"))
            .map(str::to_owned);
        let number = number.expect("issued");
        assert!(number.starts_with("DW3502") && number.len() == 16);
        let retry = testkit::handle::<HousingFund>(valid().attempt(2).build()).expect("handled");
        assert_eq!(
            retry
                .approval()
                .and_then(|a| a.text("housing_fund.employer_account_number")),
            Some(&*number)
        );
    }

    #[test]
    fn needs_employees() {
        let outcome = testkit::handle::<HousingFund>(
            valid().field("enterprise.employee_count", 0i64).build(),
        );
        assert!(
            outcome
                .expect("handled")
                .has_field_problem("enterprise.employee_count", "no-employees")
        );
        assert_eq!(
            HousingFund::check("x".into(), vec![], vec![])[0].code,
            "unknown-step"
        );
        assert!(HousingFund::handle(testkit::request("x").build()).is_err());
    }
}
