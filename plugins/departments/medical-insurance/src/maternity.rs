//! Step `maternity-benefit` (生育津贴申领): pays the insured mother's
//! maternity allowance to her bank card.
//!
//! Amount (Fujian): the employer's average monthly wage of last year ÷ 30
//! × the days of maternity leave (158 in Fujian: 98 national + 60
//! provincial), with the wage capped at [`WAGE_CAP`]. Rules: the mother
//! is insured and her ID number is valid and a woman's; the birth
//! certificate is one the health commission issued; the wage is at least
//! the local minimum wage; the bank card and branch are given.

use onething_sdk::ids::Sex;
use onething_sdk::{
    Fields, Outcome, Problems, Request, StepError, StepSpec, approve, hash, issue, log, reject,
};

/// Step id.
pub const STEP: &str = "maternity-benefit";

/// Maternity leave in Fujian, in days.
pub const LEAVE_DAYS: f64 = 158.0;

/// Highest monthly wage counted (300% of the city's average), CNY.
pub const WAGE_CAP: f64 = 27_801.0;

/// Xiamen's monthly minimum wage, CNY.
pub const MIN_WAGE: f64 = 2_265.0;

pub fn spec() -> StepSpec {
    StepSpec::new(STEP, "生育津贴申领", "Maternity allowance")
        .reads(
            "mother.insured",
            "确认母亲参加生育保险",
            "To confirm the mother has maternity insurance",
        )
        .reads(
            "mother.id_number",
            "核验申领人身份",
            "To verify the claimant's identity",
        )
        .reads(
            "mother.employer_average_wage",
            "按用人单位上年度职工月平均工资计发生育津贴",
            "The allowance follows the employer's average monthly wage of last year",
        )
        .reads("mother.bank_card", "发放生育津贴", "To pay the allowance")
        .reads("mother.bank_branch", "发放生育津贴", "To pay the allowance")
        .reads(
            "child.birth_certificate_number",
            "核验生育事实",
            "To verify the birth",
        )
        .writes("mother.maternity_benefit_amount")
        .time_limit_hours(72)
}

/// The allowance for a monthly wage, in CNY, rounded to the fen.
pub fn amount(wage: f64) -> f64 {
    (wage.min(WAGE_CAP) / 30.0 * LEAVE_DAYS * 100.0).round() / 100.0
}

pub fn check(f: Fields) -> Problems {
    let mut p = Problems::new();
    if let Some(mother) = p.take(f.require_resident_id("mother.id_number"))
        && mother.sex() != Sex::Female
    {
        p.field(
            "mother.id_number",
            "not-female",
            "生育津贴申领人应为产妇本人",
            "The allowance is claimed by the mother herself",
        );
    }
    if let Some(wage) = p.take(f.require_decimal("mother.employer_average_wage"))
        && wage < MIN_WAGE
    {
        p.field(
            "mother.employer_average_wage",
            "below-minimum-wage",
            format!("月平均工资低于本市最低工资标准（{MIN_WAGE} 元），请核对"),
            format!(
                "The average monthly wage is below Xiamen's minimum wage ({MIN_WAGE} yuan); please check it"
            ),
        );
    }
    p.take(f.require_text("mother.bank_card"));
    p.take(f.require_text("mother.bank_branch"));
    if let Some(number) = p
        .take(f.issued_text("child.birth_certificate_number"))
        .flatten()
        && !number.starts_with('Q')
    {
        p.field(
            "child.birth_certificate_number",
            "unknown-certificate",
            "出生医学证明编号无法识别",
            "The birth medical certificate number is not one the health commission issued",
        );
    }
    p
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let f = request.fields();
    if f.boolean("mother.insured") == Some(false) {
        return Ok(reject(
            "未参加生育保险，不能申领生育津贴",
            "The mother has no maternity insurance, so no allowance can be claimed",
        ));
    }
    let wage = f.decimal("mother.employer_average_wage").unwrap_or(0.0);
    let key = &request.idempotency_key;
    check(request.fields()).into_outcome(|| {
        let number = issue::unique("maternity-decision", key, |salt| {
            format!(
                "SY3502{}",
                hash::digits(&[key, "sy", &salt.to_string()], 10)
            )
        })?;
        let amount = amount(wage);
        log::info(
            "maternity benefit granted",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("mother.maternity_benefit_amount", amount)
            .document(
                "maternity-benefit-decision",
                number,
                "生育津贴核定通知书",
                "Maternity allowance decision",
            )
            .note(
                format!("生育津贴 {amount:.2} 元将于 10 个工作日内发放至申领人银行卡"),
                format!(
                    "The maternity allowance of {amount:.2} yuan is paid to the claimant's bank card within 10 working days"
                ),
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MedicalInsurance;
    use onething_sdk::{Value, testkit};

    fn valid() -> testkit::RequestBuilder {
        testkit::request(STEP)
            .field("mother.insured", true)
            .field("mother.id_number", "350203199003071527")
            .field("mother.employer_average_wage", 9_000.0)
            .field("mother.bank_card", "6222021001115556667")
            .field("mother.bank_branch", "中国工商银行厦门湖里支行")
            .field("child.birth_certificate_number", "Q350200482913")
    }

    #[test]
    fn computes_the_allowance() {
        assert_eq!(amount(9_000.0), 47_400.0);
        assert_eq!(amount(100_000.0), amount(WAGE_CAP));
        let outcome = testkit::handle::<MedicalInsurance>(valid().build()).expect("handled");
        let paid = outcome
            .approval()
            .and_then(|a| a.get("mother.maternity_benefit_amount"));
        assert_eq!(paid, Some(&Value::Decimal(47_400.0)));
    }

    #[test]
    fn refuses_the_uninsured_and_implausible_wages() {
        let r = valid().field("mother.insured", false).build();
        assert!(
            testkit::handle::<MedicalInsurance>(r)
                .expect("handled")
                .rejection()
                .is_some()
        );
        let r = valid()
            .field("mother.employer_average_wage", 800.0)
            .without("mother.bank_branch")
            .build();
        let outcome = testkit::handle::<MedicalInsurance>(r).expect("handled");
        assert!(outcome.has_field_problem("mother.employer_average_wage", "below-minimum-wage"));
        assert!(outcome.has_field_problem("mother.bank_branch", "missing"));
    }
}
