//! Step `business-licence` (企业设立登记): registers a new enterprise in
//! Xiamen and issues its unified social credit code (a valid GB 32100
//! code: `9` market regulation, `1` enterprise, the district's region
//! code, an `MA…` organization body with its GB 11714 check character,
//! and the check character) and its business licence.
//!
//! Rules besides the name ([`crate::name`]): the address is in Xiamen;
//! the legal representative's ID number is valid and he or she is an
//! adult; the business scope holds no activity reserved to financial
//! regulators; articles of association and proof of premises are
//! supplied. A scope with licensed activities is approved with a note
//! (separating permits from the licence, 证照分离).
//!
//! The name's availability is the enterprise-name registry's answer
//! ([`crate::name`]): `check` looks it up, `handle` reserves it for the
//! application once nothing else is wrong.

use onething_sdk::ids::build_uscc;
use onething_sdk::{
    Fields, Materials, Outcome, Problems, Request, StepError, StepSpec, Text, approve, clock, hash,
    issue, log, text,
};

use crate::name::{self, Kind};

/// Step id.
pub const STEP: &str = "business-licence";

/// Xiamen's city-level region code, for addresses naming no district.
const CITY_REGION: &str = "350200";

const DISTRICTS: [(&str, &str); 6] = [
    ("思明区", "350203"),
    ("海沧区", "350205"),
    ("湖里区", "350206"),
    ("集美区", "350211"),
    ("同安区", "350212"),
    ("翔安区", "350213"),
];

/// Activities only financial regulators may license.
const RESTRICTED: [&str; 4] = ["吸收公众存款", "发放贷款", "证券", "期货"];

/// Activities that need a permit after the licence.
const PERMITTED: [&str; 4] = ["食品经营", "医疗器械", "危险化学品", "道路运输"];

/// The characters of a credit code's organization body.
const BODY_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

pub fn spec() -> StepSpec {
    StepSpec::new(
        STEP,
        "企业设立登记（营业执照）",
        "Enterprise registration (business licence)",
    )
    .reads(
        "enterprise.name",
        "企业名称自主申报与查重",
        "To declare the name and check it is free",
    )
    .reads(
        "enterprise.type",
        "确定企业类型及名称组织形式",
        "To set the enterprise type and the name's form",
    )
    .reads(
        "enterprise.address",
        "核验住所并确定登记机关",
        "To verify the address and find the registration authority",
    )
    .reads(
        "enterprise.registered_capital",
        "登记注册资本（出资额）",
        "To register the capital (contributions)",
    )
    .reads(
        "enterprise.business_scope",
        "登记经营范围",
        "To register the business scope",
    )
    .reads(
        "enterprise.hires_staff",
        "提示办理用工登记",
        "To remind the employer of the hiring registrations",
    )
    .reads(
        "legal_rep.name",
        "登记法定代表人（负责人）",
        "To register the legal representative",
    )
    .reads(
        "legal_rep.id_number",
        "核验法定代表人身份",
        "To verify the legal representative's identity",
    )
    .reads(
        "legal_rep.phone",
        "联络法定代表人",
        "To contact the legal representative",
    )
    .material(
        "articles-of-association",
        "核验公司章程（合伙协议）",
        "To verify the articles of association (partnership agreement)",
    )
    .material(
        "premises-proof",
        "核验住所（经营场所）使用证明",
        "To verify the right to use the premises",
    )
    .writes("enterprise.uscc")
    .writes("enterprise.licence_number")
    .time_limit_hours(4)
}

fn district(address: &str) -> Option<&'static str> {
    DISTRICTS
        .iter()
        .find(|(n, _)| address.contains(n))
        .map(|(_, c)| *c)
}

/// Every rule but the name's availability.
fn rules(f: Fields, m: Materials) -> Problems {
    let mut p = Problems::new();
    let kind = p.take(f.require_text("enterprise.type")).and_then(|t| {
        let kind = Kind::from_code(t);
        if kind.is_none() {
            p.field(
                "enterprise.type",
                "bad-choice",
                "企业类型应为有限责任公司、个人独资企业或合伙企业",
                "The enterprise type is a limited liability company, a sole proprietorship or a partnership",
            );
        }
        kind
    });
    if let Some(n) = p.take(f.require_text("enterprise.name")) {
        name::check_wording(n, kind, &mut p);
    }
    if let Some(address) = p.take(f.require_text("enterprise.address"))
        && !address.contains("厦门")
        && district(address).is_none()
    {
        p.field(
            "enterprise.address",
            "address-not-local",
            "住所不在本市，请向住所所在地登记机关申请",
            "The address is not in Xiamen: please apply to the registration authority where it is",
        );
    }
    if let Some(capital) = p.take(f.require_decimal("enterprise.registered_capital"))
        && capital <= 0.0
    {
        p.field(
            "enterprise.registered_capital",
            "not-positive",
            "注册资本（出资额）应大于零",
            "The registered capital (contributions) must be more than zero",
        );
    }
    if let Some(scope) = p.take(f.require_text("enterprise.business_scope"))
        && let Some(word) = RESTRICTED.iter().find(|w| scope.contains(*w))
    {
        p.field(
            "enterprise.business_scope",
            "restricted-scope",
            format!("经营范围含“{word}”，须经金融管理部门批准，不能在此申请"),
            format!(
                "The business scope includes “{word}”, which the financial regulators must approve; it cannot be applied for here"
            ),
        );
    }
    p.take(f.require_boolean("enterprise.hires_staff"));
    p.take(f.require_text("legal_rep.name"));
    p.take(f.require_text("legal_rep.phone"));
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
    p.take(m.require("articles-of-association"));
    p.take(m.require("premises-proof"));
    p
}

/// The name is held by another applicant: the problem, and the holder
/// in the log for operators (never in the message, which is for the
/// applicant).
fn name_taken(p: &mut Problems, holder: &str) {
    log::info(
        "enterprise name held by another applicant",
        &[("step", STEP), ("holder", holder)],
    );
    p.field(
        "enterprise.name",
        "name-taken",
        "该企业名称已被他人申报使用，请更换名称",
        "This enterprise name is already reserved by another applicant; please choose another",
    );
}

/// The rules, and the registry's word on the name: taken by someone
/// other than `application`, or a notice when the registry cannot be
/// asked (the name is checked again on submission).
pub fn check(f: Fields, m: Materials, application: Option<&str>) -> Problems {
    let mut p = rules(f, m);
    if let Some(n) = f.text("enterprise.name") {
        match name::other_holder(n, application) {
            Ok(Some(holder)) => name_taken(&mut p, &holder),
            Ok(None) => {}
            Err(e) => {
                log::warn(
                    "name registry unavailable in check",
                    &[("step", STEP), ("error", &e.to_string())],
                );
                p.general(
                    "name-check-unavailable",
                    "名称查重系统暂不可用，提交后将再次查重",
                    "The name registry cannot be reached just now; the name is checked again when you submit",
                );
            }
        }
    }
    p
}

fn credit_code(key: &str, region: &str, salt: u32) -> String {
    let body: String = (0..6)
        .map(|i| {
            char::from(
                BODY_CHARS
                    [hash::below(&[key, "uscc", &salt.to_string(), &i.to_string()], 31) as usize],
            )
        })
        .collect();
    build_uscc('9', '1', region, &format!("MA{body}")).unwrap_or_default()
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let key = &request.idempotency_key;
    let application = request.application.as_str();
    let f = request.fields();
    let mut problems = rules(request.fields(), request.materials());
    if let Some(n) = f.text("enterprise.name") {
        // Hold the name only when nothing else is wrong; otherwise just look.
        let other = if problems.is_empty() {
            name::reserve(n, application)?
        } else {
            name::other_holder(n, Some(application))?
        };
        if let Some(holder) = other {
            name_taken(&mut problems, &holder);
        }
    }
    let region = f
        .text("enterprise.address")
        .and_then(district)
        .unwrap_or(CITY_REGION);
    let scope = f.text("enterprise.business_scope").unwrap_or_default();
    let hires = f.boolean("enterprise.hires_staff") == Some(true);
    problems.into_outcome(|| {
        let uscc = issue::unique("enterprise.uscc", key, |salt| {
            credit_code(key, region, salt)
        })?;
        if uscc.is_empty() {
            return Err(StepError::permanent("could not build a credit code"));
        }
        let licence = issue::unique("enterprise.licence_number", key, |salt| {
            format!(
                "S{region}{}{}",
                clock::today().year,
                hash::digits(&[key, "licence", &salt.to_string()], 6)
            )
        })?;
        let mut notes: Vec<Text> = vec![text(
            "营业执照已核发，可下载电子营业执照",
            "The business licence is issued; the electronic licence can be downloaded",
        )];
        if let Some(word) = PERMITTED.iter().find(|w| scope.contains(*w)) {
            notes.push(text(
                format!("经营范围含许可项目（{word}），取得相关许可后方可开展该项经营"),
                format!(
                    "The scope includes a licensed activity ({word}): carry it on only once its permit is granted"
                ),
            ));
        }
        if hires {
            notes.push(text(
                "招用职工的，请自用工之日起 30 日内办理社会保险和住房公积金登记",
                "If you hire staff, register them for social insurance and the housing fund within 30 days of hiring",
            ));
        }
        log::info(
            "licence issued",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("enterprise.uscc", uscc.as_str())
            .field("enterprise.licence_number", licence.as_str())
            .document(
                "business-licence",
                licence.as_str(),
                "营业执照",
                "Business licence",
            )
            .note_text(Text::join(&notes)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MarketRegulation;
    use crate::name::BASE_URL;
    use onething_sdk::http::Method;
    use onething_sdk::ids::validate_uscc;
    use onething_sdk::testkit;

    const NAME: &str = "厦门鹭岛茶业有限公司";
    const NAMES: &str = "http://systems.test/enterprise-names/v1/names/%E5%8E%A6%E9%97%A8%E9%B9%AD%E5%B2%9B%E8%8C%B6%E4%B8%9A%E6%9C%89%E9%99%90%E5%85%AC%E5%8F%B8";
    const RESERVATIONS: &str = "http://systems.test/enterprise-names/v1/reservations";

    fn valid() -> testkit::RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::config(BASE_URL, "http://systems.test/enterprise-names/v1");
        testkit::request(STEP)
            .field("enterprise.name", NAME)
            .field("enterprise.type", "llc")
            .field(
                "enterprise.address",
                "福建省厦门市思明区湖滨南路 100 号 501 室",
            )
            .field("enterprise.registered_capital", 100.0)
            .field(
                "enterprise.business_scope",
                "茶叶零售；食品经营（销售预包装食品）",
            )
            .field("enterprise.hires_staff", true)
            .field("legal_rep.name", "陈静")
            .field("legal_rep.id_number", "350203199003071527")
            .field("legal_rep.phone", "13906001234")
            .material("articles-of-association")
            .material("premises-proof")
    }

    fn free() {
        testkit::http::expect(Method::Get, NAMES)
            .json(200, &serde_json::json!({"name": NAME, "status": "free"}));
    }

    fn held_by(holder: &str) {
        testkit::http::expect(Method::Get, NAMES).json(
            200,
            &serde_json::json!({"name": NAME, "status": "reserved", "holder": holder}),
        );
    }

    fn reserved(status: u16, holder: &str) {
        testkit::http::expect(Method::Post, RESERVATIONS).json(
            status,
            &serde_json::json!({"reservation": "NR0000000001", "name": NAME, "holder": holder}),
        );
    }

    fn taken_by(holder: &str) {
        testkit::http::expect(Method::Post, RESERVATIONS)
            .problem(409, "name-taken")
            .member("holder", holder);
    }

    fn uscc(outcome: &Outcome) -> String {
        outcome
            .approval()
            .and_then(|a| a.text("enterprise.uscc"))
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn registers_with_a_valid_credit_code_reserving_the_name() {
        let _http = testkit::http::guard();
        reserved(201, "app-test");
        let outcome = testkit::handle::<MarketRegulation>(valid().build()).expect("handled");
        let code = uscc(&outcome);
        assert_eq!(validate_uscc(&code), Ok(()), "{code}");
        assert!(code.starts_with("91350203MA"), "{code}");
        let note = outcome
            .approval()
            .and_then(|a| a.note.clone())
            .expect("a note");
        assert!(
            note.zh.contains("食品经营") && note.zh.contains("30 日"),
            "{note}"
        );
        assert!(
            note.en.contains("licensed activity") && note.en.contains("30 days"),
            "{note}"
        );
        assert_eq!(
            testkit::http::requests()[0].json::<serde_json::Value>(),
            serde_json::json!({"name": NAME, "holder": "app-test"})
        );
        // The holder's retry: the registry answers 200, it had the name.
        reserved(200, "app-test");
        let retry =
            testkit::handle::<MarketRegulation>(valid().attempt(2).build()).expect("handled");
        assert_eq!(uscc(&retry), code);
    }

    #[test]
    fn a_name_is_held_by_one_application() {
        let _http = testkit::http::guard();
        // Free before anyone reserves it; the applicant's own reservation
        // is no conflict; another's is.
        free();
        assert!(testkit::check::<MarketRegulation>(&valid().build()).is_empty());
        held_by("app-test");
        assert!(testkit::check::<MarketRegulation>(&valid().build()).is_empty());
        held_by("app-test");
        let form = testkit::check_draft::<MarketRegulation>(valid().form());
        assert!(form.iter().any(|p| p.code == "name-taken"), "{form:?}");

        let rival = valid().application("app-rival");
        taken_by("app-test");
        let outcome = testkit::handle::<MarketRegulation>(rival.clone().build()).expect("handled");
        assert!(outcome.has_field_problem("enterprise.name", "name-taken"));
        let problem = &outcome.problems()[0];
        assert!(
            !problem.message.zh.contains("app-test")
                && problem.message.en.contains("another applicant")
        );
        assert!(
            testkit::logs()
                .iter()
                .any(|r| r.attributes.contains(&("holder".into(), "app-test".into()))),
            "the holder is logged for operators"
        );
        held_by("app-test");
        let problems = testkit::check::<MarketRegulation>(&rival.build());
        assert!(problems.iter().any(|p| p.code == "name-taken"));
    }

    #[test]
    fn a_faulty_application_reserves_nothing_but_looks() {
        let _http = testkit::http::guard();
        held_by("app-other");
        let r = valid().field("enterprise.address", "福州市鼓楼区").build();
        let outcome = testkit::handle::<MarketRegulation>(r).expect("handled");
        assert!(outcome.has_field_problem("enterprise.address", "address-not-local"));
        assert!(outcome.has_field_problem("enterprise.name", "name-taken"));
        assert!(
            testkit::http::requests()
                .iter()
                .all(|r| r.method == Method::Get)
        );
        assert!(testkit::stored_keys().is_empty());
    }

    #[test]
    fn reports_every_fault_at_once() {
        let r = valid()
            .field("enterprise.name", "中国鹭岛茶业")
            .field("enterprise.business_scope", "发放贷款")
            .field("legal_rep.id_number", "350203201003071527")
            .without("legal_rep.phone")
            .build();
        let mut r = r;
        r.materials.clear();
        testkit::http::expect(
            Method::Get,
            format!(
                "http://systems.test/enterprise-names/v1/names/{}",
                onething_sdk::http::path_segment("中国鹭岛茶业")
            ),
        )
        .json(
            200,
            &serde_json::json!({"name": "中国鹭岛茶业", "status": "free"}),
        );
        let codes: Vec<String> = testkit::check::<MarketRegulation>(&r)
            .into_iter()
            .map(|p| p.code)
            .collect();
        assert_eq!(
            codes,
            [
                "banned-word",
                "no-division",
                "wrong-form",
                "restricted-scope",
                "missing",
                "minor",
                "missing",
                "missing"
            ]
        );
        testkit::http::verify();
    }

    #[test]
    fn registry_outage_is_transient_in_handle_and_a_notice_in_check() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Post, RESERVATIONS).status(503);
        assert!(
            testkit::handle::<MarketRegulation>(valid().build()).is_err_and(|e| e.is_transient())
        );
        testkit::http::expect(Method::Get, NAMES).fail(testkit::http::Failure::ConnectionRefused);
        let problems = testkit::check::<MarketRegulation>(&valid().build());
        assert_eq!(problems[0].code, "name-check-unavailable");
        assert!(testkit::stored_keys().is_empty(), "nothing issued");
    }

    #[test]
    fn a_missing_base_url_is_permanent_in_handle_and_a_notice_in_check() {
        let request = valid().build();
        testkit::unset_config(BASE_URL);
        let err = testkit::handle::<MarketRegulation>(request.clone());
        assert!(
            matches!(&err, Err(StepError::Permanent(m)) if m.contains("`base_url`") && m.contains("market-regulation")),
            "{err:?}"
        );
        let problems = testkit::check::<MarketRegulation>(&request);
        assert_eq!(problems[0].code, "name-check-unavailable");
        assert!(testkit::http::requests().is_empty());
    }
}
