//! # onething-idcodes
//!
//! The one rule set for the coded identifiers OneThing handles, shared by
//! the host (the data dictionary's `format`s) and the SDK (what department
//! plugins parse and issue), so that both give the same verdict and the
//! same problem code for the same text:
//!
//! - [`resident_id`]: the resident ID number (GB 11643-1999);
//! - [`uscc`]: the unified social credit code (GB 32100-2015);
//! - [`org_code`]: the organisation code (GB 11714-1997) embedded in it;
//! - [`bank_card`]: bank card numbers (Luhn);
//! - [`contact`]: mainland mobile phone numbers and postal codes;
//! - [`ids`]: OneThing's own ids (kebab-case ids, dictionary keys, semver);
//! - [`date`]: the tiny calendar date ([`Ymd`]) a resident ID encodes;
//! - [`vectors`]: test vectors every consumer runs through its own entry
//!   points.
//!
//! Std only, no dependencies: it compiles for `wasm32-wasip2` (inside every
//! department component) as well as natively. Not for type checks (text vs
//! number), for dates with time zones, or for anything that needs a clock
//! (a birth date in the future is a department's rule, not a format rule).
//!
//! ## Decisions (one rule set where host and SDK used to differ)
//!
//! - **Errors.** Every validator returns a [`CodeError`]: a stable,
//!   machine-readable [`CodeError::code`] (the host's codes, listed in
//!   [`codes`]) and an English message for the applicant that names what is
//!   wrong and what it must be. The message may change; the code does not.
//! - **Order of checks.** Length, characters, region, birth date, check
//!   character: the first failing check is reported, so one fault gives one
//!   code however many other faults the text has.
//! - **Length is counted in characters**, not bytes: `"身份证号码"` is 5
//!   characters long, and eighteen full-width digits have the right length
//!   but the wrong characters.
//! - **Text is validated as typed.** Nothing is trimmed, upper-cased or
//!   otherwise normalised: the dictionary stores the value as typed and two
//!   departments must compare the same text. So a resident ID number whose
//!   check character is a lowercase `x` is refused (`bad-characters`,
//!   asking for a capital `X`), and so is any lowercase letter in a credit
//!   code.
//! - **Regions.** A resident ID number's first two digits are a
//!   province-level code ([`region::PROVINCES`]). A credit code's
//!   characters 3 to 8 are six digits whose first two are a province-level
//!   code or `10` (national registrations, region `100000`, e.g. central
//!   enterprises registered with the State Administration for Market
//!   Regulation). Only the province is checked, not the whole county list.
//! - **Birth dates** must be real dates in 1900 or later: an earlier year
//!   is a typo in practice, and is refused as `bad-birth-date`.
//! - **The credit code's embedded organisation code** (characters 9 to 17)
//!   is not checked by [`uscc::validate`] (many codes issued to bodies
//!   other than enterprises do not carry a GB 11714 check); it can be
//!   checked as well with [`uscc::validate_strict`].
//! - **Ids** ([`ids`]) are at most [`ids::MAX_ID_LEN`] (64) bytes,
//!   dictionary keys at most [`ids::MAX_KEY_LEN`] (128) bytes, and versions
//!   follow Semantic Versioning 2.0.0.

pub mod bank_card;
pub mod contact;
pub mod date;
mod error;
pub mod ids;
pub mod org_code;
pub mod region;
pub mod resident_id;
pub mod uscc;
pub mod vectors;

pub use date::Ymd;
pub use error::{CodeError, codes};
pub use resident_id::{ResidentId, Sex};

/// The kinds of coded identifier this crate validates, each with its name
/// as a data dictionary `format` (`org-code` is this crate's name; the
/// dictionary has no such format yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A resident ID number (GB 11643-1999), format `resident-id`.
    ResidentId,
    /// A unified social credit code (GB 32100-2015), format `uscc`.
    Uscc,
    /// An organisation code (GB 11714-1997), format `org-code`.
    OrgCode,
    /// A bank card number (Luhn), format `bank-card`.
    BankCard,
    /// A mainland mobile phone number, format `mobile-phone`.
    MobilePhone,
    /// A six-digit postal code, format `postal-code`.
    PostalCode,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 6] = [
        Kind::ResidentId,
        Kind::Uscc,
        Kind::OrgCode,
        Kind::BankCard,
        Kind::MobilePhone,
        Kind::PostalCode,
    ];

    /// The name of this format in the dictionary, e.g. `resident-id`.
    pub fn format_name(self) -> &'static str {
        match self {
            Kind::ResidentId => "resident-id",
            Kind::Uscc => "uscc",
            Kind::OrgCode => "org-code",
            Kind::BankCard => "bank-card",
            Kind::MobilePhone => "mobile-phone",
            Kind::PostalCode => "postal-code",
        }
    }

    /// The kind a dictionary `format` names, if any.
    pub fn from_format_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.format_name() == name)
    }

    /// Validate `text` as this kind.
    pub fn validate(self, text: &str) -> Result<(), CodeError> {
        match self {
            Kind::ResidentId => resident_id::validate(text),
            Kind::Uscc => uscc::validate(text),
            Kind::OrgCode => org_code::validate(text),
            Kind::BankCard => bank_card::validate(text),
            Kind::MobilePhone => contact::validate_mobile_phone(text),
            Kind::PostalCode => contact::validate_postal_code(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_format_name(kind.format_name()), Some(kind));
        }
        assert_eq!(Kind::from_format_name("email"), None);
    }
}
