//! Which simulated systems there are, and where each one lives.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One department's system, as the simulator offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    /// Public security's household registry (户籍): persons, households,
    /// newborns' registration and their resident ID numbers.
    Household,
    /// Market regulation's enterprise name registry (企业名称): names
    /// looked up, reserved and released.
    EnterpriseNames,
    /// Human resources and social security's enrolment (社保参保).
    SocialInsurance,
    /// The tax bureau's registration (税务登记).
    Tax,
    /// The housing provident fund's accounts (住房公积金).
    HousingFund,
}

impl System {
    /// Every system, in a fixed order.
    pub const ALL: [System; 5] = [
        System::Household,
        System::EnterpriseNames,
        System::SocialInsurance,
        System::Tax,
        System::HousingFund,
    ];

    /// The name used in paths, configuration and answers.
    pub fn name(self) -> &'static str {
        match self {
            System::Household => "household",
            System::EnterpriseNames => "enterprise-names",
            System::SocialInsurance => "social-insurance",
            System::Tax => "tax",
            System::HousingFund => "housing-fund",
        }
    }

    /// The system of that name, if there is one.
    pub fn from_name(name: &str) -> Option<System> {
        System::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The path every route of the system starts with, e.g. `/household`.
    pub fn prefix(self) -> String {
        format!("/{}", self.name())
    }

    /// The names of every system, for messages that list them.
    pub fn names() -> String {
        System::ALL.map(System::name).join(", ")
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_what_serde_writes() {
        for s in System::ALL {
            assert_eq!(System::from_name(s.name()), Some(s));
            assert_eq!(
                serde_json::to_value(s).ok(),
                Some(serde_json::Value::String(s.name().into()))
            );
        }
        assert_eq!(System::from_name("health"), None);
    }
}
