//! China's coded identifiers that departments read and issue: the resident
//! ID number (GB 11643-1999) and the unified social credit code
//! (GB 32100-2015, with its embedded GB 11714 organization code).
//!
//! Parse one to read what it encodes (region, birth date, sex), or build
//! a new one with a correct check character. The host already refuses
//! malformed values in applicant fields; departments use this for the
//! facts inside a number and to issue new numbers.

use std::fmt;

use crate::Date;

/// Why a coded identifier is not well-formed. [`IdError::code`] is a
/// stable machine code suitable for a [`crate::Problem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Not the right number of characters.
    WrongLength,
    /// A character not allowed at its position.
    BadCharacter,
    /// The region code is not a real province-level prefix.
    BadRegion,
    /// The embedded birth date does not exist or is out of range.
    BadBirthDate,
    /// The check character does not match.
    BadCheckCharacter,
}

impl IdError {
    /// A stable code: `wrong-length`, `bad-character`, `bad-region`,
    /// `bad-birth-date`, `bad-check-digit`.
    pub fn code(self) -> &'static str {
        match self {
            IdError::WrongLength => "wrong-length",
            IdError::BadCharacter => "bad-character",
            IdError::BadRegion => "bad-region",
            IdError::BadBirthDate => "bad-birth-date",
            IdError::BadCheckCharacter => "bad-check-digit",
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::WrongLength => "wrong length",
            IdError::BadCharacter => "a character is not allowed at its position",
            IdError::BadRegion => "unknown region code",
            IdError::BadBirthDate => "the birth date does not exist",
            IdError::BadCheckCharacter => "the check character does not match",
        })
    }
}

impl std::error::Error for IdError {}

/// Sex as encoded in a resident ID number (odd 17th digit: male).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Male.
    Male,
    /// Female.
    Female,
}

impl Sex {
    /// The dictionary's choice code: `male` or `female`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// From the dictionary's choice code.
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// Province-level codes valid as the first two digits of a region code.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

fn is_region(region: &str) -> bool {
    region.len() == 6
        && region.bytes().all(|b| b.is_ascii_digit())
        && region
            .get(0..2)
            .and_then(|p| p.parse::<u8>().ok())
            .is_some_and(|p| PROVINCES.contains(&p))
}

/// The GB 11643 check character of the first 17 digits, or `None` if
/// `first17` is not 17 ASCII digits.
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK.get((sum % 11) as usize).copied()
}

/// A parsed resident ID number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId {
    number: String,
    birth_date: Date,
}

impl ResidentId {
    /// Parse and verify an 18-character resident ID number (a lowercase
    /// `x` check character is accepted and normalised to `X`).
    pub fn parse(text: &str) -> Result<ResidentId, IdError> {
        let number = text.trim().to_ascii_uppercase();
        let bytes = number.as_bytes();
        if bytes.len() != 18 {
            return Err(IdError::WrongLength);
        }
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(IdError::BadCharacter);
        }
        if !is_region(&number[..6]) {
            return Err(IdError::BadRegion);
        }
        let birth_date = Date::parse_compact(&number[6..14]).ok_or(IdError::BadBirthDate)?;
        if birth_date.year < 1900 {
            return Err(IdError::BadBirthDate);
        }
        if resident_id_check_char(&number[..17]) != Some(char::from(bytes[17])) {
            return Err(IdError::BadCheckCharacter);
        }
        Ok(ResidentId { number, birth_date })
    }

    /// Build a number from a 6-digit region code, a birth date and a
    /// sequence (0–999; its parity encodes sex, so choose it to match).
    pub fn build(region: &str, birth_date: Date, sequence: u16) -> Result<ResidentId, IdError> {
        if !is_region(region) {
            return Err(IdError::BadRegion);
        }
        if !birth_date.is_valid() || !(1900..=9999).contains(&birth_date.year) {
            return Err(IdError::BadBirthDate);
        }
        if sequence > 999 {
            return Err(IdError::BadCharacter);
        }
        let first17 = format!("{region}{}{sequence:03}", birth_date.compact());
        let check = resident_id_check_char(&first17).ok_or(IdError::BadCharacter)?;
        Ok(ResidentId {
            number: format!("{first17}{check}"),
            birth_date,
        })
    }

    /// The whole number.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The 6-digit region code of the registered household at issue.
    pub fn region(&self) -> &str {
        &self.number[..6]
    }

    /// The date of birth.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// The 3-digit sequence number.
    pub fn sequence(&self) -> u16 {
        self.number[14..17].parse().unwrap_or(0)
    }

    /// The sex encoded by the sequence's last digit.
    pub fn sex(&self) -> Sex {
        if self.sequence() % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

/// The 31 characters of a unified social credit code, in value order.
const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

fn uscc_value(c: u8) -> Option<u32> {
    USCC_CHARS.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The GB 32100 check character of the first 17 characters, or `None` if
/// one of them is not in the code's character set.
pub fn uscc_check_char(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        sum += uscc_value(*b)? * w;
    }
    let check = (31 - sum % 31) % 31;
    USCC_CHARS.get(check as usize).map(|&c| char::from(c))
}

/// The GB 11714 check character of an 8-character organization code body
/// (digits and uppercase letters), or `None` for other characters.
pub fn org_code_check_char(body8: &str) -> Option<char> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let bytes = body8.as_bytes();
    if bytes.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (b, w) in bytes.iter().zip(WEIGHTS) {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            b'A'..=b'Z' => u32::from(b - b'A') + 10,
            _ => return None,
        };
        sum += v * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        n => char::from_digit(n, 10),
    }
}

/// Verify a unified social credit code: 18 characters from the code's
/// set, a real region, and a matching check character.
pub fn validate_uscc(code: &str) -> Result<(), IdError> {
    let bytes = code.as_bytes();
    if bytes.len() != 18 {
        return Err(IdError::WrongLength);
    }
    if !bytes.iter().all(|&b| uscc_value(b).is_some()) {
        return Err(IdError::BadCharacter);
    }
    if !is_region(&code[2..8]) {
        return Err(IdError::BadRegion);
    }
    if uscc_check_char(&code[..17]) != Some(char::from(bytes[17])) {
        return Err(IdError::BadCheckCharacter);
    }
    Ok(())
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
    if !is_region(region) {
        return Err(IdError::BadRegion);
    }
    if body8.len() != 8 || !body8.bytes().all(|b| uscc_value(b).is_some()) {
        return Err(IdError::BadCharacter);
    }
    let org_check = org_code_check_char(body8).ok_or(IdError::BadCharacter)?;
    let first17 = format!("{authority}{kind}{region}{body8}{org_check}");
    let check = uscc_check_char(&first17).ok_or(IdError::BadCharacter)?;
    Ok(format!("{first17}{check}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resident_id_published_example() {
        // The worked example of GB 11643-1999.
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        let id = ResidentId::parse("11010519491231002x").expect("valid");
        assert_eq!(id.as_str(), "11010519491231002X");
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
            ResidentId::parse("1101051949123100"),
            Err(IdError::WrongLength)
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y"),
            Err(IdError::BadCharacter)
        );
        assert_eq!(
            ResidentId::parse("99010519491231002X"),
            Err(IdError::BadRegion)
        );
        assert_eq!(
            ResidentId::parse("110105194902300021"),
            Err(IdError::BadBirthDate)
        );
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(IdError::BadCheckCharacter)
        );
        assert_eq!(
            ResidentId::parse("身份证号码身份证"),
            Err(IdError::WrongLength)
        );
        assert_eq!(IdError::BadCheckCharacter.code(), "bad-check-digit");
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
            assert_eq!(parsed.birth_date(), birth);
            assert_eq!(parsed.sequence(), seq);
            assert_eq!(
                parsed.sex(),
                if seq % 2 == 1 { Sex::Male } else { Sex::Female }
            );
        }
        assert_eq!(
            ResidentId::build("000000", birth, 1),
            Err(IdError::BadRegion)
        );
        assert_eq!(
            ResidentId::build("350203", birth, 1000),
            Err(IdError::BadCharacter)
        );
        assert_eq!(Sex::from_code("female"), Some(Sex::Female));
        assert_eq!(Sex::Male.code(), "male");
    }

    #[test]
    fn uscc_known_and_built() {
        // A published code (Tencent Technology (Shenzhen) Co., Ltd.).
        assert_eq!(validate_uscc("9144030071526726XG"), Ok(()));
        assert_eq!(
            validate_uscc("9144030071526726XH"),
            Err(IdError::BadCheckCharacter)
        );
        assert_eq!(
            validate_uscc("9144030071526726X"),
            Err(IdError::WrongLength)
        );
        assert_eq!(
            validate_uscc("9144030071526726IG"),
            Err(IdError::BadCharacter)
        );
        assert_eq!(org_code_check_char("71526726"), Some('X'));
        let built = build_uscc('9', '1', "350200", "12345678").expect("builds");
        assert_eq!(validate_uscc(&built), Ok(()));
        assert_eq!(&built[..8], "91350200");
        assert_eq!(
            build_uscc('9', '1', "990000", "12345678"),
            Err(IdError::BadRegion)
        );
        let new_body = build_uscc('9', '1', "350206", "MA345678").expect("builds");
        assert_eq!(validate_uscc(&new_body), Ok(()));
        assert_eq!(
            build_uscc('9', '1', "350200", "1234567I"),
            Err(IdError::BadCharacter)
        );
        assert_eq!(
            build_uscc('9', '1', "350200", "1234567"),
            Err(IdError::BadCharacter)
        );
    }
}
