//! Step `seal-engraving` (印章刻制备案): files the new enterprise's
//! official seals (company seal, finance seal, invoice seal) so a licensed
//! engraver may cut them.
//!
//! Rules: the enterprise's credit code is valid and was issued by a
//! Xiamen registration authority (region code starting with
//! [`crate::region::REGION_PREFIX`]); the legal representative's ID number
//! is valid and he or she is an adult.

use onething_sdk::{
    Fields, Outcome, Problems, Request, StepError, StepSpec, approve, clock, hash, issue, log,
};

use crate::region;

/// Step id.
pub const STEP: &str = "seal-engraving";

pub fn spec() -> StepSpec {
    StepSpec::new(STEP, "企业印章刻制备案", "Filing of the enterprise's seals")
        .reads(
            "enterprise.uscc",
            "备案印章所属企业",
            "The enterprise the seals belong to",
        )
        .reads(
            "enterprise.name",
            "核对印章印文",
            "To check the seals' text",
        )
        .reads(
            "legal_rep.name",
            "登记印章交付对象",
            "Who the seals are handed to",
        )
        .reads(
            "legal_rep.id_number",
            "核验法定代表人身份",
            "To verify the legal representative's identity",
        )
        .writes("enterprise.seal_record_number")
        .time_limit_hours(4)
}

pub fn check(f: Fields) -> Problems {
    let mut p = Problems::new();
    if let Some(uscc) = p.take(f.issued_uscc("enterprise.uscc")).flatten()
        && !uscc.get(2..8).is_some_and(region::is_local)
    {
        p.field(
            "enterprise.uscc",
            "not-local",
            "企业登记机关不在本市，请到登记地公安机关办理印章备案",
            "The enterprise was registered outside Xiamen: please file its seals with the police where it was registered",
        );
    }
    p.take(f.require_text("enterprise.name"));
    p.take(f.require_text("legal_rep.name"));
    if let Some(rep) = p.take(f.require_resident_id("legal_rep.id_number"))
        && rep.birth_date().years_until(&clock::today()) < 18
    {
        p.field(
            "legal_rep.id_number",
            "minor",
            "法定代表人须年满十八周岁",
            "The legal representative must be 18 or older",
        );
    }
    p
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let region = request
        .fields()
        .text("enterprise.uscc")
        .and_then(|u| u.get(2..8))
        .unwrap_or("350200")
        .to_owned();
    let key = &request.idempotency_key;
    check(request.fields()).into_outcome(|| {
        let number = issue::unique("enterprise.seal_record_number", key, |salt| {
            format!(
                "YZ{region}{}{}",
                clock::today().year,
                hash::digits(&[key, "seal", &salt.to_string()], 6)
            )
        })?;
        log::info(
            "seals filed",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("enterprise.seal_record_number", number.as_str())
            .document(
                "seal-filing-receipt",
                number.as_str(),
                "印章刻制备案回执",
                "Seal filing receipt",
            )
            .note(
                "已备案企业公章、财务专用章、发票专用章，可凭回执到任一备案刻章企业免费刻制",
                "The company, finance and invoice seals are filed: any registered engraver cuts them free of charge on this receipt",
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublicSecurity;
    use onething_sdk::testkit;

    fn valid() -> testkit::RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::request(STEP)
            .field("enterprise.uscc", "91350206MA2Y3K5P9T")
            .field("enterprise.name", "厦门鹭岛茶业有限公司")
            .field("legal_rep.name", "陈静")
            .field("legal_rep.id_number", "350203199003071527")
    }

    #[test]
    fn files_seals() {
        let r = valid().build();
        assert!(onething_sdk::ids::validate_uscc("91350206MA2Y3K5P9T").is_ok());
        let outcome = testkit::handle::<PublicSecurity>(r).expect("handled");
        let number = outcome
            .approval()
            .and_then(|a| a.text("enterprise.seal_record_number"));
        assert!(
            number.is_some_and(|n| n.starts_with("YZ3502062026") && n.len() == 18),
            "{number:?}"
        );
    }

    #[test]
    fn refuses_other_cities_and_minors() {
        let r = valid()
            .field("enterprise.uscc", "9144030071526726XG")
            .field("legal_rep.id_number", "350203201003071527")
            .build();
        let outcome = testkit::handle::<PublicSecurity>(r).expect("handled");
        assert!(outcome.has_field_problem("enterprise.uscc", "not-local"));
        assert!(outcome.has_field_problem("legal_rep.id_number", "minor"));
    }
}
