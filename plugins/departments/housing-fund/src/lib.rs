//! The housing provident fund management centre (住房公积金管理中心) as a
//! OneThing department.
//!
//! Step `employer-account` (单位住房公积金缴存登记): opens the new
//! employer's contribution account. Rules: the credit code is valid and
//! from a Xiamen registration authority; the enterprise has at least one
//! employee (an employer without staff need not open an account).
//!
//! The account is opened in the housing fund's system (`POST
//! {base_url}/employer-accounts`, with the step's idempotency key), which
//! issues the account number; an employer that has one already (409
//! `already-registered`) keeps it, so a re-run answers what the first run
//! did. The system's prefix is the configuration value `base_url`; the
//! host adds its credential.

use onething_sdk::{
    Department, Draft, Field, Fields, Manifest, Outcome, Problem, Problems, Request, StepError,
    StepSpec, approve, config, http, log,
};
use serde::Deserialize;

/// The department.
pub struct HousingFund;

/// Department id.
pub const DEPARTMENT: &str = "housing-fund";

/// Step id.
pub const STEP: &str = "employer-account";

/// Region-code prefix this centre covers (Xiamen).
pub const REGION_PREFIX: &str = "3502";

/// The configuration key holding the housing fund system's prefix
/// (`http://…/housing-fund/v1`).
pub const BASE_URL: &str = "base_url";

fn spec() -> StepSpec {
    StepSpec::new(
        STEP,
        "单位住房公积金缴存登记",
        "Employer's housing fund account",
    )
    .reads(
        "enterprise.uscc",
        "登记缴存单位",
        "To register the employer",
    )
    .reads(
        "enterprise.name",
        "登记缴存单位名称",
        "To register the employer's name",
    )
    .reads(
        "enterprise.employee_count",
        "核定缴存职工人数",
        "To set how many employees contribute",
    )
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
            "The enterprise was registered outside Xiamen: please open the account with the local housing fund centre",
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
            "An employer without employees need not open a housing fund account",
        );
    }
    p
}

impl Department for HousingFund {
    fn describe() -> Manifest {
        Manifest::new(
            DEPARTMENT,
            "厦门市住房公积金中心",
            "Xiamen Housing Provident Fund Centre",
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
        let uscc = f.text("enterprise.uscc").unwrap_or_default();
        let name = f.text("enterprise.name").unwrap_or_default();
        check_fields(request.fields()).into_outcome(|| {
            let account = open_account(&request.idempotency_key, uscc, name)?;
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
                    "Housing fund employer registration receipt",
                )
                .note(
                    "请于每月 15 日前为职工汇缴住房公积金，缴存比例 5%–12%",
                    "Pay your employees' housing fund contributions by the 15th of each month, at 5% to 12% of wages",
                ))
        })
    }
}

/// Open the employer's account in the housing fund system: the account
/// number it issued, or the one the employer already holds.
fn open_account(idempotency_key: &str, uscc: &str, name: &str) -> Result<String, StepError> {
    #[derive(Deserialize)]
    struct Opened {
        account_number: String,
    }
    let base = config::require_for(DEPARTMENT, BASE_URL)?;
    let response = http::post_json(
        format!("{}/employer-accounts", base.trim_end_matches('/')),
        &serde_json::json!({"uscc": uscc, "name": name}),
    )
    .idempotency_key(idempotency_key)
    .send()?;
    if let Some(number) = response.problem_member("already-registered", "number") {
        log::info(
            "employer had an account already",
            &[("step", STEP), ("number", &number)],
        );
        return Ok(number);
    }
    Ok(response
        .error_for_status()?
        .json::<Opened>()?
        .account_number)
}

onething_sdk::export!(HousingFund);

#[cfg(test)]
mod tests {
    use super::*;
    use onething_sdk::http::Method;
    use onething_sdk::testkit;

    const ACCOUNTS: &str = "http://systems.test/housing-fund/v1/employer-accounts";

    fn valid() -> testkit::RequestBuilder {
        // A trailing slash is tolerated.
        testkit::config(BASE_URL, "http://systems.test/housing-fund/v1/");
        testkit::request(STEP)
            .field("enterprise.uscc", "91350206MA2Y3K5P9T")
            .field("enterprise.name", "厦门鹭岛茶业有限公司")
            .field("enterprise.employee_count", 8i64)
    }

    fn account(outcome: &Outcome) -> Option<&str> {
        outcome
            .approval()
            .and_then(|a| a.text("housing_fund.employer_account_number"))
    }

    #[test]
    fn manifest_is_sound_against_the_dictionary() {
        testkit::assert_manifest_sound(&HousingFund::describe());
    }

    #[test]
    fn opens_the_account_the_system_numbers() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, ACCOUNTS).json(
            201,
            &serde_json::json!({"account_number": "HF000000000001"}),
        );
        let first = testkit::handle::<HousingFund>(valid().build()).expect("handled");
        assert_eq!(account(&first), Some("HF000000000001"));
        let sent = &testkit::http::requests()[0];
        assert_eq!(
            sent.header("idempotency-key"),
            Some("app-test/employer-account")
        );
        assert_eq!(
            sent.json::<serde_json::Value>(),
            serde_json::json!({"uscc": "91350206MA2Y3K5P9T", "name": "厦门鹭岛茶业有限公司"})
        );
    }

    #[test]
    fn an_employer_with_an_account_keeps_it() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, ACCOUNTS)
            .problem(409, "already-registered")
            .member("number", "HF000000000009");
        let outcome = testkit::handle::<HousingFund>(valid().attempt(2).build()).expect("handled");
        assert_eq!(account(&outcome), Some("HF000000000009"));
    }

    #[test]
    fn a_system_failing_is_transient_and_a_missing_base_url_permanent() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, ACCOUNTS).status(502);
        testkit::http::expect(Method::Post, ACCOUNTS).fail(testkit::http::Failure::Timeout);
        for _ in 0..2 {
            let err = testkit::handle::<HousingFund>(valid().build());
            assert!(err.is_err_and(|e| e.is_transient()));
        }
        let request = valid().build();
        testkit::unset_config(BASE_URL);
        let err = testkit::handle::<HousingFund>(request);
        assert!(
            matches!(&err, Err(StepError::Permanent(m)) if m.contains("`base_url`") && m.contains("housing-fund")),
            "{err:?}"
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
        assert!(testkit::http::requests().is_empty());
        assert_eq!(
            testkit::check::<HousingFund>(&testkit::request("x").build())[0].code,
            "unknown-step"
        );
        assert!(HousingFund::handle(testkit::request("x").build()).is_err());
    }
}
