//! Market regulation's enterprise name registry (企业名称), simulated:
//! a name is free or reserved by one holder (the application that
//! reserved it); a second reservation by the same holder gets the same
//! reservation back, anyone else is told who holds it (409 with
//! `holder`), and a holder may release its reservation.
//!
//! - `GET    /enterprise-names/v1/names/{name}`: `{name, status, holder?}`.
//! - `POST   /enterprise-names/v1/reservations`: `{name, holder}` →
//!   201 `{reservation, name, holder}` (200 if the holder had it already).
//! - `DELETE /enterprise-names/v1/reservations/{reservation}`: 204.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::problem::Problem;

/// The longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 50;

/// A reservation request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reserve {
    /// The enterprise name.
    pub name: String,
    /// Who reserves it (the application's key).
    pub holder: String,
}

/// A reservation held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation {
    /// Its id.
    pub reservation: String,
    /// The name, as normalised.
    pub name: String,
    /// Who holds it.
    pub holder: String,
}

/// What a name reservation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// Newly reserved.
    New(Reservation),
    /// The holder had it already.
    Already(Reservation),
}

/// The registry's state.
#[derive(Debug, Default)]
pub struct Registry {
    by_name: HashMap<String, Reservation>,
    next: u64,
}

/// The name as the registry compares it: blanks removed.
pub fn normalise(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).collect()
}

impl Registry {
    /// The registry with one name already taken, as a real registry has
    /// many (`厦门鹭岛科技有限公司`).
    pub fn seeded() -> Registry {
        let mut r = Registry::default();
        let _ = r.reserve(&Reserve {
            name: "厦门鹭岛科技有限公司".into(),
            holder: "registered-enterprise".into(),
        });
        r
    }

    /// What the registry says of `name`.
    pub fn lookup(&self, name: &str) -> serde_json::Value {
        let name = normalise(name);
        match self.by_name.get(&name) {
            Some(r) => serde_json::json!({"name": name, "status": "reserved", "holder": r.holder}),
            None => serde_json::json!({"name": name, "status": "free"}),
        }
    }

    /// Reserves a name for its holder, or says who holds it.
    pub fn reserve(&mut self, request: &Reserve) -> Result<Reserved, Problem> {
        let name = normalise(&request.name);
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(Problem::refused(
                "bad-name",
                format!("the name has {chars} characters; 1 to {MAX_NAME_CHARS}"),
            ));
        }
        if request.holder.trim().is_empty() {
            return Err(Problem::refused("bad-holder", "holder is empty"));
        }
        if let Some(held) = self.by_name.get(&name) {
            if held.holder == request.holder {
                return Ok(Reserved::Already(held.clone()));
            }
            return Err(Problem::conflict(
                "name-taken",
                format!("the name {name} is reserved by another applicant"),
            )
            .with("holder", held.holder.clone()));
        }
        self.next += 1;
        let reservation = Reservation {
            reservation: format!("NR{:010}", self.next),
            name: name.clone(),
            holder: request.holder.clone(),
        };
        self.by_name.insert(name, reservation.clone());
        Ok(Reserved::New(reservation))
    }

    /// Releases a reservation.
    pub fn release(&mut self, reservation: &str) -> Result<(), Problem> {
        let name = self
            .by_name
            .iter()
            .find(|(_, r)| r.reservation == reservation)
            .map(|(n, _)| n.clone())
            .ok_or_else(|| Problem::not_found("unknown-reservation", "no such reservation"))?;
        self.by_name.remove(&name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reserve(name: &str, holder: &str) -> Reserve {
        Reserve {
            name: name.into(),
            holder: holder.into(),
        }
    }

    #[test]
    fn one_holder_per_name_and_the_others_are_told_who() {
        let mut r = Registry::seeded();
        let Ok(Reserved::New(first)) = r.reserve(&reserve("厦门鹭岛 茶业有限公司", "app-1"))
        else {
            panic!("reserved");
        };
        assert_eq!(first.name, "厦门鹭岛茶业有限公司");
        assert_eq!(
            r.reserve(&reserve("厦门鹭岛茶业有限公司", "app-1")).ok(),
            Some(Reserved::Already(first.clone()))
        );
        let e = r
            .reserve(&reserve("厦门鹭岛茶业有限公司", "app-2"))
            .expect_err("taken");
        assert_eq!(e.code(), "name-taken");
        assert!(format!("{e:?}").contains("app-1"), "{e:?}");
        assert_eq!(r.lookup("厦门鹭岛茶业有限公司")["holder"], "app-1");
        r.release(&first.reservation).expect("released");
        assert_eq!(r.lookup("厦门鹭岛茶业有限公司")["status"], "free");
        assert_eq!(
            r.release(&first.reservation).expect_err("gone").code(),
            "unknown-reservation"
        );
        assert_eq!(r.lookup("厦门鹭岛科技有限公司")["status"], "reserved");
    }

    #[test]
    fn an_empty_or_overlong_name_is_refused() {
        let mut r = Registry::default();
        assert_eq!(
            r.reserve(&reserve(" ", "a")).expect_err("empty").code(),
            "bad-name"
        );
        let long = "厦".repeat(MAX_NAME_CHARS + 1);
        assert_eq!(
            r.reserve(&reserve(&long, "a")).expect_err("long").code(),
            "bad-name"
        );
        assert_eq!(
            r.reserve(&reserve("厦门某某有限公司", " "))
                .expect_err("holder")
                .code(),
            "bad-holder"
        );
    }
}
