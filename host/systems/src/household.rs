//! Public security's household registry (户籍), simulated: who lives in
//! which household, looked up by resident ID number, and a newborn's
//! registration in a parent's household, which issues the child's
//! resident ID number (GB 11643: the household's district, the birth
//! date, a sequence whose parity is the sex, and the check character).
//! The registry is the one place numbers are issued, so no number is
//! issued twice however many hosts call it.
//!
//! - `GET  /household/v1/persons/{id_number}`: the person and their household.
//! - `POST /household/v1/births` (`Idempotency-Key` required): registers a
//!   newborn, `{child_name, sex, birth_date, parent_id_number}`, answering
//!   `{id_number, household_number}`.

use std::collections::{BTreeMap, HashMap};

use onething_idcodes::date::Ymd;
use onething_idcodes::resident_id;
use serde::{Deserialize, Serialize};

use crate::idempotency::Ledger;
use crate::problem::Problem;
use crate::seed;

/// The region prefix of households this registry serves (Xiamen).
pub const LOCAL_PREFIX: &str = "3502";

/// One household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Household {
    /// The household register number.
    pub number: String,
    /// The head of household's name.
    pub head_name: String,
    /// The registered address.
    pub address: String,
    /// The district's six-digit region code.
    pub district: String,
    /// The members' resident ID numbers.
    pub members: Vec<String>,
}

/// One registered person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The resident ID number.
    pub id_number: String,
    /// The name.
    pub name: String,
    /// The household register number.
    pub household: String,
}

/// A newborn's registration, as a department's plugin sends it.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Birth {
    /// The child's name.
    pub child_name: String,
    /// `male` or `female`.
    pub sex: String,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// The parent in whose household the child is registered.
    pub parent_id_number: String,
}

/// The registry's whole state.
#[derive(Debug)]
pub struct Registry {
    persons: HashMap<String, Person>,
    households: BTreeMap<String, Household>,
    /// Next sequence per region and birth date, for males (odd) and
    /// females (even).
    sequences: HashMap<String, (u16, u16)>,
    /// Answers given under each Idempotency-Key.
    pub ledger: Ledger,
}

impl Registry {
    /// The registry with its seeded households (see [`seed`]).
    pub fn seeded() -> Registry {
        let mut r = Registry {
            persons: HashMap::new(),
            households: BTreeMap::new(),
            sequences: HashMap::new(),
            ledger: Ledger::default(),
        };
        for h in seed::households() {
            for (id, name) in &h.members {
                r.persons.insert(
                    id.clone(),
                    Person {
                        id_number: id.clone(),
                        name: name.clone(),
                        household: h.number.clone(),
                    },
                );
            }
            r.households.insert(
                h.number.clone(),
                Household {
                    number: h.number,
                    head_name: h.head_name,
                    address: h.address,
                    district: h.district,
                    members: h.members.iter().map(|(id, _)| id.clone()).collect(),
                },
            );
        }
        r
    }

    /// The person with `id_number` and their household.
    pub fn person(&self, id_number: &str) -> Result<(Person, Household), Problem> {
        resident_id::validate(id_number).map_err(|e| {
            Problem::bad_request("bad-id-number", format!("not a resident ID number: {e}"))
        })?;
        let person = self.persons.get(id_number).ok_or_else(|| {
            Problem::not_found(
                "unknown-person",
                "no person with this resident ID number is registered here",
            )
        })?;
        let household = self.households.get(&person.household).ok_or_else(|| {
            Problem::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "registry-inconsistent",
                "the person's household is missing",
            )
        })?;
        Ok((person.clone(), household.clone()))
    }

    /// Registers a newborn in the parent's household and issues the
    /// child's resident ID number.
    pub fn register_birth(&mut self, birth: &Birth) -> Result<(String, String), Problem> {
        let name = birth.child_name.trim();
        if name.is_empty() || name.chars().count() > 15 {
            return Err(Problem::refused(
                "bad-name",
                "child_name must be 1 to 15 characters",
            ));
        }
        let female = match birth.sex.as_str() {
            "male" => false,
            "female" => true,
            other => {
                return Err(Problem::refused(
                    "bad-sex",
                    format!("sex is `{other}`; `male` or `female`"),
                ));
            }
        };
        let date = Ymd::parse_compact(&birth.birth_date.replace('-', ""))
            .filter(|_| birth.birth_date.len() == 10)
            .ok_or_else(|| {
                Problem::refused(
                    "bad-date",
                    format!("birth_date is `{}`; YYYY-MM-DD", birth.birth_date),
                )
            })?;
        let (_, household) = self.person(&birth.parent_id_number)?;
        if !household.district.starts_with(LOCAL_PREFIX) {
            return Err(Problem::refused(
                "not-local",
                format!(
                    "the parent's household is in region {}, not this registry's ({LOCAL_PREFIX})",
                    household.district
                ),
            ));
        }
        let head = format!("{}{}", household.district, date.compact());
        let next = self.sequences.entry(head.clone()).or_insert((1, 2));
        let seq = if female { &mut next.1 } else { &mut next.0 };
        if *seq > 999 {
            return Err(Problem::conflict(
                "sequence-exhausted",
                format!("every sequence number of {head} is issued"),
            ));
        }
        let first17 = format!("{head}{:03}", *seq);
        *seq += 2;
        let check = resident_id::check_char(&first17).ok_or_else(|| {
            Problem::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "registry-inconsistent",
                "the household's district is not six digits",
            )
        })?;
        let id_number = format!("{first17}{check}");
        self.persons.insert(
            id_number.clone(),
            Person {
                id_number: id_number.clone(),
                name: name.to_owned(),
                household: household.number.clone(),
            },
        );
        if let Some(h) = self.households.get_mut(&household.number) {
            h.members.push(id_number.clone());
        }
        Ok((id_number, household.number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn birth(parent: &str, sex: &str) -> Birth {
        Birth {
            child_name: "林安然".into(),
            sex: sex.into(),
            birth_date: "2026-10-20".into(),
            parent_id_number: parent.into(),
        }
    }

    #[test]
    fn the_examples_family_is_registered() {
        let r = Registry::seeded();
        let (father, household) = r.person("350206198811230519").expect("seeded");
        assert_eq!(father.name, "林志远");
        assert_eq!(household.head_name, "林志远");
        assert_eq!(household.address, "福建省厦门市湖里区金山街道金湖路88号");
        let (mother, h2) = r.person("350203199003071527").expect("seeded");
        assert_eq!(mother.name, "陈静");
        assert_eq!(h2.number, household.number);
    }

    #[test]
    fn numbers_issued_are_valid_unique_and_carry_the_sex() {
        let mut r = Registry::seeded();
        let mut seen = std::collections::HashSet::new();
        for i in 0..20 {
            let sex = if i % 2 == 0 { "female" } else { "male" };
            let (id, _) = r
                .register_birth(&birth("350206198811230519", sex))
                .expect("registered");
            assert!(resident_id::validate(&id).is_ok(), "{id}");
            assert!(id.starts_with("35020620261020"), "{id}");
            let seq: u16 = id[14..17].parse().expect("digits");
            assert_eq!(seq.is_multiple_of(2), sex == "female", "{id}");
            assert!(seen.insert(id.clone()), "issued twice: {id}");
            assert!(r.person(&id).is_ok(), "the child is registered: {id}");
        }
    }

    #[test]
    fn refusals_name_what_is_wrong() {
        let mut r = Registry::seeded();
        let cases = [
            (birth("350206198811230519", "other"), "bad-sex"),
            (
                Birth {
                    birth_date: "2026-02-30".into(),
                    ..birth("350206198811230519", "male")
                },
                "bad-date",
            ),
            (birth("350206198811230510", "male"), "bad-id-number"),
            (
                birth(&seed::valid_id("11010119900307001"), "male"),
                "unknown-person",
            ),
            (
                Birth {
                    child_name: " ".into(),
                    ..birth("350206198811230519", "male")
                },
                "bad-name",
            ),
        ];
        for (b, code) in cases {
            let e = r.register_birth(&b).expect_err(code);
            assert_eq!(e.code(), code, "{b:?}");
        }
        let outsider = seed::OUTSIDER_ID;
        let e = r
            .register_birth(&birth(outsider, "male"))
            .expect_err("not local");
        assert_eq!(e.code(), "not-local");
    }
}
