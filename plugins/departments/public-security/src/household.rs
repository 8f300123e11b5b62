//! Step `household-registration` (新生儿出生登记): registers the newborn
//! in a parent's household in Xiamen and issues the household
//! registration number and the child's resident ID number.
//!
//! Rules: the name is written in standard Chinese characters; at least
//! one parent holds local household registration (the region code of his
//! or her ID number starts with [`REGION_PREFIX`]); the household address
//! is in Xiamen; the marriage certificate and the household register
//! booklet are supplied. The child's ID number is a valid GB 11643 number:
//! the household's district code, the birth date, a sequence derived from
//! the idempotency key (odd for a boy, even for a girl) and its check digit.

use onething_sdk::ids::{ResidentId, Sex};
use onething_sdk::{
    Field, Fields, Materials, Outcome, Problems, Request, StepError, StepSpec, approve, clock,
    hash, issue, log, store,
};

use crate::region::{self, REGION_PREFIX};

/// Step id.
pub const STEP: &str = "household-registration";

const MATERIALS: [&str; 2] = ["marriage-certificate", "household-register-booklet"];

pub fn spec() -> StepSpec {
    StepSpec::new(STEP, "新生儿出生登记（户口登记）")
        .reads("child.name", "登记新生儿姓名")
        .reads("child.sex", "登记性别并编定公民身份号码顺序码")
        .reads("child.birth_date", "登记出生日期并编定公民身份号码")
        .reads("child.birth_certificate_number", "核验出生医学证明")
        .reads("mother.id_number", "核验母亲身份及户籍")
        .reads_optional("father.id_number", "核验父亲身份及户籍")
        .reads("household.head_name", "核对户主姓名")
        .reads("household.address", "确定落户地址")
        .material("marriage-certificate", "核验父母婚姻关系")
        .material("household-register-booklet", "核对落户的户口簿")
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
        [&self.mother, &self.father]
            .into_iter()
            .flatten()
            .find(|id| region::is_local(id.region()))
    }
}

fn rules(f: Fields, m: Materials) -> (Problems, Parents) {
    let mut p = Problems::new();

    if let Some(name) = p.take(f.require_text("child.name"))
        && !is_standard_name(name)
    {
        p.field("child.name", "bad-name", "姓名应使用 2 至 15 个规范汉字");
    }
    if let Some(sex) = p.take(f.require_text("child.sex"))
        && Sex::from_code(sex).is_none()
    {
        p.field("child.sex", "bad-choice", "性别应为男或女");
    }
    if let Some(birth) = p.take(f.require_date("child.birth_date"))
        && birth > clock::today()
    {
        p.field("child.birth_date", "future-date", "出生日期不能晚于今天");
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
        );
    }
    let mother = p.take(f.require_resident_id("mother.id_number"));
    let father = f.resident_id("father.id_number").and_then(|r| p.take(r));
    let parents = Parents { mother, father };
    let father_given = f.has("father.id_number");
    let all_parsed = parents.mother.is_some() && (parents.father.is_some() || !father_given);
    if all_parsed && parents.local().is_none() {
        p.general(
            "not-local",
            format!(
                "父母双方均无本市（区划代码 {REGION_PREFIX}）户籍，请到父母一方户籍所在地派出所办理"
            ),
        );
    }
    for code in MATERIALS {
        p.take(m.require(code));
    }
    (p, parents)
}

pub fn check(f: Fields, m: Materials) -> Problems {
    rules(f, m).0
}

fn household_key(id: &ResidentId) -> String {
    format!("household/{:016x}", hash::stable_u64(&[id.as_str()]))
}

/// What a parent's household already holds: head's name and address.
pub fn prefill(known: &[Field]) -> Vec<Field> {
    let f = Fields::new(known);
    let parents = ["mother.id_number", "father.id_number"]
        .into_iter()
        .filter_map(|k| f.resident_id(k).and_then(Result::ok));
    for id in parents {
        if let Ok(Some(record)) = store::get_text(&household_key(&id))
            && let Some((head, address)) = record.split_once('\n')
        {
            return [
                ("household.head_name", head),
                ("household.address", address),
            ]
            .into_iter()
            .filter(|(k, _)| !f.has(k))
            .map(|(k, v)| Field {
                key: k.into(),
                value: v.into(),
            })
            .collect();
        }
    }
    Vec::new()
}

pub fn handle(request: &Request) -> Result<Outcome, StepError> {
    let (problems, parents) = rules(request.fields(), request.materials());
    let f = request.fields();
    let (Some(local), Some(birth), Some(sex), Some(address), Some(head)) = (
        parents.local(),
        f.date("child.birth_date"),
        f.text("child.sex").and_then(Sex::from_code),
        f.text("household.address"),
        f.text("household.head_name"),
    ) else {
        return problems.into_outcome(|| Err(StepError::permanent("checked fields vanished")));
    };
    let region = region::district_of(address)
        .unwrap_or(local.region())
        .to_owned();
    let key = &request.idempotency_key;
    problems.into_outcome(|| {
        let id_number = issue::unique("child.id_number", key, |salt| {
            let k = hash::below(&[key, "seq", &salt.to_string()], 499) as u16;
            let sequence = match sex {
                Sex::Male => 2 * k + 1,
                Sex::Female => 2 * k + 2,
            };
            ResidentId::build(&region, birth, sequence)
                .map(|id| id.to_string())
                .unwrap_or_default()
        })?;
        if id_number.is_empty() {
            return Err(StepError::permanent("could not build a resident ID number"));
        }
        let hukou = issue::unique("child.hukou_number", key, |salt| {
            format!(
                "{region}{}",
                hash::digits(&[key, "hukou", &salt.to_string()], 6)
            )
        })?;
        store::set(
            &household_key(local),
            format!("{head}\n{address}").as_bytes(),
        )?;
        log::info(
            "newborn registered",
            &[("step", STEP), ("application", &request.application)],
        );
        Ok(approve()
            .field("child.hukou_number", hukou.as_str())
            .field("child.id_number", id_number.as_str())
            .document(
                "household-register-page",
                hukou.as_str(),
                "常住人口登记卡（户口簿本人页）",
            )
            .note("户口已登记，请携带户口簿到派出所加盖新生儿户口页"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PublicSecurity;
    use onething_sdk::testkit::{self, RequestBuilder};

    fn valid() -> RequestBuilder {
        testkit::pin_today(testkit::date("2026-11-28"));
        testkit::request(STEP)
            .field("child.name", "林安然")
            .field("child.sex", "female")
            .field("child.birth_date", testkit::date("2026-10-20"))
            .field("child.birth_certificate_number", "Q350200482913")
            .field("mother.id_number", "350203199003071527")
            .field("father.id_number", "350206198811230519")
            .field("household.head_name", "林志远")
            .field(
                "household.address",
                "福建省厦门市湖里区金山街道金湖路 88 号",
            )
            .material("marriage-certificate")
            .material("household-register-booklet")
    }

    fn issued_id(outcome: &Outcome) -> ResidentId {
        let text = outcome
            .approval()
            .and_then(|a| a.text("child.id_number"))
            .unwrap_or_default();
        ResidentId::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    #[test]
    fn issues_a_valid_id_number_for_the_household_district() {
        let outcome = testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        let id = issued_id(&outcome);
        assert_eq!(id.region(), "350206");
        assert_eq!(id.birth_date(), testkit::date("2026-10-20"));
        assert_eq!(id.sex(), Sex::Female);
        let hukou = outcome
            .approval()
            .and_then(|a| a.text("child.hukou_number"))
            .unwrap_or_default();
        assert!(hukou.starts_with("350206") && hukou.len() == 12);
        let retry = testkit::handle::<PublicSecurity>(valid().attempt(2).build()).expect("handled");
        assert_eq!(issued_id(&retry), id);
        let boy = testkit::handle::<PublicSecurity>(
            valid()
                .application("app-2")
                .field("child.sex", "male")
                .build(),
        );
        assert_eq!(issued_id(&boy.expect("handled")).sex(), Sex::Male);
    }

    #[test]
    fn one_local_parent_is_enough_none_is_not() {
        // Father from Fuzhou (350102), mother local.
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
    }

    #[test]
    fn reports_names_addresses_materials_at_once() {
        let r = testkit::request(STEP)
            .field("child.name", "Lin Anran")
            .field("child.sex", "female")
            .field("child.birth_date", testkit::date("2026-10-20"))
            .field("child.birth_certificate_number", "Q350200482913")
            .field("mother.id_number", "350203199003071527")
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
    }

    #[test]
    fn remembers_the_household_for_prefill() {
        let known = valid()
            .without("household.head_name")
            .without("household.address");
        assert!(testkit::prefill::<PublicSecurity>(&known.clone().build()).is_empty());
        testkit::handle::<PublicSecurity>(valid().build()).expect("handled");
        let filled = testkit::prefill::<PublicSecurity>(&known.build());
        let keys: Vec<&str> = filled.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["household.head_name", "household.address"]);
    }
}
