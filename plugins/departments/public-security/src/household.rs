//! Step `household-registration` (新生儿出生登记): registers the newborn
//! in a parent's household in Xiamen and issues the household
//! registration number and the child's resident ID number.
//!
//! Rules: the name is written in standard Chinese characters; at least
//! one parent holds local household registration (the region code of his
//! or her ID number starts with [`REGION_PREFIX`]); the household address
//! is in Xiamen; the marriage certificate and the household register
//! booklet are supplied.
//!
//! The household registry ([`crate::registry`]) knows the parents: the
//! first parent registered in a Xiamen household is the one the child is
//! registered with, and the registry issues the child's resident ID
//! number (from the household's district, the birth date and its own
//! sequence). A parent the registry does not know is an `unknown-person`
//! problem; a household outside Xiamen is `not-local`, as when the ID
//! numbers say so. The household registration number is the bureau's
//! own, unique and the same on a retry. `prefill` fills in the head of
//! the household and the address from the registry.

use onething_sdk::ids::{ResidentId, Sex};
use onething_sdk::{
    Draft, Field, Fields, Materials, Outcome, Problems, Request, StepError, StepSpec, approve,
    clock, hash, issue, log,
};

use crate::region::{self, REGION_PREFIX};
use crate::registry::{self, Birth, Person, Refusal};

/// Step id.
pub const STEP: &str = "household-registration";

const MATERIALS: [&str; 2] = ["marriage-certificate", "household-register-booklet"];

pub fn spec() -> StepSpec {
    StepSpec::new(
        STEP,
        "新生儿出生登记（户口登记）",
        "Newborn's household registration",
    )
    .reads(
        "child.name",
        "登记新生儿姓名",
        "To register the newborn's name",
    )
    .reads(
        "child.sex",
        "登记性别并编定公民身份号码顺序码",
        "To register the sex, which sets the ID number's sequence code",
    )
    .reads(
        "child.birth_date",
        "登记出生日期并编定公民身份号码",
        "To register the birth date, which the ID number encodes",
    )
    .reads(
        "child.birth_certificate_number",
        "核验出生医学证明",
        "To verify the birth medical certificate",
    )
    .reads(
        "mother.id_number",
        "核验母亲身份及户籍",
        "To verify the mother's identity and household",
    )
    .reads_optional(
        "father.id_number",
        "核验父亲身份及户籍",
        "To verify the father's identity and household",
    )
    .reads(
        "household.head_name",
        "核对户主姓名",
        "To check the head of the household's name",
    )
    .reads(
        "household.address",
        "确定落户地址",
        "To find the household the child joins",
    )
    .material(
        "marriage-certificate",
        "核验父母婚姻关系",
        "To verify the parents' marriage",
    )
    .material(
        "household-register-booklet",
        "核对落户的户口簿",
        "To check the household register booklet",
    )
    .writes("child.hukou_number")
    .writes("child.id_number")
    .time_limit_hours(24)
}

/// Standard Chinese characters (and the middle dot of minority names).
fn is_standard_name(name: &str) -> bool {
    let n = name.chars().count();
    (2..=15).contains(&n)
        && name.chars().all(|c| {
            ('\u{4e00}'..='\u{9fff}').contains(&c)
                || ('\u{3400}'..='\u{4dbf}').contains(&c)
                || c == '·'
        })
}

/// The parents' checked ID numbers, mother first.
struct Parents {
    mother: Option<ResidentId>,
    father: Option<ResidentId>,
}

impl Parents {
    /// The first parent with local household registration.
    fn local(&self) -> Option<&ResidentId> {
        self.given()
            .find(|(_, id)| region::is_local(id.region()))
            .map(|(_, id)| id)
    }

    /// Each parent given, with the key of their ID number, mother first.
    fn given(&self) -> impl Iterator<Item = (&'static str, &ResidentId)> {
        [
            ("mother.id_number", &self.mother),
            ("father.id_number", &self.father),
        ]
        .into_iter()
        .filter_map(|(key, id)| id.as_ref().map(|id| (key, id)))
    }
}

fn not_local(p: &mut Problems) {
    p.general(
        "not-local",
        format!("父母双方均无本市（区划代码 {REGION_PREFIX}）户籍，请到父母一方户籍所在地派出所办理"),
        format!(
            "Neither parent has a household in Xiamen (region code {REGION_PREFIX}): please apply at the police station where one parent's household is"
        ),
    );
}

fn unknown_person(p: &mut Problems, key: &str) {
    p.field(
        key,
        "unknown-person",
        "户籍系统中查无此公民身份号码，请核对",
        "The household registry has no person with this resident ID number; please check it",
    );
}

fn rules(f: Fields, m: Materials) -> (Problems, Parents) {
    let mut p = Problems::new();

    if let Some(name) = p.take(f.require_text("child.name"))
        && !is_standard_name(name)
    {
        bad_name(&mut p);
    }
    if let Some(sex) = p.take(f.require_text("child.sex"))
        && Sex::from_code(sex).is_none()
    {
        bad_sex(&mut p);
    }
    if let Some(birth) = p.take(f.require_date("child.birth_date"))
        && birth > clock::today()
    {
        p.field(
            "child.birth_date",
            "future-date",
            "出生日期不能晚于今天",
            "The birth date cannot be later than today",
        );
    }
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
    p.take(f.require_text("household.head_name"));
    if let Some(address) = p.take(f.require_text("household.address"))
        && !region::is_local_address(address)
    {
        p.field(
            "household.address",
            "address-not-local",
            "落户地址不在本市，请到户籍所在地派出所办理",
            "The address is not in Xiamen: please apply at the police station where the household is",
        );
    }
    let mother = p.take(f.require_resident_id("mother.id_number"));
    let father = f.resident_id("father.id_number").and_then(|r| p.take(r));
    let parents = Parents { mother, father };
    let father_given = f.has("father.id_number");
    let all_parsed = parents.mother.is_some() && (parents.father.is_some() || !father_given);
    if all_parsed && parents.local().is_none() {
        not_local(&mut p);
    }
    for code in MATERIALS {
        p.take(m.require(code));
    }
    (p, parents)
}

fn bad_name(p: &mut Problems) {
    p.field(
        "child.name",
        "bad-name",
        "姓名应使用 2 至 15 个规范汉字",
        "The name is written in 2 to 15 standard Chinese characters",
    );
}

fn bad_sex(p: &mut Problems) {
    p.field(
        "child.sex",
        "bad-choice",
        "性别应为男或女",
        "The sex is male or female",
    );
}

pub fn check(f: Fields, m: Materials) -> Problems {
    rules(f, m).0
}

/// What the registry holds of a parent's household: head's name and
/// address (the first parent it knows; nothing when it cannot be asked).
pub fn prefill(draft: &Draft) -> Vec<Field> {
    let f = draft.fields();
    let parents = ["mother.id_number", "father.id_number"]
        .into_iter()
        .filter_map(|k| f.resident_id(k).and_then(Result::ok));
    for id in parents {
        match registry::person(id.as_str()) {
            Ok(Some(person)) => {
                let h = person.household;
                return [
                    ("household.head_name", h.head_name),
                    ("household.address", h.address),
                ]
                .into_iter()
                .filter(|(k, _)| !f.has(k))
                .map(|(k, v)| Field {
                    key: k.into(),
                    value: v.into(),
                })
                .collect();
            }
            Ok(None) => {}
            Err(e) => {
                log::warn(
                    "household registry unavailable for prefill",
                    &[("step", STEP), ("error", &format!("{e:?}"))],
                );
                return Vec::new();
            }
        }
    }
    Vec::new()
}

/// The parent the child is registered with: the first whose household
/// the registry has in Xiamen. Otherwise the problems saying why.
fn registered_parent(
    parents: &Parents,
) -> Result<Result<(&'static str, Person), Problems>, StepError> {
    let mut unknown = Vec::new();
    for (key, id) in parents.given() {
        match registry::person(id.as_str())? {
            Some(person) if region::is_local(&person.household.district) => {
                return Ok(Ok((key, person)));
            }
            Some(_) => {}
            None => unknown.push(key),
        }
    }
    let mut p = Problems::new();
    if unknown.is_empty() {
        not_local(&mut p);
    } else {
        for key in unknown {
            unknown_person(&mut p, key);
        }
    }
    Ok(Err(p))
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let (problems, parents) = rules(request.fields(), request.materials());
    let f = request.fields();
    let (Some(name), Some(birth), Some(sex)) = (
        f.text("child.name"),
        f.date("child.birth_date"),
        f.text("child.sex"),
    ) else {
        return problems.into_outcome(|| Err(StepError::permanent("checked fields vanished")));
    };
    if !problems.is_empty() {
        return problems.into_outcome(|| Err(StepError::permanent("problems vanished")));
    }
    let (parent_key, parent) = match registered_parent(&parents)? {
        Ok(found) => found,
        Err(problems) => return Ok(onething_sdk::needs_more(problems.into_vec())),
    };
    let key = &request.idempotency_key;
    let birth = Birth {
        child_name: name,
        sex,
        birth_date: birth.to_string(),
        parent_id_number: &parent.id_number,
    };
    let registered = match registry::register(key, &birth)? {
        Ok(registered) => registered,
        Err(Refusal(code)) => {
            let mut p = Problems::new();
            match code.as_str() {
                "unknown-person" => unknown_person(&mut p, parent_key),
                "bad-name" => bad_name(&mut p),
                "bad-sex" => bad_sex(&mut p),
                "bad-date" => {
                    p.field(
                        "child.birth_date",
                        "bad-date",
                        "户籍系统不接受该出生日期，请核对",
                        "The household registry does not accept this birth date; please check it",
                    );
                }
                _ => not_local(&mut p),
            }
            return Ok(onething_sdk::needs_more(p.into_vec()));
        }
    };
    let id_number = registered.id_number;
    if ResidentId::parse(&id_number).is_err() {
        return Err(StepError::permanent(format!(
            "the household registry issued {id_number:?}, which is not a valid resident ID number"
        )));
    }
    let region = parent.household.district;
    problems.into_outcome(|| {
        let hukou = issue::unique("child.hukou_number", key, |salt| {
            format!(
                "{region}{}",
                hash::digits(&[key, "hukou", &salt.to_string()], 6)
            )
        })?;
        log::info(
            "newborn registered",
            &[
                ("step", STEP),
                ("application", &request.application),
                ("household", &registered.household_number),
            ],
        );
        Ok(approve()
            .field("child.hukou_number", hukou.as_str())
            .field("child.id_number", id_number.as_str())
            .document(
                "household-register-page",
                hukou.as_str(),
                "常住人口登记卡（户口簿本人页）",
                "Resident registration card (the child's page of the household register)",
            )
            .note(
                "户口已登记，请携带户口簿到派出所加盖新生儿户口页",
                "The child is registered: bring the household register booklet to the police station to have the child's page stamped",
            ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublicSecurity;
    use crate::registry::BASE_URL;
    use onething_sdk::http::Method;
    use onething_sdk::testkit::{self, RequestBuilder};

    const BASE: &str = "http://systems.test/household/v1";
    const MOTHER: &str = "350203199003071527";
    const FATHER: &str = "350206198811230519";
    const BIRTHS: &str = "http://systems.test/household/v1/births";

    /// A valid resident ID number from its first 17 digits.
    fn id(first17: &str) -> String {
        let check = onething_sdk::ids::resident_id_check_char(first17).expect("17 digits");
        format!("{first17}{check}")
    }

    fn child() -> String {
        id("35020620261020002")
    }

    fn persons(id: &str) -> String {
        format!("{BASE}/persons/{id}")
    }

    fn valid() -> RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::config(BASE_URL, BASE);
        testkit::request(STEP)
            .field("child.name", "林安然")
            .field("child.sex", "female")
            .field("child.birth_date", testkit::date("2026-10-20"))
            .field("child.birth_certificate_number", "Q350200482913")
            .field("mother.id_number", MOTHER)
            .field("father.id_number", FATHER)
            .field("household.head_name", "林志远")
            .field(
                "household.address",
                "福建省厦门市湖里区金山街道金湖路 88 号",
            )
            .material("marriage-certificate")
            .material("household-register-booklet")
    }

    /// The registry knows `id` in a household of `district`.
    fn known(id: &str, district: &str) {
        testkit::http::expect(Method::Get, persons(id)).json(
            200,
            &serde_json::json!({
                "id_number": id,
                "name": "陈静",
                "household": {
                    "number": format!("{district}-000001"),
                    "head_name": "林志远",
                    "address": "福建省厦门市湖里区金山街道金湖路 88 号",
                    "district": district,
                },
            }),
        );
    }

    fn unknown(id: &str) {
        testkit::http::expect(Method::Get, persons(id)).problem(404, "unknown-person");
    }

    fn issues(id_number: &str) {
        testkit::http::expect(Method::Post, BIRTHS).json(
            201,
            &serde_json::json!({"id_number": id_number, "household_number": "350206-000001"}),
        );
    }

    fn issued_id(outcome: &Outcome) -> Option<&str> {
        outcome.approval().and_then(|a| a.text("child.id_number"))
    }

    #[test]
    fn registers_the_newborn_with_the_registrys_id_number() {
        // An ID number that is not one is the registry's fault, not the
        // applicant's.
        known(MOTHER, "350206");
        issues("350206202610200020");
        let bad = testkit::handle::<PublicSecurity>(valid().build());
        assert!(
            matches!(&bad, Err(StepError::Permanent(m)) if m.contains("not a valid resident ID number")),
            "{bad:?}"
        );
        let _http = testkit::http::guard();
        known(MOTHER, "350206");
        issues(&child());
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        assert_eq!(issued_id(&outcome), Some(child().as_str()));
        let hukou = outcome
            .approval()
            .and_then(|a| a.text("child.hukou_number"))
            .unwrap_or_default()
            .to_owned();
        assert!(hukou.starts_with("350206") && hukou.len() == 12, "{hukou}");
        let birth = &testkit::http::requests()[1];
        assert_eq!(
            birth.header("idempotency-key"),
            Some("app-test/household-registration")
        );
        assert_eq!(
            birth.json::<serde_json::Value>(),
            serde_json::json!({
                "child_name": "林安然",
                "sex": "female",
                "birth_date": "2026-10-20",
                "parent_id_number": MOTHER,
            })
        );
        // A retry: the registry answers the same under the same key, and
        // the household number is the one issued first.
        known(MOTHER, "350206");
        issues(&child());
        let retry = testkit::handle::<PublicSecurity>(valid().attempt(2).build()).expect("handled");
        assert_eq!(issued_id(&retry), Some(child().as_str()));
        assert_eq!(
            retry.approval().and_then(|a| a.text("child.hukou_number")),
            Some(hukou.as_str())
        );
    }

    #[test]
    fn the_first_parent_the_registry_has_in_xiamen_is_the_one() {
        let _http = testkit::http::guard();
        // The mother is unknown to the registry; the father is local.
        unknown(MOTHER);
        known(FATHER, "350206");
        issues(&id("35020620261020001"));
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        assert!(outcome.is_approved(), "{outcome:?}");
        let birth = testkit::http::requests()[2].json::<serde_json::Value>();
        assert_eq!(birth["parent_id_number"], FATHER);
    }

    #[test]
    fn unknown_parents_and_households_elsewhere_need_more() {
        let _http = testkit::http::guard();
        unknown(MOTHER);
        unknown(FATHER);
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        assert!(outcome.has_field_problem("mother.id_number", "unknown-person"));
        assert!(outcome.has_field_problem("father.id_number", "unknown-person"));
        // Both known, both households in Fuzhou (moved away).
        known(MOTHER, "350102");
        known(FATHER, "350102");
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        assert!(outcome.problems().iter().any(|p| p.code == "not-local"));
        // The registry refusing the birth itself.
        known(MOTHER, "350206");
        testkit::http::expect(Method::Post, BIRTHS).problem(422, "not-local");
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        assert!(outcome.problems().iter().any(|p| p.code == "not-local"));
        known(MOTHER, "350206");
        testkit::http::expect(Method::Post, BIRTHS).problem(404, "unknown-person");
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        assert!(outcome.has_field_problem("mother.id_number", "unknown-person"));
        assert!(testkit::stored_keys().is_empty(), "nothing issued");
    }

    #[test]
    fn a_registry_down_is_transient_a_missing_base_url_permanent() {
        let _http = testkit::http::guard();
        testkit::http::expect(Method::Get, persons(MOTHER)).status(503);
        assert!(
            testkit::handle::<PublicSecurity>(valid().build()).is_err_and(|e| e.is_transient())
        );
        known(MOTHER, "350206");
        testkit::http::expect(Method::Post, BIRTHS).fail(testkit::http::Failure::Timeout);
        assert!(
            testkit::handle::<PublicSecurity>(valid().build()).is_err_and(|e| e.is_transient())
        );
        let request = valid().build();
        testkit::unset_config(BASE_URL);
        let err = testkit::handle::<PublicSecurity>(request);
        assert!(
            matches!(&err, Err(StepError::Permanent(m)) if m.contains("`base_url`") && m.contains("public-security")),
            "{err:?}"
        );
    }

    #[test]
    fn one_local_parent_is_enough_none_is_not() {
        // Father from Fuzhou (350102), mother local.
        known(MOTHER, "350203");
        issues(&id("35020320261020002"));
        let r = valid()
            .field("father.id_number", "350102198811230518")
            .build();
        assert!(
            testkit::handle::<PublicSecurity>(r)
                .expect("handled")
                .is_approved()
        );
        let r = valid()
            .field("mother.id_number", "350102199003071525")
            .without("father.id_number")
            .build();
        let outcome = testkit::handle::<PublicSecurity>(r).expect("handled");
        assert!(
            outcome.problems().iter().any(|p| p.code == "not-local"),
            "{:?}",
            outcome.problems()
        );
        testkit::http::verify();
        assert_eq!(
            testkit::http::requests().len(),
            2,
            "the registry is not asked in vain"
        );
    }

    #[test]
    fn reports_names_addresses_materials_at_once() {
        let r = testkit::request(STEP)
            .field("child.name", "Lin Anran")
            .field("child.sex", "female")
            .field("child.birth_date", testkit::date("2026-10-20"))
            .field("child.birth_certificate_number", "Q350200482913")
            .field("mother.id_number", MOTHER)
            .field("household.head_name", "林志远")
            .field("household.address", "福州市鼓楼区")
            .material("marriage-certificate")
            .build();
        let problems = testkit::check::<PublicSecurity>(&r);
        let codes: Vec<&str> = problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["bad-name", "address-not-local", "missing"]);
        assert_eq!(
            problems[2].material_code(),
            Some("household-register-booklet")
        );
        assert!(
            problems[0]
                .message
                .en
                .contains("standard Chinese characters")
        );
    }

    #[test]
    fn prefills_the_household_from_the_registry() {
        let _http = testkit::http::guard();
        let known_fields = valid()
            .without("household.head_name")
            .without("household.address");
        unknown(MOTHER);
        known(FATHER, "350206");
        let filled = testkit::prefill::<PublicSecurity>(&known_fields.clone().build());
        let keys: Vec<&str> = filled.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["household.head_name", "household.address"]);
        assert_eq!(filled[0].value.as_text(), Some("林志远"));
        // Nothing when the registry cannot be asked, or the form is filled.
        testkit::http::expect(Method::Get, persons(MOTHER)).status(500);
        assert!(testkit::prefill::<PublicSecurity>(&known_fields.build()).is_empty());
        known(MOTHER, "350206");
        assert!(testkit::prefill::<PublicSecurity>(&valid().build()).is_empty());
    }
}
