//! China's coded identifiers that departments read and issue: the resident
//! ID number (GB 11643-1999), the unified social credit code
//! (GB 32100-2015, with its embedded GB 11714 organization code), bank card
//! numbers, mobile phone numbers and postal codes.
//!
//! A thin layer over `onething-idcodes`, the crate the host's data
//! dictionary uses too, so a department refuses exactly what the host
//! refuses, with the same problem code ([`codes`]): `bad-length`,
//! `bad-characters`, `bad-region`, `bad-birth-date`, `bad-check-digit`,
//! `bad-card-number`, `bad-phone`, `bad-postal-code`. Values are checked as
//! typed: a resident ID number ending in a lowercase `x` is refused
//! (`bad-characters`), since two departments must compare the same text.
//!
//! Parse a number to read what it encodes (region, birth date, sex), or
//! build a new one with a correct check character. Not for typed field
//! access: [`crate::Fields`] wraps these into [`crate::Problem`]s.

use std::fmt;

use onething_idcodes::{self as idcodes, CodeError};

use crate::Date;

pub use onething_idcodes::Sex;
/// The stable problem codes an [`IdError`] carries (`bad-check-digit`, …).
pub use onething_idcodes::codes;

/// Why a coded identifier is not well-formed: a stable machine code
/// ([`IdError::code`], one of [`codes`]) for a [`crate::Problem`], and a
/// message for the applicant in English (its `Display`) and Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError(CodeError);

impl IdError {
    /// The stable code: `bad-length`, `bad-characters`, `bad-region`,
    /// `bad-birth-date`, `bad-check-digit`, `bad-card-number`, `bad-phone`
    /// or `bad-postal-code`.
    pub fn code(&self) -> &'static str {
        self.0.code
    }

    /// The message for the applicant (English), naming what is wrong and
    /// what it must be.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The same message in Chinese.
    pub fn message_zh(&self) -> &str {
        &self.0.message_zh
    }

    /// The message in both languages.
    pub fn text(&self) -> crate::Text {
        crate::Text::new(self.message_zh(), self.message())
    }

    /// The underlying `onething-idcodes` error.
    pub fn into_code_error(self) -> CodeError {
        self.0
    }
}

impl From<CodeError> for IdError {
    fn from(error: CodeError) -> Self {
        IdError(error)
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for IdError {}

/// The GB 11643 check character of the first 17 digits, or `None` if
/// `first17` is not 17 ASCII digits.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    idcodes::resident_id::check_char(first17)
}

/// A parsed resident ID number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(idcodes::ResidentId);

impl ResidentId {
    /// Parse and verify an 18-character resident ID number, exactly as
    /// given: nothing is trimmed, and a lowercase `x` check character is
    /// refused (`bad-characters`).
    pub fn parse(text: &str) -> Result<ResidentId, IdError> {
        idcodes::ResidentId::parse(text)
            .map(ResidentId)
            .map_err(IdError)
    }

    /// Build a number from a 6-digit region code, a birth date (1900 or
    /// later) and a sequence (0–999; its parity encodes sex, so choose it
    /// to match). A sequence over 999 is refused as `bad-length`.
    pub fn build(region: &str, birth_date: Date, sequence: u16) -> Result<ResidentId, IdError> {
        idcodes::ResidentId::build(region, birth_date.into(), sequence)
            .map(ResidentId)
            .map_err(IdError)
    }

    /// The whole number.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The 6-digit region code of the registered household at issue.
    pub fn region(&self) -> &str {
        self.0.region()
    }

    /// The date of birth.
    pub fn birth_date(&self) -> Date {
        self.0.birth_date().into()
    }

    /// The 3-digit sequence number.
    pub fn sequence(&self) -> u16 {
        self.0.sequence()
    }

    /// The sex encoded by the sequence's parity.
    pub fn sex(&self) -> Sex {
        self.0.sex()
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The GB 32100 check character of the first 17 characters, or `None` if
/// one of them is not in the code's character set.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    idcodes::uscc::check_char(first17)
}

/// The GB 11714 check character of an 8-character organization code body
/// (digits and uppercase letters), or `None` for other characters.
pub fn org_code_check_char(body8: &str) -> Option<char> {
    idcodes::org_code::check_char(body8)
}

/// Verify a unified social credit code: 18 characters from the code's
/// set, a real region (province-level, or `10` for a national
/// registration), and a matching check character. The embedded GB 11714
/// check character is not checked, as the host does not.
pub fn validate_uscc(code: &str) -> Result<(), IdError> {
    idcodes::uscc::validate(code).map_err(IdError)
}

/// Verify a 9-character GB 11714 organization code (no hyphen).
pub fn validate_org_code(code: &str) -> Result<(), IdError> {
    idcodes::org_code::validate(code).map_err(IdError)
}

/// Verify a bank card number: 12 to 19 digits passing the Luhn check.
pub fn validate_bank_card(card: &str) -> Result<(), IdError> {
    idcodes::bank_card::validate(card).map_err(IdError)
}

/// Verify a mainland mobile phone number: 11 digits starting 13 to 19.
pub fn validate_mobile_phone(phone: &str) -> Result<(), IdError> {
    idcodes::contact::validate_mobile_phone(phone).map_err(IdError)
}

/// Verify a postal code: 6 digits.
pub fn validate_postal_code(code: &str) -> Result<(), IdError> {
    idcodes::contact::validate_postal_code(code).map_err(IdError)
}

/// Build a unified social credit code: registration authority (`9`:
/// market regulation), organization kind (`1`: enterprise, `2`:
/// individual business, `3`: farmers' cooperative), the 6-digit region
/// code, and an 8-character organization body of digits and the code's
/// letters, e.g. `MA` + 6 digits as newly registered bodies have (its
/// GB 11714 check character and the GB 32100 check character are
/// computed here).
pub fn build_uscc(
    authority: char,
    kind: char,
    region: &str,
    body8: &str,
) -> Result<String, IdError> {
    idcodes::uscc::build(authority, kind, region, body8).map_err(IdError)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T>(r: Result<T, IdError>) -> Result<T, &'static str> {
        r.map_err(|e| e.code())
    }

    #[test]
    fn resident_id_published_example() {
        // The worked example of GB 11643-1999.
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        let id = ResidentId::parse("11010519491231002X").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.to_string(), "11010519491231002X");
        assert_eq!(id.region(), "110105");
        assert_eq!(
            id.birth_date(),
            Date {
                year: 1949,
                month: 12,
                day: 31
            }
        );
        assert_eq!(id.sequence(), 2);
        assert_eq!(id.sex(), Sex::Female);
    }

    #[test]
    fn resident_id_faults() {
        assert_eq!(
            code(ResidentId::parse("1101051949123100")),
            Err("bad-length")
        );
        assert_eq!(
            code(ResidentId::parse("11010519491231002Y")),
            Err("bad-characters")
        );
        // The check character is a capital X: the lowercase is refused,
        // not normalised, and the message says why.
        let lower = ResidentId::parse("11010519491231002x").expect_err("lowercase x");
        assert_eq!(lower.code(), codes::BAD_CHARACTERS);
        assert!(lower.to_string().contains("capital X"), "{lower}");
        // Nor is surrounding space trimmed.
        assert_eq!(
            code(ResidentId::parse(" 11010519491231002X")),
            Err("bad-length")
        );
        assert_eq!(
            code(ResidentId::parse("99010519491231002X")),
            Err("bad-region")
        );
        assert_eq!(
            code(ResidentId::parse("110105194902300021")),
            Err("bad-birth-date")
        );
        // A birth year before 1900 (check digit correct for the first 17).
        assert_eq!(
            code(ResidentId::parse("110105189912310023")),
            Err("bad-birth-date")
        );
        let bad = ResidentId::parse("110105194912310021").expect_err("check digit");
        assert_eq!(bad.code(), "bad-check-digit");
        assert_eq!(
            bad.message(),
            "the check digit is 1, but for these first 17 digits it must be X (GB 11643-1999)"
        );
        assert_eq!(
            code(ResidentId::parse("身份证号码身份证")),
            Err("bad-length")
        );
        assert_eq!(bad.clone().into_code_error().code, bad.code());
    }

    #[test]
    fn resident_id_builds_valid_numbers() {
        let birth = Date {
            year: 2026,
            month: 10,
            day: 20,
        };
        for seq in [0u16, 1, 2, 457, 999] {
            let id = ResidentId::build("350203", birth, seq).expect("builds");
            let parsed = ResidentId::parse(id.as_str()).expect("round trip");
            assert_eq!(parsed, id);
            assert_eq!(parsed.birth_date(), birth);
            assert_eq!(parsed.sequence(), seq);
            assert_eq!(
                parsed.sex(),
                if seq % 2 == 1 { Sex::Male } else { Sex::Female }
            );
        }
        assert_eq!(
            code(ResidentId::build("000000", birth, 1)),
            Err("bad-region")
        );
        assert_eq!(
            code(ResidentId::build("350203", birth, 1000)),
            Err("bad-length")
        );
        let old = Date {
            year: 1899,
            month: 12,
            day: 31,
        };
        assert_eq!(
            code(ResidentId::build("350203", old, 1)),
            Err("bad-birth-date")
        );
        assert_eq!(Sex::from_code("female"), Some(Sex::Female));
        assert_eq!(Sex::Male.code(), "male");
    }

    #[test]
    fn uscc_known_and_built() {
        // A published code (Tencent Technology (Shenzhen) Co., Ltd.).
        assert_eq!(validate_uscc("9144030071526726XG"), Ok(()));
        assert_eq!(
            code(validate_uscc("9144030071526726XH")),
            Err("bad-check-digit")
        );
        assert_eq!(code(validate_uscc("9144030071526726X")), Err("bad-length"));
        assert_eq!(
            code(validate_uscc("9144030071526726IG")),
            Err("bad-characters")
        );
        assert_eq!(
            code(validate_uscc("9144030071526726xg")),
            Err("bad-characters")
        );
        assert_eq!(code(validate_uscc("9199030071526726XN")), Err("bad-region"));
        assert_eq!(org_code_check_char("71526726"), Some('X'));
        assert_eq!(validate_org_code("71526726X"), Ok(()));
        assert_eq!(uscc_check_char("9144030071526726X"), Some('G'));
        let built = build_uscc('9', '1', "350200", "12345678").expect("builds");
        assert_eq!(validate_uscc(&built), Ok(()));
        assert_eq!(&built[..8], "91350200");
        // A national registration (region 100000).
        let national = build_uscc('9', '1', "100000", "MA001234").expect("builds");
        assert_eq!(national, "91100000MA001234XJ");
        assert_eq!(validate_uscc(&national), Ok(()));
        assert_eq!(
            code(build_uscc('9', '1', "990000", "12345678")),
            Err("bad-region")
        );
        let new_body = build_uscc('9', '1', "350206", "MA345678").expect("builds");
        assert_eq!(validate_uscc(&new_body), Ok(()));
        assert_eq!(
            code(build_uscc('9', '1', "350200", "1234567I")),
            Err("bad-characters")
        );
        assert_eq!(
            code(build_uscc('9', '1', "350200", "1234567")),
            Err("bad-length")
        );
    }

    #[test]
    fn cards_phones_postcodes() {
        assert_eq!(validate_bank_card("4111111111111111"), Ok(()));
        assert_eq!(
            code(validate_bank_card("4111111111111112")),
            Err("bad-check-digit")
        );
        assert_eq!(code(validate_bank_card("41111")), Err("bad-card-number"));
        assert_eq!(validate_mobile_phone("13800138000"), Ok(()));
        assert_eq!(code(validate_mobile_phone("12800138000")), Err("bad-phone"));
        assert_eq!(validate_postal_code("361000"), Ok(()));
        assert_eq!(code(validate_postal_code("36100")), Err("bad-postal-code"));
    }
}
