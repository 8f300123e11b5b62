//! The household registry (户籍系统), the bureau's own system: look a
//! person and their household up (`GET {base_url}/persons/{id_number}`)
//! and register a newborn (`POST {base_url}/births`, with the step's
//! idempotency key), which issues the child's resident ID number.
//!
//! The registry's prefix is the configuration value [`BASE_URL`]; the
//! host adds its credential. Its refusals that are the applicant's to
//! correct (an unknown person, a household outside Xiamen, a name it
//! refuses) come back as [`Refusal`]s, for the step to turn into
//! problems; its failures as [`StepError`]s (transient when it is down).

use onething_sdk::{StepError, config, http};
use serde::{Deserialize, Serialize};

use crate::DEPARTMENT;

/// The configuration key holding the registry's prefix
/// (`http://…/household/v1`).
pub const BASE_URL: &str = "base_url";

/// A household, as the registry has it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Household {
    /// The household's number.
    pub number: String,
    /// The head of the household's name.
    pub head_name: String,
    /// The registered address.
    pub address: String,
    /// The district's region code (`350206`).
    pub district: String,
}

/// A registered person and their household.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Person {
    /// Their resident ID number.
    pub id_number: String,
    /// Their household.
    pub household: Household,
}

/// A newborn to register.
#[derive(Debug, Clone, Serialize)]
pub struct Birth<'a> {
    /// The child's name.
    pub child_name: &'a str,
    /// `male` or `female`.
    pub sex: &'a str,
    /// `YYYY-MM-DD`.
    pub birth_date: String,
    /// The parent in whose household the child is registered.
    pub parent_id_number: &'a str,
}

/// What the registry issued for a newborn.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Registered {
    /// The child's resident ID number.
    pub id_number: String,
    /// The household the child now belongs to.
    pub household_number: String,
}

/// A refusal the applicant can act on: the registry's problem code
/// (`unknown-person`, `not-local`, `bad-name`, `bad-sex`, `bad-date`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

fn base() -> Result<String, StepError> {
    Ok(config::require_for(DEPARTMENT, BASE_URL)?
        .trim_end_matches('/')
        .to_owned())
}

/// The person with `id_number`, or `Ok(None)` if the registry knows no
/// such person (404 `unknown-person`).
pub fn person(id_number: &str) -> Result<Option<Person>, StepError> {
    let url = format!("{}/persons/{}", base()?, http::path_segment(id_number));
    let response = http::get(url).send()?;
    if response.status() == 404
        && response
            .problem()
            .is_some_and(|p| p.code() == "unknown-person")
    {
        return Ok(None);
    }
    Ok(Some(response.error_for_status()?.json()?))
}

/// Register `birth` under `idempotency_key` (a retried attempt gets the
/// first answer again): what the registry issued, or its refusal.
pub fn register(
    idempotency_key: &str,
    birth: &Birth<'_>,
) -> Result<Result<Registered, Refusal>, StepError> {
    let response = http::post_json(format!("{}/births", base()?), birth)
        .idempotency_key(idempotency_key)
        .send()?;
    if matches!(response.status(), 404 | 422)
        && let Some(problem) = response.problem()
        && matches!(
            problem.code(),
            "unknown-person" | "not-local" | "bad-name" | "bad-sex" | "bad-date"
        )
    {
        return Ok(Err(Refusal(problem.code().to_owned())));
    }
    Ok(Ok(response.error_for_status()?.json()?))
}
