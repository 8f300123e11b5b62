//! The citizen's resident ID number (公民身份号码), GB 11643-1999: a
//! six-digit region code, the eight-digit birth date `YYYYMMDD`, a
//! three-digit sequence (odd for men, even for women) and a check
//! character (a digit or a capital `X`) over the first 17 digits.
//!
//! [`validate`] and [`ResidentId::parse`] apply the crate's one rule set
//! (see the crate docs): 18 characters; 17 digits then a digit or a
//! capital `X` (a lowercase `x` is refused); a province-level region; a
//! real birth date in 1900 or later; the right check character. Not for
//! the first-generation 15-digit numbers (refused as `bad-length`) nor for
//! the permanent residence cards of foreigners.

use std::fmt;

use crate::codes::{BAD_BIRTH_DATE, BAD_CHARACTERS, BAD_CHECK_DIGIT, BAD_LENGTH, BAD_REGION};
use crate::error::char_count;
use crate::{CodeError, Ymd, region};

/// The number of characters of a resident ID number.
pub const LEN: usize = 18;

/// The earliest birth year accepted: an earlier year is a typo in practice.
pub const MIN_BIRTH_YEAR: i32 = 1900;

/// The check character (`0`–`9` or `X`) of the first 17 digits, or `None`
/// if `first17` is not 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
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

/// The birth date encoded in digits 7 to 14 of `id`, if they are a real
/// date. Reads the date only: the number may still be invalid otherwise,
/// and a year before [`MIN_BIRTH_YEAR`] is returned as it is.
pub fn birth_date(id: &str) -> Option<Ymd> {
    id.get(6..14).and_then(Ymd::parse_compact)
}

/// Check a resident ID number against GB 11643-1999 and the crate's rules.
pub fn validate(id: &str) -> Result<(), CodeError> {
    check(id).map(|_| ())
}

/// Every check of [`validate`], in order; the birth date on success.
fn check(id: &str) -> Result<Ymd, CodeError> {
    let n = char_count(id);
    if n != LEN {
        let first_generation = n == 15 && id.bytes().all(|b| b.is_ascii_digit());
        let (hint, hint_zh) = if first_generation {
            (
                " (a first-generation 15-digit number is no longer valid: give the 18-digit one)",
                "（第一代 15 位号码已不再有效：请填写 18 位号码）",
            )
        } else {
            ("", "")
        };
        return Err(CodeError::new(
            BAD_LENGTH,
            format!("居民身份证号码应为 18 位，此号码为 {n} 位{hint_zh}"),
            format!("a resident ID number has 18 characters; this one has {n}{hint}"),
        ));
    }
    for (i, c) in id.chars().enumerate() {
        if i < LEN - 1 && !c.is_ascii_digit() {
            return Err(CodeError::new(
                BAD_CHARACTERS,
                format!("居民身份证号码前 17 位须为数字；第 {} 位是 {c:?}", i + 1),
                format!(
                    "the first 17 characters of a resident ID number must be digits; character {} is {c:?}",
                    i + 1
                ),
            ));
        }
        if i == LEN - 1 && c == 'x' {
            return Err(CodeError::new(
                BAD_CHARACTERS,
                "居民身份证号码最后一位须为数字或大写 X：校验码请写大写 X，不要写小写 x",
                "the last character of a resident ID number must be a digit or a capital X: write the check character as a capital X, not a lowercase x",
            ));
        }
        if i == LEN - 1 && !(c.is_ascii_digit() || c == 'X') {
            return Err(CodeError::new(
                BAD_CHARACTERS,
                format!("居民身份证号码最后一位须为数字或大写 X；此处是 {c:?}"),
                format!(
                    "the last character of a resident ID number must be a digit or a capital X; it is {c:?}"
                ),
            ));
        }
    }
    // From here on `id` is 18 ASCII characters, so byte ranges are safe.
    let (Some(region_code), Some(date_digits), Some(first17), Some(last)) =
        (id.get(..6), id.get(6..14), id.get(..17), id.get(17..))
    else {
        return Err(CodeError::new(
            BAD_CHARACTERS,
            "居民身份证号码只能由半角数字和 X 组成",
            "a resident ID number is written in ASCII digits and X",
        ));
    };
    if !region::is_resident_region(region_code) {
        return Err(CodeError::new(
            BAD_REGION,
            format!(
                "{} 不是省级行政区划代码（居民身份证号码前两位，如北京为 11）",
                region_code.get(..2).unwrap_or(region_code)
            ),
            format!(
                "{} is not a province code (the first two digits of a resident ID number, e.g. 11 for Beijing)",
                region_code.get(..2).unwrap_or(region_code)
            ),
        ));
    }
    let Some(birth) = Ymd::parse_compact(date_digits) else {
        return Err(CodeError::new(
            BAD_BIRTH_DATE,
            format!("第 7 至 14 位（{date_digits}）不是有效日期：应为出生日期 YYYYMMDD"),
            format!(
                "digits 7 to 14 ({date_digits}) are not a real date: they must be the date of birth as YYYYMMDD"
            ),
        ));
    };
    if birth.year < MIN_BIRTH_YEAR {
        return Err(CodeError::new(
            BAD_BIRTH_DATE,
            format!(
                "第 7 至 14 位（{date_digits}）表示的出生年份早于 {MIN_BIRTH_YEAR} 年：请核对出生日期"
            ),
            format!(
                "digits 7 to 14 ({date_digits}) give a birth year before {MIN_BIRTH_YEAR}: please check the date of birth"
            ),
        ));
    }
    let expected = check_char(first17).ok_or_else(|| {
        CodeError::new(
            BAD_CHARACTERS,
            "居民身份证号码前 17 位须为数字",
            "the first 17 characters of a resident ID number must be digits",
        )
    })?;
    if !last.starts_with(expected) {
        return Err(CodeError::new(
            BAD_CHECK_DIGIT,
            format!("校验码为 {last}，但按前 17 位应为 {expected}（GB 11643-1999）"),
            format!(
                "the check digit is {last}, but for these first 17 digits it must be {expected} (GB 11643-1999)"
            ),
        ));
    }
    Ok(birth)
}

/// Sex as encoded by the parity of a resident ID number's sequence (odd:
/// male, even: female).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Male (odd sequence).
    Male,
    /// Female (even sequence).
    Female,
}

impl Sex {
    /// The sex a sequence number encodes.
    pub fn of_sequence(sequence: u16) -> Sex {
        if sequence % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The data dictionary's choice code: `male` or `female`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }

    /// From the data dictionary's choice code (`male` or `female`).
    pub fn from_code(code: &str) -> Option<Sex> {
        match code {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => None,
        }
    }
}

/// A resident ID number that passed [`validate`], with what it encodes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    number: String,
    birth_date: Ymd,
    sequence: u16,
}

impl ResidentId {
    /// Parse and verify a resident ID number, exactly as typed (nothing is
    /// trimmed or upper-cased).
    pub fn parse(text: &str) -> Result<ResidentId, CodeError> {
        let birth_date = check(text)?;
        let sequence = text.get(14..17).and_then(|s| s.parse().ok()).unwrap_or(0);
        Ok(ResidentId {
            number: text.to_owned(),
            birth_date,
            sequence,
        })
    }

    /// Build a number from a six-digit region code (province-level prefix),
    /// a birth date (a real date, 1900 to 9999) and a sequence (0 to 999;
    /// its parity encodes sex, so choose it to match), computing the check
    /// character. A sequence over 999 does not fit its three digits and is
    /// refused as `bad-length`.
    pub fn build(region: &str, birth_date: Ymd, sequence: u16) -> Result<ResidentId, CodeError> {
        if !region::is_resident_region(region) {
            return Err(CodeError::new(
                BAD_REGION,
                format!("居民身份证号码的地区码为以省级代码开头的六位数字；{region:?} 不是"),
                format!(
                    "the region of a resident ID number is six digits starting with a province code; {region:?} is not"
                ),
            ));
        }
        if !birth_date.is_valid() {
            return Err(CodeError::new(
                BAD_BIRTH_DATE,
                format!(
                    "出生日期须为有效日期；{}-{}-{} 不是",
                    birth_date.year, birth_date.month, birth_date.day
                ),
                format!(
                    "the birth date must be a real date; {}-{}-{} is not",
                    birth_date.year, birth_date.month, birth_date.day
                ),
            ));
        }
        if !(MIN_BIRTH_YEAR..=9999).contains(&birth_date.year) {
            return Err(CodeError::new(
                BAD_BIRTH_DATE,
                format!(
                    "出生年份须在 {MIN_BIRTH_YEAR} 至 9999 之间；此处为 {}",
                    birth_date.year
                ),
                format!(
                    "the birth year must be {MIN_BIRTH_YEAR} to 9999; it is {}",
                    birth_date.year
                ),
            ));
        }
        if sequence > 999 {
            return Err(CodeError::new(
                BAD_LENGTH,
                format!("顺序码为三位数字（0 至 999）；{sequence} 超出范围"),
                format!("the sequence number has three digits (0 to 999); {sequence} does not fit"),
            ));
        }
        let first17 = format!("{region}{}{sequence:03}", birth_date.compact());
        let check = check_char(&first17).ok_or_else(|| {
            CodeError::new(
                BAD_CHARACTERS,
                "前 17 位须为数字",
                "the first 17 characters must be digits",
            )
        })?;
        Ok(ResidentId {
            number: format!("{first17}{check}"),
            birth_date,
            sequence,
        })
    }

    /// The whole number.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The whole number, owned.
    pub fn into_string(self) -> String {
        self.number
    }

    /// The six-digit region code of the registered household at issue.
    pub fn region(&self) -> &str {
        self.number.get(..6).unwrap_or_default()
    }

    /// The date of birth.
    pub fn birth_date(&self) -> Ymd {
        self.birth_date
    }

    /// The three-digit sequence number (0 to 999).
    pub fn sequence(&self) -> u16 {
        self.sequence
    }

    /// The sex the sequence's parity encodes.
    pub fn sex(&self) -> Sex {
        Sex::of_sequence(self.sequence)
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &str) -> Result<(), &'static str> {
        validate(id).map_err(|e| e.code)
    }

    fn with_check(first17: &str) -> String {
        let c = check_char(first17).expect("17 digits");
        format!("{first17}{c}")
    }

    #[test]
    fn published_example() {
        // The worked example of GB 11643-1999.
        assert_eq!(check_char("11010519491231002"), Some('X'));
        let id = ResidentId::parse("11010519491231002X").expect("valid");
        assert_eq!(id.region(), "110105");
        assert_eq!(id.birth_date(), Ymd::new(1949, 12, 31).expect("date"));
        assert_eq!(id.sequence(), 2);
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.to_string(), "11010519491231002X");
    }

    #[test]
    fn each_fault_has_its_code_and_message() {
        assert_eq!(code("11010519491231002"), Err(BAD_LENGTH));
        assert_eq!(code("身份证号码身份证"), Err(BAD_LENGTH));
        assert_eq!(code("1101051949123100AX"), Err(BAD_CHARACTERS));
        assert_eq!(code("11010519491231002Y"), Err(BAD_CHARACTERS));
        assert_eq!(code(&with_check("99010519491231002")), Err(BAD_REGION));
        assert_eq!(code(&with_check("11010519490230002")), Err(BAD_BIRTH_DATE));
        assert_eq!(code(&with_check("11010518991231002")), Err(BAD_BIRTH_DATE));
        assert_eq!(code("110105194912310021"), Err(BAD_CHECK_DIGIT));
        let e = validate("110105194912310021").expect_err("bad");
        assert_eq!(
            e.message,
            "the check digit is 1, but for these first 17 digits it must be X (GB 11643-1999)"
        );
        let e = validate("11010519491231002x").expect_err("lowercase");
        assert_eq!(e.code, BAD_CHARACTERS);
        assert!(e.message.contains("capital X"), "{}", e.message);
        let e = validate("110105491231002").expect_err("15 digits");
        assert!(e.message.contains("has 15"), "{}", e.message);
        let e = validate(&with_check("11010518991231002")).expect_err("1899");
        assert!(e.message.contains("before 1900"), "{}", e.message);
    }

    #[test]
    fn first_failing_check_wins() {
        // Bad region, bad date and bad check digit at once: the region is reported.
        assert_eq!(code("990105194902300021"), Err(BAD_REGION));
        // Bad date and bad check digit: the date is reported.
        assert_eq!(code("110105194902300029"), Err(BAD_BIRTH_DATE));
    }

    #[test]
    fn parse_does_not_normalise() {
        assert!(ResidentId::parse(" 11010519491231002X").is_err());
        assert!(ResidentId::parse("11010519491231002x").is_err());
        assert_eq!(birth_date("11010518991231002X"), Ymd::new(1899, 12, 31));
        assert_eq!(birth_date("1101"), None);
    }

    #[test]
    fn builds_valid_numbers() {
        let birth = Ymd::new(2026, 10, 20).expect("date");
        for seq in [0u16, 1, 2, 457, 999] {
            let id = ResidentId::build("350203", birth, seq).expect("builds");
            let parsed = ResidentId::parse(id.as_str()).expect("round trip");
            assert_eq!(parsed, id);
            assert_eq!(parsed.birth_date(), birth);
            assert_eq!(parsed.sequence(), seq);
            assert_eq!(parsed.sex(), Sex::of_sequence(seq));
        }
        let err = |r: Result<ResidentId, CodeError>| r.map_err(|e| e.code);
        assert_eq!(err(ResidentId::build("000000", birth, 1)), Err(BAD_REGION));
        assert_eq!(err(ResidentId::build("100000", birth, 1)), Err(BAD_REGION));
        assert_eq!(
            err(ResidentId::build("350203", birth, 1000)),
            Err(BAD_LENGTH)
        );
        let feb30 = Ymd {
            year: 2026,
            month: 2,
            day: 30,
        };
        assert_eq!(
            err(ResidentId::build("350203", feb30, 1)),
            Err(BAD_BIRTH_DATE)
        );
        let old = Ymd::new(1899, 12, 31).expect("date");
        assert_eq!(
            err(ResidentId::build("350203", old, 1)),
            Err(BAD_BIRTH_DATE)
        );
        let far = Ymd::new(10000, 1, 1).expect("date");
        assert_eq!(
            err(ResidentId::build("350203", far, 1)),
            Err(BAD_BIRTH_DATE)
        );
    }

    #[test]
    fn sex_codes() {
        assert_eq!(Sex::from_code("female"), Some(Sex::Female));
        assert_eq!(Sex::from_code("Male"), None);
        assert_eq!(Sex::Male.code(), "male");
        assert_eq!(Sex::of_sequence(457), Sex::Male);
    }
}
